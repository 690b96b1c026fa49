//! The structs of the algorithm, permission and task invocations.

use serde::{Deserialize, Serialize};

/// How an algorithm is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgorithmKind {
    /// Built into the analyzer and the worker, identified by name (e.g. `describe`,
    /// `stratify`); the measurement is that of the worker build that contains it.
    Builtin,
    /// A WebAssembly module; the measurement is the SHA-256 of the module.
    Wasm,
}

/// A named input or output of an algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// The port's name (1 to 64 bytes).
    pub name: String,
    /// What flows through it (e.g. `csv`, `vcf`, `json`; 1 to 64 bytes).
    pub format: String,
}

/// `register_algorithm`: public metadata about code that tasks may run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterAlgorithm {
    /// The algorithm's name (1 to 256 bytes; for built-ins, the name the analyzer knows).
    pub name: String,
    /// Built-in or WebAssembly.
    pub kind: AlgorithmKind,
    /// The measurement a worker must attest to (64 hex digits).
    pub measurement: String,
    /// Free text (at most 4 KiB).
    #[serde(default)]
    pub description: String,
    /// Input ports (at most 16).
    #[serde(default)]
    pub inputs: Vec<Port>,
    /// Output ports (at most 16).
    #[serde(default)]
    pub outputs: Vec<Port>,
    /// Whether the output holds aggregates only (never individual rows); such an
    /// algorithm must state its [`output_rule`](Self::output_rule).
    #[serde(default)]
    pub aggregate_only: bool,
    /// Whether the algorithm is differentially private: its tasks then name an ε that
    /// is spent from each input's budget.
    #[serde(default)]
    pub differentially_private: bool,
    /// What an aggregate-only algorithm guarantees of everything it releases: required
    /// when [`aggregate_only`](Self::aggregate_only) is true, refused otherwise.
    #[serde(default)]
    pub output_rule: Option<OutputRule>,
}

/// The rule an aggregate-only algorithm follows for every output it releases, so that
/// owners and analyzers know what "aggregate" means for it. Variants in alphabetical
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputRule {
    /// Every released count is at least the task's `min_cell_size` or suppressed, and
    /// every released value (a mean, a category, a bucket) is shared by at least that
    /// many records.
    SmallCellsSuppressed,
}

/// A half-open range of ledger-style times, `from_ms <= t < to_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// Start (inclusive), ms since the Unix epoch.
    pub from_ms: u64,
    /// End (exclusive), ms since the Unix epoch.
    pub to_ms: u64,
}

/// What a permission covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The columns that may be read (1 to 1024, each a column of the dataset).
    pub columns: Vec<String>,
    /// Only rows whose time column falls in this range (the dataset must have a time
    /// column).
    #[serde(default)]
    pub rows: Option<TimeRange>,
    /// When the grant ends (ledger time); none means when the consent ends.
    #[serde(default)]
    pub expires_at_ms: Option<u64>,
}

/// `request_permission`: ask a dataset's owner for a grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPermission {
    /// The dataset.
    pub dataset: String,
    /// Why; one of the dataset's consented purposes.
    pub purpose: String,
    /// The algorithms the grant allows (1 to 32 algorithm ids).
    pub algorithms: Vec<String>,
    /// What the grant covers.
    pub scope: Scope,
}

/// `approve_permission`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovePermission {
    /// The pending request.
    pub request: String,
}

/// `reject_permission`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectPermission {
    /// The pending request.
    pub request: String,
    /// Why (at most 1 KiB).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `revoke_grant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrant {
    /// The grant.
    pub grant: String,
    /// Why (at most 1 KiB).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionMode {
    /// On the data owner's own analyzer: every input belongs to one organization, and
    /// an `executor` of that organization claims the task.
    OwnerSide,
    /// In an attested worker whose measurement is the algorithm's and whose report data
    /// starts with the task config hash.
    Tee,
}

/// Who may decrypt a task's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The recipient's organization.
    pub msp_id: String,
    /// The recipient's member name.
    pub name: String,
    /// The recipient's X25519 public key (64 hex digits).
    pub public_key: String,
}

/// `request_task`: run an algorithm over one or more datasets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTask {
    /// The input datasets (1 to 64, no repeats; possibly of several organizations).
    pub inputs: Vec<String>,
    /// The algorithm id.
    pub algorithm: String,
    /// Algorithm parameters: a JSON object (at most 16 KiB). A `min_cell_size` in it may
    /// raise, never lower, the inputs' threshold.
    #[serde(default = "empty_object")]
    pub parameters: serde_json::Value,
    /// The columns the algorithm reads (1 to 1024); each must be a column of some input
    /// and, for inputs covered by a grant, within the grant's scope.
    pub columns: Vec<String>,
    /// Who may decrypt the result (1 to 16).
    pub recipients: Vec<Recipient>,
    /// Where the task runs.
    pub mode: ExecutionMode,
    /// The ε to spend, in millionths; required for differentially private algorithms,
    /// refused for the others.
    #[serde(default)]
    pub epsilon_micro: Option<u64>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// `approve_task`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveTask {
    /// The task.
    pub task: String,
}

/// `reject_task`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectTask {
    /// The task.
    pub task: String,
    /// Why (at most 1 KiB).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `claim_task`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimTask {
    /// The task.
    pub task: String,
    /// TEE mode: how long (ms of ledger time) the claim holds against other workers;
    /// after it another attested worker may claim the task again. From
    /// [`MIN_LEASE_MS`](crate::sharing::MIN_LEASE_MS) to
    /// [`MAX_LEASE_MS`](crate::sharing::MAX_LEASE_MS); default
    /// [`DEFAULT_LEASE_MS`](crate::sharing::DEFAULT_LEASE_MS). Refused for owner-side
    /// tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_ms: Option<u64>,
}

/// `write_result`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteResult {
    /// The running task the caller claimed.
    pub task: String,
    /// What came out.
    pub outcome: Outcome,
}

/// How a task ended, tagged by `"status"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// The algorithm failed; nothing was released.
    Failed {
        /// Why (1 byte to 1 KiB).
        reason: String,
    },
    /// The algorithm ran; its output is encrypted to the task's recipients.
    Succeeded {
        /// The encrypted result (hex, 1 byte to 512 KiB decoded).
        ciphertext: String,
        /// SHA-256 of the decoded ciphertext (64 hex digits); must match.
        ciphertext_sha256: String,
        /// Where the executor's evidence for this run is (e.g. a digest or a path; at
        /// most 512 bytes).
        #[serde(default)]
        evidence_ref: Option<String>,
    },
}
