//! The owner-side analyzer: claims the approved owner-side tasks of its organization,
//! fetches and decrypts their inputs as the tasks' claimant, applies each grant's row
//! window, runs the built-in analysis, checks the result against the algorithm's output
//! rule, and writes it encrypted to the recipients (or the reason it failed).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};
use strongroom_client::data;
use strongroom_client::{Client, ClientError};
use strongroom_compute::{AnalysisOutput, ComputeError};
use strongroom_contract::sharing::{
    AlgorithmKind, ClaimTask, ExecutionMode, Invocation, Outcome, TaskStatus, TaskView, WriteResult,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;

use super::flow::{
    BUILTINS, analysis_columns, builtin_measurement, invoke, list_tasks, member_label, org_label,
    task_analysis,
};

/// What the analyzer did with one task.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Executed {
    /// The task.
    pub task: String,
    /// The algorithm's name.
    pub algorithm: String,
    /// `succeeded`, `failed` (recorded on the ledger) or `deferred` (not handled this
    /// pass: retried on the next).
    pub status: String,
    /// Why it failed or was deferred.
    pub reason: Option<String>,
    /// The ledger entry recording the outcome.
    pub sequence: Option<u64>,
}

/// One pass of the owner-side analyzer: claims every approved owner-side task of the
/// executor's organization (and resumes those it claimed before a restart), runs it on
/// the decrypted data in `work_dir`, and writes the result encrypted to the recipients,
/// or the reason it failed. Plaintext is removed when each task ends.
pub async fn analyzer_pass(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
) -> Result<Vec<Executed>> {
    let mut done = Vec::new();
    for task in list_tasks(client, executor).await? {
        if task.mode != ExecutionMode::OwnerSide {
            continue;
        }
        let mine = task
            .claimant
            .as_ref()
            .is_some_and(|c| c.msp_id == executor.msp_id() && c.name == executor.name());
        let (id, algorithm) = (task.id.clone(), task.algorithm.name.clone());
        let attempt = match task.status {
            TaskStatus::Approved => {
                claim_and_execute(client, executor, org_key, work_dir, &id).await
            }
            TaskStatus::Running if mine => {
                execute(client, executor, org_key, work_dir, &task).await
            }
            _ => continue,
        };
        // A task that could not be handled now (the node unreachable, another analyzer
        // claimed it first) is reported and left for the next pass; the others go on.
        done.push(attempt.unwrap_or_else(|error| Executed {
            task: id,
            algorithm,
            status: "deferred".into(),
            reason: Some(format!("{error:#}")),
            sequence: None,
        }));
    }
    Ok(done)
}

async fn claim_and_execute(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
    id: &str,
) -> Result<Executed> {
    let (claimed, _): (TaskView, u64) = invoke(
        client,
        executor,
        Invocation::ClaimTask(ClaimTask {
            task: id.to_owned(),
        }),
    )
    .await
    .with_context(|| format!("cannot claim {id}"))?;
    execute(client, executor, org_key, work_dir, &claimed).await
}

/// One line about what the analyzer did with a task.
pub fn executed_line(e: &Executed) -> String {
    let reason = e
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match e.sequence {
        Some(sequence) => format!(
            "{} ({}): {}{reason} (ledger entry {sequence})",
            e.task, e.algorithm, e.status
        ),
        None => format!("{} ({}): {}{reason}", e.task, e.algorithm, e.status),
    }
}

/// Why a task failed: reported on the ledger (at most 1 KiB).
fn failure_reason(error: &anyhow::Error) -> String {
    let mut reason = format!("{error:#}");
    if reason.len() > 1000 {
        let mut cut = 1000;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push('…');
    }
    reason
}

/// Whether an error is the node or the network (retry later) rather than the task. A
/// missing object (404) is the task's: its input is gone.
fn is_infrastructure(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| match cause.downcast_ref::<ClientError>() {
            Some(ClientError::Transport { .. }) => true,
            Some(ClientError::Api { status, .. }) => *status != 404,
            _ => false,
        })
}

async fn execute(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
    task: &TaskView,
) -> Result<Executed> {
    let scratch = work_dir.join(&task.id);
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let outcome = run_task(client, executor, org_key, &scratch, task).await;
    // The plaintext never outlives the task.
    let _ = std::fs::remove_dir_all(&scratch);
    let outcome = match outcome {
        Ok(result) => {
            let recipients = task
                .recipients
                .iter()
                .map(|r| {
                    Ok((
                        member_label(&r.msp_id, &r.name),
                        data::parse_public(&r.public_key)?,
                    ))
                })
                .collect::<Result<Vec<_>, ClientError>>()?;
            let envelope = data::seal_result(&task.id, &result, &recipients)?;
            Outcome::Succeeded {
                ciphertext_sha256: hex::encode(Sha256::digest(&envelope)),
                ciphertext: hex::encode(envelope),
                evidence_ref: Some(format!(
                    "owner-side analyzer {} (strongroom {})",
                    member_label(executor.msp_id(), executor.name()),
                    env!("CARGO_PKG_VERSION")
                )),
            }
        }
        Err(error) if is_infrastructure(&error) => return Err(error),
        Err(error) => Outcome::Failed {
            reason: failure_reason(&error),
        },
    };
    let (status, reason) = match &outcome {
        Outcome::Succeeded { .. } => ("succeeded".to_owned(), None),
        Outcome::Failed { reason } => ("failed".to_owned(), Some(reason.clone())),
    };
    let (_, sequence): (TaskView, u64) = invoke(
        client,
        executor,
        Invocation::WriteResult(WriteResult {
            task: task.id.clone(),
            outcome,
        }),
    )
    .await
    .with_context(|| format!("cannot write the result of {}", task.id))?;
    Ok(Executed {
        task: task.id.clone(),
        algorithm: task.algorithm.name.clone(),
        status,
        reason,
        sequence: Some(sequence),
    })
}

/// Fetches, decrypts and analyses a task's inputs, over the rows their grants' windows
/// allow, and checks the output against the algorithm's release rule; returns the
/// result's plaintext. Any failure fails the task: nothing unwindowed or unchecked is
/// released.
async fn run_task(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    scratch: &Path,
    task: &TaskView,
) -> Result<Vec<u8>> {
    let algorithm = &task.algorithm;
    if algorithm.kind != AlgorithmKind::Builtin
        || !BUILTINS.iter().any(|(name, _)| *name == algorithm.name)
        || algorithm.measurement != builtin_measurement(&algorithm.name)
    {
        bail!(
            "algorithm {} ({}) is not a built-in this analyzer runs",
            algorithm.name,
            algorithm.id
        );
    }
    let analysis = task_analysis(&algorithm.name, &task.parameters)?;
    for column in analysis_columns(&analysis) {
        if !task.columns.contains(&column) {
            bail!("the analysis reads column {column}, which the task does not declare");
        }
    }
    let wanted: BTreeSet<String> = analysis.columns().into_iter().map(|c| c.file).collect();
    // Which input holds each file read, and the row windows of those inputs' grants,
    // settled before anything is fetched or decrypted.
    let mut sources = Vec::new();
    for name in &wanted {
        let mut found = task
            .inputs
            .iter()
            .flat_map(|input| input.files.iter().map(move |file| (input, file)))
            .filter(|(_, file)| &file.name == name);
        let (input, file) = found
            .next()
            .ok_or_else(|| anyhow!("no input of the task has a file named {name}"))?;
        if found.next().is_some() {
            bail!("several inputs have a file named {name}");
        }
        if input.owner_msp != executor.msp_id() {
            bail!(
                "{name} belongs to {}, not to this analyzer's organization",
                input.owner_msp
            );
        }
        sources.push((name, input, file));
    }
    let mut read_inputs: Vec<&strongroom_contract::sharing::TaskInput> = Vec::new();
    for (_, input, _) in &sources {
        if !read_inputs.iter().any(|i| i.dataset == input.dataset) {
            read_inputs.push(input);
        }
    }
    let windows = super::enforce::row_windows(read_inputs)?;
    let mut local = std::collections::BTreeMap::new();
    for (name, input, file) in sources {
        let label = org_label(executor.msp_id());
        let wrapped = input
            .wrapped_keys
            .iter()
            .find(|k| k.recipient == label)
            .ok_or_else(|| anyhow!("dataset {} has no key wrapped to {label}", input.dataset))?;
        let dek = data::unwrap_data_key(org_key, &wrapped.key)
            .with_context(|| format!("dataset {}", input.dataset))?;
        let dest = scratch.join(format!("{}-{}", input.dataset, local.len()));
        data::fetch_file(
            client,
            executor,
            strongroom_contract::ObjectPurpose::TaskInput {
                task: task.id.clone(),
            },
            &file.location,
            &file.ciphertext_sha256,
            &dek,
            &dest,
        )
        .await
        .with_context(|| format!("{name} of dataset {}", input.dataset))?;
        local.insert(name.clone(), dest);
    }
    let k = task.min_cell_size;
    let output: AnalysisOutput = tokio::task::spawn_blocking(move || {
        let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
            let path = local.get(name).ok_or_else(|| ComputeError::Open {
                file: name.into(),
                reason: "not an input of the task".into(),
            })?;
            let file = std::fs::File::open(path).map_err(|e| ComputeError::Open {
                file: name.into(),
                reason: e.to_string(),
            })?;
            Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
        };
        strongroom_compute::run_windowed(&analysis, k, &windows, &mut open)
    })
    .await
    .map_err(|e| anyhow!("the analysis crashed: {e}"))??;
    // The last gate: nothing leaves unless it keeps the algorithm's release rule.
    super::enforce::check_result(algorithm, &output, k)?;
    Ok(serde_json::to_vec(&output)?)
}
