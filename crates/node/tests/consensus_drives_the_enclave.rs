//! Consensus drives the enclave core end to end: genesis and client transactions are
//! ordered by openraft, executed in the core, written to the ledger encrypted, and
//! signed inside the core; a replayed request is refused; after a restart a core
//! unsealed from disk rebuilds the same state from the ledger.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use strongroom_consensus::{ConsensusNode, NodeConfig};
use strongroom_contract::KvContract;
use strongroom_crypto::provider::VerifyingKey;
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{Constitution, Enclave, EnclaveRequest, EnclaveResponse, Organization};
use strongroom_identity::{OrgCa, Role, Validity};
use strongroom_ledger::{EntryKind, SignatureSchedule, verify_ledger};
use strongroom_node::{EnclaveApplier, EnclaveSigner, SharedEnclave};
use strongroom_tee::{CodeIdentity, SimPlatform};

fn core() -> SharedEnclave {
    // INSECURE SIMULATION platform (test only).
    let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &[7u8; 32]).unwrap();
    Arc::new(Mutex::new(Enclave::new(
        Box::new(platform),
        Box::new(KvContract),
    )))
}

fn digest(core: &SharedEnclave) -> Vec<u8> {
    match core.lock().unwrap().handle(EnclaveRequest::StateDigest) {
        EnclaveResponse::StateDigest { digest } => digest.to_vec(),
        other => panic!("{other:?}"),
    }
}

fn config(dir: &std::path::Path) -> NodeConfig {
    NodeConfig {
        schedule: SignatureSchedule {
            max_entries: 3,
            max_interval_ms: 60_000,
        },
        ..NodeConfig::single(dir)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_flow_through_raft_into_the_enclave_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let validity = Validity::starting_now(time::Duration::days(30)).unwrap();
    let ca = OrgCa::new("Org1MSP", validity).unwrap();
    let alice = ca.enroll_member("alice", Role::Owner, validity).unwrap();

    let first = core();
    let constitution = Constitution {
        organizations: vec![Organization::from_der("Org1MSP", ca.cert_der()).unwrap()],
        threshold: Default::default(),
        worker_policy: None,
        node_policy: None,
    };
    let EnclaveResponse::Genesis {
        ledger_payload,
        public_keys,
        sealed,
    } = first
        .lock()
        .unwrap()
        .handle(EnclaveRequest::Genesis { constitution })
    else {
        panic!("genesis")
    };
    let service = VerifyingKey::from_spki_der(&public_keys.signing_key).unwrap();

    let node = ConsensusNode::start_single(
        config(dir.path()),
        EnclaveSigner::new(first.clone(), service.clone()),
        EnclaveApplier::new(first.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        node.propose(ledger_payload).await.unwrap().sequence,
        Some(1)
    );

    let mut sequences = Vec::new();
    for i in 0..5 {
        let request = PreparedRequest::transaction(
            &public_keys.transaction_key,
            &alice,
            format!("put k{i}=v{i}"),
        )
        .unwrap();
        let applied = node.propose(request.payload.clone()).await.unwrap();
        assert_eq!(
            request.open_response(&applied.response).unwrap(),
            Reply::Accept(b"ok".to_vec())
        );
        sequences.push(applied.sequence.unwrap());

        if i == 0 {
            // The same request again is refused by the core, and recorded as refused.
            let again = node.propose(request.payload.clone()).await.unwrap();
            match request.open_response(&again.response).unwrap() {
                Reply::Refuse(reason) => assert!(
                    reason.contains("replay") || reason.contains("nonce"),
                    "{reason}"
                ),
                other => panic!("a replayed request was accepted: {other:?}"),
            }
        }
    }

    // The ledger verifies under the enclave's key; transactions are ciphertext.
    let summary = verify_ledger(node.ledger(), Some(&service)).unwrap();
    assert!(summary.signatures >= 2, "{summary:?}");
    for sequence in &sequences {
        let entry = node.ledger().entry(*sequence).unwrap().unwrap();
        assert_eq!(entry.header.kind, EntryKind::Transaction);
        assert!(
            !entry.payload.windows(5).any(|w| w == b"put k"),
            "plaintext on the ledger"
        );
    }
    let before = digest(&first);
    node.shutdown().await.unwrap();
    drop(first);

    // Restart: a fresh core unseals the secrets and rebuilds its state from the ledger.
    let second = core();
    match second
        .lock()
        .unwrap()
        .handle(EnclaveRequest::Unseal { sealed })
    {
        EnclaveResponse::PublicKeys { public_keys: keys } => assert_eq!(keys, public_keys),
        other => panic!("unseal: {other:?}"),
    }
    let node = ConsensusNode::start_single(
        config(dir.path()),
        EnclaveSigner::new(second.clone(), service.clone()),
        EnclaveApplier::new(second.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        digest(&second),
        before,
        "state rebuilt from the ledger differs"
    );
    let request =
        PreparedRequest::transaction(&public_keys.transaction_key, &alice, "put after=restart")
            .unwrap();
    let applied = node.propose(request.payload.clone()).await.unwrap();
    assert_eq!(
        request.open_response(&applied.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
    node.shutdown().await.unwrap();
}
