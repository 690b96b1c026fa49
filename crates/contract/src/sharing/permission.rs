//! Permission requests and grants.

use super::api::{ApprovePermission, RejectPermission, RequestPermission, RevokeGrant, Scope};
use super::check::{self, invalid};
use super::dataset::load_core;
use super::store::{
    ADMIN, ANALYST, AUDITOR, DatasetCore, GrantCover, GrantRecord, GrantRecordRef, OWNER,
    RequestRecord, decode, encode, is, load, member_key, new_id, org_key, page, party,
};
use super::view::{
    AuditAction, Created, DatasetStatus, GrantStatus, GrantView, RequestList, RequestStatus,
    RequestView,
};
use super::{Tx, algorithm, audit, reply};
use crate::{Caller, ContractError, State};
use std::borrow::Cow;

/// The key of a request.
fn request_key(id: &str) -> Vec<u8> {
    format!("r/{id}").into_bytes()
}

/// The key of a grant.
fn grant_key(id: &str) -> Vec<u8> {
    format!("g/{id}").into_bytes()
}

/// The prefix of a member's grants on a dataset (next to the dataset's records). The
/// entries under it end with the grant id's hex part ([`GRANT_PREFIX`] left out, so
/// that the key stays short).
pub(crate) fn grant_index(dataset: &str, msp_id: &str, name: &str) -> String {
    format!("d/{dataset}/g/{}", member_key(msp_id, name))
}

/// What every grant id starts with.
pub(crate) const GRANT_PREFIX: &str = "grant-";

/// The key of a grant's entry in its dataset's grant index.
fn grant_index_key(grant_id: &str, grant: &GrantRecord) -> Vec<u8> {
    let index = grant_index(&grant.dataset, &grant.grantee.msp_id, &grant.grantee.name);
    let hex = grant_id.strip_prefix(GRANT_PREFIX).unwrap_or(grant_id);
    format!("{index}/{hex}").into_bytes()
}

/// The stored bytes of a grant, to read in place.
pub(crate) fn grant_bytes<'s>(state: &'s dyn State, id: &str) -> Option<Cow<'s, [u8]>> {
    state.get_ref(&grant_key(id))
}

/// Reads a grant in place.
pub(crate) fn read_grant<'b>(
    id: &str,
    bytes: &'b [u8],
) -> Result<GrantRecordRef<'b>, ContractError> {
    decode(&grant_key(id), bytes)
}

/// Loads a grant.
pub(crate) fn load_grant(
    state: &dyn State,
    id: &str,
) -> Result<Option<GrantRecord>, ContractError> {
    load(state, &grant_key(id))
}

fn check_scope(scope: &Scope, now: u64) -> Result<(), ContractError> {
    check::count("scope.columns", scope.columns.len(), 1, check::MAX_COLUMNS)?;
    for (i, column) in scope.columns.iter().enumerate() {
        check::text(
            &format!("scope.columns[{i}]"),
            column,
            1,
            check::MAX_COLUMN,
            false,
        )?;
    }
    check::unique("scope.columns", &scope.columns)?;
    if let Some(rows) = scope.rows
        && rows.from_ms >= rows.to_ms
    {
        return Err(invalid("scope.rows", "from_ms must be before to_ms"));
    }
    if scope.expires_at_ms.is_some_and(|end| end <= now) {
        return Err(invalid(
            "scope.expires_at_ms",
            "is not after the ledger time",
        ));
    }
    Ok(())
}

fn check_reason(reason: Option<&String>) -> Result<(), ContractError> {
    match reason {
        Some(reason) => check::text("reason", reason, 0, check::MAX_REASON, true),
        None => Ok(()),
    }
}

fn refused_unusable(id: &str, status: DatasetStatus) -> ContractError {
    let what = match status {
        DatasetStatus::Active => "is active",
        DatasetStatus::Expired => "has expired consent",
        DatasetStatus::Withdrawn => "has withdrawn consent",
    };
    ContractError::Refused(format!("dataset {id} {what}"))
}

/// `request_permission`: an analyst, on a dataset in the catalog.
pub(crate) fn request(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RequestPermission,
) -> Result<Vec<u8>, ContractError> {
    check::id("dataset", &inv.dataset, "ds")?;
    check::label("purpose", &inv.purpose)?;
    check::count("algorithms", inv.algorithms.len(), 1, check::MAX_ALGORITHMS)?;
    for (i, alg) in inv.algorithms.iter().enumerate() {
        check::id(&format!("algorithms[{i}]"), alg, "alg")?;
    }
    check::unique("algorithms", &inv.algorithms)?;
    check_scope(&inv.scope, tx.now)?;

    let caller = tx.caller();
    if caller.role != ANALYST {
        return Err(ContractError::NotFoundOrDenied);
    }
    let core = load_core(state, &inv.dataset)?;
    if core.status(tx.now) != DatasetStatus::Active {
        return Err(ContractError::NotFoundOrDenied);
    }
    // The dataset is in the catalog: its purposes and columns are public.
    if !core.consent.purposes.contains(&inv.purpose) {
        return Err(ContractError::Refused(format!(
            "purpose: {:?} is not among the consented purposes of {}",
            inv.purpose, inv.dataset
        )));
    }
    for (i, column) in inv.scope.columns.iter().enumerate() {
        if !core.columns.contains(column) {
            return Err(invalid(
                &format!("scope.columns[{i}]"),
                format!("{} has no column {column:?}", inv.dataset),
            ));
        }
    }
    if inv.scope.rows.is_some() && core.time_column.is_none() {
        return Err(invalid(
            "scope.rows",
            format!("{} has no time column", inv.dataset),
        ));
    }
    for (i, alg) in inv.algorithms.iter().enumerate() {
        if algorithm::load_algorithm(state, alg)?.is_none() {
            return Err(invalid(&format!("algorithms[{i}]"), "no such algorithm"));
        }
    }
    let id = new_id("req", tx.ctx.sequence);
    if state.get_ref(&request_key(&id)).is_some() {
        return Err(ContractError::Refused(format!("id {id} is taken")));
    }
    let record = RequestRecord {
        dataset: inv.dataset.clone(),
        owner_msp: core.owner_msp.clone(),
        requester: party(caller),
        purpose: inv.purpose.clone(),
        algorithms: inv.algorithms.clone(),
        scope: inv.scope.clone(),
        requested_at_ms: tx.now,
        decided_by: None,
        decided_at_ms: None,
        reason: None,
        grant: None,
    };
    state.put(request_key(&id), encode(&record)?);
    state.put(
        format!("mr/{}/{id}", member_key(&caller.msp_id, &caller.name)).into_bytes(),
        Vec::new(),
    );
    state.put(
        format!("or/{}/{id}", org_key(&core.owner_msp)).into_bytes(),
        Vec::new(),
    );
    audit::record(
        tx,
        state,
        &inv.dataset,
        AuditAction::PermissionRequested,
        &id,
    )?;
    reply(&Created { id })
}

/// Loads a request and its dataset for a caller who decides on the dataset; the request
/// must still be pending.
fn pending_for_decider(
    tx: &Tx<'_>,
    state: &dyn State,
    id: &str,
) -> Result<(RequestRecord, DatasetCore), ContractError> {
    let record: RequestRecord =
        load(state, &request_key(id))?.ok_or(ContractError::NotFoundOrDenied)?;
    let core = load_core(state, &record.dataset)?;
    if !core.org_decider(tx.caller()) {
        return Err(ContractError::NotFoundOrDenied);
    }
    if record.decided_by.is_some() {
        return Err(ContractError::Refused(format!(
            "request {id} was already decided"
        )));
    }
    Ok((record, core))
}

/// `approve_permission`: an admin or owner of the dataset's organization.
pub(crate) fn approve(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &ApprovePermission,
) -> Result<Vec<u8>, ContractError> {
    check::id("request", &inv.request, "req")?;
    let (mut record, core) = pending_for_decider(tx, state, &inv.request)?;
    let status = core.status(tx.now);
    if status != DatasetStatus::Active {
        return Err(refused_unusable(&record.dataset, status));
    }
    if record.scope.expires_at_ms.is_some_and(|end| end <= tx.now) {
        return Err(ContractError::Refused(format!(
            "request {}: the requested grant would already have ended",
            inv.request
        )));
    }
    let id = new_id("grant", tx.ctx.sequence);
    if state.get_ref(&grant_key(&id)).is_some() {
        return Err(ContractError::Refused(format!("id {id} is taken")));
    }
    let grant = GrantRecord {
        request: inv.request.clone(),
        dataset: record.dataset.clone(),
        grantee: record.requester.clone(),
        purpose: record.purpose.clone(),
        algorithms: record.algorithms.clone(),
        scope: record.scope.clone(),
        approved_by: party(tx.caller()),
        approved_at_ms: tx.now,
        revoked_by: None,
        revoked_at_ms: None,
        revoke_reason: None,
    };
    record.decided_by = Some(party(tx.caller()));
    record.decided_at_ms = Some(tx.now);
    record.grant = Some(id.clone());
    let (grant_bytes, record_bytes) = (encode(&grant)?, encode(&record)?);
    let cover = encode(&GrantCover::of(&grant))?;
    state.put(grant_key(&id), grant_bytes);
    state.put(request_key(&inv.request), record_bytes);
    state.put(grant_index_key(&id, &grant), cover);
    state.delete(format!("or/{}/{}", org_key(&core.owner_msp), inv.request).as_bytes());
    audit::record(
        tx,
        state,
        &record.dataset,
        AuditAction::PermissionApproved,
        &id,
    )?;
    reply(&Created { id })
}

/// `reject_permission`: an admin or owner of the dataset's organization.
pub(crate) fn reject(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RejectPermission,
) -> Result<Vec<u8>, ContractError> {
    check::id("request", &inv.request, "req")?;
    check_reason(inv.reason.as_ref())?;
    let (mut record, core) = pending_for_decider(tx, state, &inv.request)?;
    record.decided_by = Some(party(tx.caller()));
    record.decided_at_ms = Some(tx.now);
    record.reason.clone_from(&inv.reason);
    state.put(request_key(&inv.request), encode(&record)?);
    state.delete(format!("or/{}/{}", org_key(&core.owner_msp), inv.request).as_bytes());
    audit::record(
        tx,
        state,
        &record.dataset,
        AuditAction::PermissionRejected,
        &inv.request,
    )?;
    reply(&request_view(state, &inv.request, record, tx.now)?)
}

/// `revoke_grant`: an admin or owner of the dataset's organization.
pub(crate) fn revoke(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RevokeGrant,
) -> Result<Vec<u8>, ContractError> {
    check::id("grant", &inv.grant, "grant")?;
    check_reason(inv.reason.as_ref())?;
    let mut grant = load_grant(state, &inv.grant)?.ok_or(ContractError::NotFoundOrDenied)?;
    let core = load_core(state, &grant.dataset)?;
    if !core.org_decider(tx.caller()) {
        return Err(ContractError::NotFoundOrDenied);
    }
    if grant.revoked_by.is_some() {
        return Err(ContractError::Refused(format!(
            "grant {} was already revoked",
            inv.grant
        )));
    }
    grant.revoked_by = Some(party(tx.caller()));
    grant.revoked_at_ms = Some(tx.now);
    grant.revoke_reason.clone_from(&inv.reason);
    let (grant_bytes, cover) = (encode(&grant)?, encode(&GrantCover::of(&grant))?);
    state.put(grant_key(&inv.grant), grant_bytes);
    state.put(grant_index_key(&inv.grant, &grant), cover);
    audit::record(
        tx,
        state,
        &grant.dataset,
        AuditAction::GrantRevoked,
        &inv.grant,
    )?;
    reply(&grant_view(&inv.grant, grant, &core, tx.now))
}

/// A grant as its parties see it at ledger time `now`.
pub(crate) fn grant_view(id: &str, grant: GrantRecord, core: &DatasetCore, now: u64) -> GrantView {
    let status = if grant.revoked_by.is_some() {
        GrantStatus::Revoked
    } else if !grant.in_force(now) || core.status(now) != DatasetStatus::Active {
        GrantStatus::Expired
    } else {
        GrantStatus::Active
    };
    GrantView {
        id: id.to_owned(),
        request: grant.request,
        dataset: grant.dataset,
        grantee: grant.grantee,
        purpose: grant.purpose,
        algorithms: grant.algorithms,
        scope: grant.scope,
        status,
        approved_by: grant.approved_by,
        approved_at_ms: grant.approved_at_ms,
        revoked_by: grant.revoked_by,
        revoked_at_ms: grant.revoked_at_ms,
        revoke_reason: grant.revoke_reason,
    }
}

fn request_view(
    state: &dyn State,
    id: &str,
    record: RequestRecord,
    now: u64,
) -> Result<RequestView, ContractError> {
    let grant = match &record.grant {
        Some(grant_id) => match load_grant(state, grant_id)? {
            Some(grant) => {
                let core = load_core(state, &record.dataset)?;
                Some(grant_view(grant_id, grant, &core, now))
            }
            None => None,
        },
        None => None,
    };
    let status = match (&record.decided_by, &record.grant) {
        (None, _) => RequestStatus::Pending,
        (Some(_), Some(_)) => RequestStatus::Approved,
        (Some(_), None) => RequestStatus::Rejected,
    };
    Ok(RequestView {
        id: id.to_owned(),
        dataset: record.dataset,
        owner_msp: record.owner_msp,
        requester: record.requester,
        purpose: record.purpose,
        algorithms: record.algorithms,
        scope: record.scope,
        status,
        requested_at_ms: record.requested_at_ms,
        decided_by: record.decided_by,
        decided_at_ms: record.decided_at_ms,
        reason: record.reason,
        grant,
    })
}

/// Whether `caller` may see `record`: its requester, or an admin, owner or auditor of
/// the dataset's organization.
fn may_see(caller: &Caller, record: &RequestRecord) -> bool {
    is(caller, &record.requester)
        || (caller.msp_id == record.owner_msp
            && matches!(caller.role.as_str(), ADMIN | OWNER | AUDITOR))
}

/// `get_request`.
pub(crate) fn get(
    caller: &Caller,
    state: &dyn State,
    id: &str,
    now: u64,
) -> Result<Vec<u8>, ContractError> {
    check::id("id", id, "req")?;
    let record: RequestRecord =
        load(state, &request_key(id))?.ok_or(ContractError::NotFoundOrDenied)?;
    if !may_see(caller, &record) {
        return Err(ContractError::NotFoundOrDenied);
    }
    reply(&request_view(state, id, record, now)?)
}

/// `list_my_requests`.
pub(crate) fn list_mine(
    caller: &Caller,
    state: &dyn State,
    after: Option<&str>,
    limit: Option<u32>,
    now: u64,
) -> Result<Vec<u8>, ContractError> {
    if let Some(after) = after {
        check::id("after", after, "req")?;
    }
    let limit = check::limit(limit, 100, 1000)?;
    let prefix = if matches!(caller.role.as_str(), ADMIN | OWNER) {
        format!("or/{}", org_key(&caller.msp_id))
    } else {
        format!("mr/{}", member_key(&caller.msp_id, &caller.name))
    };
    let (items, next) = page(state, &[prefix], after, limit, |id| {
        let Some(record) = load::<RequestRecord>(state, &request_key(id))? else {
            return Ok(None);
        };
        if !may_see(caller, &record) {
            return Ok(None);
        }
        request_view(state, id, record, now).map(Some)
    })?;
    reply(&RequestList { items, next })
}
