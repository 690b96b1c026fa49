//! Datasets: registration, updates, consent withdrawal, and reading one.

use super::api::{
    Consent, DatasetFile, RegisterDataset, UpdateDataset, WithdrawConsent, WrappedKey,
};
use super::check::{self, invalid};
use super::store::{
    DatasetBody, DatasetCore, DatasetCoreRef, OWNER, decode, encode, load, new_id, party,
};
use super::view::{AuditAction, Created, DatasetStatus, DatasetView};
use super::{Tx, audit, catalog, reply};
use crate::{Caller, ContractError, State};
use std::borrow::Cow;

/// The key of a dataset's core record.
pub(crate) fn core_key(id: &str) -> Vec<u8> {
    format!("d/{id}").into_bytes()
}

/// The key of a dataset's files and keys (next to its core record).
pub(crate) fn body_key(id: &str) -> Vec<u8> {
    format!("d/{id}/body").into_bytes()
}

/// Loads a dataset's core record (`NotFoundOrDenied` when absent).
pub(crate) fn load_core(state: &dyn State, id: &str) -> Result<DatasetCore, ContractError> {
    load(state, &core_key(id))?.ok_or(ContractError::NotFoundOrDenied)
}

/// The stored bytes of a dataset's core record (`NotFoundOrDenied` when absent), to
/// read in place with [`read_core`].
pub(crate) fn core_bytes<'s>(
    state: &'s dyn State,
    id: &str,
) -> Result<Cow<'s, [u8]>, ContractError> {
    state
        .get_ref(&core_key(id))
        .ok_or(ContractError::NotFoundOrDenied)
}

/// Reads a dataset's core record in place.
pub(crate) fn read_core<'b>(
    id: &str,
    bytes: &'b [u8],
) -> Result<DatasetCoreRef<'b>, ContractError> {
    decode(&core_key(id), bytes)
}

/// Loads a dataset's files and keys.
pub(crate) fn load_body(state: &dyn State, id: &str) -> Result<DatasetBody, ContractError> {
    load(state, &body_key(id))?
        .ok_or_else(|| ContractError::Invalid(format!("state: dataset {id} has no files")))
}

fn check_labels(field: &str, labels: &[String]) -> Result<(), ContractError> {
    check::count(field, labels.len(), 0, check::MAX_LABELS)?;
    for (i, label) in labels.iter().enumerate() {
        check::label(&format!("{field}[{i}]"), label)?;
    }
    check::unique(field, labels)
}

fn check_consent(field: &str, consent: &Consent, now: u64) -> Result<(), ContractError> {
    let purposes = format!("{field}.purposes");
    check::count(&purposes, consent.purposes.len(), 1, check::MAX_PURPOSES)?;
    for (i, purpose) in consent.purposes.iter().enumerate() {
        check::label(&format!("{purposes}[{i}]"), purpose)?;
    }
    check::unique(&purposes, &consent.purposes)?;
    if consent.expires_at_ms.is_some_and(|end| end <= now) {
        return Err(invalid(
            &format!("{field}.expires_at_ms"),
            "is not after the ledger time",
        ));
    }
    Ok(())
}

fn check_keys(field: &str, keys: &[WrappedKey]) -> Result<(), ContractError> {
    check::count(field, keys.len(), 1, check::MAX_WRAPPED_KEYS)?;
    for (i, key) in keys.iter().enumerate() {
        check::text(
            &format!("{field}[{i}].recipient"),
            &key.recipient,
            1,
            check::MAX_NAME,
            false,
        )?;
        check::hex_bounded(
            &format!("{field}[{i}].key"),
            &key.key,
            check::MAX_WRAPPED_KEY,
        )?;
    }
    let recipients: Vec<&str> = keys.iter().map(|k| k.recipient.as_str()).collect();
    check::unique(&format!("{field}.recipient"), &recipients)
}

fn check_files(files: &[DatasetFile]) -> Result<(), ContractError> {
    check::count("files", files.len(), 1, check::MAX_FILES)?;
    for (i, file) in files.iter().enumerate() {
        let field = |name: &str| format!("files[{i}].{name}");
        check::text(&field("name"), &file.name, 1, check::MAX_NAME, false)?;
        check::count(&field("columns"), file.columns.len(), 0, check::MAX_COLUMNS)?;
        for (j, column) in file.columns.iter().enumerate() {
            check::text(
                &format!("files[{i}].columns[{j}]"),
                column,
                1,
                check::MAX_COLUMN,
                false,
            )?;
        }
        check::unique(&field("columns"), &file.columns)?;
        check::hex_exact(&field("plaintext_sha256"), &file.plaintext_sha256, 32)?;
        check::hex_exact(&field("ciphertext_sha256"), &file.ciphertext_sha256, 32)?;
        check::text(
            &field("location"),
            &file.location,
            1,
            check::MAX_LOCATION,
            false,
        )?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    check::unique("files.name", &names)
}

fn check_min_cell_size(value: Option<u32>) -> Result<(), ContractError> {
    if value == Some(0) {
        return Err(invalid("min_cell_size", "must be at least 1"));
    }
    Ok(())
}

/// `register_dataset`.
pub(crate) fn register(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &RegisterDataset,
) -> Result<Vec<u8>, ContractError> {
    check::text("name", &inv.name, 1, check::MAX_NAME, false)?;
    check::text(
        "description",
        &inv.description,
        0,
        check::MAX_DESCRIPTION,
        true,
    )?;
    check_labels("labels", &inv.labels)?;
    check_consent("consent", &inv.consent, tx.now)?;
    check_files(&inv.files)?;
    check_keys("wrapped_keys", &inv.wrapped_keys)?;
    check_min_cell_size(inv.min_cell_size)?;
    let mut columns: Vec<String> = Vec::new();
    for column in inv.files.iter().flat_map(|f| &f.columns) {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    if let Some(time_column) = &inv.time_column
        && !columns.contains(time_column)
    {
        return Err(invalid(
            "time_column",
            format!("{time_column:?} is not a column of the files"),
        ));
    }
    let size_bytes = inv
        .files
        .iter()
        .try_fold(0u64, |sum, f| sum.checked_add(f.size_bytes))
        .ok_or_else(|| invalid("files.size_bytes", "the sizes add up to more than 2^64"))?;

    if tx.caller().role != OWNER {
        return Err(ContractError::NotFoundOrDenied);
    }
    let id = new_id("ds", tx.ctx.sequence);
    if state.get_ref(&core_key(&id)).is_some() {
        return Err(ContractError::Refused(format!("id {id} is taken")));
    }
    let core = DatasetCore {
        name: inv.name.clone(),
        kind: inv.kind,
        owner_msp: tx.caller().msp_id.clone(),
        registered_by: party(tx.caller()),
        description: inv.description.clone(),
        labels: inv.labels.clone(),
        columns,
        time_column: inv.time_column.clone(),
        consent: inv.consent.clone(),
        size_bytes,
        epsilon_budget_micro: inv.epsilon_budget_micro,
        epsilon_spent_micro: 0,
        min_cell_size: inv.min_cell_size.unwrap_or(check::DEFAULT_MIN_CELL_SIZE),
        registered_at_ms: tx.now,
        withdrawn: false,
    };
    let body = DatasetBody {
        files: inv.files.clone(),
        wrapped_keys: inv.wrapped_keys.clone(),
    };
    let (core_bytes, body_bytes) = (encode(&core)?, encode(&body)?);
    state.put(core_key(&id), core_bytes);
    state.put(body_key(&id), body_bytes);
    catalog::add(state, &id, &core);
    audit::record(tx, state, &id, AuditAction::DatasetRegistered, &id)?;
    reply(&Created { id })
}

/// Loads a dataset that the caller, an owner of its organization, may change.
fn owned(tx: &Tx<'_>, state: &dyn State, id: &str) -> Result<DatasetCore, ContractError> {
    let core = load_core(state, id)?;
    if tx.caller().role != OWNER || tx.caller().msp_id != core.owner_msp {
        return Err(ContractError::NotFoundOrDenied);
    }
    if core.withdrawn {
        return Err(ContractError::Refused(format!(
            "dataset {id}: consent was withdrawn"
        )));
    }
    Ok(core)
}

/// `update_dataset`.
pub(crate) fn update(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &UpdateDataset,
) -> Result<Vec<u8>, ContractError> {
    check::id("id", &inv.id, "ds")?;
    if let Some(description) = &inv.description {
        check::text("description", description, 0, check::MAX_DESCRIPTION, true)?;
    }
    if let Some(labels) = &inv.labels {
        check_labels("labels", labels)?;
    }
    if let Some(consent) = &inv.consent {
        check_consent("consent", consent, tx.now)?;
    }
    if let Some(keys) = &inv.wrapped_keys {
        check_keys("wrapped_keys", keys)?;
    }
    check_min_cell_size(inv.min_cell_size)?;
    if inv.description.is_none()
        && inv.labels.is_none()
        && inv.consent.is_none()
        && inv.wrapped_keys.is_none()
        && inv.min_cell_size.is_none()
    {
        return Err(invalid("update", "names nothing to change"));
    }

    let old = owned(tx, state, &inv.id)?;
    let mut core = old.clone();
    if let Some(description) = &inv.description {
        core.description.clone_from(description);
    }
    if let Some(labels) = &inv.labels {
        core.labels.clone_from(labels);
    }
    if let Some(consent) = &inv.consent {
        core.consent = consent.clone();
    }
    if let Some(min_cell_size) = inv.min_cell_size {
        core.min_cell_size = min_cell_size;
    }
    let mut body = load_body(state, &inv.id)?;
    if let Some(keys) = &inv.wrapped_keys {
        body.wrapped_keys.clone_from(keys);
    }
    let (core_bytes, body_bytes) = (encode(&core)?, encode(&body)?);
    catalog::remove(state, &inv.id, &old);
    catalog::add(state, &inv.id, &core);
    state.put(core_key(&inv.id), core_bytes);
    state.put(body_key(&inv.id), body_bytes);
    audit::record(tx, state, &inv.id, AuditAction::DatasetUpdated, &inv.id)?;
    reply(&full_view(&inv.id, &core, body, tx.now))
}

/// `withdraw_consent`.
pub(crate) fn withdraw(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &WithdrawConsent,
) -> Result<Vec<u8>, ContractError> {
    check::id("id", &inv.id, "ds")?;
    if let Some(reason) = &inv.reason {
        check::text("reason", reason, 0, check::MAX_REASON, true)?;
    }
    let old = owned(tx, state, &inv.id)?;
    let mut core = old.clone();
    core.withdrawn = true;
    let body = load_body(state, &inv.id)?;
    let core_bytes = encode(&core)?;
    catalog::remove(state, &inv.id, &old);
    state.put(core_key(&inv.id), core_bytes);
    audit::record(tx, state, &inv.id, AuditAction::ConsentWithdrawn, &inv.id)?;
    reply(&full_view(&inv.id, &core, body, tx.now))
}

fn full_view(id: &str, core: &DatasetCore, body: DatasetBody, now: u64) -> DatasetView {
    DatasetView {
        summary: catalog::summary(id, core),
        status: core.status(now),
        files: body.files,
        wrapped_keys: body.wrapped_keys,
        registered_by: Some(core.registered_by.clone()),
    }
}

/// `get_dataset`.
pub(crate) fn get(
    caller: &Caller,
    state: &dyn State,
    id: &str,
    now: u64,
) -> Result<Vec<u8>, ContractError> {
    check::id("id", id, "ds")?;
    let core = load_core(state, id)?;
    if core.org_reader(caller) {
        let body = load_body(state, id)?;
        return reply(&full_view(id, &core, body, now));
    }
    if core.status(now) != DatasetStatus::Active {
        return Err(ContractError::NotFoundOrDenied);
    }
    let body = load_body(state, id)?;
    reply(&DatasetView {
        summary: catalog::summary(id, &core),
        status: DatasetStatus::Active,
        files: body.files,
        wrapped_keys: Vec::new(),
        registered_by: None,
    })
}
