//! Algorithms: public metadata about the code tasks run.

use super::api::{Port, RegisterAlgorithm};
use super::check::{self, invalid};
use super::store::{AlgorithmRecord, encode, index_ids, load, new_id};
use super::view::{AlgorithmList, Created};
use super::{Tx, reply};
use crate::{ContractError, State};

/// The key of an algorithm.
pub(crate) fn key(id: &str) -> Vec<u8> {
    format!("a/{id}").into_bytes()
}

fn check_ports(field: &str, ports: &[Port]) -> Result<(), ContractError> {
    check::count(field, ports.len(), 0, check::MAX_PORTS)?;
    for (i, port) in ports.iter().enumerate() {
        check::text(&format!("{field}[{i}].name"), &port.name, 1, 64, false)?;
        check::text(&format!("{field}[{i}].format"), &port.format, 1, 64, false)?;
    }
    let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    check::unique(&format!("{field}.name"), &names)
}

/// `register_algorithm`: any member.
pub(crate) fn register(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RegisterAlgorithm,
) -> Result<Vec<u8>, ContractError> {
    check::text("name", &inv.name, 1, check::MAX_NAME, false)?;
    check::hex_exact("measurement", &inv.measurement, 32)?;
    check::text(
        "description",
        &inv.description,
        0,
        check::MAX_DESCRIPTION,
        true,
    )?;
    check_ports("inputs", &inv.inputs)?;
    check_ports("outputs", &inv.outputs)?;
    match (inv.aggregate_only, inv.output_rule) {
        (true, None) => {
            return Err(invalid(
                "output_rule",
                "required when aggregate_only is true: state what every release guarantees \
                 (\"small_cells_suppressed\")",
            ));
        }
        (false, Some(_)) => {
            return Err(invalid(
                "output_rule",
                "only an aggregate-only algorithm states an output rule",
            ));
        }
        _ => {}
    }
    let id = new_id("alg", tx.ctx.sequence);
    if state.get_ref(&key(&id)).is_some() {
        return Err(ContractError::Refused(format!("id {id} is taken")));
    }
    let record = AlgorithmRecord {
        id: id.clone(),
        name: inv.name.clone(),
        kind: inv.kind,
        measurement: inv.measurement.clone(),
        description: inv.description.clone(),
        inputs: inv.inputs.clone(),
        outputs: inv.outputs.clone(),
        aggregate_only: inv.aggregate_only,
        differentially_private: inv.differentially_private,
        output_rule: inv.output_rule,
        registered_by_msp: tx.caller().msp_id.clone(),
        registered_at_ms: tx.now,
    };
    state.put(key(&id), encode(&record)?);
    reply(&Created { id })
}

/// Loads an algorithm.
pub(crate) fn load_algorithm(
    state: &dyn State,
    id: &str,
) -> Result<Option<AlgorithmRecord>, ContractError> {
    load(state, &key(id))
}

/// `get_algorithm`: public.
pub(crate) fn get(state: &dyn State, id: &str) -> Result<Vec<u8>, ContractError> {
    check::id("id", id, "alg")?;
    let record = load_algorithm(state, id)?.ok_or(ContractError::NotFoundOrDenied)?;
    reply(&record)
}

/// `list_algorithms`: public.
pub(crate) fn list(
    state: &dyn State,
    after: Option<&str>,
    limit: Option<u32>,
) -> Result<Vec<u8>, ContractError> {
    if let Some(after) = after {
        check::id("after", after, "alg")?;
    }
    let limit = check::limit(limit, 100, 1000)?;
    let ids = index_ids(state, "a", after, limit);
    let mut items = Vec::new();
    for id in ids.iter().take(limit) {
        if let Some(record) = load_algorithm(state, id)? {
            items.push(record);
        }
    }
    let next = if ids.len() > limit {
        items.last().map(|a| a.id.clone())
    } else {
        None
    };
    reply(&AlgorithmList { items, next })
}
