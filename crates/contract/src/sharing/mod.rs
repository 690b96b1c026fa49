//! The data-sharing contract: catalog, consent, permissions, tasks and results.
//!
//! [`SharingContract`] is the business logic the enclave core runs for every committed
//! transaction. Invocations are JSON [`Invocation`]s, queries JSON [`Query`]s, replies
//! JSON of the structs in this module ([`Created`], [`DatasetView`], [`TaskView`], …).
//! It is deterministic: no I/O, no clock, no randomness of its own; ids come from the
//! transaction's sequence number, time from the committed entry, and unguessable object
//! locations from the transaction's secret entropy (the same on every replica).
//!
//! ```
//! use strongroom_contract::sharing::{Created, Reserved, SharingContract};
//! use strongroom_contract::{Caller, Contract, MemState, TxContext};
//!
//! let alice = Caller { msp_id: "Org1MSP".into(), name: "alice".into(), role: "owner".into() };
//! let tx = |sequence| TxContext {
//!     caller: alice.clone(), timestamp_ms: 1_000 * sequence, sequence, attestation: None,
//!     entropy: [7; 32], defaults: Default::default(),
//! };
//! let mut state = MemState::new();
//! // The contract hands out the location; the file is uploaded there, then registered.
//! let reply = SharingContract.execute(&tx(1), br#"{"op":"reserve_locations","count":1}"#, &mut state)?;
//! let reserved: Reserved = serde_json::from_slice(&reply).unwrap();
//! let digest = "ab".repeat(32);
//! let invocation = serde_json::json!({
//!     "op": "register_dataset", "name": "cohort", "kind": "vcf",
//!     "consent": { "purposes": ["research"] },
//!     "files": [{ "name": "cohort.vcf", "plaintext_sha256": digest, "ciphertext_sha256": digest,
//!                 "size_bytes": 1000, "location": reserved.locations[0] }],
//!     "wrapped_keys": [{ "recipient": "kms:v1", "key": "00ff" }],
//! });
//! let reply = SharingContract.execute(&tx(2), invocation.to_string().as_bytes(), &mut state)?;
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
//! | `reserve_locations` | `owner` role | 1 to 64 fresh, unguessable object locations reserved for the caller's organization for [`RESERVATION_TTL_MS`] of ledger time; answers [`Reserved`] |
//! | `register_dataset` | `owner` role | new active dataset, in the catalog; every file's location must be reserved for the caller's organization, unexpired, not yet registered, named once; the dataset takes them for good; answers [`Created`] |
//! | `update_dataset` | `owner` of the dataset's org | description, labels, consent, wrapped keys, min cell size; not after withdrawal; only on the dataset's current `revision` |
//! | `withdraw_consent` | `owner` of the dataset's org | for good: out of the catalog, no new grant, request, task, approval, claim or key release |
//! | `register_algorithm` | any member | public metadata: kind, measurement, ports, aggregate-only (with its output rule), differentially private |
//! | `request_permission` | `analyst`, on a catalog dataset | pending request for one consented purpose, algorithms, columns, row time range, expiry |
//! | `approve_permission` | `admin`/`owner` of the dataset's org | request → approved, new active grant |
//! | `reject_permission` | `admin`/`owner` of the dataset's org | request → rejected |
//! | `revoke_grant` | `admin`/`owner` of the dataset's org | grant → revoked: covers no new task, and no unstarted task can be claimed on it |
//! | `request_task` | `analyst`, on catalog datasets | task; each input covered by an in-force grant of the requester (algorithm and columns within scope) or left for its owner's approval; no budget reserved |
//! | `approve_task` | `admin`/`owner` of an input's org | approves that org's uncovered inputs, reserving ε from their budgets; all covered → approved |
//! | `reject_task` | `admin`/`owner` of an input's org | pending or approved → rejected; the ε reserved given back |
//! | `claim_task` | owner-side: an `executor` of the (single) input org; TEE: an `executor` of a party org (the requester's or an input owner's) whose attestation, verified by the core under the worker policy, binds the task's config hash | approved → running, one claimant; every input still consented and covered (TEE: and its key wrapped to the key-release key); ε reserved from the budgets of the inputs a grant covers; TEE: a lease, after which another attested worker may claim the running task again, and a `key_released` audit event per input naming the worker's platform and measurement; the core then releases exactly those keys to the worker's attested one-time key ([`Contract::key_releases`]) |
//! | `publish_member_key` | any member | its own X25519 key, replacing an earlier one |
//! | `share_org_key` | `admin`/`owner` | the organization's data key, wrapped by the client to the published key of a member of the same organization (which must still be that member's key) |
//! | `write_result` | the claimant (TEE: attesting again with the one-time key the keys went to) | running → succeeded (ciphertext for the recipients and its digest) or failed (reason) |
//!
//! | query | who may see |
//! |---|---|
//! | `search_catalog` | any member: active datasets whose consent has not ended; the privacy budget only for the dataset org's members |
//! | `get_dataset` | any member while in the catalog (no wrapped keys); the dataset org's `admin`/`owner`/`auditor` always (with keys and `revision`). File locations only for those who may read the objects as owners (below); the privacy budget only for the dataset org's members |
//! | `get_algorithm`, `list_algorithms` | any member |
//! | `get_request` | the requester; the dataset org's `admin`/`owner`/`auditor` |
//! | `get_task` | the requester; the recipients; the input orgs' `admin`/`owner`/`auditor`; the claimant; for owner-side tasks once approved, the input org's `executor`s. Input file locations only for the claimant while its claim holds (as for the wrapped keys) and for the input org's members who may read the objects as owners |
//! | `read_result` | the recipients only |
//! | `list_my_requests` | analyst: its requests; `admin`/`owner`: pending requests on its org's datasets |
//! | `list_my_tasks` | analyst: its tasks; `admin`/`owner`: tasks awaiting its org; `executor`: claimable owner-side tasks of its org, the approved and running TEE tasks its org is a party to (with the lease, after which a running one may be claimed again), and its running tasks |
//! | `audit_trail` | the dataset org's `admin`/`owner`/`auditor` |
//! | `get_member_key` | the members of the same organization |
//! | `get_org_key_share` | the member it was shared with |
//!
//! Object downloads and uploads are decided by
//! [`authorize_object`](crate::Contract::authorize_object), from the state (the `object`
//! module's source has the table): an upload into a location reserved for the caller's
//! organization (`owner` role, unexpired, not yet registered); an owner's read of a
//! registered dataset's objects (its org's members while active, only its
//! `admin`/`owner` once withdrawn or past its consent's end); a task input read by the
//! claimant of the running task while its claim holds. A registered location accepts no
//! upload: objects are never rewritten.
//!
//! # States
//!
//! ```text
//! location: reserved ──register_dataset──▶ registered (final: readable, never rewritten)
//!              └── RESERVATION_TTL_MS of ledger time pass ──▶ expired (no upload, no registration)
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
//! inputs' wrapped keys and file locations in its [`TaskView`], and may download their
//! objects, only while that still holds.
//!
//! A dataset's `revision` is the ledger sequence number of the transaction that last
//! registered, updated or withdrew it. An `update_dataset` names the revision it was
//! made on and is refused (`Refused`, nothing changes) if the dataset changed since, so
//! that an update held back and applied after a newer one cannot undo it.
//!
//! The privacy budget: a dataset may have an ε budget (millionths of ε, integers so that
//! every replica computes the same). A task running a differentially private algorithm
//! names its ε. A request reserves nothing and is never refused for a budget, so a
//! requester cannot spend an owner's budget. An owner's `approve_task` reserves ε from
//! the budgets of the inputs it approves, refused (`Refused`, with the numbers: they are
//! the approving owner's) if any would be exceeded; `claim_task` reserves it from the
//! budgets of the inputs covered by a grant, refused without numbers if any would be
//! exceeded. Each input records whether its ε is reserved, and `reject_task` gives back
//! exactly that. Only the dataset organization's members see a budget and what is
//! spent of it. The small-cell threshold a task carries is the largest of its inputs'
//! `min_cell_size` and its parameters' `min_cell_size`; a lower parameter is refused.
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
//! Object locations follow the same rules: a location's form is checked first
//! (`Invalid`); a registration naming a location reserved for another organization,
//! never reserved, or already registered gets one and the same refusal, and an object
//! access anyone is not entitled to is `NotFoundOrDenied` whether or not the location
//! exists. Only the caller's own organization's expired reservation is named as expired.
//!
//! Identifiers are `<kind>-` and the transaction's ledger sequence number as 16 hex
//! digits, kind one of `ds`, `alg`, `req`, `grant`, `task`. Object locations are
//! `data/` and 32 hex digits of a hash over the transaction's secret entropy (the
//! `location` module's source). The state layout is described in the `store` module's
//! source.

mod algorithm;
mod api;
mod audit;
mod budget;
mod catalog;
mod check;
mod dataset;
mod definition;
mod location;
mod object;
mod org_key;
mod permission;
mod store;
mod task;
mod view;

pub use api::{
    AlgorithmKind, ApprovePermission, ApproveTask, CatalogSearch, ClaimTask, Consent, DatasetFile,
    DatasetKind, ExecutionMode, GenomeSummary, Invocation, Outcome, OutputRule, Port,
    PublishMemberKey, Query, Recipient, RegisterAlgorithm, RegisterDataset, RejectPermission,
    RejectTask, RequestPermission, RequestTask, ReserveLocations, RevokeGrant, Scope, ShareOrgKey,
    TimeRange, UpdateDataset, WithdrawConsent, WrappedKey, WriteResult,
};
pub use definition::{DefinitionInput, TaskDefinition};
pub use location::RESERVATION_TTL_MS;
pub use task::{DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS};
pub use view::{
    Actor, AlgorithmList, AlgorithmView, AuditAction, AuditEvent, AuditTrail, CatalogPage,
    ClaimEvidence, Created, DatasetStatus, DatasetSummary, DatasetView, GenomeFile, GrantStatus,
    GrantView, MemberKeyView, OrgKeyShareView, Party, ReleasedTo, RequestList, RequestStatus,
    RequestView, Reserved, ResultSummary, ResultView, TaskAlgorithm, TaskInput, TaskList,
    TaskStatus, TaskView,
};

use serde::Serialize;

use crate::{
    Caller, Contract, ContractError, KeyRelease, ObjectGrant, ObjectPurpose, State, TxContext,
};

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
            Invocation::PublishMemberKey(i) => org_key::publish(&tx, state, &i),
            Invocation::RegisterAlgorithm(i) => algorithm::register(&tx, state, &i),
            Invocation::RegisterDataset(i) => dataset::register(&tx, state, &i),
            Invocation::RejectPermission(i) => permission::reject(&tx, state, &i),
            Invocation::RejectTask(i) => task::reject(&tx, state, &i),
            Invocation::RequestPermission(i) => permission::request(&tx, state, &i),
            Invocation::RequestTask(i) => task::request(&tx, state, &i),
            Invocation::ReserveLocations(i) => location::reserve(&tx, state, &i),
            Invocation::RevokeGrant(i) => permission::revoke(&tx, state, &i),
            Invocation::ShareOrgKey(i) => org_key::share(&tx, state, &i),
            Invocation::UpdateDataset(i) => dataset::update(&tx, state, &i),
            Invocation::WithdrawConsent(i) => dataset::withdraw(&tx, state, &i),
            Invocation::WriteResult(i) => task::write_result(&tx, state, &i),
        }?;
        state.put(store::NOW_KEY.to_vec(), now.to_be_bytes().to_vec());
        Ok(reply)
    }

    fn key_releases(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        state: &dyn State,
    ) -> Result<Vec<KeyRelease>, ContractError> {
        task::key_releases(tx, invocation, state)
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
            Query::GetMemberKey { name } => org_key::get_key(caller, state, &name),
            Query::GetOrgKeyShare => org_key::get_share(caller, state),
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
            Query::SearchCatalog(search) => reply(&catalog::search(caller, state, &search, now)?),
        }
    }

    fn authorize_object(
        &self,
        caller: &Caller,
        purpose: &ObjectPurpose,
        location: &str,
        now_ms: u64,
        state: &dyn State,
    ) -> Result<ObjectGrant, ContractError> {
        object::authorize(caller, purpose, location, now_ms, state)
    }

    fn member_key(&self, msp_id: &str, name: &str, state: &dyn State) -> Option<[u8; 32]> {
        org_key::published(state, msp_id, name)
    }
}
