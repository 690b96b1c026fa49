//! The privacy budget: reserving a task's ε from its inputs' budgets, and giving it back.
//!
//! A request reserves nothing (a requester must not be able to spend an owner's
//! budget). An owner's `approve_task` reserves ε from the budgets of the inputs it
//! approves; `claim_task` reserves it from the budgets of the inputs a grant covers.
//! Each input records whether its ε is reserved, and `reject_task` gives back exactly
//! that.

use super::dataset::{core_key, load_core};
use super::store::{InputRecord, TaskRecord, Writes, encode};
use crate::{ContractError, State};

/// A reservation that the budget of an input does not allow.
pub(crate) struct Exceeded<'a> {
    /// The input's dataset.
    pub dataset: &'a str,
    /// The task's ε, in millionths.
    pub epsilon: u64,
    /// What is left of the budget.
    pub left: u64,
    /// The budget.
    pub budget: u64,
}

/// Reserves the task's ε from the budget of every input that `selected` picks, has a
/// budget and has no reservation yet, and marks those inputs reserved. Answers the
/// dataset records to write; if a budget would be exceeded, the error `refuse` makes
/// of it, and nothing is marked.
pub(crate) fn reserve(
    state: &dyn State,
    task: &mut TaskRecord,
    selected: impl Fn(&InputRecord) -> bool,
    refuse: impl Fn(Exceeded<'_>) -> ContractError,
) -> Result<Writes, ContractError> {
    let Some(epsilon) = task.epsilon_micro else {
        return Ok(Vec::new());
    };
    let mut writes = Vec::new();
    let mut reserved = Vec::new();
    for (i, input) in task.inputs.iter().enumerate() {
        if input.epsilon_reserved || !selected(input) {
            continue;
        }
        let mut core = load_core(state, &input.dataset)?;
        let Some(budget) = core.epsilon_budget_micro else {
            continue;
        };
        let left = budget.saturating_sub(core.epsilon_spent_micro);
        if epsilon > left {
            return Err(refuse(Exceeded {
                dataset: &input.dataset,
                epsilon,
                left,
                budget,
            }));
        }
        core.epsilon_spent_micro = core.epsilon_spent_micro.saturating_add(epsilon);
        writes.push((core_key(&input.dataset), encode(&core)?));
        reserved.push(i);
    }
    for i in reserved {
        if let Some(input) = task.inputs.get_mut(i) {
            input.epsilon_reserved = true;
        }
    }
    Ok(writes)
}

/// Gives back the task's ε to every input whose budget it was reserved from, and marks
/// them unreserved. Answers the dataset records to write.
pub(crate) fn refund(state: &dyn State, task: &mut TaskRecord) -> Result<Writes, ContractError> {
    let Some(epsilon) = task.epsilon_micro else {
        return Ok(Vec::new());
    };
    let mut writes = Vec::new();
    for input in task.inputs.iter_mut().filter(|i| i.epsilon_reserved) {
        let mut core = load_core(state, &input.dataset)?;
        core.epsilon_spent_micro = core.epsilon_spent_micro.saturating_sub(epsilon);
        writes.push((core_key(&input.dataset), encode(&core)?));
        input.epsilon_reserved = false;
    }
    Ok(writes)
}
