//! Bad input changes nothing: a node running the data-sharing contract, holding a
//! registered dataset, an algorithm and encrypted objects, is sent malformed, oversized,
//! mislabelled, tampered, forged, expired, replayed and interrupted input. Each one gets
//! a clear refusal (a 4xx JSON error naming what was wrong, or a refusal from the core
//! naming the reason), and afterwards the contract state, the ledger history and the
//! stored objects are what they were.
//!
//! Two kinds of refusal leave different traces, and the test holds each to its own
//! promise:
//!
//! - refused at the API edge (bad JSON, wrong content type, too large): nothing reaches
//!   consensus, so the ledger head and the whole export stay byte for byte the same;
//! - refused by the enclave core after ordering (undecryptable, forged signature,
//!   expired certificate, replayed nonce, an invocation the contract does not accept):
//!   the core records the refusal as a ledger entry (so that every replica decides the
//!   same), so the ledger grows, but the history before it is unchanged and every
//!   contract query answers exactly as before.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check_error, raw_http};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use futures_util::TryStreamExt;
use strongroom_api_types::{DOWNLOAD_HEADER, Submit, Submitted, b64};
use strongroom_client::data::{fetch_file, put_file, wrap_data_key};
use strongroom_client::{Client, ClientError, Committed};
use strongroom_contract::ObjectPurpose;
use strongroom_contract::sharing::{
    AlgorithmKind, AlgorithmList, CatalogPage, CatalogSearch, Consent, Created, DatasetFile,
    DatasetKind, DatasetView, Invocation, OutputRule, Port, Query, RegisterAlgorithm,
    RegisterDataset, ReserveLocations, Reserved, SharingContract, WrappedKey,
};
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::provider::{HashAlgorithm, Hasher, default_provider};
use strongroom_enclave::request::{
    Body, PreparedRequest, Purpose, Reply, SignedRequest, seal_envelope,
};
use strongroom_identity::{Member, Role, Validity};
use strongroom_node::{Node, NodeError, NodeSettings, OBJECTS_DIR, RunningNode};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Smaller than the default so the oversized bodies stay cheap.
const MAX_BODY_BYTES: usize = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_changes_nothing() {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let owner = common::member(&org1, "olivia", Role::Owner);
    let analyst = common::member(&org1, "arthur", Role::Analyst);
    let now = OffsetDateTime::now_utc();
    let expired = org1
        .ca
        .enroll_member(
            "eve",
            Role::Owner,
            Validity::new(now - time::Duration::days(2), now - time::Duration::days(1)).unwrap(),
        )
        .unwrap();
    let mut settings = common::settings(&base.path().join("node"), &[&org1]);
    settings.max_body_bytes = MAX_BODY_BYTES;

    let running = start(&settings).await;
    let client = common::client(&running).await;
    let http = raw_http(running.cert_pem(), b"h2");
    let http1 = raw_http(running.cert_pem(), b"http/1.1");
    let base_url = format!("https://localhost:{}", running.addr().port());

    // State to protect: an uploaded encrypted file, a dataset that names it, an
    // algorithm, and a tampered copy of the object.
    let dek = DataKey::generate();
    let org_key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
    let plaintext: String = std::iter::once("id,birthdate,hba1c,measured_at\n".to_owned())
        .chain((0..2000).map(|i| {
            format!(
                "p{i},19{:02}-01-01,{}.{},2024-03-01\n",
                i % 90,
                5 + i % 4,
                i % 10
            )
        }))
        .collect();
    let plain_path = base.path().join("patients.csv");
    std::fs::write(&plain_path, &plaintext).unwrap();
    // The dataset's file goes where the contract says: a location it reserved for Org1;
    // so do a tampered copy (registered as a dataset of its own) and, later, an upload
    // that breaks off.
    let reserved: strongroom_client::sharing::Invoked<Reserved> = client
        .invoke(
            &owner,
            &Invocation::ReserveLocations(ReserveLocations { count: 3 }),
        )
        .await
        .unwrap();
    let dataset_location = reserved.value.locations[0].clone();
    let tampered_location = reserved.value.locations[1].clone();
    let interrupted_location = reserved.value.locations[2].clone();
    let uploaded = put_file(
        &client,
        &owner,
        &plain_path,
        &dataset_location,
        &dek,
        |_| {},
    )
    .await
    .unwrap();
    let created: strongroom_client::sharing::Invoked<Created> = client
        .invoke(
            &owner,
            &Invocation::RegisterDataset(RegisterDataset {
                name: "diabetes cohort 2024".into(),
                kind: DatasetKind::Csv,
                description: "Synthetic patients with HbA1c measurements".into(),
                labels: vec!["diabetes".into(), "synthetic".into()],
                consent: Consent {
                    purposes: vec!["research".into()],
                    expires_at_ms: None,
                },
                files: vec![DatasetFile {
                    name: "patients.csv".into(),
                    columns: ["id", "birthdate", "hba1c", "measured_at"]
                        .map(String::from)
                        .to_vec(),
                    plaintext_sha256: uploaded.plaintext_sha256.clone(),
                    ciphertext_sha256: uploaded.ciphertext_sha256.clone(),
                    size_bytes: uploaded.plaintext_size,
                    location: uploaded.location.clone(),
                }],
                wrapped_keys: vec![WrappedKey {
                    recipient: "org:Org1MSP".into(),
                    key: wrap_data_key(org_key.public_key(), &dek).unwrap(),
                }],
                time_column: Some("measured_at".into()),
                epsilon_budget_micro: None,
                min_cell_size: None,
            }),
        )
        .await
        .unwrap();
    let registered = client
        .invoke::<Created>(&owner, &algorithm("describe"))
        .await
        .unwrap();
    let ciphertext = download(&client, &owner, &dataset_location).await;
    let mut tampered = ciphertext.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let tampered_stored = client
        .put_object(
            &owner,
            &tampered_location,
            futures_util::stream::iter([Ok(Bytes::from(tampered))]),
        )
        .await
        .unwrap();
    // A dataset of its own, outside the protected state's catalog search.
    let scratch = client
        .invoke::<Created>(
            &owner,
            &Invocation::RegisterDataset(RegisterDataset {
                name: "scratch copy".into(),
                kind: DatasetKind::Blob,
                description: String::new(),
                labels: Vec::new(),
                consent: Consent {
                    purposes: vec!["testing".into()],
                    expires_at_ms: None,
                },
                files: vec![DatasetFile {
                    name: "tampered.enc".into(),
                    columns: Vec::new(),
                    plaintext_sha256: uploaded.plaintext_sha256.clone(),
                    ciphertext_sha256: tampered_stored.sha256.clone(),
                    size_bytes: uploaded.plaintext_size,
                    location: tampered_location.clone(),
                }],
                wrapped_keys: vec![WrappedKey {
                    recipient: "org:Org1MSP".into(),
                    key: wrap_data_key(org_key.public_key(), &dek).unwrap(),
                }],
                time_column: None,
                epsilon_budget_micro: None,
                min_cell_size: None,
            }),
        )
        .await
        .unwrap();

    let fixture = Fixture {
        running,
        client,
        http,
        http1,
        base: base_url,
        owner,
        analyst,
        dataset_id: created.value.id.clone(),
        dataset_location: dataset_location.clone(),
        objects_dir: settings.data_dir.join(OBJECTS_DIR),
    };
    fixture.settle(scratch.sequence.unwrap()).await;
    let before = fixture.snapshot().await;
    assert_eq!(before.catalog.items.len(), 1, "{:?}", before.catalog);
    assert_eq!(before.catalog.items[0].id, created.value.id);
    assert_eq!(before.algorithms.items.len(), 1);
    assert_eq!(before.algorithms.items[0].id, registered.value.id);
    assert!(
        before.objects.contains_key(&dataset_location),
        "{:?}",
        before.objects
    );
    assert!(before.objects.contains_key(&tampered_location));

    let before = api_edge_refusals(&fixture, before).await;
    let before = core_refusals(&fixture, before, &expired).await;
    let objects = Objects {
        tampered_location: &tampered_location,
        interrupted_location: &interrupted_location,
        dek: &dek,
        plaintext: plaintext.as_bytes(),
        sha256: &uploaded.ciphertext_sha256,
        tampered_sha256: &tampered_stored.sha256,
        scratch: base.path(),
    };
    let before = object_refusals(&fixture, before, &objects).await;
    second_node_is_locked_out(&fixture, &before, &settings).await;
    fixture.running.shutdown().await.unwrap();
}

/// Requests refused before they reach consensus: the ledger does not move.
async fn api_edge_refusals(f: &Fixture, before: Snapshot) -> Snapshot {
    let before = &before;
    // Each body carries a genuine, well-signed transaction: had the node applied it in
    // spite of the error, the algorithm list would have grown.
    let prepared = PreparedRequest::transaction(
        &f.client.public_keys().transaction_key,
        &f.owner,
        json(&algorithm("smuggled")),
    )
    .unwrap();
    let submit = serde_json::to_string(&Submit {
        request: prepared.payload.clone(),
    })
    .unwrap();
    let truncated = submit[..submit.len() - 1].to_owned();
    let mut extra: serde_json::Value = serde_json::from_str(&submit).unwrap();
    extra["extra"] = 1.into();
    let extra = extra.to_string();
    let json_type = Some("application/json");

    for path in ["/v1/transactions", "/v1/queries"] {
        let bodies: [(&str, String, &str); 3] = [
            ("malformed JSON", truncated.clone(), "EOF while parsing"),
            ("unknown field", extra.clone(), "unknown field `extra`"),
            (
                "not base64",
                r#"{"request":"not base64!"}"#.to_owned(),
                "request body: request: invalid base64",
            ),
        ];
        for (mistake, body, needle) in bodies {
            f.expect_error(path, json_type, body, 400, "bad_request", needle)
                .await;
            f.assert_unchanged(before, &format!("{mistake} to {path}"))
                .await;
        }

        let what = format!("wrong content type to {path}");
        f.expect_error(
            path,
            Some("text/plain"),
            submit.clone(),
            415,
            "unsupported_media_type",
            "Content-Type: application/json",
        )
        .await;
        f.expect_error(
            path,
            None,
            submit.clone(),
            415,
            "unsupported_media_type",
            "must be JSON",
        )
        .await;
        f.assert_unchanged(before, &what).await;

        // Over the limit, announced by Content-Length and streamed without one.
        let what = format!("oversized body to {path}");
        let big = format!(r#"{{"request":"{}"}}"#, "A".repeat(MAX_BODY_BYTES * 2));
        let limit = format!("larger than {MAX_BODY_BYTES} bytes");
        f.expect_error(
            path,
            json_type,
            big.clone(),
            413,
            "payload_too_large",
            &limit,
        )
        .await;
        // Larger than the socket buffers, so that the client is still sending when the
        // node decides.
        let bigger = format!(r#"{{"request":"{}"}}"#, "A".repeat(8 << 20));
        f.expect_error_http1(path, bigger, 413, "payload_too_large", &limit)
            .await;
        let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(
            big.into_bytes()
                .chunks(8 * 1024)
                .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        ));
        f.expect_error(path, json_type, streamed, 413, "payload_too_large", &limit)
            .await;
        f.assert_unchanged(before, &what).await;
    }

    f.expect_error(
        "/v1/transactions",
        json_type,
        r#"{"request":""}"#,
        400,
        "bad_request",
        "request: empty",
    )
    .await;
    f.assert_unchanged(before, "empty request").await;

    // Through the SDK: an invocation too large for the body limit.
    let huge = vec![b' '; MAX_BODY_BYTES];
    let (status, code, error) = api_error(f.client.transact(&f.owner, &huge).await.unwrap_err());
    assert_eq!(
        (status, code.as_str()),
        (413, "payload_too_large"),
        "{error}"
    );
    assert!(
        error.contains(&format!("larger than {MAX_BODY_BYTES} bytes")),
        "{error}"
    );
    f.assert_unchanged(before, "oversized transaction").await;

    // The request refused at the edge was never ordered: its nonce is still unused, so
    // the very same request still commits once sent properly.
    let committed = f.client.submit_prepared(&prepared).await.unwrap();
    let created = accepted(&committed);
    f.settle(committed.sequence.unwrap()).await;
    let after = f.snapshot().await;
    let new: Vec<_> = after
        .algorithms
        .items
        .iter()
        .filter(|a| !before.algorithms.items.contains(a))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(
        (new[0].id.as_str(), new[0].name.as_str()),
        (created.id.as_str(), "smuggled")
    );
    after
}

/// Requests the core refuses after they were ordered: each refusal is a ledger entry,
/// and the contract state is untouched.
async fn core_refusals(f: &Fixture, before: Snapshot, expired: &Member) -> Snapshot {
    let key = f.client.public_keys().transaction_key.clone();

    // An invocation with a field the contract does not know.
    let invocation = format!(
        r#"{{"op":"register_algorithm","name":"extra-field","kind":"builtin","measurement":"{}","extra":1}}"#,
        "ab".repeat(32)
    );
    let committed = f
        .client
        .transact(&f.owner, invocation.as_bytes())
        .await
        .unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.contains("unknown field `extra`"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "unknown field")
        .await;

    // A sealed request with one byte flipped: it no longer decrypts, so the core cannot
    // even learn the response key and answers in clear.
    let mut prepared =
        PreparedRequest::transaction(&key, &f.owner, json(&algorithm("flipped"))).unwrap();
    let middle = prepared.payload.len() / 2;
    prepared.payload[middle] ^= 0x01;
    let committed = f.client.submit_prepared(&prepared).await.unwrap();
    match &committed.reply {
        Reply::RefuseUnauthenticated(reason) => {
            assert!(reason.contains("does not decrypt"), "{reason}");
        }
        other => panic!("flipped byte: expected an unauthenticated refusal, got {other:?}"),
    }
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "flipped byte")
        .await;

    // A well-encrypted envelope whose signature covers another request than the one
    // it carries.
    let (nonce, response_key) = (random::<24>().to_vec(), Zeroizing::new(random::<32>()));
    let request = |name: &str| SignedRequest {
        purpose: Purpose::Transaction,
        nonce: nonce.clone(),
        not_after_ms: strongroom_enclave::request::not_after_from_now(60_000),
        response_key: response_key.clone(),
        body: Body::Contract(json(&algorithm(name))),
    };
    let mut envelope = f.owner.sign(request("signed").encode()).unwrap();
    let forged = request("forged");
    envelope.payload = forged.encode();
    let sealed = seal_envelope(&key, Purpose::Transaction, &envelope).unwrap();
    let submitted = f.post_transaction(sealed).await;
    let reply = forged.open_response(&submitted.response).unwrap();
    let reason = refused(&reply);
    assert!(reason.contains("signature does not verify"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, submitted.sequence, "forged signature")
        .await;

    // A member whose certificate has expired: refused as a transaction and as a query.
    let committed = f
        .client
        .transact(expired, &json(&algorithm("expired")))
        .await
        .unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.contains("expired"), "{reason}");
    let answer = f
        .client
        .query(expired, br#"{"op":"list_algorithms"}"#)
        .await
        .unwrap();
    let reason = refused(&answer);
    assert!(reason.contains("expired"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "expired certificate")
        .await;

    // A transaction the host held back past its not-after: refused as expired.
    let held = PreparedRequest::valid_until(
        &key,
        &f.owner,
        Purpose::Transaction,
        Body::Contract(json(&algorithm("held back"))),
        strongroom_enclave::request::not_after_from_now(0).saturating_sub(1),
    )
    .unwrap();
    let committed = f.client.submit_prepared(&held).await.unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.starts_with("expired request"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "held past its not-after")
        .await;

    // The same sealed transaction twice: applied once, then refused as a replay.
    let prepared =
        PreparedRequest::transaction(&key, &f.owner, json(&algorithm("replayed"))).unwrap();
    let first = f.client.submit_prepared(&prepared).await.unwrap();
    let created = accepted(&first);
    f.settle(first.sequence.unwrap()).await;
    let once = f.snapshot().await;
    assert_eq!(
        once.algorithms.items.len(),
        before.algorithms.items.len() + 1
    );
    assert!(once.algorithms.items.iter().any(|a| a.id == created.id));
    let second = f.client.submit_prepared(&prepared).await.unwrap();
    let reason = refused(&second.reply);
    assert!(reason.contains("replayed"), "{reason}");
    assert_ne!(second.sequence, first.sequence);
    f.assert_only_refusal_recorded(&once, second.sequence, "replay")
        .await
}

/// What the object cases need from the setup.
struct Objects<'a> {
    tampered_location: &'a str,
    interrupted_location: &'a str,
    dek: &'a DataKey,
    plaintext: &'a [u8],
    sha256: &'a str,
    tampered_sha256: &'a str,
    scratch: &'a Path,
}

/// Object uploads and downloads that go wrong leave nothing behind.
async fn object_refusals(f: &Fixture, before: Snapshot, o: &Objects<'_>) -> Snapshot {
    let (tampered_location, interrupted_location) = (o.tampered_location, o.interrupted_location);
    // What was stored is what was sent.
    let stored = download(&f.client, &f.owner, &f.dataset_location).await;
    assert_eq!(sha256_hex(&stored), o.sha256);
    assert_eq!(
        Some(&(stored.len() as u64)),
        before.objects.get(&f.dataset_location)
    );
    let dest = o.scratch.join("fetched.csv");
    let written = fetch_file(
        &f.client,
        &f.owner,
        ObjectPurpose::OwnerRead,
        &f.dataset_location,
        o.sha256,
        o.dek,
        &dest,
    )
    .await
    .unwrap();
    assert_eq!(written, o.plaintext.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), o.plaintext);

    // A digest that is not the object's: an error naming both, and no file.
    let dest = o.scratch.join("wrong-digest.csv");
    let error = fetch_file(
        &f.client,
        &f.owner,
        ObjectPurpose::OwnerRead,
        &f.dataset_location,
        o.tampered_sha256,
        o.dek,
        &dest,
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ClientError::Data(_)), "{error:?}");
    assert!(
        message.contains(o.sha256) && message.contains(o.tampered_sha256),
        "{message}"
    );
    assert!(
        !dest.exists(),
        "a download that failed its digest check left {dest:?}"
    );

    // A corrupted object (one ciphertext byte flipped): decryption fails, no file.
    let dest = o.scratch.join("tampered.csv");
    let error = fetch_file(
        &f.client,
        &f.owner,
        ObjectPurpose::OwnerRead,
        tampered_location,
        o.tampered_sha256,
        o.dek,
        &dest,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ClientError::Data(_)), "{error:?}");
    assert!(error.to_string().contains(tampered_location), "{error}");
    assert!(!dest.exists(), "a corrupted download left {dest:?}");

    // A destination that exists: refused, and the file the user had is untouched.
    let dest = o.scratch.join("existing.csv");
    std::fs::write(&dest, b"the user's own file").unwrap();
    let error = fetch_file(
        &f.client,
        &f.owner,
        ObjectPurpose::OwnerRead,
        &f.dataset_location,
        o.sha256,
        o.dek,
        &dest,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("existing.csv"), "{error}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"the user's own file");

    // No overwriting an existing object: a registered location accepts no upload, and
    // the answer is the one anybody not entitled gets.
    let (status, code, error) = api_error(
        f.client
            .put_object(
                &f.owner,
                &f.dataset_location,
                futures_util::stream::iter([Ok(Bytes::from_static(b"replacement"))]),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (404, "not_found"), "{error}");
    assert!(error.contains("not found or not allowed"), "{error}");
    assert_eq!(
        sha256_hex(&download(&f.client, &f.owner, &f.dataset_location).await),
        o.sha256
    );

    // A location the store does not accept.
    let (status, code, error) = api_error(
        f.client
            .put_object(
                &f.owner,
                "org1/.hidden",
                futures_util::stream::iter([Ok(Bytes::from_static(b"x"))]),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (400, "bad_request"), "{error}");
    // Refused at the edge, by the store's rule, before the core is asked.
    assert!(error.contains("invalid object location"), "{error}");
    f.assert_unchanged(&before, "object reads and refused writes")
        .await;

    // An upload whose body fails midway: two chunks, then (once the node has opened
    // its staging file for the location) an error.
    let chunk = Bytes::from(vec![0x5a; 32 * 1024]);
    let staging_seen = Arc::new(AtomicBool::new(false));
    let body = futures_util::stream::unfold(0, {
        let chunk = chunk.clone();
        let staging_seen = staging_seen.clone();
        let objects_dir = f.objects_dir.clone();
        move |step| {
            let (chunk, staging_seen, objects_dir) =
                (chunk.clone(), staging_seen.clone(), objects_dir.clone());
            async move {
                match step {
                    0 | 1 => Some((Ok(chunk), step + 1)),
                    2 => {
                        for _ in 0..250 {
                            if staging_files(&objects_dir) > 0 {
                                staging_seen.store(true, Ordering::SeqCst);
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        let error = std::io::Error::other("the uploader's disk failed");
                        Some((Err(error), step + 1))
                    }
                    _ => None,
                }
            }
        }
    });
    // The SDK reports its own broken body (the node's 400 may not reach it).
    let error = f
        .client
        .put_object(&f.owner, interrupted_location, body)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::Transport { .. } | ClientError::Api { status: 400, .. }
        ),
        "{error:?}"
    );
    assert!(
        staging_seen.load(Ordering::SeqCst),
        "the node never started storing the upload"
    );
    // A reservation no dataset registered is readable by nobody: the answer is the
    // same whether the broken upload left something or not.
    let authorization = PreparedRequest::object(
        &f.client.public_keys().transaction_key,
        &f.owner,
        ObjectPurpose::OwnerRead,
        interrupted_location,
        f.client.endpoint(),
    )
    .unwrap();
    let response = f
        .http
        .get(f.url(&format!("/v1/objects/{interrupted_location}")))
        .header(DOWNLOAD_HEADER, b64::encode(&authorization.payload))
        .send()
        .await
        .unwrap();
    check_error(response, 404, "not_found", "not found or not allowed").await;
    // The server notices the broken body on its own schedule; give it a moment to
    // remove its staging file.
    for _ in 0..50 {
        if list_files(&f.objects_dir) == before.objects {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    f.assert_unchanged(&before, "interrupted upload").await;
    // The location is free: a complete upload there succeeds.
    let stored = f
        .client
        .put_object(
            &f.owner,
            interrupted_location,
            futures_util::stream::iter([Ok(chunk.clone()), Ok(chunk.clone())]),
        )
        .await
        .unwrap();
    assert_eq!(stored.size, 2 * chunk.len() as u64);
    assert_eq!(
        stored.sha256,
        sha256_hex(&[&chunk[..], &chunk[..]].concat())
    );
    let after = f.snapshot().await;
    let mut expected = before.objects.clone();
    expected.insert(interrupted_location.to_owned(), stored.size);
    assert_eq!(after.objects, expected);
    after
}

/// A second node on the same data directory is refused, and the first one keeps
/// serving, unchanged.
async fn second_node_is_locked_out(f: &Fixture, before: &Snapshot, settings: &NodeSettings) {
    let error = Node::open(settings, Box::new(SharingContract))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, NodeError::Locked { dir, .. } if *dir == settings.data_dir),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&settings.data_dir.display().to_string()),
        "{message}"
    );
    f.assert_unchanged(before, "second node on the directory")
        .await;
    let health = f.client.health().await.unwrap();
    assert!(health.leader && health.status == "ok", "{health:?}");
    let invoked = f
        .client
        .invoke::<Created>(&f.owner, &algorithm("after-lock"))
        .await
        .unwrap();
    assert!(invoked.sequence.unwrap() > before.head);
}

async fn start(settings: &NodeSettings) -> RunningNode {
    let node = Node::open(settings, Box::new(SharingContract))
        .await
        .unwrap();
    RunningNode::start(node, settings).await.unwrap()
}

/// Everything a bad input must not change.
#[derive(Debug)]
struct Snapshot {
    head: u64,
    export: Vec<u8>,
    catalog: CatalogPage,
    algorithms: AlgorithmList,
    dataset: DatasetView,
    objects: BTreeMap<String, u64>,
}

struct Fixture {
    running: RunningNode,
    client: Client,
    http: reqwest::Client,
    /// The same over HTTP/1.1, where an early answer races the client's upload.
    http1: reqwest::Client,
    base: String,
    owner: Member,
    analyst: Member,
    dataset_id: String,
    /// Where the dataset's file is (a location the contract reserved).
    dataset_location: String,
    objects_dir: std::path::PathBuf,
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until a signature entry covers `sequence` (the ledger is then idle), so
    /// the head read afterwards is stable.
    async fn settle(&self, sequence: u64) {
        self.client.receipt(sequence).await.unwrap();
    }

    async fn contract_state(&self) -> (CatalogPage, AlgorithmList, DatasetView) {
        let catalog: CatalogPage = self
            .client
            .ask(
                &self.analyst,
                &Query::SearchCatalog(CatalogSearch {
                    text: Some("diabetes".into()),
                    ..CatalogSearch::default()
                }),
            )
            .await
            .unwrap();
        let algorithms: AlgorithmList = self
            .client
            .ask(
                &self.analyst,
                &Query::ListAlgorithms {
                    after: None,
                    limit: None,
                },
            )
            .await
            .unwrap();
        let dataset: DatasetView = self
            .client
            .ask(
                &self.owner,
                &Query::GetDataset {
                    id: self.dataset_id.clone(),
                },
            )
            .await
            .unwrap();
        (catalog, algorithms, dataset)
    }

    async fn snapshot(&self) -> Snapshot {
        let head = self.client.health().await.unwrap().ledger_sequence;
        let export = self.client.export(&self.owner, 1, head).await.unwrap();
        let (catalog, algorithms, dataset) = self.contract_state().await;
        Snapshot {
            head,
            export,
            catalog,
            algorithms,
            dataset,
            objects: list_files(&self.objects_dir),
        }
    }

    /// After a request refused at the API edge: nothing at all changed.
    async fn assert_unchanged(&self, before: &Snapshot, what: &str) {
        let after = self.snapshot().await;
        assert_eq!(after.head, before.head, "{what}: the ledger grew");
        assert!(after.export == before.export, "{what}: the ledger changed");
        assert_eq!(after.catalog, before.catalog, "{what}: the catalog changed");
        assert_eq!(
            after.algorithms, before.algorithms,
            "{what}: the algorithms changed"
        );
        assert_eq!(after.dataset, before.dataset, "{what}: the dataset changed");
        assert_eq!(after.objects, before.objects, "{what}: the objects changed");
        let whole = self.client.export(&self.owner, 1, u64::MAX).await.unwrap();
        assert!(whole == before.export, "{what}: the whole export changed");
    }

    /// After a request the core refused: the refusal is recorded at `sequence` (after
    /// the old head), the history before it is unchanged, and every query answers as
    /// before. Returns the new baseline.
    async fn assert_only_refusal_recorded(
        &self,
        before: &Snapshot,
        sequence: Option<u64>,
        what: &str,
    ) -> Snapshot {
        let sequence = sequence.unwrap_or_else(|| panic!("{what}: no ledger entry"));
        assert!(
            sequence > before.head,
            "{what}: recorded at {sequence}, not after {}",
            before.head
        );
        self.settle(sequence).await;
        let after = self.snapshot().await;
        assert!(
            after.export.starts_with(&before.export),
            "{what}: the ledger history before the refusal changed"
        );
        assert_eq!(after.catalog, before.catalog, "{what}: the catalog changed");
        assert_eq!(
            after.algorithms, before.algorithms,
            "{what}: the algorithms changed"
        );
        assert_eq!(after.dataset, before.dataset, "{what}: the dataset changed");
        assert_eq!(after.objects, before.objects, "{what}: the objects changed");
        after
    }

    /// Sends `body` with `content_type` to `path` and checks the JSON error.
    async fn expect_error(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        status: u16,
        code: &str,
        needle: &str,
    ) {
        let mut request = self.http.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        check_error(request.send().await.unwrap(), status, code, needle).await;
    }

    /// [`Fixture::expect_error`] over HTTP/1.1: the client sends its whole body before
    /// it reads the answer, so the node must read enough of it to be heard.
    async fn expect_error_http1(
        &self,
        path: &str,
        body: String,
        status: u16,
        code: &str,
        needle: &str,
    ) {
        let request = self
            .http1
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        check_error(request.send().await.unwrap(), status, code, needle).await;
    }

    /// Posts a sealed transaction the SDK would not build, as the SDK would.
    async fn post_transaction(&self, payload: Vec<u8>) -> Submitted {
        let response = self
            .http
            .post(self.url("/v1/transactions"))
            .json(&Submit { request: payload })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Every file under `dir`, relative, with its size: staging files of an unfinished
/// upload would show up here too.
fn list_files(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                walk(root, &entry.path(), out);
            } else {
                let relative = entry.path().strip_prefix(root).unwrap().to_owned();
                out.insert(relative.display().to_string(), meta.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// How many staging files of unfinished uploads are under `dir` (the node stages an
/// upload under `.staging/`, then moves it into place).
fn staging_files(dir: &Path) -> usize {
    list_files(dir)
        .keys()
        .filter(|name| name.starts_with(".staging/"))
        .count()
}

fn api_error(error: ClientError) -> (u16, String, String) {
    match error {
        ClientError::Api {
            status,
            code,
            error,
            ..
        } => (status, code, error),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn accepted(committed: &Committed) -> Created {
    match &committed.reply {
        Reply::Accept(bytes) => serde_json::from_slice(bytes).unwrap(),
        other => panic!("expected an accepted transaction, got {other:?}"),
    }
}

fn refused(reply: &Reply) -> &str {
    match reply {
        Reply::Refuse(reason) => reason,
        other => panic!("expected a refusal from the core, got {other:?}"),
    }
}

async fn download(client: &Client, member: &Member, location: &str) -> Vec<u8> {
    client
        .get_object(member, ObjectPurpose::OwnerRead, location)
        .await
        .unwrap()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap()
}

fn algorithm(name: &str) -> Invocation {
    Invocation::RegisterAlgorithm(RegisterAlgorithm {
        name: name.into(),
        kind: AlgorithmKind::Builtin,
        measurement: sha256_hex(format!("strongroom/builtin/v1/{name}").as_bytes()),
        description: "count, unique, top and freq of one column of a CSV file".into(),
        inputs: vec![Port {
            name: "table".into(),
            format: "csv".into(),
        }],
        outputs: vec![Port {
            name: "summary".into(),
            format: "json".into(),
        }],
        aggregate_only: true,
        differentially_private: false,
        output_rule: Some(OutputRule::SmallCellsSuppressed),
    })
}

fn json(invocation: &Invocation) -> Vec<u8> {
    serde_json::to_vec(invocation).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = Hasher::new(HashAlgorithm::Sha256);
    hasher.update(bytes);
    hex::encode(hasher.finish())
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    default_provider().fill_random(&mut bytes).unwrap();
    bytes
}
