//! The key-release key that owners wrap data keys to for attested workers (`data put
//! --tee`) comes with the node's attestation, bound by its evidence (the client checks
//! the binding before it uses the key), survives a restart (it derives from the sealed
//! ledger secret, so keys wrapped before stay openable), and differs between
//! consortia. Over real sockets.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_api_types::Attestation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_release_key_is_attested_stable_across_restarts_and_per_consortium() {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let settings = common::settings(&base.path().join("node"), &[&org]);
    let node = common::start(&settings).await;
    let client = common::client(&node).await;
    let first = *client.key_release_key();
    assert_ne!(first, [0; 32]);
    assert_ne!(&first[..], &client.public_keys().transaction_key[..]);

    // The attestation answer carries the key the client accepted.
    let http = common::raw_http(node.cert_pem(), b"h2");
    let url = format!(
        "https://localhost:{}/v1/attestation?nonce={}",
        node.addr().port(),
        "ab".repeat(16)
    );
    let answer: Attestation = http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer.key_release_key, hex::encode(first));

    // After a restart: the same key.
    node.shutdown().await.unwrap();
    let node = common::start(&settings).await;
    let again = common::client(&node).await;
    assert_eq!(*again.key_release_key(), first);

    // Another consortium (another ledger secret): another key.
    let other_settings = common::settings(&base.path().join("other"), &[&org]);
    let other = common::start(&other_settings).await;
    let other_client = common::client(&other).await;
    assert_ne!(*other_client.key_release_key(), first);
}
