//! The attested join, end to end on the SEV-SNP evidence path: two nodes started with
//! `platform = "snp"`, each over its own stand-in for configfs-tsm (`fake_tsm`: real
//! Milan report format, signed with the TEST-ONLY VCEK of `fixtures/snp-test-chain`,
//! the VCEK in the `auxblob`). The founder records a node policy *file* at genesis;
//! the joiner sends its evidence and the auxblob's VCEK to the founder's core, which
//! verifies it under that policy and wraps the service secrets to the joiner's key.
//!
//! - With `snp_roots` naming the test chain and `[[allow]]` naming the report's
//!   measurement, the joiner gets the secrets: it serves the same service keys and the
//!   founder's Raft counts it as a voter.
//! - Without `snp_roots` (AMD's built-in roots), or with another measurement, the
//!   founder's core refuses it, the joiner stops naming the reason, and the founder's
//!   membership is unchanged.
#![allow(clippy::unwrap_used)]

mod common;
mod fake_tsm;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_tsm::*;
use strongroom_contract::KvContract;
use strongroom_identity::{SubjectAltName, Validity};
use strongroom_node::{Node, NodeError, NodeSettings, RunningNode, TeeAccess};
use strongroom_tee::PlatformKind;

/// The node policy file: the test chain's roots in place of AMD's, and `measurement`.
fn node_policy_file(measurement: &str, pin_test_roots: bool) -> String {
    let roots = if pin_test_roots {
        let pem = [fixture("ask.pem"), fixture("ark.pem")].concat();
        format!(
            "snp_roots = '''\n{}'''\n\n",
            String::from_utf8(pem).unwrap()
        )
    } else {
        String::new()
    };
    format!("{roots}[[allow]]\nplatform = \"snp\"\nmeasurement = \"{measurement}\"\n")
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A consortium of one organization whose founder runs on SNP under `policy`.
struct Consortium {
    base: tempfile::TempDir,
    org: common::Org,
    founder: RunningNode,
    founder_peer: String,
}

/// The settings of an SNP cluster node `id` under `base`, its node certificate
/// issued by `org`.
fn snp_settings(base: &Path, org: &common::Org, id: u64) -> NodeSettings {
    let dir = base.join(format!("node{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("node{id}");
    org.ca
        .enroll_node(
            &name,
            &[SubjectAltName::Ip(Ipv4Addr::LOCALHOST.into())],
            Validity::starting_now(time::Duration::days(30)).unwrap(),
        )
        .unwrap()
        .save(&dir, None)
        .unwrap();
    let tsm_root = dir.join("tsm-report");
    std::fs::create_dir(&tsm_root).unwrap();
    NodeSettings {
        platform: PlatformKind::Snp.name().into(),
        tsm_root,
        node_id: id,
        peer_listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()))),
        node_certificate: Some(dir.join(format!("{name}.pem"))),
        election_timeout_ms: 500,
        ..common::settings(&dir.join("data"), &[org])
    }
}

/// The stand-in kernel of an SNP guest whose host supplies the test chain's table.
fn snp_kernel() -> TeeAccess {
    TeeAccess::with_tsm_filesystem(Arc::new(FakeKernel::snp().with_auxblob(test_chain_table())))
}

impl Consortium {
    async fn found(policy: &str) -> Self {
        let base = tempfile::tempdir().unwrap();
        let org = common::org(base.path(), "Org1MSP");
        let mut settings = snp_settings(base.path(), &org, 1);
        let policy_path = base.path().join("node-policy.toml");
        std::fs::write(&policy_path, policy).unwrap();
        settings.node_policy = Some(policy_path);
        let node = Node::open_with(&settings, Box::new(KvContract), &snp_kernel())
            .await
            .unwrap();
        let founder = RunningNode::start(node, &settings).await.unwrap();
        let founder_peer = founder.peer_addr().unwrap().to_string();
        Self {
            base,
            org,
            founder,
            founder_peer,
        }
    }

    /// Opens node 2 of the same organization with `join` set to the founder.
    async fn join(&self) -> (NodeSettings, Result<Node, NodeError>) {
        let settings = NodeSettings {
            join: Some(self.founder_peer.clone()),
            ..snp_settings(self.base.path(), &self.org, 2)
        };
        let opened = Node::open_with(&settings, Box::new(KvContract), &snp_kernel()).await;
        (settings, opened)
    }

    fn voters(&self) -> Vec<u64> {
        let metrics = self.founder.node().raft().metrics().borrow().clone();
        metrics.membership_config.membership().voter_ids().collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_joins_when_the_node_policy_file_pins_its_roots_and_measurement() {
    let measurement = snp_template_measurement().to_hex();
    let consortium = Consortium::found(&node_policy_file(&measurement, true)).await;

    let (settings, opened) = consortium.join().await;
    let joiner = RunningNode::start(opened.unwrap(), &settings)
        .await
        .unwrap();

    let (founder, joined) = (
        attestation(&consortium.founder, [0xab; 32]).await,
        attestation(&joiner, [0xab; 32]).await,
    );
    assert_eq!(joined.platform, "snp");
    assert_eq!(
        (&joined.signing_key, &joined.transaction_key),
        (&founder.signing_key, &founder.transaction_key),
        "the joiner holds the service keys the founder's core wrapped to it"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while consortium.voters() != [1, 2] {
        assert!(
            Instant::now() < deadline,
            "the joiner never became a voter: {:?}",
            consortium.voters()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    joiner.shutdown().await.unwrap();
    consortium.founder.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_is_refused_when_the_node_policy_file_trusts_only_amds_roots() {
    let measurement = snp_template_measurement().to_hex();
    let consortium = Consortium::found(&node_policy_file(&measurement, false)).await;

    let error = consortium.join().await.1.err().unwrap().to_string();
    assert!(
        error.contains("refused this node") && error.contains("VCEK is not signed by the AMD ASK"),
        "{error}"
    );
    assert_eq!(consortium.voters(), [1], "the membership is unchanged");
    consortium.founder.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_is_refused_when_the_node_policy_file_names_another_measurement() {
    let consortium = Consortium::found(&node_policy_file(&"5a".repeat(48), true)).await;

    let error = consortium.join().await.1.err().unwrap().to_string();
    assert!(
        error.contains("refused this node")
            && error.contains("no [[allow]] entry admits platform snp")
            && error.contains(&snp_template_measurement().to_hex()),
        "{error}"
    );
    assert_eq!(consortium.voters(), [1], "the membership is unchanged");
    consortium.founder.shutdown().await.unwrap();
}
