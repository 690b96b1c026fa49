//! One pass of the analyzer over its organization's tasks: claim what it can run,
//! execute, and write each outcome to the ledger.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use strongroom_client::data::{self, member_label};
use strongroom_client::{Client, ClientError};
use strongroom_contract::sharing::{
    ClaimTask, ExecutionMode, Invocation, Outcome, TaskStatus, TaskView, WriteResult,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;

use crate::AnalyzerError;
use crate::inputs::{Keys, data_key};
use crate::run::{run_task, runnable};

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

impl Executed {
    /// What is being recorded for `view`: `outcome` (its ledger entry set once written).
    pub(crate) fn written(view: &TaskView, outcome: &Outcome) -> Self {
        let (status, reason) = match outcome {
            Outcome::Succeeded { .. } => ("succeeded".to_owned(), None),
            Outcome::Failed { reason } => ("failed".to_owned(), Some(reason.clone())),
        };
        Self {
            task: view.id.clone(),
            algorithm: view.algorithm.name.clone(),
            status,
            reason,
            sequence: None,
        }
    }

    pub(crate) fn deferred(view: &TaskView, reason: String) -> Self {
        Self {
            task: view.id.clone(),
            algorithm: view.algorithm.name.clone(),
            status: "deferred".into(),
            reason: Some(reason),
            sequence: None,
        }
    }

    /// One line about what the analyzer did with the task.
    pub fn line(&self) -> String {
        let reason = self
            .reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        match self.sequence {
            Some(sequence) => format!(
                "{} ({}): {}{reason} (ledger entry {sequence})",
                self.task, self.algorithm, self.status
            ),
            None => format!(
                "{} ({}): {}{reason}",
                self.task, self.algorithm, self.status
            ),
        }
    }
}

/// An owner-side analyzer: a member (its executor) of an organization holding the
/// organization's data key, with a work directory for its inputs' ciphertext and,
/// optionally, a directory of WebAssembly modules named by their measurement
/// (`MEASUREMENT.wasm`).
pub struct Analyzer<'a> {
    client: &'a Client,
    executor: &'a Member,
    org_key: &'a PrivateKey,
    work_dir: PathBuf,
    modules: Option<PathBuf>,
}

impl<'a> Analyzer<'a> {
    /// An analyzer acting as `executor`, opening its organization's data with
    /// `org_key`, keeping each task's ciphertext under `work_dir` while it runs.
    pub fn new(
        client: &'a Client,
        executor: &'a Member,
        org_key: &'a PrivateKey,
        work_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            client,
            executor,
            org_key,
            work_dir: work_dir.into(),
            modules: None,
        }
    }

    /// Runs WebAssembly algorithms whose modules are in `dir` as `MEASUREMENT.wasm`
    /// (each checked against its measurement before it is compiled).
    pub fn with_modules(mut self, dir: impl Into<PathBuf>) -> Self {
        self.modules = Some(dir.into());
        self
    }

    /// One pass: claims every approved owner-side task of the executor's organization
    /// that this analyzer can run (and resumes those it claimed before a restart),
    /// runs it, and writes the result encrypted to the recipients, or the reason it
    /// failed. A task it cannot run (an algorithm it lacks, a data key its
    /// organization key does not open) is left unclaimed for another analyzer, and
    /// reported as deferred with the reason.
    pub async fn pass(&self) -> Result<Vec<Executed>, AnalyzerError> {
        let mut done = Vec::new();
        let tasks = self
            .client
            .my_tasks(self.executor)
            .await
            .map_err(|e| AnalyzerError::from_client("listing the tasks", e))?;
        for view in tasks {
            if view.mode != ExecutionMode::OwnerSide {
                continue;
            }
            let mine = view.claimant.as_ref().is_some_and(|c| {
                c.msp_id == self.executor.msp_id() && c.name == self.executor.name()
            });
            let attempt = match view.status {
                TaskStatus::Approved => {
                    if let Err(reason) = self.ready(&view) {
                        done.push(Executed::deferred(&view, reason));
                        continue;
                    }
                    self.claim_and_execute(&view.id).await
                }
                TaskStatus::Running if mine => self.execute(&view).await,
                _ => continue,
            };
            // A task that could not be handled now (the node unreachable, another
            // analyzer claimed it first) is reported and left for the next pass.
            done.push(attempt.unwrap_or_else(|error| Executed::deferred(&view, error.to_string())));
        }
        Ok(done)
    }

    /// Whether this analyzer can execute `view` at all, checked before it claims it
    /// (a claimed task it then could not run would fail for good): it runs the
    /// algorithm, and its organization's data key opens the data key of every input
    /// of its organization (which the task shows its organization's executors while
    /// it waits to be claimed).
    fn ready(&self, view: &TaskView) -> Result<(), String> {
        runnable(&view.algorithm, self.modules.as_deref())?;
        for input in &view.inputs {
            if input.owner_msp != self.executor.msp_id() {
                continue;
            }
            data_key(input, self.executor, self.org_key).map_err(|e| {
                format!(
                    "{e}: this analyzer's organization data key does not open it; provide the key {}'s datasets are wrapped to",
                    input.owner_msp
                )
            })?;
        }
        Ok(())
    }

    async fn claim_and_execute(&self, id: &str) -> Result<Executed, AnalyzerError> {
        let (claimed, _): (TaskView, u64) = invoke(
            self.client,
            self.executor,
            Invocation::ClaimTask(ClaimTask {
                task: id.to_owned(),
                lease_ms: None,
            }),
        )
        .await
        .map_err(|e| AnalyzerError::Node {
            doing: format!("cannot claim {id}"),
            source: e,
        })?;
        self.execute(&claimed).await
    }

    async fn execute(&self, view: &TaskView) -> Result<Executed, AnalyzerError> {
        let scratch = self.work_dir.join(&view.id);
        clear_scratch(&scratch)?;
        let outcome = run_task(
            self.client,
            self.executor,
            &Keys::Organization(self.org_key),
            self.modules.as_deref(),
            &scratch,
            view,
        )
        .await;
        // Even the ciphertext goes when the task ends.
        let _ = std::fs::remove_dir_all(&scratch);
        let outcome = match outcome {
            Ok(result) => seal(
                view,
                &result,
                format!(
                    "owner-side analyzer {} (strongroom {})",
                    member_label(self.executor.msp_id(), self.executor.name()),
                    env!("CARGO_PKG_VERSION")
                ),
            )?,
            Err(AnalyzerError::Task(reason)) => Outcome::Failed {
                reason: truncate(reason),
            },
            Err(other) => return Err(other),
        };
        let mut executed = Executed::written(view, &outcome);
        let (_, sequence): (TaskView, u64) = invoke(
            self.client,
            self.executor,
            Invocation::WriteResult(WriteResult {
                task: view.id.clone(),
                outcome,
            }),
        )
        .await
        .map_err(|e| AnalyzerError::Node {
            doing: format!("cannot write the result of {}", view.id),
            source: e,
        })?;
        executed.sequence = Some(sequence);
        Ok(executed)
    }
}

/// The result encrypted to each recipient of `view`, as a successful outcome.
pub(crate) fn seal(
    view: &TaskView,
    result: &[u8],
    evidence_ref: String,
) -> Result<Outcome, AnalyzerError> {
    let recipients = view
        .recipients
        .iter()
        .map(|r| {
            Ok((
                member_label(&r.msp_id, &r.name),
                data::parse_public(&r.public_key)?,
            ))
        })
        .collect::<Result<Vec<_>, ClientError>>()
        .map_err(|e| AnalyzerError::Task(format!("a recipient's key: {e}")))?;
    let envelope = data::seal_result(&view.id, result, &recipients)
        .map_err(|e| AnalyzerError::Local(format!("cannot seal the result: {e}")))?;
    Ok(Outcome::Succeeded {
        ciphertext_sha256: hex::encode(Sha256::digest(&envelope)),
        ciphertext: hex::encode(envelope),
        evidence_ref: Some(evidence_ref),
    })
}

/// Prepares the task's scratch directory, empty.
pub(crate) fn clear_scratch(scratch: &Path) -> Result<(), AnalyzerError> {
    clear(scratch)?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| AnalyzerError::Local(format!("cannot create {}: {e}", scratch.display())))
}

fn clear(scratch: &Path) -> Result<(), AnalyzerError> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).map_err(|e| {
            AnalyzerError::Local(format!("cannot clear {}: {e}", scratch.display()))
        })?;
    }
    Ok(())
}

/// A failure reason as the ledger takes it (at most 1 KiB).
pub(crate) fn truncate(mut reason: String) -> String {
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

/// One committed invocation: its answer and its ledger entry.
async fn invoke<T: DeserializeOwned>(
    client: &Client,
    member: &Member,
    invocation: Invocation,
) -> Result<(T, u64), ClientError> {
    let invoked = client.invoke::<T>(member, &invocation).await?;
    let sequence = invoked.sequence.ok_or_else(|| {
        ClientError::Protocol("the node did not say which ledger entry records it".into())
    })?;
    Ok((invoked.value, sequence))
}
