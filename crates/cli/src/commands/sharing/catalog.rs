//! `strongroom catalog` and `strongroom algorithm`: what there is to ask for.

use std::path::PathBuf;

use anyhow::{Context, Result};
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
    /// Only datasets of this organization (its MSP id).
    #[arg(long)]
    organization: Option<String>,
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
                organization: args.organization,
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
    /// Register a WebAssembly algorithm (docs/formats/algorithm-abi.md): checks that
    /// the module fits the ABI, registers its measurement (the SHA-256 of the file) as
    /// an aggregate-only algorithm whose releases keep small cells suppressed, and
    /// prints the measurement that approvals name.
    Register(AlgorithmRegisterArgs),
}

/// Arguments of `algorithm register`.
#[derive(Debug, Args)]
pub struct AlgorithmRegisterArgs {
    #[command(flatten)]
    common: Common,
    /// The module (a core WebAssembly module, e.g. built by scripts/build-algorithms.sh).
    #[arg(long, value_name = "FILE")]
    wasm: PathBuf,
    /// Its name in the registry (1 to 128 bytes).
    #[arg(long)]
    name: String,
    /// What it computes, for the owners who approve it.
    #[arg(long, default_value = "")]
    description: String,
    /// Also copy the module into this directory as MEASUREMENT.wasm, where
    /// `analyzer run --modules DIR` finds it.
    #[arg(long, value_name = "DIR")]
    install: Option<PathBuf>,
    /// Register it as differentially private: tasks then name the ε they spend
    /// (`task request --epsilon`), charged to each input's budget, and the host adds
    /// Laplace noise of scale 1/ε to each group's count before the threshold. Such a
    /// module may release counts only (no cells).
    #[arg(long)]
    differentially_private: bool,
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
            AlgorithmCommand::Register(args) => {
                let module = std::fs::read(&args.wasm)
                    .with_context(|| format!("cannot read {}", args.wasm.display()))?;
                let (client, member) = args.common.open().await?;
                let view = flow::register_wasm(
                    &client,
                    &member,
                    &module,
                    &args.name,
                    &args.description,
                    args.differentially_private,
                )
                .await
                .with_context(|| format!("{}", args.wasm.display()))?;
                if let Some(dir) = &args.install {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    let path = dir.join(format!("{}.wasm", view.measurement));
                    std::fs::write(&path, &module)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                print(args.common.node.json, &view, |v| {
                    format!(
                        "registered {} ({}): measurement {}\n",
                        v.id, v.name, v.measurement
                    )
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
