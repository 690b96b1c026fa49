//! `strongroom access`: permission requests and the owner's decisions on them.

use anyhow::Result;
use clap::{Args, Subcommand};
use strongroom_contract::sharing::{
    ApprovePermission, Created, DatasetView, GrantView, Invocation, Query, RejectPermission,
    RequestPermission, RequestView, RevokeGrant, Scope, TimeRange,
};

use crate::commands::flow;
use crate::commands::net::{block_on, print, table};

use super::{Common, IdArgs, ListArgs, ReasonArgs, ms_in_days, parse_row_time};

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

pub(super) fn requests_table(items: &[RequestView]) -> String {
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
