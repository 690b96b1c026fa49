//! An upload either stores every byte under its location or nothing: an interrupted
//! or oversized stream leaves no object (and no stray file), an existing object is
//! never replaced, and bad locations are refused.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};
use strongroom_store::{DatasetStore, StoreError};

fn chunks(data: &[u8], size: usize) -> Vec<Result<Bytes, String>> {
    data.chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect()
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(
                    entry
                        .path()
                        .strip_prefix(dir)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_upload_is_stored_with_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let store = DatasetStore::local(dir.path()).unwrap();
    // Spans several parts.
    let data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let stored = store
        .put(
            "org1/ds/a.sro",
            stream::iter(chunks(&data, 1 << 20)),
            u64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
    let (size, body) = store.get("org1/ds/a.sro").await.unwrap();
    assert_eq!(size, data.len() as u64);
    let back: Vec<Bytes> = body.try_collect().await.unwrap();
    assert_eq!(back.concat(), data);
    assert_eq!(files_under(dir.path()), vec!["org1/ds/a.sro".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_uploads_leave_nothing_and_existing_objects_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = DatasetStore::local(dir.path()).unwrap();
    let data = vec![7u8; 10 * 1024 * 1024];

    // Interrupted after 9 MiB (one part already written).
    let mut broken = chunks(&data[..9 * 1024 * 1024], 1 << 20);
    broken.push(Err("connection reset".into()));
    let err = store
        .put("x/broken", stream::iter(broken), u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Interrupted { .. }), "{err}");
    assert!(!store.exists("x/broken").await.unwrap());

    // Oversized.
    let err = store
        .put(
            "x/big",
            stream::iter(chunks(&data, 1 << 20)),
            5 * 1024 * 1024,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
    assert!(!store.exists("x/big").await.unwrap());
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );

    // Never over an existing object.
    store
        .put("x/kept", stream::iter(chunks(b"first", 2)), 100)
        .await
        .unwrap();
    let err = store
        .put("x/kept", stream::iter(chunks(b"second", 2)), 100)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    let (_, body) = store.get("x/kept").await.unwrap();
    let back: Vec<Bytes> = body.try_collect().await.unwrap();
    assert_eq!(back.concat(), b"first");

    // Missing.
    assert!(matches!(
        store.get("x/none").await.map(|_| ()).unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[tokio::test]
async fn bad_locations_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = DatasetStore::local(dir.path()).unwrap();
    for bad in [
        "",
        "../etc/passwd",
        "a//b",
        "a/./b",
        ".hidden",
        "a b",
        "a/\u{e9}",
        &"x".repeat(600),
    ] {
        let err = store
            .put(bad, stream::iter(chunks(b"data", 2)).boxed(), 100)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidLocation { .. }),
            "{bad:?}: {err}"
        );
    }
    assert!(files_under(dir.path()).is_empty());
}
