//! The rate limit per member (signer certificate) is checked inside the enclave core
//! before a request is ordered: a member over its rate gets 429 `member_rate_limited`,
//! nothing is ordered or recorded for the refused request, other members are not
//! affected, and the member is served again once its bucket refills.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use strongroom_client::ClientError;
use strongroom_enclave::request::Reply;
use strongroom_identity::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_over_its_rate_is_refused_before_ordering() {
    let base = tempfile::tempdir().unwrap();
    let org1 = common::org(base.path(), "Org1MSP");
    let alice = common::member(&org1, "alice", Role::Owner);
    let bob = common::member(&org1, "bob", Role::Owner);
    let mut settings = common::settings(&base.path().join("node"), &[&org1]);
    settings.member_rate_per_second = 2;
    settings.member_rate_burst = 3;
    let running = common::start(&settings).await;
    let client = common::client(&running).await;

    // The burst: three transactions (and no more) from alice.
    let mut last = None;
    for i in 0..3 {
        let committed = client
            .transact(&alice, format!("put k{i}=v{i}").as_bytes())
            .await
            .unwrap();
        assert_eq!(committed.reply, Reply::Accept(b"ok".to_vec()));
        last = committed.sequence;
    }
    // Once a signature entry covers the burst (every 20 ms here), the ledger is idle:
    // the head read now moves only if something else is ordered.
    client.receipt(last.unwrap()).await.unwrap();
    let head = client.health().await.unwrap().ledger_sequence;
    match client.transact(&alice, b"put k3=v3").await {
        Err(ClientError::Api {
            status,
            code,
            error,
            ..
        }) => {
            assert_eq!((status, code.as_str()), (429, "member_rate_limited"));
            assert!(error.contains("2 requests per second"), "{error}");
        }
        other => panic!("the fourth transaction in a row was not throttled: {other:?}"),
    }
    // Queries spend the same tokens.
    assert!(matches!(
        client.query(&alice, b"get k0").await,
        Err(ClientError::Api { status: 429, .. })
    ));
    // Nothing was ordered for the refused requests; another member is served.
    assert_eq!(client.health().await.unwrap().ledger_sequence, head);
    let committed = client.transact(&bob, b"put b=1").await.unwrap();
    assert_eq!(committed.reply, Reply::Accept(b"ok".to_vec()));

    // Half a second refills a token at 2 per second: alice is served again, and her
    // refused write never happened.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        client.query(&alice, b"get k3").await.unwrap(),
        Reply::Refuse("not found or not allowed".into())
    );
    running.shutdown().await.unwrap();
}
