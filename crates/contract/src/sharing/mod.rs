//! The data-sharing contract: catalog, consent, permissions, tasks and results.
//!
//! [`SharingContract`] is the business logic the enclave core runs for every committed
//! transaction. Invocations are JSON [`Invocation`]s, queries JSON [`Query`]s, replies
//! JSON of the structs in this module ([`Created`], [`DatasetView`], [`TaskView`], …).
//! It is deterministic: no I/O, no clock, no randomness; ids come from the
//! transaction's sequence number and time from the committed entry.
//!
//! ```
//! use strongroom_contract::sharing::{Created, SharingContract};
//! use strongroom_contract::{Caller, Contract, MemState, TxContext};
//!
//! let alice = Caller { msp_id: "Org1MSP".into(), name: "alice".into(), role: "owner".into() };
//! let tx = TxContext { caller: alice.clone(), timestamp_ms: 1_000, sequence: 1, attestation: None, entropy: [0; 32] };
//! let digest = "ab".repeat(32);
//! let invocation = serde_json::json!({
//!     "op": "register_dataset", "name": "cohort", "kind": "vcf",
//!     "consent": { "purposes": ["research"] },
//!     "files": [{ "name": "cohort.vcf", "plaintext_sha256": digest, "ciphertext_sha256": digest,
//!                 "size_bytes": 1000, "location": "s3://bucket/cohort.vcf.enc" }],
//!     "wrapped_keys": [{ "recipient": "kms:v1", "key": "00ff" }],
//! });
//! let mut state = MemState::new();
//! let reply = SharingContract.execute(&tx, invocation.to_string().as_bytes(), &mut state)?;
//! let created: Created = serde_json::from_slice(&reply).unwrap();
//! assert!(created.id.starts_with("ds-"));
//! # Ok::<(), strongroom_contract::ContractError>(())
//! ```
//!
//! # Operations
//!
//! Roles are the `role` of the [`Caller`]: `admin`, `analyst`,
//! `auditor`, `executor`, `owner`. "The dataset's organization" is the MSP id of the
//! member who registered it.
//!
//! | operation | who may | effect |
//! |---|---|---|
//! | `register_dataset` | `owner` role | new active dataset, in the catalog; answers [`Created`] |
//! | `update_dataset` | `owner` of the dataset's org | description, labels, consent, wrapped keys, min cell size; not after withdrawal |
//! | `withdraw_consent` | `owner` of the dataset's org | for good: out of the catalog, no new grant, request, task, approval, claim or key release |
//! | `register_algorithm` | any member | public metadata: kind, measurement, ports, aggregate-only, differentially private |
//! | `request_permission` | `analyst`, on a catalog dataset | pending request for one consented purpose, algorithms, columns, row time range, expiry |
//! | `approve_permission` | `admin`/`owner` of the dataset's org | request → approved, new active grant |
//! | `reject_permission` | `admin`/`owner` of the dataset's org | request → rejected |
//! | `revoke_grant` | `admin`/`owner` of the dataset's org | grant → revoked: covers no new task, and no unstarted task can be claimed on it |
//! | `request_task` | `analyst`, on catalog datasets | task; each input covered by an in-force grant of the requester (algorithm and columns within scope) or left for its owner's approval; ε reserved from every budget |
//! | `approve_task` | `admin`/`owner` of an input's org | approves that org's uncovered inputs; all covered → approved |
//! | `reject_task` | `admin`/`owner` of an input's org | pending or approved → rejected; ε given back |
//! | `claim_task` | owner-side: an `executor` of the (single) input org; TEE: an `executor` whose attestation has the algorithm's measurement and report data starting with the config hash | approved → running, one claimant; every input still consented and covered |
//! | `write_result` | the claimant (TEE: still attesting the measurement) | running → succeeded (ciphertext for the recipients and its digest) or failed (reason) |
//!
//! | query | who may see |
//! |---|---|
//! | `search_catalog` | any member: active datasets whose consent has not ended |
//! | `get_dataset` | any member while in the catalog (no wrapped keys); the dataset org's `admin`/`owner`/`auditor` always (with keys) |
//! | `get_algorithm`, `list_algorithms` | any member |
//! | `get_request` | the requester; the dataset org's `admin`/`owner`/`auditor` |
//! | `get_task` | the requester; the recipients; the input orgs' `admin`/`owner`/`auditor`; the claimant; for owner-side tasks once approved, the input org's `executor`s |
//! | `read_result` | the recipients only |
//! | `list_my_requests` | analyst: its requests; `admin`/`owner`: pending requests on its org's datasets |
//! | `list_my_tasks` | analyst: its tasks; `admin`/`owner`: tasks awaiting its org; `executor`: claimable owner-side tasks of its org and its running tasks |
//! | `audit_trail` | the dataset org's `admin`/`owner`/`auditor` |
//!
//! # States
//!
//! ```text
//! request:  pending ──approve──▶ approved (a grant exists)
//!              └──────reject───▶ rejected
//! grant:    active ──revoke──▶ revoked
//!              └── scope end or consent end passes (ledger time) ──▶ expired
//! task:     pending_approval ──every input covered──▶ approved ──claim──▶ running
//!              │                                         │                 ├─write_result(ok)──▶ succeeded
//!              └──────────────reject─────────────────────┴──▶ rejected      └─write_result(err)─▶ failed
//! dataset:  active ──withdraw──▶ withdrawn (final)
//!              └── consent end passes ──▶ expired (an update of the consent can renew it)
//! ```
//!
//! A task whose inputs are all covered by grants at request time starts `approved`. A
//! task is checked again when claimed: every input's dataset must be active and every
//! grant that covers an input still in force. The executor of a running task sees the
//! inputs' wrapped keys in its [`TaskView`] only while that still holds.
//!
//! The privacy budget: a dataset may have an ε budget (millionths of ε, integers so that
//! every replica computes the same). A task running a differentially private algorithm
//! names its ε; it is reserved from every input that has a budget when the task is
//! requested, refused (`Refused`) if any budget would be exceeded, and given back if the
//! task is rejected. The small-cell threshold a task carries is the largest of its
//! inputs' `min_cell_size` and its parameters' `min_cell_size`; a lower parameter is
//! refused.
//!
//! # Non-disclosure
//!
//! For a caller that is not a party to a dataset, request, grant, task or result, "does
//! not exist" and "not allowed" are the same reply, byte for byte:
//! [`ContractError::NotFoundOrDenied`]. The rules
//! that make this hold:
//!
//! 1. Field validation (`Invalid`) comes first and depends on the invocation only, never
//!    on the state: a malformed id is refused whether or not anything has that id.
//! 2. Each operation loads the thing by id; absent → `NotFoundOrDenied`. Then it checks
//!    that the caller may act on it; not allowed → `NotFoundOrDenied`, the same value.
//! 3. Only after both does the operation look at the thing's state; a refusal then is
//!    `Refused("…")` (already decided, budget spent, consent withdrawn) and goes to a
//!    party only. Facts that are public anyway (the catalog, algorithms) may be named in
//!    `Invalid` messages: a column not in a catalog dataset, an unknown algorithm.
//! 4. A dataset that is not in the catalog (withdrawn, consent ended) is, for everyone
//!    but its organization's `admin`/`owner`/`auditor`, as absent as one that never
//!    existed.
//! 5. A refused transaction changes nothing (the core discards its writes, and the
//!    contract itself writes only after every check passed).
//!
//! Identifiers are `<kind>-` and the hex of the first 8 bytes of SHA-256(kind ‖ sequence
//! number, 8 bytes big-endian), kind one of `ds`, `alg`, `req`, `grant`, `task`; the
//! state layout is described in the `store` module's source.

mod algorithm;
mod api;
mod audit;
mod catalog;
mod check;
mod dataset;
mod definition;
mod permission;
mod store;
mod task;
mod view;

pub use api::{
    AlgorithmKind, ApprovePermission, ApproveTask, CatalogSearch, ClaimTask, Consent, DatasetFile,
    DatasetKind, ExecutionMode, Invocation, Outcome, Port, Query, Recipient, RegisterAlgorithm,
    RegisterDataset, RejectPermission, RejectTask, RequestPermission, RequestTask, RevokeGrant,
    Scope, TimeRange, UpdateDataset, WithdrawConsent, WrappedKey, WriteResult,
};
pub use definition::{DefinitionInput, TaskDefinition};
pub use view::{
    Actor, AlgorithmList, AlgorithmView, AuditAction, AuditEvent, AuditTrail, CatalogPage,
    ClaimEvidence, Created, DatasetStatus, DatasetSummary, DatasetView, GrantStatus, GrantView,
    Party, RequestList, RequestStatus, RequestView, ResultSummary, ResultView, TaskAlgorithm,
    TaskInput, TaskList, TaskStatus, TaskView,
};

use serde::Serialize;

use crate::{Caller, Contract, ContractError, State, TxContext};

/// The data-sharing contract. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct SharingContract;

/// One transaction being executed.
pub(crate) struct Tx<'a> {
    /// The transaction's context.
    pub ctx: &'a TxContext,
    /// The ledger time to judge expiry by: the later of the transaction's time and the
    /// latest recorded one.
    pub now: u64,
}

impl Tx<'_> {
    /// The caller.
    pub fn caller(&self) -> &Caller {
        &self.ctx.caller
    }
}

/// Encodes a reply.
pub(crate) fn reply<T: Serialize>(value: &T) -> Result<Vec<u8>, ContractError> {
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, value)
        .map_err(|e| ContractError::Invalid(format!("reply does not encode: {e}")))?;
    Ok(out)
}

impl Contract for SharingContract {
    fn execute(
        &self,
        ctx: &TxContext,
        invocation: &[u8],
        state: &mut dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        let invocation =
            Invocation::from_json(invocation).map_err(|e| ContractError::Invalid(e.to_string()))?;
        let now = store::now(state).max(ctx.timestamp_ms);
        let tx = Tx { ctx, now };
        let reply = match invocation {
            Invocation::ApprovePermission(i) => permission::approve(&tx, state, &i),
            Invocation::ApproveTask(i) => task::approve(&tx, state, &i),
            Invocation::ClaimTask(i) => task::claim(&tx, state, &i),
            Invocation::RegisterAlgorithm(i) => algorithm::register(&tx, state, &i),
            Invocation::RegisterDataset(i) => dataset::register(&tx, state, &i),
            Invocation::RejectPermission(i) => permission::reject(&tx, state, &i),
            Invocation::RejectTask(i) => task::reject(&tx, state, &i),
            Invocation::RequestPermission(i) => permission::request(&tx, state, &i),
            Invocation::RequestTask(i) => task::request(&tx, state, &i),
            Invocation::RevokeGrant(i) => permission::revoke(&tx, state, &i),
            Invocation::UpdateDataset(i) => dataset::update(&tx, state, &i),
            Invocation::WithdrawConsent(i) => dataset::withdraw(&tx, state, &i),
            Invocation::WriteResult(i) => task::write_result(&tx, state, &i),
        }?;
        state.put(store::NOW_KEY.to_vec(), now.to_be_bytes().to_vec());
        Ok(reply)
    }

    fn query(
        &self,
        caller: &Caller,
        query: &[u8],
        state: &dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        let query: Query =
            serde_json::from_slice(query).map_err(|e| ContractError::Invalid(e.to_string()))?;
        let now = store::now(state);
        match query {
            Query::AuditTrail {
                dataset,
                after,
                limit,
            } => audit::trail(caller, state, &dataset, after, limit),
            Query::GetAlgorithm { id } => algorithm::get(state, &id),
            Query::GetDataset { id } => dataset::get(caller, state, &id, now),
            Query::GetRequest { id } => permission::get(caller, state, &id, now),
            Query::GetTask { id } => task::get(caller, state, &id, now),
            Query::ListAlgorithms { after, limit } => {
                algorithm::list(state, after.as_deref(), limit)
            }
            Query::ListMyRequests { after, limit } => {
                permission::list_mine(caller, state, after.as_deref(), limit, now)
            }
            Query::ListMyTasks { after, limit } => {
                task::list_mine(caller, state, after.as_deref(), limit, now)
            }
            Query::ReadResult { task } => task::read_result(caller, state, &task),
            Query::SearchCatalog(search) => reply(&catalog::search(state, &search, now)?),
        }
    }
}
