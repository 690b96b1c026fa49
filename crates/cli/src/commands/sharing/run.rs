//! `strongroom analyzer` and `strongroom receipt`: the owner's analyzer and receipts.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use strongroom_analyzer::Analyzer;

use crate::commands::net::{NodeArgs, after_pass, block_on};

use super::{Common, write_file};

/// The owner-side executor.
#[derive(Debug, Subcommand)]
pub enum AnalyzerCommand {
    /// Watch for approved owner-side tasks on the organization's datasets; for each it
    /// can run, claim it, fetch its inputs' ciphertext here, decrypt it only in memory
    /// as the algorithm (a built-in, or a WebAssembly module from --modules) reads it,
    /// and write the result encrypted to its recipients (or the reason it failed).
    /// Runs as an executor of the owning organization, with its data key.
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
    /// Where inputs' ciphertext lives while a task runs (removed after each task);
    /// plaintext is never written.
    #[arg(long, value_name = "DIR", default_value = "strongroom-analyzer")]
    work_dir: PathBuf,
    /// A directory of WebAssembly algorithms, each named by its measurement
    /// (`MEASUREMENT.wasm`, as `algorithm register --wasm` prints it); each is checked
    /// against its measurement before it runs. Without it, only built-ins run.
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
}

/// Runs one `analyzer` subcommand.
pub fn run_analyzer(command: AnalyzerCommand) -> Result<()> {
    let AnalyzerCommand::Run(args) = command;
    block_on(async move {
        let (client, member) = args.common.open().await?;
        let identity = &args.common.member.identity;
        // The organization's data key: here already, or shared with this member on the
        // ledger; without it, nothing is claimed.
        let key = if crate::commands::org_key::org_key_path(identity).is_file() {
            args.common.member.org_data_key()?
        } else {
            let member_key = args.common.member.result_key()?;
            match crate::commands::org_key::fetch_shared(&client, &member, &member_key, identity)
                .await?
            {
                Some((key, share)) => {
                    eprintln!(
                        "fetched {}'s data key, shared with {} by {}",
                        share.to.msp_id, share.to.name, share.by.name
                    );
                    key
                }
                None => bail!(
                    "{} holds no organization data key ({}) and none was shared with it, so it \
                     cannot open any dataset of {}: it runs `strongroom org data-key publish`, \
                     then an owner runs `strongroom org data-key share --to {}`",
                    member.name(),
                    crate::commands::org_key::org_key_path(identity).display(),
                    member.msp_id(),
                    member.name()
                ),
            }
        };
        let mut analyzer = Analyzer::new(&client, &member, &key, &args.work_dir);
        if let Some(modules) = &args.modules {
            analyzer = analyzer.with_modules(modules);
        }
        loop {
            let done = analyzer.pass().await?;
            if after_pass(
                &done,
                args.common.node.json,
                args.once,
                args.interval,
                "analyzer",
            )
            .await?
            {
                return Ok(());
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
    Verify(crate::commands::ledger::ReceiptVerifyArgs),
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
        ReceiptCommand::Verify(args) => crate::commands::ledger::verify_receipt(&args),
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
