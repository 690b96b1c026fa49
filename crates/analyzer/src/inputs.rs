//! A task's inputs at this site: the files an algorithm reads, fetched as ciphertext
//! through the object access of the task's claim, checked against the hashes the
//! dataset registered, and opened for reading through a decryptor. Plaintext exists
//! only in memory, a chunk at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use strongroom_client::Client;
use strongroom_client::data::{self, org_label};
use strongroom_contract::ObjectPurpose;
use strongroom_contract::sharing::{DatasetFile, TaskInput, TaskView, WrappedKey};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::DecryptReader;
use strongroom_genome::analysis::ReadSeek;
use strongroom_identity::Member;

use crate::AnalyzerError;
use crate::error::task;

/// One file of one input, fetched: its ciphertext on disk, and the key that opens it.
pub(crate) struct Fetched {
    /// The dataset.
    pub(crate) dataset: String,
    /// The file's name in its dataset.
    pub(crate) name: String,
    path: PathBuf,
    key: DataKey,
}

impl Fetched {
    /// The file's plaintext, decrypted as it is read (each chunk authenticated before
    /// it is released; a damaged chunk is a read error).
    pub(crate) fn open(&self) -> Result<Box<dyn Read + Send>, std::io::Error> {
        let file = File::open(&self.path)?;
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            DecryptReader::new(&self.key, BufReader::with_capacity(1 << 20, file)),
        )))
    }
}

impl Fetched {
    /// The file's plaintext, seekable, for reading through an index: a seek reads and
    /// authenticates the chunk it lands in. Truncation is then noticed only if the
    /// final chunk is read, which is sound because [`fetch`] checked the whole
    /// ciphertext's SHA-256 against the registered hash before anything is decrypted.
    pub(crate) fn open_seekable(&self) -> Result<Box<dyn ReadSeek + Send>, std::io::Error> {
        let file = File::open(&self.path)?;
        // The decrypting reader holds a whole chunk: no buffer above it.
        Ok(Box::new(DecryptReader::new(
            &self.key,
            BufReader::with_capacity(1 << 17, file),
        )))
    }
}

/// Where the data keys of a task's inputs come from.
pub(crate) enum Keys<'a> {
    /// An owner-side analyzer: its organization's data key opens the keys of its own
    /// organization's inputs, and it reads no other input.
    Organization(&'a PrivateKey),
    /// An attested worker: the keys the core released to its one-time key, by
    /// dataset; it reads every input.
    Released(&'a BTreeMap<String, DataKey>),
}

impl Keys<'_> {
    /// The data key of `input`.
    fn key(&self, input: &TaskInput, executor: &Member) -> Result<DataKey, AnalyzerError> {
        match self {
            Self::Organization(org_key) => data_key(input, executor, org_key),
            Self::Released(keys) => keys.get(&input.dataset).cloned().ok_or_else(|| {
                task(format!(
                    "the core released no key for dataset {}",
                    input.dataset
                ))
            }),
        }
    }

    /// Checks that this site may read `input` at all: an owner-side analyzer only its
    /// own organization's.
    pub(crate) fn may_read(
        &self,
        input: &TaskInput,
        executor: &Member,
        what: &str,
    ) -> Result<(), AnalyzerError> {
        match self {
            Self::Organization(_) => owned(input, executor, what),
            Self::Released(_) => Ok(()),
        }
    }
}

/// The data key of `input`, unwrapped with the organization's data key; a task
/// failure if there is none for this organization or it does not open.
pub(crate) fn data_key(
    input: &TaskInput,
    executor: &Member,
    org_key: &PrivateKey,
) -> Result<DataKey, AnalyzerError> {
    open_key(&input.dataset, &input.wrapped_keys, executor, org_key)
}

/// Unwraps, with the organization's data key, the key of `dataset` wrapped to this
/// organization among `wrapped_keys`.
fn open_key(
    dataset: &str,
    wrapped_keys: &[WrappedKey],
    executor: &Member,
    org_key: &PrivateKey,
) -> Result<DataKey, AnalyzerError> {
    let label = org_label(executor.msp_id());
    let wrapped = wrapped_keys
        .iter()
        .find(|k| k.recipient == label)
        .ok_or_else(|| task(format!("dataset {dataset} has no key wrapped to {label}")))?;
    data::unwrap_data_key(org_key, &wrapped.key)
        .map_err(|e| task(format!("dataset {dataset}: {e}")))
}

/// Checks that `input` belongs to this analyzer's organization.
fn owned(input: &TaskInput, executor: &Member, what: &str) -> Result<(), AnalyzerError> {
    if input.owner_msp != executor.msp_id() {
        return Err(task(format!(
            "{what} belongs to {}, not to this analyzer's organization",
            input.owner_msp
        )));
    }
    Ok(())
}

/// Fetches `file` of `input` for `task` into `scratch`, as the task's claimant.
pub(crate) async fn fetch(
    client: &Client,
    executor: &Member,
    keys: &Keys<'_>,
    scratch: &Path,
    task_view: &TaskView,
    input: &TaskInput,
    file: &DatasetFile,
) -> Result<Fetched, AnalyzerError> {
    let key = keys.key(input, executor)?;
    let path = scratch.join(format!(
        "{}-{}.sro",
        input.dataset,
        hex::encode(file.name.as_bytes())
    ));
    data::fetch_ciphertext(
        client,
        executor,
        ObjectPurpose::TaskInput {
            task: task_view.id.clone(),
        },
        &file.location,
        &file.ciphertext_sha256,
        &path,
    )
    .await
    .map_err(|e| {
        AnalyzerError::from_client(format!("{} of dataset {}", file.name, input.dataset), e)
    })?;
    Ok(Fetched {
        dataset: input.dataset.clone(),
        name: file.name.clone(),
        path,
        key,
    })
}
