//! The node's evidence binds the TLS key it serves with, and the client checks that
//! binding against the connection the evidence came over. A relay that terminates TLS
//! with a key of its own and forwards every request to the real node (so the evidence
//! it passes on is genuine, fresh, and for the client's nonce) is refused: nothing
//! but the attestation request ever reaches it. The same client connects to the node
//! itself. Over real sockets.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Request, Response, Uri};
use strongroom_client::{Client, ClientError};
use tokio::sync::Mutex;

/// What the relay forwards to, and the paths it was asked for.
#[derive(Clone)]
struct Relay {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn forward(State(relay): State<Relay>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    relay.seen.lock().await.push(path.clone());
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let method = Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let upstream = relay
        .http
        .request(method, format!("{}{path}", relay.upstream))
        .body(body)
        .send()
        .await
        .unwrap();
    let mut response = Response::builder().status(upstream.status().as_u16());
    if let Some(kind) = upstream.headers().get("content-type") {
        response = response.header("content-type", kind.as_bytes());
    }
    response
        .body(Body::from(upstream.bytes().await.unwrap()))
        .unwrap()
}

/// Starts a relay in front of `node` on a port of its own, with its own self-signed
/// TLS key for the same names. Returns its base URL and the paths it will see.
async fn start_relay(
    node: &strongroom_node::RunningNode,
    dir: &std::path::Path,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let (_, certs, key) = strongroom_node::load_or_create_tls(dir, &names).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let seen = Arc::new(Mutex::new(Vec::new()));
    let relay = Relay {
        upstream: format!("https://localhost:{}", node.addr().port()),
        http: common::raw_http(node.cert_pem(), b"h2"),
        seen: seen.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(relay);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
    tokio::spawn(async move {
        axum_server::from_tcp_rustls(listener, tls)
            .serve(app.into_make_service())
            .await
    });
    (format!("https://localhost:{port}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_another_tls_key_is_refused_before_anything_else_is_sent() {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let settings = common::settings(&base.path().join("node"), &[&org]);
    let node = common::start(&settings).await;
    let (relay_url, seen) = start_relay(&node, &base.path().join("relay")).await;

    let refused = Client::connect(&relay_url, None, &common::sim_policy()).await;
    match refused {
        Err(ClientError::Attestation(reason)) => assert!(
            reason.contains("TLS key of this connection"),
            "the refusal should name the TLS key: {reason}"
        ),
        Err(other) => panic!("expected an attestation refusal, got {other}"),
        Ok(_) => panic!("a client accepted a relay that holds another TLS key"),
    }
    let seen = seen.lock().await.clone();
    assert_eq!(seen.len(), 1, "the relay saw {seen:?}");
    let uri: Uri = seen[0].parse().unwrap();
    assert_eq!(uri.path(), "/v1/attestation", "the relay saw {seen:?}");

    // The same client and policy accept the node itself: the refusal is the relay's key.
    let direct = common::client(&node).await;
    direct.health().await.unwrap();
}
