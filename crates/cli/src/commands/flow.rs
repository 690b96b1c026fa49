//! The data-sharing steps as functions over a connected [`Client`]: the commands and
//! `strongroom demo` both call these, so the demo runs exactly what users run.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use strongroom_client::data::{self, Uploaded};
use strongroom_client::{Client, ClientError};
use strongroom_compute::{Analysis, AnalysisOutput, ComputeError};
use strongroom_contract::sharing::{
    AlgorithmKind, AlgorithmList, AlgorithmView, CatalogPage, CatalogSearch, ClaimTask, Consent,
    Created, DatasetFile, DatasetKind, DatasetSummary, ExecutionMode, Invocation, Outcome,
    OutputRule, Port, Query, Recipient, RegisterAlgorithm, RegisterDataset, RequestList,
    RequestTask, ReserveLocations, Reserved, ResultView, TaskList, TaskStatus, TaskView,
    WrappedKey, WriteResult,
};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_crypto::key::DataKey;
use strongroom_identity::Member;

/// The built-in analyses this analyzer runs: name and description.
pub const BUILTINS: [(&str, &str); 2] = [
    (
        "describe",
        "count, unique, top and freq of one column of a CSV file, figures resting on fewer than k records withheld",
    ),
    (
        "stratify",
        "patients with a condition by gender, race, ethnicity and age band (Synthea patients.csv + conditions.csv), counts below k suppressed",
    ),
];

/// The measurement a built-in is registered with: SHA-256 of
/// `strongroom/builtin/v1/NAME`. Owner-side analyzers run only algorithms whose
/// registered measurement is this.
pub fn builtin_measurement(name: &str) -> String {
    hex::encode(Sha256::digest(format!("strongroom/builtin/v1/{name}")))
}

/// The recipient label of a member's result key: `MSP/name`.
pub fn member_label(msp: &str, name: &str) -> String {
    format!("{msp}/{name}")
}

/// The recipient label of an organization's data key: `org:MSP`.
pub fn org_label(msp: &str) -> String {
    format!("org:{msp}")
}

/// One committed invocation: its answer and its ledger entry.
pub async fn invoke<T: DeserializeOwned>(
    client: &Client,
    member: &Member,
    invocation: Invocation,
) -> Result<(T, u64)> {
    let invoked = client.invoke::<T>(member, &invocation).await?;
    let sequence = invoked
        .sequence
        .ok_or_else(|| anyhow!("the node did not say which ledger entry records it"))?;
    Ok((invoked.value, sequence))
}

/// Every page of a listing query.
async fn all_pages<P: DeserializeOwned, T>(
    client: &Client,
    member: &Member,
    query: impl Fn(Option<String>) -> Query,
    split: impl Fn(P) -> (Vec<T>, Option<String>),
) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page: P = client.ask(member, &query(after.take())).await?;
        let (mut more, next) = split(page);
        items.append(&mut more);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(items),
        }
    }
}

/// Every catalog entry matching `search`, all pages.
pub async fn search_catalog(
    client: &Client,
    member: &Member,
    search: CatalogSearch,
) -> Result<Vec<DatasetSummary>> {
    all_pages(
        client,
        member,
        |after| {
            Query::SearchCatalog(CatalogSearch {
                limit: Some(100),
                after,
                ..search.clone()
            })
        },
        |p: CatalogPage| (p.items, p.next),
    )
    .await
}

/// All registered algorithms.
pub async fn list_algorithms(client: &Client, member: &Member) -> Result<Vec<AlgorithmView>> {
    all_pages(
        client,
        member,
        |after| Query::ListAlgorithms {
            after,
            limit: Some(1000),
        },
        |p: AlgorithmList| (p.items, p.next),
    )
    .await
}

/// The caller's tasks (see `list_my_tasks`).
pub async fn list_tasks(client: &Client, member: &Member) -> Result<Vec<TaskView>> {
    all_pages(
        client,
        member,
        |after| Query::ListMyTasks {
            after,
            limit: Some(1000),
        },
        |p: TaskList| (p.items, p.next),
    )
    .await
}

/// The caller's requests (see `list_my_requests`).
pub async fn list_requests(
    client: &Client,
    member: &Member,
) -> Result<Vec<strongroom_contract::sharing::RequestView>> {
    all_pages(
        client,
        member,
        |after| Query::ListMyRequests {
            after,
            limit: Some(1000),
        },
        |p: RequestList| (p.items, p.next),
    )
    .await
}

fn is_builtin(algorithm: &AlgorithmView, name: &str) -> bool {
    algorithm.name == name
        && algorithm.kind == AlgorithmKind::Builtin
        && algorithm.measurement == builtin_measurement(name)
}

/// Registers the built-in analyses that are not registered yet; returns all of them.
pub async fn register_builtins(client: &Client, member: &Member) -> Result<Vec<AlgorithmView>> {
    let existing = list_algorithms(client, member).await?;
    let mut out = Vec::new();
    for (name, description) in BUILTINS {
        if let Some(found) = existing.iter().find(|a| is_builtin(a, name)) {
            out.push(found.clone());
            continue;
        }
        let (created, _): (Created, u64) = invoke(
            client,
            member,
            Invocation::RegisterAlgorithm(RegisterAlgorithm {
                name: name.to_owned(),
                kind: AlgorithmKind::Builtin,
                measurement: builtin_measurement(name),
                description: description.to_owned(),
                inputs: vec![Port {
                    name: "data".into(),
                    format: "csv".into(),
                }],
                outputs: vec![Port {
                    name: "result".into(),
                    format: "json".into(),
                }],
                aggregate_only: true,
                differentially_private: false,
                output_rule: Some(OutputRule::SmallCellsSuppressed),
            }),
        )
        .await
        .with_context(|| format!("cannot register the built-in {name}"))?;
        let view: AlgorithmView = client
            .ask(member, &Query::GetAlgorithm { id: created.id })
            .await?;
        out.push(view);
    }
    Ok(out)
}

/// An algorithm by id, or a built-in by name.
pub async fn find_algorithm(
    client: &Client,
    member: &Member,
    name_or_id: &str,
) -> Result<AlgorithmView> {
    if name_or_id.starts_with("alg-") {
        return Ok(client
            .ask(
                member,
                &Query::GetAlgorithm {
                    id: name_or_id.to_owned(),
                },
            )
            .await?);
    }
    list_algorithms(client, member)
        .await?
        .into_iter()
        .find(|a| is_builtin(a, name_or_id))
        .ok_or_else(|| {
            anyhow!(
                "no built-in algorithm named {name_or_id} is registered (run `strongroom algorithm register-builtins`)"
            )
        })
}

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
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = Vec::with_capacity(64 * 1024);
    (&mut file)
        .take(64 * 1024)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let line_end = head
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| anyhow!("{}: no header line in the first 64 KiB", path.display()))?;
    let line = std::str::from_utf8(&head[..line_end])
        .map_err(|_| anyhow!("{}: line 1: the header is not UTF-8", path.display()))?;
    let line = line.trim_end_matches('\r');
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let columns: Vec<String> = line.split(',').map(|c| c.trim().to_owned()).collect();
    if columns.iter().any(String::is_empty) {
        bail!(
            "{}: line 1: the header has an empty column name",
            path.display()
        );
    }
    Ok(columns)
}

/// Encrypts each file under a fresh data key while uploading it, wraps the key to the
/// organization's data key and registers the dataset. `progress` shows a bar per file.
pub async fn put_dataset(
    client: &Client,
    member: &Member,
    org_key: &PrivateKey,
    spec: &DatasetSpec,
    progress: bool,
) -> Result<PutDataset> {
    if spec.files.is_empty() {
        bail!("a dataset needs at least one file");
    }
    // Checked before uploading anything (the contract checks it again), so that a
    // refused registration leaves no orphaned ciphertext on the node.
    if member.role() != strongroom_identity::Role::Owner {
        bail!(
            "{} is a member with the {} role; only owners register datasets",
            member_label(member.msp_id(), member.name()),
            member.role()
        );
    }
    let mut names = BTreeSet::new();
    let mut prepared = Vec::new();
    for path in &spec.files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("{}: not a file name", path.display()))?
            .to_owned();
        if !names.insert(name.clone()) {
            bail!("two files are named {name}; file names must be unique in a dataset");
        }
        let columns = match spec.kind {
            DatasetKind::Csv => csv_columns(path)?,
            _ => Vec::new(),
        };
        prepared.push((path, name, columns));
    }
    let dek = DataKey::generate();
    // The contract hands out the locations, unguessable and reserved for the
    // organization: each file is uploaded to one and registered there.
    let count = u32::try_from(prepared.len()).context("too many files for one dataset")?;
    let (reserved, _): (Reserved, u64) = invoke(
        client,
        member,
        Invocation::ReserveLocations(ReserveLocations { count }),
    )
    .await
    .context("cannot reserve locations for the files")?;
    if reserved.locations.len() != prepared.len() {
        bail!(
            "asked for {count} locations, the contract reserved {}",
            reserved.locations.len()
        );
    }
    let mut files = Vec::new();
    let mut uploaded_files = Vec::new();
    for ((path, name, columns), location) in prepared.into_iter().zip(reserved.locations) {
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        let bar = if progress {
            progress_bar(size, &name)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let tick = bar.clone();
        let uploaded: Uploaded =
            data::put_file(client, member, path, &location, &dek, move |done| {
                tick.set_position(done)
            })
            .await
            .with_context(|| format!("cannot upload {}", path.display()))?;
        bar.finish_and_clear();
        files.push(DatasetFile {
            name: name.clone(),
            columns,
            plaintext_sha256: uploaded.plaintext_sha256.clone(),
            ciphertext_sha256: uploaded.ciphertext_sha256.clone(),
            size_bytes: uploaded.plaintext_size,
            location: uploaded.location.clone(),
        });
        uploaded_files.push(UploadedFile {
            name,
            location: uploaded.location,
            plaintext_size: uploaded.plaintext_size,
            ciphertext_size: uploaded.ciphertext_size,
            ciphertext_sha256: uploaded.ciphertext_sha256,
        });
    }
    let wrapped = data::wrap_data_key(org_key.public_key(), &dek)?;
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
            wrapped_keys: vec![WrappedKey {
                recipient: org_label(member.msp_id()),
                key: wrapped,
            }],
            time_column: spec.time_column.clone(),
            epsilon_budget_micro: None,
            min_cell_size: spec.min_cell_size,
        }),
    )
    .await
    .context("cannot register the dataset")?;
    Ok(PutDataset {
        id: created.id,
        sequence,
        files: uploaded_files,
    })
}

fn progress_bar(size: u64, name: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:20} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name.to_owned());
    bar
}

/// The analysis a built-in task asks for: the algorithm's name plus the task's
/// parameters (without `min_cell_size`, which the contract already folded into the
/// task's threshold).
pub fn task_analysis(algorithm: &str, parameters: &serde_json::Value) -> Result<Analysis> {
    let mut object = parameters
        .as_object()
        .cloned()
        .ok_or_else(|| anyhow!("the parameters are not a JSON object"))?;
    object.remove("min_cell_size");
    object.insert(
        "name".into(),
        serde_json::Value::String(algorithm.to_owned()),
    );
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| anyhow!("the parameters do not describe a {algorithm} analysis: {e}"))
}

/// The column names an analysis reads (what a task must declare).
pub fn analysis_columns(analysis: &Analysis) -> Vec<String> {
    let set: BTreeSet<String> = analysis.columns().into_iter().map(|c| c.column).collect();
    set.into_iter().collect()
}

/// `request_task` for a built-in analysis, declaring the columns it reads, with the
/// caller as the recipient (plus `extra` recipients).
pub async fn request_builtin_task(
    client: &Client,
    member: &Member,
    result_key: &PrivateKey,
    inputs: Vec<String>,
    algorithm: &AlgorithmView,
    parameters: serde_json::Value,
    extra: Vec<Recipient>,
) -> Result<(String, u64)> {
    let analysis = task_analysis(&algorithm.name, &parameters)?;
    let mut recipients = vec![Recipient {
        msp_id: member.msp_id().to_owned(),
        name: member.name().to_owned(),
        public_key: data::public_hex(result_key),
    }];
    recipients.extend(extra);
    let (created, sequence): (Created, u64) = invoke(
        client,
        member,
        Invocation::RequestTask(RequestTask {
            inputs,
            algorithm: algorithm.id.clone(),
            parameters,
            columns: analysis_columns(&analysis),
            recipients,
            mode: ExecutionMode::OwnerSide,
            epsilon_micro: None,
        }),
    )
    .await
    .context("cannot request the task")?;
    Ok((created.id, sequence))
}

/// What the analyzer did with one task.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Executed {
    /// The task.
    pub task: String,
    /// The algorithm's name.
    pub algorithm: String,
    /// `succeeded`, `failed` (recorded on the ledger) or `deferred` (not handled this
    /// pass: retried on the next).
    pub status: String,
    /// Why it failed or was deferred.
    pub reason: Option<String>,
    /// The ledger entry recording the outcome.
    pub sequence: Option<u64>,
}

/// One pass of the owner-side analyzer: claims every approved owner-side task of the
/// executor's organization (and resumes those it claimed before a restart), runs it on
/// the decrypted data in `work_dir`, and writes the result encrypted to the recipients,
/// or the reason it failed. Plaintext is removed when each task ends.
pub async fn analyzer_pass(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
) -> Result<Vec<Executed>> {
    let mut done = Vec::new();
    for task in list_tasks(client, executor).await? {
        if task.mode != ExecutionMode::OwnerSide {
            continue;
        }
        let mine = task
            .claimant
            .as_ref()
            .is_some_and(|c| c.msp_id == executor.msp_id() && c.name == executor.name());
        let (id, algorithm) = (task.id.clone(), task.algorithm.name.clone());
        let attempt = match task.status {
            TaskStatus::Approved => {
                claim_and_execute(client, executor, org_key, work_dir, &id).await
            }
            TaskStatus::Running if mine => {
                execute(client, executor, org_key, work_dir, &task).await
            }
            _ => continue,
        };
        // A task that could not be handled now (the node unreachable, another analyzer
        // claimed it first) is reported and left for the next pass; the others go on.
        done.push(attempt.unwrap_or_else(|error| Executed {
            task: id,
            algorithm,
            status: "deferred".into(),
            reason: Some(format!("{error:#}")),
            sequence: None,
        }));
    }
    Ok(done)
}

async fn claim_and_execute(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
    id: &str,
) -> Result<Executed> {
    let (claimed, _): (TaskView, u64) = invoke(
        client,
        executor,
        Invocation::ClaimTask(ClaimTask {
            task: id.to_owned(),
        }),
    )
    .await
    .with_context(|| format!("cannot claim {id}"))?;
    execute(client, executor, org_key, work_dir, &claimed).await
}

/// One line about what the analyzer did with a task.
pub fn executed_line(e: &Executed) -> String {
    let reason = e
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match e.sequence {
        Some(sequence) => format!(
            "{} ({}): {}{reason} (ledger entry {sequence})",
            e.task, e.algorithm, e.status
        ),
        None => format!("{} ({}): {}{reason}", e.task, e.algorithm, e.status),
    }
}

/// Why a task failed: reported on the ledger (at most 1 KiB).
fn failure_reason(error: &anyhow::Error) -> String {
    let mut reason = format!("{error:#}");
    if reason.len() > 1000 {
        let mut cut = 1000;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push('…');
    }
    reason
}

/// Whether an error is the node or the network (retry later) rather than the task. A
/// missing object (404) is the task's: its input is gone.
fn is_infrastructure(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| match cause.downcast_ref::<ClientError>() {
            Some(ClientError::Transport { .. }) => true,
            Some(ClientError::Api { status, .. }) => *status != 404,
            _ => false,
        })
}

async fn execute(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    work_dir: &Path,
    task: &TaskView,
) -> Result<Executed> {
    let scratch = work_dir.join(&task.id);
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let outcome = run_task(client, executor, org_key, &scratch, task).await;
    // The plaintext never outlives the task.
    let _ = std::fs::remove_dir_all(&scratch);
    let outcome = match outcome {
        Ok(result) => {
            let recipients = task
                .recipients
                .iter()
                .map(|r| {
                    Ok((
                        member_label(&r.msp_id, &r.name),
                        data::parse_public(&r.public_key)?,
                    ))
                })
                .collect::<Result<Vec<_>, ClientError>>()?;
            let envelope = data::seal_result(&task.id, &result, &recipients)?;
            Outcome::Succeeded {
                ciphertext_sha256: hex::encode(Sha256::digest(&envelope)),
                ciphertext: hex::encode(envelope),
                evidence_ref: Some(format!(
                    "owner-side analyzer {} (strongroom {})",
                    member_label(executor.msp_id(), executor.name()),
                    env!("CARGO_PKG_VERSION")
                )),
            }
        }
        Err(error) if is_infrastructure(&error) => return Err(error),
        Err(error) => Outcome::Failed {
            reason: failure_reason(&error),
        },
    };
    let (status, reason) = match &outcome {
        Outcome::Succeeded { .. } => ("succeeded".to_owned(), None),
        Outcome::Failed { reason } => ("failed".to_owned(), Some(reason.clone())),
    };
    let (_, sequence): (TaskView, u64) = invoke(
        client,
        executor,
        Invocation::WriteResult(WriteResult {
            task: task.id.clone(),
            outcome,
        }),
    )
    .await
    .with_context(|| format!("cannot write the result of {}", task.id))?;
    Ok(Executed {
        task: task.id.clone(),
        algorithm: task.algorithm.name.clone(),
        status,
        reason,
        sequence: Some(sequence),
    })
}

/// Fetches, decrypts and analyses a task's inputs, over the rows their grants' windows
/// allow, and checks the output against the algorithm's release rule; returns the
/// result's plaintext. Any failure fails the task: nothing unwindowed or unchecked is
/// released.
async fn run_task(
    client: &Client,
    executor: &Member,
    org_key: &PrivateKey,
    scratch: &Path,
    task: &TaskView,
) -> Result<Vec<u8>> {
    let algorithm = &task.algorithm;
    if algorithm.kind != AlgorithmKind::Builtin
        || !BUILTINS.iter().any(|(name, _)| *name == algorithm.name)
        || algorithm.measurement != builtin_measurement(&algorithm.name)
    {
        bail!(
            "algorithm {} ({}) is not a built-in this analyzer runs",
            algorithm.name,
            algorithm.id
        );
    }
    let analysis = task_analysis(&algorithm.name, &task.parameters)?;
    for column in analysis_columns(&analysis) {
        if !task.columns.contains(&column) {
            bail!("the analysis reads column {column}, which the task does not declare");
        }
    }
    let wanted: BTreeSet<String> = analysis.columns().into_iter().map(|c| c.file).collect();
    // Which input holds each file read, and the row windows of those inputs' grants,
    // settled before anything is fetched or decrypted.
    let mut sources = Vec::new();
    for name in &wanted {
        let mut found = task
            .inputs
            .iter()
            .flat_map(|input| input.files.iter().map(move |file| (input, file)))
            .filter(|(_, file)| &file.name == name);
        let (input, file) = found
            .next()
            .ok_or_else(|| anyhow!("no input of the task has a file named {name}"))?;
        if found.next().is_some() {
            bail!("several inputs have a file named {name}");
        }
        if input.owner_msp != executor.msp_id() {
            bail!(
                "{name} belongs to {}, not to this analyzer's organization",
                input.owner_msp
            );
        }
        sources.push((name, input, file));
    }
    let mut read_inputs: Vec<&strongroom_contract::sharing::TaskInput> = Vec::new();
    for (_, input, _) in &sources {
        if !read_inputs.iter().any(|i| i.dataset == input.dataset) {
            read_inputs.push(input);
        }
    }
    let windows = super::enforce::row_windows(read_inputs)?;
    let mut local = std::collections::BTreeMap::new();
    for (name, input, file) in sources {
        let label = org_label(executor.msp_id());
        let wrapped = input
            .wrapped_keys
            .iter()
            .find(|k| k.recipient == label)
            .ok_or_else(|| anyhow!("dataset {} has no key wrapped to {label}", input.dataset))?;
        let dek = data::unwrap_data_key(org_key, &wrapped.key)
            .with_context(|| format!("dataset {}", input.dataset))?;
        let dest = scratch.join(format!("{}-{}", input.dataset, local.len()));
        data::fetch_file(
            client,
            executor,
            strongroom_contract::ObjectPurpose::TaskInput {
                task: task.id.clone(),
            },
            &file.location,
            &file.ciphertext_sha256,
            &dek,
            &dest,
        )
        .await
        .with_context(|| format!("{name} of dataset {}", input.dataset))?;
        local.insert(name.clone(), dest);
    }
    let k = task.min_cell_size;
    let output: AnalysisOutput = tokio::task::spawn_blocking(move || {
        let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
            let path = local.get(name).ok_or_else(|| ComputeError::Open {
                file: name.into(),
                reason: "not an input of the task".into(),
            })?;
            let file = std::fs::File::open(path).map_err(|e| ComputeError::Open {
                file: name.into(),
                reason: e.to_string(),
            })?;
            Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
        };
        strongroom_compute::run_windowed(&analysis, k, &windows, &mut open)
    })
    .await
    .map_err(|e| anyhow!("the analysis crashed: {e}"))??;
    // The last gate: nothing leaves unless it keeps the algorithm's release rule.
    super::enforce::check_result(algorithm, &output, k)?;
    Ok(serde_json::to_vec(&output)?)
}

/// A task's result, decrypted for the caller.
pub struct OpenedResult {
    /// What the ledger holds about it.
    pub view: ResultView,
    /// The plaintext, for a succeeded task.
    pub plaintext: Option<Vec<u8>>,
}

/// Reads a task's result and opens it with the member's result key.
pub async fn get_result(
    client: &Client,
    member: &Member,
    result_key: &PrivateKey,
    task: &str,
) -> Result<OpenedResult> {
    let view: ResultView = client
        .ask(
            member,
            &Query::ReadResult {
                task: task.to_owned(),
            },
        )
        .await?;
    let plaintext = match (&view.status, &view.ciphertext) {
        (TaskStatus::Succeeded, Some(ciphertext)) => {
            let envelope = hex::decode(ciphertext).context("the result ciphertext is not hex")?;
            Some(data::open_result(
                task,
                &envelope,
                &member_label(member.msp_id(), member.name()),
                result_key,
            )?)
        }
        _ => None,
    };
    Ok(OpenedResult { view, plaintext })
}

/// Renders a result's plaintext: the analysis table if it is one, else the bytes.
pub fn render_result(plaintext: &[u8]) -> String {
    match serde_json::from_slice::<AnalysisOutput>(plaintext) {
        Ok(output) => output.render_table(),
        Err(_) => String::from_utf8_lossy(plaintext).into_owned(),
    }
}
