//! A store in an S3-compatible bucket (a real moto server, see `moto/mod.rs`) keeps
//! the guarantees of the local store across every store that shares the bucket: an
//! object put through one is read back whole through another; a truncated, oversized
//! or refused upload leaves no object, no staged copy and no open multipart upload; of
//! two racing uploads through two stores exactly one lands; a missing object is
//! `NotFound` and one the credentials may not read is a backend error (never the
//! object, never `NotFound`); HTTPS works with the ring provider and no process-wide
//! default; bad configuration is refused before anything is contacted.
#![allow(clippy::unwrap_used)]

mod moto;

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use sha2::{Digest, Sha256};
use strongroom_store::{
    DatasetStore, S3Config, S3ConfigError, S3Credentials, StoreBackend, StoreError,
};
use zeroize::Zeroizing;

const BUCKET: &str = "strongroom-test";

fn chunks(data: &[u8], size: usize) -> Vec<Result<Bytes, String>> {
    data.chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect()
}

fn credentials(access_key_id: &str, secret_access_key: &str) -> S3Credentials {
    S3Credentials::Static {
        access_key_id: access_key_id.to_owned(),
        secret_access_key: Zeroizing::new(secret_access_key.to_owned()),
        session_token: None,
    }
}

/// The configuration of a store on `moto`'s bucket, under `prefix`.
fn config(moto: &Moto, prefix: &str) -> S3Config {
    let mut config = S3Config::from_url(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    config.endpoint = Some(moto.endpoint.clone());
    config.allow_http = moto.endpoint.starts_with("http://");
    config.credentials = credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    config
}

async fn open(config: &S3Config) -> DatasetStore {
    DatasetStore::open(&StoreBackend::S3(config.clone()))
        .await
        .unwrap()
}

async fn read_all(store: &DatasetStore, location: &str) -> Vec<u8> {
    let (size, body) = store.get(location).await.unwrap();
    let bytes: Vec<Bytes> = body.try_collect().await.unwrap();
    let bytes = bytes.concat();
    assert_eq!(
        size,
        bytes.len() as u64,
        "the size announced is the size read"
    );
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_put_through_one_store_is_read_whole_through_another() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let node1 = open(&config(&moto, "consortium")).await;
    let node2 = open(&config(&moto, "consortium")).await;
    // Three parts of 8 MiB and a short one.
    let data: Vec<u8> = (0..26 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let stored = node1
        .put(
            "org1/ds-1/a.sro",
            stream::iter(chunks(&data, 1 << 20)),
            u64::MAX,
        )
        .await
        .unwrap();
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&data)));

    assert!(node2.exists("org1/ds-1/a.sro").await.unwrap());
    assert!(read_all(&node2, "org1/ds-1/a.sro").await == data);
    // Only the object, under the prefix: nothing staged, no upload left open.
    assert_eq!(moto.keys(BUCKET), ["consortium/org1/ds-1/a.sro"]);
    assert!(moto.open_multipart_uploads(BUCKET).is_empty());
    // Another prefix is another store.
    let elsewhere = open(&config(&moto, "other-consortium")).await;
    assert!(!elsewhere.exists("org1/ds-1/a.sro").await.unwrap());

    // An empty object is an object too.
    node2
        .put("org1/ds-1/empty", stream::iter(chunks(b"", 1)), 10)
        .await
        .unwrap();
    assert!(read_all(&node1, "org1/ds-1/empty").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_or_oversized_upload_leaves_no_object_and_nothing_staged() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let store = open(&config(&moto, "p")).await;
    let other = open(&config(&moto, "p")).await;
    let data = vec![7u8; 10 * 1024 * 1024];

    // Cut after 9 MiB: one part was already uploaded.
    let mut truncated = chunks(&data[..9 * 1024 * 1024], 1 << 20);
    truncated.push(Err("connection reset by the client".into()));
    let err = store
        .put("x/truncated", stream::iter(truncated), u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Interrupted { .. }), "{err}");

    // Over the limit, after one part.
    let err = store
        .put(
            "x/big",
            stream::iter(chunks(&data, 1 << 20)),
            9 * 1024 * 1024,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");

    for location in ["x/truncated", "x/big"] {
        assert!(!other.exists(location).await.unwrap(), "{location}");
        assert!(
            matches!(
                other.get(location).await.map(|_| ()),
                Err(StoreError::NotFound { .. })
            ),
            "{location}"
        );
    }
    assert_eq!(moto.keys(BUCKET), Vec::<String>::new(), "nothing is stored");
    assert_eq!(
        moto.open_multipart_uploads(BUCKET),
        Vec::<String>::new(),
        "every multipart upload was aborted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_racing_uploads_through_two_stores_exactly_one_lands_whole() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let first = open(&config(&moto, "p")).await;
    let second = open(&config(&moto, "p")).await;
    for round in 0..5 {
        let location = format!("race/{round}");
        let (a, b) = (first.clone(), second.clone());
        let (la, lb) = (location.clone(), location.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move {
                a.put(&la, stream::iter(chunks(b"first upload", 4)), 100)
                    .await
            }),
            tokio::spawn(async move {
                b.put(&lb, stream::iter(chunks(b"second upload!", 4)), 100)
                    .await
            }),
        );
        let landed = match (ra.unwrap(), rb.unwrap()) {
            (Ok(stored), Err(StoreError::Exists { .. }))
            | (Err(StoreError::Exists { .. }), Ok(stored)) => stored,
            other => panic!("round {round}: {other:?}"),
        };
        let bytes = read_all(&first, &location).await;
        assert_eq!(<[u8; 32]>::from(Sha256::digest(&bytes)), landed.sha256);
    }
    // An existing object is never replaced, and the refused upload leaves nothing.
    let err = second
        .put("race/0", stream::iter(chunks(b"third", 2)), 100)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    let keys = moto.keys(BUCKET);
    assert_eq!(keys.len(), 5, "only the five objects: {keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("p/race/")), "{keys:?}");
    assert!(moto.open_multipart_uploads(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_object_is_not_found_and_a_forbidden_one_is_a_backend_error() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    // A user that may use `BUCKET/allowed/` only; a secret object beside it.
    let user = moto.user_allowed_only("node", BUCKET, "allowed");
    moto.put_raw(BUCKET, "secret/report.sro", b"not for this node");
    moto.enforce_auth();
    let with_user = |prefix: &str| {
        let mut config = config(&moto, prefix);
        config.credentials = credentials(&user.access_key_id, &user.secret_access_key);
        config
    };

    // (Built, not opened: moto's signature check of a listing whose prefix has a `/`
    // differs from S3's, so the opening listing is not used under moto's auth.)
    let allowed = DatasetStore::s3(&with_user("allowed")).unwrap();
    allowed
        .put("a/b", stream::iter(chunks(b"ciphertext", 3)), 100)
        .await
        .unwrap();
    assert_eq!(read_all(&allowed, "a/b").await, b"ciphertext");
    // Missing: the usual NotFound, by get and by exists.
    assert!(matches!(
        allowed.get("a/missing").await.map(|_| ()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(!allowed.exists("a/missing").await.unwrap());

    // Forbidden: reading and writing are backend errors that say access was denied,
    // never the object and never NotFound.
    let forbidden = DatasetStore::s3(&with_user("secret")).unwrap();
    for result in [
        forbidden.get("report.sro").await.map(|_| ()),
        forbidden.exists("report.sro").await.map(|_| ()),
        forbidden
            .put("new", stream::iter(chunks(b"data", 2)), 100)
            .await
            .map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err}");
        assert!(
            err.to_string().to_lowercase().contains("denied")
                || err.to_string().contains("privileges"),
            "the error says access was denied: {err}"
        );
    }
    // Wrong credentials are refused the same way.
    let mut unknown = with_user("allowed");
    unknown.credentials = credentials("AKIDNOTAUSER", "wrong");
    let err = DatasetStore::s3(&unknown)
        .unwrap()
        .get("a/b")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
    // The refused write left nothing: only the two objects are there.
    let (status, _) = moto.request("POST", "/moto-api/reset-auth", &[], b"1000");
    assert_eq!(status, 200);
    assert_eq!(
        moto.keys(BUCKET),
        ["allowed/a/b", "secret/report.sro"],
        "{}",
        moto.log_tail()
    );
}

#[tokio::test]
async fn bad_locations_are_refused_before_the_bucket_is_asked() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let store = open(&config(&moto, "p")).await;
    let asked = moto.requests_served();
    assert!(
        asked >= 2,
        "moto's log counts the bucket and the opening listing"
    );
    // Out of the prefix, into the staging area, or not a location at all.
    let bad = [
        "../other-prefix/x",
        "..",
        ".staging/1-2-3-4",
        "x/.staging",
        "x//y",
        "x?y",
        "",
    ];
    for location in bad {
        let put = store
            .put(location, stream::iter(chunks(b"data", 2)).boxed(), 100)
            .await
            .map(|_| ());
        let get = store.get(location).await.map(|_| ());
        let exists = store.exists(location).await.map(|_| ());
        for result in [put, get, exists] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidLocation { .. }),
                "{location:?}: {err}"
            );
        }
    }
    assert_eq!(moto.requests_served(), asked, "{}", moto.log_tail());
    assert!(moto.keys(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_stale_staged_uploads_are_removed_when_a_store_opens() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    moto.put_raw(BUCKET, "p/.staging/1-2-3-crashed", b"left by a crash");
    moto.put_raw(BUCKET, "p/kept/object", b"an object");
    let store = open(&config(&moto, "p")).await;
    // Younger than a day: possibly another node's upload in flight, kept.
    assert_eq!(
        moto.keys(BUCKET),
        ["p/.staging/1-2-3-crashed", "p/kept/object"]
    );
    assert_eq!(store.remove_stale_staging(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(moto.keys(BUCKET), ["p/kept/object"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_works_with_the_ring_provider_and_no_process_default() {
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "nothing installs a process-wide provider"
    );
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, server.pem()).unwrap();
    std::fs::write(&key, server_key.serialize_pem()).unwrap();
    let moto = Moto::start_tls(&cert, &key);
    assert!(moto.endpoint.starts_with("https://"), "{}", moto.endpoint);

    let mut trusted = config(&moto, "tls");
    trusted.root_certificate_pem = Some(ca.pem().into_bytes());
    let (addr, ca_der) = (moto.addr.clone(), ca.der().clone());
    tokio::task::spawn_blocking(move || tls_put_bucket(&addr, ca_der, BUCKET))
        .await
        .unwrap();
    let store = open(&trusted).await;
    store
        .put("a", stream::iter(chunks(b"over TLS", 3)), 100)
        .await
        .unwrap();
    assert_eq!(read_all(&store, "a").await, b"over TLS");
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());

    // Without the CA the server is not trusted: a backend error, not a panic.
    let mut untrusted = trusted.clone();
    untrusted.root_certificate_pem = None;
    let err = DatasetStore::s3(&untrusted)
        .unwrap()
        .get("a")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
}

/// `PUT /BUCKET` over TLS (object_store has no CreateBucket; the helper's own requests
/// are plain HTTP): rustls with the ring provider, trusting `ca` only.
fn tls_put_bucket(addr: &str, ca: rustls::pki_types::CertificateDer<'static>, bucket: &str) {
    use std::io::{Read as _, Write as _};
    use std::sync::Arc;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    write!(
        tls,
        "PUT /{bucket} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    // The server may close without a TLS close_notify: what was read is the answer.
    let _ = tls.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "create bucket over TLS: {answer}"
    );
}

#[test]
fn bad_configuration_is_refused_naming_the_field_before_anything_is_contacted() {
    let mut config = S3Config::from_url("s3://strongroom-test/p").unwrap();
    config.endpoint = Some("http://127.0.0.1:9".into());
    assert!(matches!(
        DatasetStore::s3(&config),
        Err(StoreError::Config(S3ConfigError::AllowHttp(_)))
    ));
    config.allow_http = true;
    config.region = Some("Not A Region".into());
    assert!(matches!(
        DatasetStore::s3(&config),
        Err(StoreError::Config(S3ConfigError::Region { .. }))
    ));
    config.region = None;
    config.endpoint = Some("http://127.0.0.1:9/bucket".into());
    assert!(matches!(
        DatasetStore::s3(&config),
        Err(StoreError::Config(S3ConfigError::Endpoint { .. }))
    ));
    config.endpoint = Some("http://127.0.0.1:9".into());
    config.credentials = credentials("", "secret");
    assert!(matches!(
        DatasetStore::s3(&config),
        Err(StoreError::Config(S3ConfigError::Credentials(_)))
    ));
    config.credentials = credentials("id", "secret");
    config.root_certificate_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(
        DatasetStore::s3(&config),
        Err(StoreError::Config(S3ConfigError::RootCertificate(_)))
    ));
}

#[tokio::test]
async fn an_unreachable_bucket_fails_open_within_seconds() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = S3Config::from_url("s3://strongroom-test").unwrap();
    config.endpoint = Some(format!("http://127.0.0.1:{port}"));
    config.allow_http = true;
    config.credentials = credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    let started = Instant::now();
    let err = DatasetStore::open(&StoreBackend::S3(config))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}
