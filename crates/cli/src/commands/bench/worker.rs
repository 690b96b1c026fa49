//! `strongroom bench worker`: the three-hospital stratify in TEE mode from claim to
//! sealed result, against the same stratify over the plaintext in this process; and the
//! WebAssembly count-by-group's rows per second against the native built-in that does
//! the same counting, on the same input in the same run.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use strongroom_analyzer::Worker;
use strongroom_client::Client;
use strongroom_compute::{ColumnRows, Labeled, RowWindows};
use strongroom_contract::sharing::{ApproveTask, Invocation, Query, SharingContract, TaskView};
use strongroom_identity::Role;
use strongroom_node::{Node, RunningNode};
use strongroom_sandbox::{Limits, Sandbox};

use crate::commands::demo::multi_party::{share_spec, worker_policy};
use crate::commands::demo::{CONDITION_CODE, enroll, make_org, node_settings};
use crate::commands::flow;
use crate::commands::net::{insecure_sim_policy, org_data_key, result_key};
use crate::commands::worker::sim_worker;

/// Arguments of `bench worker`.
#[derive(Debug, Args)]
pub struct WorkerBenchArgs {
    /// Synthetic patients, split between the three hospitals.
    #[arg(long, default_value_t = 20_000)]
    patients: usize,
    /// Stratify tasks timed (and as many native references, alternating).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The count-by-group module [default:
    /// target/algorithms/wasm32-unknown-unknown/release/count_by_group.wasm].
    #[arg(long, value_name = "FILE")]
    wasm: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Timing {
    min_ms: f64,
    median_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Serialize)]
struct WorkerFigures {
    patients: usize,
    conditions: usize,
    stratify_claim_to_sealed_result: Timing,
    stratify_native_plaintext: Timing,
    median_ratio_worker_to_native: f64,
    count_rows: u64,
    wasm_rows_per_s: Vec<f64>,
    native_rows_per_s: Vec<f64>,
    median_ratio_wasm_to_native: f64,
}

fn timing(mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    Timing {
        min_ms: samples.first().map_or(0.0, ms),
        median_ms: samples.get(samples.len() / 2).map_or(0.0, ms),
        max_ms: samples.last().map_or(0.0, ms),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Runs the benchmark.
pub fn run(args: &WorkerBenchArgs) -> Result<()> {
    let wasm = args.wasm.clone().unwrap_or_else(|| {
        PathBuf::from("target/algorithms/wasm32-unknown-unknown/release/count_by_group.wasm")
    });
    let module = std::fs::read(&wasm).with_context(|| {
        format!(
            "{}: build it with `bash scripts/build-algorithms.sh` or pass --wasm FILE",
            wasm.display()
        )
    })?;
    let base = tempfile::tempdir().context("cannot create a temporary directory")?;
    let data = base.path().join("synthea");
    let summary = strongroom_compute::synthetic::generate(&data, args.patients, 2020)?;
    if !args.json {
        println!(
            "strongroom bench worker: {} synthetic patients ({} conditions) split between three hospitals",
            summary.patients, summary.conditions
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (worker, native) = runtime.block_on(stratify_runs(
        base.path(),
        &data,
        args.runs.max(1),
        args.json,
    ))?;
    let ratios: Vec<f64> = worker
        .iter()
        .zip(&native)
        .map(|(w, n)| w.as_secs_f64() / n.as_secs_f64())
        .collect();
    let (count_rows, wasm_rates, native_rates) = count_pairs(
        &module,
        &summary.conditions_path,
        args.runs.max(1),
        args.json,
    )?;
    let count_ratios = wasm_rates
        .iter()
        .zip(&native_rates)
        .map(|(w, n)| w / n)
        .collect();
    let figures = WorkerFigures {
        patients: summary.patients,
        conditions: summary.conditions,
        stratify_claim_to_sealed_result: timing(worker),
        stratify_native_plaintext: timing(native),
        median_ratio_worker_to_native: median(ratios),
        count_rows,
        wasm_rows_per_s: wasm_rates,
        native_rows_per_s: native_rates,
        median_ratio_wasm_to_native: median(count_ratios),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        let t = &figures.stratify_claim_to_sealed_result;
        let n = &figures.stratify_native_plaintext;
        println!(
            "stratify over three hospitals, claim to sealed result: min {:.1} ms, median {:.1} ms, max {:.1} ms",
            t.min_ms, t.median_ms, t.max_ms
        );
        println!(
            "the same stratify over the plaintext, in this process:  min {:.1} ms, median {:.1} ms, max {:.1} ms",
            n.min_ms, n.median_ms, n.max_ms
        );
        println!(
            "median worker/plaintext: {:.2}",
            figures.median_ratio_worker_to_native
        );
        println!(
            "median wasm/native rows per second: {:.2} (target: at least 0.50) {}",
            figures.median_ratio_wasm_to_native,
            if figures.median_ratio_wasm_to_native >= 0.5 {
                "met"
            } else {
                "NOT MET"
            }
        );
    }
    Ok(())
}

/// A node, three hospitals with a share each (`--tee`), a lab and its worker; then per
/// run a stratify task approved by all three, timed from the worker's pass (list,
/// claim with evidence, key release, fetch, decrypt, stratify, seal, write) to its end,
/// alternating with the same stratify over the unsplit plaintext.
async fn stratify_runs(
    base: &Path,
    data: &Path,
    runs: usize,
    quiet: bool,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let hospitals = ["Hosp1MSP", "Hosp2MSP", "Hosp3MSP"]
        .iter()
        .map(|msp| {
            let org = make_org(base, msp)?;
            let owner = enroll(&org, "owner", Role::Owner)?;
            Ok((org, owner))
        })
        .collect::<Result<Vec<_>>>()?;
    let lab = make_org(base, "LabMSP")?;
    let rita = enroll(&lab, "rita", Role::Analyst)?;
    let worker_member = enroll(&lab, "worker", Role::Executor)?;
    let policy = base.join("worker-policy.toml");
    std::fs::write(&policy, worker_policy())?;
    let mut orgs: Vec<_> = hospitals.iter().map(|(org, _)| org).collect();
    orgs.push(&lab);
    let settings = node_settings(base, &orgs, Some(policy))?;
    let node = Node::open(&settings, Box::new(SharingContract)).await?;
    let running = RunningNode::start(node, &settings).await?;
    let outcome = async {
        let url = format!("https://localhost:{}", running.addr().port());
        let client = Client::connect(&url, None, &insecure_sim_policy()).await?;
        let parts = strongroom_compute::split::split_by_patient(data, 3, &base.join("shares"))?;
        let mut datasets = Vec::new();
        for ((org, owner), part) in hospitals.iter().zip(&parts) {
            let put = flow::put_dataset(
                &client,
                owner,
                &org_data_key(&org.dir)?,
                &share_spec(owner, part),
                false,
            )
            .await?;
            datasets.push(put.id);
        }
        let builtins = flow::register_builtins(&client, &rita).await?;
        let stratify = builtins
            .iter()
            .find(|a| a.name == "stratify")
            .ok_or_else(|| anyhow!("stratify is not registered"))?;
        let rita_key = result_key(&lab.dir, rita.name())?;
        let platform = sim_worker()?;
        let parameters = json!({"patients_file": "patients.csv", "conditions_file": "conditions.csv",
                                "condition": {"code": CONDITION_CODE}});
        let (mut worker_times, mut native_times) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            let (task, _) = flow::request_task(
                &client,
                &rita,
                &rita_key,
                flow::TaskAsk {
                    inputs: datasets.clone(),
                    algorithm: stratify,
                    parameters: parameters.clone(),
                    columns: None,
                    extra: Vec::new(),
                    tee: true,
                    epsilon_micro: None,
                },
            )
            .await?;
            for (_, owner) in &hospitals {
                flow::invoke::<TaskView>(
                    &client,
                    owner,
                    Invocation::ApproveTask(ApproveTask { task: task.clone() }),
                )
                .await?;
            }
            let work = base.join(format!("worker-{run}"));
            let started = Instant::now();
            let done = Worker::new(&client, &worker_member, &platform, &work)
                .pass()
                .await?;
            let worker_time = started.elapsed();
            ensure!(
                done.len() == 1 && done[0].status == "succeeded",
                "run {run}: the worker did not complete the task: {done:?}"
            );
            let view: TaskView = client.ask(&rita, &Query::GetTask { id: task }).await?;
            let native_time = native_stratify(data, &view)?;
            if !quiet {
                println!(
                    "run {run}: worker {:.1} ms, plaintext {:.1} ms",
                    worker_time.as_secs_f64() * 1e3,
                    native_time.as_secs_f64() * 1e3
                );
            }
            worker_times.push(worker_time);
            native_times.push(native_time);
        }
        Ok::<_, anyhow::Error>((worker_times, native_times))
    }
    .await;
    running.shutdown().await?;
    outcome
}

/// The task's stratify over the unsplit plaintext files.
fn native_stratify(data: &Path, view: &TaskView) -> Result<Duration> {
    let analysis =
        strongroom_analyzer::builtin::task_analysis(&view.algorithm.name, &view.parameters)?;
    let started = Instant::now();
    let mut open = |name: &str| -> Result<Box<dyn Read>, strongroom_compute::ComputeError> {
        File::open(data.join(name))
            .map(|f| Box::new(BufReader::new(f)) as Box<dyn Read>)
            .map_err(|e| strongroom_compute::ComputeError::Open {
                file: name.into(),
                reason: e.to_string(),
            })
    };
    strongroom_compute::run(&analysis, view.min_cell_size, &mut open)?;
    Ok(started.elapsed())
}

/// Counts conditions by DESCRIPTION: the module in the sandbox and the built-in
/// `describe` (which counts the rows holding each value), alternating; rows and rates.
fn count_pairs(
    module: &[u8],
    conditions: &Path,
    pairs: usize,
    quiet: bool,
) -> Result<(u64, Vec<f64>, Vec<f64>)> {
    const COLUMN: &str = "DESCRIPTION";
    let sandbox = Sandbox::new()?;
    let measurement: [u8; 32] = Sha256::digest(module).into();
    let algorithm = sandbox.load(module, &measurement)?;
    let limits = Limits::new(Limits::MAX_FUEL, Limits::DEFAULT_MEMORY_BYTES)?;
    let (mut wasm_rates, mut native_rates, mut rows) = (Vec::new(), Vec::new(), 0);
    for pair in 1..=pairs {
        let started = Instant::now();
        let described =
            strongroom_compute::describe(BufReader::new(File::open(conditions)?), COLUMN, 1)?;
        let native_time = started.elapsed();
        let native_rows = described.count.unwrap_or(0);
        let started = Instant::now();
        let reader: Box<dyn Read + Send> = Box::new(BufReader::new(File::open(conditions)?));
        let input = ColumnRows::open(
            Labeled::new("conditions.csv", reader),
            &[COLUMN.to_owned()],
            &RowWindows::default(),
        )?;
        let table = sandbox.run(&algorithm, vec![input], 1, &limits)?;
        let wasm_time = started.elapsed();
        let wasm_rows: u64 = table.rows.iter().map(|r| r.count).sum();
        ensure!(
            wasm_rows == native_rows,
            "the module and the built-in counted differently"
        );
        rows = wasm_rows;
        let (w, n) = (
            wasm_rows as f64 / wasm_time.as_secs_f64(),
            native_rows as f64 / native_time.as_secs_f64(),
        );
        if !quiet {
            println!(
                "count pair {pair}: wasm {w:.0} rows/s, native {n:.0} rows/s, wasm/native {:.2}",
                w / n
            );
        }
        wasm_rates.push(w);
        native_rates.push(n);
    }
    Ok((rows, wasm_rates, native_rates))
}
