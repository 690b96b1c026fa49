//! The JSON the contract answers with. Each reply is one of these structs; a client
//! decodes it with `serde_json::from_slice::<TaskView>(&reply)`.

use serde::{Deserialize, Serialize};

use super::api::{
    AlgorithmKind, Consent, DatasetFile, DatasetKind, ExecutionMode, GenomeSummary, OutputRule,
    Port, Recipient, Scope, TimeRange, WrappedKey,
};

/// The answer to an invocation that created something: its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Created {
    /// The new id (`ds-…`, `alg-…`, `req-…`, `grant-…`, `task-…`).
    pub id: String,
}

/// The answer to `reserve_locations`: fresh object locations for the caller's
/// organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reserved {
    /// The locations (`data/` and 32 lowercase hex digits), in the order asked for.
    /// Upload one object into each (an `upload` object authorization), then name them
    /// as the files' locations in `register_dataset`.
    pub locations: Vec<String>,
    /// When the reservations end (ledger time): a location not registered by then
    /// accepts no upload and no registration.
    pub expires_at_ms: u64,
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// The organization (MSP id).
    pub msp_id: String,
    /// The member's name.
    pub name: String,
}

/// Whether a dataset may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetStatus {
    /// Consented and in the catalog.
    Active,
    /// The consent's end time has passed (ledger time).
    Expired,
    /// The owner withdrew consent.
    Withdrawn,
}

/// A catalog entry: a dataset's public metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSummary {
    /// The dataset id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What its files hold.
    pub kind: DatasetKind,
    /// The owning organization.
    pub owner_msp: String,
    /// Free text.
    pub description: String,
    /// Catalog labels.
    pub labels: Vec<String>,
    /// Every column of its files, in order of first appearance.
    pub columns: Vec<String>,
    /// The column a grant's row time range applies to.
    pub time_column: Option<String>,
    /// The consent terms.
    pub consent: Consent,
    /// Total plaintext size of its files.
    pub size_bytes: u64,
    /// The privacy budget in millionths of ε, if it has one: shown to the owning
    /// organization's members only (absent for everyone else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_budget_micro: Option<u64>,
    /// How much of the budget approvals and claims have reserved: shown to the owning
    /// organization's members only (absent for everyone else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_spent_micro: Option<u64>,
    /// Small-cell suppression threshold.
    pub min_cell_size: u32,
    /// When it was registered (ledger time).
    pub registered_at_ms: u64,
    /// The shape of each of its genome files (VCF or BCF), by file; absent for
    /// datasets without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genomes: Vec<GenomeFile>,
}

/// A genome file of a dataset and its shape, as the catalog shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenomeFile {
    /// The file's name in the dataset.
    pub file: String,
    /// Its samples, contigs and records.
    pub summary: GenomeSummary,
}

/// One dataset, with its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetView {
    /// Public metadata.
    pub summary: DatasetSummary,
    /// Whether it may be used.
    pub status: DatasetStatus,
    /// Its encrypted files; their locations only for those who may read the objects
    /// (the owning organization's members, its admins and owners only once the dataset
    /// is withdrawn or past its consent's end).
    pub files: Vec<DatasetFile>,
    /// Its wrapped data keys: filled for the owning organization's admins, owners and
    /// auditors only, empty for everyone else.
    pub wrapped_keys: Vec<WrappedKey>,
    /// Who registered it (owning organization only; `None` for others).
    pub registered_by: Option<Party>,
    /// The ledger sequence number of the transaction that last changed it (registered,
    /// updated or withdrew it): shown to the owning organization's admins, owners and
    /// auditors only, who pass it back in `update_dataset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// A page of catalog results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogPage {
    /// Matching datasets, by id.
    pub items: Vec<DatasetSummary>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// An algorithm's public metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmView {
    /// The algorithm id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Built-in or WebAssembly.
    pub kind: AlgorithmKind,
    /// The measurement a worker must attest to (hex).
    pub measurement: String,
    /// Free text.
    pub description: String,
    /// Input ports.
    pub inputs: Vec<Port>,
    /// Output ports.
    pub outputs: Vec<Port>,
    /// Whether its output holds aggregates only.
    pub aggregate_only: bool,
    /// Whether it is differentially private.
    pub differentially_private: bool,
    /// What an aggregate-only algorithm guarantees of its outputs.
    pub output_rule: Option<OutputRule>,
    /// The organization that registered it.
    pub registered_by_msp: String,
    /// When (ledger time).
    pub registered_at_ms: u64,
}

/// A page of algorithms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmList {
    /// Algorithms, by id.
    pub items: Vec<AlgorithmView>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// Where a permission request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Approved: a grant exists (see its own status).
    Approved,
    /// Awaiting the owner's decision.
    Pending,
    /// Rejected by the owner.
    Rejected,
}

/// Whether a grant may cover new tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// In force.
    Active,
    /// Its end time, or its dataset's consent end time, has passed (ledger time).
    Expired,
    /// Revoked by the owner.
    Revoked,
}

/// A grant: an approved request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantView {
    /// The grant id.
    pub id: String,
    /// The request it came from.
    pub request: String,
    /// The dataset.
    pub dataset: String,
    /// Who may use it.
    pub grantee: Party,
    /// The purpose.
    pub purpose: String,
    /// The algorithms it allows.
    pub algorithms: Vec<String>,
    /// What it covers.
    pub scope: Scope,
    /// Whether it is in force.
    pub status: GrantStatus,
    /// Who approved it.
    pub approved_by: Party,
    /// When (ledger time).
    pub approved_at_ms: u64,
    /// Who revoked it.
    pub revoked_by: Option<Party>,
    /// When (ledger time).
    pub revoked_at_ms: Option<u64>,
    /// Why.
    pub revoke_reason: Option<String>,
}

/// A permission request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestView {
    /// The request id.
    pub id: String,
    /// The dataset.
    pub dataset: String,
    /// The dataset's organization.
    pub owner_msp: String,
    /// Who asked.
    pub requester: Party,
    /// Why.
    pub purpose: String,
    /// The algorithms asked for.
    pub algorithms: Vec<String>,
    /// What is asked for.
    pub scope: Scope,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made (ledger time).
    pub requested_at_ms: u64,
    /// Who decided.
    pub decided_by: Option<Party>,
    /// When (ledger time).
    pub decided_at_ms: Option<u64>,
    /// The rejection reason.
    pub reason: Option<String>,
    /// The grant, once approved.
    pub grant: Option<GrantView>,
}

/// A page of requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestList {
    /// Requests, by id.
    pub items: Vec<RequestView>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Every input is covered; an executor may claim it.
    Approved,
    /// Ran and failed; nothing was released.
    Failed,
    /// Some inputs await their owner's approval.
    PendingApproval,
    /// An owner rejected it.
    Rejected,
    /// Claimed; the claimant is running it.
    Running,
    /// Ran; the result is encrypted to the recipients.
    Succeeded,
}

/// The algorithm a task runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskAlgorithm {
    /// The algorithm id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Built-in or WebAssembly.
    pub kind: AlgorithmKind,
    /// Its measurement (hex).
    pub measurement: String,
    /// Whether its output holds aggregates only.
    pub aggregate_only: bool,
    /// Whether it is differentially private.
    pub differentially_private: bool,
    /// What an aggregate-only algorithm guarantees of its outputs: the rule the
    /// executor's output must follow.
    pub output_rule: Option<OutputRule>,
}

/// One input of a task, with everything an executor needs to load it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// The dataset id.
    pub dataset: String,
    /// Its organization.
    pub owner_msp: String,
    /// Its name.
    pub name: String,
    /// What its files hold.
    pub kind: DatasetKind,
    /// Its files: digests for every party; locations only for the claimant of a
    /// running task while every input is still consented and covered, and for the
    /// members of the input's organization entitled to read its objects.
    pub files: Vec<DatasetFile>,
    /// Its column of row times.
    pub time_column: Option<String>,
    /// Its wrapped data keys: filled only for the claimant of a running task while every
    /// input is still consented and covered, empty otherwise.
    pub wrapped_keys: Vec<WrappedKey>,
    /// The grant that covers it, if one did at request time.
    pub grant: Option<String>,
    /// Rows the executor must restrict to (from the grant).
    pub rows: Option<TimeRange>,
    /// Who of its organization approved this task, if that is what covers it.
    pub approved_by: Option<Party>,
    /// When (ledger time).
    pub approved_at_ms: Option<u64>,
}

/// What the claimant's evidence showed (TEE mode), as the core verified it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimEvidence {
    /// The platform (`sim`, `sgx`, `tdx`, `snp`).
    pub platform: String,
    /// The worker's code measurement (hex), accepted by the worker policy.
    pub measurement: String,
    /// True for the simulated platform (INSECURE: no hardware behind it).
    pub insecure: bool,
    /// The worker's one-time public key (hex) the data keys were released to; only the
    /// worker holding it may write the result.
    pub worker_key: String,
    /// Until when (ledger time) the claim holds against other workers: after it, another
    /// attested worker may claim the running task again (its claimant presumed dead).
    pub lease_until_ms: u64,
}

/// To whom a data key was released: recorded in the audit trail of the dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasedTo {
    /// The worker's platform.
    pub platform: String,
    /// The worker's code measurement (hex).
    pub measurement: String,
    /// True for the simulated platform.
    pub insecure: bool,
}

/// A task's result as parties other than its recipients see it: no ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSummary {
    /// `succeeded` or `failed`.
    pub status: TaskStatus,
    /// SHA-256 of the ciphertext (hex), on success.
    pub ciphertext_sha256: Option<String>,
    /// Ciphertext size in bytes, on success.
    pub size_bytes: Option<u64>,
    /// Who wrote it.
    pub executor: Party,
    /// The executor's evidence reference.
    pub evidence_ref: Option<String>,
    /// The failure reason.
    pub reason: Option<String>,
    /// When (ledger time).
    pub written_at_ms: u64,
}

/// A task: everything an executor needs to run it, and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskView {
    /// The task id.
    pub id: String,
    /// Who asked for it.
    pub requester: Party,
    /// Where it stands.
    pub status: TaskStatus,
    /// Where it runs.
    pub mode: ExecutionMode,
    /// The algorithm.
    pub algorithm: TaskAlgorithm,
    /// The inputs.
    pub inputs: Vec<TaskInput>,
    /// Algorithm parameters (a JSON object).
    pub parameters: serde_json::Value,
    /// The columns the algorithm reads.
    pub columns: Vec<String>,
    /// Who may decrypt the result.
    pub recipients: Vec<Recipient>,
    /// ε taken from each input's budget, in millionths: reserved by the owner's
    /// approval of the input, or when the task is claimed for an input a grant covers.
    pub epsilon_micro: Option<u64>,
    /// The small-cell suppression threshold the executor must apply: the largest of the
    /// inputs' thresholds and the parameters' `min_cell_size`.
    pub min_cell_size: u32,
    /// SHA-256 of the canonical task definition (hex), which a TEE worker binds in its
    /// report data; see [`TaskDefinition`](super::TaskDefinition).
    pub config_hash: String,
    /// When it was requested (ledger time).
    pub requested_at_ms: u64,
    /// Who claimed it.
    pub claimant: Option<Party>,
    /// When (ledger time).
    pub claimed_at_ms: Option<u64>,
    /// What the claimant's evidence showed (TEE mode).
    pub evidence: Option<ClaimEvidence>,
    /// Who rejected it.
    pub rejected_by: Option<Party>,
    /// Why.
    pub reject_reason: Option<String>,
    /// Its result, once written (without the ciphertext).
    pub result: Option<ResultSummary>,
}

/// A page of tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskList {
    /// Tasks, by id.
    pub items: Vec<TaskView>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// A task's result, for its recipients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultView {
    /// The task id.
    pub task: String,
    /// `succeeded` or `failed`.
    pub status: TaskStatus,
    /// The encrypted result (hex), on success.
    pub ciphertext: Option<String>,
    /// Its SHA-256 (hex), on success.
    pub ciphertext_sha256: Option<String>,
    /// Who wrote it.
    pub executor: Party,
    /// What the executor's evidence showed at claim time (TEE mode).
    pub evidence: Option<ClaimEvidence>,
    /// The executor's evidence reference.
    pub evidence_ref: Option<String>,
    /// The failure reason.
    pub reason: Option<String>,
    /// When (ledger time).
    pub written_at_ms: u64,
}

/// What happened, in an audit event. Stored events hold the variant's index (postcard),
/// so the first thirteen are in alphabetical order as they were first written and new
/// ones are appended: reordering them would change what stored trails say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Consent withdrawn.
    ConsentWithdrawn,
    /// Dataset registered.
    DatasetRegistered,
    /// Dataset metadata, consent or keys changed.
    DatasetUpdated,
    /// A grant was revoked.
    GrantRevoked,
    /// A permission request was approved (the subject is the grant).
    PermissionApproved,
    /// A permission request was rejected.
    PermissionRejected,
    /// A permission was requested.
    PermissionRequested,
    /// A task's result was written.
    ResultWritten,
    /// An owner approved a task.
    TaskApproved,
    /// An executor claimed a task.
    TaskClaimed,
    /// A task failed.
    TaskFailed,
    /// An owner rejected a task.
    TaskRejected,
    /// A task naming the dataset was requested.
    TaskRequested,
    /// An attested worker claimed a TEE-mode task and the core released the dataset's
    /// data key to it (`released_to` says to what).
    KeyReleased,
}

/// Who did something, as the core authenticated them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The organization.
    pub msp_id: String,
    /// The member.
    pub name: String,
    /// The role.
    pub role: String,
}

/// One event in a dataset's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// The ledger sequence number of the transaction.
    pub sequence: u64,
    /// Its ledger time.
    pub at_ms: u64,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// The request, grant or task id (or the dataset id).
    pub subject: String,
    /// For [`AuditAction::KeyReleased`]: the attested worker the key went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_to: Option<ReleasedTo>,
}

/// A dataset's audit trail, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditTrail {
    /// The dataset.
    pub dataset: String,
    /// Events, by sequence number.
    pub events: Vec<AuditEvent>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<u64>,
}

/// A member's published X25519 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberKeyView {
    /// The member.
    pub member: Party,
    /// Its X25519 public key, hex.
    pub public_key: String,
    /// When it was published (ledger time).
    pub published_at_ms: u64,
}

/// The organization's data key as shared with one member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgKeyShareView {
    /// The member it is for.
    pub to: Party,
    /// The member key it is wrapped to, hex.
    pub public_key: String,
    /// The wrapped key, hex.
    pub wrapped_key: String,
    /// Who shared it.
    pub by: Party,
    /// When (ledger time).
    pub shared_at_ms: u64,
}
