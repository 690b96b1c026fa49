//! Over real HTTPS: a client verifies the node's evidence, commits encrypted
//! transactions, reads its own answers back, gets receipts that verify offline against
//! the attested service key, exports the ledger (with a member's signature only), and
//! the node survives a graceful
//! restart with everything acknowledged still there.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_enclave::request::Reply;
use strongroom_identity::Role;
use strongroom_ledger::{Receipt, verify_export};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_queries_receipts_and_restart() {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let alice = common::member(&org1, "alice", Role::Owner);
    let settings = common::settings(&base.path().join("node"), &[&org1]);

    let running = common::start(&settings).await;
    let client = common::client(&running).await;
    assert!(client.claims().insecure, "a sim node must say so");

    let mut sequences = Vec::new();
    for i in 0..5 {
        let committed = client
            .transact(&alice, format!("put k{i}=v{i}").as_bytes())
            .await
            .unwrap();
        assert_eq!(committed.reply, Reply::Accept(b"ok".to_vec()));
        sequences.push(committed.sequence.unwrap());
    }
    assert_eq!(
        client.query(&alice, b"get k3").await.unwrap(),
        Reply::Accept(b"v3".to_vec())
    );
    // A receipt verifies offline against the attested key.
    let receipt = client.receipt(sequences[2]).await.unwrap();
    let json = receipt.encode().unwrap();
    let verified = Receipt::decode(&json)
        .unwrap()
        .verify(Some(client.service_key()))
        .unwrap();
    assert_eq!(verified.entry.sequence(), sequences[2]);

    // The export needs a member's signed authorization; with one, it verifies and
    // covers every entry.
    let unsigned = common::raw_http(running.cert_pem(), b"h2")
        .get(format!(
            "https://localhost:{}/v1/ledger/export",
            running.addr().port()
        ))
        .send()
        .await
        .unwrap();
    common::check_error(unsigned, 401, "unauthorized", "x-strongroom-export").await;
    let export = client.export(&alice, 1, u64::MAX).await.unwrap();
    let summary = verify_export(&mut export.as_slice(), Some(client.service_key())).unwrap();
    assert!(summary.entries >= *sequences.last().unwrap(), "{summary:?}");

    let health = client.health().await.unwrap();
    assert!(health.leader && health.insecure_simulation);
    assert!(health.ledger_sequence >= sequences[4]);

    let keys_before = client.public_keys().clone();
    running.shutdown().await.unwrap();

    // Restart on the same directory: same service keys, same state.
    let running = common::start(&settings).await;
    let client = common::client(&running).await;
    assert_eq!(client.public_keys(), &keys_before);
    assert_eq!(
        client.query(&alice, b"get k4").await.unwrap(),
        Reply::Accept(b"v4".to_vec())
    );
    let committed = client.transact(&alice, b"put after=restart").await.unwrap();
    assert!(committed.sequence.unwrap() > sequences[4]);
    running.shutdown().await.unwrap();
}
