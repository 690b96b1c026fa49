//! Valid seed inputs for every target, made with the project's own encoders (a real
//! sealed request, real ledger entries, Raft entries, an encrypted object, …), so
//! that they follow the formats when those change: regenerate them with
//!
//! ```sh
//! cargo test -p strongroom-fuzz-targets --test generate_seeds -- --ignored
//! ```
//!
//! which writes `fuzz/corpus/<target>/seed-<name>` for each. The attestation samples
//! are copies of third-party files (see `fuzz/samples/README.md`).

use std::collections::BTreeSet;

use openraft::{CommittedLeaderId, EntryPayload, LogId, Membership, Vote};
use strongroom_compute::synthetic::SplitMix64;
use strongroom_consensus::codec::{encode_entry, encode_log_id, encode_vote};
use strongroom_consensus::{LogEntry, Proposal};
use strongroom_contract::{Caller, ObjectAccess, ObjectPurpose};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{HEADER_LEN, ObjectOptions, encrypt};
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_enclave::record::{LedgerRecord, WriteSet};
use strongroom_enclave::refusal::{Refusal, RefusalCode};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose, SignedRequest};
use strongroom_enclave::{EnclaveRequest, LedgerEntry};
use strongroom_ledger::{
    Appender, EXPORT_MAGIC, Entry, EntryKind, Receipt, SignatureSchedule, SignedRoot,
};
use strongroom_tee::Platform;
use zeroize::Zeroizing;

use crate::fixture::{self, NODE, NOW_MS, OBJECT_KEY, samples};

/// One seed: its target, a name (the file is `seed-<name>`) and its bytes.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The target it is for.
    pub target: &'static str,
    /// A short name, unique within the target.
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

/// Every seed of every target.
pub fn seeds() -> Vec<Seed> {
    let mut out = Seeds(Vec::new());
    request_seeds(&mut out);
    ledger_seeds(&mut out);
    raft_seeds(&mut out);
    object_seeds(&mut out);
    attestation_seeds(&mut out);
    contract_seeds(&mut out);
    compute_seeds(&mut out);
    out.0
}

struct Seeds(Vec<Seed>);

impl Seeds {
    fn add(&mut self, target: &'static str, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.0.push(Seed {
            target,
            name: name.into(),
            bytes: bytes.into(),
        });
    }
}

fn request(purpose: Purpose, body: Body) -> SignedRequest {
    SignedRequest {
        purpose,
        nonce: vec![0x5e; 24],
        not_after_ms: NOW_MS + 300_000,
        response_key: Zeroizing::new([0x22; 32]),
        body,
    }
}

/// Mode byte of `sealed_request`: what the rest is, the purpose, the member, the
/// handler and the flag (see [`crate::sealed_request`]).
fn mode(kind: u8, query: bool, member: u8, handler: u8, flag: bool) -> u8 {
    kind | (u8::from(query) << 2) | (member << 3) | (handler << 5) | (u8::from(flag) << 7)
}

fn request_seeds(out: &mut Seeds) {
    let ids = fixture::identities();
    let core = fixture::core();
    let key = &core.public_keys.transaction_key;
    let invocations = fixture::contract_setup_invocations();
    let query = br#"{"op":"search_catalog"}"#;
    let requests = [
        (
            "transaction",
            request(
                Purpose::Transaction,
                Body::Contract(invocations[0].1.clone().into_bytes()),
            ),
        ),
        (
            "query",
            request(Purpose::Query, Body::Contract(query.to_vec())),
        ),
        (
            "propose",
            request(
                Purpose::Transaction,
                Body::Governance(governance_seeds()[0].1.clone().into_bytes()),
            ),
        ),
        (
            "proposals",
            request(
                Purpose::Query,
                Body::Governance(br#"{"op":"list_proposals"}"#.to_vec()),
            ),
        ),
        (
            "export",
            request(Purpose::Query, Body::Export { node: NODE }),
        ),
        (
            "object-read",
            request(
                Purpose::Query,
                Body::Object {
                    purpose: ObjectPurpose::OwnerRead,
                    location: fixture::contract().location.clone(),
                    node: NODE,
                },
            ),
        ),
        (
            "object-task-input",
            request(
                Purpose::Query,
                Body::Object {
                    purpose: ObjectPurpose::TaskInput {
                        task: "task-1".into(),
                    },
                    location: fixture::contract().location.clone(),
                    node: NODE,
                },
            ),
        ),
        (
            "object-upload",
            request(
                Purpose::Query,
                Body::Object {
                    purpose: ObjectPurpose::Upload,
                    location: fixture::contract().location.clone(),
                    node: NODE,
                },
            ),
        ),
    ];
    for (name, request) in &requests {
        let encoded = request.encode();
        out.add("signed_request", *name, encoded.clone());
        if let Ok(envelope) = ids.alice.sign(encoded.clone())
            && let Ok(bytes) = envelope.to_bytes()
        {
            out.add("signed_envelope", *name, bytes.clone());
            out.add("sealed_request", format!("envelope-{name}"), {
                let mut seed = vec![mode(1, request.purpose == Purpose::Query, 0, 0, false)];
                seed.extend_from_slice(&bytes);
                seed
            });
        }
        let query = request.purpose == Purpose::Query;
        let handler = match &request.body {
            Body::Object { .. } => 3,
            _ if query => 2,
            _ => 0,
        };
        let write = matches!(
            &request.body,
            Body::Object { purpose, .. } if purpose.access() == ObjectAccess::Write
        );
        for member in 0..4 {
            let mut seed = vec![mode(2, query, member, handler, write)];
            seed.extend_from_slice(&encoded);
            out.add("sealed_request", format!("signed-{name}-{member}"), seed);
        }
    }
    // A whole sealed request (to this process's core: later ones refuse it unopened).
    if let Ok(prepared) = PreparedRequest::transaction(key, &ids.alice, invocations[1].1.clone()) {
        out.add("sealed_request", "sealed-transaction", {
            let mut seed = vec![mode(0, false, 0, 0, false)];
            seed.extend_from_slice(&prepared.payload);
            seed
        });
        out.add(
            "enclave_message",
            "request-execute",
            EnclaveRequest::Execute {
                ctx: core.next_ctx(0),
                payload: prepared.payload.clone(),
            }
            .to_bytes(),
        );
        out.add(
            "enclave_message",
            "request-query",
            EnclaveRequest::Query {
                envelope: prepared.payload,
                host_time_ms: NOW_MS,
            }
            .to_bytes(),
        );
    }
    // Contract invocations and queries, each by every member, executed (once and
    // twice, prepared or not) or asked.
    for (i, (_, json)) in invocations.iter().enumerate() {
        for member in 0..4 {
            let handler = (i % 2) as u8;
            let mut seed = vec![mode(3, false, member, handler, i % 3 == 0)];
            seed.extend_from_slice(json.as_bytes());
            out.add("sealed_request", format!("invocation-{i}-{member}"), seed);
        }
    }
    for (i, query) in contract_queries().iter().enumerate() {
        let mut seed = vec![mode(3, true, (i % 4) as u8, 2, false)];
        seed.extend_from_slice(query.as_bytes());
        out.add("sealed_request", format!("query-{i}"), seed);
    }
    // Object authorizations by every member, for each purpose, of the location the
    // contract fixture reserved (a core after genesis knows no such location).
    for (name, purpose) in [
        ("owner-read", r#"{"purpose":"owner_read"}"#),
        ("task-input", r#"{"purpose":"task_input","task":"task-1"}"#),
        ("upload", r#"{"purpose":"upload"}"#),
    ] {
        for member in 0..4 {
            let mut seed = vec![mode(3, true, member, 3, name == "upload")];
            seed.extend_from_slice(purpose.as_bytes());
            seed.push(0);
            seed.extend_from_slice(fixture::contract().location.as_bytes());
            out.add("sealed_request", format!("object-{name}-{member}"), seed);
        }
    }
    enclave_message_seeds(out);
    for (name, steps) in governance_flows() {
        out.add("governance", name, steps);
    }
}

/// Governance JSON: (name, invocation or query).
fn governance_seeds() -> Vec<(&'static str, String)> {
    // `$org3` and `$bob` stand for this process's keys (see `crate::governance`).
    // The first proposal of an input run by the governance target is at sequence 2.
    let first = "prop-0000000000000002";
    vec![
        (
            "add-org",
            r#"{"op":"propose","change":{"change":"add_organization","msp_id":"Org3MSP","ca_cert_pem":"$org3"},"description":"Org3 joins"}"#.to_owned(),
        ),
        (
            "remove-org",
            r#"{"op":"propose","change":{"change":"remove_organization","msp_id":"Org1MSP"},"expires_at_ms":1767312000000}"#.to_owned(),
        ),
        (
            "revoke",
            r#"{"op":"propose","change":{"change":"revoke_member","certificate_sha256":"$bob"}}"#.to_owned(),
        ),
        (
            "threshold",
            r#"{"op":"propose","change":{"change":"set_threshold","threshold":{"rule":"at_least","organizations":2}}}"#.to_owned(),
        ),
        ("vote-for", format!(r#"{{"op":"vote","proposal":"{first}","approve":true}}"#)),
        ("vote-against", format!(r#"{{"op":"vote","proposal":"{first}","approve":false}}"#)),
        ("get", format!(r#"{{"op":"get_proposal","id":"{first}"}}"#)),
        ("list", r#"{"op":"list_proposals","limit":5}"#.to_owned()),
        ("constitution", r#"{"op":"constitution"}"#.to_owned()),
    ]
}

/// Inputs of the governance target: a proposal by Org1's admin, a vote by Org2's
/// admin, then questions or a step by a member the change affects.
fn governance_flows() -> Vec<(String, Vec<u8>)> {
    // Bit 4 is unused: it keeps Alice's control byte from being the separator.
    const ALICE: u8 = 0b1_0000;
    const ADMIN: u8 = 1;
    const BOB: u8 = 2;
    const DORA: u8 = 3;
    const QUERY: u8 = 0b100;
    const REPLAY: u8 = 0b1000;
    let json: std::collections::BTreeMap<&str, String> = governance_seeds().into_iter().collect();
    let flow = |steps: &[(u8, &str)]| -> Vec<u8> {
        let mut bytes = Vec::new();
        for (i, (control, name)) in steps.iter().enumerate() {
            if i > 0 {
                bytes.push(0);
            }
            bytes.push(*control);
            bytes.extend_from_slice(json.get(name).map(String::as_bytes).unwrap_or_default());
        }
        bytes
    };
    let mut flows = vec![
        (
            "add-org-carried".to_owned(),
            flow(&[
                (ADMIN, "add-org"),
                (DORA, "vote-for"),
                (ALICE | QUERY, "get"),
                (BOB | QUERY, "constitution"),
            ]),
        ),
        (
            "revoke-then-act".to_owned(),
            flow(&[
                (ADMIN, "revoke"),
                (DORA, "vote-for"),
                (BOB | QUERY, "list"),
                (BOB, "threshold"),
            ]),
        ),
        (
            "threshold-rejected".to_owned(),
            flow(&[
                (ADMIN, "threshold"),
                (DORA, "vote-against"),
                (DORA | QUERY, "get"),
            ]),
        ),
        (
            "remove-by-non-admin-and-replay".to_owned(),
            flow(&[
                (DORA, "remove-org"),
                (ALICE, "vote-for"),
                (ADMIN | REPLAY, "vote-for"),
                (ALICE | QUERY, "constitution"),
            ]),
        ),
    ];
    for (name, _) in governance_seeds() {
        flows.push((format!("one-{name}"), flow(&[(ADMIN, name)])));
    }
    flows
}

fn enclave_message_seeds(out: &mut Seeds) {
    let core = fixture::core();
    let platform = fixture::sim_platform();
    let mut requests = vec![
        ("public-keys", EnclaveRequest::PublicKeys),
        ("state-digest", EnclaveRequest::StateDigest),
        ("snapshot", EnclaveRequest::Snapshot),
        ("prepare-join", EnclaveRequest::PrepareJoin),
        ("evidence", EnclaveRequest::Evidence { nonce: vec![1; 32] }),
        (
            "sign-root",
            EnclaveRequest::SignRoot {
                tree_size: 2,
                root: [7; 32],
            },
        ),
        (
            "replay-genesis",
            EnclaveRequest::Replay {
                entry: LedgerEntry {
                    sequence: 1,
                    prev_hash: [0; 32],
                    kind: EntryKind::Genesis.to_byte(),
                    timestamp_ms: fixture::identities().now_ms,
                    payload: core.genesis_payload.clone(),
                },
            },
        ),
        (
            "restore",
            EnclaveRequest::Restore {
                snapshot: vec![0; 40],
            },
        ),
        (
            "unseal",
            EnclaveRequest::Unseal {
                sealed: vec![0; 40],
            },
        ),
        (
            "join",
            EnclaveRequest::Join {
                wrapped: vec![0; 40],
            },
        ),
    ];
    if let Ok(evidence) = platform.evidence(&strongroom_enclave::join_report_data(&[9; 32])) {
        requests.push((
            "join-request",
            EnclaveRequest::JoinRequest {
                evidence: evidence.into(),
                collateral: strongroom_enclave::JoinCollateral::None,
                joiner_key: vec![9; 32],
            },
        ));
    }
    for (name, request) in requests {
        out.add(
            "enclave_message",
            format!("request-{name}"),
            request.to_bytes(),
        );
        let response = core.restored().handle(request);
        out.add(
            "enclave_message",
            format!("response-{name}"),
            response.to_bytes(),
        );
    }
}

fn ledger_seeds(out: &mut Seeds) {
    // A small ledger, signed every two entries, as the appender writes it.
    let Ok(key) = default_provider().generate_signing_key(EcdsaCurve::P256) else {
        return;
    };
    let mut appender = Appender::new(
        key,
        SignatureSchedule {
            max_entries: 2,
            max_interval_ms: 60_000,
        },
    );
    let mut entries: Vec<Entry> = Vec::new();
    let payloads = [
        (EntryKind::Genesis, fixture::core().genesis_payload.clone()),
        (
            EntryKind::Transaction,
            b"ciphertext of a transaction".to_vec(),
        ),
        (EntryKind::Governance, b"ciphertext of governance".to_vec()),
        (EntryKind::Transaction, Vec::new()),
    ];
    for (i, (kind, payload)) in payloads.into_iter().enumerate() {
        if let Ok(appended) = appender.append(kind, payload, 1_000 + i as u64) {
            entries.extend(appended);
        }
    }
    let mut export = EXPORT_MAGIC.to_vec();
    for entry in &entries {
        let Ok(encoded) = entry.encode() else {
            continue;
        };
        out.add(
            "ledger_entry",
            format!("entry-{}", entry.sequence()),
            encoded.clone(),
        );
        let hash = strongroom_ledger::hash_encoded(&encoded);
        let len = (32 + encoded.len()) as u32;
        export.extend_from_slice(&entry.sequence().to_be_bytes());
        export.extend_from_slice(&len.to_be_bytes());
        export.extend_from_slice(&hash);
        export.extend_from_slice(&encoded);
    }
    out.add("ledger_entry", "export", export);
    // Receipts of the first entries, from the first signature entry after each.
    let tree = appender.tree();
    for entry in &entries {
        let Some(signature) = entries
            .iter()
            .find(|e| e.header.kind == EntryKind::Signature && e.sequence() > entry.sequence())
        else {
            continue;
        };
        let Ok(signed) = SignedRoot::decode(&signature.payload) else {
            continue;
        };
        let Ok(proof) = tree.prove(entry.sequence() - 1, signed.tree_size) else {
            continue;
        };
        if let Ok(json) = Receipt::new(entry, &proof, &signed, signature.sequence())
            .and_then(|r| r.with_certificate(b"not a certificate").encode())
        {
            out.add("receipt", format!("entry-{}", entry.sequence()), json);
        }
    }
    let caller = Caller {
        msp_id: "Org1MSP".into(),
        name: "alice".into(),
        role: "owner".into(),
    };
    let writes = WriteSet {
        contract: vec![
            (b"ds/ds-1".to_vec(), Some(br#"{"id":"ds-1"}"#.to_vec())),
            (b"loc/data/00".to_vec(), None),
        ],
        core: vec![(b"gov/prop-0000000000000002".to_vec(), Some(b"{}".to_vec()))],
    };
    let records = [
        (
            "accepted",
            LedgerRecord::Executed {
                caller: caller.clone(),
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 24],
                not_after_ms: NOW_MS + 300_000,
                body: Body::Contract(br#"{"op":"approve_task","task":"task-1"}"#.to_vec()),
                outcome: Ok(br#"{"id":"task-1"}"#.to_vec()),
                writes,
            },
        ),
        (
            "refused-after-authentication",
            LedgerRecord::Executed {
                caller: caller.clone(),
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 16],
                not_after_ms: NOW_MS + 60_000,
                body: Body::Governance(
                    br#"{"op":"vote","proposal":"prop-0000000000000002","approve":true}"#.to_vec(),
                ),
                outcome: Err(Refusal::new(
                    RefusalCode::Refused,
                    "only an organization's admin votes",
                )),
                writes: WriteSet::default(),
            },
        ),
        (
            "object",
            LedgerRecord::Executed {
                caller,
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 32],
                not_after_ms: NOW_MS + 120_000,
                body: Body::Object {
                    purpose: ObjectPurpose::TaskInput {
                        task: "task-1".into(),
                    },
                    location: "data/00112233445566778899aabbccddeeff".into(),
                    node: NODE,
                },
                outcome: Err(Refusal::new(RefusalCode::NotATransaction, "")),
                writes: WriteSet::default(),
            },
        ),
        (
            "refused",
            LedgerRecord::Refused {
                refusal: Refusal::new(
                    RefusalCode::Undecryptable,
                    "request does not decrypt with the service transaction key",
                ),
            },
        ),
    ];
    for (name, record) in records {
        out.add("ledger_record", name, record.encode());
    }
}

fn raft_seeds(out: &mut Seeds) {
    let log_id = |term, node, index| LogId::new(CommittedLeaderId::new(term, node), index);
    let members: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    let entries: [(&str, LogEntry); 4] = [
        (
            "blank",
            LogEntry {
                log_id: log_id(1, 1, 1),
                payload: EntryPayload::Blank,
            },
        ),
        (
            "proposal",
            LogEntry {
                log_id: log_id(2, 1, 7),
                payload: EntryPayload::Normal(Proposal {
                    timestamp_ms: 1_700_000_000_000,
                    payloads: vec![vec![1, 2, 3], Vec::new(), vec![0xff; 40]],
                }),
            },
        ),
        (
            "tick",
            LogEntry {
                log_id: log_id(2, 1, 8),
                payload: EntryPayload::Normal(Proposal {
                    timestamp_ms: 1_700_000_000_001,
                    payloads: Vec::new(),
                }),
            },
        ),
        (
            "membership",
            LogEntry {
                log_id: log_id(3, 2, 9),
                payload: EntryPayload::Membership(Membership::new(vec![members], None)),
            },
        ),
    ];
    for (name, entry) in entries {
        out.add("raft_log", format!("entry-{name}"), encode_entry(&entry));
    }
    out.add(
        "raft_log",
        "vote",
        encode_vote(&Vote::new_committed(5, 3)).to_vec(),
    );
    out.add(
        "raft_log",
        "log-id",
        encode_log_id(&log_id(4, 2, 11)).to_vec(),
    );
}

fn object_seeds(out: &mut Seeds) {
    let key = DataKey::from_bytes(OBJECT_KEY);
    let plaintext: Vec<u8> = (0..100u8).collect();
    for (name, chunk_size, len) in [("empty", 16, 0), ("one-chunk", 64, 40), ("chunks", 16, 100)] {
        let mut sealed = Vec::new();
        if encrypt(
            &key,
            ObjectOptions { chunk_size },
            &plaintext[..len],
            &mut sealed,
        )
        .is_err()
        {
            continue;
        }
        out.add("object", format!("whole-{name}"), {
            let mut seed = vec![0];
            seed.extend_from_slice(&sealed);
            seed
        });
        if chunk_size == 16 {
            out.add("object", format!("after-header-{name}"), {
                let mut seed = vec![128];
                seed.extend_from_slice(&sealed[HEADER_LEN.min(sealed.len())..]);
                seed
            });
        }
    }
    for (name, mode, alter) in [("kept", 192, 0), ("flipped", 200, 13), ("cut", 255, 20)] {
        let mut seed = vec![mode];
        seed.extend_from_slice(&plaintext[..50]);
        seed.push(alter);
        out.add("object", format!("plaintext-{name}"), seed);
    }
}

fn attestation_seeds(out: &mut Seeds) {
    let platform = fixture::sim_platform();
    if let Ok(evidence) = platform.evidence(&[0x42; 64]) {
        out.add("sim_evidence", "sim", evidence.into_bytes());
    }
    // Copies of the third-party samples: written as `seed-sample-*`, which git
    // ignores (shared/data is not copied into the repository).
    let samples = samples::get();
    out.add("dcap_quote", "sample-sgx_quote", samples.sgx_quote.clone());
    out.add("dcap_quote", "sample-tdx_quote", samples.tdx_quote.clone());
    out.add(
        "dcap_collateral",
        "sample-sgx_quote_collateral",
        samples.sgx_collateral.clone(),
    );
    out.add(
        "dcap_collateral",
        "sample-tdx_quote_collateral",
        samples.tdx_collateral.clone(),
    );
    out.add(
        "snp_report",
        "sample-report_milan",
        samples.snp_report.clone(),
    );
    out.add("snp_collateral", "sample-vcek_milan", {
        let mut seed = vec![0];
        seed.extend_from_slice(&samples.snp_vcek);
        seed
    });
    out.add("snp_collateral", "sample-milan_chain", {
        let mut seed = vec![1];
        seed.extend_from_slice(&samples.snp_ask);
        seed.extend_from_slice(&samples.snp_ark);
        seed
    });
    out.add(
        "attestation_policy",
        "documented",
        concat!(
            "allow_simulated = false\n",
            "allow_debug = false\n",
            "accepted_tcb_status = [\"UpToDate\", \"SWHardeningNeeded\"]\n",
            "\n",
            "[[allow]]\n",
            "platform = \"tdx\"\n",
            "measurement = \"91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7\"\n",
            "\n",
            "[[allow]]\n",
            "platform = \"snp\"\n",
            "measurement = \"*\"\n",
        ),
    );
    out.add(
        "attestation_policy",
        "sim",
        "allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"*\"\n",
    );
}

/// One query of each kind, on the contract fixture's ids.
fn contract_queries() -> Vec<String> {
    let ids = &fixture::contract().ids;
    let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
    vec![
        r#"{"op":"search_catalog","kind":"csv"}"#.to_owned(),
        format!(r#"{{"op":"get_dataset","id":"{}"}}"#, id(0)),
        format!(r#"{{"op":"get_algorithm","id":"{}"}}"#, id(1)),
        format!(r#"{{"op":"get_request","id":"{}"}}"#, id(2)),
        format!(r#"{{"op":"get_task","id":"{}"}}"#, id(4)),
        format!(r#"{{"op":"read_result","task":"{}"}}"#, id(4)),
        format!(r#"{{"op":"audit_trail","dataset":"{}","limit":5}}"#, id(0)),
        r#"{"op":"list_algorithms","limit":2}"#.to_owned(),
        r#"{"op":"list_my_requests"}"#.to_owned(),
        r#"{"op":"list_my_tasks","after":"task-0"}"#.to_owned(),
    ]
}

fn contract_seeds(out: &mut Seeds) {
    let fixture = fixture::contract();
    let ids = &fixture.ids;
    let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
    let mut invocations: Vec<(u8, String)> = fixture::contract_setup_invocations()
        .into_iter()
        .map(|(who, json)| (who as u8, fixture::substitute(json, ids, &fixture.location)))
        .collect();
    invocations.extend([
        (0, format!(r#"{{"op":"approve_task","task":"{}"}}"#, id(4))),
        (3, format!(r#"{{"op":"claim_task","task":"{}"}}"#, id(4))),
        (0, format!(r#"{{"op":"reject_task","task":"{}","reason":"no"}}"#, id(4))),
        (0, format!(r#"{{"op":"revoke_grant","grant":"{}"}}"#, id(3))),
        (
            0,
            format!(
                r#"{{"op":"update_dataset","id":"{}","labels":["genomics"],"description":"new"}}"#,
                id(0)
            ),
        ),
        (0, format!(r#"{{"op":"withdraw_consent","id":"{}"}}"#, id(0))),
        (
            3,
            format!(
                r#"{{"op":"write_result","task":"{}","outcome":{{"status":"failed","reason":"bad row 7"}}}}"#,
                id(4)
            ),
        ),
        (
            3,
            format!(
                r#"{{"op":"write_result","task":"{}","outcome":{{"status":"succeeded","ciphertext":"00ff","ciphertext_sha256":"{}","evidence_ref":"sha256:e"}}}}"#,
                id(4),
                "cd".repeat(32)
            ),
        ),
        (
            1,
            format!(
                r#"{{"op":"reject_permission","request":"{}","reason":"no"}}"#,
                id(2)
            ),
        ),
        // "op" last: the tagged parse, not the direct one.
        (0, format!(r#"{{"id":"{}","op":"withdraw_consent"}}"#, id(0))),
    ]);
    for (i, (who, json)) in invocations.iter().enumerate() {
        let mut seed = vec![*who];
        seed.extend_from_slice(json.as_bytes());
        out.add("invocation", format!("invocation-{i}"), seed);
    }
    for (i, query) in contract_queries().iter().enumerate() {
        let mut seed = vec![0b1000 | (i % 6) as u8];
        seed.extend_from_slice(query.as_bytes());
        out.add("invocation", format!("query-{i}"), seed);
    }
}

fn compute_seeds(out: &mut Seeds) {
    // Synthea-like rows, a few of them the condition (code 44054006, "Diabetes").
    let mut rng = SplitMix64::new(7);
    let mut patients = String::from("Id,BIRTHDATE,DEATHDATE,RACE,ETHNICITY,GENDER\n");
    let mut conditions = String::from("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n");
    for i in 0..24u64 {
        let year = 1930 + rng.below(80);
        let gender = if rng.below(2) == 0 { "F" } else { "M" };
        let race = ["white", "black", "asian"][rng.below(3) as usize];
        let death = if i % 7 == 0 { "2020-01-02" } else { "" };
        patients.push_str(&format!(
            "p{i},{year}-0{}-1{},{death},{race},nonhispanic,{gender}\n",
            1 + rng.below(9),
            rng.below(10)
        ));
        let (code, description) = if i % 3 == 0 {
            ("44054006", "Diabetes")
        } else {
            ("444814009", "Viral sinusitis (disorder)")
        };
        conditions.push_str(&format!(
            "2015-03-0{},,p{i},e{i},{code},{description}\n",
            1 + rng.below(9)
        ));
    }
    for (name, mode) in [
        ("describe-code", 0u8),
        ("describe-birthdate", 4),
        ("describe-gender", 6),
    ] {
        let mut seed = vec![mode];
        let file = if mode == 0 { &conditions } else { &patients };
        seed.extend_from_slice(file.as_bytes());
        out.add("compute_csv", name, seed);
    }
    for (name, mode) in [
        ("stratify-code", 1u8 | (2 << 2)),
        ("stratify-description", 3 | (5 << 2)),
    ] {
        let mut seed = vec![mode];
        seed.extend_from_slice(patients.as_bytes());
        seed.push(0);
        seed.extend_from_slice(conditions.as_bytes());
        out.add("compute_csv", name, seed);
    }
}
