//! The node rejects what its OpenAPI document rejects, over HTTPS, with a 4xx
//! `ErrorBody` naming what was wrong, and accepts the edge cases the document admits.
//! Each case here is one where the node once disagreed with a tidy schema (uppercase
//! nonces, sequence 0, `from` > `to`, empty queries, an authorization header of any
//! length, a PUT of any content type, axum's plain-text rejections and 405s), so that
//! the disagreement cannot come back unnoticed; `scripts/api-fuzz.sh` explores the rest.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check_error, raw_http};

use strongroom_api_types::{DOWNLOAD_HEADER, EXPORT_HEADER, Submit, UPLOAD_HEADER, b64};
use strongroom_contract::ObjectPurpose;
use strongroom_enclave::request::{MAX_REQUEST_LEN, PreparedRequest};
use strongroom_identity::Role;
use strongroom_node::http::{MAX_AUTHORIZATION_LEN, MAX_SEALED_BASE64_LEN, MAX_SHARE_BASE64_LEN};
use strongroom_store::MAX_LOCATION_LEN;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_rejects_what_its_schema_rejects() {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let member = common::member(&org, "olivia", Role::Owner);
    let settings = common::settings(&base.path().join("node"), &[&org]);
    let running = common::start(&settings).await;
    let client = common::client(&running).await;
    let http = raw_http(running.cert_pem(), b"http/1.1");
    let url = |path: &str| format!("https://localhost:{}{path}", running.addr().port());
    let get = |path: &str| http.get(url(path));

    // The attestation nonce: lowercase hex of 16 to 32 bytes, nothing else.
    let ok = get(&format!("/v1/attestation?nonce={}", "ab".repeat(16)))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    for nonce in [
        "AB".repeat(16),
        "ab".repeat(15),
        "ab".repeat(33),
        "abc".into(),
    ] {
        let response = get(&format!("/v1/attestation?nonce={nonce}"))
            .send()
            .await
            .unwrap();
        check_error(response, 400, "bad_request", "lowercase hex").await;
    }

    // Ledger sequence numbers are u64 from 1, in a path or a query.
    for sequence in ["0", "-1", "+1", "18446744073709551616", "1.0", "x"] {
        let response = get(&format!("/v1/receipts/{sequence}"))
            .send()
            .await
            .unwrap();
        check_error(response, 400, "bad_request", "ledger sequence number").await;
        let response = get(&format!("/v1/ledger/export?from={sequence}"))
            .send()
            .await
            .unwrap();
        check_error(response, 400, "bad_request", "ledger sequence number").await;
    }
    let response = get("/v1/receipts/%FF").send().await.unwrap();
    check_error(response, 400, "bad_request", "path").await;

    // from > to is an empty range, not an error: the export holds no entry.
    let export = client.export(&member, 5, 3).await.unwrap();
    let whole = client.export(&member, 1, u64::MAX).await.unwrap();
    assert!(export.len() < whole.len() && whole.starts_with(&export));
    strongroom_ledger::verify_export(&mut whole.as_slice(), None).unwrap();

    // A sealed request is neither empty nor longer than the base64 of the core's limit,
    // for transactions and queries alike; refused before anything is ordered.
    let head = client.health().await.unwrap().ledger_sequence;
    let over = "A".repeat(MAX_SEALED_BASE64_LEN + 4);
    assert!(over.len() + 16 < settings.max_body_bytes);
    assert_eq!(MAX_SEALED_BASE64_LEN, MAX_REQUEST_LEN.div_ceil(3) * 4);
    for path in ["/v1/transactions", "/v1/queries"] {
        let response = http
            .post(url(path))
            .json(&serde_json::json!({"request": ""}))
            .send()
            .await
            .unwrap();
        check_error(response, 400, "bad_request", "request: empty").await;
        let response = http
            .post(url(path))
            .header("content-type", "application/json")
            .body(format!(r#"{{"request":"{over}"}}"#))
            .send()
            .await
            .unwrap();
        check_error(response, 413, "payload_too_large", "the core's limit").await;
        // Not the base64 the schema's pattern admits: unused bits set.
        let response = http
            .post(url(path))
            .json(&serde_json::json!({"request": "AB=="}))
            .send()
            .await
            .unwrap();
        check_error(response, 400, "bad_request", "invalid base64").await;
        let response = http
            .post(url(path))
            .header("content-type", "application/jsonx")
            .body(serde_json::to_vec(&Submit { request: vec![1] }).unwrap())
            .send()
            .await
            .unwrap();
        check_error(response, 415, "unsupported_media_type", "JSON").await;
    }
    assert_eq!(client.health().await.unwrap().ledger_sequence, head);

    // Objects: the location's syntax first (it says nothing about what is stored),
    // then the content type of an upload, then the authorization and its length.
    let location = "org1/data/file.enc";
    for bad in [
        "org1/.hidden",
        "org1//x",
        "a%20b",
        &"a".repeat(MAX_LOCATION_LEN + 1),
    ] {
        let response = get(&format!("/v1/objects/{bad}")).send().await.unwrap();
        check_error(response, 400, "bad_request", "invalid object location").await;
    }
    let response = http
        .put(url(&format!("/v1/objects/{location}")))
        .header(UPLOAD_HEADER, "AAAA")
        .body("x")
        .send()
        .await
        .unwrap();
    check_error(
        response,
        415,
        "unsupported_media_type",
        "application/octet-stream",
    )
    .await;
    let long = "A".repeat(MAX_AUTHORIZATION_LEN + 4);
    let response = get(&format!("/v1/objects/{location}"))
        .header(DOWNLOAD_HEADER, &long)
        .send()
        .await
        .unwrap();
    check_error(response, 401, "unauthorized", "more than").await;
    let response = get("/v1/ledger/export")
        .header(EXPORT_HEADER, &long)
        .send()
        .await
        .unwrap();
    check_error(response, 401, "unauthorized", "more than").await;

    // The longest authorization a member can make (the longest location, a task
    // input) fits the header's limit with room to spare.
    let longest = PreparedRequest::object(
        &client.public_keys().transaction_key,
        &member,
        ObjectPurpose::TaskInput {
            task: format!("task-{}", "f".repeat(64)),
        },
        "a".repeat(MAX_LOCATION_LEN),
        client.endpoint(),
    )
    .unwrap();
    let encoded = b64::encode(&longest.payload).len();
    assert!(encoded * 2 <= MAX_AUTHORIZATION_LEN, "{encoded} characters");

    // A method a path does not take: 405 with Allow, as an ErrorBody.
    let response = http.delete(url("/v1/transactions")).send().await.unwrap();
    assert_eq!(
        response.headers().get("allow").map(|v| v.to_str().unwrap()),
        Some("POST")
    );
    check_error(
        response,
        405,
        "method_not_allowed",
        "DELETE /v1/transactions",
    )
    .await;
    let response = get("/v1/nothing").send().await.unwrap();
    check_error(response, 404, "not_found", "no route GET /v1/nothing").await;

    // A node that holds the service secrets takes no recovery share.
    let response = http
        .post(url("/v1/recovery/shares"))
        .json(&serde_json::json!({"share": "AAAA"}))
        .send()
        .await
        .unwrap();
    check_error(response, 404, "not_found", "not recovering").await;

    running.shutdown().await.unwrap();
    recovering_node_rejects_what_its_schema_rejects(&settings, &http).await;
}

/// The same node with its sealed secrets gone, started to recover them: the recovery
/// routes refuse what the document refuses, and every other path is 503.
async fn recovering_node_rejects_what_its_schema_rejects(
    settings: &strongroom_node::NodeSettings,
    http: &reqwest::Client,
) {
    std::fs::remove_file(settings.data_dir.join("service-secrets.json")).unwrap();
    let recovering =
        strongroom_node::RecoveringNode::start(settings, Box::new(strongroom_contract::KvContract))
            .await
            .unwrap()
            .expect("a ledger without its secrets needs recovery");
    let url = |path: &str| format!("https://localhost:{}{path}", recovering.addr().port());

    let attestation: strongroom_api_types::Attestation = http
        .get(url(&format!("/v1/attestation?nonce={}", "cd".repeat(16))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(attestation.recovery_key.as_ref().map(String::len), Some(64));
    assert_eq!(attestation.key_release_key, "");
    let response = http
        .get(url(&format!("/v1/attestation?nonce={}", "AB".repeat(16))))
        .send()
        .await
        .unwrap();
    check_error(response, 400, "bad_request", "lowercase hex").await;

    let shares = url("/v1/recovery/shares");
    let over = "A".repeat(MAX_SHARE_BASE64_LEN + 4);
    for (body, status, code, says) in [
        (
            r#"{"share":""}"#.to_owned(),
            400,
            "bad_request",
            "share: empty",
        ),
        (
            format!(r#"{{"share":"{over}"}}"#),
            413,
            "payload_too_large",
            "wrapped share",
        ),
        (
            r#"{"share":"AB=="}"#.to_owned(),
            400,
            "bad_request",
            "invalid base64",
        ),
        (
            r#"{"share":"AAAA","x":1}"#.to_owned(),
            400,
            "bad_request",
            "unknown field",
        ),
        (
            r#"{"share":"AAAA"}"#.to_owned(),
            400,
            "bad_request",
            "recovery share refused",
        ),
    ] {
        let response = http
            .post(&shares)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        check_error(response, status, code, says).await;
    }
    let response = http
        .post(&shares)
        .header("content-type", "text/plain")
        .body(r#"{"share":"AAAA"}"#)
        .send()
        .await
        .unwrap();
    check_error(response, 415, "unsupported_media_type", "JSON").await;
    let response = http.delete(&shares).send().await.unwrap();
    check_error(response, 405, "method_not_allowed", "DELETE").await;
    for path in ["/v1/receipts/1", "/healthz", "/v1/nothing"] {
        let response = http.get(url(path)).send().await.unwrap();
        check_error(response, 503, "unavailable", "recovering").await;
    }
    let response = http
        .post(url("/v1/transactions"))
        .json(&Submit { request: vec![1] })
        .send()
        .await
        .unwrap();
    check_error(response, 503, "unavailable", "recovering").await;
    recovering.finish().await.unwrap();
}
