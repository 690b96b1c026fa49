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

mod bad_input;
mod common;

use axum::body::Bytes;
use strongroom_client::data::{put_file, wrap_data_key};
use strongroom_contract::sharing::{
    Consent, Created, DatasetFile, DatasetKind, Invocation, RegisterDataset, ReserveLocations,
    Reserved, SharingContract, WrappedKey,
};
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_crypto::key::DataKey;
use strongroom_identity::{Role, Validity};
use strongroom_node::{Node, NodeError, NodeSettings, OBJECTS_DIR, RunningNode};
use time::OffsetDateTime;

use bad_input::edge::api_edge_refusals;
use bad_input::fixture::*;
use bad_input::objects::{Objects, object_refusals};
use bad_input::ordered::core_refusals;
use common::raw_http;

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
                    genome: None,
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
                    genome: None,
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
