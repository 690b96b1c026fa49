//! Who may download or upload an object: the sharing contract's
//! [`authorize_object`](crate::Contract::authorize_object).
//!
//! The location's form is checked first (`Invalid`, from the text alone). Then the
//! decision is taken from the state, and whoever is not entitled gets
//! [`ContractError::NotFoundOrDenied`], the same value whether or not anything was ever
//! reserved or registered at the location:
//!
//! | purpose | entitled |
//! |---|---|
//! | `upload` | an `owner` of the organization the location is reserved for, before the reservation ends, while no dataset has registered it |
//! | `owner_read` | for a registered location, the members of the dataset's organization while the dataset is active; once it is withdrawn or its consent has ended, that organization's `admin`s and `owner`s only |
//! | `task_input` | the claimant of the named task while it runs, for a location of one of its inputs, while every input is still usable (datasets active, covering grants in force: what `claim_task` checks) |
//!
//! A location reserved but not registered is never readable.

use super::dataset::{core_bytes, read_core};
use super::{check, location, store, task};
use crate::{Caller, ContractError, ObjectGrant, ObjectPurpose, State};

/// Decides an object access at ledger time `now_ms` (never earlier than the latest
/// ledger time recorded in the state).
pub(crate) fn authorize(
    caller: &Caller,
    purpose: &ObjectPurpose,
    location: &str,
    now_ms: u64,
    state: &dyn State,
) -> Result<ObjectGrant, ContractError> {
    location::check("location", location)?;
    if let ObjectPurpose::TaskInput { task } = purpose {
        check::id("task", task, "task")?;
    }
    let now = now_ms.max(store::now(state));
    let record = location::load_record(state, location)?.ok_or(ContractError::NotFoundOrDenied)?;
    let entitled = match (purpose, &record.dataset) {
        (ObjectPurpose::Upload, _) => location::may_upload(&record, caller, now),
        (_, None) => false,
        (ObjectPurpose::OwnerRead, Some(dataset)) => {
            let bytes = core_bytes(state, dataset)?;
            read_core(dataset, &bytes)?.owner_may_read(caller, now)
        }
        (ObjectPurpose::TaskInput { task }, Some(dataset)) => {
            task::may_read_input(state, task, caller, dataset, now)?
        }
    };
    if !entitled {
        return Err(ContractError::NotFoundOrDenied);
    }
    Ok(ObjectGrant {
        dataset: record.dataset,
    })
}
