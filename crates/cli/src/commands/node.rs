//! `strongroom node start`: run a node.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use strongroom_contract::sharing::SharingContract;
use strongroom_identity::{OrgCa, SubjectAltName};
use strongroom_node::{
    GenesisOrg, Node, NodeSettings, Recovered, RecoveringNode, RunningNode, TeeAccess,
};

use super::net::block_on;

/// Nodes.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Start a node: one-member Raft cluster, TEE core (--platform; sim, the default, is
    /// an INSECURE SIMULATION), HTTPS API. Settings come from the defaults, then the
    /// TOML file of --config, then STRONGROOM_* environment variables, then flags. Stops
    /// gracefully on Ctrl-C or SIGTERM: requests in flight finish and everything
    /// acknowledged is durable.
    Start(NodeStartArgs),
    /// Print the settings a start would use (defaults, file, environment, flags), as
    /// TOML, and exit.
    Config(NodeStartArgs),
    /// Issue a node certificate for the peer listener of a cluster node: a P-256 key
    /// and a certificate signed by the organization's CA (OU node, serverAuth and
    /// clientAuth, the given names). Writes `NAME.pem` and `NAME.key.pem`.
    Enroll(NodeEnrollArgs),
}

/// Arguments of `node enroll`.
#[derive(Debug, Args)]
pub struct NodeEnrollArgs {
    /// Directory of the org CA (from `strongroom org init`).
    #[arg(long, value_name = "DIR")]
    ca: PathBuf,
    /// The node's name (certificate CN).
    #[arg(long)]
    name: String,
    /// A DNS name or IP address peers reach the node at (repeatable).
    #[arg(long = "san", required = true, value_name = "NAME")]
    names: Vec<String>,
    /// Directory to write the certificate and key into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Validity in days.
    #[arg(long, default_value_t = 365)]
    days: i64,
}

/// Settings of `node start`. Each flag overrides the file's value.
#[derive(Debug, Args)]
pub struct NodeStartArgs {
    /// A TOML file of settings (keys as the flags, with underscores).
    #[arg(long, env = "STRONGROOM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory: Raft log, ledger, sealed secrets, TLS key, objects
    /// [default: strongroom-data].
    #[arg(long, env = "STRONGROOM_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the HTTPS API [default: 127.0.0.1:8443; port 0 picks one].
    #[arg(long, env = "STRONGROOM_LISTEN", value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Serve /metrics and /healthz over plain HTTP on this address instead of the HTTPS
    /// listener, which then answers 404 for them [default: none, on the HTTPS
    /// listener]. A loopback address unless --ops-listen-public.
    #[arg(long, env = "STRONGROOM_OPS_LISTEN", value_name = "ADDR")]
    ops_listen: Option<SocketAddr>,
    /// Allow an --ops-listen address that is not loopback (anyone who reaches it reads
    /// the metrics).
    #[arg(long, env = "STRONGROOM_OPS_LISTEN_PUBLIC")]
    ops_listen_public: bool,
    /// TEE platform of the node's core [default: sim, an INSECURE SIMULATION, the only
    /// one that runs outside a TEE]. tdx, snp: a confidential VM, evidence through
    /// configfs-tsm (--tsm-root); no sealing key, so the service secrets stay in memory
    /// and a restart resumes only with --join or --recover. sgx: Gramine's
    /// /dev/attestation (--attestation-root), secrets sealed to MRENCLAVE.
    /// docs/attestation.md.
    #[arg(long, env = "STRONGROOM_PLATFORM", value_name = "sim|tdx|snp|sgx")]
    platform: Option<String>,
    /// Where configfs-tsm's report interface is mounted (tdx, snp)
    /// [default: /sys/kernel/config/tsm/report].
    #[arg(long, env = "STRONGROOM_TSM_ROOT", value_name = "DIR")]
    tsm_root: Option<PathBuf>,
    /// Where Gramine exposes its attestation files (sgx) [default: /dev/attestation].
    #[arg(long, env = "STRONGROOM_ATTESTATION_ROOT", value_name = "DIR")]
    attestation_root: Option<PathBuf>,
    /// The collateral that verifies this node's evidence, served with it to clients and
    /// sent with it when joining: tdx, sgx: DCAP collateral JSON fetched from a PCCS;
    /// snp: the chip's VCEK (DER, or PEM optionally followed by the ASK and ARK)
    /// [default: snp: the VCEK of configfs-tsm's auxblob, if the host supplies one;
    /// otherwise none]. Read once at start. docs/attestation.md.
    #[arg(long, env = "STRONGROOM_COLLATERAL", value_name = "FILE")]
    collateral: Option<PathBuf>,
    /// tdx, sgx: a PCCS (Intel's caching service, API v4) to fetch this node's DCAP
    /// collateral from at start and every --pccs-refresh-s, instead of --collateral.
    #[arg(long, env = "STRONGROOM_PCCS_URL", value_name = "URL")]
    pccs_url: Option<String>,
    /// The CA certificate (PEM) of an https:// PCCS [default: the system's roots].
    #[arg(long, env = "STRONGROOM_PCCS_CA_CERT", value_name = "FILE")]
    pccs_ca_cert: Option<PathBuf>,
    /// Seconds between PCCS refreshes [default: 3600].
    #[arg(long, env = "STRONGROOM_PCCS_REFRESH_S", value_name = "SECONDS")]
    pccs_refresh_s: Option<u64>,
    /// snp: AMD KDS (`https://kdsintf.amd.com`) to fetch this node's VCEK from at start,
    /// for hosts that supply no auxblob; instead of --collateral.
    #[arg(long, env = "STRONGROOM_KDS_URL", value_name = "URL")]
    kds_url: Option<String>,
    /// The CA certificate (PEM) of an https:// KDS [default: the system's roots].
    #[arg(long, env = "STRONGROOM_KDS_CA_CERT", value_name = "FILE")]
    kds_ca_cert: Option<PathBuf>,
    /// snp: the chip's generation (Milan, Genoa, Turin), for KDS, when its reports do
    /// not name it (report versions before 3).
    #[arg(long, env = "STRONGROOM_SNP_PRODUCT", value_name = "NAME")]
    snp_product: Option<String>,
    /// A DNS name or IP address for the TLS certificate (repeatable)
    /// [default: localhost, 127.0.0.1].
    #[arg(long = "tls-name", env = "STRONGROOM_TLS_NAMES", value_delimiter = ',')]
    tls_names: Vec<String>,
    /// An organization of the consortium, `MSP=CA_CERT.pem` (repeatable; first start
    /// only: recorded in the genesis transaction).
    #[arg(
        long = "org",
        env = "STRONGROOM_ORGS",
        value_delimiter = ',',
        value_name = "MSP=PEM"
    )]
    orgs: Vec<String>,
    /// The worker policy (TOML, see docs/attestation.md) recorded at genesis: which
    /// platforms and worker measurements may receive data keys (first start only;
    /// governance changes it later).
    #[arg(long, env = "STRONGROOM_WORKER_POLICY", value_name = "FILE")]
    worker_policy: Option<PathBuf>,
    /// The node policy (TOML, see docs/attestation.md) recorded at genesis: which
    /// platforms and node measurements may join the cluster (first start only;
    /// governance changes it later).
    #[arg(long, env = "STRONGROOM_NODE_POLICY", value_name = "FILE")]
    node_policy: Option<PathBuf>,
    /// This node's Raft id, unique in the consortium [default: 1].
    #[arg(long, env = "STRONGROOM_NODE_ID")]
    node_id: Option<u64>,
    /// Address of the peer listener (node-to-node, mutual TLS) of a cluster node
    /// [default: none: the node runs alone].
    #[arg(long, env = "STRONGROOM_PEER_LISTEN", value_name = "ADDR")]
    peer_listen: Option<SocketAddr>,
    /// `host:port` peers reach this node at [default: --peer-listen].
    #[arg(long, env = "STRONGROOM_PEER_ADVERTISE", value_name = "HOST:PORT")]
    peer_advertise: Option<String>,
    /// This node's certificate from `node enroll` (NAME.pem, NAME.key.pem beside it).
    #[arg(long, env = "STRONGROOM_NODE_CERTIFICATE", value_name = "FILE")]
    node_certificate: Option<PathBuf>,
    /// Join a cluster through the member at this peer address: on the first start, or
    /// to resume a restarted node on a platform without a sealing key (tdx, snp).
    #[arg(long, env = "STRONGROOM_JOIN", value_name = "HOST:PORT")]
    join: Option<String>,
    /// Election timeout of a cluster, ms [default: 500].
    #[arg(long, env = "STRONGROOM_ELECTION_TIMEOUT_MS")]
    election_timeout_ms: Option<u64>,
    /// If the data directory holds a ledger but no sealed secrets that unseal here (the
    /// machine or its TEE's sealing key is gone, or the platform has none: tdx, snp),
    /// recover them from recovery members' shares: serve only attestation and `POST
    /// /v1/recovery/shares` until enough members ran `strongroom recovery share
    /// submit`, then start as usual.
    #[arg(long, env = "STRONGROOM_RECOVER")]
    recover: bool,
    /// Largest JSON request body in bytes [default: 2097152].
    #[arg(long, env = "STRONGROOM_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Largest uploaded object in bytes [default: 68719476736; at most 5 GiB in S3].
    #[arg(long, env = "STRONGROOM_MAX_OBJECT_BYTES")]
    max_object_bytes: Option<u64>,
    /// Keep the encrypted dataset objects in an S3-compatible bucket the consortium's
    /// nodes share, `s3://BUCKET[/PREFIX]`, with credentials from the standard AWS
    /// environment variables [default: none: DATA_DIR/objects, this node's alone].
    #[arg(
        long,
        env = "STRONGROOM_OBJECT_STORE",
        value_name = "s3://BUCKET[/PREFIX]"
    )]
    object_store: Option<String>,
    /// URL of the S3 service, `https://HOST[:PORT]` [default: AWS's endpoint for the
    /// region].
    #[arg(long, env = "STRONGROOM_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// S3 region [default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, env = "STRONGROOM_S3_REGION")]
    s3_region: Option<String>,
    /// Allow an http:// --s3-endpoint (objects and signed requests in the clear): for a
    /// local test server only.
    #[arg(long, env = "STRONGROOM_S3_ALLOW_HTTP")]
    s3_allow_http: bool,
    /// Requests per second per client address [default: 50000].
    #[arg(long, env = "STRONGROOM_RATE_PER_SECOND")]
    rate_per_second: Option<u32>,
    /// Burst of requests per client address [default: 100000].
    #[arg(long, env = "STRONGROOM_RATE_BURST")]
    rate_burst: Option<u32>,
    /// Requests per second per member, checked inside the enclave core before ordering
    /// [default: 1000].
    #[arg(long, env = "STRONGROOM_MEMBER_RATE_PER_SECOND")]
    member_rate_per_second: Option<u32>,
    /// Burst of requests per member [default: 2000].
    #[arg(long, env = "STRONGROOM_MEMBER_RATE_BURST")]
    member_rate_burst: Option<u32>,
    /// A signature entry at least every this many entries [default: 1000].
    #[arg(long, env = "STRONGROOM_SIGNATURE_EVERY_ENTRIES")]
    signature_every_entries: Option<u64>,
    /// A signature entry at least every this many milliseconds [default: 200].
    #[arg(long, env = "STRONGROOM_SIGNATURE_EVERY_MS")]
    signature_every_ms: Option<u64>,
    /// Grace period for requests in flight at shutdown, ms [default: 10000].
    #[arg(long, env = "STRONGROOM_SHUTDOWN_GRACE_MS")]
    shutdown_grace_ms: Option<u64>,
    /// Log one JSON object per line on stderr (filter with RUST_LOG; default
    /// `info,openraft=warn`).
    #[arg(long, env = "STRONGROOM_LOG_JSON")]
    log_json: bool,
}

impl NodeStartArgs {
    /// Defaults, then the file, then environment and flags (clap merges those two).
    pub fn settings(&self) -> Result<NodeSettings> {
        let mut s = match &self.config {
            Some(path) => NodeSettings::from_toml_file(path)?,
            None => NodeSettings::default(),
        };
        if let Some(v) = &self.data_dir {
            s.data_dir = v.clone();
        }
        if let Some(v) = self.listen {
            s.listen = v;
        }
        if let Some(v) = self.ops_listen {
            s.ops_listen = Some(v);
        }
        if self.ops_listen_public {
            s.ops_listen_public = true;
        }
        if let Some(v) = &self.platform {
            s.platform = v.clone();
        }
        if let Some(v) = &self.tsm_root {
            s.tsm_root = v.clone();
        }
        if let Some(v) = &self.attestation_root {
            s.attestation_root = v.clone();
        }
        if let Some(v) = &self.collateral {
            s.collateral = Some(v.clone());
        }
        if let Some(v) = &self.pccs_url {
            s.pccs_url = Some(v.clone());
        }
        if let Some(v) = &self.pccs_ca_cert {
            s.pccs_ca_cert = Some(v.clone());
        }
        if let Some(v) = self.pccs_refresh_s {
            s.pccs_refresh_s = v;
        }
        if let Some(v) = &self.kds_url {
            s.kds_url = Some(v.clone());
        }
        if let Some(v) = &self.kds_ca_cert {
            s.kds_ca_cert = Some(v.clone());
        }
        if let Some(v) = &self.snp_product {
            s.snp_product = Some(v.clone());
        }
        if !self.tls_names.is_empty() {
            s.tls_names = self.tls_names.clone();
        }
        if !self.orgs.is_empty() {
            s.organizations = self
                .orgs
                .iter()
                .map(|org| {
                    let (msp, pem) = org
                        .split_once('=')
                        .ok_or_else(|| anyhow!("--org {org}: expected MSP=CA_CERT.pem"))?;
                    Ok(GenesisOrg {
                        msp_id: msp.to_owned(),
                        ca_cert: PathBuf::from(pem),
                    })
                })
                .collect::<Result<_>>()?;
        }
        if let Some(path) = &self.worker_policy {
            s.worker_policy = Some(path.clone());
        }
        if let Some(path) = &self.node_policy {
            s.node_policy = Some(path.clone());
        }
        if let Some(v) = self.peer_listen {
            s.peer_listen = Some(v);
        }
        if let Some(v) = &self.peer_advertise {
            s.peer_advertise = Some(v.clone());
        }
        if let Some(v) = &self.node_certificate {
            s.node_certificate = Some(v.clone());
        }
        if let Some(v) = &self.join {
            s.join = Some(v.clone());
        }
        if self.recover {
            s.recover = true;
        }
        if let Some(v) = &self.object_store {
            s.object_store = Some(v.clone());
        }
        if let Some(v) = &self.s3_endpoint {
            s.s3_endpoint = Some(v.clone());
        }
        if let Some(v) = &self.s3_region {
            s.s3_region = Some(v.clone());
        }
        if self.s3_allow_http {
            s.s3_allow_http = true;
        }
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = self.$field { s.$field = v; } )* };
        }
        set!(
            max_body_bytes,
            max_object_bytes,
            rate_per_second,
            rate_burst,
            member_rate_per_second,
            member_rate_burst,
            signature_every_entries,
            signature_every_ms,
            shutdown_grace_ms,
            node_id,
            election_timeout_ms
        );
        s.validate()?;
        Ok(s)
    }
}

/// Runs one `node` subcommand.
pub fn run(command: NodeCommand) -> Result<()> {
    match command {
        NodeCommand::Config(args) => {
            let settings = args.settings()?;
            print!(
                "{}",
                toml::to_string(&settings).context("cannot render the settings")?
            );
            Ok(())
        }
        NodeCommand::Start(args) => {
            let settings = args.settings()?;
            init_logs(args.log_json);
            block_on(start(settings))?
        }
        NodeCommand::Enroll(args) => enroll(&args),
    }
}

fn enroll(args: &NodeEnrollArgs) -> Result<()> {
    let ca = OrgCa::load(&args.ca, None)
        .with_context(|| format!("cannot load the CA from {}", args.ca.display()))?;
    let names = args
        .names
        .iter()
        .map(|name| match name.parse::<std::net::IpAddr>() {
            Ok(ip) => SubjectAltName::Ip(ip),
            Err(_) => SubjectAltName::Dns(name.clone()),
        })
        .collect::<Vec<_>>();
    let validity = super::identity::validity(args.days)?;
    let node = ca
        .enroll_node(&args.name, &names, validity)
        .with_context(|| format!("cannot enroll node {}", args.name))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    node.save(&args.out, None)
        .with_context(|| format!("cannot save {} in {}", args.name, args.out.display()))?;
    println!(
        "enrolled node {} ({}) in {}",
        node.name(),
        node.msp_id(),
        args.out.join(format!("{}.pem", args.name)).display()
    );
    Ok(())
}

/// The log filter when `RUST_LOG` is unset: `info`, except openraft, whose `info`
/// events dump its internal state (each election, each membership change and every
/// few hundred entries, a multi-line state) and which speaks up at `warn` when
/// something needs an operator.
pub const DEFAULT_LOG_FILTER: &str = "info,openraft=warn";

/// Structured logs on stderr, as text or as one JSON object per line; `RUST_LOG`
/// filters (default [`DEFAULT_LOG_FILTER`]).
pub fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn start(mut settings: NodeSettings) -> Result<()> {
    if settings.platform == "sim" {
        eprintln!(
            "strongroom: WARNING: INSECURE SIMULATION: this node runs no TEE; its evidence is simulated and protects nothing"
        );
    }
    let recovered = if settings.recover {
        match recover(&mut settings).await? {
            Recovery::Stopped => return Ok(()),
            Recovery::Recovered(recovered) => Some(recovered),
            Recovery::NotNeeded => None,
        }
    } else {
        None
    };
    let contract = Box::new(SharingContract);
    let node = match recovered {
        Some(recovered) => {
            Node::open_recovered(&settings, recovered, contract, &TeeAccess::default()).await
        }
        None => Node::open(&settings, contract).await,
    }
    .with_context(|| format!("cannot start a node on {}", settings.data_dir.display()))?;
    let running = RunningNode::start(node, &settings)
        .await
        .context("cannot serve the API")?;
    println!(
        "strongroom node listening on https://{} (data {}, TLS certificate {})",
        running.addr(),
        settings.data_dir.display(),
        settings.data_dir.join("tls").join("cert.pem").display()
    );
    if let Some(ops) = running.ops_addr() {
        println!("strongroom node serving /metrics and /healthz on http://{ops}");
    }
    if let Some(peer) = running.peer_addr() {
        println!(
            "strongroom node {} serving peers on {peer} (mutual TLS)",
            settings.node_id
        );
    }
    wait_for_stop().await?;
    eprintln!("strongroom: stopping: finishing requests in flight");
    running.shutdown().await.context("unclean shutdown")?;
    eprintln!("strongroom: stopped");
    Ok(())
}

/// How recovery mode ended.
enum Recovery {
    /// The secrets unsealed: no recovery was needed.
    NotNeeded,
    /// The secrets are recovered, held by the core handed over.
    Recovered(Recovered),
    /// Stopped before the secrets were recovered.
    Stopped,
}

/// Recovery mode, if the data directory needs it (see `strongroom_node::RecoveringNode`):
/// serves until the secrets are recovered, then hands its address and core to the node.
async fn recover(settings: &mut NodeSettings) -> Result<Recovery> {
    let Some(mut recovering) = RecoveringNode::start(settings, Box::new(SharingContract))
        .await
        .with_context(|| format!("cannot recover on {}", settings.data_dir.display()))?
    else {
        return Ok(Recovery::NotNeeded);
    };
    println!(
        "strongroom node listening on https://{} (RECOVERING service {} in {}: it serves only \
         attestation and recovery shares until enough recovery members ran `strongroom recovery \
         share submit`)",
        recovering.addr(),
        hex::encode(strongroom_enclave::recovery::public_keys_sha256(
            recovering.public_keys()
        )),
        settings.data_dir.display()
    );
    let stopped = tokio::select! {
        recovered = recovering.wait() => { recovered?; false }
        stop = wait_for_stop() => { stop?; true }
    };
    let recovered = recovering.finish().await.context("stopping recovery")?;
    if stopped {
        eprintln!("strongroom: stopped before the service secrets were recovered");
        return Ok(Recovery::Stopped);
    }
    eprintln!(
        "strongroom: the service secrets are recovered from members' shares (stored sealed \
         where the platform has a sealing key); starting the node"
    );
    settings.listen = recovered.addr();
    Ok(Recovery::Recovered(recovered))
}

async fn wait_for_stop() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("cannot watch Ctrl-C"),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::DEFAULT_LOG_FILTER;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_default_filter_keeps_strongroom_info_and_drops_openraft_info() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "strongroom_node::server", "serving the API");
            tracing::info!(target: "strongroom_consensus::node", "committed");
            tracing::debug!(target: "strongroom_node::http", "a request");
            tracing::info!(target: "openraft::engine::engine_impl", "state dump");
            tracing::info!(target: "openraft", "elected");
            tracing::warn!(target: "openraft::core::raft_core", "lagging");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("serving the API"), "{text}");
        assert!(text.contains("committed"), "{text}");
        assert!(text.contains("lagging"), "openraft warnings stay: {text}");
        assert!(!text.contains("a request"), "{text}");
        assert!(!text.contains("state dump"), "{text}");
        assert!(!text.contains("elected"), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
    }
}
