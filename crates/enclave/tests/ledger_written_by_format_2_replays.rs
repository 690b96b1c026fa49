//! A ledger written in record format 2 (typed refusal codes, write sets), checked in
//! as a fixture, replays to exactly the state it was written with, in this build and
//! in every later one: records no longer depend on the code's rules or wording.
//!
//! The fixture (`tests/fixtures/ledger-v2/`) was written by `write_the_fixture` below
//! (`cargo test -p strongroom-enclave --test ledger_written_by_format_2_replays --
//! --ignored`), which runs the data-sharing contract through a whole flow with
//! refusals of every kind and governance, at fixed ledger times. It holds the entries,
//! the service secrets sealed to the test's INSECURE SIMULATION platform, and the state
//! digest after the last entry. Never regenerate it to make this test pass: a change
//! that breaks this test breaks every deployed ledger.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use common::{Ledger, code, platform};
use serde_json::{Value, json};
use strongroom_contract::sharing::SharingContract;
use strongroom_enclave::request::{Body, PreparedRequest, Purpose};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, Organization, RecordKind,
};
use strongroom_identity::{Member, OrgCa, Role, Validity, fingerprint};
use strongroom_ledger::{Entry, EntryKind};
use time::OffsetDateTime;

/// 2026-12-01T00:00:00Z, the fixture's first ledger time.
const START_MS: u64 = 1_796_083_200_000;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v2")
}

fn sharing_core() -> Enclave {
    Enclave::new(Box::new(platform(&code())), Box::new(SharingContract))
}

/// Entries as `u32` length and encoding, one after the other.
fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let bytes = entry.encode().unwrap();
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

fn decode_entries(mut bytes: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>().unwrap();
        let len = u32::from_be_bytes(*len) as usize;
        let (entry, rest) = rest.split_at(len);
        entries.push(Entry::decode(entry).unwrap());
        bytes = rest;
    }
    entries
}

#[test]
fn ledger_in_format_2_replays_to_the_state_it_was_written_with() {
    let dir = fixture_dir();
    let entries = decode_entries(&std::fs::read(dir.join("entries.bin")).unwrap());
    let sealed = hex::decode(
        std::fs::read_to_string(dir.join("sealed-secrets.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let expected = std::fs::read_to_string(dir.join("state-digest.hex")).unwrap();
    // The fixture is whole: a hash chain from genesis.
    let mut previous = [0u8; 32];
    for entry in &entries {
        assert_eq!(
            entry.header.prev_hash, previous,
            "entry {}",
            entry.header.sequence
        );
        previous = entry.hash().unwrap();
    }
    let kinds: Vec<EntryKind> = entries.iter().map(|e| e.header.kind).collect();
    assert!(kinds.contains(&EntryKind::Governance) && kinds.contains(&EntryKind::Signature));

    let mut core = sharing_core();
    assert!(matches!(
        core.handle(EnclaveRequest::Unseal { sealed }),
        EnclaveResponse::PublicKeys { .. }
    ));
    for entry in &entries {
        let response = core.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "entry {}: {response:?}",
            entry.header.sequence
        );
    }
    assert_eq!(hex::encode(common::digest(&mut core)), expected.trim());
}

/// One organization's CA and members, valid for a century from 2026.
struct Org {
    ca: OrgCa,
}

/// 2026-01-01 to 2126-01-01.
fn century() -> Validity {
    Validity::new(
        OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
        OffsetDateTime::from_unix_timestamp(4_922_899_200).unwrap(),
    )
    .unwrap()
}

fn org(msp: &str) -> Org {
    let validity = century();
    Org {
        ca: OrgCa::new(msp, validity).unwrap(),
    }
}

fn enroll(org: &Org, name: &str, role: Role) -> Rc<Member> {
    let validity = century();
    Rc::new(org.ca.enroll_member(name, role, validity).unwrap())
}

struct Writer {
    core: Enclave,
    ledger: Ledger,
    key: Vec<u8>,
    t: u64,
}

impl Writer {
    /// Commits `body` signed by `member` one second after the last entry, valid for a
    /// minute; answers the reply's JSON (or the refusal's text as a string).
    fn commit(&mut self, member: &Member, body: Body) -> Value {
        self.t += 1_000;
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Transaction,
            body,
            self.t + 60_000,
        )
        .unwrap();
        self.commit_sealed(&request)
    }

    fn commit_sealed(&mut self, request: &PreparedRequest) -> Value {
        let executed = common::commit(&mut self.core, &mut self.ledger, self.t, &request.payload);
        if self.ledger.entries.len().is_multiple_of(4) {
            self.ledger.sign(&mut self.core, self.t);
        }
        let reply = match request.open_response(&executed.response).unwrap() {
            strongroom_enclave::request::Reply::Accept(bytes) => {
                serde_json::from_slice(&bytes).unwrap()
            }
            other => json!(format!("{other:?}")),
        };
        // What each entry recorded, for whoever writes a fixture (--nocapture).
        eprintln!(
            "{}: {}",
            self.ledger.entries.len(),
            reply.to_string().chars().take(160).collect::<String>()
        );
        reply
    }

    fn invoke(&mut self, member: &Member, invocation: Value) -> Value {
        self.commit(member, Body::Contract(invocation.to_string().into_bytes()))
    }

    fn govern(&mut self, member: &Member, invocation: Value) -> Value {
        self.commit(
            member,
            Body::Governance(invocation.to_string().into_bytes()),
        )
    }
}

/// Writes the fixture. Run it only to create a new format's fixture, never over an
/// existing one (it refuses to).
#[test]
#[ignore = "writes the fixture; run by hand for a new format only"]
fn write_the_fixture() {
    let dir = fixture_dir();
    assert!(
        !dir.join("entries.bin").exists(),
        "the fixture exists: a new format gets a new directory"
    );
    let (org1, org2, org3) = (org("Org1MSP"), org("Org2MSP"), org("Org3MSP"));
    let owner = enroll(&org1, "olivia", Role::Owner);
    let admin1 = enroll(&org1, "root1", Role::Admin);
    let executor = enroll(&org1, "exec1", Role::Executor);
    let analyst = enroll(&org2, "arthur", Role::Analyst);
    let admin2 = enroll(&org2, "root2", Role::Admin);
    let outsider = enroll(&org3, "mallory", Role::Analyst);

    let mut core = sharing_core();
    let constitution = Constitution {
        organizations: [&org1, &org2]
            .iter()
            .map(|o| Organization::from_der(o.ca.msp_id(), o.ca.cert_der()).unwrap())
            .collect(),
        threshold: Default::default(),
        node_policy: None,
        worker_policy: None,
    };
    let EnclaveResponse::Genesis {
        ledger_payload,
        public_keys,
        sealed,
    } = core.handle(EnclaveRequest::Genesis { constitution })
    else {
        panic!("genesis")
    };
    let mut ledger = Ledger::default();
    let ctx = ledger.next_ctx(START_MS);
    let executed = common::execute(&mut core, &ctx, &ledger_payload);
    assert_eq!(executed.kind, RecordKind::Genesis);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    let mut w = Writer {
        core,
        ledger,
        key: public_keys.transaction_key,
        t: START_MS,
    };

    // The data-sharing flow.
    let reserved = w.invoke(&owner, json!({"op": "reserve_locations", "count": 1}));
    let location = reserved["locations"][0].as_str().unwrap().to_owned();
    let dataset = w.invoke(
        &owner,
        json!({
            "op": "register_dataset", "name": "fixture cohort", "kind": "csv",
            "labels": ["fixture"], "consent": {"purposes": ["research"]},
            "files": [{"name": "patients.csv", "columns": ["id", "age", "visit"],
                       "plaintext_sha256": "11".repeat(32), "ciphertext_sha256": "22".repeat(32),
                       "size_bytes": 1000, "location": location}],
            "wrapped_keys": [{"recipient": "org:Org1MSP", "key": "00ff"}],
            "time_column": "visit", "epsilon_budget_micro": 5_000_000,
        }),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let algorithm = w.invoke(
        &analyst,
        json!({
            "op": "register_algorithm", "name": "describe", "kind": "builtin",
            "measurement": "ab".repeat(32), "aggregate_only": true,
            "output_rule": "small_cells_suppressed",
        }),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = w.invoke(
        &analyst,
        json!({
            "op": "request_permission", "dataset": dataset, "purpose": "research",
            "algorithms": [algorithm], "scope": {"columns": ["age"],
            "rows": {"from_ms": 1_420_070_400_000_u64, "to_ms": 1_546_300_800_000_u64}},
        }),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.invoke(
        &owner,
        json!({"op": "approve_permission", "request": request}),
    );
    let recipient = "33".repeat(32);
    let task = w.invoke(
        &analyst,
        json!({
            "op": "request_task", "inputs": [dataset], "algorithm": algorithm,
            "parameters": {"file": "patients.csv", "column": "age"}, "columns": ["age"],
            "recipients": [{"msp_id": "Org2MSP", "name": "arthur", "public_key": recipient}],
            "mode": "owner_side",
        }),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.invoke(&executor, json!({"op": "claim_task", "task": task}));
    w.invoke(
        &executor,
        json!({"op": "write_result", "task": task, "outcome": {
            "status": "succeeded", "ciphertext": "44".repeat(64),
            "ciphertext_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest([0x44; 64])),
        }}),
    );

    // Refusals of every kind the contract and the core record.
    w.invoke(&analyst, json!({"op": "register_dataset"}));
    w.invoke(&outsider, json!({"op": "reserve_locations", "count": 1}));
    w.invoke(&analyst, json!({"op": "approve_task", "task": task}));
    w.invoke(
        &owner,
        json!({"op": "update_dataset", "id": dataset, "revision": 1, "description": "stale"}),
    );
    let replayed = PreparedRequest::valid_until(
        &w.key,
        &owner,
        Purpose::Transaction,
        Body::Contract(
            json!({"op": "reserve_locations", "count": 2})
                .to_string()
                .into_bytes(),
        ),
        w.t + 600_000,
    )
    .unwrap();
    w.t += 1_000;
    w.commit_sealed(&replayed);
    w.t += 1_000;
    w.commit_sealed(&replayed);
    let expired = PreparedRequest::valid_until(
        &w.key,
        &owner,
        Purpose::Transaction,
        Body::Contract(
            json!({"op": "reserve_locations", "count": 3})
                .to_string()
                .into_bytes(),
        ),
        w.t,
    )
    .unwrap();
    w.t += 1_000;
    w.commit_sealed(&expired);
    w.t += 1_000;
    let executed = common::commit(&mut w.core, &mut w.ledger, w.t, b"\x01not a request");
    assert_eq!(executed.kind, RecordKind::Transaction);

    // Governance: add Org3 by a majority, then revoke the analyst.
    let org3_pem = Organization::from_der("Org3MSP", org3.ca.cert_der())
        .unwrap()
        .ca_cert_pem;
    let proposal = w.govern(
        &admin1,
        json!({"op": "propose", "change": {
        "change": "add_organization", "msp_id": "Org3MSP", "ca_cert_pem": org3_pem}}),
    );
    let id = proposal["id"].as_str().unwrap().to_owned();
    w.govern(
        &admin2,
        json!({"op": "vote", "proposal": id, "approve": true}),
    );
    w.invoke(
        &outsider,
        json!({"op": "register_algorithm", "name": "by-org3", "kind": "builtin",
        "measurement": "cd".repeat(32)}),
    );
    let revoke = w.govern(
        &admin1,
        json!({"op": "propose", "change": {
        "change": "revoke_member",
        "certificate_sha256": hex::encode(fingerprint(analyst.cert_der()))}}),
    );
    let id = revoke["id"].as_str().unwrap().to_owned();
    w.govern(
        &admin2,
        json!({"op": "vote", "proposal": id, "approve": true}),
    );
    w.invoke(
        &analyst,
        json!({"op": "register_algorithm", "name": "revoked", "kind": "builtin",
        "measurement": "ef".repeat(32)}),
    );
    w.ledger.sign(&mut w.core, w.t);

    let digest = common::digest(&mut w.core);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("entries.bin"), encode_entries(&w.ledger.entries)).unwrap();
    std::fs::write(dir.join("sealed-secrets.hex"), hex::encode(sealed) + "\n").unwrap();
    std::fs::write(dir.join("state-digest.hex"), hex::encode(digest) + "\n").unwrap();
}
