//! Datasets: registration, updates, consent withdrawal, and reading one.

use std::borrow::Cow;
use std::collections::HashSet;

use super::api::{
    Consent, DatasetFile, DatasetKind, RegisterDataset, UpdateDataset, WithdrawConsent, WrappedKey,
};
use super::check::{self, invalid};
use super::store::{
    DatasetBody, DatasetCore, DatasetCoreRef, OWNER, decode, encode, load, new_id, party,
};
use super::view::{AuditAction, Created, DatasetStatus, DatasetView, GenomeFile};
use super::{Tx, audit, catalog, location, reply};
use crate::{Caller, ContractError, State};

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
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    check::unique("files.name", &names)?;
    location::check_files(files)
}

/// Every column of the files, each once, in order of first appearance; at most
/// [`check::MAX_DATASET_COLUMNS`] columns over all files (counted before merging, so
/// the merge, linear in that count, is bounded).
fn merge_columns(files: &[DatasetFile]) -> Result<Vec<String>, ContractError> {
    let total: usize = files.iter().map(|f| f.columns.len()).sum();
    if total > check::MAX_DATASET_COLUMNS {
        return Err(invalid(
            "files.columns",
            format!(
                "the files have {total} columns in all, at most {} allowed",
                check::MAX_DATASET_COLUMNS
            ),
        ));
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(total);
    let mut columns = Vec::new();
    for column in files.iter().flat_map(|f| &f.columns) {
        if seen.insert(column) {
            columns.push(column.clone());
        }
    }
    Ok(columns)
}

/// The genome summaries of the files, checked: only a `vcf` dataset's files have one,
/// and the contigs over all files are bounded ([`check::MAX_DATASET_CONTIGS`]).
fn genome_files(
    kind: DatasetKind,
    files: &[DatasetFile],
) -> Result<Vec<GenomeFile>, ContractError> {
    let mut genomes = Vec::new();
    let mut contigs = 0usize;
    for (i, file) in files.iter().enumerate() {
        let Some(summary) = &file.genome else {
            continue;
        };
        let field = format!("files[{i}].genome");
        if kind != DatasetKind::Vcf {
            return Err(invalid(
                &field,
                format!(
                    "only the files of a vcf dataset have one, not of a {} dataset",
                    kind.as_str()
                ),
            ));
        }
        contigs += summary.contigs.len();
        if contigs > check::MAX_DATASET_CONTIGS {
            return Err(invalid(
                &format!("{field}.contigs"),
                format!(
                    "more than {} contigs over the files",
                    check::MAX_DATASET_CONTIGS
                ),
            ));
        }
        for (j, contig) in summary.contigs.iter().enumerate() {
            check::text(
                &format!("{field}.contigs[{j}]"),
                contig,
                1,
                check::MAX_NAME,
                false,
            )?;
        }
        genomes.push(GenomeFile {
            file: file.name.clone(),
            summary: summary.clone(),
        });
    }
    Ok(genomes)
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
    let columns = merge_columns(&inv.files)?;
    let genomes = genome_files(inv.kind, &inv.files)?;
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
    let taken = location::take_for_dataset(tx, state, &inv.files, &id)?;
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
        // The consortium's defaults as governance set them now; a later change of the
        // defaults leaves this dataset as registered.
        epsilon_budget_micro: inv
            .epsilon_budget_micro
            .or(tx.ctx.defaults.epsilon_budget_micro),
        epsilon_spent_micro: 0,
        min_cell_size: inv.min_cell_size.unwrap_or(tx.ctx.defaults.min_cell_size),
        registered_at_ms: tx.now,
        withdrawn: false,
        revision: tx.ctx.sequence,
        genomes,
    };
    let body = DatasetBody {
        files: inv.files.clone(),
        wrapped_keys: inv.wrapped_keys.clone(),
    };
    let (core_bytes, body_bytes) = (encode(&core)?, encode(&body)?);
    state.put(core_key(&id), core_bytes);
    state.put(body_key(&id), body_bytes);
    for (key, bytes) in taken {
        state.put(key, bytes);
    }
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
    if inv.revision != old.revision {
        return Err(ContractError::Refused(format!(
            "dataset {} changed since revision {} (now {}): read it again and reapply the \
             change",
            inv.id, inv.revision, old.revision
        )));
    }
    let mut core = old.clone();
    core.revision = tx.ctx.sequence;
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
    reply(&full_view(&inv.id, &core, body, tx.caller(), tx.now))
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
    core.revision = tx.ctx.sequence;
    let body = load_body(state, &inv.id)?;
    let core_bytes = encode(&core)?;
    catalog::remove(state, &inv.id, &old);
    state.put(core_key(&inv.id), core_bytes);
    audit::record(tx, state, &inv.id, AuditAction::ConsentWithdrawn, &inv.id)?;
    reply(&full_view(&inv.id, &core, body, tx.caller(), tx.now))
}

/// The files as `caller` sees them at ledger time `now`: with their locations only if
/// it may read the objects ([`DatasetCore::owner_may_read`]).
fn files_for(
    core: &DatasetCore,
    files: Vec<DatasetFile>,
    caller: &Caller,
    now: u64,
) -> Vec<DatasetFile> {
    let mut files = files;
    if !core.owner_may_read(caller, now) {
        for file in &mut files {
            file.location.clear();
        }
    }
    files
}

/// The view of the owning organization's admins, owners and auditors: with the
/// wrapped keys and the revision.
fn full_view(
    id: &str,
    core: &DatasetCore,
    body: DatasetBody,
    caller: &Caller,
    now: u64,
) -> DatasetView {
    DatasetView {
        summary: catalog::summary(id, core, caller),
        status: core.status(now),
        files: files_for(core, body.files, caller, now),
        wrapped_keys: body.wrapped_keys,
        registered_by: Some(core.registered_by.clone()),
        revision: Some(core.revision),
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
        return reply(&full_view(id, &core, body, caller, now));
    }
    if core.status(now) != DatasetStatus::Active {
        return Err(ContractError::NotFoundOrDenied);
    }
    let body = load_body(state, id)?;
    reply(&DatasetView {
        summary: catalog::summary(id, &core, caller),
        status: DatasetStatus::Active,
        files: files_for(&core, body.files, caller, now),
        wrapped_keys: Vec::new(),
        registered_by: None,
        revision: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(columns: &[&str]) -> DatasetFile {
        DatasetFile {
            name: "f".into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            plaintext_sha256: String::new(),
            ciphertext_sha256: String::new(),
            size_bytes: 0,
            location: String::new(),
            genome: None,
        }
    }

    #[test]
    fn merged_columns_keep_their_first_appearance_order() {
        let files = [file(&["b", "a", "c"]), file(&["c", "d", "a", "e"])];
        assert_eq!(
            merge_columns(&files),
            Ok(["b", "a", "c", "d", "e"].map(String::from).to_vec())
        );
    }

    #[test]
    fn too_many_columns_over_all_files_are_invalid_before_merging() {
        let names: Vec<String> = (0..1024).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        // Four files of the same 1024 columns: 4096 in all, allowed.
        let files = vec![file(&refs); 4];
        assert_eq!(merge_columns(&files).map(|c| c.len()), Ok(1024));
        // One more column anywhere is over the cap, repeated or not.
        let mut over = files;
        over.push(file(&["c0"]));
        match merge_columns(&over) {
            Err(ContractError::Invalid(m)) => {
                assert!(m.starts_with("files.columns:"), "{m}");
                assert!(m.contains("4097"), "{m}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
