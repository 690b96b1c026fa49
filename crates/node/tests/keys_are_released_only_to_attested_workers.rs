//! The core releases a dataset's data key only to an attested worker of an approved
//! TEE-mode task, through the real node over HTTPS: the worker's evidence must verify
//! under the consortium's worker policy (the accepted measurement, no debug TEE) and
//! bind this task, its one-time key and this very request. Each refusal leaves the task
//! unclaimed and no `key_released` event on any input's audit trail; a good claim
//! releases each input's key, wrapped to the one-time key, and each owner sees it.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};
use strongroom_client::Client;
use strongroom_client::data::{public_hex, unwrap_released_key, wrap_data_key};
use strongroom_contract::sharing::{
    AuditAction, AuditTrail, Created, Invocation, Query, Reserved, TaskStatus, TaskView,
};
use strongroom_crypto::hpke::{KemId, PrivateKey, PublicKey};
use strongroom_crypto::key::DataKey;
use strongroom_enclave::{EvidenceMessage, JoinCollateral};
use strongroom_identity::{Member, Role};
use strongroom_node::RunningNode;
use strongroom_tee::{CodeIdentity, Platform, SimPlatform};

fn worker_code() -> CodeIdentity {
    CodeIdentity::new("strongroom-worker", "1.0.0", "test")
}

fn sim(identity: &CodeIdentity) -> SimPlatform {
    SimPlatform::new(identity, &[7; 32]).unwrap()
}

struct World {
    _base: tempfile::TempDir,
    _node: RunningNode,
    client: Client,
    owners: Vec<Member>,
    analyst: Member,
    worker: Member,
    datasets: Vec<String>,
    keys: Vec<DataKey>,
}

async fn invoke<T: serde::de::DeserializeOwned>(client: &Client, who: &Member, v: Value) -> T {
    let invocation: Invocation = serde_json::from_value(v).unwrap();
    client.invoke::<T>(who, &invocation).await.unwrap().value
}

/// Two hospitals each register a dataset whose key is wrapped to the key-release key;
/// the lab runs the worker. With `policy` as the genesis worker policy (none: no
/// policy).
async fn world(policy: Option<String>) -> World {
    let base = tempfile::tempdir().unwrap();
    let hospitals: Vec<_> = ["Hosp1MSP", "Hosp2MSP"]
        .iter()
        .map(|msp| common::org(base.path(), msp))
        .collect();
    let lab = common::org(base.path(), "LabMSP");
    let mut settings = common::settings(
        &base.path().join("node"),
        &[&hospitals[0], &hospitals[1], &lab],
    );
    if let Some(policy) = policy {
        let path = base.path().join("worker-policy.toml");
        std::fs::write(&path, policy).unwrap();
        settings.worker_policy = Some(path);
    }
    let node = common::start_sharing(&settings).await;
    let client = common::client(&node).await;
    let owners: Vec<Member> = hospitals
        .iter()
        .map(|h| common::member(h, "owner", Role::Owner))
        .collect();
    let release_key =
        PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, client.key_release_key()).unwrap();
    let mut datasets = Vec::new();
    let mut keys = Vec::new();
    for owner in &owners {
        let reserved: Reserved = invoke(
            &client,
            owner,
            json!({"op": "reserve_locations", "count": 1}),
        )
        .await;
        let key = DataKey::generate();
        let org_key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let created: Created = invoke(
            &client,
            owner,
            json!({
                "op": "register_dataset", "name": format!("cohort of {}", owner.msp_id()),
                "kind": "csv", "consent": { "purposes": ["research"] },
                "files": [{ "name": "patients.csv", "columns": ["Id", "RACE"],
                            "plaintext_sha256": "ab".repeat(32), "ciphertext_sha256": "cd".repeat(32),
                            "size_bytes": 100, "location": reserved.locations[0] }],
                "wrapped_keys": [
                    { "recipient": format!("org:{}", owner.msp_id()),
                      "key": wrap_data_key(org_key.public_key(), &key).unwrap() },
                    { "recipient": "tee:key-release",
                      "key": wrap_data_key(&release_key, &key).unwrap() },
                ],
            }),
        )
        .await;
        datasets.push(created.id);
        keys.push(key);
    }
    World {
        _base: base,
        _node: node,
        client,
        owners,
        analyst: common::member(&lab, "rita", Role::Analyst),
        worker: common::member(&lab, "worker", Role::Executor),
        datasets,
        keys,
    }
}

fn policy_for(identity: &CodeIdentity) -> String {
    format!(
        "allow_simulated = true\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{}\"\n",
        identity.measurement()
    )
}

impl World {
    /// A TEE task over both datasets, approved by the owners in `approving`.
    async fn task(&self, approving: &[usize]) -> TaskView {
        let algorithm: Created = invoke(
            &self.client,
            &self.analyst,
            json!({"op": "register_algorithm", "name": "count", "kind": "wasm",
                   "measurement": "11".repeat(32), "description": "counts",
                   "aggregate_only": true, "output_rule": "small_cells_suppressed"}),
        )
        .await;
        let result_key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let created: Created = invoke(
            &self.client,
            &self.analyst,
            json!({"op": "request_task", "inputs": self.datasets, "algorithm": algorithm.id,
                   "parameters": {"file": "patients.csv"}, "columns": ["RACE"], "mode": "tee",
                   "recipients": [{"msp_id": "LabMSP", "name": "rita",
                                   "public_key": public_hex(&result_key)}]}),
        )
        .await;
        for &i in approving {
            let _: TaskView = invoke(
                &self.client,
                &self.owners[i],
                json!({"op": "approve_task", "task": created.id}),
            )
            .await;
        }
        self.get(&created.id).await
    }

    async fn get(&self, id: &str) -> TaskView {
        self.client
            .ask(&self.analyst, &Query::GetTask { id: id.to_owned() })
            .await
            .unwrap()
    }

    /// Claims `task` as the worker, binding `config_hash`, with the evidence `make`
    /// gives for the report data; the refusal as text, or the released keys opened
    /// with the one-time key.
    async fn claim(
        &self,
        task: &str,
        config_hash: &str,
        make: impl FnOnce(&[u8; 64]) -> EvidenceMessage,
    ) -> Result<Vec<(String, DataKey)>, String> {
        let one_time = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let worker_key: [u8; 32] = one_time.public_key().to_bytes().try_into().unwrap();
        let mut hash = [0u8; 32];
        hex::decode_to_slice(config_hash, &mut hash).unwrap();
        let claim = Invocation::ClaimTask(strongroom_contract::sharing::ClaimTask {
            task: task.to_owned(),
            lease_ms: None,
        });
        let (_, released) = self
            .client
            .invoke_attested::<TaskView>(&self.worker, &claim, hash, worker_key, |rd| {
                Ok((make(rd), JoinCollateral::None))
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(released
            .iter()
            .map(|r| {
                (
                    r.dataset.clone(),
                    unwrap_released_key(&one_time, r).unwrap(),
                )
            })
            .collect())
    }

    /// The `key_released` events on every input's audit trail.
    async fn releases(&self) -> usize {
        let mut count = 0;
        for (owner, dataset) in self.owners.iter().zip(&self.datasets) {
            let trail: AuditTrail = self
                .client
                .ask(
                    owner,
                    &Query::AuditTrail {
                        dataset: dataset.clone(),
                        after: None,
                        limit: None,
                    },
                )
                .await
                .unwrap();
            count += trail
                .events
                .iter()
                .filter(|e| e.action == AuditAction::KeyReleased)
                .count();
        }
        count
    }

    /// Checks a refused claim: refused with `expected` in its reason, the task still
    /// approved, and no release on the ledger.
    async fn assert_refused(
        &self,
        outcome: Result<Vec<(String, DataKey)>, String>,
        task: &str,
        expected: &str,
    ) {
        let Err(error) = outcome else {
            panic!("the claim was not refused")
        };
        assert!(error.contains(expected), "{error}");
        assert_eq!(self.get(task).await.status, TaskStatus::Approved);
        assert_eq!(self.releases().await, 0, "a refused claim released a key");
    }
}

fn evidence(platform: &SimPlatform, report_data: &[u8; 64]) -> EvidenceMessage {
    platform.evidence(report_data).unwrap().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attested_worker_of_the_accepted_build_gets_each_input_s_key_and_owners_see_it() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0, 1]).await;
    let good = sim(&worker_code());
    let released = w
        .claim(&task.id, &task.config_hash, |rd| evidence(&good, rd))
        .await
        .unwrap();
    assert_eq!(released.len(), 2);
    for ((dataset, key), (expected_dataset, expected_key)) in
        released.iter().zip(w.datasets.iter().zip(&w.keys))
    {
        assert_eq!(dataset, expected_dataset);
        assert_eq!(
            key.expose(),
            expected_key.expose(),
            "the released key is the data key"
        );
    }
    let view = w.get(&task.id).await;
    assert_eq!(view.status, TaskStatus::Running);
    let evidence = view.evidence.unwrap();
    assert_eq!(evidence.measurement, worker_code().measurement().to_hex());
    assert_eq!(
        (evidence.platform.as_str(), evidence.insecure),
        ("sim", true)
    );
    assert_eq!(
        w.releases().await,
        2,
        "one release per input, on its owner's trail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_of_another_measurement_gets_no_key() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0, 1]).await;
    let other = sim(&CodeIdentity::new("strongroom-worker", "1.0.0", "patched"));
    let outcome = w
        .claim(&task.id, &task.config_hash, |rd| evidence(&other, rd))
        .await;
    w.assert_refused(outcome, &task.id, "worker evidence rejected")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debug_worker_gets_no_key() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0, 1]).await;
    let debug = sim(&worker_code()).with_debug(true);
    let outcome = w
        .claim(&task.id, &task.config_hash, |rd| evidence(&debug, rd))
        .await;
    w.assert_refused(outcome, &task.id, "debug").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_evidence_made_for_another_request_gets_no_key() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0, 1]).await;
    let good = sim(&worker_code());
    // Evidence over the report data of an earlier request (another nonce), replayed.
    let stale = evidence(&good, &[3; 64]);
    let outcome = w.claim(&task.id, &task.config_hash, |_| stale).await;
    w.assert_refused(outcome, &task.id, "does not bind this request")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_bound_to_another_task_gets_no_key() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0, 1]).await;
    let other = w.task(&[0, 1]).await;
    assert_ne!(task.config_hash, other.config_hash);
    let good = sim(&worker_code());
    // Good evidence, bound to the other task's configuration, used to claim this one.
    let outcome = w
        .claim(&task.id, &other.config_hash, |rd| evidence(&good, rd))
        .await;
    w.assert_refused(outcome, &task.id, "not found or not allowed")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_missing_one_owner_s_approval_releases_nothing() {
    let w = world(Some(policy_for(&worker_code()))).await;
    let task = w.task(&[0]).await;
    assert_eq!(task.status, TaskStatus::PendingApproval);
    let good = sim(&worker_code());
    let outcome = w
        .claim(&task.id, &task.config_hash, |rd| evidence(&good, rd))
        .await;
    let Err(error) = outcome else {
        panic!("the claim was not refused")
    };
    assert!(error.contains("not found or not allowed"), "{error}");
    assert_eq!(w.get(&task.id).await.status, TaskStatus::PendingApproval);
    assert_eq!(w.releases().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_worker_policy_no_worker_gets_a_key() {
    let w = world(None).await;
    let task = w.task(&[0, 1]).await;
    let good = sim(&worker_code());
    let outcome = w
        .claim(&task.id, &task.config_hash, |rd| evidence(&good, rd))
        .await;
    w.assert_refused(outcome, &task.id, "no worker policy")
        .await;
}
