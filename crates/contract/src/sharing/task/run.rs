//! Running a task: `claim_task`, `write_result`, and the key releases of a TEE claim.

use sha2::{Digest, Sha256};

use super::query::view;
use super::{
    claimed_key, inputs_usable, load_task, result_key, runnable_key, status_name, task_key,
};
use crate::sharing::api::{ClaimTask, ExecutionMode, Invocation, Outcome, WriteResult};
use crate::sharing::check::{self, invalid};
use crate::sharing::dataset::load_body;
use crate::sharing::store::{EXECUTOR, ResultRecord, TaskRecord, encode, is, party};
use crate::sharing::view::{AuditAction, ClaimEvidence, ReleasedTo, TaskStatus};
use crate::sharing::{Tx, audit, budget, reply};
use crate::{Attestation, ContractError, KEY_RELEASE_RECIPIENT, KeyRelease, State, TxContext};

/// How long a TEE claim holds against other workers when the claim names no lease
/// (15 minutes of ledger time).
pub const DEFAULT_LEASE_MS: u64 = 15 * 60 * 1000;
/// The shortest lease a claim may ask for (1 second).
pub const MIN_LEASE_MS: u64 = 1_000;
/// The longest lease a claim may ask for (24 hours).
pub const MAX_LEASE_MS: u64 = 24 * 3600 * 1000;

/// The caller's attestation if it binds this task's configuration.
fn attestation_for<'a>(ctx: &'a TxContext, task: &TaskRecord) -> Option<&'a Attestation> {
    ctx.attestation
        .as_ref()
        .filter(|a| hex::encode(a.config_hash) == task.config_hash)
}

/// Whether a running TEE task's lease ran out at ledger time `now`: another attested
/// worker may then claim it.
pub(super) fn lease_ran_out(task: &TaskRecord, now: u64) -> bool {
    task.status == TaskStatus::Running
        && task
            .evidence
            .as_ref()
            .is_some_and(|e| now > e.lease_until_ms)
}

/// `claim_task`.
pub(crate) fn claim(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &ClaimTask,
) -> Result<Vec<u8>, ContractError> {
    check::id("task", &inv.task, "task")?;
    let caller = tx.caller();
    let mut task = load_task(state, &inv.task)?;
    if caller.role != EXECUTOR {
        return Err(ContractError::NotFoundOrDenied);
    }
    let is_claimant = task.claimant.as_ref().is_some_and(|c| is(caller, c));
    let attested = attestation_for(tx.ctx, &task);
    let may_claim = match task.mode {
        ExecutionMode::OwnerSide => task.owner_executor(caller),
        ExecutionMode::Tee => {
            attested.is_some()
                && task.tee_executor(caller)
                && (task.status == TaskStatus::Approved
                    || is_claimant
                    || lease_ran_out(&task, tx.now))
        }
    };
    if !may_claim {
        return Err(ContractError::NotFoundOrDenied);
    }
    let reclaim = task.mode == ExecutionMode::Tee && lease_ran_out(&task, tx.now);
    if task.status != TaskStatus::Approved && !reclaim {
        return Err(ContractError::Refused(format!(
            "task {} is {}, not approved and unclaimed",
            inv.task,
            status_name(task.status)
        )));
    }
    let lease_ms = match (task.mode, inv.lease_ms) {
        (ExecutionMode::OwnerSide, Some(_)) => {
            return Err(invalid("lease_ms", "applies to TEE-mode tasks only"));
        }
        (_, Some(ms)) if !(MIN_LEASE_MS..=MAX_LEASE_MS).contains(&ms) => {
            return Err(invalid(
                "lease_ms",
                format!("must be from {MIN_LEASE_MS} to {MAX_LEASE_MS}"),
            ));
        }
        (_, lease) => lease.unwrap_or(DEFAULT_LEASE_MS),
    };
    inputs_usable(state, &task, tx.now)?;
    if task.mode == ExecutionMode::Tee {
        for input in &task.inputs {
            let body = load_body(state, &input.dataset)?;
            if !body
                .wrapped_keys
                .iter()
                .any(|k| k.recipient == KEY_RELEASE_RECIPIENT)
            {
                return Err(ContractError::Refused(format!(
                    "dataset {} has no data key wrapped to the key-release key: its owner \
                     keeps the key to its organization, so no worker can run this task",
                    input.dataset
                )));
            }
        }
    }
    // The inputs a grant covers had no owner's decision: their ε is reserved now, once
    // (a reclaim of a task whose worker died reserves nothing again). The claimant may
    // be of another organization, so the refusal shows no numbers.
    let spent = if reclaim {
        Vec::new()
    } else {
        budget::reserve(
            state,
            &mut task,
            |input| input.grant.is_some(),
            |over| {
                ContractError::Refused(format!(
                    "task {}: the privacy budget of {} does not allow its epsilon_micro",
                    inv.task, over.dataset
                ))
            },
        )?
    };
    if let Some(previous) = task.claimant.take() {
        state.delete(&claimed_key(&previous, &inv.task));
    }
    task.status = TaskStatus::Running;
    task.claimant = Some(party(caller));
    task.claimed_at_ms = Some(tx.now);
    task.evidence = attested.map(|a| ClaimEvidence {
        platform: a.platform.clone(),
        measurement: a.measurement.clone(),
        insecure: a.insecure,
        worker_key: hex::encode(a.worker_key),
        lease_until_ms: tx.now.saturating_add(lease_ms),
    });
    let task_bytes = encode(&task)?;
    for (key, bytes) in spent {
        state.put(key, bytes);
    }
    state.put(task_key(&inv.task), task_bytes);
    state.put(claimed_key(&party(caller), &inv.task), Vec::new());
    let released_to = attested.map(|a| ReleasedTo {
        platform: a.platform.clone(),
        measurement: a.measurement.clone(),
        insecure: a.insecure,
    });
    let action = if released_to.is_some() {
        AuditAction::KeyReleased
    } else {
        AuditAction::TaskClaimed
    };
    for input in &task.inputs {
        audit::record_with(
            tx,
            state,
            &input.dataset,
            action,
            &inv.task,
            released_to.as_ref(),
        )?;
    }
    reply(&view(state, &inv.task, task, caller, tx.now)?)
}

/// The keys a TEE claim releases: after a successful `claim_task` by an attested
/// worker, each input's data key as its owner wrapped it to the key-release key.
/// Nothing for any other invocation.
pub(crate) fn key_releases(
    ctx: &TxContext,
    invocation: &[u8],
    state: &dyn State,
) -> Result<Vec<KeyRelease>, ContractError> {
    let Ok(Invocation::ClaimTask(inv)) = Invocation::from_json(invocation) else {
        return Ok(Vec::new());
    };
    let task = load_task(state, &inv.task)?;
    let holds = task.mode == ExecutionMode::Tee
        && task.status == TaskStatus::Running
        && task.claimant.as_ref().is_some_and(|c| is(&ctx.caller, c))
        && attestation_for(ctx, &task).is_some_and(|a| {
            task.evidence
                .as_ref()
                .is_some_and(|e| e.worker_key == hex::encode(a.worker_key))
        });
    if !holds {
        return Ok(Vec::new());
    }
    let mut releases = Vec::with_capacity(task.inputs.len());
    for input in &task.inputs {
        let body = load_body(state, &input.dataset)?;
        let wrapped = body
            .wrapped_keys
            .into_iter()
            .find(|k| k.recipient == KEY_RELEASE_RECIPIENT)
            .ok_or_else(|| {
                ContractError::Refused(format!(
                    "dataset {} has no data key wrapped to the key-release key",
                    input.dataset
                ))
            })?;
        releases.push(KeyRelease {
            task: inv.task.clone(),
            dataset: input.dataset.clone(),
            wrapped_key: wrapped.key,
        });
    }
    Ok(releases)
}

/// `write_result`: the claimant of a running task.
pub(crate) fn write_result(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &WriteResult,
) -> Result<Vec<u8>, ContractError> {
    check::id("task", &inv.task, "task")?;
    let mut result = match &inv.outcome {
        Outcome::Failed { reason } => {
            check::text("outcome.reason", reason, 1, check::MAX_REASON, true)?;
            ResultRecord {
                status: TaskStatus::Failed,
                ciphertext: None,
                ciphertext_sha256: None,
                size_bytes: None,
                executor: party(tx.caller()),
                evidence_ref: None,
                reason: Some(reason.clone()),
                written_at_ms: tx.now,
            }
        }
        Outcome::Succeeded {
            ciphertext,
            ciphertext_sha256,
            evidence_ref,
        } => {
            let size = check::hex_bounded("outcome.ciphertext", ciphertext, check::MAX_CIPHERTEXT)?;
            check::hex_exact("outcome.ciphertext_sha256", ciphertext_sha256, 32)?;
            let bytes = hex::decode(ciphertext).map_err(|e| invalid("outcome.ciphertext", e))?;
            if hex::encode(Sha256::digest(&bytes)) != *ciphertext_sha256 {
                return Err(invalid(
                    "outcome.ciphertext_sha256",
                    "does not match the ciphertext",
                ));
            }
            if let Some(reference) = evidence_ref {
                check::text(
                    "outcome.evidence_ref",
                    reference,
                    0,
                    check::MAX_EVIDENCE_REF,
                    false,
                )?;
            }
            ResultRecord {
                status: TaskStatus::Succeeded,
                ciphertext: Some(ciphertext.clone()),
                ciphertext_sha256: Some(ciphertext_sha256.clone()),
                size_bytes: Some(size as u64),
                executor: party(tx.caller()),
                evidence_ref: evidence_ref.clone(),
                reason: None,
                written_at_ms: tx.now,
            }
        }
    };
    let caller = tx.caller();
    let mut task = load_task(state, &inv.task)?;
    let is_claimant = task.claimant.as_ref().is_some_and(|c| is(caller, c));
    // TEE mode: the worker that holds the released keys, attesting again.
    let same_worker = || {
        attestation_for(tx.ctx, &task).is_some_and(|a| {
            task.evidence
                .as_ref()
                .is_some_and(|e| e.worker_key == hex::encode(a.worker_key))
        })
    };
    if !is_claimant || (task.mode == ExecutionMode::Tee && !same_worker()) {
        return Err(ContractError::NotFoundOrDenied);
    }
    if task.status != TaskStatus::Running {
        return Err(ContractError::Refused(format!(
            "task {} is {}, not running",
            inv.task,
            status_name(task.status)
        )));
    }
    result.executor = party(caller);
    task.status = result.status;
    let (task_bytes, result_bytes) = (encode(&task)?, encode(&result)?);
    state.put(task_key(&inv.task), task_bytes);
    state.put(result_key(&inv.task), result_bytes);
    state.delete(&claimed_key(&party(caller), &inv.task));
    state.delete(&runnable_key(&task, &inv.task));
    let action = if result.status == TaskStatus::Succeeded {
        AuditAction::ResultWritten
    } else {
        AuditAction::TaskFailed
    };
    for input in &task.inputs {
        audit::record(tx, state, &input.dataset, action, &inv.task)?;
    }
    reply(&view(state, &inv.task, task, caller, tx.now)?)
}
