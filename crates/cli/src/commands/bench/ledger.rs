//! `strongroom bench ledger`: entries committed durably through the single-node openraft
//! path, against raw redb appends measured in the same run.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use redb::TableDefinition;
use serde::Serialize;
use strongroom_consensus::{ChainApplier, ConsensusNode, NodeConfig};
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_ledger::SignatureSchedule;

use super::{peak_rss_mib, reset_peak_rss};

/// Arguments of `bench ledger`.
#[derive(Debug, Args)]
pub struct LedgerBenchArgs {
    /// Concurrent proposers, one measurement each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,256")]
    proposers: Vec<usize>,
    /// Payload bytes per entry.
    #[arg(long, default_value_t = 1024)]
    payload: usize,
    /// Seconds per measurement (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Entries per transaction for the raw redb reference.
    #[arg(long, default_value_t = 256)]
    raw_batch: usize,
    /// Directory for the temporary stores (default: the system temp directory). Use a
    /// directory on the disk you want to measure.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Level {
    proposers: usize,
    entries: u64,
    entries_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    peak_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Raw {
    batch: usize,
    entries_per_s: f64,
    fsyncs_per_s: f64,
}

#[derive(Debug, Serialize)]
struct LedgerFigures {
    payload_bytes: usize,
    seconds: u64,
    levels: Vec<Level>,
    raw_redb: Vec<Raw>,
    /// Entries/s through openraft at the most proposers over raw redb appends of
    /// `raw_batch` entries per fsync.
    ratio_to_raw: Option<f64>,
}

/// Runs the benchmark.
pub fn run(args: &LedgerBenchArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let base = match &args.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .context("creating a temporary directory")?;
    let measure = Duration::from_secs(args.seconds.max(1));

    let mut levels = Vec::new();
    for &proposers in &args.proposers {
        let dir = tempfile::tempdir_in(base.path())?;
        let level = runtime.block_on(through_raft(
            dir.path(),
            proposers.max(1),
            args.payload,
            measure,
        ))?;
        if !args.json {
            eprintln!(
                "{:>4} proposers: {:>8.0} entries/s, p50 {:.2} ms, p99 {:.2} ms",
                level.proposers, level.entries_per_s, level.p50_ms, level.p99_ms
            );
        }
        levels.push(level);
    }

    // The raw reference runs after the Raft levels, so its memory does not count in
    // their peak.
    let mut raw_redb = Vec::new();
    for batch in [1, args.raw_batch.max(1)] {
        let dir = tempfile::tempdir_in(base.path())?;
        raw_redb.push(raw_append(dir.path(), batch, args.payload, measure)?);
    }

    let raw_reference = raw_redb.last().map(|r| r.entries_per_s);
    let best = levels.iter().max_by_key(|l| l.proposers);
    let figures = LedgerFigures {
        payload_bytes: args.payload,
        seconds: measure.as_secs(),
        ratio_to_raw: best
            .zip(raw_reference)
            .map(|(level, raw)| level.entries_per_s / raw),
        levels,
        raw_redb,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    println!(
        "ledger through single-node openraft, {} B payloads, {} s each (fsync before every acknowledgement)",
        figures.payload_bytes, figures.seconds
    );
    println!(
        "{:>10} {:>12} {:>10} {:>10} {:>10} {:>14}",
        "proposers", "entries/s", "p50 ms", "p99 ms", "max ms", "peak RSS MiB"
    );
    for l in &figures.levels {
        println!(
            "{:>10} {:>12.0} {:>10.2} {:>10.2} {:>10.2} {:>14}",
            l.proposers,
            l.entries_per_s,
            l.p50_ms,
            l.p99_ms,
            l.max_ms,
            l.peak_rss_mib
                .map_or_else(|| "n/a".into(), |m| format!("{m:.1}"))
        );
    }
    for r in &figures.raw_redb {
        println!(
            "raw redb append, {:>4} entries per fsync'd transaction: {:>10.0} entries/s ({:.0} fsyncs/s)",
            r.batch, r.entries_per_s, r.fsyncs_per_s
        );
    }
    if let Some(ratio) = figures.ratio_to_raw {
        println!(
            "ratio: openraft path at {} proposers / raw redb at {} per transaction = {ratio:.2}",
            figures.levels.last().map_or(0, |l| l.proposers),
            args.raw_batch
        );
    }
    Ok(())
}

const RAW: TableDefinition<u64, &[u8]> = TableDefinition::new("raw");

/// Appends `payload`-byte values to a bare redb table, `batch` per durable
/// transaction, for `measure`.
fn raw_append(dir: &Path, batch: usize, payload: usize, measure: Duration) -> Result<Raw> {
    // The same page cache as the node's stores.
    let db = redb::Builder::new()
        .set_cache_size(64 * 1024 * 1024)
        .create(dir.join("raw.redb"))
        .context("creating the raw redb file")?;
    let value = vec![0x5a_u8; payload];
    let mut key = 0u64;
    let mut transactions = 0u64;
    let start = Instant::now();
    while start.elapsed() < measure {
        let txn = db.begin_write()?;
        {
            let mut table = txn.open_table(RAW)?;
            for _ in 0..batch {
                key += 1;
                table.insert(key, value.as_slice())?;
            }
        }
        txn.commit()?;
        transactions += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Raw {
        batch,
        entries_per_s: key as f64 / seconds,
        fsyncs_per_s: transactions as f64 / seconds,
    })
}

async fn through_raft(
    dir: &Path,
    proposers: usize,
    payload: usize,
    measure: Duration,
) -> Result<Level> {
    let key = default_provider().generate_signing_key(EcdsaCurve::P256)?;
    let config = NodeConfig {
        schedule: SignatureSchedule {
            max_entries: 1000,
            max_interval_ms: 1000,
        },
        ..NodeConfig::single(dir)
    };
    let node = Arc::new(
        ConsensusNode::start_single(config, key, ChainApplier::default())
            .await
            .context("starting the node")?,
    );
    let warmup = Duration::from_secs(1);
    reset_peak_rss();
    let start = Instant::now();
    let measure_from = start + warmup;
    let until = measure_from + measure;
    let mut tasks = Vec::with_capacity(proposers);
    for p in 0..proposers {
        let node = Arc::clone(&node);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let mut body = vec![0u8; payload.max(16)];
                body[..8].copy_from_slice(&(p as u64).to_be_bytes());
                body[8..16].copy_from_slice(&n.to_be_bytes());
                n += 1;
                node.propose(body).await?;
                if sent >= measure_from {
                    latencies.push(sent.elapsed());
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.context("proposer task")??);
    }
    let peak = peak_rss_mib();
    let node = Arc::into_inner(node).context("node still shared")?;
    node.shutdown().await?;
    latencies.sort_unstable();
    let pct = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(Level {
        proposers,
        entries: latencies.len() as u64,
        entries_per_s: latencies.len() as f64 / measure.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        peak_rss_mib: peak,
    })
}
