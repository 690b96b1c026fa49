//! The JSON a client sends: [`Invocation`] (transactions) and [`Query`] (reads), and the
//! structs they carry.
//!
//! Every struct refuses unknown fields. Binary values (digests, measurements, public
//! keys, wrapped keys, result ciphertext) are lowercase hex strings; the contract checks
//! their length. Identifiers are the strings the contract returned when it created the
//! thing (`ds-…`, `alg-…`, `req-…`, `grant-…`, `task-…`).

use serde::{Deserialize, Serialize};

/// A transaction: one state-changing operation, tagged by `"op"`.
///
/// ```
/// use strongroom_contract::sharing::Invocation;
///
/// let json = r#"{"op":"approve_permission","request":"req-00112233445566ff"}"#;
/// let invocation: Invocation = serde_json::from_str(json)?;
/// assert!(matches!(invocation, Invocation::ApprovePermission(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Invocation {
    /// Turns a pending permission request into a grant (owner or admin of the
    /// dataset's organization). Answers [`Created`](super::Created) with the grant id.
    ApprovePermission(ApprovePermission),
    /// Approves a task's inputs that belong to the caller's organization (owner or
    /// admin). Answers the [`TaskView`](super::TaskView).
    ApproveTask(ApproveTask),
    /// Claims an approved task for execution (an executor of the owner organization, or
    /// an attested worker). Answers the [`TaskView`](super::TaskView), with the inputs'
    /// wrapped keys.
    ClaimTask(ClaimTask),
    /// Publishes the caller's own X25519 member key, to which an owner may share the
    /// organization's data key. Answers the [`MemberKeyView`](super::MemberKeyView).
    PublishMemberKey(PublishMemberKey),
    /// Registers an algorithm (any member). Answers [`Created`](super::Created).
    RegisterAlgorithm(RegisterAlgorithm),
    /// Registers a dataset (owner role). Answers [`Created`](super::Created).
    RegisterDataset(RegisterDataset),
    /// Rejects a pending permission request. Answers the
    /// [`RequestView`](super::RequestView).
    RejectPermission(RejectPermission),
    /// Rejects a task that has not started. Answers the [`TaskView`](super::TaskView).
    RejectTask(RejectTask),
    /// Asks the owner of a dataset for a permission (analyst role). Answers
    /// [`Created`](super::Created) with the request id.
    RequestPermission(RequestPermission),
    /// Asks for an analysis (analyst role). Answers [`Created`](super::Created) with the
    /// task id.
    RequestTask(RequestTask),
    /// Reserves fresh, unguessable object locations for the caller's organization, to
    /// upload a dataset's files into and then register them (owner role). Answers
    /// [`Reserved`](super::Reserved).
    ReserveLocations(ReserveLocations),
    /// Revokes a grant (owner or admin of the dataset's organization). Answers the
    /// [`GrantView`](super::GrantView).
    RevokeGrant(RevokeGrant),
    /// Stores the organization's data key wrapped to the published member key of a
    /// member of the same organization (owner or admin). Answers the
    /// [`OrgKeyShareView`](super::OrgKeyShareView).
    ShareOrgKey(ShareOrgKey),
    /// Changes a dataset's metadata, consent or wrapped keys (owner role of the owning
    /// organization). Answers the [`DatasetView`](super::DatasetView).
    UpdateDataset(UpdateDataset),
    /// Withdraws a dataset's consent for good (owner role of the owning organization).
    /// Answers the [`DatasetView`](super::DatasetView).
    WithdrawConsent(WithdrawConsent),
    /// Records the outcome of a running task (its claimant only). Answers the
    /// [`TaskView`](super::TaskView).
    WriteResult(WriteResult),
}

impl Invocation {
    /// Parses an invocation's JSON, with the same outcome as `serde_json::from_slice`
    /// (the same value, or the same error). When `"op"` comes first, as clients write
    /// it, the rest of the object is read straight into the operation's struct; serde's
    /// internally tagged path would first buffer the whole object in a generic tree.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        macro_rules! direct {
            ($($name:literal => $variant:ident),* $(,)?) => {
                if let Some((op, body)) = split_leading_op(bytes) {
                    let parsed = match op {
                        $($name => serde_json::from_slice(&body).map(Self::$variant),)*
                        _ => return serde_json::from_slice(bytes),
                    };
                    // An error is reported by the tagged path, with its positions.
                    if parsed.is_ok() {
                        return parsed;
                    }
                }
            };
        }
        direct! {
            "approve_permission" => ApprovePermission,
            "approve_task" => ApproveTask,
            "claim_task" => ClaimTask,
            "publish_member_key" => PublishMemberKey,
            "register_algorithm" => RegisterAlgorithm,
            "register_dataset" => RegisterDataset,
            "reject_permission" => RejectPermission,
            "reject_task" => RejectTask,
            "request_permission" => RequestPermission,
            "request_task" => RequestTask,
            "reserve_locations" => ReserveLocations,
            "revoke_grant" => RevokeGrant,
            "share_org_key" => ShareOrgKey,
            "update_dataset" => UpdateDataset,
            "withdraw_consent" => WithdrawConsent,
            "write_result" => WriteResult,
        }
        serde_json::from_slice(bytes)
    }
}

/// Splits `{"op":"<name>",<members>}` into the name and `{<members>}`, and
/// `{"op":"<name>"}` into the name and `{}` (anything after the object is kept, for the
/// parser to refuse). `None` for any other shape, such as `"op"` not first, spaces
/// around it, or an escaped name. The result is valid JSON exactly when the input is.
fn split_leading_op(bytes: &[u8]) -> Option<(&str, Vec<u8>)> {
    let rest = bytes.strip_prefix(br#"{"op":""#)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let (name, after) = rest.split_at(end);
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_lowercase() || *b == b'_') {
        return None;
    }
    let name = std::str::from_utf8(name).ok()?;
    let after = after.get(1..)?;
    let members = match after.first()? {
        b'}' => after,
        b',' => {
            let members = after.get(1..)?;
            // The next member's key must follow: `{"op":"x",}` stays invalid.
            let first = members.iter().find(|b| !b.is_ascii_whitespace())?;
            if *first != b'"' {
                return None;
            }
            members
        }
        _ => return None,
    };
    let mut body = Vec::with_capacity(members.len() + 1);
    body.push(b'{');
    body.extend_from_slice(members);
    Some((name, body))
}

/// A read-only query, tagged by `"op"`.
///
/// ```
/// use strongroom_contract::sharing::Query;
///
/// let query: Query = serde_json::from_str(r#"{"op":"get_task","id":"task-0011223344556677"}"#)?;
/// assert_eq!(query, Query::GetTask { id: "task-0011223344556677".into() });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// Every recorded event touching a dataset (its organization's admins, owners and
    /// auditors only), oldest first. Answers [`AuditTrail`](super::AuditTrail).
    AuditTrail {
        /// The dataset.
        dataset: String,
        /// Only events after this ledger sequence number (the previous page's `next`).
        #[serde(default)]
        after: Option<u64>,
        /// At most this many events (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// One algorithm (public metadata). Answers [`AlgorithmView`](super::AlgorithmView).
    GetAlgorithm {
        /// The algorithm id.
        id: String,
    },
    /// One dataset: the catalog view for any member while it is in the catalog, the full
    /// view (with wrapped keys and revision) for its organization's admins, owners and
    /// auditors. File locations and the privacy budget are shown only to the members of
    /// its organization (locations only to those who may read its objects). Answers
    /// [`DatasetView`](super::DatasetView).
    GetDataset {
        /// The dataset id.
        id: String,
    },
    /// The published member key of a member of the caller's own organization. Answers
    /// [`MemberKeyView`](super::MemberKeyView).
    GetMemberKey {
        /// The member's name.
        name: String,
    },
    /// The organization data key shared with the caller, if one was. Answers
    /// [`OrgKeyShareView`](super::OrgKeyShareView).
    GetOrgKeyShare,
    /// One permission request and its grant (the requester, and the dataset
    /// organization's admins, owners and auditors). Answers
    /// [`RequestView`](super::RequestView).
    GetRequest {
        /// The request id.
        id: String,
    },
    /// One task (its parties only). Answers [`TaskView`](super::TaskView).
    GetTask {
        /// The task id.
        id: String,
    },
    /// Registered algorithms, by id. Answers [`AlgorithmList`](super::AlgorithmList).
    ListAlgorithms {
        /// Only algorithms whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// For an analyst, the requests it made; for an owner or admin, the requests
    /// awaiting its organization's decision. Answers [`RequestList`](super::RequestList).
    ListMyRequests {
        /// Only requests whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// For an analyst, the tasks it requested; for an owner or admin, the tasks awaiting
    /// its organization's approval; for an executor, the owner-side tasks of its
    /// organization that are approved and claimable, and the tasks it claimed and has
    /// not finished. Answers [`TaskList`](super::TaskList).
    ListMyTasks {
        /// Only tasks whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// The result of a task (its recipients only). Answers
    /// [`ResultView`](super::ResultView).
    ReadResult {
        /// The task id.
        task: String,
    },
    /// The catalog: consented, active datasets (any member). Answers
    /// [`CatalogPage`](super::CatalogPage).
    SearchCatalog(CatalogSearch),
}

/// `publish_member_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishMemberKey {
    /// The caller's X25519 public key, 64 hex digits.
    pub public_key: String,
}

/// `share_org_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareOrgKey {
    /// The member of the caller's organization it is for (its name).
    pub to: String,
    /// The member key it is wrapped to, as `get_member_key` answered it (64 hex
    /// digits): refused if the member has published another since.
    pub public_key: String,
    /// The organization's data key, HPKE-wrapped to that key by the client, hex (at most
    /// 4 KiB).
    pub wrapped_key: String,
}

/// Catalog filters; every filter given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSearch {
    /// Only datasets of this kind.
    #[serde(default)]
    pub kind: Option<DatasetKind>,
    /// Only datasets carrying every one of these labels (at most 8).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Only datasets whose name, description, labels or column names contain every word
    /// of this text (words are runs of letters and digits, compared case-insensitively,
    /// whole words only; at most 8 words).
    #[serde(default)]
    pub text: Option<String>,
    /// At most this many results (default 20, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only datasets whose id sorts after this one (the previous page's `next`).
    #[serde(default)]
    pub after: Option<String>,
}

/// What a dataset's files hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// Opaque bytes (images, archives).
    Blob,
    /// Comma-separated tables with a header row.
    Csv,
    /// Apache Parquet tables.
    Parquet,
    /// Variant Call Format (genomes).
    Vcf,
}

impl DatasetKind {
    /// The kind's JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blob => "blob",
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Vcf => "vcf",
        }
    }
}

/// What the data subjects agreed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The purposes the data may be used for (1 to 32 labels, e.g. `research`,
    /// `cancer-research`); a permission request names one of them.
    pub purposes: Vec<String>,
    /// When the consent ends (ledger time, ms since the Unix epoch); none means no end.
    #[serde(default)]
    pub expires_at_ms: Option<u64>,
}

/// One encrypted file of a dataset, in object storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// The file's name within the dataset (e.g. `patients.csv`), unique in the dataset.
    pub name: String,
    /// The file's column names: a table's header; for a VCF or BCF file, its eight
    /// fixed columns (`CHROM` .. `INFO`) and `FORMAT/ID` for each FORMAT field its
    /// header declares (`FORMAT/GT`), so that a grant can name what an analysis
    /// reads; empty for blobs.
    #[serde(default)]
    pub columns: Vec<String>,
    /// SHA-256 of the plaintext (64 hex digits).
    pub plaintext_sha256: String,
    /// SHA-256 of the encrypted object (64 hex digits).
    pub ciphertext_sha256: String,
    /// Plaintext size in bytes.
    pub size_bytes: u64,
    /// Where the encrypted object is: a location the contract reserved for the
    /// dataset's organization (`data/` and 32 lowercase hex digits, see
    /// [`Invocation::ReserveLocations`]). Required when registering; in replies, present
    /// only for those entitled to read the object (absent from the JSON otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub location: String,
    /// What a VCF or BCF file holds, as the owner's client read it before uploading
    /// (only in a `vcf` dataset; none for its tables, such as a phenotype file). The
    /// catalog shows it; it never names a sample.
    #[serde(default)]
    pub genome: Option<GenomeSummary>,
}

/// The shape of a genome file (VCF or BCF): what the catalog shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenomeSummary {
    /// Samples named by its header.
    pub samples: u64,
    /// Its contigs: the header's, then any other CHROM its records use (each 1 to 256
    /// bytes; at most 4096 over a dataset's files).
    pub contigs: Vec<String>,
    /// Its data records.
    pub records: u64,
}

/// A dataset's data key, wrapped (HPKE) to one recipient (usually the KMS key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    /// Who can unwrap it (e.g. `kms:v1`).
    pub recipient: String,
    /// The wrapped key (hex, at most 4 KiB decoded).
    pub key: String,
}

/// `register_dataset`: a new dataset, owned by the caller's organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterDataset {
    /// A short name (1 to 256 bytes).
    pub name: String,
    /// What the files hold.
    pub kind: DatasetKind,
    /// Free text (at most 4 KiB).
    #[serde(default)]
    pub description: String,
    /// Catalog labels (at most 32, each 1 to 64 of `a-z 0-9 - _ . :`).
    #[serde(default)]
    pub labels: Vec<String>,
    /// What the data subjects agreed to.
    pub consent: Consent,
    /// The encrypted files (1 to 64), all under the dataset's one data key.
    pub files: Vec<DatasetFile>,
    /// The data key, wrapped to its recipients (1 to 16).
    pub wrapped_keys: Vec<WrappedKey>,
    /// The column holding each row's time, to which a grant's row time range applies;
    /// must be one of the files' columns.
    #[serde(default)]
    pub time_column: Option<String>,
    /// The differential-privacy budget, in millionths of ε. Without one, the
    /// consortium's default ([`crate::DatasetDefaults`], set by governance
    /// `set_defaults`; none at first, meaning no budget) as of the registration.
    #[serde(default)]
    pub epsilon_budget_micro: Option<u64>,
    /// Small-cell suppression: counts below this are never released (at least 1; by
    /// default the consortium's, as of the registration: 11 until governance
    /// `set_defaults` changes it). A task can raise it, never lower it.
    #[serde(default)]
    pub min_cell_size: Option<u32>,
}

/// `reserve_locations`: fresh object locations for the caller's organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveLocations {
    /// How many (1 to 64, as many as a dataset has files at most).
    pub count: u32,
}

/// `update_dataset`: changes to a dataset (at least one field). Files, kind and the
/// privacy budget never change; register a new dataset for new data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateDataset {
    /// The dataset.
    pub id: String,
    /// The dataset's revision the change was made on (the `revision` of the
    /// [`DatasetView`](super::DatasetView) read before). If the dataset changed since,
    /// the update is refused and changes nothing: read it again and reapply the change.
    pub revision: u64,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// New labels (replace the old ones).
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// New consent terms (replace the old ones).
    #[serde(default)]
    pub consent: Option<Consent>,
    /// New wrapped keys (replace the old ones, e.g. after a KMS key rotation).
    #[serde(default)]
    pub wrapped_keys: Option<Vec<WrappedKey>>,
    /// A new small-cell suppression threshold.
    #[serde(default)]
    pub min_cell_size: Option<u32>,
}

/// `withdraw_consent`: takes a dataset out of the catalog for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawConsent {
    /// The dataset.
    pub id: String,
    /// Why (at most 1 KiB).
    #[serde(default)]
    pub reason: Option<String>,
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_leading_op_is_split_from_the_members() {
        let split = |json: &str| {
            split_leading_op(json.as_bytes())
                .map(|(op, body)| (op.to_owned(), String::from_utf8(body).unwrap()))
        };
        assert_eq!(
            split(r#"{"op":"approve_task","task":"task-1"}"#),
            Some(("approve_task".into(), r#"{"task":"task-1"}"#.into()))
        );
        assert_eq!(
            split(r#"{"op":"claim_task", "task":"t"} "#),
            Some(("claim_task".into(), r#"{ "task":"t"} "#.into()))
        );
        assert_eq!(split(r#"{"op":"x"}"#), Some(("x".into(), "{}".into())));
        for other in [
            r#"{"task":"t","op":"approve_task"}"#,
            r#"{ "op":"approve_task","task":"t"}"#,
            r#"{"op":"approve_task",}"#,
            r#"{"op":"approve_task", }"#,
            r#"{"op":"approve_task""task":"t"}"#,
            r#"{"op":"appro\u0076e_task","task":"t"}"#,
            r#"{"op":"Approve","task":"t"}"#,
            r#"{"op":"","task":"t"}"#,
            r#"{"op":"approve_task"#,
            r#"{"op":7}"#,
        ] {
            assert_eq!(split(other), None, "{other}");
        }
    }

    #[test]
    fn the_direct_path_reads_the_operation_struct() {
        let json = br#"{"op":"approve_task","task":"task-0011223344556677"}"#;
        let (op, body) = split_leading_op(json).unwrap();
        assert_eq!(op, "approve_task");
        let direct: ApproveTask = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            Invocation::from_json(json).unwrap(),
            Invocation::ApproveTask(direct)
        );
    }
}
