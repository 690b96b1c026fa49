//! `Strongroom-Min-Sequence` on `POST /v1/queries`: a node that has not applied the
//! named ledger entry refuses at once (412 `behind`, naming how far it is), never
//! answers from an older state; one that has, answers; a header that is not a
//! sequence number is a 400 that names it. The SDK sends the last entry it saw and
//! retries while the node is behind.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_api_types::Submit;
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_identity::Role;

const HEADER: &str = "Strongroom-Min-Sequence";

struct Fixture {
    running: strongroom_node::RunningNode,
    http: reqwest::Client,
    url: String,
    body: String,
    alice: strongroom_identity::Member,
    _base: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let base = tempfile::tempdir().unwrap();
    let org = common::org(base.path(), "Org1MSP");
    let alice = common::member(&org, "alice", Role::Owner);
    let settings = common::settings(&base.path().join("node"), &[&org]);
    let running = common::start(&settings).await;
    let client = common::client(&running).await;
    let prepared =
        PreparedRequest::query(&client.public_keys().transaction_key, &alice, b"get k1").unwrap();
    let body = serde_json::to_string(&Submit {
        request: prepared.payload.clone(),
    })
    .unwrap();
    Fixture {
        http: common::raw_http(running.cert_pem(), b"h2"),
        url: format!("https://localhost:{}/v1/queries", running.addr().port()),
        running,
        body,
        alice,
        _base: base,
    }
}

impl Fixture {
    async fn ask(&self, header: Option<String>) -> reqwest::Response {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(self.body.clone());
        if let Some(value) = header {
            request = request.header(HEADER, value);
        }
        request.send().await.unwrap()
    }

    fn applied(&self) -> u64 {
        self.running.node().durable_sequence().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_behind_the_named_entry_refuses_at_once_and_says_how_far_it_is() {
    let f = fixture().await;
    let applied = f.applied();
    let wanted = applied + 1000;
    let started = std::time::Instant::now();
    let response = f.ask(Some(wanted.to_string())).await;
    common::check_error(
        response,
        412,
        "behind",
        &format!("applied the ledger up to entry {applied}, not yet entry {wanted}"),
    )
    .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "refused without waiting for an entry that may never come"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_applied_the_named_entry_answers() {
    let f = fixture().await;
    let response = f.ask(Some(f.applied().to_string())).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_that_is_not_a_sequence_number_is_refused_naming_it() {
    let f = fixture().await;
    for bad in ["abc", "-1", "18446744073709551616", "1.5"] {
        let response = f.ask(Some(bad.to_owned())).await;
        common::check_error(
            response,
            400,
            "bad_request",
            "header Strongroom-Min-Sequence",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_names_the_entries_it_saw_and_reads_its_writes() {
    let f = fixture().await;
    let behind = common::client(&f.running).await;
    behind.saw(f.applied() + 1000);
    let started = std::time::Instant::now();
    let refused = behind.query(&f.alice, b"get k1").await;
    assert!(
        matches!(&refused, Err(strongroom_client::ClientError::Api { code, .. }) if code == "behind"),
        "a client that saw an entry this node lacks is refused: {refused:?}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "the SDK retried while the node was behind"
    );

    let client = common::client(&f.running).await;
    let written = client.transact(&f.alice, b"put k1=v1").await.unwrap();
    assert_eq!(
        client.last_seen(),
        written.sequence.unwrap(),
        "a write is seen"
    );
    assert_eq!(
        client.query(&f.alice, b"get k1").await.unwrap(),
        Reply::Accept(b"v1".to_vec())
    );
}
