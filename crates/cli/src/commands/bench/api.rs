//! `strongroom bench api`: transactions per second through the HTTPS API, the time of
//! the demo flow, and `data put` throughput against the object format's own speed.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde::Serialize;
use strongroom_client::Client;
use strongroom_client::data::put_file;
use strongroom_contract::sharing::{
    AlgorithmKind, Consent, Created, DatasetFile, DatasetKind, Invocation, OutputRule,
    RegisterAlgorithm, RegisterDataset, RequestPermission, ReserveLocations, Reserved, Scope,
    SharingContract, WrappedKey,
};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{self, ObjectOptions};
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_identity::{Member, OrgCa, Role, Validity};
use strongroom_node::{GenesisOrg, Node, NodeSettings, RunningNode};

use super::super::net::insecure_sim_policy;
use super::{Pattern, peak_rss_mib, reset_peak_rss, verify_rate};

/// Arguments of `bench api`.
#[derive(Debug, Args)]
pub struct ApiBenchArgs {
    /// Concurrent clients, one measurement each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Transactions each client sends per measurement (built and signed beforehand, so
    /// that the clients' own signing does not compete with the node for the CPU).
    #[arg(long, default_value_t = 400)]
    per_client: usize,
    /// Size of the file `data put` uploads, in MiB (0 skips it).
    #[arg(long, default_value_t = 1024)]
    put_mib: u64,
    /// Skip timing the demo flow.
    #[arg(long)]
    no_demo: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct Level {
    pub(super) clients: usize,
    pub(super) transactions: usize,
    pub(super) refused: usize,
    pub(super) tx_per_s: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
}

#[derive(Debug, Serialize)]
struct Put {
    size_bytes: u64,
    put_mb_per_s: f64,
    object_encrypt_mb_per_s: f64,
    ratio_to_object_format: f64,
    raw_https_put_mb_per_s: f64,
    ratio_to_raw_https_put: f64,
    peak_rss_mib: Option<f64>,
    baseline_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ApiFigures {
    transaction_bytes: usize,
    levels: Vec<Level>,
    ecdsa_p256_verify_per_s: f64,
    demo_seconds: Option<f64>,
    put: Option<Put>,
}

struct Bench {
    running: RunningNode,
    target: Target,
}

/// A deployment to load: its nodes' API URLs (clients spread over them), a client of
/// the first, the analyst who requests permissions, and the dataset and algorithms
/// the requests name.
pub(super) struct Target {
    pub(super) urls: Vec<String>,
    pub(super) client: Client,
    pub(super) bob: std::sync::Arc<Member>,
    dataset: String,
    algorithms: Vec<String>,
    columns: Vec<String>,
}

impl Target {
    /// The dataset the requests name.
    pub(super) fn dataset_id(&self) -> &str {
        &self.dataset
    }

    /// The algorithms the requests name.
    pub(super) fn algorithm_ids(&self) -> &[String] {
        &self.algorithms
    }

    /// The columns the requests name.
    pub(super) fn column_names(&self) -> &[String] {
        &self.columns
    }
}

/// Runs the benchmark.
pub fn run(args: &ApiBenchArgs) -> Result<()> {
    let base = tempfile::tempdir().context("cannot create a temporary directory")?;
    let demo_seconds = if args.no_demo {
        None
    } else {
        Some(time_demo()?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if !args.json {
        println!(
            "strongroom bench api (request_permission transactions over HTTPS, node in this process)"
        );
    }
    let figures = runtime.block_on(async {
        let bench = setup(base.path()).await?;
        // The upload first, while the process holds nothing else.
        let put = if args.put_mib > 0 {
            Some(measure_put(&bench, base.path(), args.put_mib).await?)
        } else {
            None
        };
        let mut levels = Vec::new();
        let mut transaction_bytes = 0;
        for &clients in &args.clients {
            let (level, bytes) = measure(&bench.target, clients, args.per_client).await?;
            transaction_bytes = bytes;
            if !args.json {
                print_level(&level);
            }
            levels.push(level);
        }
        bench.running.shutdown().await?;
        anyhow::Ok(ApiFigures {
            transaction_bytes,
            levels,
            ecdsa_p256_verify_per_s: 0.0,
            demo_seconds,
            put,
        })
    })?;
    let mut figures = figures;
    figures.ecdsa_p256_verify_per_s = ecdsa_reference()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    println!(
        "  reference: ECDSA P-256 verify {:.0}/s on one core (the core verifies every transaction)",
        figures.ecdsa_p256_verify_per_s
    );
    if let Some(seconds) = figures.demo_seconds {
        println!("  strongroom demo (whole flow, 1000 synthetic patients): {seconds:.2} s");
    }
    if let Some(put) = &figures.put {
        println!(
            "  data put {} MiB: {:.0} MB/s = {:.0}% of the object format's {:.0} MB/s, {:.0}% of a plain HTTPS upload's {:.0} MB/s; peak memory {}",
            put.size_bytes >> 20,
            put.put_mb_per_s,
            put.ratio_to_object_format * 100.0,
            put.object_encrypt_mb_per_s,
            put.ratio_to_raw_https_put * 100.0,
            put.raw_https_put_mb_per_s,
            match (put.peak_rss_mib, put.baseline_rss_mib) {
                (Some(peak), Some(base)) => format!(
                    "{peak:.1} MiB for the whole process (node and client), {:.1} MiB above its {base:.1} MiB before the upload",
                    peak - base
                ),
                _ => "n/a".into(),
            }
        );
    }
    Ok(())
}

pub(super) fn print_level(level: &Level) {
    println!(
        "  {:>3} clients: {:>7.0} tx/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} tx{})",
        level.clients,
        level.tx_per_s,
        level.p50_ms,
        level.p99_ms,
        level.max_ms,
        level.transactions,
        if level.refused > 0 {
            format!(", {} refused", level.refused)
        } else {
            String::new()
        }
    );
}

fn ecdsa_reference() -> Result<f64> {
    let provider = strongroom_crypto::provider::default_provider();
    let key = provider.generate_signing_key(strongroom_crypto::provider::EcdsaCurve::P256)?;
    let message = [0x5au8; 512];
    let signature = provider.ecdsa_sign(&key, &message)?;
    verify_rate(
        &key.verifying_key(),
        &message,
        &signature,
        Duration::from_secs(2),
    )
}

/// Runs `strongroom demo` (this executable) and times it.
fn time_demo() -> Result<f64> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let start = Instant::now();
    let output = std::process::Command::new(exe)
        .arg("demo")
        .output()
        .context("cannot run strongroom demo")?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "strongroom demo failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(seconds)
}

async fn setup(base: &Path) -> Result<Bench> {
    let validity = || Validity::starting_now(time::Duration::days(1));
    let mut orgs = Vec::new();
    let mut members = Vec::new();
    for (msp, name, role) in [
        ("Org1MSP", "alice", Role::Owner),
        ("Org2MSP", "bob", Role::Analyst),
    ] {
        let dir = base.join(msp);
        std::fs::create_dir_all(&dir)?;
        let ca = OrgCa::new(msp, validity()?)?;
        ca.save(&dir, None)?;
        members.push(ca.enroll_member(name, role, validity()?)?);
        orgs.push(GenesisOrg {
            msp_id: msp.into(),
            ca_cert: dir.join("ca.pem"),
        });
    }
    let settings = NodeSettings {
        data_dir: base.join("node"),
        listen: "127.0.0.1:0".parse()?,
        organizations: orgs,
        rate_per_second: 1_000_000,
        rate_burst: 1_000_000,
        // Every benchmark client signs as the same member.
        member_rate_per_second: 1_000_000,
        member_rate_burst: 1_000_000,
        ..NodeSettings::default()
    };
    let node = Node::open(&settings, Box::new(SharingContract)).await?;
    let running = RunningNode::start(node, &settings).await?;
    let url = format!("https://localhost:{}", running.addr().port());
    let client = Client::connect(&url, None, &insecure_sim_policy()).await?;
    let bob = members.pop().ok_or_else(|| anyhow!("no member"))?;
    let alice = members.pop().ok_or_else(|| anyhow!("no member"))?;
    let target = prepare(vec![url], client, &alice, bob).await?;
    Ok(Bench { running, target })
}

/// Registers, as `alice` (an owner of Org1MSP), a dataset (metadata only) and, as
/// `bob`, the algorithms his requests name.
pub(super) async fn prepare(
    urls: Vec<String>,
    client: Client,
    alice: &Member,
    bob: Member,
) -> Result<Target> {
    let columns: Vec<String> = [
        "Id",
        "BIRTHDATE",
        "DEATHDATE",
        "GENDER",
        "RACE",
        "ETHNICITY",
        "START",
        "STOP",
        "PATIENT",
        "CODE",
        "DESCRIPTION",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    let digest = "ab".repeat(32);
    // Metadata only, but the location must be one the contract reserved.
    let reserved: Reserved = client
        .invoke(
            alice,
            &Invocation::ReserveLocations(ReserveLocations { count: 1 }),
        )
        .await?
        .value;
    let location = reserved
        .locations
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("the contract reserved no location"))?;
    let dataset: Created = client
        .invoke(
            alice,
            &Invocation::RegisterDataset(RegisterDataset {
                name: "bench patients".into(),
                kind: DatasetKind::Csv,
                description: "metadata only: the benchmark never reads the files".into(),
                labels: vec!["bench".into()],
                consent: Consent {
                    purposes: vec!["research".into()],
                    expires_at_ms: None,
                },
                files: vec![DatasetFile {
                    name: "patients.csv".into(),
                    columns: columns.clone(),
                    plaintext_sha256: digest.clone(),
                    ciphertext_sha256: digest,
                    size_bytes: 1,
                    location,
                    genome: None,
                }],
                wrapped_keys: vec![WrappedKey {
                    recipient: "org:Org1MSP".into(),
                    key: "00".repeat(64),
                }],
                time_column: None,
                epsilon_budget_micro: None,
                min_cell_size: None,
            }),
        )
        .await?
        .value;
    let mut algorithms = Vec::new();
    for name in ["describe", "stratify"] {
        let created: Created = client
            .invoke(
                &bob,
                &Invocation::RegisterAlgorithm(RegisterAlgorithm {
                    name: name.into(),
                    kind: AlgorithmKind::Builtin,
                    measurement: super::super::flow::builtin_measurement(name),
                    description: String::new(),
                    inputs: Vec::new(),
                    outputs: Vec::new(),
                    aggregate_only: true,
                    differentially_private: false,
                    output_rule: Some(OutputRule::SmallCellsSuppressed),
                }),
            )
            .await?
            .value;
        algorithms.push(created.id);
    }
    Ok(Target {
        urls,
        client,
        bob: std::sync::Arc::new(bob),
        dataset: dataset.id,
        algorithms,
        columns,
    })
}

/// `clients` concurrent clients, each with its own connection, each commit
/// `per_client` request_permission transactions, prepared (signed and encrypted)
/// beforehand.
pub(super) async fn measure(
    bench: &Target,
    clients: usize,
    per_client: usize,
) -> Result<(Level, usize)> {
    // Written as the SDK writes it: the typed invocation, "op" first.
    let invocation = serde_json::to_vec(&Invocation::RequestPermission(RequestPermission {
        dataset: bench.dataset.clone(),
        purpose: "research".into(),
        algorithms: bench.algorithms.clone(),
        scope: Scope {
            columns: bench.columns.clone(),
            rows: None,
            expires_at_ms: None,
        },
    }))?;
    let key = bench.client.public_keys().transaction_key.clone();
    let mut batches = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut batch = Vec::with_capacity(per_client);
        for _ in 0..per_client {
            batch.push(PreparedRequest::transaction(
                &key,
                &bench.bob,
                invocation.clone(),
            )?);
        }
        batches.push(batch);
    }
    let size = batches
        .first()
        .and_then(|b| b.first())
        .map_or(0, |p| p.payload.len());
    // Each client is its own SDK instance with its own connection (and attestation
    // check), as separate users would be.
    let mut connected = Vec::with_capacity(clients);
    for i in 0..clients {
        let url = &bench.urls[i % bench.urls.len()];
        connected.push(Client::connect(url, None, &insecure_sim_policy()).await?);
    }
    let start = Instant::now();
    let mut handles = Vec::with_capacity(clients);
    for (batch, client) in batches.into_iter().zip(connected) {
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(batch.len());
            let mut refused = 0usize;
            for prepared in &batch {
                let sent = Instant::now();
                let committed = client.submit_prepared(prepared).await?;
                latencies.push(sent.elapsed());
                if !matches!(committed.reply, Reply::Accept(_)) {
                    refused += 1;
                }
            }
            anyhow::Ok((latencies, refused))
        }));
    }
    let mut latencies = Vec::new();
    let mut refused = 0;
    for handle in handles {
        let (mut l, r) = handle.await.map_err(|e| anyhow!("client task: {e}"))??;
        latencies.append(&mut l);
        refused += r;
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let ms = |q: f64| {
        let index = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies
            .get(index.min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Ok((
        Level {
            clients,
            transactions: latencies.len(),
            refused,
            tx_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: ms(0.50),
            p99_ms: ms(0.99),
            max_ms: ms(1.0),
        },
        size,
    ))
}

/// Uploads a `mib` MiB file with `data put`'s streaming encryption, against the object
/// format's in-memory encryption speed measured in the same run.
async fn measure_put(bench: &Bench, base: &Path, mib: u64) -> Result<Put> {
    let size = mib << 20;
    let path = base.join("put.bin");
    {
        let file = std::fs::File::create(&path)?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        std::io::copy(&mut Pattern::new(size), &mut writer)?;
        writer.flush()?;
        writer
            .into_inner()
            .map_err(|e| anyhow!("{e}"))?
            .sync_all()?;
    }
    let key = DataKey::generate();
    let start = Instant::now();
    object::encrypt(
        &key,
        ObjectOptions::default(),
        Pattern::new(size),
        std::io::sink(),
    )?;
    let object_encrypt_mb_per_s = size as f64 / 1e6 / start.elapsed().as_secs_f64();
    reset_peak_rss();
    let baseline = peak_rss_mib();
    let start = Instant::now();
    let uploaded = put_file(
        &bench.target.client,
        &bench.target.bob,
        &path,
        "bench/put.bin",
        &key,
        |_| {},
    )
    .await?;
    let put_mb_per_s = size as f64 / 1e6 / start.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    if uploaded.plaintext_size != size {
        bail!("uploaded {} bytes of {size}", uploaded.plaintext_size);
    }
    // The transport's ceiling: the same file over the same HTTPS endpoint, neither
    // encrypted nor hashed by the client (the node still hashes and stores it).
    let start = Instant::now();
    let file = tokio::fs::File::open(&path).await?;
    let body = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20);
    let raw = bench
        .target
        .client
        .put_object(&bench.target.bob, "bench/raw.bin", body)
        .await?;
    let raw_https_put_mb_per_s = size as f64 / 1e6 / start.elapsed().as_secs_f64();
    if raw.size != size {
        bail!("the raw upload stored {} bytes of {size}", raw.size);
    }
    let _ = std::fs::remove_file(&path);
    Ok(Put {
        size_bytes: size,
        put_mb_per_s,
        object_encrypt_mb_per_s,
        ratio_to_object_format: put_mb_per_s / object_encrypt_mb_per_s,
        raw_https_put_mb_per_s,
        ratio_to_raw_https_put: put_mb_per_s / raw_https_put_mb_per_s,
        peak_rss_mib: peak,
        baseline_rss_mib: baseline,
    })
}
