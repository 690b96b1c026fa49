//! `strongroom bench cluster`: transactions per second and latency with many clients on
//! a three-node consortium (one node per organization, each its own process, writes
//! forwarded to the leader) against a single node started the same way in the same
//! run; and the time from a SIGKILL of the leader to the first acknowledged write
//! sent after it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde::Serialize;
use strongroom_client::Client;
use strongroom_contract::sharing::{Invocation, RequestPermission, Scope};
use strongroom_identity::{OrgCa, Role};
use strongroom_node::NodeSettings;

use super::api::{Level, Target, measure, prepare, print_level};
use crate::commands::devnet::{self, Devnet, gauge, ops_client, spawn_node};
use crate::commands::identity::validity;
use crate::commands::net::insecure_sim_policy;

/// Arguments of `bench cluster`.
#[derive(Debug, Args)]
pub struct ClusterBenchArgs {
    /// Concurrent clients (spread over the nodes).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Transactions each client sends per measurement.
    #[arg(long, default_value_t = 100)]
    per_client: usize,
    /// Measurements of each deployment, alternating single node and cluster.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Leader kills timed.
    #[arg(long, default_value_t = 5)]
    kills: usize,
    /// The election timeout of both deployments, ms (the default of `node start`).
    #[arg(long, default_value_t = 500)]
    election_timeout_ms: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Round {
    single: Level,
    cluster: Level,
    ratio: f64,
    /// CPU time of the node processes per transaction (user + system), ms.
    single_cpu_ms_per_tx: f64,
    cluster_cpu_ms_per_tx: f64,
}

/// User and system CPU time of the devnet's node processes so far, ms.
fn cpu_ms(devnet: &Devnet) -> f64 {
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    devnet
        .nodes
        .iter()
        .filter_map(|n| std::fs::read_to_string(format!("/proc/{}/stat", n.pid)).ok())
        .filter_map(|stat| {
            // Fields after the command name: state is field 3, utime 14, stime 15.
            let rest = stat.rsplit_once(") ")?.1;
            let fields: Vec<&str> = rest.split(' ').collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) * 1000.0 / ticks)
        })
        .sum()
}

#[derive(Debug, Serialize)]
struct ClusterFigures {
    rounds: Vec<Round>,
    median_ratio: f64,
    failover_ms: Vec<f64>,
    failover_median_ms: f64,
    failover_max_ms: f64,
    election_timeout_ms: u64,
}

/// Both deployments let one member send as fast as the clients can.
fn unthrottled(settings: &mut NodeSettings) {
    settings.rate_per_second = 1_000_000;
    settings.rate_burst = 1_000_000;
    settings.member_rate_per_second = 1_000_000;
    settings.member_rate_burst = 1_000_000;
}

/// Runs the benchmark.
pub fn run(args: &ClusterBenchArgs) -> Result<()> {
    if args.clients == 0 || args.per_client == 0 || args.rounds == 0 {
        bail!("--clients, --per-client and --rounds must be positive");
    }
    let base = tempfile::tempdir().context("cannot create a temporary directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if !args.json {
        println!(
            "strongroom bench cluster (request_permission transactions over HTTPS; each node its own process; INSECURE SIMULATION)"
        );
    }
    let figures = runtime.block_on(async {
        let single_dir = base.path().join("single");
        let cluster_dir = base.path().join("cluster");
        let single = devnet::start(&single_dir, 1, 2, args.election_timeout_ms, unthrottled).await;
        let cluster = match &single {
            Ok(_) => devnet::start(&cluster_dir, 3, 3, args.election_timeout_ms, unthrottled).await,
            Err(_) => Err(anyhow!("not started")),
        };
        let figures = match (&single, cluster) {
            (Ok(single), Ok(mut cluster)) => {
                let figures = measure_both(args, single, &mut cluster).await;
                devnet::stop(&cluster);
                figures
            }
            (Err(e), _) => Err(anyhow!("the single node did not start: {e:#}")),
            (Ok(_), Err(e)) => Err(anyhow!("the cluster did not form: {e:#}")),
        };
        if let Ok(single) = &single {
            devnet::stop(single);
        }
        figures
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
        return Ok(());
    }
    println!(
        "  cluster/single tx/s: {} (median {:.2}; target at least 0.5); cluster p99 {} (target under 25 ms)",
        figures
            .rounds
            .iter()
            .map(|r| format!("{:.2}", r.ratio))
            .collect::<Vec<_>>()
            .join(", "),
        figures.median_ratio,
        figures
            .rounds
            .iter()
            .map(|r| format!("{:.1} ms", r.cluster.p99_ms))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if figures.failover_ms.is_empty() {
        return Ok(());
    }
    println!(
        "  leader SIGKILL to the first acknowledged write sent after it: median {:.0} ms, max {:.0} ms over {} kills (target under 2000 ms; election timeout {} ms)",
        figures.failover_median_ms,
        figures.failover_max_ms,
        figures.failover_ms.len(),
        figures.election_timeout_ms
    );
    Ok(())
}

async fn measure_both(
    args: &ClusterBenchArgs,
    single_devnet: &Devnet,
    cluster: &mut Devnet,
) -> Result<ClusterFigures> {
    let single_target = target(single_devnet).await?;
    let cluster_target = target(cluster).await?;
    // The kills first, while the ledgers are short: a restarted node replays its
    // ledger since the last snapshot before it rejoins, which the load below would
    // lengthen; the time to a new leader does not depend on it.
    let mut failover_ms = failovers(cluster, &cluster_target, args.kills).await?;
    let mut rounds = Vec::new();
    for round in 1..=args.rounds {
        let before = cpu_ms(single_devnet);
        let (single, _) = measure(&single_target, args.clients, args.per_client).await?;
        let single_cpu_ms_per_tx = (cpu_ms(single_devnet) - before) / single.transactions as f64;
        let before = cpu_ms(cluster);
        let (cluster_level, _) = measure(&cluster_target, args.clients, args.per_client).await?;
        let cluster_cpu_ms_per_tx = (cpu_ms(cluster) - before) / cluster_level.transactions as f64;
        if !args.json {
            println!(
                "  round {round}: one node ({single_cpu_ms_per_tx:.2} ms of node CPU per transaction)"
            );
            print_level(&single);
            println!(
                "  round {round}: three nodes ({cluster_cpu_ms_per_tx:.2} ms of node CPU per transaction, all three)"
            );
            print_level(&cluster_level);
        }
        let ratio = cluster_level.tx_per_s / single.tx_per_s;
        rounds.push(Round {
            single,
            cluster: cluster_level,
            ratio,
            single_cpu_ms_per_tx,
            cluster_cpu_ms_per_tx,
        });
    }
    let mut ratios: Vec<f64> = rounds.iter().map(|r| r.ratio).collect();
    ratios.sort_by(f64::total_cmp);
    let reported = failover_ms.clone();
    failover_ms.sort_by(f64::total_cmp);
    Ok(ClusterFigures {
        rounds,
        median_ratio: ratios[ratios.len() / 2],
        failover_median_ms: failover_ms
            .get(failover_ms.len() / 2)
            .copied()
            .unwrap_or(0.0),
        failover_max_ms: failover_ms.last().copied().unwrap_or(0.0),
        failover_ms: reported,
        election_timeout_ms: args.election_timeout_ms,
    })
}

/// An owner of Org1MSP registers the dataset; an analyst of Org2MSP requests.
async fn target(devnet: &Devnet) -> Result<Target> {
    let enroll = |dir: &Path, name: &str, role: Role| -> Result<strongroom_identity::Member> {
        let ca = OrgCa::load(dir, None)?;
        Ok(ca.enroll_member(name, role, validity(1)?)?)
    };
    let org = |i: usize| -> Result<&Path> {
        devnet
            .orgs
            .get(i)
            .map(|o| o.dir.as_path())
            .ok_or_else(|| anyhow!("the devnet has no organization {}", i + 1))
    };
    let alice = enroll(org(0)?, "bench-alice", Role::Owner)?;
    let bob = enroll(org(1)?, "bench-bob", Role::Analyst)?;
    let urls: Vec<String> = devnet.nodes.iter().map(|n| n.api.clone()).collect();
    let client = Client::connect(&urls[0], None, &insecure_sim_policy()).await?;
    prepare(urls, client, &alice, bob).await
}

/// When each write sent by the load was sent and acknowledged.
type Acks = Arc<Mutex<Vec<(Instant, Instant)>>>;

/// Kills the leader `kills` times under a light load and returns, for each, the time
/// from the kill to the first acknowledgement of a write sent after it. Each killed
/// node is restarted before the next kill.
async fn failovers(devnet: &mut Devnet, target: &Target, kills: usize) -> Result<Vec<f64>> {
    let acks: Acks = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let invocation = serde_json::to_vec(&Invocation::RequestPermission(RequestPermission {
        dataset: target.dataset_id().to_owned(),
        purpose: "research".into(),
        algorithms: target.algorithm_ids().to_vec(),
        scope: Scope {
            columns: target.column_names().to_vec(),
            rows: None,
            expires_at_ms: None,
        },
    }))?;
    let mut load = Vec::new();
    for i in 0..8 {
        let urls = target.urls.clone();
        let bob = target.bob.clone();
        let key = target.client.public_keys().transaction_key.clone();
        let (acks, stop, invocation) = (acks.clone(), stop.clone(), invocation.clone());
        load.push(tokio::spawn(async move {
            let mut node = i;
            let mut client: Option<Client> = None;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let current = match &client {
                    Some(c) => c,
                    None => match Client::connect(
                        &urls[node % urls.len()],
                        None,
                        &insecure_sim_policy(),
                    )
                    .await
                    {
                        Ok(c) => client.insert(c),
                        Err(_) => {
                            node += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    },
                };
                let Ok(prepared) = strongroom_enclave::request::PreparedRequest::transaction(
                    &key,
                    &bob,
                    invocation.clone(),
                ) else {
                    return;
                };
                let sent = Instant::now();
                match current.submit_prepared(&prepared).await {
                    Ok(_) => acks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((sent, Instant::now())),
                    Err(_) => {
                        client = None;
                        node += 1;
                    }
                }
            }
        }));
    }
    let http = ops_client()?;
    let mut times = Vec::new();
    let result = async {
        for kill in 0..kills {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let leader = leader(&http, devnet).await?;
            devnet::signal(devnet.nodes[leader].pid, rustix::process::Signal::KILL)?;
            let killed = Instant::now();
            let first = loop {
                let found = acks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .filter(|(sent, _)| *sent > killed)
                    .map(|(_, acked)| *acked)
                    .min();
                if let Some(acked) = found {
                    break acked;
                }
                if killed.elapsed() > Duration::from_secs(60) {
                    bail!(
                        "no write was acknowledged within 60 s of leader kill {}",
                        kill + 1
                    );
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            times.push(first.duration_since(killed).as_secs_f64() * 1e3);
            let node = &mut devnet.nodes[leader];
            node.pid = spawn_node(&node.config, &node.log)?;
            let deadline = Instant::now() + Duration::from_secs(60);
            while gauge(
                &http,
                &devnet.nodes[leader].ops,
                "strongroom_raft_leader_id",
            )
            .await
            .unwrap_or(0)
                == 0
            {
                if Instant::now() > deadline {
                    bail!(
                        "node {} did not rejoin after its restart; its log ends with:\n{}",
                        leader + 1,
                        devnet::tail(&devnet.nodes[leader].log)
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        let _ = task.await;
    }
    result.map(|()| times)
}

/// The index of the node the running nodes name as leader.
async fn leader(http: &reqwest::Client, devnet: &Devnet) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for node in &devnet.nodes {
            if let Some(id) = gauge(http, &node.ops, "strongroom_raft_leader_id").await
                && id > 0
                && let Some(index) = devnet.nodes.iter().position(|n| n.id == id)
                && devnet::alive(devnet.nodes[index].pid, &devnet.nodes[index].config)
            {
                return Ok(index);
            }
        }
        if Instant::now() > deadline {
            bail!("the cluster elected no leader within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
