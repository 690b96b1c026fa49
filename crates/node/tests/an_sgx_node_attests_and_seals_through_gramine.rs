//! A node started with `platform = "sgx"` runs its core on the real Gramine producer
//! (`strongroom_tee::GramineSgx`); only Gramine's `/dev/attestation` under
//! `attestation_root` is a stand-in (`fake_tsm::FakeGramine`: the real SGX quote of the
//! shared data, its report data replaced by what the node wrote), handed to the node
//! through `TeeAccess::with_tsm_filesystem`.
//!
//! The node serves, for a client's nonce, the quote Gramine made for the report data
//! that binds its keys, endpoint and that nonce; it seals the service secrets under
//! Gramine's MRENCLAVE key, so it restarts on its own (no join, no recovery) with the
//! same service keys; and another sealing key (another enclave) cannot unseal them.
#![allow(clippy::unwrap_used)]

mod common;
mod fake_tsm;

use std::sync::Arc;

use fake_tsm::*;
use strongroom_contract::KvContract;
use strongroom_node::{Node, NodeSettings, RunningNode, TeeAccess};
use strongroom_tee::PlatformKind;

struct Setup {
    _base: tempfile::TempDir,
    settings: NodeSettings,
    gramine: FakeGramine,
}

fn setup() -> Setup {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let attestation_root = base.path().join("dev-attestation");
    std::fs::create_dir(&attestation_root).unwrap();
    let gramine = FakeGramine::dcap(&attestation_root);
    let settings = NodeSettings {
        platform: PlatformKind::Sgx.name().into(),
        attestation_root,
        ..common::settings(&base.path().join("node"), &[&org])
    };
    Setup {
        _base: base,
        settings,
        gramine,
    }
}

impl Setup {
    async fn start(&self) -> Result<RunningNode, String> {
        let tee = TeeAccess::with_tsm_filesystem(Arc::new(self.gramine.clone()));
        let node = Node::open_with(&self.settings, Box::new(KvContract), &tee)
            .await
            .map_err(|e| e.to_string())?;
        RunningNode::start(node, &self.settings)
            .await
            .map_err(|e| e.to_string())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sgx_node_serves_the_quote_gramine_made_for_its_report_data() {
    let setup = setup();
    let running = setup.start().await.unwrap();
    let nonce = [9u8; 32];
    let served = attestation(&running, nonce).await;
    assert_eq!(served.platform, "sgx");
    assert!(!served.insecure, "an SGX node is not the simulation");
    let (written, quote) = setup.gramine.last_answer();
    assert_eq!(
        written,
        expected_report_data(&served, &nonce),
        "the node asked Gramine to bind its attested keys, endpoint and the nonce"
    );
    assert_eq!(served.evidence, quote, "the node serves Gramine's quote");
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sgx_node_restarts_on_its_own_sealed_secrets() {
    let setup = setup();
    let first = setup.start().await.unwrap();
    let keys = attestation(&first, [1u8; 32]).await.signing_key;
    first.shutdown().await.unwrap();
    assert!(
        setup
            .settings
            .data_dir
            .join("service-secrets.json")
            .exists(),
        "sealed under the MRENCLAVE key"
    );

    let again = setup.start().await.unwrap();
    assert_eq!(
        attestation(&again, [2u8; 32]).await.signing_key,
        keys,
        "the restarted node unsealed the same service keys"
    );
    again.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn another_enclaves_sealing_key_cannot_unseal_the_secrets() {
    let setup = setup();
    setup.start().await.unwrap().shutdown().await.unwrap();
    std::fs::write(
        setup.settings.attestation_root.join("keys/_sgx_mrenclave"),
        [0xa5; 16],
    )
    .unwrap();
    let error = setup.start().await.err().unwrap();
    assert!(
        error.contains("cannot unseal") && error.contains("service-secrets.json"),
        "{error}"
    );
}
