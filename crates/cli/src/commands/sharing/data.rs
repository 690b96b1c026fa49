//! `strongroom data`: register, list, show and withdraw datasets.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use strongroom_contract::sharing::{
    AuditTrail, CatalogSearch, DatasetKind, DatasetSummary, DatasetView, Invocation, Query,
    WithdrawConsent,
};

use crate::commands::flow::{self, DatasetSpec};
use crate::commands::net::{block_on, print, table};

use super::{Common, IdArgs, ListArgs, epsilon_micro, ms_in_days, parse_kind};

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
    /// A dataset's audit trail (its organization's admins, owners and auditors): who
    /// did what touching it, when, at which ledger entry; each key released to an
    /// attested worker with the worker's platform and measurement.
    Audit(IdArgs),
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
    /// Small-cell suppression threshold: counts below it are never released (default:
    /// the consortium's, 11 until a vote changes it; `governance constitution` shows it).
    #[arg(long)]
    min_cell_size: Option<u32>,
    /// The column holding each row's time (for grants limited to a time range).
    #[arg(long)]
    time_column: Option<String>,
    /// Also wrap the data key to the node's attested key-release key, so that the
    /// core may release it to an attested worker of a task every owner approved (the
    /// data key stays wrapped to the organization's key as well).
    #[arg(long)]
    tee: bool,
    /// Wrap the data key to the key-release key only, not to the organization's: then
    /// no member of the organization, not even its analyzer, can open the data; only
    /// attested workers of TEE tasks every owner approved.
    #[arg(long)]
    tee_only: bool,
    /// The privacy budget: the total ε that differentially private tasks may spend on
    /// this dataset (each task's ε is reserved from it when an owner approves or a
    /// claim covered by a grant starts). Without it, the consortium's default budget
    /// (`governance propose set-defaults`), if it set one; else such tasks spend
    /// nothing here.
    #[arg(long, value_name = "EPSILON")]
    epsilon_budget: Option<f64>,
    /// Do not show progress bars.
    #[arg(long)]
    quiet: bool,
    /// The files (one dataset; names must be unique).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
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
            DataCommand::Audit(args) => data_audit(args).await,
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
        tee: args.tee,
        tee_only: args.tee_only,
        epsilon_budget_micro: args
            .epsilon_budget
            .map(|e| epsilon_micro("--epsilon-budget", e))
            .transpose()?,
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

pub(super) fn summaries_table(items: &[DatasetSummary]) -> String {
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

pub(super) fn dataset_text(view: &DatasetView) -> String {
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

async fn data_audit(args: IdArgs) -> Result<()> {
    let (client, member) = args.common.open().await?;
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page: AuditTrail = client
            .ask(
                &member,
                &Query::AuditTrail {
                    dataset: args.id.clone(),
                    after,
                    limit: Some(1000),
                },
            )
            .await?;
        events.extend(page.events);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    print(args.common.node.json, &events, |events| {
        let rows = events
            .iter()
            .map(|e| {
                let worker = e.released_to.as_ref().map_or(String::new(), |to| {
                    format!(
                        "{} {}{}",
                        to.platform,
                        to.measurement,
                        if to.insecure { " (INSECURE)" } else { "" }
                    )
                });
                vec![
                    e.sequence.to_string(),
                    e.at_ms.to_string(),
                    flow::member_label(&e.actor.msp_id, &e.actor.name),
                    format!("{:?}", e.action),
                    e.subject.clone(),
                    worker,
                ]
            })
            .collect::<Vec<_>>();
        table(
            &["entry", "at ms", "who", "action", "subject", "released to"],
            &rows,
        )
    })
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
