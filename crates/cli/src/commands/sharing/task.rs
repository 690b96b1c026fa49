//! `strongroom task` and `strongroom result`: analyses, their approval, their results.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_contract::sharing::{ApproveTask, Invocation, Query, RejectTask, TaskView};

use crate::commands::flow;
use crate::commands::net::{block_on, print, table};

use super::{Common, IdArgs, ListArgs, ReasonArgs, write_file};

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
    /// (`"k"` or `"min_cell_size"` may raise the suppression threshold); for a
    /// WebAssembly algorithm `{"file": "patients.csv"}` (the file of each input it
    /// reads), optionally with `"limits": {"fuel": N, "memory_bytes": N}`.
    #[arg(long)]
    parameters: String,
    /// For a WebAssembly algorithm: the columns its module reads, in order
    /// (comma-separated).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Run in TEE mode: an attested worker (`strongroom worker`) of a party
    /// organization runs it over every input, whatever organization owns it, with the
    /// keys the core releases to it (each input's owner must have stored it with
    /// `data put --tee`). Without it, the task runs at the (single) owner's site.
    #[arg(long)]
    tee: bool,
    /// For a differentially private algorithm: the ε this task spends (such as 0.5),
    /// reserved from each input's privacy budget.
    #[arg(long, value_name = "EPSILON")]
    epsilon: Option<f64>,
}

pub(super) fn tasks_table(items: &[TaskView]) -> String {
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
                let (id, sequence) = flow::request_task(
                    &client,
                    &member,
                    &key,
                    flow::TaskAsk {
                        inputs: args.datasets,
                        algorithm: &algorithm,
                        parameters,
                        columns: args.columns,
                        extra: Vec::new(),
                        tee: args.tee,
                        epsilon_micro: args
                            .epsilon
                            .map(|e| super::epsilon_micro("--epsilon", e))
                            .transpose()?,
                    },
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
