//! A node on `platform = "snp"` with `kds_url` (and no `auxblob` from its host) asks
//! AMD KDS for the VCEK of its report's chip and TCB at start and serves it with its
//! evidence, so that a client verifies it; a KDS that fails, or a report whose chip
//! generation is unknown, stops the node naming why.
//!
//! The KDS is a loopback HTTP server that serves the TEST-ONLY VCEK of
//! `fixtures/snp-test-chain` at the path of the template report's CHIP_ID only; the
//! node's reports come from the configfs-tsm stand-in (`fake_tsm`: the real Milan
//! report format, version 2, which does not name its generation).
#![allow(clippy::unwrap_used)]

mod common;
mod fake_tsm;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use fake_tsm::*;
use strongroom_api_types::EvidenceCollateral;
use strongroom_client::Client;
use strongroom_contract::KvContract;
use strongroom_node::{Node, NodeSettings, RunningNode, TeeAccess};
use strongroom_tee::{MeasurementPattern, PlatformKind, Policy};

/// Where an SNP report holds its CHIP_ID.
const CHIP_ID_OFFSET: usize = 0x1a0;

/// A KDS on loopback serving `vcek` for one chip, or `status` for everything.
struct Kds {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Kds {
    async fn start(status: StatusCode) -> Self {
        let template = shared_sample("virtee-sev/report_milan.bin");
        let path = format!(
            "/vcek/v1/Milan/{}",
            hex::encode(&template[CHIP_ID_OFFSET..][..64])
        );
        let vcek = der_of_pem(&fixture("vcek.pem"));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let app = axum::Router::new().fallback(move |uri: Uri| {
            let (log, path, vcek) = (log.clone(), path.clone(), vcek.clone());
            async move {
                log.lock().unwrap().push(uri.to_string());
                if status != StatusCode::OK {
                    status.into_response()
                } else if uri.path() == path {
                    vcek.into_response()
                } else {
                    StatusCode::NOT_FOUND.into_response()
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, asked }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

struct Setup {
    _base: tempfile::TempDir,
    settings: NodeSettings,
}

fn snp_settings(kds: &Kds, product: Option<&str>) -> Setup {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let tsm_root = base.path().join("tsm-report");
    std::fs::create_dir(&tsm_root).unwrap();
    let settings = NodeSettings {
        platform: PlatformKind::Snp.name().into(),
        tsm_root,
        kds_url: Some(kds.url()),
        snp_product: product.map(str::to_owned),
        ..common::settings(&base.path().join("node"), &[&org])
    };
    Setup {
        _base: base,
        settings,
    }
}

async fn open(settings: &NodeSettings) -> Result<Node, String> {
    let tee = TeeAccess::with_tsm_filesystem(Arc::new(FakeKernel::snp()));
    Node::open_with(settings, Box::new(KvContract), &tee)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_serves_the_vcek_of_its_chip_and_a_client_verifies_with_it() {
    let kds = Kds::start(StatusCode::OK).await;
    let setup = snp_settings(&kds, Some("Milan"));
    let running = RunningNode::start(open(&setup.settings).await.unwrap(), &setup.settings)
        .await
        .unwrap();
    assert_eq!(
        running.node().collateral(),
        Some(EvidenceCollateral::Snp(der_of_pem(&fixture("vcek.pem"))))
    );
    let asked = kds.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains("?blSPL="),
        "the TCB is in the query: {asked:?}"
    );

    let roots = [fixture("ask.pem"), fixture("ark.pem")].concat();
    let policy = Policy::new()
        .with_allowed(
            PlatformKind::Snp,
            MeasurementPattern::Exact(snp_template_measurement()),
        )
        .with_snp_roots(&roots)
        .unwrap();
    let client = Client::connect(
        &format!("https://localhost:{}", running.addr().port()),
        None,
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(client.claims().platform, PlatformKind::Snp);
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_whose_kds_fails_stops_naming_the_url_and_the_status() {
    let kds = Kds::start(StatusCode::SERVICE_UNAVAILABLE).await;
    let setup = snp_settings(&kds, Some("Milan"));
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("kds_url: cannot fetch this node's VCEK")
            && error.contains(&kds.url())
            && error.contains("503"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_snp_node_whose_reports_do_not_name_their_generation_needs_snp_product() {
    let kds = Kds::start(StatusCode::OK).await;
    let setup = snp_settings(&kds, None);
    let error = open(&setup.settings).await.err().unwrap();
    assert!(error.contains("set the product"), "{error}");
    assert!(kds.asked.lock().unwrap().is_empty(), "nothing was fetched");
}

#[tokio::test(flavor = "multi_thread")]
async fn kds_url_on_a_tdx_node_is_refused_naming_it() {
    let kds = Kds::start(StatusCode::OK).await;
    let mut setup = snp_settings(&kds, None);
    setup.settings.platform = PlatformKind::Tdx.name().into();
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("kds_url: AMD KDS serves SEV-SNP VCEKs"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_snp_product_is_refused_naming_it() {
    let kds = Kds::start(StatusCode::OK).await;
    let setup = snp_settings(&kds, Some("Rome"));
    let error = open(&setup.settings).await.err().unwrap();
    assert!(
        error.contains("snp_product: \"Rome\" is none of"),
        "{error}"
    );
}
