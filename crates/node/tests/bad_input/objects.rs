//! Object uploads and downloads that go wrong.

use crate::common::check_error;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use strongroom_api_types::{DOWNLOAD_HEADER, b64};
use strongroom_client::ClientError;
use strongroom_client::data::fetch_file;
use strongroom_contract::ObjectPurpose;
use strongroom_crypto::key::DataKey;
use strongroom_enclave::request::PreparedRequest;

use super::fixture::*;

/// What the object cases need from the setup.
pub(crate) struct Objects<'a> {
    pub(crate) tampered_location: &'a str,
    pub(crate) interrupted_location: &'a str,
    pub(crate) dek: &'a DataKey,
    pub(crate) plaintext: &'a [u8],
    pub(crate) sha256: &'a str,
    pub(crate) tampered_sha256: &'a str,
    pub(crate) scratch: &'a Path,
}

/// Object uploads and downloads that go wrong leave nothing behind.
pub(crate) async fn object_refusals(f: &Fixture, before: Snapshot, o: &Objects<'_>) -> Snapshot {
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
