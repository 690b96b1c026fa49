//! `strongroom catalog` and `strongroom algorithm`: what there is to ask for.

use anyhow::Result;
use clap::{Args, Subcommand};
use strongroom_contract::sharing::{AlgorithmView, CatalogSearch, DatasetKind};

use crate::commands::flow;
use crate::commands::net::{block_on, print, table};

use super::data::summaries_table;
use super::{Common, ListArgs, parse_kind};

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

pub(super) fn algorithms_table(items: &[AlgorithmView]) -> String {
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
