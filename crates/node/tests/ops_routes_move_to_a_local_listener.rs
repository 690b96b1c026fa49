//! `/metrics` and `/healthz` move to a listener of their own with `ops_listen`: plain
//! HTTP on a loopback address, serving only those two, while the HTTPS API listener
//! answers 404 for them (and its OpenAPI document no longer lists them). Without the
//! setting both stay on the API listener. A non-loopback address is refused at start
//! unless `ops_listen_public` says so. Over real sockets.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check_error, raw_http};

use strongroom_api_types::Health;
use strongroom_contract::KvContract;
use strongroom_node::http::METRICS_CONTENT_TYPE;
use strongroom_node::{Node, RunningNode};

async fn body(response: reqwest::Response, status: u16) -> String {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_routes_move_to_a_local_listener() {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let mut settings = common::settings(&base.path().join("node"), &[&org]);
    settings.ops_listen = Some("127.0.0.1:0".parse().unwrap());
    let running = common::start(&settings).await;
    let ops = running.ops_addr().unwrap();
    assert!(ops.ip().is_loopback() && ops.port() != 0);
    let https = raw_http(running.cert_pem(), b"h2");
    let api = |path: &str| format!("https://localhost:{}{path}", running.addr().port());
    // The TLS settings of this client play no part in plain HTTP.
    let plain = raw_http(running.cert_pem(), b"http/1.1");
    let local = |path: &str| format!("http://{ops}{path}");

    for path in ["/metrics", "/healthz"] {
        let response = https.get(api(path)).send().await.unwrap();
        check_error(response, 404, "not_found", &format!("no route GET {path}")).await;
    }
    let document: serde_json::Value = https
        .get(api("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.contains_key("/metrics") && !paths.contains_key("/healthz"));
    assert!(paths.contains_key("/v1/attestation"));

    let response = plain.get(local("/metrics")).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        METRICS_CONTENT_TYPE
    );
    let metrics = body(response, 200).await;
    // The API listener's refusals above are counted where operators look.
    assert!(
        metrics.contains(r#"strongroom_http_requests_total{route="unmatched",status="404"} 2"#),
        "{metrics}"
    );
    let health: Health =
        serde_json::from_str(&body(plain.get(local("/healthz")).send().await.unwrap(), 200).await)
            .unwrap();
    assert_eq!(health.status, "ok");
    assert!(health.leader);
    // Only those two: the API is not reachable over plain HTTP.
    for path in ["/v1/openapi.json", "/v1/attestation?nonce=00"] {
        let response = plain.get(local(path)).send().await.unwrap();
        check_error(response, 404, "not_found", "no route").await;
    }
    running.shutdown().await.unwrap();
    assert!(
        plain.get(local("/healthz")).send().await.is_err(),
        "the ops listener stops with the node"
    );

    // Without the setting, both are on the API listener, as before.
    settings.ops_listen = None;
    let running = common::start(&settings).await;
    assert_eq!(running.ops_addr(), None);
    let https = raw_http(running.cert_pem(), b"h2");
    let api = |path: &str| format!("https://localhost:{}{path}", running.addr().port());
    body(https.get(api("/metrics")).send().await.unwrap(), 200).await;
    body(https.get(api("/healthz")).send().await.unwrap(), 200).await;
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_ops_address_is_refused_unless_allowed() {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let mut settings = common::settings(&base.path().join("node"), &[&org]);
    for public in ["0.0.0.0:0", "[::]:0", "192.0.2.1:9090"] {
        settings.ops_listen = Some(public.parse().unwrap());
        let error = Node::open(&settings, Box::new(KvContract))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ops_listen") && error.contains("not a loopback address"),
            "{public}: {error}"
        );
        assert!(error.contains("ops_listen_public = true"), "{error}");
    }
    // A node opened with good settings does not start serving with a bad one either.
    settings.ops_listen = Some("127.0.0.1:0".parse().unwrap());
    let node = Node::open(&settings, Box::new(KvContract)).await.unwrap();
    settings.ops_listen = Some("0.0.0.0:0".parse().unwrap());
    let error = RunningNode::start(node, &settings).await.unwrap_err();
    assert!(
        error.to_string().contains("not a loopback address"),
        "{error}"
    );

    // Said explicitly, it is served there.
    settings.ops_listen_public = true;
    let running = common::start(&settings).await;
    let ops = running.ops_addr().unwrap();
    assert!(ops.ip().is_unspecified());
    let response = raw_http(running.cert_pem(), b"http/1.1")
        .get(format!("http://127.0.0.1:{}/healthz", ops.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    running.shutdown().await.unwrap();
}
