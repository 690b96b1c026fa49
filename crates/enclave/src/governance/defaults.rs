//! The consortium's dataset defaults (`set_defaults`): the minimum cell size and the
//! privacy budget a dataset registered without its own gets. Kept at `cfg/defaults` as
//! JSON ([`DatasetDefaults`]); without that key, [`DatasetDefaults::INITIAL`]. The core
//! passes them to the contract with every transaction
//! ([`strongroom_contract::TxContext::defaults`]); the contract reads them only when a
//! dataset is registered, so a dataset already registered keeps what it had.

use strongroom_contract::{ContractError, DatasetDefaults, State};

use super::{invalid, json, load};

/// The core-state key of the defaults.
pub(crate) const DEFAULTS_KEY: &[u8] = b"cfg/defaults";
/// The largest default minimum cell size.
pub(crate) const MAX_MIN_CELL_SIZE: u32 = 10_000;
/// The largest default privacy budget, in millionths of ε (ε 100).
pub(crate) const MAX_EPSILON_BUDGET_MICRO: u64 = 100_000_000;

/// Checks a `set_defaults` change's fields.
pub(crate) fn check(
    min_cell_size: Option<u32>,
    epsilon_budget_micro: Option<u64>,
    no_privacy_budget: bool,
) -> Result<(), ContractError> {
    if min_cell_size.is_none() && epsilon_budget_micro.is_none() && !no_privacy_budget {
        return Err(invalid(
            "change",
            "names neither min_cell_size, epsilon_budget_micro nor no_privacy_budget: nothing to set",
        ));
    }
    if no_privacy_budget && epsilon_budget_micro.is_some() {
        return Err(invalid(
            "change.no_privacy_budget",
            "contradicts epsilon_budget_micro: set a budget or remove it, not both",
        ));
    }
    if let Some(k) = min_cell_size
        && !(1..=MAX_MIN_CELL_SIZE).contains(&k)
    {
        return Err(invalid(
            "change.min_cell_size",
            format!("{k} is out of range: 1 to {MAX_MIN_CELL_SIZE}"),
        ));
    }
    if let Some(micro) = epsilon_budget_micro
        && !(1..=MAX_EPSILON_BUDGET_MICRO).contains(&micro)
    {
        return Err(invalid(
            "change.epsilon_budget_micro",
            format!(
                "{micro} is out of range: 1 to {MAX_EPSILON_BUDGET_MICRO} millionths of ε \
                 (ε more than 0, at most 100)"
            ),
        ));
    }
    Ok(())
}

/// The defaults now.
pub(crate) fn current(state: &dyn State) -> Result<DatasetDefaults, ContractError> {
    Ok(load(state, DEFAULTS_KEY)?.unwrap_or(DatasetDefaults::INITIAL))
}

/// Replaces the defaults the change names (removing the privacy budget if it says
/// so); keeps the others.
pub(crate) fn enact(
    state: &mut dyn State,
    min_cell_size: Option<u32>,
    epsilon_budget_micro: Option<u64>,
    no_privacy_budget: bool,
) -> Result<(), ContractError> {
    let mut defaults = current(state)?;
    if let Some(k) = min_cell_size {
        defaults.min_cell_size = k;
    }
    if let Some(micro) = epsilon_budget_micro {
        defaults.epsilon_budget_micro = Some(micro);
    }
    if no_privacy_budget {
        defaults.epsilon_budget_micro = None;
    }
    state.put(DEFAULTS_KEY.to_vec(), json(&defaults)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_defaults_name_their_field() {
        let cases = [
            (None, None, false, "change:"),
            (Some(0), None, false, "change.min_cell_size:"),
            (
                Some(MAX_MIN_CELL_SIZE + 1),
                None,
                false,
                "change.min_cell_size:",
            ),
            (None, Some(0), false, "change.epsilon_budget_micro:"),
            (
                Some(5),
                Some(MAX_EPSILON_BUDGET_MICRO + 1),
                false,
                "change.epsilon_budget_micro:",
            ),
            (None, Some(1), true, "change.no_privacy_budget:"),
        ];
        for (k, epsilon, none, field) in cases {
            let error = check(k, epsilon, none).unwrap_err().to_string();
            assert!(error.contains(field), "{error}");
        }
        check(Some(1), None, false).unwrap();
        check(None, Some(MAX_EPSILON_BUDGET_MICRO), false).unwrap();
        check(None, None, true).unwrap();
    }
}
