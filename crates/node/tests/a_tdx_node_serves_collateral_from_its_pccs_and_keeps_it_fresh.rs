//! A node on `platform = "tdx"` with `pccs_url` fetches its DCAP collateral from the
//! PCCS at start, serves it with its evidence, and fetches it again every
//! `pccs_refresh_s`; a PCCS that fails at start stops the node naming what failed,
//! and a failed refresh keeps the last collateral.
//!
//! The PCCS here is a loopback HTTP server that answers as a PCCS does (API v4: signed
//! TCB info and QE identity bodies, percent-encoded issuer chain headers, the root CA
//! CRL as hex), with the items of the shared test data's collateral files. The node's
//! quote comes from the configfs-tsm stand-in (`fake_tsm`): Intel's real TDX quote, so
//! its PCK certificate names the real FMSPC.
#![allow(clippy::unwrap_used)]

mod common;
mod fake_tsm;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fake_tsm::*;
use strongroom_api_types::EvidenceCollateral;
use strongroom_contract::KvContract;
use strongroom_node::{Node, NodeSettings, RunningNode, TeeAccess};
use strongroom_tee::PlatformKind;

/// The items a PCCS serves, from a collateral JSON file of the shared data.
#[derive(Clone)]
struct Items {
    fields: serde_json::Value,
}

impl Items {
    fn of(file: &str) -> Self {
        Self {
            fields: serde_json::from_slice(&shared_sample(file)).unwrap(),
        }
    }

    fn text(&self, key: &str) -> String {
        self.fields[key].as_str().unwrap().to_owned()
    }

    /// The answer to `path`, as a PCCS gives it.
    fn answer(&self, path: &str) -> Response {
        let chain = |key: &str| strongroom_tee::pccs::percent_encode(&self.text(key));
        let signed = |name: &str, body: &str, signature: &str| {
            format!(
                r#"{{"{name}":{},"signature":"{}"}}"#,
                self.text(body),
                self.text(signature)
            )
        };
        if path.ends_with("/sgx/certification/v4/pckcrl") {
            let der = hex::decode(self.text("pck_crl")).unwrap();
            (
                [("SGX-PCK-CRL-Issuer-Chain", chain("pck_crl_issuer_chain"))],
                der,
            )
                .into_response()
        } else if path.ends_with("/tdx/certification/v4/tcb") {
            let body = signed("tcbInfo", "tcb_info", "tcb_info_signature");
            (
                [("TCB-Info-Issuer-Chain", chain("tcb_info_issuer_chain"))],
                body,
            )
                .into_response()
        } else if path.ends_with("/tdx/certification/v4/qe/identity") {
            let body = signed("enclaveIdentity", "qe_identity", "qe_identity_signature");
            (
                [(
                    "SGX-Enclave-Identity-Issuer-Chain",
                    chain("qe_identity_issuer_chain"),
                )],
                body,
            )
                .into_response()
        } else if path.ends_with("/sgx/certification/v4/rootcacrl") {
            self.text("root_ca_crl").into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// What the PCCS serves now: items, or an HTTP error for every request.
#[derive(Clone)]
enum Serving {
    Items(Items),
    Error(StatusCode),
}

/// A PCCS on loopback; what it serves can change while it runs.
struct Pccs {
    addr: SocketAddr,
    serving: Arc<Mutex<Serving>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Pccs {
    async fn start(serving: Serving) -> Self {
        let serving = Arc::new(Mutex::new(serving));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (state, log) = (serving.clone(), asked.clone());
        let app = axum::Router::new().fallback(move |uri: Uri| {
            let (state, log) = (state.clone(), log.clone());
            async move {
                log.lock().unwrap().push(uri.to_string());
                let serving = state.lock().unwrap().clone();
                match serving {
                    Serving::Items(items) => items.answer(uri.path()),
                    Serving::Error(status) => status.into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            serving,
            asked,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&self, serving: Serving) {
        *self.serving.lock().unwrap() = serving;
    }
}

struct Setup {
    _base: tempfile::TempDir,
    settings: NodeSettings,
}

fn tdx_settings(pccs: &Pccs, refresh_s: u64) -> Setup {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let tsm_root = base.path().join("tsm-report");
    std::fs::create_dir(&tsm_root).unwrap();
    let settings = NodeSettings {
        platform: PlatformKind::Tdx.name().into(),
        tsm_root,
        pccs_url: Some(pccs.url()),
        pccs_refresh_s: refresh_s,
        ..common::settings(&base.path().join("node"), &[&org])
    };
    Setup {
        _base: base,
        settings,
    }
}

/// A TDX node refreshing every `refresh_s` from a PCCS that serves the TDX sample's
/// collateral.
async fn started(refresh_s: u64) -> (Pccs, Setup, RunningNode) {
    let pccs = Pccs::start(Serving::Items(Items::of(
        "dcap-qvl/tdx_quote_collateral.json",
    )))
    .await;
    let setup = tdx_settings(&pccs, refresh_s);
    let running = RunningNode::start(open(&setup.settings).await.unwrap(), &setup.settings)
        .await
        .unwrap();
    (pccs, setup, running)
}

async fn open(settings: &NodeSettings) -> Result<Node, String> {
    let tee = TeeAccess::with_tsm_filesystem(Arc::new(FakeKernel::tdx()));
    Node::open_with(settings, Box::new(KvContract), &tee)
        .await
        .map_err(|e| e.to_string())
}

/// The fields of collateral JSON, to compare collateral whatever its key order.
fn fields(json: &[u8]) -> serde_json::Value {
    serde_json::from_slice(json).unwrap()
}

fn served_fields(running: &RunningNode) -> serde_json::Value {
    match running.node().collateral() {
        Some(EvidenceCollateral::Dcap(json)) => fields(&json),
        other => panic!("the node serves no DCAP collateral: {other:?}"),
    }
}

fn shared_fields(file: &str) -> serde_json::Value {
    fields(&shared_sample(file))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tdx_node_serves_the_collateral_its_pccs_answered_for_its_fmspc() {
    let (pccs, _setup, running) = started(3600).await;

    assert_eq!(
        served_fields(&running),
        shared_fields("dcap-qvl/tdx_quote_collateral.json"),
        "every item, byte for byte, as the PCCS signed-and-served it"
    );
    let asked = pccs.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(
        asked
            .iter()
            .any(|uri| uri.starts_with("/tdx/certification/v4/tcb?fmspc=")),
        "the TCB info of the quote's FMSPC: {asked:?}"
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tdx_node_replaces_its_collateral_when_the_pccs_serves_a_new_one() {
    let (pccs, _setup, running) = started(1).await;
    let newer = shared_fields("dcap-qvl/tdx_quote_outdated_collateral.json");
    assert_ne!(served_fields(&running), newer);

    pccs.serve(Serving::Items(Items::of(
        "dcap-qvl/tdx_quote_outdated_collateral.json",
    )));
    let deadline = Instant::now() + Duration::from_secs(20);
    while served_fields(&running) != newer {
        assert!(Instant::now() < deadline, "no refresh within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_refresh_keeps_the_last_collateral() {
    let (pccs, _setup, running) = started(1).await;
    let before = pccs.asked.lock().unwrap().len();

    pccs.serve(Serving::Error(StatusCode::SERVICE_UNAVAILABLE));
    let deadline = Instant::now() + Duration::from_secs(20);
    while pccs.asked.lock().unwrap().len() == before {
        assert!(Instant::now() < deadline, "no refresh within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        served_fields(&running),
        shared_fields("dcap-qvl/tdx_quote_collateral.json")
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_whose_pccs_fails_at_start_stops_naming_the_pccs_and_the_status() {
    let pccs = Pccs::start(Serving::Error(StatusCode::NOT_FOUND)).await;
    let setup = tdx_settings(&pccs, 3600);
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("pccs_url: cannot fetch this node's DCAP collateral")
            && error.contains(&pccs.url())
            && error.contains("404"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pccs_url_on_a_platform_without_dcap_is_refused_naming_it() {
    let pccs = Pccs::start(Serving::Error(StatusCode::NOT_FOUND)).await;
    let mut setup = tdx_settings(&pccs, 3600);
    setup.settings.platform = PlatformKind::Snp.name().into();
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("pccs_url: a PCCS serves Intel DCAP collateral"),
        "{error}"
    );
    assert!(pccs.asked.lock().unwrap().is_empty(), "nothing was fetched");
}

#[tokio::test(flavor = "multi_thread")]
async fn pccs_url_with_a_collateral_file_is_refused_naming_both() {
    let pccs = Pccs::start(Serving::Error(StatusCode::NOT_FOUND)).await;
    let mut setup = tdx_settings(&pccs, 3600);
    setup.settings.collateral = Some(setup.settings.data_dir.with_file_name("c.json"));
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("pccs_url and collateral: set one"),
        "{error}"
    );
}
