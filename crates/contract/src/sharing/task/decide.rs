//! The owners' decisions: `approve_task`, `reject_task`.

use super::query::view;
use super::{awaiting_key, dataset_status_name, load_task, runnable_key, status_name, task_key};
use crate::sharing::api::{ApproveTask, RejectTask};
use crate::sharing::check::{self};
use crate::sharing::dataset::{core_bytes, read_core};
use crate::sharing::store::{InputRecord, encode, party};
use crate::sharing::view::{AuditAction, DatasetStatus, TaskStatus};
use crate::sharing::{Tx, audit, budget, reply};
use crate::{ContractError, State};

/// `approve_task`: an admin or owner of an input's organization approves that
/// organization's inputs.
pub(crate) fn approve(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &ApproveTask,
) -> Result<Vec<u8>, ContractError> {
    check::id("task", &inv.task, "task")?;
    let caller = tx.caller();
    let mut task = load_task(state, &inv.task)?;
    if !task.owner_decider(caller) {
        return Err(ContractError::NotFoundOrDenied);
    }
    if task.status != TaskStatus::PendingApproval {
        return Err(ContractError::Refused(format!(
            "task {} is {}, not pending approval",
            inv.task,
            status_name(task.status)
        )));
    }
    let mut approved = Vec::new();
    for input in &mut task.inputs {
        if input.owner_msp == caller.msp_id && !input.covered() {
            let bytes = core_bytes(state, &input.dataset)?;
            let status = read_core(&input.dataset, &bytes)?.status(tx.now);
            if status != DatasetStatus::Active {
                return Err(ContractError::Refused(format!(
                    "dataset {} is {}",
                    input.dataset,
                    dataset_status_name(status)
                )));
            }
            input.approved_by = Some(party(caller));
            input.approved_at_ms = Some(tx.now);
            approved.push(input.dataset.clone());
        }
    }
    if approved.is_empty() {
        return Err(ContractError::Refused(format!(
            "task {}: nothing awaits the approval of {}",
            inv.task, caller.msp_id
        )));
    }
    // The approving owner's decision spends its own budget: the numbers are its business.
    let spent = budget::reserve(
        state,
        &mut task,
        |input| approved.contains(&input.dataset),
        |over| {
            ContractError::Refused(format!(
                "epsilon_micro: {} would exceed the privacy budget of {} ({} of {} left)",
                over.epsilon, over.dataset, over.left, over.budget
            ))
        },
    )?;
    let complete = task.inputs.iter().all(InputRecord::covered);
    if complete {
        task.status = TaskStatus::Approved;
    }
    let task_bytes = encode(&task)?;
    for (key, bytes) in spent {
        state.put(key, bytes);
    }
    state.put(task_key(&inv.task), task_bytes);
    state.delete(&awaiting_key(&caller.msp_id, &inv.task));
    if complete {
        state.put(runnable_key(&task, &inv.task), Vec::new());
    }
    for dataset in &approved {
        audit::record(tx, state, dataset, AuditAction::TaskApproved, &inv.task)?;
    }
    reply(&view(state, &inv.task, task, caller, tx.now)?)
}

/// `reject_task`: an admin or owner of an input's organization, before the task runs.
pub(crate) fn reject(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RejectTask,
) -> Result<Vec<u8>, ContractError> {
    check::id("task", &inv.task, "task")?;
    if let Some(reason) = &inv.reason {
        check::text("reason", reason, 0, check::MAX_REASON, true)?;
    }
    let caller = tx.caller();
    let mut task = load_task(state, &inv.task)?;
    if !task.owner_decider(caller) {
        return Err(ContractError::NotFoundOrDenied);
    }
    if !matches!(
        task.status,
        TaskStatus::PendingApproval | TaskStatus::Approved
    ) {
        return Err(ContractError::Refused(format!(
            "task {} is {}; only a task that has not started can be rejected",
            inv.task,
            status_name(task.status)
        )));
    }
    // Give back exactly the ε reserved: the task never ran.
    let refunds = budget::refund(state, &mut task)?;
    task.status = TaskStatus::Rejected;
    task.rejected_by = Some(party(caller));
    task.reject_reason.clone_from(&inv.reason);
    let task_bytes = encode(&task)?;
    for (key, bytes) in refunds {
        state.put(key, bytes);
    }
    state.put(task_key(&inv.task), task_bytes);
    for org in task.owner_orgs() {
        state.delete(&awaiting_key(org, &inv.task));
    }
    state.delete(&runnable_key(&task, &inv.task));
    for input in &task.inputs {
        audit::record(
            tx,
            state,
            &input.dataset,
            AuditAction::TaskRejected,
            &inv.task,
        )?;
    }
    reply(&view(state, &inv.task, task, caller, tx.now)?)
}
