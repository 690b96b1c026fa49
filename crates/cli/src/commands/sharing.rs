//! The data-sharing commands: `data`, `catalog`, `algorithm`, `access`, `task`,
//! `result`, `analyzer` and `receipt`. Each connects to a node, verifies its
//! attestation, and acts as one member.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use strongroom_client::Client;
use strongroom_contract::sharing::{
    AlgorithmView, ApprovePermission, ApproveTask, CatalogSearch, Created, DatasetKind,
    DatasetSummary, DatasetView, GrantView, Invocation, Query, RejectPermission, RejectTask,
    RequestPermission, RequestView, RevokeGrant, Scope, TaskView, TimeRange, WithdrawConsent,
};
use strongroom_identity::Member;

use super::flow::{self, DatasetSpec};
use super::net::{MemberArgs, NodeArgs, block_on, print, table};
use crate::output::AtomicFile;

/// Connection and identity, shared by every sharing command.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    member: MemberArgs,
}

impl Common {
    async fn open(&self) -> Result<(Client, Member)> {
        let member = self.member.load()?;
        let client = self.node.connect().await?;
        Ok((client, member))
    }
}

fn ms_in_days(days: u64) -> Result<u64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    let later = now
        .checked_add(Duration::from_secs(days.saturating_mul(86_400)))
        .ok_or_else(|| anyhow!("{days} days is too far in the future"))?;
    u64::try_from(later.as_millis()).context("time out of range")
}

/// A grant's row-window bound: a `YYYY-MM-DD` date (midnight UTC) or an RFC 3339
/// date-time, read as the analyzer reads the data's times.
fn parse_row_time(text: &str) -> Result<u64, String> {
    let ms = strongroom_compute::timestamp_ms(text).ok_or_else(|| {
        format!("{text:?} is neither a YYYY-MM-DD date nor an RFC 3339 date-time")
    })?;
    u64::try_from(ms).map_err(|_| format!("{text:?} is before 1970, which a grant cannot express"))
}

fn parse_kind(text: &str) -> Result<DatasetKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("unknown kind {text:?} (csv, parquet, vcf or blob)"))
}

// ---------------------------------------------------------------------------- data

/// Datasets of the caller's organization.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Encrypt files locally under a fresh data key while streaming them to the node,
    /// then register them as one dataset with its consent. The data key is wrapped to
    /// the organization's data key (`IDENTITY/org-data-key.x25519.key`, created on first
    /// use), which only the organization's owners and analyzer hold.
    Put(DataPutArgs),
    /// The datasets of the caller's organization in the catalog.
    List(ListArgs),
    /// One dataset (full view for the owning organization).
    Show(IdArgs),
    /// Withdraw a dataset's consent for good: out of the catalog, no new grant, no task.
    Withdraw(WithdrawArgs),
}

/// Arguments of `data put`.
#[derive(Debug, Args)]
pub struct DataPutArgs {
    #[command(flatten)]
    common: Common,
    /// Catalog name of the dataset.
    #[arg(long)]
    name: String,
    /// What the files hold: csv, parquet, vcf or blob.
    #[arg(long, default_value = "csv", value_parser = parse_kind)]
    kind: DatasetKind,
    /// Free-text description shown in the catalog.
    #[arg(long, default_value = "")]
    description: String,
    /// A catalog label (repeatable).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// A purpose the data subjects consented to (repeatable; at least one).
    #[arg(long = "purpose", required = true)]
    purposes: Vec<String>,
    /// Consent ends after this many days (default: no end).
    #[arg(long)]
    consent_days: Option<u64>,
    /// Small-cell suppression threshold: counts below it are never released (default 11).
    #[arg(long)]
    min_cell_size: Option<u32>,
    /// The column holding each row's time (for grants limited to a time range).
    #[arg(long)]
    time_column: Option<String>,
    /// Do not show progress bars.
    #[arg(long)]
    quiet: bool,
    /// The files (one dataset; names must be unique).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// A listing.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    common: Common,
}

/// One thing by id.
#[derive(Debug, Args)]
pub struct IdArgs {
    #[command(flatten)]
    common: Common,
    /// Its id.
    id: String,
}

/// Arguments of `data withdraw`.
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    #[command(flatten)]
    common: Common,
    /// The dataset id.
    id: String,
    /// Why.
    #[arg(long)]
    reason: Option<String>,
}

/// Runs one `data` subcommand.
pub fn run_data(command: DataCommand) -> Result<()> {
    block_on(async move {
        match command {
            DataCommand::Put(args) => data_put(args).await,
            DataCommand::List(args) => data_list(args).await,
            DataCommand::Show(args) => data_show(args).await,
            DataCommand::Withdraw(args) => data_withdraw(args).await,
        }
    })?
}

async fn data_put(args: DataPutArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let org_key = args.common.member.org_data_key()?;
    let spec = DatasetSpec {
        name: args.name,
        kind: args.kind,
        description: args.description,
        labels: args.labels,
        purposes: args.purposes,
        consent_expires_at_ms: args.consent_days.map(ms_in_days).transpose()?,
        min_cell_size: args.min_cell_size,
        time_column: args.time_column,
        files: args.files,
    };
    let put = flow::put_dataset(&client, &member, &org_key, &spec, !args.quiet).await?;
    print(args.common.node.json, &put, |put| {
        let rows = put
            .files
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    f.plaintext_size.to_string(),
                    f.ciphertext_size.to_string(),
                    f.location.clone(),
                ]
            })
            .collect::<Vec<_>>();
        format!(
            "registered dataset {} (ledger entry {})\n{}",
            put.id,
            put.sequence,
            table(&["file", "bytes", "encrypted bytes", "location"], &rows)
        )
    })
}

fn summaries_table(items: &[DatasetSummary]) -> String {
    let rows = items
        .iter()
        .map(|d| {
            vec![
                d.id.clone(),
                d.name.clone(),
                d.kind.as_str().to_owned(),
                d.owner_msp.clone(),
                d.size_bytes.to_string(),
                d.labels.join(","),
                d.consent.purposes.join(","),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &["id", "name", "kind", "owner", "bytes", "labels", "purposes"],
        &rows,
    )
}

async fn data_list(args: ListArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let mine: Vec<DatasetSummary> =
        flow::search_catalog(&client, &member, CatalogSearch::default())
            .await?
            .into_iter()
            .filter(|d| d.owner_msp == member.msp_id())
            .collect();
    print(args.common.node.json, &mine, |items| summaries_table(items))
}

fn dataset_text(view: &DatasetView) -> String {
    let s = &view.summary;
    let mut out = format!(
        "{} {:?} ({}, owner {}, {:?})\n  {}\n  columns: {}\n  purposes: {}\n  min cell size: {}\n",
        s.id,
        s.name,
        s.kind.as_str(),
        s.owner_msp,
        view.status,
        s.description,
        s.columns.join(", "),
        s.consent.purposes.join(", "),
        s.min_cell_size,
    );
    for f in &view.files {
        out.push_str(&format!(
            "  file {} ({} bytes) at {}\n",
            f.name, f.size_bytes, f.location
        ));
    }
    out
}

async fn data_show(args: IdArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let view: DatasetView = client
        .ask(&member, &Query::GetDataset { id: args.id })
        .await?;
    print(args.common.node.json, &view, dataset_text)
}

async fn data_withdraw(args: WithdrawArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let (view, sequence): (DatasetView, u64) = flow::invoke(
        &client,
        &member,
        Invocation::WithdrawConsent(WithdrawConsent {
            id: args.id,
            reason: args.reason,
        }),
    )
    .await?;
    print(args.common.node.json, &view, |v| {
        format!(
            "consent withdrawn (ledger entry {sequence})\n{}",
            dataset_text(v)
        )
    })
}

// ------------------------------------------------------------------------- catalog

/// The consortium's catalog of consented datasets.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Find datasets by words, labels and kind.
    Search(CatalogSearchArgs),
}

/// Arguments of `catalog search`.
#[derive(Debug, Args)]
pub struct CatalogSearchArgs {
    #[command(flatten)]
    common: Common,
    /// Words that must all appear in the name, description, labels or columns.
    #[arg(long)]
    text: Option<String>,
    /// A label the dataset must carry (repeatable).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// Only datasets of this kind.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<DatasetKind>,
}

/// Runs one `catalog` subcommand.
pub fn run_catalog(command: CatalogCommand) -> Result<()> {
    let CatalogCommand::Search(args) = command;
    block_on(async move {
        let (client, member) = args.common.open().await?;
        let items = flow::search_catalog(
            &client,
            &member,
            CatalogSearch {
                kind: args.kind,
                labels: args.labels,
                text: args.text,
                limit: None,
                after: None,
            },
        )
        .await?;
        print(args.common.node.json, &items, |items| {
            summaries_table(items)
        })
    })?
}

// ----------------------------------------------------------------------- algorithm

/// Algorithms tasks may run.
#[derive(Debug, Subcommand)]
pub enum AlgorithmCommand {
    /// Register the built-in analyses (describe, stratify) if not registered yet.
    RegisterBuiltins(ListArgs),
    /// Every registered algorithm.
    List(ListArgs),
}

fn algorithms_table(items: &[AlgorithmView]) -> String {
    let rows = items
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.name.clone(),
                format!("{:?}", a.kind).to_lowercase(),
                a.measurement.get(..16).unwrap_or("").to_owned(),
                a.description.clone(),
            ]
        })
        .collect::<Vec<_>>();
    table(&["id", "name", "kind", "measurement", "description"], &rows)
}

/// Runs one `algorithm` subcommand.
pub fn run_algorithm(command: AlgorithmCommand) -> Result<()> {
    block_on(async move {
        match command {
            AlgorithmCommand::RegisterBuiltins(args) => {
                let (client, member) = args.common.open().await?;
                let items = flow::register_builtins(&client, &member).await?;
                print(args.common.node.json, &items, |items| {
                    algorithms_table(items)
                })
            }
            AlgorithmCommand::List(args) => {
                let (client, member) = args.common.open().await?;
                let items = flow::list_algorithms(&client, &member).await?;
                print(args.common.node.json, &items, |items| {
                    algorithms_table(items)
                })
            }
        }
    })?
}

// -------------------------------------------------------------------------- access

/// Permissions to analyse a dataset.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Ask a dataset's owner for permission (analyst role).
    Request(AccessRequestArgs),
    /// Grant a pending request (owner or admin of the dataset's organization).
    Approve(IdArgs),
    /// Refuse a pending request.
    Reject(ReasonArgs),
    /// Revoke a grant: no new task may use it.
    Revoke(ReasonArgs),
    /// Your requests (analyst), or those awaiting your organization (owner, admin).
    List(ListArgs),
    /// One request and its grant.
    Show(IdArgs),
}

/// Arguments of `access request`.
#[derive(Debug, Args)]
pub struct AccessRequestArgs {
    #[command(flatten)]
    common: Common,
    /// The dataset id.
    #[arg(long)]
    dataset: String,
    /// Why: one of the dataset's consented purposes.
    #[arg(long)]
    purpose: String,
    /// An algorithm the grant allows: a built-in name or an algorithm id (repeatable).
    #[arg(long = "algorithm", required = true)]
    algorithms: Vec<String>,
    /// A column the grant covers (repeatable; default: every column of the dataset).
    #[arg(long = "column")]
    columns: Vec<String>,
    /// The grant ends after this many days (default: when the consent ends).
    #[arg(long)]
    days: Option<u64>,
    /// Only rows whose time (in the dataset's time column) is at or after this:
    /// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time. Needs `--rows-to`.
    #[arg(long, requires = "rows_to", value_parser = parse_row_time)]
    rows_from: Option<u64>,
    /// Only rows whose time is before this (exclusive); same forms as `--rows-from`.
    #[arg(long, requires = "rows_from", value_parser = parse_row_time)]
    rows_to: Option<u64>,
}

/// An id and a reason.
#[derive(Debug, Args)]
pub struct ReasonArgs {
    #[command(flatten)]
    common: Common,
    /// The id.
    id: String,
    /// Why.
    #[arg(long)]
    reason: Option<String>,
}

fn requests_table(items: &[RequestView]) -> String {
    let rows = items
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.dataset.clone(),
                flow::member_label(&r.requester.msp_id, &r.requester.name),
                r.purpose.clone(),
                format!("{:?}", r.status).to_lowercase(),
                r.grant.as_ref().map(|g| g.id.clone()).unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &["id", "dataset", "requester", "purpose", "status", "grant"],
        &rows,
    )
}

/// Runs one `access` subcommand.
pub fn run_access(command: AccessCommand) -> Result<()> {
    block_on(async move {
        match command {
            AccessCommand::Request(args) => access_request(args).await,
            AccessCommand::Approve(args) => {
                let (client, member) = args.common.open().await?;
                let (created, sequence): (Created, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::ApprovePermission(ApprovePermission { request: args.id }),
                )
                .await?;
                print(args.common.node.json, &created, |c| {
                    format!("granted {} (ledger entry {sequence})\n", c.id)
                })
            }
            AccessCommand::Reject(args) => {
                let (client, member) = args.common.open().await?;
                let (view, sequence): (RequestView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::RejectPermission(RejectPermission {
                        request: args.id,
                        reason: args.reason,
                    }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!("rejected {} (ledger entry {sequence})\n", v.id)
                })
            }
            AccessCommand::Revoke(args) => {
                let (client, member) = args.common.open().await?;
                let (view, sequence): (GrantView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::RevokeGrant(RevokeGrant {
                        grant: args.id,
                        reason: args.reason,
                    }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!("revoked {} (ledger entry {sequence})\n", v.id)
                })
            }
            AccessCommand::List(args) => {
                let (client, member) = args.common.open().await?;
                let items = flow::list_requests(&client, &member).await?;
                print(args.common.node.json, &items, |items| requests_table(items))
            }
            AccessCommand::Show(args) => {
                let (client, member) = args.common.open().await?;
                let view: RequestView = client
                    .ask(&member, &Query::GetRequest { id: args.id })
                    .await?;
                print(args.common.node.json, &view, |v| {
                    requests_table(std::slice::from_ref(v))
                })
            }
        }
    })?
}

async fn access_request(args: AccessRequestArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let mut algorithms = Vec::new();
    for name in &args.algorithms {
        algorithms.push(flow::find_algorithm(&client, &member, name).await?.id);
    }
    let columns = if args.columns.is_empty() {
        let view: DatasetView = client
            .ask(
                &member,
                &Query::GetDataset {
                    id: args.dataset.clone(),
                },
            )
            .await?;
        view.summary.columns
    } else {
        args.columns
    };
    let (created, sequence): (Created, u64) = flow::invoke(
        &client,
        &member,
        Invocation::RequestPermission(RequestPermission {
            dataset: args.dataset,
            purpose: args.purpose,
            algorithms,
            scope: Scope {
                columns,
                rows: args
                    .rows_from
                    .zip(args.rows_to)
                    .map(|(from_ms, to_ms)| TimeRange { from_ms, to_ms }),
                expires_at_ms: args.days.map(ms_in_days).transpose()?,
            },
        }),
    )
    .await?;
    print(args.common.node.json, &created, |c| {
        format!("requested {} (ledger entry {sequence})\n", c.id)
    })
}

// ---------------------------------------------------------------------------- task

/// Analyses.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Ask for a built-in analysis of one or more datasets, its result encrypted to you.
    Request(TaskRequestArgs),
    /// Approve a task's inputs of your organization (owner or admin).
    Approve(IdArgs),
    /// Reject a task that has not started.
    Reject(ReasonArgs),
    /// Your tasks (analyst), those awaiting your organization (owner, admin), or those
    /// to execute (executor).
    List(ListArgs),
    /// One task.
    Show(IdArgs),
}

/// Arguments of `task request`.
#[derive(Debug, Args)]
pub struct TaskRequestArgs {
    #[command(flatten)]
    common: Common,
    /// An input dataset id (repeatable).
    #[arg(long = "dataset", required = true)]
    datasets: Vec<String>,
    /// The algorithm: a built-in name (describe, stratify) or an algorithm id.
    #[arg(long)]
    algorithm: String,
    /// The parameters, a JSON object: for describe `{"file": "conditions.csv",
    /// "column": "DESCRIPTION"}`; for stratify `{"patients_file": "patients.csv",
    /// "conditions_file": "conditions.csv", "condition": {"code": "444814009"}}`
    /// (`"k"` or `"min_cell_size"` may raise the suppression threshold).
    #[arg(long)]
    parameters: String,
}

fn tasks_table(items: &[TaskView]) -> String {
    let rows = items
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.algorithm.name.clone(),
                t.inputs
                    .iter()
                    .map(|i| i.dataset.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                flow::member_label(&t.requester.msp_id, &t.requester.name),
                format!("{:?}", t.status).to_lowercase(),
                t.result
                    .as_ref()
                    .and_then(|r| r.reason.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    table(
        &["id", "algorithm", "inputs", "requester", "status", "reason"],
        &rows,
    )
}

/// Runs one `task` subcommand.
pub fn run_task(command: TaskCommand) -> Result<()> {
    block_on(async move {
        match command {
            TaskCommand::Request(args) => {
                let (client, member) = args.common.open().await?;
                let parameters: serde_json::Value =
                    serde_json::from_str(&args.parameters).context("--parameters is not JSON")?;
                let algorithm = flow::find_algorithm(&client, &member, &args.algorithm).await?;
                let key = args.common.member.result_key()?;
                let (id, sequence) = flow::request_builtin_task(
                    &client,
                    &member,
                    &key,
                    args.datasets,
                    &algorithm,
                    parameters,
                    Vec::new(),
                )
                .await?;
                let view: TaskView = client.ask(&member, &Query::GetTask { id }).await?;
                print(args.common.node.json, &view, |v| {
                    format!(
                        "requested {} (ledger entry {sequence}): {:?}\n",
                        v.id, v.status
                    )
                })
            }
            TaskCommand::Approve(args) => {
                let (client, member) = args.common.open().await?;
                let (view, sequence): (TaskView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::ApproveTask(ApproveTask { task: args.id }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!(
                        "approved {} (ledger entry {sequence}): {:?}\n",
                        v.id, v.status
                    )
                })
            }
            TaskCommand::Reject(args) => {
                let (client, member) = args.common.open().await?;
                let (view, sequence): (TaskView, u64) = flow::invoke(
                    &client,
                    &member,
                    Invocation::RejectTask(RejectTask {
                        task: args.id,
                        reason: args.reason,
                    }),
                )
                .await?;
                print(args.common.node.json, &view, |v| {
                    format!("rejected {} (ledger entry {sequence})\n", v.id)
                })
            }
            TaskCommand::List(args) => {
                let (client, member) = args.common.open().await?;
                let items = flow::list_tasks(&client, &member).await?;
                print(args.common.node.json, &items, |items| tasks_table(items))
            }
            TaskCommand::Show(args) => {
                let (client, member) = args.common.open().await?;
                let view: TaskView = client.ask(&member, &Query::GetTask { id: args.id }).await?;
                print(args.common.node.json, &view, |v| {
                    tasks_table(std::slice::from_ref(v))
                })
            }
        }
    })?
}

// -------------------------------------------------------------------------- result

/// Results of tasks.
#[derive(Debug, Subcommand)]
pub enum ResultCommand {
    /// Read a task's result and decrypt it with your result key.
    Get(ResultGetArgs),
}

/// Arguments of `result get`.
#[derive(Debug, Args)]
pub struct ResultGetArgs {
    #[command(flatten)]
    common: Common,
    /// The task id.
    task: String,
    /// Write the decrypted result (JSON) to this file instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    force: bool,
}

/// Runs one `result` subcommand.
pub fn run_result(command: ResultCommand) -> Result<()> {
    let ResultCommand::Get(args) = command;
    block_on(async move {
        let (client, member) = args.common.open().await?;
        let key = args.common.member.result_key()?;
        let opened = flow::get_result(&client, &member, &key, &args.task).await?;
        let Some(plaintext) = opened.plaintext else {
            bail!(
                "task {} has no result to read: {:?}{}",
                args.task,
                opened.view.status,
                opened
                    .view
                    .reason
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        };
        if let Some(out) = &args.out {
            write_file(out, &plaintext, args.force)?;
            println!("wrote the result of {} to {}", args.task, out.display());
        } else if args.common.node.json {
            std::io::stdout().write_all(&plaintext)?;
            println!();
        } else {
            print!("{}", flow::render_result(&plaintext));
        }
        Ok(())
    })?
}

// ------------------------------------------------------------------------ analyzer

/// The owner-side executor.
#[derive(Debug, Subcommand)]
pub enum AnalyzerCommand {
    /// Watch for approved owner-side tasks on the organization's datasets; for each,
    /// claim it, fetch and decrypt its inputs here, run the built-in analysis and write
    /// the result encrypted to its recipients (or the reason it failed). Runs as an
    /// executor of the owning organization, with its data key.
    Run(AnalyzerRunArgs),
}

/// Arguments of `analyzer run`.
#[derive(Debug, Args)]
pub struct AnalyzerRunArgs {
    #[command(flatten)]
    common: Common,
    /// Handle the tasks waiting now, then exit.
    #[arg(long)]
    once: bool,
    /// Seconds between polls.
    #[arg(long, default_value_t = 2)]
    interval: u64,
    /// Where decrypted inputs live while a task runs (removed after each task).
    #[arg(long, value_name = "DIR", default_value = "strongroom-analyzer")]
    work_dir: PathBuf,
}

/// Runs one `analyzer` subcommand.
pub fn run_analyzer(command: AnalyzerCommand) -> Result<()> {
    let AnalyzerCommand::Run(args) = command;
    block_on(async move {
        let (client, member) = args.common.open().await?;
        let key = args.common.member.org_data_key()?;
        loop {
            let done =
                super::analyzer::analyzer_pass(&client, &member, &key, &args.work_dir).await?;
            for executed in &done {
                if args.common.node.json {
                    println!("{}", serde_json::to_string(executed)?);
                } else {
                    println!("{}", super::analyzer::executed_line(executed));
                }
            }
            if args.once {
                let deferred = done.iter().filter(|e| e.status == "deferred").count();
                if deferred > 0 {
                    bail!("{deferred} task(s) could not be handled now; run the analyzer again");
                }
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(args.interval.max(1))) => {}
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
        }
    })?
}

// ------------------------------------------------------------------------- receipt

/// Receipts: proof that an entry is in the ledger, checkable offline.
#[derive(Debug, Subcommand)]
pub enum ReceiptCommand {
    /// Fetch the receipt of a ledger entry, verified against the attested service key.
    Get(ReceiptGetArgs),
    /// Check a receipt offline (same as `ledger verify-receipt`).
    Verify(super::ledger::ReceiptVerifyArgs),
}

/// Arguments of `receipt get`.
#[derive(Debug, Args)]
pub struct ReceiptGetArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The ledger sequence number.
    sequence: u64,
    /// Write the receipt (JSON) here.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the attested service public key (DER) here, for offline checks.
    #[arg(long, value_name = "FILE")]
    service_key_out: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// Runs one `receipt` subcommand.
pub fn run_receipt(command: ReceiptCommand) -> Result<()> {
    match command {
        ReceiptCommand::Verify(args) => super::ledger::verify_receipt(&args),
        ReceiptCommand::Get(args) => block_on(async move {
            let client = args.node.connect().await?;
            let receipt = client.receipt(args.sequence).await?;
            write_file(&args.out, receipt.encode()?.as_bytes(), args.force)?;
            if let Some(path) = &args.service_key_out {
                write_file(path, &client.service_key().to_spki_der()?, args.force)?;
            }
            println!(
                "receipt of entry {} written to {} (verified against the attested service key)",
                args.sequence,
                args.out.display()
            );
            Ok(())
        })?,
    }
}

fn write_file(path: &std::path::Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut file = AtomicFile::create(path, force)?;
    {
        let mut writer = file.writer();
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    file.commit()
}
