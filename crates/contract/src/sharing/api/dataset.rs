//! The structs of the dataset and key invocations and of catalog search.

use serde::{Deserialize, Serialize};

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
    /// Only datasets of this organization (its MSP id).
    #[serde(default)]
    pub organization: Option<String>,
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
    /// [`Invocation::ReserveLocations`](super::Invocation::ReserveLocations)). Required
    /// when registering; in replies, present only for those entitled to read the
    /// object (absent from the JSON otherwise).
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
    /// [`DatasetView`](crate::sharing::DatasetView) read before). If the dataset changed since,
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
