//! Tasks: request, approval, claim, result.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::api::{
    ApproveTask, ClaimTask, ExecutionMode, Outcome, RejectTask, RequestTask, TimeRange, WriteResult,
};
use super::check::{self, invalid};
use super::dataset::{core_bytes, core_key, load_body, load_core, read_core};
use super::definition::{DefinitionInput, DefinitionParts, TaskDefinition};
use super::permission::{GRANT_PREFIX, grant_bytes, grant_index, load_grant, read_grant};
use super::store::{
    ADMIN, ANALYST, DatasetCore, EXECUTOR, GrantCoverRef, InputRecord, OWNER, ResultRecord,
    TaskRecord, decode, encode, is, load, member_key, new_id, org_key, page, party,
};
use super::view::{
    AuditAction, ClaimEvidence, Created, DatasetStatus, ResultSummary, ResultView, TaskAlgorithm,
    TaskInput, TaskList, TaskStatus, TaskView,
};
use super::{Tx, algorithm, audit, reply};
use crate::{Caller, ContractError, State};

fn task_key(id: &str) -> Vec<u8> {
    format!("t/{id}").into_bytes()
}

fn result_key(id: &str) -> Vec<u8> {
    format!("res/{id}").into_bytes()
}

fn awaiting_key(msp_id: &str, task: &str) -> Vec<u8> {
    format!("oa/{}/{task}", org_key(msp_id)).into_bytes()
}

fn executable_key(msp_id: &str, task: &str) -> Vec<u8> {
    format!("ex/{}/{task}", org_key(msp_id)).into_bytes()
}

fn claimed_key(party: &super::view::Party, task: &str) -> Vec<u8> {
    format!("xc/{}/{task}", member_key(&party.msp_id, &party.name)).into_bytes()
}

fn load_task(state: &dyn State, id: &str) -> Result<TaskRecord, ContractError> {
    load(state, &task_key(id))?.ok_or(ContractError::NotFoundOrDenied)
}

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
    if let Some(epsilon) = inv.epsilon_micro {
        for (input, core) in inv.inputs.iter().zip(&cores) {
            if let Some(budget) = core.epsilon_budget_micro {
                let left = budget.saturating_sub(core.epsilon_spent_micro);
                if epsilon > left {
                    return Err(ContractError::Refused(format!(
                        "epsilon_micro: {epsilon} would exceed the privacy budget of {input} \
                         ({left} of {budget} left)"
                    )));
                }
            }
        }
    }

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
    let mut spent = Vec::new();
    if let Some(epsilon) = inv.epsilon_micro {
        for ((input, bytes), read) in inv.inputs.iter().zip(&stored).zip(&cores) {
            if read.epsilon_budget_micro.is_some() {
                let mut core: DatasetCore = decode(&core_key(input), bytes)?;
                core.epsilon_spent_micro = core.epsilon_spent_micro.saturating_add(epsilon);
                spent.push((core_key(input), encode(&core)?));
            }
        }
    }

    for (key, bytes) in spent {
        state.put(key, bytes);
    }
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
    if status == TaskStatus::Approved && record.mode == ExecutionMode::OwnerSide {
        state.put(executable_key(&record.inputs[0].owner_msp, &id), Vec::new());
    }
    for input in &record.inputs {
        audit::record(tx, state, &input.dataset, AuditAction::TaskRequested, &id)?;
    }
    reply(&Created { id })
}

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
    let complete = task.inputs.iter().all(InputRecord::covered);
    if complete {
        task.status = TaskStatus::Approved;
    }
    state.put(task_key(&inv.task), encode(&task)?);
    state.delete(&awaiting_key(&caller.msp_id, &inv.task));
    if complete && task.mode == ExecutionMode::OwnerSide {
        state.put(
            executable_key(&task.inputs[0].owner_msp, &inv.task),
            Vec::new(),
        );
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
    // Give the reserved ε back: the task never ran.
    let mut refunds = Vec::new();
    if let Some(epsilon) = task.epsilon_micro {
        for input in &task.inputs {
            let mut core = load_core(state, &input.dataset)?;
            if core.epsilon_budget_micro.is_some() {
                core.epsilon_spent_micro = core.epsilon_spent_micro.saturating_sub(epsilon);
                refunds.push((core_key(&input.dataset), encode(&core)?));
            }
        }
    }
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
    if task.mode == ExecutionMode::OwnerSide {
        state.delete(&executable_key(&task.inputs[0].owner_msp, &inv.task));
    }
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

/// Whether every input may still be used: its dataset active and, if a grant covers it,
/// the grant in force.
fn inputs_usable(state: &dyn State, task: &TaskRecord, now: u64) -> Result<(), ContractError> {
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
    state.put(task_key(&inv.task), encode(&task)?);
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

/// A task as `caller`, a party to it, sees it at ledger time `now`.
fn view(
    state: &dyn State,
    id: &str,
    task: TaskRecord,
    caller: &Caller,
    now: u64,
) -> Result<TaskView, ContractError> {
    let release = task.status == TaskStatus::Running
        && task.claimant.as_ref().is_some_and(|c| is(caller, c))
        && inputs_usable(state, &task, now).is_ok();
    let mut inputs = Vec::with_capacity(task.inputs.len());
    for input in task.inputs {
        let wrapped_keys = if release {
            load_body(state, &input.dataset)?.wrapped_keys
        } else {
            Vec::new()
        };
        inputs.push(TaskInput {
            dataset: input.dataset,
            owner_msp: input.owner_msp,
            name: input.name,
            kind: input.kind,
            files: input.files,
            time_column: input.time_column,
            wrapped_keys,
            grant: input.grant,
            rows: input.rows,
            approved_by: input.approved_by,
            approved_at_ms: input.approved_at_ms,
        });
    }
    // write_result stores the result and the final status together.
    let finished = matches!(task.status, TaskStatus::Succeeded | TaskStatus::Failed);
    let stored = if finished {
        load::<ResultRecord>(state, &result_key(id))?
    } else {
        None
    };
    let result = stored.map(|r| ResultSummary {
        status: r.status,
        ciphertext_sha256: r.ciphertext_sha256,
        size_bytes: r.size_bytes,
        executor: r.executor,
        evidence_ref: r.evidence_ref,
        reason: r.reason,
        written_at_ms: r.written_at_ms,
    });
    Ok(TaskView {
        id: id.to_owned(),
        requester: task.requester,
        status: task.status,
        mode: task.mode,
        algorithm: task.algorithm,
        inputs,
        parameters: serde_json::from_str(&task.parameters)
            .map_err(|e| ContractError::Invalid(format!("state: task {id}: parameters: {e}")))?,
        columns: task.columns,
        recipients: task.recipients,
        epsilon_micro: task.epsilon_micro,
        min_cell_size: task.min_cell_size,
        config_hash: task.config_hash,
        requested_at_ms: task.requested_at_ms,
        claimant: task.claimant,
        claimed_at_ms: task.claimed_at_ms,
        evidence: task.evidence,
        rejected_by: task.rejected_by,
        reject_reason: task.reject_reason,
        result,
    })
}

/// `get_task`: its parties only.
pub(crate) fn get(
    caller: &Caller,
    state: &dyn State,
    id: &str,
    now: u64,
) -> Result<Vec<u8>, ContractError> {
    check::id("id", id, "task")?;
    let task = load_task(state, id)?;
    if !task.party(caller) {
        return Err(ContractError::NotFoundOrDenied);
    }
    reply(&view(state, id, task, caller, now)?)
}

/// `read_result`: the recipients only.
pub(crate) fn read_result(
    caller: &Caller,
    state: &dyn State,
    id: &str,
) -> Result<Vec<u8>, ContractError> {
    check::id("task", id, "task")?;
    let task = load_task(state, id)?;
    if !task.recipient(caller) {
        return Err(ContractError::NotFoundOrDenied);
    }
    let result: ResultRecord = load(state, &result_key(id))?.ok_or_else(|| {
        ContractError::Refused(format!(
            "task {id} is {}; it has no result yet",
            status_name(task.status)
        ))
    })?;
    reply(&ResultView {
        task: id.to_owned(),
        status: result.status,
        ciphertext: result.ciphertext,
        ciphertext_sha256: result.ciphertext_sha256,
        executor: result.executor,
        evidence: task.evidence,
        evidence_ref: result.evidence_ref,
        reason: result.reason,
        written_at_ms: result.written_at_ms,
    })
}

/// `list_my_tasks`.
pub(crate) fn list_mine(
    caller: &Caller,
    state: &dyn State,
    after: Option<&str>,
    limit: Option<u32>,
    now: u64,
) -> Result<Vec<u8>, ContractError> {
    if let Some(after) = after {
        check::id("after", after, "task")?;
    }
    let limit = check::limit(limit, 100, 1000)?;
    let member = member_key(&caller.msp_id, &caller.name);
    let org = org_key(&caller.msp_id);
    let prefixes: Vec<String> = match caller.role.as_str() {
        ANALYST => vec![format!("mt/{member}")],
        ADMIN | OWNER => vec![format!("oa/{org}")],
        EXECUTOR => vec![format!("ex/{org}"), format!("xc/{member}")],
        _ => Vec::new(),
    };
    let (items, next) = page(state, &prefixes, after, limit, |id| {
        let Some(task) = load::<TaskRecord>(state, &task_key(id))? else {
            return Ok(None);
        };
        let mine = match caller.role.as_str() {
            ANALYST => is(caller, &task.requester),
            ADMIN | OWNER => {
                task.status == TaskStatus::PendingApproval
                    && task
                        .inputs
                        .iter()
                        .any(|i| i.owner_msp == caller.msp_id && !i.covered())
            }
            _ => {
                let claimed = task.claimant.as_ref().is_some_and(|c| is(caller, c));
                (task.status == TaskStatus::Approved && task.owner_executor(caller))
                    || (task.status == TaskStatus::Running && claimed)
            }
        };
        if !mine {
            return Ok(None);
        }
        view(state, id, task, caller, now).map(Some)
    })?;
    reply(&TaskList { items, next })
}

fn status_name(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Approved => "approved",
        TaskStatus::Failed => "failed",
        TaskStatus::PendingApproval => "pending approval",
        TaskStatus::Rejected => "rejected",
        TaskStatus::Running => "running",
        TaskStatus::Succeeded => "succeeded",
    }
}

fn dataset_status_name(status: DatasetStatus) -> &'static str {
    match status {
        DatasetStatus::Active => "active",
        DatasetStatus::Expired => "past its consent's end",
        DatasetStatus::Withdrawn => "withdrawn",
    }
}
