//! `strongroom bench enclave`: transactions executed per second by the trusted core
//! (decrypt + verify signature + no-op contract + encrypt entry + encrypt response),
//! against raw ECDSA P-256 verifications per second measured in the same run with the
//! same implementation (RustCrypto `p256`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use strongroom_contract::NoopContract;
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext, Organization,
};
use strongroom_identity::{OrgCa, Role, Validity};
use strongroom_tee::{CodeIdentity, SIM_WARNING, SimPlatform};
use time::OffsetDateTime;

/// Arguments of `bench enclave`.
#[derive(Debug, Args)]
pub struct EnclaveBenchArgs {
    /// Invocation bytes per transaction.
    #[arg(long, default_value_t = 1024)]
    payload: usize,
    /// Seconds per measurement round (each round measures both figures).
    #[arg(long, default_value_t = 2)]
    seconds: u64,
    /// Rounds; the best round of each figure is reported.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct EnclaveFigures {
    platform: &'static str,
    payload_bytes: usize,
    transactions: u64,
    transactions_per_s: f64,
    raw_ecdsa_p256_verify_per_s: f64,
    ratio_to_raw_verify: f64,
}

/// Requests prepared per batch (preparation is not timed).
const BATCH: usize = 512;

/// Runs the benchmark.
pub fn run(args: &EnclaveBenchArgs) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let validity = Validity::new(
        now - time::Duration::days(1),
        now + time::Duration::days(30),
    )?;
    let ca = OrgCa::new("BenchMSP", validity)?;
    let member = ca.enroll_member("bench", Role::Analyst, validity)?;
    let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &[0x5a; 32])?;
    let mut core = Enclave::new(Box::new(platform), Box::new(NoopContract));
    let constitution = Constitution {
        organizations: vec![Organization::from_der("BenchMSP", ca.cert_der())?],
        threshold: Default::default(),
        node_policy: None,
        worker_policy: None,
    };
    let EnclaveResponse::Genesis {
        ledger_payload,
        public_keys,
        ..
    } = core.handle(EnclaveRequest::Genesis { constitution })
    else {
        bail!("genesis failed");
    };
    let timestamp_ms = u64::try_from(now.unix_timestamp())? * 1000;
    let mut sequence = 1u64;
    let ctx = |sequence: u64| ExecuteContext {
        log_index: sequence,
        timestamp_ms,
        sequence,
        prev_hash: [sequence as u8; 32],
        voters: vec![1],
        learners: Vec::new(),
    };
    expect_executed(core.handle(EnclaveRequest::Execute {
        ctx: ctx(sequence),
        payload: ledger_payload,
    }))?;

    let invocation = vec![0xa5u8; args.payload];
    let budget = Duration::from_secs(args.seconds);
    let mut best_tx = 0f64;
    let mut best_verify = 0f64;
    let mut transactions = 0u64;
    for _ in 0..args.rounds {
        // Transactions through Execute.
        let mut executed = 0u64;
        let mut busy = Duration::ZERO;
        while busy < budget {
            let batch = (0..BATCH)
                .map(|_| {
                    PreparedRequest::transaction(
                        &public_keys.transaction_key,
                        &member,
                        invocation.clone(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut last = Vec::new();
            let start = Instant::now();
            for request in &batch {
                sequence += 1;
                let response = core.handle(EnclaveRequest::Execute {
                    ctx: ctx(sequence),
                    payload: request.payload.clone(),
                });
                last = expect_executed(response)?;
            }
            busy += start.elapsed();
            executed += BATCH as u64;
            // Check one response per batch, outside the timing: accepted, not refused.
            let reply = batch.last().context("empty batch")?.open_response(&last)?;
            if reply != Reply::Accept(Vec::new()) {
                bail!("the core refused a benchmark transaction: {reply:?}");
            }
        }
        transactions += executed;
        best_tx = best_tx.max(executed as f64 / busy.as_secs_f64());
        best_verify = best_verify.max(raw_verify_rate(args.payload, budget)?);
    }

    let figures = EnclaveFigures {
        platform: "sim",
        payload_bytes: args.payload,
        transactions,
        transactions_per_s: best_tx,
        raw_ecdsa_p256_verify_per_s: best_verify,
        ratio_to_raw_verify: best_tx / best_verify,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    println!(
        "strongroom bench enclave ({} B invocations, no-op contract, best of {} rounds of {} s)",
        args.payload, args.rounds, args.seconds
    );
    println!("  platform                  sim ({SIM_WARNING}; the core's work is the same)");
    println!("  transactions executed     {best_tx:>10.0} /s");
    println!("  raw ECDSA P-256 verify    {best_verify:>10.0} /s  (same implementation)");
    println!(
        "  ratio                     {:>9.0}%   (issue 4's 75% was met against RustCrypto's verify; ADR 0004)",
        figures.ratio_to_raw_verify * 100.0
    );
    Ok(())
}

/// The client response of an `Executed`.
fn expect_executed(response: EnclaveResponse) -> Result<Vec<u8>> {
    match response {
        EnclaveResponse::Executed { response, .. } => Ok(response),
        other => bail!("the core refused: {other:?}"),
    }
}

/// ECDSA P-256 verifications per second over `payload`-byte messages.
fn raw_verify_rate(payload: usize, budget: Duration) -> Result<f64> {
    let provider = default_provider();
    let key = provider.generate_signing_key(EcdsaCurve::P256)?;
    let message = vec![0x5au8; payload];
    let signature = provider.ecdsa_sign(&key, &message)?;
    super::verify_rate(&key.verifying_key(), &message, &signature, budget)
}
