//! Over HTTPS, `/v1/objects/{location}` serves and stores only what the contract
//! entitles the signer to, for the purpose it names: the owning organization reads its
//! dataset's objects; the claimant of a running task reads that task's inputs while the
//! claim holds; an owner uploads into a location the contract reserved for its
//! organization; nobody else, whatever their membership. Whoever is not entitled gets
//! the same answer, byte for byte, for an existing and a missing object, and never an
//! object's bytes. A captured authorization is useless at another node and once it has
//! expired. Two uploads racing into one reservation land exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Bytes;
use futures_util::TryStreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use strongroom_api_types::{DOWNLOAD_HEADER, UPLOAD_HEADER, b64};
use strongroom_client::{Client, ClientError};
use strongroom_contract::ObjectPurpose;
use strongroom_contract::sharing::{Created, Invocation, Reserved};
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_crypto::provider::{HashAlgorithm, Hasher};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose};
use strongroom_identity::{Member, Role};
use strongroom_node::RunningNode;

const CIPHERTEXT: &[u8] = b"an encrypted object, as the owner uploaded it";

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

async fn invoke<T: DeserializeOwned>(client: &Client, member: &Member, invocation: Value) -> T {
    let invocation: Invocation = serde_json::from_value(invocation).unwrap();
    client.invoke::<T>(member, &invocation).await.unwrap().value
}

/// A node running the sharing contract; Org1 (owner alice, executor exec1) holds one
/// registered dataset with one object, and one more reserved, unused location; Org2's
/// bob is an analyst; Org3's mallory, admin olga and owner oscar belong to an unrelated
/// organization of the consortium.
struct World {
    _base: tempfile::TempDir,
    running: RunningNode,
    client: Client,
    http: reqwest::Client,
    alice: Member,
    exec1: Member,
    bob: Member,
    mallory: Member,
    olga: Member,
    oscar: Member,
    dataset: String,
    existing: String,
    unused: String,
    recipient: String,
}

impl World {
    async fn new() -> Self {
        let base = tempfile::tempdir().unwrap();
        let (org1, org2, org3) = (
            common::org(base.path(), "Org1MSP"),
            common::org(base.path(), "Org2MSP"),
            common::org(base.path(), "Org3MSP"),
        );
        let alice = common::member(&org1, "alice", Role::Owner);
        let exec1 = common::member(&org1, "exec1", Role::Executor);
        let bob = common::member(&org2, "bob", Role::Analyst);
        let mallory = common::member(&org3, "mallory", Role::Analyst);
        let olga = common::member(&org3, "olga", Role::Admin);
        let oscar = common::member(&org3, "oscar", Role::Owner);
        let settings = common::settings(&base.path().join("node"), &[&org1, &org2, &org3]);
        let running = common::start_sharing(&settings).await;
        let client = common::client(&running).await;
        let http = common::raw_http(running.cert_pem(), b"h2");
        let reserved: Reserved = invoke(
            &client,
            &alice,
            json!({"op": "reserve_locations", "count": 2}),
        )
        .await;
        let (existing, unused) = (reserved.locations[0].clone(), reserved.locations[1].clone());
        let stored = client
            .put_object(
                &alice,
                &existing,
                futures_util::stream::iter([Ok(Bytes::from_static(CIPHERTEXT))]),
            )
            .await
            .unwrap();
        let digest = {
            let mut hasher = Hasher::new(HashAlgorithm::Sha256);
            hasher.update(CIPHERTEXT);
            hex::encode(hasher.finish())
        };
        assert_eq!(stored.sha256, digest);
        let created: Created = invoke(
            &client,
            &alice,
            json!({
                "op": "register_dataset", "name": "cohort", "kind": "csv",
                "consent": {"purposes": ["research"]},
                "files": [{"name": "patients.csv", "columns": ["x"],
                           "plaintext_sha256": "00".repeat(32), "ciphertext_sha256": digest,
                           "size_bytes": CIPHERTEXT.len(), "location": existing}],
                "wrapped_keys": [{"recipient": "org:Org1MSP", "key": "00ff"}],
            }),
        )
        .await;
        let recipient = strongroom_client::data::public_hex(&PrivateKey::generate(
            KemId::DhKemX25519HkdfSha256,
        ));
        Self {
            _base: base,
            running,
            client,
            http,
            alice,
            exec1,
            bob,
            mallory,
            olga,
            oscar,
            dataset: created.id,
            existing,
            unused,
            recipient,
        }
    }

    fn url(&self, location: &str) -> String {
        format!(
            "https://localhost:{}/v1/objects/{location}",
            self.running.addr().port()
        )
    }

    fn authorization(&self, member: &Member, purpose: ObjectPurpose, location: &str) -> String {
        let key = &self.client.public_keys().transaction_key;
        let prepared =
            PreparedRequest::object(key, member, purpose, location, self.client.endpoint())
                .unwrap();
        b64::encode(&prepared.payload)
    }

    async fn get(&self, member: &Member, purpose: ObjectPurpose, location: &str) -> Answer {
        let header = self.authorization(member, purpose, location);
        answer(
            self.http
                .get(self.url(location))
                .header(DOWNLOAD_HEADER, header)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn put(&self, member: &Member, location: &str) -> Answer {
        let header = self.authorization(member, ObjectPurpose::Upload, location);
        answer(
            self.http
                .put(self.url(location))
                .header(UPLOAD_HEADER, header)
                .header("content-type", "application/octet-stream")
                .body(b"an attacker's bytes".to_vec())
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A running owner-side task over the dataset, claimed by exec1: its id.
    async fn running_task(&self) -> String {
        let algorithm: Created = invoke(
            &self.client,
            &self.bob,
            json!({"op": "register_algorithm", "name": "describe", "kind": "builtin",
                   "measurement": "ab".repeat(32)}),
        )
        .await;
        let task: Created = invoke(
            &self.client,
            &self.bob,
            json!({"op": "request_task", "inputs": [self.dataset], "algorithm": algorithm.id,
                   "columns": ["x"], "mode": "owner_side",
                   "recipients": [{"msp_id": "Org2MSP", "name": "bob", "public_key": self.recipient}]}),
        )
        .await;
        let _: Value = invoke(
            &self.client,
            &self.alice,
            json!({"op": "approve_task", "task": task.id}),
        )
        .await;
        let _: Value = invoke(
            &self.client,
            &self.exec1,
            json!({"op": "claim_task", "task": task.id}),
        )
        .await;
        task.id
    }
}

fn random_location() -> String {
    format!("data/{}", "5a".repeat(16))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrelated_member_gets_one_answer_for_existing_and_missing_objects() {
    let w = World::new().await;
    let probes = [w.existing.clone(), w.unused.clone(), random_location()];
    for member in [&w.mallory, &w.olga, &w.oscar, &w.bob] {
        let mut answers = Vec::new();
        for location in &probes {
            let read = w.get(member, ObjectPurpose::OwnerRead, location).await;
            assert_eq!(read.status, 404, "{read:?}");
            assert!(
                !read
                    .body
                    .windows(CIPHERTEXT.len())
                    .any(|win| win == CIPHERTEXT),
                "object bytes leaked"
            );
            answers.push(read);
        }
        for (location, answer) in probes.iter().zip(&answers) {
            assert_eq!(answer, &answers[0], "{location} answered differently");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_outside_ones_own_reservations_gets_one_answer_whatever_is_there() {
    let w = World::new().await;
    let mut answers = Vec::new();
    for location in [w.existing.clone(), w.unused.clone(), random_location()] {
        let put = w.put(&w.oscar, &location).await;
        assert_eq!(put.status, 404, "{put:?}");
        answers.push(put);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    // The owner's registered object is whole, and nothing landed in the reservation.
    let read = w.get(&w.alice, ObjectPurpose::OwnerRead, &w.existing).await;
    assert_eq!((read.status, read.body.as_slice()), (200, CIPHERTEXT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owning_organization_reads_its_objects() {
    let w = World::new().await;
    for member in [&w.alice, &w.exec1] {
        let read = w.get(member, ObjectPurpose::OwnerRead, &w.existing).await;
        assert_eq!((read.status, read.body.as_slice()), (200, CIPHERTEXT));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claimant_reads_its_task_inputs_and_is_refused_after_the_task_ends() {
    let w = World::new().await;
    let task = w.running_task().await;
    let purpose = ObjectPurpose::TaskInput { task: task.clone() };
    let read = w.get(&w.exec1, purpose.clone(), &w.existing).await;
    assert_eq!((read.status, read.body.as_slice()), (200, CIPHERTEXT));
    // The requester names the task too: it is not the claimant.
    let read = w.get(&w.bob, purpose.clone(), &w.existing).await;
    assert_eq!(read.status, 404, "{read:?}");
    let _: Value = invoke(
        &w.client,
        &w.exec1,
        json!({"op": "write_result", "task": task,
               "outcome": {"status": "failed", "reason": "stopped by the test"}}),
    )
    .await;
    let read = w.get(&w.exec1, purpose, &w.existing).await;
    assert_eq!(read.status, 404, "after the task ended: {read:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_dataset_s_objects_are_refused_to_all_but_its_owners() {
    let w = World::new().await;
    let _: Value = invoke(
        &w.client,
        &w.alice,
        json!({"op": "withdraw_consent", "id": w.dataset}),
    )
    .await;
    let read = w.get(&w.exec1, ObjectPurpose::OwnerRead, &w.existing).await;
    assert_eq!(read.status, 404, "the executor after withdrawal: {read:?}");
    let read = w.get(&w.alice, ObjectPurpose::OwnerRead, &w.existing).await;
    assert_eq!((read.status, read.body.as_slice()), (200, CIPHERTEXT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_authorization_is_useless_at_another_node_and_after_it_expires() {
    let w = World::new().await;
    let key = &w.client.public_keys().transaction_key;
    let send = |payload: Vec<u8>| {
        w.http
            .get(w.url(&w.existing))
            .header(DOWNLOAD_HEADER, b64::encode(&payload))
            .send()
    };
    let elsewhere = PreparedRequest::object(
        key,
        &w.alice,
        ObjectPurpose::OwnerRead,
        &w.existing,
        [0x11; 32],
    )
    .unwrap();
    common::check_error(
        send(elsewhere.payload).await.unwrap(),
        401,
        "unauthorized",
        "another node",
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let expired = PreparedRequest::valid_until(
        key,
        &w.alice,
        Purpose::Query,
        Body::Object {
            purpose: ObjectPurpose::OwnerRead,
            location: w.existing.clone(),
            node: w.client.endpoint(),
        },
        now - 1,
    )
    .unwrap();
    common::check_error(
        send(expired.payload).await.unwrap(),
        401,
        "unauthorized",
        "expired",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_uploads_racing_into_one_reservation_land_exactly_once() {
    let w = World::new().await;
    let reserved: Reserved = invoke(
        &w.client,
        &w.alice,
        json!({"op": "reserve_locations", "count": 1}),
    )
    .await;
    let location = &reserved.locations[0];
    let upload = |bytes: &'static [u8]| {
        w.client.put_object(
            &w.alice,
            location,
            futures_util::stream::iter([Ok(Bytes::from_static(bytes))]),
        )
    };
    let (first, second) = tokio::join!(upload(b"first"), upload(b"second, longer"));
    let landed = match (first, second) {
        (Ok(stored), Err(ClientError::Api { status: 409, .. }))
        | (Err(ClientError::Api { status: 409, .. }), Ok(stored)) => stored,
        other => panic!("{other:?}"),
    };
    // Registered, it reads back whole: exactly the bytes of the upload that landed.
    let _: Created = invoke(
        &w.client,
        &w.alice,
        json!({
            "op": "register_dataset", "name": "raced", "kind": "blob",
            "consent": {"purposes": ["research"]},
            "files": [{"name": "raced.bin", "plaintext_sha256": "00".repeat(32),
                       "ciphertext_sha256": landed.sha256, "size_bytes": landed.size,
                       "location": location}],
            "wrapped_keys": [{"recipient": "org:Org1MSP", "key": "00ff"}],
        }),
    )
    .await;
    let bytes: Vec<Bytes> = w
        .client
        .get_object(&w.alice, ObjectPurpose::OwnerRead, location)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let bytes = bytes.concat();
    assert!(
        bytes == b"first" || bytes == b"second, longer",
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(bytes.len() as u64, landed.size);
}
