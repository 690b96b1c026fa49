//! One pass of an attested worker over the TEE-mode tasks its organization is a party
//! to: claim with fresh evidence, receive the data keys the core releases to a one-time
//! key, run, seal, and write the result with evidence bound to it.
//!
//! What runs where: the worker process is meant to run in its own TEE (a confidential
//! VM or an SGX enclave; here the simulated platform, INSECURE). Per task it makes a
//! one-time X25519 key pair that never leaves its memory, and evidence whose report
//! data binds the task's config hash, that key, the request's nonce and the
//! invocation. The core verifies the evidence under the consortium's worker policy and
//! re-wraps each input's data key to the one-time key. The host sees ciphertext only:
//! the inputs are fetched as ciphertext into the work directory (removed when the task
//! ends) and decrypted as the algorithm reads them; the result leaves sealed to its
//! recipients. A worker that dies leaves ciphertext and no key: the one-time key died
//! with it, and another worker claims the task again when the claim's lease runs out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use strongroom_client::data::{member_label, unwrap_released_key};
use strongroom_client::{Client, ClientError};
use strongroom_contract::sharing::{
    ClaimTask, ExecutionMode, Invocation, Outcome, TaskStatus, TaskView, WriteResult,
};
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_crypto::key::DataKey;
use strongroom_enclave::{EvidenceMessage, JoinCollateral};
use strongroom_identity::Member;
use strongroom_tee::{CodeIdentity, Platform};

use crate::AnalyzerError;
use crate::inputs::Keys;
use crate::pass::{Executed, clear_scratch, seal, truncate};
use crate::run::{run_task, runnable};

/// The code identity of this build of the worker: its simulated measurement is derived
/// from it (`strongroom-worker`, the crate version, and `STRONGROOM_BUILD_ID`).
pub fn worker_identity() -> CodeIdentity {
    CodeIdentity::new(
        "strongroom-worker",
        env!("CARGO_PKG_VERSION"),
        option_env!("STRONGROOM_BUILD_ID").unwrap_or("dev"),
    )
}

/// An attested worker: a member (an executor) whose process runs on `platform`.
pub struct Worker<'a> {
    client: &'a Client,
    executor: &'a Member,
    platform: &'a dyn Platform,
    collateral: JoinCollateral,
    work_dir: PathBuf,
    modules: Option<PathBuf>,
    lease_ms: Option<u64>,
}

impl<'a> Worker<'a> {
    /// A worker acting as `executor`, proving what it runs with `platform`'s evidence
    /// (verified without collateral: the simulation, or platforms whose collateral is
    /// given with [`Worker::with_collateral`]), keeping each task's ciphertext under
    /// `work_dir` while it runs.
    pub fn new(
        client: &'a Client,
        executor: &'a Member,
        platform: &'a dyn Platform,
        work_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            client,
            executor,
            platform,
            collateral: JoinCollateral::None,
            work_dir: work_dir.into(),
            modules: None,
            lease_ms: None,
        }
    }

    /// The collateral that verifies this platform's evidence.
    #[must_use]
    pub fn with_collateral(mut self, collateral: JoinCollateral) -> Self {
        self.collateral = collateral;
        self
    }

    /// Runs WebAssembly algorithms whose modules are in `dir` as `MEASUREMENT.wasm`.
    #[must_use]
    pub fn with_modules(mut self, dir: impl Into<PathBuf>) -> Self {
        self.modules = Some(dir.into());
        self
    }

    /// Claims tasks for `lease_ms` of ledger time (the contract's default otherwise):
    /// after it, another worker may claim a task this one has not finished.
    #[must_use]
    pub fn with_lease_ms(mut self, lease_ms: u64) -> Self {
        self.lease_ms = Some(lease_ms);
        self
    }

    /// One pass: claims each TEE-mode task that is approved, or running on a lease that
    /// ran out (its worker presumed dead), and that this worker can run; runs it and
    /// writes the outcome. A task it cannot run (an algorithm it lacks) is left for
    /// another worker, reported as deferred.
    pub async fn pass(&self) -> Result<Vec<Executed>, AnalyzerError> {
        let tasks = self
            .client
            .my_tasks(self.executor)
            .await
            .map_err(|e| AnalyzerError::from_client("listing the tasks", e))?;
        let now = now_ms();
        let mut done = Vec::new();
        for view in tasks {
            if view.mode != ExecutionMode::Tee {
                continue;
            }
            let claimable = match view.status {
                TaskStatus::Approved => true,
                TaskStatus::Running => view
                    .evidence
                    .as_ref()
                    .is_some_and(|e| now > e.lease_until_ms),
                _ => false,
            };
            if !claimable {
                continue;
            }
            if let Err(reason) = runnable(&view.algorithm, self.modules.as_deref()) {
                done.push(Executed::deferred(&view, reason));
                continue;
            }
            let attempt = self.claim_and_execute(&view).await;
            done.push(attempt.unwrap_or_else(|error| Executed::deferred(&view, error.to_string())));
        }
        Ok(done)
    }

    async fn claim_and_execute(&self, view: &TaskView) -> Result<Executed, AnalyzerError> {
        let mut config_hash = [0u8; 32];
        hex::decode_to_slice(&view.config_hash, &mut config_hash).map_err(|_| {
            AnalyzerError::Local("the task's config hash is not 32 bytes of hex".into())
        })?;
        // The one-time key: only this process ever holds its private half.
        let one_time = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let worker_key: [u8; 32] = one_time
            .public_key()
            .to_bytes()
            .try_into()
            .map_err(|_| AnalyzerError::Local("an X25519 public key is 32 bytes".into()))?;
        let claim = Invocation::ClaimTask(ClaimTask {
            task: view.id.clone(),
            lease_ms: self.lease_ms,
        });
        let (claimed, released) = self
            .client
            .invoke_attested::<TaskView>(self.executor, &claim, config_hash, worker_key, |rd| {
                self.evidence(rd)
            })
            .await
            .map_err(|e| AnalyzerError::Node {
                doing: format!("cannot claim {}", view.id),
                source: e,
            })?;
        let claimed = claimed.value;
        let mut keys: BTreeMap<String, DataKey> = BTreeMap::new();
        for key in &released {
            let opened = unwrap_released_key(&one_time, key)
                .map_err(|e| AnalyzerError::Task(format!("a released key does not open: {e}")));
            match opened {
                Ok(opened) => {
                    keys.insert(key.dataset.clone(), opened);
                }
                Err(error) => {
                    return self
                        .write(&claimed, failed(error), worker_key, config_hash)
                        .await;
                }
            }
        }
        let scratch = self.work_dir.join(&claimed.id);
        clear_scratch(&scratch)?;
        let outcome = run_task(
            self.client,
            self.executor,
            &Keys::Released(&keys),
            self.modules.as_deref(),
            &scratch,
            &claimed,
        )
        .await;
        // The keys and the ciphertext go as soon as the task has run.
        drop(keys);
        let _ = std::fs::remove_dir_all(&scratch);
        let outcome = match outcome {
            Ok(result) => seal(&claimed, &result, self.evidence_ref())?,
            Err(error @ AnalyzerError::Task(_)) => failed(error),
            Err(other) => return Err(other),
        };
        self.write(&claimed, outcome, worker_key, config_hash).await
    }

    /// Writes the outcome, with fresh evidence that binds it and the one-time key the
    /// keys went to.
    async fn write(
        &self,
        view: &TaskView,
        outcome: Outcome,
        worker_key: [u8; 32],
        config_hash: [u8; 32],
    ) -> Result<Executed, AnalyzerError> {
        let mut executed = Executed::written(view, &outcome);
        let write = Invocation::WriteResult(WriteResult {
            task: view.id.clone(),
            outcome,
        });
        let (written, _) = self
            .client
            .invoke_attested::<TaskView>(self.executor, &write, config_hash, worker_key, |rd| {
                self.evidence(rd)
            })
            .await
            .map_err(|e| AnalyzerError::Node {
                doing: format!("cannot write the result of {}", view.id),
                source: e,
            })?;
        let sequence = written.sequence.ok_or_else(|| AnalyzerError::Node {
            doing: format!("writing the result of {}", view.id),
            source: ClientError::Protocol(
                "the node did not say which ledger entry records it".into(),
            ),
        })?;
        executed.sequence = Some(sequence);
        Ok(executed)
    }

    fn evidence(
        &self,
        report_data: &[u8; 64],
    ) -> Result<(EvidenceMessage, JoinCollateral), String> {
        let evidence = self
            .platform
            .evidence(report_data)
            .map_err(|e| e.to_string())?;
        Ok((evidence.into(), self.collateral.clone()))
    }

    fn evidence_ref(&self) -> String {
        let measurement = self
            .platform
            .measurement()
            .map(|m| m.to_hex())
            .unwrap_or_else(|e| format!("unknown ({e})"));
        format!(
            "attested worker {} on {} measurement {measurement} (strongroom {})",
            member_label(self.executor.msp_id(), self.executor.name()),
            self.platform.kind(),
            env!("CARGO_PKG_VERSION")
        )
    }
}

fn failed(error: AnalyzerError) -> Outcome {
    Outcome::Failed {
        reason: truncate(error.to_string()),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
