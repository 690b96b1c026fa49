//! Node settings: a TOML file, environment variables and command-line flags, in that
//! order of increasing precedence (the `strongroom node start` command merges them).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::NodeError;

/// An organization recorded in the genesis transaction (first start only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisOrg {
    /// The MSP id, such as `Org1MSP`.
    pub msp_id: String,
    /// Its CA certificate (PEM file).
    pub ca_cert: PathBuf,
}

/// Every setting of a node, with its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSettings {
    /// Data directory: Raft log, ledger, sealed service secrets, TLS key, objects.
    pub data_dir: PathBuf,
    /// Address the HTTPS API listens on.
    pub listen: SocketAddr,
    /// Address of a separate plain-HTTP listener for `/metrics` and `/healthz` only;
    /// the HTTPS listener then answers 404 for them. None (the default) serves them
    /// on the HTTPS listener. A loopback address unless `ops_listen_public`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops_listen: Option<SocketAddr>,
    /// Allow an `ops_listen` address that is not loopback: anyone who reaches it reads
    /// the metrics, over plain HTTP.
    pub ops_listen_public: bool,
    /// TEE platform the core runs on: `sim` (the default, an INSECURE SIMULATION, the
    /// only one that runs outside a TEE), `tdx` or `snp` (a confidential VM, evidence
    /// through configfs-tsm under `tsm_root`; no sealing key), or `sgx` (Gramine,
    /// `/dev/attestation` under `attestation_root`). docs/attestation.md.
    pub platform: String,
    /// Where configfs-tsm's report interface is mounted (`tdx`, `snp`).
    pub tsm_root: PathBuf,
    /// Where Gramine exposes its attestation pseudo-files (`sgx`).
    pub attestation_root: PathBuf,
    /// The collateral that verifies this node's evidence, served with it to clients
    /// (`GET /v1/attestation`) and sent with it when the node joins: for `tdx` and
    /// `sgx`, Intel's DCAP collateral JSON (a `QuoteCollateralV3`, fetched from a
    /// PCCS); for `snp`, the chip's VCEK certificate (DER, or PEM optionally followed
    /// by the ASK and ARK). None (the default): on `snp` the VCEK of the certificate
    /// table configfs-tsm's `auxblob` carries, if the host supplies one; otherwise
    /// none, and clients and peers cannot verify this node. `sim` takes none. Read
    /// once at start. docs/attestation.md.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collateral: Option<PathBuf>,
    /// A PCCS (Intel's Provisioning Certification Caching Service, API v4) that
    /// serves the DCAP collateral of this node's quotes (`tdx`, `sgx`), instead of a
    /// `collateral` file: fetched at start (a failure stops the node, naming the
    /// item) and again every `pccs_refresh_s`, so that the TCB info and CRLs served
    /// stay current (a failed refresh keeps the last collateral and is logged).
    /// `http://` or `https://`; docs/attestation.md.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pccs_url: Option<String>,
    /// The CA certificate (PEM) an `https://` PCCS's certificate chains to; without
    /// it, the system's roots. Collateral is signed by Intel whatever the TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pccs_ca_cert: Option<PathBuf>,
    /// Seconds between PCCS refreshes (default 3600).
    pub pccs_refresh_s: u64,
    /// AMD's Key Distribution Service (`https://kdsintf.amd.com`), to fetch this `snp`
    /// node's VCEK from at start, for hosts that supply no `auxblob`; instead of a
    /// `collateral` file. A failure stops the node. docs/attestation.md.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kds_url: Option<String>,
    /// The CA certificate (PEM) an `https://` KDS's certificate chains to; without it,
    /// the system's roots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kds_ca_cert: Option<PathBuf>,
    /// The generation of this node's chip (`Milan`, `Genoa`, `Turin`), for KDS: needed
    /// only when the reports do not name it (report versions before 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snp_product: Option<String>,
    /// DNS names and IP addresses the node's TLS certificate covers.
    pub tls_names: Vec<String>,
    /// Organizations of the consortium at genesis (ignored once the ledger exists).
    pub organizations: Vec<GenesisOrg>,
    /// The worker policy file recorded at genesis (TOML, `docs/attestation.md`): which
    /// platforms and worker measurements may receive data keys. Ignored once the ledger
    /// exists (governance changes it); none: no worker may until governance sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_policy: Option<PathBuf>,
    /// The node policy file recorded at genesis (TOML, `docs/attestation.md`): which
    /// platforms and node measurements may join the cluster and receive the service
    /// secrets. Ignored once the ledger exists (governance changes it); none: no node
    /// may join until governance sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_policy: Option<PathBuf>,
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest uploaded object, in bytes (at most 5 GiB in an S3 bucket).
    pub max_object_bytes: u64,
    /// Where the encrypted dataset objects are kept. None (the default): the data
    /// directory's `objects/`, this node's alone. `s3://BUCKET[/PREFIX]`: an
    /// S3-compatible bucket that the consortium's nodes share, so that an object stays
    /// reachable through every node while the one that took it is down. Credentials
    /// come from the standard AWS environment variables (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, web identity, container or
    /// instance credentials); docs/object-storage.md.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_store: Option<String>,
    /// The S3 service's URL, `https://HOST[:PORT]` (`http://` only with
    /// `s3_allow_http`); none: AWS's endpoint for the region. Only with an `s3://`
    /// `object_store`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
    /// The S3 region; none: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_region: Option<String>,
    /// Allow an `http://` `s3_endpoint` (objects and signed requests in the clear): for
    /// a local test server only, and needed for one.
    pub s3_allow_http: bool,
    /// Requests per second allowed per client (token bucket refill rate).
    pub rate_per_second: u32,
    /// Burst size of the per-client token bucket.
    pub rate_burst: u32,
    /// Requests per second allowed per member (signer certificate), enforced inside the
    /// enclave core before ordering.
    pub member_rate_per_second: u32,
    /// Burst size of the per-member token bucket.
    pub member_rate_burst: u32,
    /// A signature entry at least every this many ledger entries.
    pub signature_every_entries: u64,
    /// A signature entry at least every this many milliseconds.
    pub signature_every_ms: u64,
    /// How long a graceful shutdown waits for requests in flight, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// A snapshot of the core's state (and a purge of the Raft log before it, keeping
    /// 1000 entries) every this many Raft log entries.
    pub snapshot_every_entries: u64,
    /// This node's Raft id in its cluster (unique in the consortium).
    pub node_id: u64,
    /// Where the peer listener (node-to-node, mutual TLS) binds. None (the default):
    /// the node runs alone, as a one-member cluster. Calls to peers leave from its IP
    /// address unless it is unspecified (`0.0.0.0`, `::`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_listen: Option<SocketAddr>,
    /// The `host:port` peers reach this node's peer listener at (default: `peer_listen`);
    /// the node certificate must name the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_advertise: Option<String>,
    /// This node's certificate, `<name>.pem` with `<name>.key.pem` beside it (issued by
    /// its organization's CA, OU `node`); needed with `peer_listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_certificate: Option<PathBuf>,
    /// The peer address of a member to join the cluster through: on the first start the
    /// node gets the service secrets by attestation instead of creating a genesis; on a
    /// platform without a sealing key (`tdx`, `snp`) it is also how a restarted node
    /// gets them back (used only while the data directory holds no sealed secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
    /// A cluster's election timeout in milliseconds (heartbeats every third of it).
    pub election_timeout_ms: u64,
    /// Recover the service secrets from recovery members' shares when the data
    /// directory holds a ledger but no sealed secrets that unseal here (the platform or
    /// its sealing key is gone, or it has none: `tdx`, `snp`): serve only `GET /v1/attestation` and `POST
    /// /v1/recovery/shares` until enough shares arrived, then start as usual. Ignored
    /// when the secrets unseal; an error on a data directory without a ledger (nothing
    /// to recover: a wrong directory must not found a new service).
    pub recover: bool,
}

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("strongroom-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            ops_listen: None,
            ops_listen_public: false,
            platform: "sim".into(),
            tsm_root: PathBuf::from(strongroom_tee::configfs::CONFIGFS_TSM_REPORT_DIR),
            attestation_root: PathBuf::from(strongroom_tee::gramine::GRAMINE_ATTESTATION_DIR),
            collateral: None,
            pccs_url: None,
            pccs_ca_cert: None,
            pccs_refresh_s: 3600,
            kds_url: None,
            kds_ca_cert: None,
            snp_product: None,
            tls_names: vec!["localhost".into(), "127.0.0.1".into()],
            organizations: Vec::new(),
            worker_policy: None,
            node_policy: None,
            max_body_bytes: 2 * 1024 * 1024,
            max_object_bytes: 64 * 1024 * 1024 * 1024,
            object_store: None,
            s3_endpoint: None,
            s3_region: None,
            s3_allow_http: false,
            rate_per_second: 50_000,
            rate_burst: 100_000,
            member_rate_per_second: 1_000,
            member_rate_burst: 2_000,
            signature_every_entries: 1000,
            signature_every_ms: 200,
            shutdown_grace_ms: 10_000,
            snapshot_every_entries: 10_000,
            node_id: 1,
            peer_listen: None,
            peer_advertise: None,
            node_certificate: None,
            join: None,
            election_timeout_ms: 500,
            recover: false,
        }
    }
}

impl NodeSettings {
    /// Reads a TOML file; unknown keys and bad values are errors naming the file.
    pub fn from_toml_file(path: &Path) -> Result<Self, NodeError> {
        let text = std::fs::read_to_string(path).map_err(|e| NodeError::Config {
            reason: format!("cannot read {}: {e}", path.display()),
        })?;
        toml::from_str(&text).map_err(|e| NodeError::Config {
            reason: format!("{}: {e}", path.display()),
        })
    }

    /// Checks the values that have limits.
    pub fn validate(&self) -> Result<(), NodeError> {
        let bad = |reason: &str| {
            Err(NodeError::Config {
                reason: reason.to_owned(),
            })
        };
        crate::platform::kind(self)?;
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes: must be at least 1024");
        }
        if self.rate_per_second == 0 || self.rate_burst == 0 {
            return bad("rate_per_second and rate_burst: must be positive");
        }
        if self.member_rate_per_second == 0 || self.member_rate_burst == 0 {
            return bad("member_rate_per_second and member_rate_burst: must be positive");
        }
        if self.signature_every_entries == 0 || self.signature_every_ms == 0 {
            return bad("signature_every_entries and signature_every_ms: must be positive");
        }
        if let Some(ops) = self.ops_listen
            && !ops.ip().to_canonical().is_loopback()
            && !self.ops_listen_public
        {
            return Err(NodeError::Config {
                reason: format!(
                    "ops_listen: {ops} is not a loopback address: /metrics and /healthz would be \
                     served over plain HTTP to anyone who reaches it (use 127.0.0.1 or [::1], \
                     or set ops_listen_public = true)"
                ),
            });
        }
        if self.tls_names.is_empty() {
            return bad("tls_names: at least one name is needed");
        }
        if self.snapshot_every_entries == 0 {
            return bad("snapshot_every_entries: must be positive");
        }
        if self.node_id == 0 {
            return bad("node_id: must be positive");
        }
        if self.peer_listen.is_none()
            && (self.join.is_some() || self.peer_advertise.is_some() || self.node_id != 1)
        {
            return bad(
                "peer_listen: join, peer_advertise and node_id are for a cluster node, which needs a peer listener",
            );
        }
        if self.peer_listen.is_some() && self.node_certificate.is_none() {
            return bad(
                "node_certificate: a cluster node needs its node certificate (issued by its organization's CA, OU node)",
            );
        }
        if !(50..=60_000).contains(&self.election_timeout_ms) {
            return bad("election_timeout_ms: must be between 50 and 60000");
        }
        crate::object_storage::backend(self)?;
        crate::pccs::check_settings(self)?;
        crate::kds::check_settings(self)?;
        Ok(())
    }
}
