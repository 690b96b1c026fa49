//! `request_task`.

use serde_json::Value;

use super::{awaiting_key, runnable_key, task_key};
use crate::sharing::api::{ExecutionMode, RequestTask, TimeRange};
use crate::sharing::check::{self, invalid};
use crate::sharing::dataset::{core_bytes, load_body, read_core};
use crate::sharing::definition::{DefinitionInput, DefinitionParts, TaskDefinition};
use crate::sharing::permission::{GRANT_PREFIX, grant_bytes, grant_index, read_grant};
use crate::sharing::store::{
    ANALYST, GrantCoverRef, InputRecord, TaskRecord, decode, encode, member_key, new_id, party,
};
use crate::sharing::view::{AuditAction, Created, DatasetStatus, TaskAlgorithm, TaskStatus};
use crate::sharing::{Tx, algorithm, audit, reply};
use crate::{Caller, ContractError, State};

/// Checks a task request's fields; answers the parameters' `min_cell_size`, if any, and
/// the parameters' JSON text.
fn check_request(inv: &RequestTask) -> Result<(Option<u32>, String), ContractError> {
    check::count("inputs", inv.inputs.len(), 1, check::MAX_INPUTS)?;
    for (i, input) in inv.inputs.iter().enumerate() {
        check::id(&format!("inputs[{i}]"), input, "ds")?;
    }
    check::unique("inputs", &inv.inputs)?;
    check::id("algorithm", &inv.algorithm, "alg")?;
    let Value::Object(parameters) = &inv.parameters else {
        return Err(invalid("parameters", "must be a JSON object"));
    };
    let text = serde_json::to_string(&inv.parameters).map_err(|e| invalid("parameters", e))?;
    let size = text.len();
    if size > check::MAX_PARAMETERS {
        return Err(invalid(
            "parameters",
            format!(
                "is {size} bytes as JSON, at most {} allowed",
                check::MAX_PARAMETERS
            ),
        ));
    }
    let min_cell_size = match parameters.get("min_cell_size") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    invalid(
                        "parameters.min_cell_size",
                        "must be an integer from 1 to 4294967295",
                    )
                })?,
        ),
    };
    check::count("columns", inv.columns.len(), 1, check::MAX_COLUMNS)?;
    for (i, column) in inv.columns.iter().enumerate() {
        check::text(
            &format!("columns[{i}]"),
            column,
            1,
            check::MAX_COLUMN,
            false,
        )?;
    }
    check::unique("columns", &inv.columns)?;
    check::count("recipients", inv.recipients.len(), 1, check::MAX_RECIPIENTS)?;
    for (i, r) in inv.recipients.iter().enumerate() {
        check::text(
            &format!("recipients[{i}].msp_id"),
            &r.msp_id,
            1,
            check::MAX_NAME,
            false,
        )?;
        check::text(
            &format!("recipients[{i}].name"),
            &r.name,
            1,
            check::MAX_NAME,
            false,
        )?;
        check::hex_exact(&format!("recipients[{i}].public_key"), &r.public_key, 32)?;
    }
    let members: Vec<(&str, &str)> = inv
        .recipients
        .iter()
        .map(|r| (r.msp_id.as_str(), r.name.as_str()))
        .collect();
    check::unique("recipients", &members)?;
    if inv.epsilon_micro == Some(0) {
        return Err(invalid("epsilon_micro", "must be at least 1"));
    }
    Ok((min_cell_size, text))
}

/// The requester's first in-force grant on `dataset` that allows `algorithm` and every
/// one of `columns` that the dataset has (`dataset_columns`): read from the covers kept
/// in the dataset's grant index, or from the grant record for an entry without one.
fn covering_grant(
    state: &dyn State,
    dataset: &str,
    dataset_columns: &[&str],
    requester: &Caller,
    algorithm: &str,
    columns: &[String],
    now: u64,
) -> Result<Option<(String, Option<TimeRange>)>, ContractError> {
    let prefix = grant_index(dataset, &requester.msp_id, &requester.name);
    let (start, end) = (format!("{prefix}/"), format!("{prefix}0"));
    let covers = |in_force: bool, algorithms: &[&str], scope_columns: &[&str]| {
        in_force
            && algorithms.contains(&algorithm)
            && columns
                .iter()
                .filter(|c| dataset_columns.contains(&c.as_str()))
                .all(|c| scope_columns.contains(&c.as_str()))
    };
    let mut outcome = Ok(None);
    let mut seen = 0;
    state.scan(start.as_bytes(), Some(end.as_bytes()), &mut |key, value| {
        seen += 1;
        let hex = key.rsplit(|b| *b == b'/').next().unwrap_or_default();
        let id = format!("{GRANT_PREFIX}{}", String::from_utf8_lossy(hex));
        let found = if value.is_empty() {
            match grant_bytes(state, &id) {
                None => Ok(None),
                Some(bytes) => read_grant(&id, &bytes).map(|grant| {
                    covers(grant.in_force(now), &grant.algorithms, &grant.scope_columns)
                        .then_some(grant.scope_rows)
                }),
            }
        } else {
            decode::<GrantCoverRef<'_>>(key, value).map(|cover| {
                covers(cover.in_force(now), &cover.algorithms, &cover.columns).then_some(cover.rows)
            })
        };
        match found {
            Ok(None) => seen < GRANTS_CHECKED,
            Ok(Some(rows)) => {
                outcome = Ok(Some((id, rows)));
                false
            }
            Err(e) => {
                outcome = Err(e);
                false
            }
        }
    });
    outcome
}

/// At most this many of a member's grants on one dataset are looked at by a task request.
const GRANTS_CHECKED: usize = 1025;

/// `request_task`: an analyst, on datasets in the catalog.
pub(crate) fn request(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RequestTask,
) -> Result<Vec<u8>, ContractError> {
    let (parameter_min_cell_size, parameters) = check_request(inv)?;
    let caller = tx.caller();
    if caller.role != ANALYST {
        return Err(ContractError::NotFoundOrDenied);
    }
    let stored = inv
        .inputs
        .iter()
        .map(|input| core_bytes(state, input))
        .collect::<Result<Vec<_>, _>>()?;
    let cores = inv
        .inputs
        .iter()
        .zip(&stored)
        .map(|(input, bytes)| read_core(input, bytes))
        .collect::<Result<Vec<_>, _>>()?;
    if cores
        .iter()
        .any(|c| c.status(tx.now) != DatasetStatus::Active)
    {
        return Err(ContractError::NotFoundOrDenied);
    }
    // From here on, everything named is public: catalog datasets and algorithms.
    let alg = algorithm::load_algorithm(state, &inv.algorithm)?
        .ok_or_else(|| invalid("algorithm", "no such algorithm"))?;
    match (alg.differentially_private, inv.epsilon_micro) {
        (true, None) => {
            return Err(invalid(
                "epsilon_micro",
                "required: the algorithm is differentially private",
            ));
        }
        (false, Some(_)) => {
            return Err(invalid(
                "epsilon_micro",
                "not allowed: the algorithm is not differentially private",
            ));
        }
        _ => {}
    }
    if inv.mode == ExecutionMode::OwnerSide
        && cores.iter().any(|c| c.owner_msp != cores[0].owner_msp)
    {
        return Err(invalid(
            "mode",
            "owner_side needs every input to belong to one organization",
        ));
    }
    for (i, column) in inv.columns.iter().enumerate() {
        if !cores.iter().any(|c| c.columns.contains(&column.as_str())) {
            return Err(invalid(
                &format!("columns[{i}]"),
                format!("no input has column {column:?}"),
            ));
        }
    }
    let inputs_min = cores.iter().map(|c| c.min_cell_size).max().unwrap_or(1);
    if let Some(asked) = parameter_min_cell_size
        && asked < inputs_min
    {
        return Err(invalid(
            "parameters.min_cell_size",
            format!("may not be lower than the inputs' threshold {inputs_min}"),
        ));
    }
    let min_cell_size = parameter_min_cell_size
        .unwrap_or(inputs_min)
        .max(inputs_min);
    // No budget is looked at or reserved here: the owners' approvals and the claim
    // reserve ε (see the budget module), so a requester cannot spend an owner's budget.

    let mut inputs = Vec::with_capacity(inv.inputs.len());
    let mut definition_inputs = Vec::with_capacity(inv.inputs.len());
    for (input, core) in inv.inputs.iter().zip(&cores) {
        let grant = covering_grant(
            state,
            input,
            &core.columns,
            caller,
            &inv.algorithm,
            &inv.columns,
            tx.now,
        )?;
        let rows = grant.as_ref().and_then(|(_, rows)| *rows);
        let body = load_body(state, input)?;
        definition_inputs.push(DefinitionInput {
            dataset: input.clone(),
            ciphertext_sha256: body
                .files
                .iter()
                .map(|f| f.ciphertext_sha256.clone())
                .collect(),
            rows,
        });
        inputs.push(InputRecord {
            dataset: input.clone(),
            owner_msp: core.owner_msp.to_owned(),
            name: core.name.to_owned(),
            kind: core.kind,
            time_column: core.time_column.map(str::to_owned),
            files: body.files,
            grant: grant.map(|(id, _)| id),
            rows,
            approved_by: None,
            approved_at_ms: None,
            epsilon_reserved: false,
        });
    }
    let definition = DefinitionParts {
        version: TaskDefinition::VERSION,
        inputs: &definition_inputs,
        algorithm: &inv.algorithm,
        algorithm_measurement: &alg.measurement,
        parameters: &inv.parameters,
        columns: &inv.columns,
        recipients: &inv.recipients,
        mode: inv.mode,
        epsilon_micro: inv.epsilon_micro,
        min_cell_size,
    };
    let config_hash = definition
        .config_hash()
        .map_err(|e| invalid("parameters", e))?;
    let status = if inputs.iter().all(InputRecord::covered) {
        TaskStatus::Approved
    } else {
        TaskStatus::PendingApproval
    };
    let id = new_id("task", tx.ctx.sequence);
    if state.get_ref(&task_key(&id)).is_some() {
        return Err(ContractError::Refused(format!("id {id} is taken")));
    }
    let record = TaskRecord {
        requester: party(caller),
        status,
        mode: inv.mode,
        algorithm: TaskAlgorithm {
            id: alg.id,
            name: alg.name,
            kind: alg.kind,
            measurement: alg.measurement,
            aggregate_only: alg.aggregate_only,
            differentially_private: alg.differentially_private,
            output_rule: alg.output_rule,
        },
        inputs,
        parameters,
        columns: inv.columns.clone(),
        recipients: inv.recipients.clone(),
        epsilon_micro: inv.epsilon_micro,
        min_cell_size,
        config_hash: hex::encode(config_hash),
        requested_at_ms: tx.now,
        claimant: None,
        claimed_at_ms: None,
        evidence: None,
        rejected_by: None,
        reject_reason: None,
    };
    let record_bytes = encode(&record)?;

    state.put(task_key(&id), record_bytes);
    state.put(
        format!("mt/{}/{id}", member_key(&caller.msp_id, &caller.name)).into_bytes(),
        Vec::new(),
    );
    for org in record.owner_orgs() {
        if record
            .inputs
            .iter()
            .any(|i| i.owner_msp == org && !i.covered())
        {
            state.put(awaiting_key(org, &id), Vec::new());
        }
    }
    if status == TaskStatus::Approved {
        state.put(runnable_key(&record, &id), Vec::new());
    }
    for input in &record.inputs {
        audit::record(tx, state, &input.dataset, AuditAction::TaskRequested, &id)?;
    }
    reply(&Created { id })
}
