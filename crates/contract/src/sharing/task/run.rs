//! Running a task: `claim_task`, `write_result`.

use sha2::{Digest, Sha256};

use super::query::view;
use super::{
    claimed_key, executable_key, inputs_usable, load_task, result_key, status_name, task_key,
};
use crate::sharing::api::{ClaimTask, ExecutionMode, Outcome, WriteResult};
use crate::sharing::check::{self, invalid};
use crate::sharing::store::{EXECUTOR, ResultRecord, TaskRecord, encode, is, party};
use crate::sharing::view::{AuditAction, ClaimEvidence, TaskStatus};
use crate::sharing::{Tx, audit, budget, reply};
use crate::{ContractError, State};

/// Whether the caller's attestation is the algorithm's measurement; with `bound`, also
/// whether its report data starts with the task config hash.
fn attests(tx: &Tx<'_>, task: &TaskRecord, bound: bool) -> bool {
    tx.ctx.attestation.as_ref().is_some_and(|a| {
        hex::encode(a.measurement) == task.algorithm.measurement
            && (!bound || hex::encode(&a.report_data[..32]) == task.config_hash)
    })
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
    let may_claim = match task.mode {
        ExecutionMode::OwnerSide => task.owner_executor(caller),
        ExecutionMode::Tee => {
            attests(tx, &task, true) && (task.status == TaskStatus::Approved || is_claimant)
        }
    };
    if !may_claim {
        return Err(ContractError::NotFoundOrDenied);
    }
    if task.status != TaskStatus::Approved {
        return Err(ContractError::Refused(format!(
            "task {} is {}, not approved and unclaimed",
            inv.task,
            status_name(task.status)
        )));
    }
    inputs_usable(state, &task, tx.now)?;
    // The inputs a grant covers had no owner's decision: their ε is reserved now. The
    // claimant may be of another organization, so the refusal shows no numbers.
    let spent = budget::reserve(
        state,
        &mut task,
        |input| input.grant.is_some(),
        |over| {
            ContractError::Refused(format!(
                "task {}: the privacy budget of {} does not allow its epsilon_micro",
                inv.task, over.dataset
            ))
        },
    )?;
    task.status = TaskStatus::Running;
    task.claimant = Some(party(caller));
    task.claimed_at_ms = Some(tx.now);
    if task.mode == ExecutionMode::Tee
        && let Some(a) = &tx.ctx.attestation
    {
        task.evidence = Some(ClaimEvidence {
            measurement: hex::encode(a.measurement),
            report_data: hex::encode(a.report_data),
        });
    }
    let task_bytes = encode(&task)?;
    for (key, bytes) in spent {
        state.put(key, bytes);
    }
    state.put(task_key(&inv.task), task_bytes);
    state.put(claimed_key(&party(caller), &inv.task), Vec::new());
    for input in &task.inputs {
        audit::record(
            tx,
            state,
            &input.dataset,
            AuditAction::TaskClaimed,
            &inv.task,
        )?;
    }
    reply(&view(state, &inv.task, task, caller, tx.now)?)
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
    if !is_claimant || (task.mode == ExecutionMode::Tee && !attests(tx, &task, false)) {
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
    if task.mode == ExecutionMode::OwnerSide {
        state.delete(&executable_key(&task.inputs[0].owner_msp, &inv.task));
    }
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
