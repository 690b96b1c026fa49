//! Seeds of what clients send: signed and sealed requests, envelopes, governance, and
//! the host–core messages.

use strongroom_contract::{ObjectAccess, ObjectPurpose};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose};
use strongroom_enclave::{EnclaveRequest, LedgerEntry};
use strongroom_ledger::EntryKind;
use strongroom_tee::Platform;

use super::contract::contract_queries;
use super::{Seeds, mode, request};
use crate::fixture::{self, NODE, NOW_MS};

pub(super) fn request_seeds(out: &mut Seeds) {
    let ids = fixture::identities();
    let core = fixture::core();
    let key = &core.public_keys.transaction_key;
    let invocations = fixture::contract_setup_invocations();
    let query = br#"{"op":"search_catalog"}"#;
    let worker = strongroom_tee::SimPlatform::new(
        &strongroom_tee::CodeIdentity::new("strongroom-worker", "1", "fuzz"),
        &[7; 32],
    )
    .and_then(|p| p.evidence(&[5; 64]))
    .map(strongroom_enclave::EvidenceMessage::from);
    let mut requests = vec![
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
    requests.push((
        "keys-create",
        request(
            Purpose::Transaction,
            Body::Keys(
                br#"{"op":"create_key","kind":"ecdsa_p256","usage":[{"msp_id":"Org1MSP","roles":["owner"]}]}"#
                    .to_vec(),
            ),
        ),
    ));
    requests.push((
        "keys-hash",
        request(
            Purpose::Transaction,
            Body::Keys(br#"{"op":"hash","algorithm":"sha3_256","data":"00ff"}"#.to_vec()),
        ),
    ));
    requests.push((
        "keys-get",
        request(
            Purpose::Query,
            Body::Keys(br#"{"op":"get_key","key":"key-0000000000000001"}"#.to_vec()),
        ),
    ));
    if let Ok(evidence) = worker {
        requests.push((
            "attested-claim",
            request(
                Purpose::Transaction,
                Body::Attested {
                    invocation: br#"{"op":"claim_task","task":"task-0000000000000001"}"#.to_vec(),
                    config_hash: [1; 32],
                    worker_key: [2; 32],
                    evidence,
                    collateral: strongroom_enclave::JoinCollateral::None,
                },
            ),
        ));
    }
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
        (
            "remove-node",
            r#"{"op":"propose","change":{"change":"remove_node","node_id":2}}"#.to_owned(),
        ),
        (
            "add-node",
            r#"{"op":"propose","change":{"change":"add_node","node_id":9}}"#.to_owned(),
        ),
        (
            "node-admission",
            r#"{"op":"propose","change":{"change":"set_node_admission","by_vote":true}}"#.to_owned(),
        ),
        (
            "set-defaults",
            r#"{"op":"propose","change":{"change":"set_defaults","min_cell_size":20,"epsilon_budget_micro":1500000}}"#.to_owned(),
        ),
        ("vote-for", format!(r#"{{"op":"vote","proposal":"{first}","approve":true}}"#)),
        ("vote-against", format!(r#"{{"op":"vote","proposal":"{first}","approve":false}}"#)),
        ("get", format!(r#"{{"op":"get_proposal","id":"{first}"}}"#)),
        ("list", r#"{"op":"list_proposals","limit":5}"#.to_owned()),
        ("constitution", r#"{"op":"constitution"}"#.to_owned()),
        ("history", r#"{"op":"history","limit":5}"#.to_owned()),
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
            "remove-node-carried".to_owned(),
            flow(&[
                (ADMIN, "remove-node"),
                (DORA, "vote-for"),
                (ALICE | QUERY, "history"),
                (BOB | QUERY, "constitution"),
            ]),
        ),
        (
            "defaults-carried".to_owned(),
            flow(&[
                (ADMIN, "set-defaults"),
                (DORA, "vote-for"),
                (BOB | QUERY, "history"),
                (ALICE | QUERY, "constitution"),
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
