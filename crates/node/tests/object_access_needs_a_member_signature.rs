//! `PUT /v1/objects/{location}` stores nothing without a member's signed authorization
//! for that very location: no header, a header that is not base64, a sealed blob that
//! does not open, an authorization for another location, one signed by a member of an
//! organization outside the consortium, and a signed query in its place are each
//! refused with 401 `unauthorized`, a sentence that says what was wrong, nothing
//! stored and nothing ordered. An authorization is not a query either. A member's
//! authorization for the location stores the object.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check_error, raw_http};

use axum::body::Bytes;
use strongroom_api_types::{Submit, UPLOAD_HEADER, b64};
use strongroom_client::ClientError;
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_identity::Role;

const LOCATION: &str = "datasets/0123abcd/patients.csv.enc";
const OTHER: &str = "datasets/0123abcd/other.csv.enc";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_access_needs_a_member_signature() {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let outsider_org = common::org(base.path(), "Org9MSP");
    let alice = common::member(&org1, "alice", Role::Owner);
    let mallory = common::member(&outsider_org, "mallory", Role::Owner);
    let settings = common::settings(&base.path().join("node"), &[&org1]);
    let running = common::start(&settings).await;
    let client = common::client(&running).await;
    let key = client.public_keys().transaction_key.clone();
    let http = raw_http(running.cert_pem(), b"h2");
    let url = |location: &str| {
        format!(
            "https://localhost:{}/v1/objects/{location}",
            running.addr().port()
        )
    };
    // One transaction first: an authorization is checked at the last committed time.
    client.transact(&alice, b"put k=v").await.unwrap();
    let head = client.health().await.unwrap().ledger_sequence;
    let objects = settings.data_dir.join(strongroom_node::OBJECTS_DIR);
    let put = |location: &str, header: Option<String>| {
        let mut request = http
            .put(url(location))
            .header("content-type", "application/octet-stream")
            .body(b"ciphertext".to_vec());
        if let Some(header) = header {
            request = request.header(UPLOAD_HEADER, header);
        }
        request.send()
    };
    let authorization = |member, location: &str| {
        b64::encode(
            &PreparedRequest::upload(&key, member, location)
                .unwrap()
                .payload,
        )
    };

    let refusals: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "no x-strongroom-upload header"),
        (
            "not base64",
            Some("not base64!".into()),
            "x-strongroom-upload header: invalid base64",
        ),
        (
            "sealed garbage",
            Some(b64::encode(&[7u8; 200])),
            "malformed sealed request",
        ),
        (
            "another location",
            Some(authorization(&alice, OTHER)),
            "the x-strongroom-upload authorization is for location \"datasets/0123abcd/other.csv.enc\"",
        ),
        (
            "outside the consortium",
            Some(authorization(&mallory, LOCATION)),
            "signer rejected",
        ),
        (
            "a signed query",
            Some(b64::encode(
                &PreparedRequest::query(&key, &alice, b"get k".to_vec())
                    .unwrap()
                    .payload,
            )),
            "the request is not an object authorization",
        ),
    ];
    for (case, header, needle) in refusals {
        let response = put(LOCATION, header).await.unwrap();
        // The sentence names the request, then what was wrong.
        let said = format!("PUT /v1/objects/{LOCATION}: {needle}");
        check_error(response, 401, "unauthorized", &said).await;
        assert!(
            !objects.join(LOCATION).exists(),
            "{case}: the refused upload stored an object"
        );
        assert!(
            matches!(
                client.get_object(LOCATION).await,
                Err(ClientError::Api { status: 404, .. })
            ),
            "{case}: the object can be read"
        );
    }
    // Nothing was ordered for any of them.
    assert_eq!(client.health().await.unwrap().ledger_sequence, head);

    // An upload authorization is not a query: the core refuses it, sealed to alice.
    let prepared = PreparedRequest::upload(&key, &alice, LOCATION).unwrap();
    let answered: strongroom_api_types::Answered = http
        .post(format!(
            "https://localhost:{}/v1/queries",
            running.addr().port()
        ))
        .json(&Submit {
            request: prepared.payload.clone(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        prepared.open_response(&answered.response).unwrap(),
        Reply::Refuse("not a query".into())
    );

    // alice's authorization for this location stores the object, through the SDK.
    let stored = client
        .put_object(
            &alice,
            LOCATION,
            futures_util::stream::iter([Ok(Bytes::from_static(b"ciphertext"))]),
        )
        .await
        .unwrap();
    assert_eq!((stored.location.as_str(), stored.size), (LOCATION, 10));
    assert_eq!(
        std::fs::read(objects.join(LOCATION)).unwrap(),
        b"ciphertext"
    );
    running.shutdown().await.unwrap();
}
