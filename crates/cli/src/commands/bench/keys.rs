//! `strongroom bench keys`: one core-held key operation end to end through the HTTPS
//! API (a transaction: signed, sealed, ordered, executed in the core, recorded on the
//! ledger, answered), for SHA-256 of 64 KiB and an ECDSA P-256 signature, p50 and p99;
//! against the same operation in this process without the node, measured in the same
//! run, and the 41.92 ms per 64 KiB hash transaction published for a TrustZone-based
//! crypto service for Fabric.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use strongroom_client::Client;
use strongroom_contract::sharing::SharingContract;
use strongroom_crypto::provider::{EcdsaCurve, HashAlgorithm, default_provider};
use strongroom_enclave::keys::{KeyInvocation, KeyView, Output};
use strongroom_identity::{Member, Role};
use strongroom_node::{GenesisOrg, Node, NodeSettings, RunningNode};

use crate::commands::demo::{enroll, make_org};
use crate::commands::net::insecure_sim_policy;

/// The published figure compared against (ms per 64 KiB SHA-256 transaction).
const FABRIC_TRUSTZONE_HASH_MS: f64 = 41.92;

/// Arguments of `bench keys`.
#[derive(Debug, Args)]
pub struct KeysBenchArgs {
    /// Operations timed of each kind (one client, one at a time).
    #[arg(long, default_value_t = 500)]
    operations: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Latency {
    operations: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    in_process_p50_ms: f64,
}

#[derive(Debug, Serialize)]
struct KeysFigures {
    sha256_64kib: Latency,
    ecdsa_p256_sign: Latency,
    published_fabric_trustzone_hash_ms: f64,
}

fn latency(mut samples: Vec<Duration>, mut reference: Vec<Duration>) -> Latency {
    samples.sort();
    reference.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |v: &[Duration], q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .map_or(0.0, ms)
    };
    Latency {
        operations: samples.len(),
        p50_ms: at(&samples, 0.5),
        p99_ms: at(&samples, 0.99),
        max_ms: samples.last().copied().map_or(0.0, ms),
        in_process_p50_ms: at(&reference, 0.5),
    }
}

/// Runs the benchmark.
pub fn run(args: &KeysBenchArgs) -> Result<()> {
    let base = tempfile::tempdir().context("cannot create a temporary directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let operations = args.operations.max(1);
    let figures = runtime.block_on(async {
        let org = make_org(base.path(), "Org1MSP")?;
        let alice = enroll(&org, "alice", Role::Owner)?;
        let settings = NodeSettings {
            data_dir: base.path().join("node"),
            listen: "127.0.0.1:0".parse()?,
            organizations: vec![GenesisOrg {
                msp_id: "Org1MSP".into(),
                ca_cert: org.dir.join("ca.pem"),
            }],
            member_rate_per_second: 1_000_000,
            member_rate_burst: 1_000_000,
            ..NodeSettings::default()
        };
        let node = Node::open(&settings, Box::new(SharingContract)).await?;
        let running = RunningNode::start(node, &settings).await?;
        let outcome = measure(&running, &alice, operations).await;
        running.shutdown().await?;
        outcome
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    for (name, l) in [
        ("SHA-256 of 64 KiB", &figures.sha256_64kib),
        ("ECDSA P-256 sign", &figures.ecdsa_p256_sign),
    ] {
        println!(
            "{name:>18}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms through the API ({} transactions); {:.3} ms in this process without the node",
            l.p50_ms, l.p99_ms, l.max_ms, l.operations, l.in_process_p50_ms
        );
    }
    let p50 = figures.sha256_64kib.p50_ms;
    println!(
        "published TrustZone crypto service for Fabric: {FABRIC_TRUSTZONE_HASH_MS} ms per 64 KiB hash transaction; here {:.1}x faster at p50 (target: under 1 ms p50: {})",
        FABRIC_TRUSTZONE_HASH_MS / p50,
        if p50 < 1.0 { "met" } else { "NOT MET" }
    );
    Ok(())
}

async fn measure(running: &RunningNode, alice: &Member, operations: usize) -> Result<KeysFigures> {
    let url = format!("https://localhost:{}", running.addr().port());
    let client = Client::connect(&url, None, &insecure_sim_policy()).await?;
    let invocation =
        |v: serde_json::Value| -> Result<KeyInvocation> { Ok(serde_json::from_value(v)?) };
    let key: KeyView = client
        .use_key(
            alice,
            &invocation(json!({"op": "create_key", "kind": "ecdsa_p256",
                "usage": [{"msp_id": "Org1MSP", "roles": ["owner"]}]}))?,
        )
        .await?
        .value;
    let data: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    let hash =
        invocation(json!({"op": "hash", "algorithm": "sha256", "data": hex::encode(&data)}))?;
    let sign = invocation(
        json!({"op": "sign", "key": key.id, "data": hex::encode(b"a transaction to sign")}),
    )?;
    let provider = default_provider();
    let local_key = provider.generate_signing_key(EcdsaCurve::P256)?;
    let mut figures = Vec::new();
    for (invocation, kind) in [(&hash, 0), (&sign, 1)] {
        let (mut through, mut local) = (Vec::new(), Vec::new());
        for _ in 0..operations {
            let started = Instant::now();
            let answered: Output = client.use_key(alice, invocation).await?.value;
            through.push(started.elapsed());
            if answered.output.is_empty() {
                return Err(anyhow!("an empty answer"));
            }
            let started = Instant::now();
            match kind {
                0 => drop(provider.hash(HashAlgorithm::Sha256, &data)?),
                _ => drop(provider.ecdsa_sign(&local_key, b"a transaction to sign")?),
            }
            local.push(started.elapsed());
        }
        figures.push(latency(through, local));
    }
    let ecdsa_p256_sign = figures.pop().ok_or_else(|| anyhow!("no figures"))?;
    let sha256_64kib = figures.pop().ok_or_else(|| anyhow!("no figures"))?;
    Ok(KeysFigures {
        sha256_64kib,
        ecdsa_p256_sign,
        published_fabric_trustzone_hash_ms: FABRIC_TRUSTZONE_HASH_MS,
    })
}
