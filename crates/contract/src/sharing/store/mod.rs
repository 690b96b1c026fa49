//! How the sharing contract lays out its state: keys, stored records, identifiers.
//!
//! Every key is ASCII. Records are [postcard](https://docs.rs/postcard): a compact binary
//! encoding of the serde data model (struct fields in declaration order, no field
//! names, integers as varints, enums as variant indexes, `Option` as a 0/1 byte), so
//! the bytes are a deterministic function of the record. A record that does not decode,
//! or leaves bytes over, is refused with [`ContractError::Invalid`]. A task's parameters
//! are stored as their JSON text (postcard cannot carry an untyped JSON value). Per-member and
//! per-organization index keys use a 16-hex-digit digest of the member or organization
//! name instead of the name, so names need no escaping; whoever reads an index entry
//! re-checks the record it points to. A dataset's records and audit trail share the
//! `d/<ds>` prefix, so that an operation that reads a dataset and then writes its trail
//! finds the same part of an ordered store's tree still in cache.
//!
//! A [`DatasetFile`] leaves out an empty `location` when serialized (so that views can
//! hide it); stored files always have one (registration requires a reserved location),
//! so every stored file carries every field and decodes.
//!
//! | key | value |
//! |---|---|
//! | `s/now` | latest ledger time seen, u64 big-endian |
//! | `d/<ds>` | [`DatasetCore`] (policy and catalog metadata) |
//! | `d/<ds>/body` | [`DatasetBody`] (files, wrapped keys) |
//! | `d/<ds>/g/<member>/<grant id without "grant-">` | [`GrantCover`]: the member's grants on the dataset, with what a task request checks of each (empty in states written before covers were kept: the grant record is read instead) |
//! | `d/<ds>/log/<sequence, 16 hex>` | [`AuditEvent`]: the dataset's audit trail |
//! | `ca/<ds>`, `ck/<kind>/<ds>`, `cl/<label>/<ds>`, `ct/<word>/<ds>` | catalog postings: consent end, u64 big-endian |
//! | `cn/<posting prefix>` | number of postings under the prefix, u64 big-endian |
//! | `loc/<location>` | [`LocationRecord`]: an object location reserved for an organization (`<location>` is `data/` and 32 hex digits), and the dataset that registered it, if one did |
//! | `a/<alg>` | [`AlgorithmView`] |
//! | `r/<req>` | [`RequestRecord`] |
//! | `g/<grant>` | [`GrantRecord`] |
//! | `mr/<member>/<req>` | empty: requests a member made |
//! | `or/<org>/<req>` | empty: pending requests on an organization's datasets |
//! | `t/<task>` | [`TaskRecord`] (with a copy of its inputs' immutable dataset fields) |
//! | `mt/<member>/<task>` | empty: tasks a member requested |
//! | `oa/<org>/<task>` | empty: tasks awaiting an organization's approval |
//! | `ex/<org>/<task>` | empty: approved or running owner-side tasks of an organization |
//! | `xc/<member>/<task>` | empty: running tasks a member claimed |
//! | `res/<task>` | [`ResultRecord`] (exactly when the task succeeded or failed) |

use std::fmt;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use super::api::{
    Consent, DatasetFile, DatasetKind, ExecutionMode, Recipient, Scope, TimeRange, WrappedKey,
};
use super::view::{
    AlgorithmView, ClaimEvidence, DatasetStatus, GenomeFile, Party, TaskAlgorithm, TaskStatus,
};
use crate::{Caller, ContractError, State};

/// The key of the latest ledger time.
pub(crate) const NOW_KEY: &[u8] = b"s/now";

/// Records to write once every check has passed: keys and encoded values.
pub(crate) type Writes = Vec<(Vec<u8>, Vec<u8>)>;

/// Length of every id's hex part.
pub(crate) const ID_HEX_LEN: usize = 16;

/// The latest ledger time recorded in the state (0 before the first transaction).
pub(crate) fn now(state: &dyn State) -> u64 {
    state.get_ref(NOW_KEY).map_or(0, |bytes| be_u64(&bytes))
}

/// Reads a big-endian u64 (0 if the bytes are not 8 long).
pub(crate) fn be_u64(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_be_bytes)
}

/// The id a transaction assigns: `<prefix>-` and its ledger sequence number as 16 hex
/// digits. A transaction creates at most one object of a kind, so ids are unique per
/// kind; they grow with the ledger, so the records and index entries of recent objects
/// sit together at the end of their key ranges (a hash of the sequence number would
/// scatter them across the state and hide nothing: the sequence is enumerable).
pub(crate) fn new_id(prefix: &str, sequence: u64) -> String {
    format!("{prefix}-{sequence:016x}")
}

fn short_digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// The index name of a member.
pub(crate) fn member_key(msp_id: &str, name: &str) -> String {
    short_digest(&[b"member", msp_id.as_bytes(), name.as_bytes()])
}

/// The index name of an organization.
pub(crate) fn org_key(msp_id: &str) -> String {
    short_digest(&[b"org", msp_id.as_bytes()])
}

/// Loads and decodes a record.
pub(crate) fn load<T: DeserializeOwned>(
    state: &dyn State,
    key: &[u8],
) -> Result<Option<T>, ContractError> {
    match state.get_ref(key) {
        None => Ok(None),
        Some(bytes) => decode(key, &bytes).map(Some),
    }
}

/// Decodes a record stored under `key`: the whole of `bytes` must be one record.
pub(crate) fn decode<'b, T: Deserialize<'b>>(
    key: &[u8],
    bytes: &'b [u8],
) -> Result<T, ContractError> {
    let corrupt = |what: String| {
        ContractError::Invalid(format!(
            "state: record {} does not decode: {what}",
            String::from_utf8_lossy(key)
        ))
    };
    match postcard::take_from_bytes(bytes) {
        Ok((record, [])) => Ok(record),
        Ok((_, rest)) => Err(corrupt(format!("{} bytes left over", rest.len()))),
        Err(e) => Err(corrupt(e.to_string())),
    }
}

/// Encodes a record.
pub(crate) fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, ContractError> {
    // One allocation for most records instead of a doubling series; the value is then
    // cut to size, since it is kept in the state.
    let mut bytes = postcard::to_extend(record, Vec::with_capacity(512))
        .map_err(|e| ContractError::Invalid(format!("state: record does not encode: {e}")))?;
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// The ids under an index prefix (`<prefix>/<id>` keys), after `after`, at most
/// `limit + 1` of them (so that the caller knows whether there is a next page).
pub(crate) fn index_ids(
    state: &dyn State,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    let start = match after {
        Some(after) => format!("{prefix}/{after}\u{0}"),
        None => format!("{prefix}/"),
    };
    let end = format!("{prefix}0"); // '0' is the byte after '/'
    let wanted = limit.saturating_add(1);
    let mut ids = Vec::new();
    state.scan(start.as_bytes(), Some(end.as_bytes()), &mut |key, _| {
        if let Ok(key) = std::str::from_utf8(key)
            && let Some(id) = key.rsplit('/').next()
        {
            ids.push(id.to_owned());
        }
        ids.len() < wanted
    });
    ids
}

/// One page over the ids of several index prefixes, merged in id order: the ids after
/// `after` for which `view` answers something, at most `limit` of them, and the cursor
/// of the next page (`None` when there is none).
pub(crate) fn page<T>(
    state: &dyn State,
    prefixes: &[String],
    after: Option<&str>,
    limit: usize,
    mut view: impl FnMut(&str) -> Result<Option<T>, ContractError>,
) -> Result<(Vec<T>, Option<String>), ContractError> {
    let mut items = Vec::new();
    let mut last: Option<String> = None;
    let mut cursor: Option<String> = after.map(str::to_owned);
    loop {
        // Ids past the end of a truncated window are not known to be in order yet.
        let mut bound: Option<String> = None;
        let mut ids: Vec<String> = Vec::new();
        for prefix in prefixes {
            let window = index_ids(state, prefix, cursor.as_deref(), limit);
            if window.len() > limit
                && let Some(end) = window.last()
                && bound.as_ref().is_none_or(|b| end < b)
            {
                bound = Some(end.clone());
            }
            ids.extend(window);
        }
        ids.sort();
        ids.dedup();
        for id in ids {
            if bound.as_ref().is_some_and(|b| &id > b) {
                break;
            }
            cursor = Some(id.clone());
            if let Some(item) = view(&id)? {
                if items.len() == limit {
                    return Ok((items, last));
                }
                items.push(item);
                last = Some(id);
            }
        }
        if bound.is_none() {
            return Ok((items, None));
        }
    }
}

/// Who the caller is, as a [`Party`].
pub(crate) fn party(caller: &Caller) -> Party {
    Party {
        msp_id: caller.msp_id.clone(),
        name: caller.name.clone(),
    }
}

/// Whether `caller` is `party`.
pub(crate) fn is(caller: &Caller, party: &Party) -> bool {
    caller.msp_id == party.msp_id && caller.name == party.name
}

/// A dataset's policy and catalog metadata: what authorization and the catalog need,
/// without its files and keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DatasetCore {
    pub name: String,
    pub kind: DatasetKind,
    pub owner_msp: String,
    pub registered_by: Party,
    pub description: String,
    pub labels: Vec<String>,
    pub columns: Vec<String>,
    pub time_column: Option<String>,
    pub consent: Consent,
    pub size_bytes: u64,
    pub epsilon_budget_micro: Option<u64>,
    pub epsilon_spent_micro: u64,
    pub min_cell_size: u32,
    pub registered_at_ms: u64,
    pub withdrawn: bool,
    /// The ledger sequence number of the transaction that last changed the dataset
    /// (registration, update, withdrawal; not a budget reservation).
    pub revision: u64,
    /// The shape of each genome file, as registered.
    pub genomes: Vec<GenomeFile>,
}

/// Whether a dataset may be used at ledger time `now`.
fn dataset_status(withdrawn: bool, consent_end: Option<u64>, now: u64) -> DatasetStatus {
    if withdrawn {
        DatasetStatus::Withdrawn
    } else if consent_end.is_some_and(|end| end <= now) {
        DatasetStatus::Expired
    } else {
        DatasetStatus::Active
    }
}

impl DatasetCore {
    /// Whether the dataset may be used at ledger time `now`.
    pub fn status(&self, now: u64) -> DatasetStatus {
        dataset_status(self.withdrawn, self.consent.expires_at_ms, now)
    }

    /// Whether `caller` is an admin, owner or auditor of the owning organization.
    pub fn org_reader(&self, caller: &Caller) -> bool {
        caller.msp_id == self.owner_msp && matches!(caller.role.as_str(), ADMIN | OWNER | AUDITOR)
    }

    /// Whether `caller` decides on requests and tasks for this dataset.
    pub fn org_decider(&self, caller: &Caller) -> bool {
        caller.msp_id == self.owner_msp && matches!(caller.role.as_str(), ADMIN | OWNER)
    }

    /// Whether `caller` may read the dataset's objects as their owner at ledger time
    /// `now` (see [`owner_may_read`]).
    pub fn owner_may_read(&self, caller: &Caller, now: u64) -> bool {
        owner_may_read(caller, &self.owner_msp, self.status(now))
    }
}

/// Whether `caller` may read the objects of a dataset of `owner_msp` in `status` as
/// their owner: any member of the owning organization while the dataset is active; only
/// its admins and owners once it is withdrawn or its consent has ended; nobody else.
pub(crate) fn owner_may_read(caller: &Caller, owner_msp: &str, status: DatasetStatus) -> bool {
    caller.msp_id == owner_msp
        && (status == DatasetStatus::Active || matches!(caller.role.as_str(), ADMIN | OWNER))
}

/// A [`DatasetCore`] read in place, for the checks that only read one: the same fields
/// in the same order, hence the same encoding (nested structs spelled out field by
/// field), with the strings borrowed from the stored bytes and the unused lists skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct DatasetCoreRef<'a> {
    pub name: &'a str,
    pub kind: DatasetKind,
    pub owner_msp: &'a str,
    _registered_by_msp: &'a str,
    _registered_by_name: &'a str,
    _description: &'a str,
    _labels: SkipStrs,
    #[serde(borrow)]
    pub columns: Vec<&'a str>,
    #[serde(borrow)]
    pub time_column: Option<&'a str>,
    _consent_purposes: SkipStrs,
    pub consent_expires_at_ms: Option<u64>,
    _size_bytes: u64,
    // Read by the tests only (the budget is read and written whole, through
    // `DatasetCore`), kept named so that the tests show the encoding lines up.
    #[cfg_attr(not(test), allow(dead_code))]
    pub epsilon_budget_micro: Option<u64>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub epsilon_spent_micro: u64,
    pub min_cell_size: u32,
    _registered_at_ms: u64,
    pub withdrawn: bool,
    #[cfg_attr(not(test), allow(dead_code))]
    pub revision: u64,
    /// Each [`GenomeFile`]: its file name, sample count, contigs and record count.
    #[serde(borrow)]
    _genomes: Vec<(&'a str, u64, SkipStrs, u64)>,
}

impl DatasetCoreRef<'_> {
    /// Whether the dataset may be used at ledger time `now`.
    pub fn status(&self, now: u64) -> DatasetStatus {
        dataset_status(self.withdrawn, self.consent_expires_at_ms, now)
    }

    /// Whether `caller` may read the dataset's objects as their owner at ledger time
    /// `now` (see [`owner_may_read`]).
    pub fn owner_may_read(&self, caller: &Caller, now: u64) -> bool {
        owner_may_read(caller, self.owner_msp, self.status(now))
    }
}

/// A list of strings, read and dropped.
#[derive(Debug)]
struct SkipStrs;

impl<'de> Deserialize<'de> for SkipStrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Skip;
        impl<'de> Visitor<'de> for Skip {
            type Value = SkipStrs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SkipStrs, A::Error> {
                while seq.next_element::<&'de str>()?.is_some() {}
                Ok(SkipStrs)
            }
        }
        deserializer.deserialize_seq(Skip)
    }
}

/// A dataset's files and wrapped keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DatasetBody {
    pub files: Vec<DatasetFile>,
    pub wrapped_keys: Vec<WrappedKey>,
}

/// A permission request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RequestRecord {
    pub dataset: String,
    pub owner_msp: String,
    pub requester: Party,
    pub purpose: String,
    pub algorithms: Vec<String>,
    pub scope: Scope,
    pub requested_at_ms: u64,
    pub decided_by: Option<Party>,
    pub decided_at_ms: Option<u64>,
    pub reason: Option<String>,
    pub grant: Option<String>,
}

/// A grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GrantRecord {
    pub request: String,
    pub dataset: String,
    pub grantee: Party,
    pub purpose: String,
    pub algorithms: Vec<String>,
    pub scope: Scope,
    pub approved_by: Party,
    pub approved_at_ms: u64,
    pub revoked_by: Option<Party>,
    pub revoked_at_ms: Option<u64>,
    pub revoke_reason: Option<String>,
}

impl GrantRecord {
    /// Whether the grant is in force at ledger time `now` (not revoked, not past its end;
    /// the dataset's own status is checked separately).
    pub fn in_force(&self, now: u64) -> bool {
        self.revoked_by.is_none() && self.scope.expires_at_ms.is_none_or(|end| now < end)
    }
}

/// A [`GrantRecord`] read in place, for the coverage check of a task request: the same
/// fields in the same order, hence the same encoding (nested structs spelled out field
/// by field), strings borrowed from the stored bytes.
#[derive(Debug, Deserialize)]
pub(crate) struct GrantRecordRef<'a> {
    _request: &'a str,
    _dataset: &'a str,
    _grantee_msp: &'a str,
    _grantee_name: &'a str,
    _purpose: &'a str,
    #[serde(borrow)]
    pub algorithms: Vec<&'a str>,
    #[serde(borrow)]
    pub scope_columns: Vec<&'a str>,
    pub scope_rows: Option<TimeRange>,
    pub scope_expires_at_ms: Option<u64>,
    _approved_by_msp: &'a str,
    _approved_by_name: &'a str,
    _approved_at_ms: u64,
    #[serde(borrow)]
    pub revoked_by: Option<(&'a str, &'a str)>,
    _revoked_at_ms: Option<u64>,
    #[serde(borrow)]
    _revoke_reason: Option<&'a str>,
}

/// What a task request checks of a grant, kept as the value of the grant's entry in its
/// dataset's grant index (written by `approve_permission`, rewritten by `revoke_grant`),
/// so that the request finds it beside the dataset's records instead of reading the
/// grant record elsewhere in the state.
#[derive(Debug, Serialize)]
pub(crate) struct GrantCover<'a> {
    pub algorithms: &'a [String],
    pub columns: &'a [String],
    pub rows: Option<TimeRange>,
    pub expires_at_ms: Option<u64>,
    pub revoked: bool,
}

impl<'a> GrantCover<'a> {
    /// The cover of `grant`.
    pub fn of(grant: &'a GrantRecord) -> Self {
        Self {
            algorithms: &grant.algorithms,
            columns: &grant.scope.columns,
            rows: grant.scope.rows,
            expires_at_ms: grant.scope.expires_at_ms,
            revoked: grant.revoked_by.is_some(),
        }
    }
}

/// A [`GrantCover`] read in place (the same fields, strings borrowed).
#[derive(Debug, Deserialize)]
pub(crate) struct GrantCoverRef<'a> {
    #[serde(borrow)]
    pub algorithms: Vec<&'a str>,
    #[serde(borrow)]
    pub columns: Vec<&'a str>,
    pub rows: Option<TimeRange>,
    pub expires_at_ms: Option<u64>,
    pub revoked: bool,
}

impl GrantCoverRef<'_> {
    /// Whether the grant is in force at ledger time `now` (as [`GrantRecord::in_force`]).
    pub fn in_force(&self, now: u64) -> bool {
        !self.revoked && self.expires_at_ms.is_none_or(|end| now < end)
    }
}

impl GrantRecordRef<'_> {
    /// Whether the grant is in force at ledger time `now` (as [`GrantRecord::in_force`]).
    pub fn in_force(&self, now: u64) -> bool {
        self.revoked_by.is_none() && self.scope_expires_at_ms.is_none_or(|end| now < end)
    }
}

/// One input of a task. It keeps a copy of the dataset's name, kind, time column and
/// files, which never change once the dataset is registered, so that showing a task
/// needs no dataset record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InputRecord {
    pub dataset: String,
    pub owner_msp: String,
    pub name: String,
    pub kind: DatasetKind,
    pub time_column: Option<String>,
    pub files: Vec<DatasetFile>,
    pub grant: Option<String>,
    pub rows: Option<TimeRange>,
    pub approved_by: Option<Party>,
    pub approved_at_ms: Option<u64>,
    /// Whether the task's ε is reserved from this input's budget (by its owner's
    /// approval, or at claim time for an input covered by a grant); `reject_task` gives
    /// back exactly what was reserved.
    pub epsilon_reserved: bool,
}

impl InputRecord {
    /// Whether a grant or its owner's approval covers this input.
    pub fn covered(&self) -> bool {
        self.grant.is_some() || self.approved_by.is_some()
    }
}

/// A task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TaskRecord {
    pub requester: Party,
    pub status: TaskStatus,
    pub mode: ExecutionMode,
    pub algorithm: TaskAlgorithm,
    pub inputs: Vec<InputRecord>,
    /// The parameters object, as JSON text (`serde_json` of the request's value).
    pub parameters: String,
    pub columns: Vec<String>,
    pub recipients: Vec<Recipient>,
    pub epsilon_micro: Option<u64>,
    pub min_cell_size: u32,
    pub config_hash: String,
    pub requested_at_ms: u64,
    pub claimant: Option<Party>,
    pub claimed_at_ms: Option<u64>,
    pub evidence: Option<ClaimEvidence>,
    pub rejected_by: Option<Party>,
    pub reject_reason: Option<String>,
}

impl TaskRecord {
    /// The organizations owning the inputs, each once, in input order.
    pub fn owner_orgs(&self) -> Vec<&str> {
        let mut orgs: Vec<&str> = Vec::new();
        for input in &self.inputs {
            if !orgs.contains(&input.owner_msp.as_str()) {
                orgs.push(&input.owner_msp);
            }
        }
        orgs
    }

    /// Whether `caller` is an admin, owner or auditor of an input's organization.
    pub fn owner_reader(&self, caller: &Caller) -> bool {
        matches!(caller.role.as_str(), ADMIN | OWNER | AUDITOR)
            && self.inputs.iter().any(|i| i.owner_msp == caller.msp_id)
    }

    /// Whether `caller` is an admin or owner of an input's organization.
    pub fn owner_decider(&self, caller: &Caller) -> bool {
        matches!(caller.role.as_str(), ADMIN | OWNER)
            && self.inputs.iter().any(|i| i.owner_msp == caller.msp_id)
    }

    /// Whether `caller` is one of the result's recipients.
    pub fn recipient(&self, caller: &Caller) -> bool {
        self.recipients
            .iter()
            .any(|r| r.msp_id == caller.msp_id && r.name == caller.name)
    }

    /// Whether `caller` is an executor of the organization of an owner-side task that
    /// has been approved.
    pub fn owner_executor(&self, caller: &Caller) -> bool {
        self.mode == ExecutionMode::OwnerSide
            && caller.role == EXECUTOR
            && self.inputs.iter().all(|i| i.owner_msp == caller.msp_id)
            && !matches!(
                self.status,
                TaskStatus::PendingApproval | TaskStatus::Rejected
            )
    }

    /// Whether `caller` is an executor of a party organization (the requester's or an
    /// input owner's) of a TEE-mode task that is approved or running: a worker of its
    /// organization may claim it.
    pub fn tee_executor(&self, caller: &Caller) -> bool {
        self.mode == ExecutionMode::Tee
            && caller.role == EXECUTOR
            && (caller.msp_id == self.requester.msp_id
                || self.inputs.iter().any(|i| i.owner_msp == caller.msp_id))
            && matches!(self.status, TaskStatus::Approved | TaskStatus::Running)
    }

    /// Whether `caller` is a party to the task: it may see it.
    pub fn party(&self, caller: &Caller) -> bool {
        is(caller, &self.requester)
            || self.owner_reader(caller)
            || self.recipient(caller)
            || self.claimant.as_ref().is_some_and(|c| is(caller, c))
            || self.owner_executor(caller)
            || self.tee_executor(caller)
    }
}

/// An object location reserved for an organization by `reserve_locations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LocationRecord {
    /// The organization it is reserved for.
    pub owner_msp: String,
    /// The owner who reserved it.
    pub reserved_by: Party,
    /// When the reservation ends (ledger time) unless a dataset registered it.
    pub expires_at_ms: u64,
    /// The dataset whose file is stored there, once registered.
    pub dataset: Option<String>,
}

/// A task's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResultRecord {
    pub status: TaskStatus,
    pub ciphertext: Option<String>,
    pub ciphertext_sha256: Option<String>,
    pub size_bytes: Option<u64>,
    pub executor: Party,
    pub evidence_ref: Option<String>,
    pub reason: Option<String>,
    pub written_at_ms: u64,
}

/// Stored algorithm records are their public view.
pub(crate) type AlgorithmRecord = AlgorithmView;

/// The `admin` role.
pub(crate) const ADMIN: &str = "admin";
/// The `analyst` role.
pub(crate) const ANALYST: &str = "analyst";
/// The `auditor` role.
pub(crate) const AUDITOR: &str = "auditor";
/// The `executor` role.
pub(crate) const EXECUTOR: &str = "executor";
/// The `owner` role.
pub(crate) const OWNER: &str = "owner";

#[cfg(test)]
mod tests;
