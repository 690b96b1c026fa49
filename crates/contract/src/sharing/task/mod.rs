//! Tasks: request, approval, claim, result. A task runs an algorithm over one or more
//! datasets once every input is covered by a grant or its owner's approval.
//!
//! [`request`] makes a task, [`decide`] holds the owners' approvals and rejections,
//! [`run`] the executor's claim and result, [`query`] what each party sees.

mod decide;
mod query;
mod request;
mod run;

pub(crate) use decide::{approve, reject};
pub(crate) use query::{get, list_mine, read_result};
pub(crate) use request::request;
pub use run::{DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS};
pub(crate) use run::{claim, key_releases, write_result};

use crate::sharing::api::ExecutionMode;
use crate::sharing::dataset::{core_bytes, read_core};
use crate::sharing::permission::load_grant;
use crate::sharing::store::{TaskRecord, is, load, member_key, org_key};
use crate::sharing::view::{DatasetStatus, TaskStatus};
use crate::{Caller, ContractError, State};

pub(super) fn task_key(id: &str) -> Vec<u8> {
    format!("t/{id}").into_bytes()
}

pub(super) fn result_key(id: &str) -> Vec<u8> {
    format!("res/{id}").into_bytes()
}

pub(super) fn awaiting_key(msp_id: &str, task: &str) -> Vec<u8> {
    format!("oa/{}/{task}", org_key(msp_id)).into_bytes()
}

pub(super) fn executable_key(msp_id: &str, task: &str) -> Vec<u8> {
    format!("ex/{}/{task}", org_key(msp_id)).into_bytes()
}

/// The queue of TEE-mode tasks that an attested worker may claim: approved, or running
/// on a lease that may run out. Left when the task ends.
pub(super) const TEE_QUEUE_PREFIX: &str = "tq/";

pub(super) fn tee_queue_key(task: &str) -> Vec<u8> {
    format!("{TEE_QUEUE_PREFIX}{task}").into_bytes()
}

/// The index entry that lists an approved task to those who may run it: the input
/// organization's executors (owner-side), or the TEE queue.
pub(super) fn runnable_key(task: &TaskRecord, id: &str) -> Vec<u8> {
    match task.mode {
        ExecutionMode::OwnerSide => executable_key(&task.inputs[0].owner_msp, id),
        ExecutionMode::Tee => tee_queue_key(id),
    }
}

pub(super) fn claimed_key(party: &super::view::Party, task: &str) -> Vec<u8> {
    format!("xc/{}/{task}", member_key(&party.msp_id, &party.name)).into_bytes()
}

pub(super) fn load_task(state: &dyn State, id: &str) -> Result<TaskRecord, ContractError> {
    load(state, &task_key(id))?.ok_or(ContractError::NotFoundOrDenied)
}

/// Whether `caller`'s claim on `task` holds at ledger time `now`: the task is running,
/// `caller` claimed it, and every input is still usable. Exactly then the claimant sees
/// the inputs' wrapped keys and locations and may download their objects.
pub(super) fn claim_holds(state: &dyn State, task: &TaskRecord, caller: &Caller, now: u64) -> bool {
    task.status == TaskStatus::Running
        && task.claimant.as_ref().is_some_and(|c| is(caller, c))
        && inputs_usable(state, task, now).is_ok()
}

/// Whether `caller` may download the objects of `dataset` as an input of the task `id`
/// at ledger time `now`: its claim holds ([`claim_holds`]) and the dataset is an input.
pub(crate) fn may_read_input(
    state: &dyn State,
    id: &str,
    caller: &Caller,
    dataset: &str,
    now: u64,
) -> Result<bool, ContractError> {
    let Some(task) = load::<TaskRecord>(state, &task_key(id))? else {
        return Ok(false);
    };
    Ok(task.inputs.iter().any(|i| i.dataset == dataset) && claim_holds(state, &task, caller, now))
}

/// Whether every input may still be used: its dataset active and, if a grant covers it,
/// the grant in force.
pub(super) fn inputs_usable(
    state: &dyn State,
    task: &TaskRecord,
    now: u64,
) -> Result<(), ContractError> {
    for input in &task.inputs {
        let status = read_core(&input.dataset, &core_bytes(state, &input.dataset)?)?.status(now);
        if status != DatasetStatus::Active {
            return Err(ContractError::Refused(format!(
                "dataset {} is {}",
                input.dataset,
                dataset_status_name(status)
            )));
        }
        if let Some(grant_id) = &input.grant {
            let in_force = load_grant(state, grant_id)?.is_some_and(|g| g.in_force(now));
            if !in_force {
                return Err(ContractError::Refused(format!(
                    "grant {grant_id} covering {} is revoked or expired",
                    input.dataset
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn status_name(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Approved => "approved",
        TaskStatus::Failed => "failed",
        TaskStatus::PendingApproval => "pending approval",
        TaskStatus::Rejected => "rejected",
        TaskStatus::Running => "running",
        TaskStatus::Succeeded => "succeeded",
    }
}

pub(super) fn dataset_status_name(status: DatasetStatus) -> &'static str {
    match status {
        DatasetStatus::Active => "active",
        DatasetStatus::Expired => "past its consent's end",
        DatasetStatus::Withdrawn => "withdrawn",
    }
}
