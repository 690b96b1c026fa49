//! A small world for the contract tests: callers, a ledger clock, and execution that
//! mirrors the core (writes buffered in an overlay, applied only on success).
#![allow(dead_code, clippy::unwrap_used)]

pub mod fixture;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use strongroom_contract::sharing::{Created, Reserved, SharingContract, TaskView};
use strongroom_contract::{
    Attestation, Caller, Contract, ContractError, DatasetDefaults, KeyRelease, MemState,
    ObjectGrant, ObjectPurpose, Overlay, State, TxContext,
};

/// The measurement of the worker build in these tests.
pub const GOOD_MEASUREMENT: [u8; 32] = [0x11; 32];
/// Some other measurement.
pub const BAD_MEASUREMENT: [u8; 32] = [0x22; 32];

pub fn caller(msp_id: &str, name: &str, role: &str) -> Caller {
    Caller {
        msp_id: msp_id.into(),
        name: name.into(),
        role: role.into(),
    }
}

/// The secret randomness of the transaction at `sequence` (the core derives it from
/// the ledger secret; here, from the sequence number).
pub fn entropy(sequence: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"test entropy");
    hasher.update(sequence.to_be_bytes());
    hasher.finalize().into()
}

/// A well-formed location that nobody reserved.
pub fn unreserved_location(seed: &str) -> String {
    format!("data/{}", &sha(seed.as_bytes())[..32])
}

/// A hex digest of some bytes.
pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A worker's attestation, as the core passes it after verifying the evidence: code
/// `measurement`, bound to `config_hash` and a one-time key.
pub fn attestation(measurement: [u8; 32], config_hash: &str) -> Attestation {
    Attestation {
        platform: "sim".into(),
        measurement: hex::encode(measurement),
        insecure: true,
        config_hash: hex::decode(config_hash).unwrap().try_into().unwrap(),
        worker_key: [9; 32],
    }
}

#[derive(Clone)]
pub struct World {
    pub state: MemState,
    pub sequence: u64,
    pub time_ms: u64,
    /// The consortium's dataset defaults the core passes with each transaction.
    pub defaults: DatasetDefaults,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        Self {
            state: MemState::new(),
            sequence: 0,
            time_ms: 1_700_000_000_000,
            defaults: DatasetDefaults::INITIAL,
        }
    }

    /// Runs a transaction as the core does. Also checks that a refused transaction
    /// writes nothing even straight into the state (the contract checks before it
    /// writes).
    pub fn exec_as(
        &mut self,
        who: &Caller,
        attestation: Option<Attestation>,
        invocation: &Value,
    ) -> Result<Vec<u8>, ContractError> {
        self.sequence += 1;
        self.time_ms += 1_000;
        let tx = TxContext {
            caller: who.clone(),
            timestamp_ms: self.time_ms,
            sequence: self.sequence,
            attestation,
            entropy: entropy(self.sequence),
            defaults: self.defaults,
        };
        let bytes = serde_json::to_vec(invocation).unwrap();
        let mut overlay = Overlay::new(&self.state);
        let result = SharingContract.execute(&tx, &bytes, &mut overlay);
        match &result {
            Ok(_) => {
                let writes = overlay.into_writes();
                self.state.apply(writes);
            }
            Err(_) => {
                assert!(
                    overlay.into_writes().is_empty(),
                    "a refused transaction wrote to the state: {invocation}"
                );
            }
        }
        result
    }

    /// Runs a transaction as [`World::exec_as`] does, then asks the contract which keys
    /// the core is to release for it (empty if it was refused).
    pub fn key_releases_of(
        &mut self,
        who: &Caller,
        attestation: Option<Attestation>,
        invocation: &Value,
    ) -> Vec<KeyRelease> {
        let tx_attestation = attestation.clone();
        if self.exec_as(who, attestation, invocation).is_err() {
            return Vec::new();
        }
        let tx = TxContext {
            caller: who.clone(),
            timestamp_ms: self.time_ms,
            sequence: self.sequence,
            attestation: tx_attestation,
            entropy: entropy(self.sequence),
            defaults: self.defaults,
        };
        let bytes = serde_json::to_vec(invocation).unwrap();
        SharingContract
            .key_releases(&tx, &bytes, &self.state)
            .unwrap()
    }

    pub fn exec(&mut self, who: &Caller, invocation: &Value) -> Result<Vec<u8>, ContractError> {
        self.exec_as(who, None, invocation)
    }

    /// Runs a transaction that must succeed and decodes its reply.
    pub fn ok<T: DeserializeOwned>(&mut self, who: &Caller, invocation: &Value) -> T {
        match self.exec(who, invocation) {
            Ok(reply) => serde_json::from_slice(&reply).unwrap(),
            Err(e) => panic!("{invocation} by {who:?} failed: {e}"),
        }
    }

    /// Runs a creating transaction that must succeed; answers the new id.
    pub fn create(&mut self, who: &Caller, invocation: &Value) -> String {
        self.ok::<Created>(who, invocation).id
    }

    pub fn query(&self, who: &Caller, query: &Value) -> Result<Vec<u8>, ContractError> {
        SharingContract.query(who, &serde_json::to_vec(query).unwrap(), &self.state)
    }

    pub fn q<T: DeserializeOwned>(&self, who: &Caller, query: &Value) -> T {
        match self.query(who, query) {
            Ok(reply) => serde_json::from_slice(&reply).unwrap(),
            Err(e) => panic!("{query} by {who:?} failed: {e}"),
        }
    }

    pub fn task(&self, who: &Caller, id: &str) -> TaskView {
        self.q(who, &json!({"op": "get_task", "id": id}))
    }

    /// Reserves `count` locations for `who`'s organization (which must succeed).
    pub fn reserve(&mut self, who: &Caller, count: u32) -> Vec<String> {
        self.ok::<Reserved>(who, &json!({"op": "reserve_locations", "count": count}))
            .locations
    }

    /// A dataset registration as `who` would send it: [`dataset`] with every file's
    /// location replaced by one reserved for `who` (an owner), or by unreserved ones if
    /// `who` may not reserve.
    pub fn dataset(&mut self, who: &Caller, name: &str, extra: Value) -> Value {
        let mut invocation = dataset(name, extra);
        let count = invocation["files"].as_array().map_or(0, Vec::len);
        let locations = if who.role == "owner" {
            self.reserve(who, count as u32)
        } else {
            (0..count)
                .map(|i| unreserved_location(&format!("{name} {i}")))
                .collect()
        };
        for (file, location) in invocation["files"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(locations)
        {
            file["location"] = json!(location);
        }
        invocation
    }

    /// Registers a dataset (see [`World::dataset`]) that must be accepted; answers its id.
    pub fn register(&mut self, who: &Caller, name: &str, extra: Value) -> String {
        let invocation = self.dataset(who, name, extra);
        self.create(who, &invocation)
    }

    /// Asks the contract whether `who` may access the object at `location` for
    /// `purpose`, at the current ledger time.
    pub fn authorize(
        &self,
        who: &Caller,
        purpose: &ObjectPurpose,
        location: &str,
    ) -> Result<ObjectGrant, ContractError> {
        SharingContract.authorize_object(who, purpose, location, self.time_ms, &self.state)
    }

    /// The current revision of a dataset, as its owner reads it.
    pub fn revision(&self, owner: &Caller, dataset: &str) -> u64 {
        self.q::<strongroom_contract::sharing::DatasetView>(
            owner,
            &json!({"op": "get_dataset", "id": dataset}),
        )
        .revision
        .unwrap()
    }

    /// Lets ledger time pass (seen by queries once a transaction records it).
    pub fn advance(&mut self, ms: u64) {
        self.time_ms += ms;
    }

    /// SHA-256 over every state entry, in key order.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for (key, value) in self.state.iter() {
            hasher.update((key.len() as u64).to_be_bytes());
            hasher.update(key);
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value);
        }
        hex::encode(hasher.finalize())
    }

    /// Whether a key exists (for tests of the state layout).
    pub fn has(&self, key: &str) -> bool {
        self.state.get(key.as_bytes()).is_some()
    }
}

/// A dataset registration with sensible defaults; `extra` fields override them.
pub fn dataset(name: &str, extra: Value) -> Value {
    let mut base = json!({
        "op": "register_dataset",
        "name": name,
        "kind": "csv",
        "description": format!("{name} cohort records"),
        "labels": ["clinical"],
        "consent": { "purposes": ["research"] },
        "files": [{
            "name": format!("{name}.csv"),
            "columns": ["patient", "age", "gene", "visit_time"],
            "plaintext_sha256": sha(format!("{name} plain").as_bytes()),
            "ciphertext_sha256": sha(format!("{name} cipher").as_bytes()),
            "size_bytes": 1000,
            "location": unreserved_location(name),
        }],
        "wrapped_keys": [
            { "recipient": "kms:v1", "key": hex::encode(format!("key of {name}")) },
            { "recipient": "tee:key-release", "key": hex::encode(format!("released key of {name}")) },
        ],
        "time_column": "visit_time",
    });
    merge(&mut base, extra);
    base
}

/// An algorithm registration (built-in, the good measurement).
pub fn algorithm(name: &str, differentially_private: bool) -> Value {
    json!({
        "op": "register_algorithm",
        "name": name,
        "kind": "builtin",
        "measurement": hex::encode(GOOD_MEASUREMENT),
        "description": format!("built-in {name}"),
        "inputs": [{ "name": "table", "format": "csv" }],
        "outputs": [{ "name": "summary", "format": "json" }],
        "aggregate_only": true,
        "differentially_private": differentially_private,
        "output_rule": "small_cells_suppressed",
    })
}

/// A permission request for `dataset` allowing `algorithm` on every test column.
pub fn permission(dataset: &str, algorithm: &str) -> Value {
    json!({
        "op": "request_permission",
        "dataset": dataset,
        "purpose": "research",
        "algorithms": [algorithm],
        "scope": { "columns": ["patient", "age", "gene", "visit_time"] },
    })
}

/// A task request; `recipient` gets the result.
pub fn task(inputs: &[&str], algorithm: &str, mode: &str, recipient: &Caller) -> Value {
    task_for(inputs, algorithm, mode, &[recipient])
}

/// A task request whose result goes to every one of `recipients`.
pub fn task_for(inputs: &[&str], algorithm: &str, mode: &str, recipients: &[&Caller]) -> Value {
    let recipients: Vec<Value> = recipients
        .iter()
        .map(|r| json!({"msp_id": r.msp_id, "name": r.name, "public_key": "ab".repeat(32)}))
        .collect();
    json!({
        "op": "request_task",
        "inputs": inputs,
        "algorithm": algorithm,
        "parameters": { "group_by": "gene" },
        "columns": ["age", "gene"],
        "recipients": recipients,
        "mode": mode,
    })
}

/// A successful result for a task.
pub fn success(task: &str, ciphertext: &[u8]) -> Value {
    json!({
        "op": "write_result",
        "task": task,
        "outcome": {
            "status": "succeeded",
            "ciphertext": hex::encode(ciphertext),
            "ciphertext_sha256": sha(ciphertext),
            "evidence_ref": "sha256:evidence",
        },
    })
}

/// Sets `extra`'s fields on `base` (objects only, one level).
pub fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(base), Value::Object(extra)) = (base, extra) {
        for (key, value) in extra {
            base.insert(key, value);
        }
    }
}
