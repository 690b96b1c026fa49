//! `strongroom worker`: the attested worker that runs TEE-mode tasks.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use strongroom_analyzer::{Worker, worker_identity};
use strongroom_crypto::provider::default_provider;
use strongroom_tee::{Platform, PlatformKind, SIM_WARNING, SimPlatform};

use crate::commands::net::{after_pass, block_on};
use crate::commands::sharing::Common;

/// The attested worker.
#[derive(Debug, Subcommand)]
pub enum WorkerCommand {
    /// Watch for approved TEE-mode tasks your organization is a party to; claim each
    /// with fresh evidence, receive its data keys (released by the core to a one-time
    /// key only this process holds), fetch the inputs' ciphertext, decrypt it only in
    /// memory as the algorithm reads it, and write the result sealed to its
    /// recipients with evidence bound to it. Meant to run in its own TEE; on the
    /// simulated platform it is INSECURE.
    Run(Box<WorkerRunArgs>),
    /// Print this build's worker measurement on a platform, and a worker policy that
    /// accepts it (for `node start --worker-policy` or `governance propose
    /// set-worker-policy`).
    Measurement(MeasurementArgs),
}

/// Arguments of `worker run`.
#[derive(Debug, Args)]
pub struct WorkerRunArgs {
    #[command(flatten)]
    common: Common,
    /// The TEE platform the worker runs on: only `sim` (INSECURE SIMULATION) outside a
    /// TEE.
    #[arg(long, default_value = "sim")]
    platform: String,
    /// Handle the tasks waiting now, then exit.
    #[arg(long)]
    once: bool,
    /// Seconds between polls.
    #[arg(long, default_value_t = 2)]
    interval: u64,
    /// How long a claim holds against other workers, in seconds (the contract's default
    /// of 15 minutes otherwise): after it, another worker may take over a task this one
    /// has not finished.
    #[arg(long, value_name = "SECONDS")]
    lease: Option<u64>,
    /// Where inputs' ciphertext lives while a task runs (removed after each task);
    /// plaintext is never written.
    #[arg(long, value_name = "DIR", default_value = "strongroom-worker")]
    work_dir: PathBuf,
    /// A directory of WebAssembly algorithms named `MEASUREMENT.wasm`.
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
}

/// Arguments of `worker measurement`.
#[derive(Debug, Args)]
pub struct MeasurementArgs {
    /// The platform.
    #[arg(long, default_value = "sim")]
    platform: String,
}

/// The worker's platform.
fn platform(name: &str) -> Result<Box<dyn Platform>> {
    let kind: PlatformKind = name.parse()?;
    if kind != PlatformKind::Sim {
        bail!(
            "--platform {name}: this build runs the worker on the simulated platform only \
             (a confidential VM or enclave image of the worker is not built yet)"
        );
    }
    Ok(Box::new(sim_worker()?))
}

/// This build's worker on the simulated platform (INSECURE), with a fresh host secret.
pub(crate) fn sim_worker() -> Result<SimPlatform> {
    let mut host_secret = [0u8; 32];
    default_provider()
        .fill_random(&mut host_secret)
        .map_err(|e| anyhow::anyhow!("random: {e}"))?;
    Ok(SimPlatform::new(&worker_identity(), &host_secret)?)
}

/// Runs one `worker` subcommand.
pub fn run(command: WorkerCommand) -> Result<()> {
    match command {
        WorkerCommand::Measurement(args) => {
            let platform = platform(&args.platform)?;
            let measurement = platform.measurement()?;
            println!("{measurement}");
            eprintln!(
                "a worker policy accepting it ({SIM_WARNING}: sim evidence can be forged):\n\n\
                 allow_simulated = true\n\n[[allow]]\nplatform = \"{}\"\nmeasurement = \"{measurement}\"",
                platform.kind()
            );
            Ok(())
        }
        WorkerCommand::Run(args) => block_on(async move {
            let platform = platform(&args.platform)?;
            eprintln!(
                "{SIM_WARNING}: this worker's evidence is signed by a software key; anyone \
                 can forge it. Use it for development only. Measurement {}",
                platform.measurement()?
            );
            let (client, member) = args.common.open().await?;
            let mut worker = Worker::new(&client, &member, platform.as_ref(), &args.work_dir);
            if let Some(modules) = &args.modules {
                worker = worker.with_modules(modules);
            }
            if let Some(seconds) = args.lease {
                worker = worker.with_lease_ms(seconds.saturating_mul(1000));
            }
            loop {
                let done = worker.pass().await?;
                if after_pass(
                    &done,
                    args.common.node.json,
                    args.once,
                    args.interval,
                    "worker",
                )
                .await?
                {
                    return Ok(());
                }
            }
        })?,
    }
}
