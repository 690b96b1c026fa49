//! What a task's parties see: `get_task`, `read_result`, `list_my_tasks`.

use super::{TEE_QUEUE_PREFIX, claim_holds, load_task, result_key, status_name, task_key};
use crate::sharing::check::{self};
use crate::sharing::dataset::{core_bytes, load_body, read_core};
use crate::sharing::reply;
use crate::sharing::store::{
    ADMIN, ANALYST, EXECUTOR, OWNER, ResultRecord, TaskRecord, is, load, member_key, org_key, page,
};
use crate::sharing::view::{
    DatasetStatus, ResultSummary, ResultView, TaskInput, TaskList, TaskStatus, TaskView,
};
use crate::{Caller, ContractError, State};

/// A task as `caller`, a party to it, sees it at ledger time `now`.
pub(super) fn view(
    state: &dyn State,
    id: &str,
    task: TaskRecord,
    caller: &Caller,
    now: u64,
) -> Result<TaskView, ContractError> {
    let release = claim_holds(state, &task, caller, now);
    let mut inputs = Vec::with_capacity(task.inputs.len());
    for input in task.inputs {
        // The claimant while its claim holds; and, while the task waits to be claimed
        // and the dataset may be used, the executors of the input's own organization,
        // who must know before they claim it whether their organization key opens the
        // data (a key wrapped to it is useless to anyone else).
        let claimable = task.status == TaskStatus::Approved
            && caller.msp_id == input.owner_msp
            && caller.role == EXECUTOR
            && read_core(&input.dataset, &core_bytes(state, &input.dataset)?)?.status(now)
                == DatasetStatus::Active;
        let wrapped_keys = if release || claimable {
            load_body(state, &input.dataset)?.wrapped_keys
        } else {
            Vec::new()
        };
        // Locations for the claimant while its claim holds, and for the members of the
        // input's organization who may read its objects; nobody else.
        let show_locations = release
            || (caller.msp_id == input.owner_msp
                && read_core(&input.dataset, &core_bytes(state, &input.dataset)?)?
                    .owner_may_read(caller, now));
        let mut files = input.files;
        if !show_locations {
            for file in &mut files {
                file.location.clear();
            }
        }
        inputs.push(TaskInput {
            dataset: input.dataset,
            owner_msp: input.owner_msp,
            name: input.name,
            kind: input.kind,
            files,
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
        EXECUTOR => vec![
            format!("ex/{org}"),
            TEE_QUEUE_PREFIX.trim_end_matches('/').to_owned(),
            format!("xc/{member}"),
        ],
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
                // Running too: a query's ledger time does not move, so the workers
                // judge by the lease in the view when to claim it again.
                let tee_claimable = task.tee_executor(caller);
                (task.status == TaskStatus::Approved && task.owner_executor(caller))
                    || tee_claimable
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
