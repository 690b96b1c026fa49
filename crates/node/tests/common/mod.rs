//! A node on a temporary directory, serving its API on a free port, with one org.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strongroom_api_types::ErrorBody;
use strongroom_client::Client;
use strongroom_contract::KvContract;
use strongroom_contract::sharing::SharingContract;
use strongroom_identity::{Member, OrgCa, Role, Validity};
use strongroom_node::{GenesisOrg, Node, NodeSettings, RunningNode};
use strongroom_tee::{CodeIdentity, MeasurementPattern, PlatformKind, Policy};

pub struct Org {
    pub ca: OrgCa,
    pub dir: PathBuf,
}

pub fn org(base: &Path, msp: &str) -> Org {
    let validity = Validity::starting_now(time::Duration::days(30)).unwrap();
    let ca = OrgCa::new(msp, validity).unwrap();
    let dir = base.join(msp);
    std::fs::create_dir_all(&dir).unwrap();
    ca.save(&dir, None).unwrap();
    Org { ca, dir }
}

pub fn member(org: &Org, name: &str, role: Role) -> Member {
    let validity = Validity::starting_now(time::Duration::days(30)).unwrap();
    org.ca.enroll_member(name, role, validity).unwrap()
}

pub fn settings(data: &Path, orgs: &[&Org]) -> NodeSettings {
    NodeSettings {
        data_dir: data.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        organizations: orgs
            .iter()
            .map(|o| GenesisOrg {
                msp_id: o.ca.msp_id().to_owned(),
                ca_cert: o.dir.join("ca.pem"),
            })
            .collect(),
        signature_every_ms: 20,
        ..NodeSettings::default()
    }
}

/// The policy a client of a sim node uses (INSECURE SIMULATION allowed, this build).
pub fn sim_policy() -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(CodeIdentity::of_this_build().measurement()),
    )
}

pub async fn start(settings: &NodeSettings) -> RunningNode {
    let node = Node::open(settings, Box::new(KvContract)).await.unwrap();
    RunningNode::start(node, settings).await.unwrap()
}

/// A node running the data-sharing contract.
pub async fn start_sharing(settings: &NodeSettings) -> RunningNode {
    let node = Node::open(settings, Box::new(SharingContract))
        .await
        .unwrap();
    RunningNode::start(node, settings).await.unwrap()
}

/// A client that trusts the node by its attestation alone (no certificate pinned by
/// hand).
pub async fn client(running: &RunningNode) -> Client {
    Client::connect(
        &format!("https://localhost:{}", running.addr().port()),
        None,
        &sim_policy(),
    )
    .await
    .unwrap()
}

/// A plain HTTPS client trusting the node's certificate, for requests the SDK never
/// sends.
pub fn raw_http(cert_pem: &str, alpn: &[u8]) -> reqwest::Client {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![alpn.to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .unwrap()
}

/// Checks an API error: its status, JSON content type, code, and that the sentence
/// says `needle`.
pub async fn check_error(response: reqwest::Response, status: u16, code: &str, needle: &str) {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert_eq!(content_type.as_deref(), Some("application/json"), "{text}");
    let body: ErrorBody = serde_json::from_str(&text).unwrap();
    assert_eq!(body.code, code, "{text}");
    assert!(
        body.error.contains(needle),
        "the error should say {needle:?}: {text}"
    );
}
