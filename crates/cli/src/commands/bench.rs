//! `strongroom bench …`: speed on this machine, with references measured in the same
//! run so that figures can be compared as ratios on a noisy machine.

mod api;
mod cluster;
mod enclave;
mod genomes;
mod keys;
mod ledger;
mod worker;

use std::io::{self, Read, Write};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{self, ObjectOptions};
use strongroom_crypto::provider::{EcdsaCurve, SignaturePolicy, default_provider};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The encrypted object format against `openssl speed -evp aes-256-gcm`, and ECDSA
    /// P-256 signatures per second.
    Crypto(CryptoBenchArgs),
    /// Entries per second committed durably through the single-node openraft path at
    /// several concurrencies, with commit latency and peak memory, against raw redb
    /// appends measured in the same run.
    Ledger(ledger::LedgerBenchArgs),
    /// Transactions per second executed by the trusted core (decrypt, verify the
    /// signature, no-op contract, encrypt entry and response) against raw ECDSA P-256
    /// verifications per second measured in the same run.
    Enclave(enclave::EnclaveBenchArgs),
    /// Transactions per second through the HTTPS API (request_permission-sized) with
    /// several concurrent clients, p50/p99 latency, the time of the demo flow, and
    /// `data put` of a large file against the object format's speed in the same run.
    Api(api::ApiBenchArgs),
    /// Transactions per second and latency with 64 clients on a three-node consortium
    /// (processes on loopback) against a single node in the same run, and the time
    /// from a leader's SIGKILL to the next acknowledged write.
    Cluster(cluster::ClusterBenchArgs),
    /// The three-hospital stratify in TEE mode from claim to sealed result (through an
    /// in-process node and attested worker) against the same stratify over the
    /// plaintext, and the WebAssembly count-by-group's rows per second against the
    /// native built-in on the same input, in the same run.
    Worker(worker::WorkerBenchArgs),
    /// One core-held key operation end to end through the HTTPS API (SHA-256 of 64 KiB,
    /// an ECDSA P-256 signature), p50 and p99, against the same operation in this
    /// process and the 41.92 ms published for a TrustZone crypto service for Fabric.
    Keys(keys::KeysBenchArgs),
    /// Records per second of the allele-frequency analysis on a generated VCF
    /// (100,000 sites x 1,000 samples by default, seeded) against `bcftools +fill-tags`
    /// on the same file, one core each, in the same run.
    Genomes(genomes::GenomesBenchArgs),
}

/// Arguments of `bench crypto`.
#[derive(Debug, Args)]
pub struct CryptoBenchArgs {
    /// Size of the object to encrypt and decrypt, in MiB.
    #[arg(long, default_value_t = 256)]
    size_mib: u64,
    /// Plaintext bytes per chunk.
    #[arg(long, default_value_t = object::DEFAULT_CHUNK_SIZE)]
    chunk_size: u32,
    /// Seconds for each openssl and ECDSA measurement.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs one benchmark.
pub fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Crypto(args) => crypto(&args),
        BenchCommand::Ledger(args) => ledger::run(&args),
        BenchCommand::Enclave(args) => enclave::run(&args),
        BenchCommand::Api(args) => api::run(&args),
        BenchCommand::Cluster(args) => cluster::run(&args),
        BenchCommand::Worker(args) => worker::run(&args),
        BenchCommand::Keys(args) => keys::run(&args),
        BenchCommand::Genomes(args) => genomes::run(&args),
    }
}

#[derive(Debug, Serialize)]
struct CryptoFigures {
    size_bytes: u64,
    chunk_size: u32,
    encrypt_mb_per_s: f64,
    decrypt_mb_per_s: f64,
    streaming_peak_rss_mib: Option<f64>,
    openssl_aes_256_gcm_16k_mb_per_s: Option<f64>,
    encrypt_ratio_to_openssl: Option<f64>,
    decrypt_ratio_to_openssl: Option<f64>,
    ecdsa_p256_sign_per_s: f64,
    ecdsa_p256_verify_per_s: f64,
}

/// A reader that yields `remaining` bytes of a fixed pseudo-random pattern, so that
/// the input costs no more than a memory copy and occupies 1 MiB whatever its size.
struct Pattern {
    block: Vec<u8>,
    position: usize,
    remaining: u64,
}

impl Pattern {
    fn new(size: u64) -> Self {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let block = (0..1 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        Self {
            block,
            position: 0,
            remaining: size,
        }
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(self.block.len() - self.position)
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&self.block[self.position..self.position + n]);
        self.position = (self.position + n) % self.block.len();
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn crypto(args: &CryptoBenchArgs) -> Result<()> {
    let size = args.size_mib * 1024 * 1024;
    let options = ObjectOptions {
        chunk_size: args.chunk_size,
    };
    let key = DataKey::generate();
    let mib = |bytes: u64, elapsed: Duration| bytes as f64 / 1e6 / elapsed.as_secs_f64();

    // Streaming, through a file: memory must stay flat whatever the size.
    reset_peak_rss();
    let spool = tempfile::tempfile().context("cannot create a temporary file")?;
    let mut writer = io::BufWriter::with_capacity(1 << 20, &spool);
    object::encrypt(&key, options, Pattern::new(size), &mut writer)?;
    writer.flush()?;
    drop(writer);
    let mut reader = io::BufReader::with_capacity(1 << 20, &spool);
    io::Seek::rewind(&mut reader)?;
    let streamed = object::decrypt(&key, reader, io::sink())?;
    if streamed != size {
        bail!("decrypted {streamed} bytes, expected {size}");
    }
    let streaming_peak_rss_mib = peak_rss_mib();
    drop(spool);

    // Throughput, in memory: the format's own cost. Encrypt into a sink; then, untimed,
    // into memory, and time decrypting that.
    let start = Instant::now();
    object::encrypt(&key, options, Pattern::new(size), io::sink())?;
    let encrypt_mb_per_s = mib(size, start.elapsed());
    let mut sealed = Vec::new();
    object::encrypt(&key, options, Pattern::new(size), &mut sealed)?;
    let start = Instant::now();
    let opened = object::decrypt(&key, &sealed[..], io::sink())?;
    let decrypt_mb_per_s = mib(opened, start.elapsed());
    drop(sealed);

    let openssl = openssl_aes_gcm(args.seconds);
    let (sign, verify) = ecdsa_rates(Duration::from_secs(args.seconds))?;

    let figures = CryptoFigures {
        size_bytes: size,
        chunk_size: args.chunk_size,
        encrypt_mb_per_s,
        decrypt_mb_per_s,
        streaming_peak_rss_mib,
        openssl_aes_256_gcm_16k_mb_per_s: openssl,
        encrypt_ratio_to_openssl: openssl.map(|o| encrypt_mb_per_s / o),
        decrypt_ratio_to_openssl: openssl.map(|o| decrypt_mb_per_s / o),
        ecdsa_p256_sign_per_s: sign,
        ecdsa_p256_verify_per_s: verify,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    let ratio = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{:.0}%", r * 100.0));
    println!(
        "strongroom bench crypto ({} MiB, {} B chunks)",
        args.size_mib, args.chunk_size
    );
    println!(
        "  object encrypt            {encrypt_mb_per_s:>10.0} MB/s  ({} of openssl)",
        ratio(figures.encrypt_ratio_to_openssl)
    );
    println!(
        "  object decrypt            {decrypt_mb_per_s:>10.0} MB/s  ({} of openssl)",
        ratio(figures.decrypt_ratio_to_openssl)
    );
    match openssl {
        Some(o) => println!("  openssl aes-256-gcm 16K   {o:>10.0} MB/s  (reference, single core)"),
        None => println!(
            "  openssl aes-256-gcm 16K          n/a  (openssl not found: apt-get install openssl)"
        ),
    }
    match streaming_peak_rss_mib {
        Some(m) => {
            println!("  peak memory, streaming    {m:>10.1} MiB (whole process, file to file)")
        }
        None => println!("  peak memory, streaming          n/a  (no /proc/self/status)"),
    }
    println!("  ECDSA P-256 sign          {sign:>10.0} /s");
    println!("  ECDSA P-256 verify        {verify:>10.0} /s");
    Ok(())
}

/// `openssl speed -evp aes-256-gcm -bytes 16384`, in MB/s, if openssl is installed.
fn openssl_aes_gcm(seconds: u64) -> Option<f64> {
    let output = Process::new("openssl")
        .args([
            "speed",
            "-evp",
            "aes-256-gcm",
            "-bytes",
            "16384",
            "-seconds",
        ])
        .arg(seconds.to_string())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The result line: "AES-256-GCM    4343496.70k" (thousands of bytes per second).
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.to_ascii_uppercase().starts_with("AES-256-GCM"))?;
    let figure = line.split_whitespace().last()?.strip_suffix('k')?;
    figure.parse::<f64>().ok().map(|k| k / 1000.0)
}

fn ecdsa_rates(budget: Duration) -> Result<(f64, f64)> {
    let provider = default_provider();
    let key = provider.generate_signing_key(EcdsaCurve::P256)?;
    let message = [0x5au8; 256];
    let start = Instant::now();
    let mut signs = 0u64;
    let mut signature = provider.ecdsa_sign(&key, &message)?;
    while start.elapsed() < budget {
        for _ in 0..64 {
            signature = provider.ecdsa_sign(&key, &message)?;
        }
        signs += 64;
    }
    let sign_rate = signs as f64 / start.elapsed().as_secs_f64();
    let verify_rate = verify_rate(&key.verifying_key(), &message, &signature, budget)?;
    Ok((sign_rate, verify_rate))
}

/// ECDSA verifications per second of `signature` over `message`, measured for about
/// `budget` with the default provider (the implementation the core uses).
fn verify_rate(
    verifying: &strongroom_crypto::provider::VerifyingKey,
    message: &[u8],
    signature: &[u8],
    budget: Duration,
) -> Result<f64> {
    let provider = default_provider();
    let start = Instant::now();
    let mut verifies = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            provider
                .ecdsa_verify(verifying, message, signature, SignaturePolicy::LowS)
                .context("benchmark signature did not verify")?;
        }
        verifies += 64;
    }
    Ok(verifies as f64 / start.elapsed().as_secs_f64())
}

fn reset_peak_rss() {
    // Writing 5 to clear_refs resets the peak resident set size (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
