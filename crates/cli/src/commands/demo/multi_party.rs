//! `strongroom demo --multi-party`: three hospitals, one research lab, one result. Each
//! hospital holds a share of the patients; the lab's tasks run in an attested worker
//! over all three shares, with keys the core releases only to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::json;
use strongroom_analyzer::{Worker, worker_identity};
use strongroom_client::Client;
use strongroom_compute::AnalysisOutput;
use strongroom_contract::sharing::{
    ApproveTask, AuditAction, AuditTrail, DatasetKind, Invocation, Query, SharingContract,
    TaskStatus, TaskView,
};
use strongroom_identity::{Member, Role};
use strongroom_node::{Node, RunningNode};
use strongroom_tee::{Platform, SIM_WARNING};

use super::{
    CONDITION_CODE, DemoArgs, Org, Step, answer, bogus_id, enroll, make_org, node_settings,
    source_data,
};
use crate::commands::flow::{self, DatasetSpec};
use crate::commands::net::{insecure_sim_policy, org_data_key, result_key};
use crate::commands::worker::sim_worker;

/// Where `scripts/build-algorithms.sh` puts the count-by-group example.
const COUNT_BY_GROUP: &str = "target/algorithms/wasm32-unknown-unknown/release/count_by_group.wasm";
/// The column the WebAssembly task counts by.
const GROUP_COLUMN: &str = "RACE";
pub(crate) const HOSPITALS: [&str; 3] = ["Hosp1MSP", "Hosp2MSP", "Hosp3MSP"];

/// The worker policy the demo's consortium starts with: this build's simulated worker.
pub(crate) fn worker_policy() -> String {
    format!(
        "# {SIM_WARNING}: sim evidence can be forged; for development only.\n\
         allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{}\"\n",
        worker_identity().measurement()
    )
}

/// A hospital's share, put for attested workers too (`--tee`), with k = 11.
pub(crate) fn share_spec(owner: &Member, part: &strongroom_compute::split::Part) -> DatasetSpec {
    DatasetSpec {
        name: format!("Patients of {}", owner.msp_id()),
        kind: DatasetKind::Csv,
        description: "Synthea patients with their conditions (SNOMED-CT)".into(),
        labels: vec!["ehr".into(), "multi-site".into()],
        purposes: vec!["research".into()],
        consent_expires_at_ms: None,
        min_cell_size: Some(11),
        time_column: None,
        tee: true,
        tee_only: false,
        epsilon_budget_micro: None,
        files: vec![
            part.dir.join("patients.csv"),
            part.dir.join("conditions.csv"),
        ],
    }
}

/// The organizations of the three-hospital demos and their members.
pub(crate) struct Parties {
    pub(crate) hospitals: Vec<(Org, Member)>,
    pub(crate) lab: Org,
    pub(crate) rita: Member,
    pub(crate) worker: Member,
    pub(crate) other: Org,
    pub(crate) eve: Member,
    pub(crate) eve_worker: Member,
}

impl Parties {
    /// Creates three hospitals (an owner each), a research lab (an analyst and an
    /// executor running the attested worker) and an unrelated organization (an analyst
    /// and an executor with an attested worker too).
    pub(crate) fn create(base: &Path, step: &mut Step) -> Result<Self> {
        step.next("Create three hospitals, a research lab and an unrelated organization");
        let mut hospitals = Vec::new();
        for msp in HOSPITALS {
            let org = make_org(base, msp)?;
            let owner = enroll(&org, "owner", Role::Owner)?;
            hospitals.push((org, owner));
        }
        let lab = make_org(base, "LabMSP")?;
        let rita = enroll(&lab, "rita", Role::Analyst)?;
        let worker = enroll(&lab, "worker", Role::Executor)?;
        let other = make_org(base, "OtherMSP")?;
        let eve = enroll(&other, "eve", Role::Analyst)?;
        let eve_worker = enroll(&other, "worker", Role::Executor)?;
        step.say("Hosp1MSP, Hosp2MSP, Hosp3MSP (hospitals): owner");
        step.say(
            "LabMSP (research lab): rita (analyst), worker (executor running the attested worker)",
        );
        step.say(
            "OtherMSP (unrelated): eve (analyst), worker (executor, with an attested worker too)",
        );
        Ok(Self {
            hospitals,
            lab,
            rita,
            worker,
            other,
            eve,
            eve_worker,
        })
    }
}

/// Starts a node in `base` whose genesis names every party and the worker policy of
/// this build's simulated worker; answers it and its URL.
pub(crate) async fn start_node(
    base: &Path,
    parties: &Parties,
    step: &mut Step,
) -> Result<(RunningNode, String)> {
    step.next("Start a node whose genesis names the worker policy");
    let policy_path = base.join("worker-policy.toml");
    std::fs::write(&policy_path, worker_policy())?;
    let mut all: Vec<&Org> = parties.hospitals.iter().map(|(org, _)| org).collect();
    all.extend([&parties.lab, &parties.other]);
    let settings = node_settings(base, &all, Some(policy_path))?;
    let node = Node::open(&settings, Box::new(SharingContract)).await?;
    let running = RunningNode::start(node, &settings).await?;
    let url = format!("https://localhost:{}", running.addr().port());
    step.say(&format!("listening on {url}"));
    step.say(&format!(
        "worker policy: the simulated worker of this build, measurement {}",
        worker_identity().measurement()
    ));
    step.say("WARNING: INSECURE SIMULATION: no TEE on this machine; node and worker evidence is simulated");
    Ok((running, url))
}

/// Runs the multi-party demo in `base`.
pub(super) async fn demo(args: &DemoArgs, base: &Path) -> Result<()> {
    let wasm_path = args
        .wasm
        .clone()
        .unwrap_or_else(|| PathBuf::from(COUNT_BY_GROUP));
    let module = std::fs::read(&wasm_path).with_context(|| {
        format!(
            "{}: the count-by-group WebAssembly example; build it with `bash scripts/build-algorithms.sh` or pass --wasm FILE",
            wasm_path.display()
        )
    })?;
    let mut step = Step {
        number: 0,
        started: Instant::now(),
    };
    println!("strongroom demo --multi-party: three hospitals, one research lab, one result");
    println!("working directory: {}", base.display());

    let parties = Parties::create(base, &mut step)?;
    let Parties {
        hospitals,
        lab,
        rita,
        worker: worker_member,
        other: _,
        eve,
        eve_worker,
    } = &parties;

    step.next("Split the patients between the three hospitals");
    let source = source_data(args, base, &step)?;
    let parts = strongroom_compute::split::split_by_patient(&source, 3, &base.join("shares"))?;
    for (msp, part) in HOSPITALS.iter().zip(&parts) {
        step.say(&format!(
            "{msp}: {} patients, {} conditions",
            part.patients, part.conditions
        ));
    }

    let (running, url) = start_node(base, &parties, &mut step).await?;
    let people = People {
        hospitals: hospitals.iter().map(|(org, owner)| (org, owner)).collect(),
        rita,
        worker: worker_member,
        eve,
        eve_worker,
        lab_dir: &lab.dir,
    };
    let outcome = flow_steps(&mut step, base, &url, &people, &parts, &source, &module).await;
    running.shutdown().await?;
    outcome?;
    println!(
        "\ndemo complete in {:.1} s: every step above ran through the node's HTTPS API",
        step.started.elapsed().as_secs_f64()
    );
    Ok(())
}

struct People<'a> {
    hospitals: Vec<(&'a Org, &'a Member)>,
    rita: &'a Member,
    worker: &'a Member,
    eve: &'a Member,
    eve_worker: &'a Member,
    lab_dir: &'a Path,
}

async fn flow_steps(
    step: &mut Step,
    base: &Path,
    url: &str,
    people: &People<'_>,
    parts: &[strongroom_compute::split::Part],
    source: &Path,
    module: &[u8],
) -> Result<()> {
    let client = Client::connect(url, None, &insecure_sim_policy()).await?;
    step.say(&format!(
        "clients verified the node's attestation; its key-release key {} is bound by the evidence",
        &hex::encode(client.key_release_key())[..16]
    ));

    step.next("Each hospital encrypts its share and lets attested workers receive its key");
    let mut datasets = Vec::new();
    for ((org, owner), part) in people.hospitals.iter().zip(parts) {
        let org_key = org_data_key(&org.dir)?;
        let put =
            flow::put_dataset(&client, owner, &org_key, &share_spec(owner, part), false).await?;
        step.say(&format!(
            "{}: dataset {} (ledger entry {}); key wrapped to its own data key and to the core's key-release key",
            owner.msp_id(),
            put.id,
            put.sequence
        ));
        datasets.push(put.id);
    }

    step.next("The lab registers the algorithms: the built-ins and a measured WebAssembly module");
    let builtins = flow::register_builtins(&client, people.rita).await?;
    let stratify = builtins
        .iter()
        .find(|a| a.name == "stratify")
        .ok_or_else(|| anyhow!("stratify is not registered"))?;
    let wasm = flow::register_wasm(
        &client,
        people.rita,
        module,
        "count-by-group",
        "Counts rows by the first column read; the host suppresses groups below the threshold",
        false,
    )
    .await?;
    let modules = base.join("modules");
    std::fs::create_dir_all(&modules)?;
    std::fs::write(modules.join(format!("{}.wasm", wasm.measurement)), module)?;
    step.say(&format!(
        "{} = count-by-group, measurement (SHA-256 of the module) {}",
        wasm.id, wasm.measurement
    ));

    step.next("The lab requests two TEE-mode tasks over all three hospitals' datasets");
    let rita_key = result_key(people.lab_dir, people.rita.name())?;
    let (stratify_task, _) = flow::request_task(
        &client,
        people.rita,
        &rita_key,
        flow::TaskAsk {
            inputs: datasets.clone(),
            algorithm: stratify,
            parameters: json!({"patients_file": "patients.csv", "conditions_file": "conditions.csv",
                   "condition": {"code": CONDITION_CODE}}),
            columns: None,
            extra: Vec::new(),
            tee: true,
            epsilon_micro: None,
        },
    )
    .await?;
    let (wasm_task, _) = flow::request_task(
        &client,
        people.rita,
        &rita_key,
        flow::TaskAsk {
            inputs: datasets.clone(),
            algorithm: &wasm,
            parameters: json!({"file": "patients.csv"}),
            columns: Some(vec![GROUP_COLUMN.into()]),
            extra: Vec::new(),
            tee: true,
            epsilon_micro: None,
        },
    )
    .await?;
    for task in [&stratify_task, &wasm_task] {
        step.say(&format!(
            "task {task}: pending the approval of each hospital"
        ));
    }

    step.next("Each hospital reviews exactly what it approves, and approves");
    for (_, owner) in &people.hospitals {
        let waiting = flow::list_tasks(&client, owner).await?;
        for view in &waiting {
            step.say(&format!(
                "{} approves {} ({}, measurement {}…, columns {:?}, k = {}, {} inputs, config hash {}…)",
                owner.msp_id(),
                view.id,
                view.algorithm.name,
                &view.algorithm.measurement[..12],
                view.columns,
                view.min_cell_size,
                view.inputs.len(),
                &view.config_hash[..12]
            ));
            flow::invoke::<TaskView>(
                &client,
                owner,
                Invocation::ApproveTask(ApproveTask {
                    task: view.id.clone(),
                }),
            )
            .await?;
        }
        ensure!(
            waiting.len() == 2,
            "{} was not asked about both tasks",
            owner.msp_id()
        );
    }

    step.next("An unrelated organization's attested worker finds nothing to claim");
    let eve_platform = sim_worker()?;
    let eve_done = Worker::new(
        &client,
        people.eve_worker,
        &eve_platform,
        base.join("eve-worker"),
    )
    .pass()
    .await?;
    ensure!(eve_done.is_empty(), "OtherMSP's worker saw a task");
    step.say("OtherMSP's worker, with the accepted measurement: no task listed, nothing claimed");

    step.next("The lab's attested worker claims each task, receives the keys, runs it");
    let platform = sim_worker()?;
    step.say(&format!(
        "{SIM_WARNING}: worker measurement {}",
        platform.measurement()?
    ));
    let executed = Worker::new(&client, people.worker, &platform, base.join("worker"))
        .with_modules(&modules)
        .pass()
        .await?;
    for e in &executed {
        step.say(&e.line());
    }
    ensure!(
        executed.len() == 2 && executed.iter().all(|e| e.status == "succeeded"),
        "the worker did not complete both tasks"
    );

    step.next("The lab reads the combined results; the same analyses over the unsplit data agree");
    let stratified = flow::get_result(&client, people.rita, &rita_key, &stratify_task)
        .await?
        .plaintext
        .ok_or_else(|| anyhow!("the stratify task has no readable result"))?;
    let view: TaskView = client
        .ask(
            people.rita,
            &Query::GetTask {
                id: stratify_task.clone(),
            },
        )
        .await?;
    for line in flow::render_result(&stratified).lines() {
        step.say(&format!("  {line}"));
    }
    let combined: AnalysisOutput = serde_json::from_slice(&stratified)?;
    let union = union_stratify(source, &view)?;
    ensure!(
        combined == union,
        "the combined stratify differs from the same analysis over the unsplit data"
    );
    step.say("stratify over the three shares = stratify over the unsplit data, computed here");
    let counted = flow::get_result(&client, people.rita, &rita_key, &wasm_task)
        .await?
        .plaintext
        .ok_or_else(|| anyhow!("the count-by-group task has no readable result"))?;
    for line in flow::render_result(&counted).lines() {
        step.say(&format!("  {line}"));
    }
    let strongroom_analyzer::output::WasmOutput::WasmTable(table): strongroom_analyzer::output::WasmOutput =
        serde_json::from_slice(&counted)?;
    let expected = union_counts(source, table.k)?;
    let got: BTreeMap<String, u64> = table
        .rows
        .iter()
        .map(|r| (r.labels.join(","), r.count))
        .collect();
    ensure!(
        got == expected,
        "the combined count-by-group {got:?} differs from the count over the unsplit data {expected:?}"
    );
    step.say(&format!(
        "count by {GROUP_COLUMN} over the three shares = the count over the unsplit data ({} groups below k = {} withheld)",
        table.withheld_groups, table.k
    ));

    step.next("Each hospital's audit trail shows the key release: to what, when");
    for ((_, owner), dataset) in people.hospitals.iter().zip(&datasets) {
        let trail: AuditTrail = client
            .ask(
                owner,
                &Query::AuditTrail {
                    dataset: dataset.clone(),
                    after: None,
                    limit: None,
                },
            )
            .await?;
        let releases: Vec<_> = trail
            .events
            .iter()
            .filter(|e| e.action == AuditAction::KeyReleased)
            .collect();
        ensure!(
            releases.len() == 2,
            "{}: {} key releases recorded",
            owner.msp_id(),
            releases.len()
        );
        for e in releases {
            let to = e
                .released_to
                .as_ref()
                .ok_or_else(|| anyhow!("a key release without its worker"))?;
            step.say(&format!(
                "{}: ledger entry {}: key of {dataset} released for {} to {}/{} ({} measurement {}…{})",
                owner.msp_id(),
                e.sequence,
                e.subject,
                e.actor.msp_id,
                e.actor.name,
                to.platform,
                &to.measurement[..12],
                if to.insecure { ", INSECURE" } else { "" }
            ));
        }
    }

    step.next("The unrelated organization is refused everywhere, as for things that do not exist");
    let probes = [
        (
            "the task",
            Query::GetTask {
                id: stratify_task.clone(),
            },
            Query::GetTask {
                id: bogus_id(&stratify_task),
            },
        ),
        (
            "the result",
            Query::ReadResult {
                task: wasm_task.clone(),
            },
            Query::ReadResult {
                task: bogus_id(&wasm_task),
            },
        ),
        (
            "a hospital's audit trail",
            Query::AuditTrail {
                dataset: datasets[0].clone(),
                after: None,
                limit: None,
            },
            Query::AuditTrail {
                dataset: bogus_id(&datasets[0]),
                after: None,
                limit: None,
            },
        ),
    ];
    for (what, real, fake) in &probes {
        let seen = answer(&client, people.eve, real).await;
        let nothing = answer(&client, people.eve, fake).await;
        ensure!(
            seen.starts_with("refused") && seen == nothing,
            "OtherMSP asking for {what} got {seen:?}, and for nothing {nothing:?}"
        );
        step.say(&format!(
            "{what}: {seen:?}, the answer for an id that does not exist"
        ));
    }
    let claim = Invocation::ClaimTask(strongroom_contract::sharing::ClaimTask {
        task: stratify_task.clone(),
        lease_ms: None,
    });
    match flow::invoke::<TaskView>(&client, people.eve_worker, claim).await {
        Ok(_) => bail!("OtherMSP's executor claimed a task"),
        Err(error) => step.say(&format!("its executor's claim without evidence: {error:#}")),
    }
    let status = view.status;
    ensure!(status == TaskStatus::Succeeded, "stratify is {status:?}");
    Ok(())
}

/// The stratify analysis of `view` over the unsplit data, computed here.
fn union_stratify(source: &Path, view: &TaskView) -> Result<AnalysisOutput> {
    let analysis =
        strongroom_analyzer::builtin::task_analysis(&view.algorithm.name, &view.parameters)?;
    let mut open =
        |name: &str| -> Result<Box<dyn std::io::Read>, strongroom_compute::ComputeError> {
            let path = source.join(name);
            std::fs::File::open(&path)
                .map(|f| Box::new(std::io::BufReader::new(f)) as Box<dyn std::io::Read>)
                .map_err(|e| strongroom_compute::ComputeError::Open {
                    file: name.into(),
                    reason: e.to_string(),
                })
        };
    Ok(strongroom_compute::run(
        &analysis,
        view.min_cell_size,
        &mut open,
    )?)
}

/// Patients by `GROUP_COLUMN` over the unsplit data, groups below `k` withheld.
fn union_counts(source: &Path, k: u32) -> Result<BTreeMap<String, u64>> {
    let mut reader = csv::Reader::from_path(source.join("patients.csv"))?;
    let column = reader
        .headers()?
        .iter()
        .position(|h| h == GROUP_COLUMN)
        .ok_or_else(|| anyhow!("patients.csv has no column {GROUP_COLUMN}"))?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record?;
        *counts
            .entry(record.get(column).unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    counts.retain(|_, n| *n >= u64::from(k.max(1)));
    Ok(counts)
}
