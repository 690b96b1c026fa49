//! A node started with `platform = "tdx"` or `"snp"` runs its core on the real
//! configfs-tsm producer (`strongroom_tee::ConfigfsTsm`); only the file system under
//! `tsm_root` is a stand-in for the kernel, handed to the node through
//! `TeeAccess::with_tsm_filesystem`.
//!
//! - TDX: the fake kernel answers with the real TDX quote of the shared test data,
//!   its report data replaced by the inblob (so it no longer verifies: the test
//!   checks what the node serves, byte for byte).
//! - SNP: the fake kernel answers with the real Milan report format, its report data
//!   replaced by the inblob and signed with the TEST-ONLY VCEK of
//!   `tests/fixtures/snp-test-chain` (ARK and ASK RSA-PSS, VCEK ECDSA P-384, made by
//!   its `make.sh`), so a client that is given that chain verifies it for real.
//!
//! The collateral travels with the evidence: the SNP node serves the VCEK of the fake
//! kernel's `auxblob` (a GHCB certificate table) or of its `collateral` file, and
//! `Client::connect` verifies with it under a policy that pins the TEST chain's
//! roots in place of AMD's (`Policy::with_snp_roots`, explicit in each test).
#![allow(clippy::unwrap_used)]

mod common;
mod fake_tsm;

use std::path::PathBuf;
use std::sync::Arc;

use fake_tsm::*;
use strongroom_api_types::{Attestation, EvidenceCollateral};
use strongroom_client::Client;
use strongroom_contract::KvContract;
use strongroom_node::{
    Node, NodeError, NodeSettings, RecoveringNode, RunningNode, TLS_CERT_FILE, TeeAccess,
};
use strongroom_tee::{
    Collateral, Evidence, Measurement, MeasurementPattern, PlatformKind, Policy, SnpCollateral,
    verify,
};

struct Setup {
    _base: tempfile::TempDir,
    settings: NodeSettings,
    kernel: FakeKernel,
}

fn setup(platform: PlatformKind, kernel: FakeKernel) -> Setup {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let tsm_root = base.path().join("tsm-report");
    std::fs::create_dir(&tsm_root).unwrap();
    let settings = NodeSettings {
        platform: platform.name().into(),
        tsm_root,
        ..common::settings(&base.path().join("node"), &[&org])
    };
    Setup {
        _base: base,
        settings,
        kernel,
    }
}

impl Setup {
    fn tee(&self) -> TeeAccess {
        TeeAccess::with_tsm_filesystem(Arc::new(self.kernel.clone()))
    }

    async fn open(&self) -> Result<Node, NodeError> {
        Node::open_with(&self.settings, Box::new(KvContract), &self.tee()).await
    }

    async fn start(&self) -> RunningNode {
        RunningNode::start(self.open().await.unwrap(), &self.settings)
            .await
            .unwrap()
    }
}

/// The test chain's VCEK, ASK and ARK.
fn test_chain() -> Collateral {
    let chain = [fixture("ask.pem"), fixture("ark.pem")].concat();
    SnpCollateral::from_vcek(&fixture("vcek.pem"))
        .unwrap()
        .with_chain(&chain)
        .unwrap()
        .into()
}

/// Verifies what an SNP node served, as a client given the test chain does.
async fn verify_snp_node(policy: &Policy) -> Result<strongroom_tee::Claims, String> {
    let setup = setup(PlatformKind::Snp, FakeKernel::snp());
    let running = setup.start().await;
    let nonce = [3u8; 32];
    let served = attestation(&running, nonce).await;
    assert_eq!(served.platform, "snp");
    let evidence = Evidence::new(PlatformKind::Snp, served.evidence.clone());
    let verified = verify(
        &evidence,
        &test_chain(),
        policy,
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| e.to_string());
    if let Ok(claims) = &verified {
        assert_eq!(claims.report_data, expected_report_data(&served, &nonce));
    }
    running.shutdown().await.unwrap();
    verified
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tdx_node_serves_the_outblob_the_kernel_made_for_its_report_data() {
    let setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    let running = setup.start().await;
    let nonce = [7u8; 32];
    let served = attestation(&running, nonce).await;

    assert_eq!(served.platform, "tdx");
    assert!(!served.insecure, "a TDX node is not the simulation");
    let (inblob, outblob) = setup.kernel.last_answer();
    assert_eq!(
        inblob,
        expected_report_data(&served, &nonce),
        "the node asked the kernel to bind its attested keys, endpoint and the nonce"
    );
    assert_eq!(
        served.evidence, outblob,
        "the node serves the kernel's outblob"
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_with_the_chain_accepts_an_snp_node_whose_measurement_its_policy_allows() {
    let policy = Policy::new().with_allowed(
        PlatformKind::Snp,
        MeasurementPattern::Exact(snp_template_measurement()),
    );
    let claims = verify_snp_node(&policy).await.unwrap();
    assert_eq!(claims.platform, PlatformKind::Snp);
    assert_eq!(claims.measurement, snp_template_measurement());
    assert!(!claims.insecure);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_refuses_an_snp_node_whose_measurement_its_policy_does_not_allow() {
    let other = Measurement::new(vec![0x5a; 48]);
    let policy = Policy::new().with_allowed(PlatformKind::Snp, MeasurementPattern::Exact(other));
    let error = verify_snp_node(&policy).await.unwrap_err();
    assert!(
        error.contains("no [[allow]] entry admits")
            && error.contains(&snp_template_measurement().to_hex()),
        "the refusal names the measurement: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_refuses_an_snp_node_when_its_policy_allows_another_platform() {
    let policy = Policy::new().with_allowed(PlatformKind::Tdx, MeasurementPattern::Any);
    let error = verify_snp_node(&policy).await.unwrap_err();
    assert!(
        error.contains("no [[allow]] entry admits platform snp"),
        "the refusal names the platform: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_without_sealing_writes_no_sealed_secrets() {
    let setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    let node = setup.open().await.unwrap();
    assert!(
        !setup
            .settings
            .data_dir
            .join("service-secrets.json")
            .exists(),
        "TDX has no sealing key: the secrets stay in the core's memory"
    );
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_node_without_sealing_needs_join_or_recover() {
    let setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    setup.open().await.unwrap().shutdown().await.unwrap();

    let error = setup.open().await.unwrap_err().to_string();
    assert!(
        error.contains("can only resume by attested join to a peer")
            && error.contains("or by recovery from members' shares")
            && error.contains("join")
            && error.contains("recover"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tdx_node_without_a_readable_tsm_root_fails_naming_the_path() {
    let mut setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    let missing: PathBuf = setup
        .settings
        .data_dir
        .with_file_name("no-configfs-tsm-here");
    setup.settings.tsm_root = missing.clone();
    let node = Node::open(&setup.settings, Box::new(KvContract)).await;
    let error = node.unwrap_err().to_string();
    assert!(error.contains("tsm_root"), "{error}");
    assert!(
        error.contains(&missing.display().to_string()),
        "the error names the path: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_node_without_sealing_recovers_with_evidence_from_configfs_tsm() {
    let mut setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    setup.open().await.unwrap().shutdown().await.unwrap();
    setup.settings.recover = true;

    let recovering =
        RecoveringNode::start_with(&setup.settings, Box::new(KvContract), &setup.tee())
            .await
            .unwrap()
            .expect("a ledger whose secrets were only in memory needs recovery");
    assert!(!recovering.insecure());
    let http = common::raw_http(
        &std::fs::read_to_string(setup.settings.data_dir.join(TLS_CERT_FILE)).unwrap(),
        b"h2",
    );
    let url = format!(
        "https://localhost:{}/v1/attestation?nonce={}",
        recovering.addr().port(),
        "cd".repeat(16)
    );
    let served: Attestation = http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(served.platform, "tdx");
    assert!(served.recovery_key.is_some(), "recovery evidence");
    assert_eq!(served.evidence, setup.kernel.last_answer().1);
    recovering.finish().await.unwrap();
}

/// A policy naming the SNP measurement and trusting the TEST chain's ASK and ARK
/// instead of AMD's roots: explicit here, never a default.
fn policy_trusting_the_test_roots() -> Policy {
    let roots = [fixture("ask.pem"), fixture("ark.pem")].concat();
    Policy::new()
        .with_allowed(
            PlatformKind::Snp,
            MeasurementPattern::Exact(snp_template_measurement()),
        )
        .with_snp_roots(&roots)
        .unwrap()
}

async fn connect(running: &RunningNode, policy: &Policy) -> Result<Client, String> {
    Client::connect(
        &format!("https://localhost:{}", running.addr().port()),
        None,
        policy,
    )
    .await
    .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_accepts_an_snp_node_whose_vcek_comes_from_the_auxblob() {
    let setup = setup(
        PlatformKind::Snp,
        FakeKernel::snp().with_auxblob(test_chain_table()),
    );
    let running = setup.start().await;

    let served = attestation(&running, [4u8; 32]).await;
    assert_eq!(
        served.collateral,
        Some(EvidenceCollateral::Snp(der_of_pem(&fixture("vcek.pem")))),
        "the node serves the auxblob's VCEK with its evidence"
    );
    let client = connect(&running, &policy_trusting_the_test_roots())
        .await
        .unwrap();
    assert_eq!(client.claims().platform, PlatformKind::Snp);
    assert_eq!(client.claims().measurement, snp_template_measurement());

    // Under AMD's built-in roots the test VCEK is refused: the test roots were trusted
    // only because the policy said so.
    let amd_roots = Policy::new().with_allowed(
        PlatformKind::Snp,
        MeasurementPattern::Exact(snp_template_measurement()),
    );
    let error = connect(&running, &amd_roots).await.unwrap_err();
    assert!(
        error.contains("VCEK is not signed by the AMD ASK"),
        "{error}"
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_accepts_an_snp_node_whose_vcek_comes_from_its_collateral_file() {
    let mut setup = setup(PlatformKind::Snp, FakeKernel::snp());
    let file = setup.settings.data_dir.with_file_name("vcek-and-chain.pem");
    let bundle = [fixture("vcek.pem"), fixture("ask.pem"), fixture("ark.pem")].concat();
    std::fs::write(&file, &bundle).unwrap();
    setup.settings.collateral = Some(file);
    let running = setup.start().await;

    let served = attestation(&running, [5u8; 32]).await;
    assert_eq!(served.collateral, Some(EvidenceCollateral::Snp(bundle)));
    let client = connect(&running, &policy_trusting_the_test_roots())
        .await
        .unwrap();
    assert_eq!(client.claims().measurement, snp_template_measurement());
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_refuses_an_snp_node_that_serves_no_collateral_naming_it() {
    let setup = setup(PlatformKind::Snp, FakeKernel::snp());
    let running = setup.start().await;
    assert_eq!(attestation(&running, [6u8; 32]).await.collateral, None);

    let error = connect(&running, &policy_trusting_the_test_roots())
        .await
        .unwrap_err();
    assert!(
        error.contains("no collateral with its snp evidence")
            && error.contains("the chip's VCEK certificate"),
        "{error}"
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_with_a_corrupted_auxblob_stops_naming_it() {
    let mut table = test_chain_table();
    // The VCEK entry's length now runs past the table.
    table[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    let setup = setup(PlatformKind::Snp, FakeKernel::snp().with_auxblob(table));
    let error = setup.open().await.unwrap_err().to_string();
    assert!(
        error.contains("auxblob")
            && error.contains("entry 0 (VCEK)")
            && error.contains("not inside the table"),
        "{error}"
    );

    let setup = self::setup(
        PlatformKind::Snp,
        FakeKernel::snp().with_auxblob(b"garbage".to_vec()),
    );
    let error = setup.open().await.unwrap_err().to_string();
    assert!(
        error.contains("auxblob") && error.contains("certificate table"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tdx_node_serves_its_dcap_collateral_file_and_refuses_one_that_is_not() {
    let mut setup = setup(PlatformKind::Tdx, FakeKernel::tdx());
    let file = setup.settings.data_dir.with_file_name("collateral.json");
    let json = shared_sample("dcap-qvl/tdx_quote_collateral.json");
    std::fs::write(&file, &json).unwrap();
    setup.settings.collateral = Some(file.clone());
    let running = setup.start().await;
    assert_eq!(
        attestation(&running, [8u8; 32]).await.collateral,
        Some(EvidenceCollateral::Dcap(json))
    );
    running.shutdown().await.unwrap();

    std::fs::write(&file, b"{\"not\": \"collateral\"}").unwrap();
    let mut setup = self::setup(PlatformKind::Tdx, FakeKernel::tdx());
    setup.settings.collateral = Some(file.clone());
    let error = setup.open().await.unwrap_err().to_string();
    assert!(
        error.contains("collateral")
            && error.contains(&file.display().to_string())
            && error.contains("is not tdx collateral"),
        "{error}"
    );
}
