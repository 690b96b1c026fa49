//! `strongroom devnet up|down`: a local consortium on loopback, one node per
//! organization (round robin when there are more nodes), each node its own process
//! with its own data directory, its own node certificate issued by its organization,
//! and the cluster formed by attested joins. INSECURE SIMULATION: for development.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use strongroom_identity::{OrgCa, Role, SubjectAltName};
use strongroom_node::{GenesisOrg, NodeSettings};

use super::demo::multi_party::worker_policy;
use super::identity::validity;
use super::net::block_on;

/// The devnet's state file, in its directory.
pub const DEVNET_FILE: &str = "devnet.json";

/// Local consortia for development.
#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Start a consortium on loopback: organizations with their CAs and admins, one
    /// node per organization joined by attestation (INSECURE SIMULATION), and print how
    /// to reach it. The nodes keep running after the command returns.
    Up(DevnetUpArgs),
    /// Stop the devnet's nodes (SIGTERM: each finishes its requests in flight) and
    /// forget them; the data stays in the directory.
    Down(DevnetDownArgs),
}

/// Arguments of `devnet up`.
#[derive(Debug, Args)]
pub struct DevnetUpArgs {
    /// Nodes to start (at least 1).
    #[arg(long, default_value_t = 3)]
    pub nodes: u64,
    /// Organizations of the consortium (at least 1); node i belongs to organization
    /// i mod orgs.
    #[arg(long, default_value_t = 3)]
    pub orgs: u64,
    /// Directory for the organizations, the nodes' data and the state file; must not
    /// hold a devnet already.
    #[arg(long, value_name = "DIR", default_value = "strongroom-devnet")]
    pub dir: PathBuf,
    /// Election timeout of the cluster, ms.
    #[arg(long, default_value_t = 500)]
    pub election_timeout_ms: u64,
    /// A snapshot (and a purge of the Raft log before it) every this many entries.
    #[arg(long, default_value_t = 10_000)]
    pub snapshot_every_entries: u64,
    /// Print the devnet's description as JSON.
    #[arg(long)]
    pub json: bool,
    /// Every node keeps its objects in this shared S3 bucket, `s3://BUCKET[/PREFIX]`
    /// (the node setting `object_store`; AWS credentials from the environment)
    /// [default: each node's data directory].
    #[arg(long, value_name = "s3://BUCKET[/PREFIX]")]
    pub object_store: Option<String>,
    /// The S3 service's URL for --object-store (the node setting `s3_endpoint`).
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Allow an http:// --s3-endpoint, for a local test server (the node setting
    /// `s3_allow_http`).
    #[arg(long)]
    pub s3_allow_http: bool,
}

/// Arguments of `devnet down`.
#[derive(Debug, Args)]
pub struct DevnetDownArgs {
    /// The devnet's directory.
    #[arg(long, value_name = "DIR", default_value = "strongroom-devnet")]
    pub dir: PathBuf,
}

/// What `devnet up` started: written to `DIR/devnet.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Devnet {
    /// The organizations.
    pub orgs: Vec<DevnetOrg>,
    /// The nodes.
    pub nodes: Vec<DevnetNode>,
}

/// An organization of a devnet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DevnetOrg {
    /// Its MSP id.
    pub msp_id: String,
    /// Its directory: `ca.pem`, `ca.key.pem`, and its admin `admin.pem`, `admin.key.pem`.
    pub dir: PathBuf,
}

/// A node of a devnet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DevnetNode {
    /// Its Raft id.
    pub id: u64,
    /// Its organization.
    pub msp_id: String,
    /// Its process.
    pub pid: u32,
    /// Its API, `https://localhost:PORT`.
    pub api: String,
    /// Its peer listener, `127.0.0.1:PORT`.
    pub peer: String,
    /// Its `/metrics` and `/healthz`, `http://127.0.0.1:PORT`.
    pub ops: String,
    /// Its settings file (`strongroom node start --config FILE` restarts it).
    pub config: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its log (stdout and stderr).
    pub log: PathBuf,
}

/// Runs one `devnet` subcommand.
pub fn run(command: DevnetCommand) -> Result<()> {
    match command {
        DevnetCommand::Up(args) => {
            let devnet = block_on(up(&args))??;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&devnet)?);
            } else {
                print_summary(&args.dir, &devnet);
            }
            Ok(())
        }
        DevnetCommand::Down(args) => down(&args.dir),
    }
}

fn print_summary(dir: &Path, devnet: &Devnet) {
    println!(
        "strongroom devnet up: {} nodes, {} organizations (INSECURE SIMULATION)",
        devnet.nodes.len(),
        devnet.orgs.len()
    );
    for node in &devnet.nodes {
        println!(
            "  node {} ({}): {}  peers {}  metrics {}/metrics  log {}",
            node.id,
            node.msp_id,
            node.api,
            node.peer,
            node.ops,
            node.log.display()
        );
    }
    for org in &devnet.orgs {
        println!("  {}: CA and admin in {}", org.msp_id, org.dir.display());
    }
    if let Some(first) = devnet.nodes.first() {
        println!(
            "reach it with, for example:\n  strongroom governance constitution --node {} --allow-insecure-simulation --identity {} --member admin",
            first.api,
            devnet
                .orgs
                .first()
                .map_or_else(String::new, |o| o.dir.display().to_string())
        );
    }
    println!(
        "stop it with: strongroom devnet down --dir {}",
        dir.display()
    );
}

/// A free port on loopback (bound and released; the node binds it a moment later).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The node policy a devnet starts with: nodes of this build on the simulated platform.
fn node_policy() -> String {
    let measurement = strongroom_tee::CodeIdentity::of_this_build().measurement();
    format!(
        "# INSECURE SIMULATION: sim evidence can be forged; for development only.\n\
         allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{measurement}\"\n"
    )
}

async fn up(args: &DevnetUpArgs) -> Result<Devnet> {
    start(
        &args.dir,
        args.nodes,
        args.orgs,
        args.election_timeout_ms,
        |settings| {
            settings.snapshot_every_entries = args.snapshot_every_entries;
            settings.object_store.clone_from(&args.object_store);
            settings.s3_endpoint.clone_from(&args.s3_endpoint);
            settings.s3_allow_http = args.s3_allow_http;
        },
    )
    .await
}

/// Starts a devnet of `nodes` nodes and `orgs` organizations in `dir` (see
/// [`DevnetCommand::Up`]), each node's settings passed through `tweak` first.
pub async fn start(
    dir: &Path,
    nodes: u64,
    orgs: u64,
    election_timeout_ms: u64,
    tweak: impl Fn(&mut NodeSettings),
) -> Result<Devnet> {
    let args = StartArgs {
        dir: dir.to_path_buf(),
        nodes,
        orgs,
        election_timeout_ms,
    };
    let args = &args;
    if args.nodes == 0 || args.orgs == 0 {
        bail!("--nodes and --orgs must be at least 1");
    }
    let state = args.dir.join(DEVNET_FILE);
    if state.exists() {
        bail!(
            "{} exists: a devnet is up in {} (strongroom devnet down --dir {} first)",
            state.display(),
            args.dir.display(),
            args.dir.display()
        );
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let dir = std::fs::canonicalize(&args.dir)?;
    let mut orgs = Vec::new();
    let mut cas = Vec::new();
    for i in 1..=args.orgs {
        let msp_id = format!("Org{i}MSP");
        let org_dir = dir.join("orgs").join(&msp_id);
        std::fs::create_dir_all(&org_dir)?;
        let ca = OrgCa::new(&msp_id, validity(3650)?)?;
        ca.save(&org_dir, None)
            .with_context(|| format!("cannot save the CA of {msp_id}"))?;
        ca.enroll_member("admin", Role::Admin, validity(365)?)?
            .save(&org_dir, None)
            .with_context(|| format!("cannot save the admin of {msp_id}"))?;
        orgs.push(DevnetOrg {
            msp_id,
            dir: org_dir,
        });
        cas.push(ca);
    }
    let organizations: Vec<GenesisOrg> = orgs
        .iter()
        .map(|o| GenesisOrg {
            msp_id: o.msp_id.clone(),
            ca_cert: o.dir.join("ca.pem"),
        })
        .collect();
    let node_policy_path = dir.join("node-policy.toml");
    std::fs::write(&node_policy_path, node_policy())?;
    let worker_policy_path = dir.join("worker-policy.toml");
    std::fs::write(&worker_policy_path, worker_policy())?;
    let mut nodes: Vec<DevnetNode> = Vec::new();
    let http = ops_client()?;
    for id in 1..=args.nodes {
        let org = usize::try_from((id - 1) % args.orgs)?;
        let node_dir = dir.join("nodes").join(format!("node{id}"));
        std::fs::create_dir_all(&node_dir)?;
        let name = format!("node{id}");
        cas[org]
            .enroll_node(
                &name,
                &[
                    SubjectAltName::Ip([127, 0, 0, 1].into()),
                    SubjectAltName::Dns("localhost".into()),
                ],
                validity(365)?,
            )?
            .save(&node_dir, None)
            .with_context(|| format!("cannot save the certificate of {name}"))?;
        let (api, peer, ops) = (free_port()?, free_port()?, free_port()?);
        let first = id == 1;
        let mut settings = NodeSettings {
            data_dir: node_dir.join("data"),
            listen: ([127, 0, 0, 1], api).into(),
            ops_listen: Some(([127, 0, 0, 1], ops).into()),
            organizations: organizations.clone(),
            worker_policy: first.then(|| worker_policy_path.clone()),
            node_policy: first.then(|| node_policy_path.clone()),
            node_id: id,
            peer_listen: Some(([127, 0, 0, 1], peer).into()),
            node_certificate: Some(node_dir.join(format!("{name}.pem"))),
            join: nodes.first().map(|n| n.peer.clone()),
            election_timeout_ms: args.election_timeout_ms,
            ..NodeSettings::default()
        };
        tweak(&mut settings);
        settings.validate()?;
        let config = node_dir.join("node.toml");
        std::fs::write(&config, toml::to_string(&settings)?)?;
        let log = node_dir.join("node.log");
        let node = DevnetNode {
            id,
            msp_id: orgs[org].msp_id.clone(),
            pid: spawn_node(&config, &log)?,
            api: format!("https://localhost:{api}"),
            peer: format!("127.0.0.1:{peer}"),
            ops: format!("http://127.0.0.1:{ops}"),
            config,
            data_dir: settings.data_dir.clone(),
            log,
        };
        let leader_ops = nodes.first().map_or(node.ops.clone(), |n| n.ops.clone());
        let voters = u64::try_from(nodes.len() + 1)?;
        let wait = wait_for_voters(&http, &leader_ops, voters, &node).await;
        nodes.push(node);
        if let Err(e) = wait {
            let devnet = Devnet { orgs, nodes };
            write_state(&state, &devnet)?;
            return Err(e.context(format!(
                "the devnet did not form; stop what started with: strongroom devnet down --dir {}",
                args.dir.display()
            )));
        }
    }
    let devnet = Devnet { orgs, nodes };
    write_state(&state, &devnet)?;
    Ok(devnet)
}

struct StartArgs {
    dir: PathBuf,
    nodes: u64,
    orgs: u64,
    election_timeout_ms: u64,
}

fn write_state(path: &Path, devnet: &Devnet) -> Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(devnet)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Starts `strongroom node start --config CONFIG` in its own process group (so that
/// the terminal's Ctrl-C does not reach it), logging to `log`; returns once the
/// process runs the node.
pub fn spawn_node(config: &Path, log: &Path) -> Result<u32> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["node", "start", "--config"])
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info,openraft=warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0)
        .spawn()
        .context("cannot start a node")?;
    // Until it has exec'd, the child shows this process's command line, and `alive`
    // would take it for exited: wait until it runs the node, or has exited.
    let started = Instant::now();
    while !alive(child.id(), config) {
        if let Some(status) = child.try_wait()? {
            bail!(
                "the node exited at once ({status}); its log {} ends with:\n{}",
                log.display(),
                tail(log)
            );
        }
        if started.elapsed() > Duration::from_secs(10) {
            bail!("the node process {} did not start within 10 s", child.id());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(child.id())
}

/// A plain-HTTP client for the nodes' local `/metrics` (reqwest needs a TLS
/// configuration even for plain HTTP: one that trusts nothing).
pub fn ops_client() -> Result<reqwest::Client> {
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(2))
        .build()?)
}

/// A gauge from a node's `/metrics`.
pub async fn gauge(http: &reqwest::Client, ops: &str, name: &str) -> Option<u64> {
    let text = http
        .get(format!("{ops}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits until the node at `leader_ops` counts `voters` voters and leads, or `node`'s
/// process exits.
async fn wait_for_voters(
    http: &reqwest::Client,
    leader_ops: &str,
    voters: u64,
    node: &DevnetNode,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let counted = gauge(http, leader_ops, "strongroom_raft_voters").await;
        let leads = gauge(http, leader_ops, "strongroom_raft_leader_id").await;
        if counted == Some(voters) && leads.is_some_and(|l| l > 0) {
            return Ok(());
        }
        if !alive(node.pid, &node.config) {
            bail!(
                "node {} exited; its log {} ends with:\n{}",
                node.id,
                node.log.display(),
                tail(&node.log)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "node {} did not become a voter within 90 s; its log {} ends with:\n{}",
                node.id,
                node.log.display(),
                tail(&node.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last lines of a node's log.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Whether `pid` still runs `strongroom node start --config CONFIG` (and not another
/// process that reused the pid).
pub fn alive(pid: u32, config: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // A zombie (state Z) has exited.
    let zombie = stat
        .rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('Z'));
    let config = config.as_os_str().as_encoded_bytes();
    !zombie && cmdline.split(|b| *b == 0).any(|arg| arg == config)
}

/// Sends `signal` to process `pid`.
pub fn signal(pid: u32, signal: rustix::process::Signal) -> Result<()> {
    let raw = i32::try_from(pid)?;
    let pid = rustix::process::Pid::from_raw(raw).ok_or_else(|| anyhow!("pid {raw}"))?;
    rustix::process::kill_process(pid, signal).with_context(|| format!("cannot signal {raw}"))
}

/// Waits until every node reports the same ledger sequence (30 s at most).
pub async fn wait_converged(devnet: &Devnet) -> Result<()> {
    let http = ops_client()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut sequences = Vec::new();
        for node in &devnet.nodes {
            sequences.push(gauge(&http, &node.ops, "strongroom_ledger_sequence").await);
        }
        if sequences.iter().all(|s| s.is_some() && *s == sequences[0]) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the nodes' ledgers did not converge within 30 s: {sequences:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops every node of `devnet`: SIGTERM, and SIGKILL for a node still running 20 s
/// later.
pub fn stop(devnet: &Devnet) {
    for node in &devnet.nodes {
        if alive(node.pid, &node.config) {
            let _ = signal(node.pid, rustix::process::Signal::TERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for node in &devnet.nodes {
        while alive(node.pid, &node.config) {
            if Instant::now() > deadline {
                eprintln!(
                    "strongroom: node {} did not stop within 20 s; killing it",
                    node.id
                );
                let _ = signal(node.pid, rustix::process::Signal::KILL);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Stops the devnet in `dir` (see [`DevnetCommand::Down`]).
pub fn down(dir: &Path) -> Result<()> {
    let state = dir.join(DEVNET_FILE);
    let text = std::fs::read_to_string(&state)
        .with_context(|| format!("no devnet in {} (no {DEVNET_FILE})", dir.display()))?;
    let devnet: Devnet =
        serde_json::from_str(&text).with_context(|| format!("{}", state.display()))?;
    stop(&devnet);
    std::fs::remove_file(&state).with_context(|| format!("cannot remove {}", state.display()))?;
    println!(
        "strongroom devnet down: {} nodes stopped (data kept in {})",
        devnet.nodes.len(),
        dir.display()
    );
    Ok(())
}
