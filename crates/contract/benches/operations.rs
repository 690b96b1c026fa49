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
//!
//! Beside each task operation, its floor: what it cannot do without (parse its
//! invocation, hash its definition, touch the state where it goes), each part timed
//! alone in the same run. The sum bounds the operation from below.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strongroom_contract::sharing::{
    CatalogPage, Created, Invocation, Reserved, SharingContract, TaskDefinition, TaskView,
};
use strongroom_contract::{Caller, Contract, MemState, Overlay, State, TxContext};

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
            entropy: [0; 32],
            defaults: Default::default(),
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

/// A registration of dataset `i`, its one file at `location` (reserved for its owner).
fn register(i: usize, location: &str) -> Value {
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
            "location": location,
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

/// What a granted `request_task` cannot do without, each part timed alone in this run on
/// the same state: parsing the invocation, hashing the task's canonical definition, and
/// touching the state where the task goes (its dataset's record, files and grant index;
/// four new keys: the task, the requester's and the organization's index entries, the
/// dataset's audit event). Their sum bounds `request_task` from below: no change to the
/// contract's own code gets under it.
fn floor(b: &mut Bench, ids: &[String], alg: &str, tasks: &[(String, Caller)], grants: usize) {
    let n = tasks.len();
    let datasets = ids.len();
    let mut parse = Vec::with_capacity(n);
    for k in 0..n {
        let i = (k * 7919) % datasets;
        let invocation = task(&[&ids[i]], alg, &analyst((i * grants) % 1000));
        let t = Instant::now();
        std::hint::black_box(Invocation::from_json(&invocation).unwrap());
        parse.push(t.elapsed());
    }
    let definitions: Vec<TaskDefinition> = tasks
        .iter()
        .map(|(id, who)| {
            let q = serde_json::to_vec(&json!({"op": "get_task", "id": id})).unwrap();
            let reply = SharingContract.query(who, &q, &b.state).unwrap();
            TaskDefinition::of_task(&serde_json::from_slice::<TaskView>(&reply).unwrap())
        })
        .collect();
    let mut hash = Vec::with_capacity(n);
    for definition in &definitions {
        let t = Instant::now();
        std::hint::black_box(definition.config_hash().unwrap());
        hash.push(t.elapsed());
    }
    let record = vec![0x5a; 600];
    let mut touch = Vec::with_capacity(n);
    for k in 0..n {
        let i = (k * 7919) % datasets;
        let id = &ids[i];
        let sequence = b.sequence + 1 + k as u64;
        let t = Instant::now();
        let mut overlay = Overlay::new(&b.state);
        std::hint::black_box(overlay.get_ref(format!("d/{id}").as_bytes()).is_some());
        std::hint::black_box(overlay.get_ref(format!("d/{id}/body").as_bytes()).is_some());
        let mut first = false;
        overlay.scan(format!("d/{id}/g/").as_bytes(), None, &mut |_, _| {
            first = true;
            false
        });
        std::hint::black_box(first);
        overlay.put(
            format!("t/task-{sequence:016x}").into_bytes(),
            record.clone(),
        );
        overlay.put(
            format!(
                "mt/{:016x}/task-{sequence:016x}",
                (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            )
            .into_bytes(),
            Vec::new(),
        );
        overlay.put(
            format!("ex/{:016x}/task-{sequence:016x}", i % 20).into_bytes(),
            Vec::new(),
        );
        let writes = with_audit_event(overlay, id, sequence);
        b.state.apply(writes);
        touch.push(t.elapsed());
    }
    // The keys written above took these sequence numbers' ids.
    b.sequence += n as u64;
    print_floor("request_task", parse, hash, touch);
}

/// What a pending task's `approve_task` cannot do without, timed as [`floor`] times
/// `request_task`'s: parsing the invocation, and touching the state where the approval
/// goes (the task's record and its input's dataset record read, the task's record
/// written back, its entry in the organization's awaiting index removed and one added
/// to the executable index, the dataset's audit event). No hash to compute.
fn approve_floor(b: &mut Bench, ids: &[String], pending: &[(String, usize, usize)]) {
    let n = pending.len();
    let mut parse = Vec::with_capacity(n);
    let mut touch = Vec::with_capacity(n);
    for (k, (task, dataset, org)) in pending.iter().enumerate() {
        let invocation = typed(json!({"op": "approve_task", "task": task}));
        let t = Instant::now();
        std::hint::black_box(Invocation::from_json(&invocation).unwrap());
        parse.push(t.elapsed());
        let id = &ids[*dataset];
        let sequence = b.sequence + 1 + k as u64;
        let t = Instant::now();
        let mut overlay = Overlay::new(&b.state);
        let record = overlay
            .get_ref(format!("t/{task}").as_bytes())
            .map(|r| r.into_owned())
            .unwrap();
        std::hint::black_box(overlay.get_ref(format!("d/{id}").as_bytes()).is_some());
        // The same bytes back: the approve_task phase after this one finds its tasks
        // as they were.
        overlay.put(format!("t/{task}").into_bytes(), record);
        overlay.delete(format!("oa/{org:016x}/{task}").as_bytes());
        overlay.put(format!("ex/{org:016x}/{task}").into_bytes(), Vec::new());
        let writes = with_audit_event(overlay, id, sequence);
        b.state.apply(writes);
        touch.push(t.elapsed());
    }
    b.sequence += n as u64;
    print_floor("approve_task", parse, Vec::new(), touch);
}

/// The writes of `overlay` and a dataset audit event's (of the size the contract
/// writes).
fn with_audit_event(
    mut overlay: Overlay<'_>,
    dataset: &str,
    sequence: u64,
) -> std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    overlay.put(
        format!("d/{dataset}/log/{sequence:016x}").into_bytes(),
        vec![0x5a; 80],
    );
    overlay.into_writes()
}

/// Prints the medians of a floor's parts and their sum.
fn print_floor(name: &str, parse: Vec<Duration>, hash: Vec<Duration>, touch: Vec<Duration>) {
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times.get(times.len() / 2).copied().unwrap_or_default()
    };
    let (parse, hash, touch) = (median(parse), median(hash), median(touch));
    let sum = parse + hash + touch;
    println!(
        "{name} floor: parse {:.1} µs + config hash {:.1} µs + state {:.1} µs = {:.1} µs \
         (at most {:.0} ops/s)",
        parse.as_secs_f64() * 1e6,
        hash.as_secs_f64() * 1e6,
        touch.as_secs_f64() * 1e6,
        sum.as_secs_f64() * 1e6,
        1.0 / sum.as_secs_f64(),
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
            "output_rule": "small_cells_suppressed",
        }),
    );
    let mut ids = Vec::with_capacity(datasets);
    for i in 0..datasets {
        // The contract hands out the location the file is uploaded to.
        let reply = b.exec(&owner(i % orgs), br#"{"op":"reserve_locations","count":1}"#);
        let reserved: Reserved = serde_json::from_slice(&reply).unwrap();
        ids.push(b.create(&owner(i % orgs), &register(i, &reserved.locations[0])));
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
    floor(&mut b, &ids, &alg, &tasks, grants_per_dataset);

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
            i,
            i % orgs,
        ));
    }
    report("request_task (needs approval)", times);
    approve_floor(&mut b, &ids, &pending);
    let mut times = Vec::with_capacity(n);
    for (id, _, org) in &pending {
        let invocation = typed(json!({"op": "approve_task", "task": id}));
        let t = Instant::now();
        b.exec(&owner(*org), &invocation);
        times.push(t.elapsed());
    }
    report("approve_task", times);
    println!("(catalog queries returned {found} datasets in all)");
}
