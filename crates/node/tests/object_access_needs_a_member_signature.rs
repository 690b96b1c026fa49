//! `/v1/objects/{location}` serves and stores nothing without a member's signed
//! authorization for that very access (download or upload) to that very location.
//!
//! For an upload (`PUT`, `x-strongroom-upload`) and a download (`GET`,
//! `x-strongroom-download`) alike: no header, a header that is not base64, a sealed blob
//! that does not open, an authorization for another location, one signed by a member
//! of an organization outside the consortium, a signed query in its place, and an
//! authorization of the other access (a download's for an upload, an upload's for a
//! download) are each refused with 401 `unauthorized` and a sentence that names the
//! request and says what was wrong; nothing is stored, nothing is served and nothing is
//! ordered. A refused download answers the same bytes whether an object exists at the
//! location or not, so an unauthorized caller cannot tell. An authorization is not a
//! query either. A member's authorization for the location stores the object, and
//! another downloads it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check_error, raw_http};

use axum::body::Bytes;
use futures_util::TryStreamExt;
use strongroom_api_types::{DOWNLOAD_HEADER, ErrorBody, Submit, UPLOAD_HEADER, b64};
use strongroom_client::ClientError;
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_identity::Role;

const LOCATION: &str = "datasets/0123abcd/patients.csv.enc";
const OTHER: &str = "datasets/0123abcd/other.csv.enc";
const CIPHERTEXT: &[u8] = b"ciphertext";

/// Everything a caller sees of an answer but its date.
#[derive(PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    let body = response.bytes().await.unwrap().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_access_needs_a_member_signature() {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let outsider_org = common::org(base.path(), "Org9MSP");
    let alice = common::member(&org1, "alice", Role::Owner);
    let bob = common::member(&org1, "bob", Role::Analyst);
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
    let committed = client.transact(&alice, b"put k=v").await.unwrap();
    // Once a signature entry covers it (every 20 ms here), the ledger is idle: the head
    // moves only if something else is ordered.
    client.receipt(committed.sequence.unwrap()).await.unwrap();
    let head = client.health().await.unwrap().ledger_sequence;
    let objects = settings.data_dir.join(strongroom_node::OBJECTS_DIR);
    let put = |location: &str, header: Option<String>| {
        let mut request = http
            .put(url(location))
            .header("content-type", "application/octet-stream")
            .body(CIPHERTEXT.to_vec());
        if let Some(header) = header {
            request = request.header(UPLOAD_HEADER, header);
        }
        request.send()
    };
    let get = |location: &str, header: Option<String>| {
        let mut request = http.get(url(location));
        if let Some(header) = header {
            request = request.header(DOWNLOAD_HEADER, header);
        }
        request.send()
    };
    let sealed = |prepared: PreparedRequest| Some(b64::encode(&prepared.payload));
    let upload =
        |member, location: &str| sealed(PreparedRequest::upload(&key, member, location).unwrap());
    let download =
        |member, location: &str| sealed(PreparedRequest::download(&key, member, location).unwrap());
    let query = || sealed(PreparedRequest::query(&key, &alice, b"get k".to_vec()).unwrap());

    // Uploads.
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
            upload(&alice, OTHER),
            "the x-strongroom-upload authorization is for location \"datasets/0123abcd/other.csv.enc\"",
        ),
        (
            "outside the consortium",
            upload(&mallory, LOCATION),
            "signer rejected",
        ),
        (
            "a signed query",
            query(),
            "the request is not an object authorization",
        ),
        (
            "a download authorization",
            download(&alice, LOCATION),
            "the request authorizes a read of the object, not a write",
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
                client.get_object(&alice, LOCATION).await,
                Err(ClientError::Api { status: 404, .. })
            ),
            "{case}: the object can be read"
        );
    }

    // Downloads, each refusal asked twice with the same header: now, while nothing is
    // stored at the location, and once an object is.
    let refusals: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "no x-strongroom-download header"),
        (
            "not base64",
            Some("not base64!".into()),
            "x-strongroom-download header: invalid base64",
        ),
        (
            "sealed garbage",
            Some(b64::encode(&[7u8; 200])),
            "malformed sealed request",
        ),
        (
            "another location",
            download(&alice, OTHER),
            "the x-strongroom-download authorization is for location \"datasets/0123abcd/other.csv.enc\"",
        ),
        (
            "outside the consortium",
            download(&mallory, LOCATION),
            "signer rejected",
        ),
        (
            "a signed query",
            query(),
            "the request is not an object authorization",
        ),
        (
            "an upload authorization",
            upload(&alice, LOCATION),
            "the request authorizes a write of the object, not a read",
        ),
    ];
    let mut absent = Vec::new();
    for (case, header, needle) in &refusals {
        let got = answer(get(LOCATION, header.clone()).await.unwrap()).await;
        assert_eq!(got.status, 401, "{case}: {got:?}");
        let body: ErrorBody = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body.code, "unauthorized", "{case}: {got:?}");
        let said = format!("GET /v1/objects/{LOCATION}: {needle}");
        assert!(
            body.error.contains(&said),
            "{case}: should say {said:?}: {body:?}"
        );
        absent.push(got);
    }

    // alice's authorization for this location stores the object, through the SDK.
    let stored = client
        .put_object(
            &alice,
            LOCATION,
            futures_util::stream::iter([Ok(Bytes::from_static(CIPHERTEXT))]),
        )
        .await
        .unwrap();
    assert_eq!((stored.location.as_str(), stored.size), (LOCATION, 10));
    assert_eq!(std::fs::read(objects.join(LOCATION)).unwrap(), CIPHERTEXT);

    // The same refusals, now that an object is there: the very same answers, and not
    // a byte of the object.
    for ((case, header, _), before) in refusals.iter().zip(&absent) {
        let got = answer(get(LOCATION, header.clone()).await.unwrap()).await;
        assert_eq!(
            &got, before,
            "{case}: a refusal tells whether an object exists"
        );
        assert!(
            !got.body.windows(CIPHERTEXT.len()).any(|w| w == CIPHERTEXT),
            "{case}: the refusal leaked the object: {got:?}"
        );
    }
    // Nothing was ordered for any of them (nor for the upload).
    assert_eq!(client.health().await.unwrap().ledger_sequence, head);

    // An object authorization is not a query: the core refuses it, sealed to alice.
    for prepared in [
        PreparedRequest::upload(&key, &alice, LOCATION).unwrap(),
        PreparedRequest::download(&key, &alice, LOCATION).unwrap(),
    ] {
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
    }

    // A member's authorization for the location downloads the object: bob's (another
    // member of the organization) through the SDK, alice's over plain HTTPS.
    let downloaded: Vec<u8> = client
        .get_object(&bob, LOCATION)
        .await
        .unwrap()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap();
    assert_eq!(downloaded, CIPHERTEXT);
    let got = answer(get(LOCATION, download(&alice, LOCATION)).await.unwrap()).await;
    assert_eq!((got.status, got.body.as_slice()), (200, CIPHERTEXT));
    // Only an authorized caller learns that nothing is stored somewhere.
    assert!(matches!(
        client.get_object(&alice, OTHER).await,
        Err(ClientError::Api { status: 404, .. })
    ));
    running.shutdown().await.unwrap();
}
