//! Requests and responses survive a trip through bytes unchanged, and a core driven
//! only through bytes (as behind a process boundary) behaves as one driven in process.
#![allow(clippy::unwrap_used)]

mod common;

use common::{core, world};
use strongroom_contract::{ObjectAccess, ObjectPurpose};
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{
    EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage, ExecuteContext, JoinCollateral,
    LedgerEntry, PublicKeys, RecordKind,
};
use strongroom_tee::PlatformKind;

fn every_request() -> Vec<EnclaveRequest> {
    let ctx = ExecuteContext {
        log_index: 4,
        timestamp_ms: 5,
        sequence: 6,
        prev_hash: [7; 32],
        voters: vec![1, 2],
        learners: vec![3],
    };
    vec![
        EnclaveRequest::AuthorizeExport {
            envelope: vec![9],
            host_time_ms: 8,
        },
        EnclaveRequest::AuthorizeObject {
            access: ObjectAccess::Read,
            envelope: vec![0, 1],
            host_time_ms: 1,
        },
        EnclaveRequest::AuthorizeObject {
            access: ObjectAccess::Write,
            envelope: vec![2, 3],
            host_time_ms: u64::MAX,
        },
        EnclaveRequest::BindEndpoint { endpoint: [7; 32] },
        EnclaveRequest::Evidence { nonce: vec![1, 2] },
        EnclaveRequest::Execute {
            ctx,
            payload: vec![0, 255],
        },
        EnclaveRequest::Genesis {
            constitution: world().constitution,
        },
        EnclaveRequest::Join { wrapped: vec![3] },
        EnclaveRequest::JoinRequest {
            evidence: EvidenceMessage {
                platform: PlatformKind::Sim,
                bytes: b"{}".to_vec(),
            },
            collateral: JoinCollateral::Snp(vec![4]),
            joiner_key: vec![5; 32],
        },
        EnclaveRequest::PrepareJoin,
        EnclaveRequest::PublicKeys,
        EnclaveRequest::Query {
            envelope: vec![6],
            host_time_ms: 0,
        },
        EnclaveRequest::Replay {
            entry: LedgerEntry {
                sequence: 2,
                prev_hash: [8; 32],
                kind: 2,
                timestamp_ms: 9,
                payload: vec![10],
            },
        },
        EnclaveRequest::Restore { snapshot: vec![11] },
        EnclaveRequest::SignRoot {
            tree_size: 12,
            root: [13; 32],
        },
        EnclaveRequest::Snapshot,
        EnclaveRequest::StateDigest,
        EnclaveRequest::Unseal { sealed: vec![14] },
    ]
}

fn every_response() -> Vec<EnclaveResponse> {
    let keys = PublicKeys {
        signing_key: vec![1, 2],
        transaction_key: vec![3; 32],
    };
    let evidence = EvidenceMessage {
        platform: PlatformKind::Snp,
        bytes: vec![4],
    };
    vec![
        EnclaveResponse::Answer { response: vec![5] },
        EnclaveResponse::EndpointBound { endpoint: [4; 32] },
        EnclaveResponse::Error {
            error: EnclaveError::Divergence {
                sequence: 3,
                reason: "x".into(),
            },
        },
        EnclaveResponse::Error {
            error: EnclaveError::NoSecrets,
        },
        EnclaveResponse::Error {
            error: EnclaveError::NotFoundOrDenied,
        },
        EnclaveResponse::Evidence {
            evidence: evidence.clone(),
            public_keys: keys.clone(),
            key_release_key: vec![4; 32],
            endpoint: [3; 32],
        },
        EnclaveResponse::Executed {
            kind: RecordKind::Governance,
            ledger_payload: vec![6],
            response: vec![],
        },
        EnclaveResponse::Genesis {
            ledger_payload: vec![7],
            public_keys: keys.clone(),
            sealed: vec![8],
        },
        EnclaveResponse::Joined {
            public_keys: keys.clone(),
            sealed: vec![9],
        },
        EnclaveResponse::JoinPrepared {
            evidence,
            joiner_key: vec![10],
        },
        EnclaveResponse::ExportAuthorized {
            msp_id: "Org2MSP".into(),
            name: "bob".into(),
        },
        EnclaveResponse::ObjectAuthorized {
            access: ObjectAccess::Read,
            purpose: ObjectPurpose::TaskInput {
                task: "task-0000000000000009".into(),
            },
            location: "data/0123".into(),
            msp_id: "Org1MSP".into(),
            name: "alice".into(),
            dataset: Some("ds-0000000000000002".into()),
        },
        EnclaveResponse::PublicKeys { public_keys: keys },
        EnclaveResponse::Replayed { sequence: 11 },
        EnclaveResponse::RootSigned {
            signed_root: vec![12],
        },
        EnclaveResponse::SecretsWrapped { wrapped: vec![13] },
        EnclaveResponse::Snapshot { snapshot: vec![14] },
        EnclaveResponse::StateDigest { digest: [15; 32] },
    ]
}

#[test]
fn every_message_round_trips() {
    for request in every_request() {
        let bytes = request.to_bytes();
        assert_eq!(EnclaveRequest::from_bytes(&bytes).unwrap(), request);
    }
    for response in every_response() {
        let bytes = response.to_bytes();
        assert_eq!(EnclaveResponse::from_bytes(&bytes).unwrap(), response);
    }
}

#[test]
fn a_core_driven_through_bytes_works_and_refuses_garbage() {
    let w = world();
    let mut a = core();
    let mut call = |request: EnclaveRequest| {
        EnclaveResponse::from_bytes(&a.handle_bytes(&request.to_bytes())).unwrap()
    };
    let EnclaveResponse::Genesis {
        ledger_payload,
        public_keys,
        ..
    } = call(EnclaveRequest::Genesis {
        constitution: w.constitution.clone(),
    })
    else {
        panic!("genesis")
    };
    let ctx = |sequence| ExecuteContext {
        log_index: sequence,
        timestamp_ms: w.now_ms,
        sequence,
        prev_hash: [0; 32],
        voters: vec![1],
        learners: Vec::new(),
    };
    assert!(matches!(
        call(EnclaveRequest::Execute {
            ctx: ctx(1),
            payload: ledger_payload
        }),
        EnclaveResponse::Executed {
            kind: RecordKind::Genesis,
            ..
        }
    ));
    let request =
        PreparedRequest::transaction(&public_keys.transaction_key, &w.alice, "put a=1").unwrap();
    let EnclaveResponse::Executed { response, .. } = call(EnclaveRequest::Execute {
        ctx: ctx(2),
        payload: request.payload.clone(),
    }) else {
        panic!("execute")
    };
    assert_eq!(
        request.open_response(&response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );

    // Bytes that are not a request get an error response, not a panic.
    let answer = EnclaveResponse::from_bytes(&a.handle_bytes(b"\xff{not json")).unwrap();
    assert!(matches!(
        answer,
        EnclaveResponse::Error {
            error: EnclaveError::InvalidRequest(_)
        }
    ));
}
