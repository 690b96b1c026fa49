//! Contract operations per second on a large state: 100,000 datasets and 1,000,000
//! grants, for `search_catalog`, `request_task`, `approve_task` (and `get_task`).
//!
//! The state is built through the contract's own operations (`register_dataset`,
//! `request_permission`, `approve_permission`), each run as the core runs it: writes
//! buffered in an [`Overlay`] and applied to a [`MemState`] on success. No hand-written
//! shortcuts. Run with `cargo bench -p strongroom-contract --bench operations`; set
//! `STRONGROOM_BENCH_SCALE` (e.g. `0.1`) for a smaller state. Without `--bench` (as
//! `cargo test --all-targets` runs it) the scale is 0.01.
//! `STRONGROOM_BENCH_OPS` sets how many of each task operation are timed (100,000 at
//! full scale).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strongroom_contract::sharing::{CatalogPage, Created, Invocation, SharingContract};
use strongroom_contract::{Caller, Contract, MemState, Overlay, TxContext};

/// The allocator of the `strongroom` binary, which runs this contract in the node.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const VOCABULARY: &[&str] = &[
    "cohort",
    "patients",
    "visits",
    "genome",
    "variants",
    "oncology",
    "cardiology",
    "diabetes",
    "registry",
    "trial",
    "imaging",
    "laboratory",
    "pharmacy",
    "admissions",
    "outcomes",
    "survival",
    "biomarkers",
    "exome",
    "transcriptome",
    "microbiome",
    "pediatric",
    "geriatric",
    "longitudinal",
    "baseline",
    "followup",
    "metadata",
    "claims",
    "prescriptions",
    "vitals",
    "allergies",
    "procedures",
    "conditions",
    "encounters",
    "immunizations",
    "observations",
];

const KINDS: [&str; 4] = ["csv", "parquet", "vcf", "blob"];

struct Bench {
    state: MemState,
    sequence: u64,
    time_ms: u64,
}

impl Bench {
    /// Runs a transaction as the core does; answers the reply.
    fn exec(&mut self, caller: &Caller, invocation: &[u8]) -> Vec<u8> {
        self.sequence += 1;
        self.time_ms += 1;
        let tx = TxContext {
            caller: caller.clone(),
            timestamp_ms: self.time_ms,
            sequence: self.sequence,
            attestation: None,
        };
        let mut overlay = Overlay::new(&self.state);
        let reply = SharingContract
            .execute(&tx, invocation, &mut overlay)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(invocation)));
        let writes = overlay.into_writes();
        self.state.apply(writes);
        reply
    }

    fn create(&mut self, caller: &Caller, invocation: &Value) -> String {
        let reply = self.exec(caller, &serde_json::to_vec(invocation).unwrap());
        serde_json::from_slice::<Created>(&reply).unwrap().id
    }
}

fn caller(msp_id: String, name: String, role: &str) -> Caller {
    Caller {
        msp_id,
        name,
        role: role.into(),
    }
}

fn owner(org: usize) -> Caller {
    caller(format!("Org{org}MSP"), "owner".into(), "owner")
}

fn analyst(i: usize) -> Caller {
    caller(
        format!("Lab{}MSP", i % 10),
        format!("analyst{i}"),
        "analyst",
    )
}

fn digest(seed: usize) -> String {
    format!("{seed:064x}")
}

fn register(i: usize) -> Value {
    let word = |k: usize| VOCABULARY[(i * 7 + k * 13) % VOCABULARY.len()];
    json!({
        "op": "register_dataset",
        "name": format!("dataset {i} {}", word(0)),
        "kind": KINDS[i % 4],
        "description": format!("{} {} {} collected at site {}", word(1), word(2), word(3), i % 500),
        "labels": [format!("l{}", i % 50), format!("m{}", (i / 50) % 50), format!("region-{}", i % 7)],
        "consent": { "purposes": ["research", "public-health"] },
        "files": [{
            "name": "data.csv",
            "columns": ["patient", "age", "sex", "condition", "visit_time"],
            "plaintext_sha256": digest(i),
            "ciphertext_sha256": digest(i + 1),
            "size_bytes": 1_000_000 + i as u64,
            "location": format!("s3://org{}/dataset-{i}.enc", i % 20),
        }],
        "wrapped_keys": [{ "recipient": "kms:v1", "key": "ab".repeat(80) }],
        "time_column": "visit_time",
    })
}

/// A task request, written as the SDK writes invocations: the typed value, "op" first.
fn task(inputs: &[&str], algorithm: &str, recipient: &Caller) -> Vec<u8> {
    typed(json!({
        "op": "request_task",
        "inputs": inputs,
        "algorithm": algorithm,
        "parameters": { "group_by": "condition" },
        "columns": ["age", "condition"],
        "recipients": [{ "msp_id": recipient.msp_id, "name": recipient.name, "public_key": "cd".repeat(32) }],
        "mode": "owner_side",
    }))
}

/// The bytes of `invocation` as the SDK sends it.
fn typed(invocation: Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::from_value::<Invocation>(invocation).unwrap()).unwrap()
}

/// Prints ops/s, p50 and p99 of per-operation times.
fn report(name: &str, mut times: Vec<Duration>) {
    let total: Duration = times.iter().sum();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "{name:<28} {:>8} ops  {:>10.0} ops/s  p50 {:>8.1} µs  p99 {:>8.1} µs",
        times.len(),
        times.len() as f64 / total.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a smoke
    // test, on a state a hundredth the size.
    let benching = std::env::args().any(|a| a == "--bench");
    let scale: f64 = std::env::var("STRONGROOM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 1.0 } else { 0.01 });
    let datasets = (100_000.0 * scale) as usize;
    let grants_per_dataset = 10;
    let orgs = 20;
    let mut b = Bench {
        state: MemState::new(),
        sequence: 0,
        time_ms: 1_700_000_000_000,
    };

    let started = Instant::now();
    let alg = b.create(
        &analyst(0),
        &json!({
            "op": "register_algorithm", "name": "describe", "kind": "builtin",
            "measurement": "11".repeat(32), "aggregate_only": true,
        }),
    );
    let mut ids = Vec::with_capacity(datasets);
    for i in 0..datasets {
        ids.push(b.create(&owner(i % orgs), &register(i)));
    }
    let registered = started.elapsed();
    // 1,000,000 grants: each dataset granted to 10 analysts (of 1,000).
    for (i, id) in ids.iter().enumerate() {
        for g in 0..grants_per_dataset {
            let who = analyst((i * grants_per_dataset + g) % 1000);
            let request = b.create(
                &who,
                &json!({
                    "op": "request_permission", "dataset": id, "purpose": "research",
                    "algorithms": [alg], "scope": { "columns": ["age", "condition", "sex"] },
                }),
            );
            b.create(
                &owner(i % orgs),
                &json!({"op": "approve_permission", "request": request}),
            );
        }
    }
    println!(
        "state: {} datasets ({:.1} s), {} grants ({:.1} s total), {} keys, {} sequence numbers",
        datasets,
        registered.as_secs_f64(),
        datasets * grants_per_dataset,
        started.elapsed().as_secs_f64(),
        b.state.len(),
        b.sequence,
    );

    // search_catalog: a mix of filters, 20 results a page.
    let queries: Vec<Vec<u8>> = (0..2_000)
        .map(|i| {
            let q = match i % 6 {
                0 => json!({"op": "search_catalog", "kind": "vcf"}),
                1 => json!({"op": "search_catalog", "labels": [format!("l{}", i % 50)]}),
                2 => json!({"op": "search_catalog", "text": VOCABULARY[i % VOCABULARY.len()]}),
                3 => json!({"op": "search_catalog", "kind": "csv", "labels": [format!("region-{}", i % 7)]}),
                4 => json!({"op": "search_catalog", "text": format!("{} {}", VOCABULARY[i % VOCABULARY.len()], VOCABULARY[(i + 3) % VOCABULARY.len()])}),
                _ => json!({"op": "search_catalog", "labels": [format!("l{}", i % 50), format!("region-{}", i % 7)], "text": "site"}),
            };
            serde_json::to_vec(&q).unwrap()
        })
        .collect();
    let reader = analyst(1);
    let mut times = Vec::new();
    let mut found = 0;
    for q in &queries {
        let t = Instant::now();
        let reply = SharingContract.query(&reader, q, &b.state).unwrap();
        times.push(t.elapsed());
        found += serde_json::from_slice::<CatalogPage>(&reply)
            .unwrap()
            .items
            .len();
    }
    report("search_catalog (mixed)", times);
    // A filter that matches nothing after walking two long lists (vcf is even, l1 odd).
    let worst =
        serde_json::to_vec(&json!({"op": "search_catalog", "kind": "vcf", "labels": ["l1"]}))
            .unwrap();
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        SharingContract.query(&reader, &worst, &b.state).unwrap();
        times.push(t.elapsed());
    }
    report("search_catalog (no match)", times);

    // request_task: an analyst's task over a dataset it holds a grant on (approved at once).
    let n = std::env::var("STRONGROOM_BENCH_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or((100_000.0 * scale).max(1_000.0) as usize);
    let mut times = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    for k in 0..n {
        let i = (k * 7919) % datasets;
        let who = analyst((i * grants_per_dataset) % 1000);
        let invocation = task(&[&ids[i]], &alg, &who);
        let t = Instant::now();
        let reply = b.exec(&who, &invocation);
        times.push(t.elapsed());
        tasks.push((serde_json::from_slice::<Created>(&reply).unwrap().id, who));
    }
    report("request_task (granted)", times);

    // get_task by its requester.
    let mut times = Vec::with_capacity(n);
    for (id, who) in &tasks {
        let q = serde_json::to_vec(&json!({"op": "get_task", "id": id})).unwrap();
        let t = Instant::now();
        SharingContract.query(who, &q, &b.state).unwrap();
        times.push(t.elapsed());
    }
    report("get_task", times);

    // approve_task: tasks by analysts without a grant, approved by the owner.
    let mut pending = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    for k in 0..n {
        let i = (k * 104_729) % datasets;
        let who = caller(
            "OutsiderMSP".into(),
            format!("outsider{}", k % 100),
            "analyst",
        );
        let invocation = task(&[&ids[i]], &alg, &who);
        let t = Instant::now();
        let reply = b.exec(&who, &invocation);
        times.push(t.elapsed());
        pending.push((
            serde_json::from_slice::<Created>(&reply).unwrap().id,
            i % orgs,
        ));
    }
    report("request_task (needs approval)", times);
    let mut times = Vec::with_capacity(n);
    for (id, org) in &pending {
        let invocation = typed(json!({"op": "approve_task", "task": id}));
        let t = Instant::now();
        b.exec(&owner(*org), &invocation);
        times.push(t.elapsed());
    }
    report("approve_task", times);
    println!("(catalog queries returned {found} datasets in all)");
}
