//! Registering a dataset: its files checked, encrypted while uploading, and registered
//! with the data key wrapped to its readers.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use strongroom_client::Client;
use strongroom_client::data::{self, Uploaded};
use strongroom_contract::sharing::{
    Consent, Created, DatasetFile, DatasetKind, GenomeSummary, Invocation, RegisterDataset,
    ReserveLocations, Reserved, WrappedKey,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_crypto::key::DataKey;
use strongroom_identity::Member;

use crate::error::input;
use crate::{Doing, FlowError, Result, invoke, member_label, org_label};

/// What `data put` registers.
#[derive(Clone, Debug)]
pub struct DatasetSpec {
    /// Catalog name.
    pub name: String,
    /// Kind of the files.
    pub kind: DatasetKind,
    /// Free text.
    pub description: String,
    /// Catalog labels.
    pub labels: Vec<String>,
    /// Consented purposes.
    pub purposes: Vec<String>,
    /// End of consent (ms since the epoch).
    pub consent_expires_at_ms: Option<u64>,
    /// Small-cell suppression threshold.
    pub min_cell_size: Option<u32>,
    /// The time column, if any.
    pub time_column: Option<String>,
    /// Whether the data key is also wrapped to the node's key-release key, for
    /// attested workers.
    pub tee: bool,
    /// Whether the data key is wrapped to the key-release key only, not to the
    /// organization's: only attested workers of approved TEE tasks can then open it.
    pub tee_only: bool,
    /// The privacy budget (ε in millionths) that differentially private tasks spend.
    pub epsilon_budget_micro: Option<u64>,
    /// The local files.
    pub files: Vec<PathBuf>,
}

/// A dataset stored and registered.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PutDataset {
    /// The dataset id.
    pub id: String,
    /// The ledger entry of the registration.
    pub sequence: u64,
    /// The encrypted uploads.
    pub files: Vec<UploadedFile>,
}

/// One encrypted upload.
#[derive(Clone, Debug, serde::Serialize)]
pub struct UploadedFile {
    /// The file's name in the dataset.
    pub name: String,
    /// Where the node stored the ciphertext.
    pub location: String,
    /// Plaintext bytes.
    pub plaintext_size: u64,
    /// Ciphertext bytes.
    pub ciphertext_size: u64,
    /// Ciphertext SHA-256.
    pub ciphertext_sha256: String,
}

/// The header row of a CSV file: its column names (without a UTF-8 byte order mark).
pub fn csv_columns(path: &Path) -> Result<Vec<String>> {
    let mut file =
        std::fs::File::open(path).doing_with(|| format!("cannot open {}", path.display()))?;
    let mut head = Vec::with_capacity(64 * 1024);
    (&mut file)
        .take(64 * 1024)
        .read_to_end(&mut head)
        .doing_with(|| format!("cannot read {}", path.display()))?;
    let line_end = head
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| input!("{}: no header line in the first 64 KiB", path.display()))?;
    let line = std::str::from_utf8(&head[..line_end])
        .map_err(|_| input!("{}: line 1: the header is not UTF-8", path.display()))?;
    let line = line.trim_end_matches('\r');
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let columns: Vec<String> = line.split(',').map(|c| c.trim().to_owned()).collect();
    if columns.iter().any(String::is_empty) {
        return Err(input!(
            "{}: line 1: the header has an empty column name",
            path.display()
        ));
    }
    Ok(columns)
}

/// Whether a file of a `vcf` dataset is a table (a phenotype file, say) rather than a
/// genome: its name ends in `.csv`.
fn is_table(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Whether a file of a `vcf` dataset is the tabix (`.tbi`) or CSI (`.csi`) index of
/// its VCF (`cohort.vcf.gz.tbi`), which analyses with a region read through.
fn is_index(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tbi") || e.eq_ignore_ascii_case("csi"))
}

/// Checks that an index file reads as a tabix or CSI index.
fn check_index(path: &Path) -> Result<()> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).doing_with(|| format!("cannot open {name}"))?;
    strongroom_genome::VcfIndex::read(&name, std::io::BufReader::new(file))
        .map_err(|e| input!("{e}"))?;
    Ok(())
}

/// Reads a whole VCF (plain, BGZF or gzip) or BCF, checking every record, and answers the
/// columns a grant can name and its shape for the catalog (never a sample name). A
/// file that is not a valid VCF or BCF is an error naming the line.
pub fn genome_shape(path: &Path) -> Result<(Vec<String>, GenomeSummary)> {
    let file =
        std::fs::File::open(path).doing_with(|| format!("cannot open {}", path.display()))?;
    let summary = strongroom_genome::summarize(file)
        .map_err(|e| input!("{}: not a valid VCF or BCF: {e}", path.display()))?;
    Ok((
        summary.columns,
        GenomeSummary {
            samples: summary.samples as u64,
            contigs: summary.contigs,
            records: summary.records,
        },
    ))
}

/// Encrypts each file under a fresh data key while uploading it, wraps the key to the
/// organization's data key and registers the dataset. `progress` hears of each file's
/// upload.
pub async fn put_dataset(
    client: &Client,
    member: &Member,
    org_key: &PrivateKey,
    spec: &DatasetSpec,
    progress: &dyn UploadProgress,
) -> Result<PutDataset> {
    if spec.files.is_empty() {
        return Err(input!("a dataset needs at least one file"));
    }
    // Checked before uploading anything (the contract checks it again), so that a
    // refused registration leaves no orphaned ciphertext on the node.
    if member.role() != strongroom_identity::Role::Owner {
        return Err(input!(
            "{} is a member with the {} role; only owners register datasets",
            member_label(member.msp_id(), member.name()),
            member.role()
        ));
    }
    let mut names = BTreeSet::new();
    let mut prepared = Vec::new();
    for path in &spec.files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| input!("{}: not a file name", path.display()))?
            .to_owned();
        if !names.insert(name.clone()) {
            return Err(input!(
                "two files are named {name}; file names must be unique in a dataset"
            ));
        }
        let (columns, genome) = match spec.kind {
            DatasetKind::Csv => (csv_columns(path)?, None),
            DatasetKind::Vcf if is_table(path) => (csv_columns(path)?, None),
            DatasetKind::Vcf if is_index(path) => {
                check_index(path)?;
                (Vec::new(), None)
            }
            DatasetKind::Vcf => {
                let (columns, genome) = genome_shape(path)?;
                (columns, Some(genome))
            }
            _ => (Vec::new(), None),
        };
        prepared.push((path, name, columns, genome));
    }
    let dek = DataKey::generate();
    // The contract hands out the locations, unguessable and reserved for the
    // organization: each file is uploaded to one and registered there.
    let count =
        u32::try_from(prepared.len()).map_err(|_| input!("too many files for one dataset"))?;
    let (reserved, _): (Reserved, u64) = invoke(
        client,
        member,
        Invocation::ReserveLocations(ReserveLocations { count }),
    )
    .await
    .doing("cannot reserve locations for the files")?;
    if reserved.locations.len() != prepared.len() {
        return Err(FlowError::Protocol(format!(
            "asked for {count} locations, the contract reserved {}",
            reserved.locations.len()
        )));
    }
    let mut files = Vec::new();
    let mut uploaded_files = Vec::new();
    for ((path, name, columns, genome), location) in prepared.into_iter().zip(reserved.locations) {
        let size = std::fs::metadata(path)
            .doing_with(|| format!("cannot read {}", path.display()))?
            .len();
        let tick = progress.start(&name, size);
        let uploaded: Uploaded =
            data::put_file(client, member, path, &location, &dek, move |done| {
                tick(done)
            })
            .await
            .doing_with(|| format!("cannot upload {}", path.display()))?;
        progress.finish(&name);
        files.push(DatasetFile {
            name: name.clone(),
            columns,
            plaintext_sha256: uploaded.plaintext_sha256.clone(),
            ciphertext_sha256: uploaded.ciphertext_sha256.clone(),
            size_bytes: uploaded.plaintext_size,
            location: uploaded.location.clone(),
            genome,
        });
        uploaded_files.push(UploadedFile {
            name,
            location: uploaded.location,
            plaintext_size: uploaded.plaintext_size,
            ciphertext_size: uploaded.ciphertext_size,
            ciphertext_sha256: uploaded.ciphertext_sha256,
        });
    }
    let mut wrapped_keys = Vec::new();
    if !spec.tee_only {
        wrapped_keys.push(WrappedKey {
            recipient: org_label(member.msp_id()),
            key: data::wrap_data_key(org_key.public_key(), &dek)?,
        });
    }
    if spec.tee || spec.tee_only {
        let key_release = strongroom_crypto::hpke::PublicKey::from_bytes(
            strongroom_crypto::hpke::KemId::DhKemX25519HkdfSha256,
            client.key_release_key(),
        )?;
        wrapped_keys.push(WrappedKey {
            recipient: data::TEE_LABEL.to_owned(),
            key: data::wrap_data_key(&key_release, &dek)?,
        });
    }
    let (created, sequence): (Created, u64) = invoke(
        client,
        member,
        Invocation::RegisterDataset(RegisterDataset {
            name: spec.name.clone(),
            kind: spec.kind,
            description: spec.description.clone(),
            labels: spec.labels.clone(),
            consent: Consent {
                purposes: spec.purposes.clone(),
                expires_at_ms: spec.consent_expires_at_ms,
            },
            files,
            wrapped_keys,
            time_column: spec.time_column.clone(),
            epsilon_budget_micro: spec.epsilon_budget_micro,
            min_cell_size: spec.min_cell_size,
        }),
    )
    .await
    .doing("cannot register the dataset")?;
    Ok(PutDataset {
        id: created.id,
        sequence,
        files: uploaded_files,
    })
}

/// Hears of the uploads of [`put_dataset`].
pub trait UploadProgress: Sync {
    /// A file of `size` bytes starts uploading; answers what to call with the bytes
    /// done so far.
    fn start(&self, name: &str, size: u64) -> Box<dyn Fn(u64) + Send + Sync + 'static>;
    /// The file is uploaded.
    fn finish(&self, name: &str);
}

/// Hears nothing.
pub struct Quiet;

impl UploadProgress for Quiet {
    fn start(&self, _: &str, _: u64) -> Box<dyn Fn(u64) + Send + Sync + 'static> {
        Box::new(|_| {})
    }

    fn finish(&self, _: &str) {}
}
