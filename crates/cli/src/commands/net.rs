//! What every command that talks to a node shares: where the node is, how its TLS
//! certificate and attestation are trusted, who the caller is, and how answers print.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use strongroom_client::Client;
use strongroom_crypto::hpke::PrivateKey;
use strongroom_identity::Member;
use strongroom_tee::{CodeIdentity, MeasurementPattern, PlatformKind, Policy};

use super::identity::passphrase_from_env;

/// The node to talk to and how to trust it.
#[derive(Clone, Debug, Args)]
pub struct NodeArgs {
    /// The node's API URL.
    #[arg(
        long,
        env = "STRONGROOM_NODE",
        default_value = "https://localhost:8443"
    )]
    pub node: String,
    /// Not needed: the node's evidence binds its TLS key, which the client checks and
    /// pins. If given, the node's certificate must also chain to this PEM (the node
    /// writes its own to `DATA_DIR/tls/cert.pem`).
    #[arg(long, env = "STRONGROOM_NODE_CERT", value_name = "FILE")]
    pub node_cert: Option<PathBuf>,
    /// Attestation policy (TOML, see `docs/formats/attestation-policy.md`) the node's
    /// evidence must satisfy before anything is sent to it.
    #[arg(long, env = "STRONGROOM_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Accept a node whose TEE is SIMULATED (this build's sim measurement): INSECURE,
    /// for development and the demo only. Without a policy, this is required.
    #[arg(long)]
    pub allow_insecure_simulation: bool,
    /// Print answers as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// The member a command acts as.
#[derive(Clone, Debug, Args)]
pub struct MemberArgs {
    /// Directory holding the member's certificate and key (`NAME.pem`,
    /// `NAME.key.pem`, from `strongroom member enroll`) and its X25519 result key.
    #[arg(long, env = "STRONGROOM_IDENTITY", value_name = "DIR")]
    pub identity: PathBuf,
    /// The member's name.
    #[arg(long, env = "STRONGROOM_MEMBER", value_name = "NAME")]
    pub member: String,
    /// Environment variable holding the passphrase of the member's key, if encrypted.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
}

/// The policy that accepts a simulated node running this build. INSECURE.
pub fn insecure_sim_policy() -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(CodeIdentity::of_this_build().measurement()),
    )
}

impl NodeArgs {
    /// The attestation policy: the file given, or INSECURE simulation if allowed.
    pub fn policy(&self) -> Result<Policy> {
        match (&self.policy, self.allow_insecure_simulation) {
            (Some(path), false) => {
                let policy = Policy::load(path)
                    .with_context(|| format!("cannot load the policy {}", path.display()))?;
                if policy.allow_simulated() {
                    eprintln!(
                        "strongroom: WARNING: policy {} sets allow_simulated = true: INSECURE SIMULATION evidence is accepted",
                        path.display()
                    );
                }
                Ok(policy)
            }
            (Some(_), true) => {
                bail!("give either --policy or --allow-insecure-simulation, not both")
            }
            (None, true) => {
                eprintln!(
                    "strongroom: WARNING: accepting INSECURE SIMULATION attestation (--allow-insecure-simulation)"
                );
                Ok(insecure_sim_policy())
            }
            (None, false) => bail!(
                "no attestation policy: pass --policy FILE, or --allow-insecure-simulation for a simulated node"
            ),
        }
    }

    /// Connects and verifies the node's attestation.
    pub async fn connect(&self) -> Result<Client> {
        let cert = match &self.node_cert {
            None => None,
            Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                format!(
                    "cannot read the node's TLS certificate {} (see --node-cert)",
                    path.display()
                )
            })?),
        };
        let policy = self.policy()?;
        let client = Client::connect(&self.node, cert.as_deref(), &policy)
            .await
            .with_context(|| format!("cannot connect to {}", self.node))?;
        if client.claims().platform == PlatformKind::Sim {
            eprintln!(
                "strongroom: WARNING: the node at {} runs an INSECURE SIMULATION of a TEE",
                self.node
            );
        }
        Ok(client)
    }
}

impl MemberArgs {
    /// Loads the member's credentials.
    pub fn load(&self) -> Result<Member> {
        let passphrase = passphrase_from_env(self.passphrase_env.as_deref())?;
        Member::load(
            &self.identity,
            &self.member,
            passphrase.as_deref().map(String::as_str),
        )
        .with_context(|| {
            format!(
                "cannot load member {} from {}",
                self.member,
                self.identity.display()
            )
        })
    }

    /// The member's X25519 result key, created on first use.
    pub fn result_key(&self) -> Result<PrivateKey> {
        result_key(&self.identity, &self.member)
    }

    /// The organization's data key (shared by its owners and its analyzer), created on
    /// first use.
    pub fn org_data_key(&self) -> Result<PrivateKey> {
        org_data_key(&self.identity)
    }
}

/// `DIR/NAME.x25519.key`: a member's result key.
pub fn result_key(identity: &Path, member: &str) -> Result<PrivateKey> {
    let path = identity.join(format!("{member}.x25519.key"));
    strongroom_client::data::load_or_create_x25519(&path)
        .with_context(|| format!("result key {}", path.display()))
}

/// `DIR/org-data-key.x25519.key`: the organization's data key.
pub fn org_data_key(identity: &Path) -> Result<PrivateKey> {
    let path = crate::commands::org_key::org_key_path(identity);
    strongroom_client::data::load_or_create_x25519(&path)
        .with_context(|| format!("organization data key {}", path.display()))
}

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// Prints `value` as JSON, or as the table `table` renders.
pub fn print<T: Serialize>(json: bool, value: &T, table: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", table(value));
    }
    Ok(())
}

/// A plain text table: a header row and aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            for _ in cell.chars().count()..width {
                text.push(' ');
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    if rows.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// What `analyzer run` and `worker run` print and do after each pass: one line (or JSON
/// line) per task; with `once`, stop, failing if a task was deferred; otherwise wait
/// `interval` seconds (or Ctrl-C) and go on. `Ok(true)` means stop.
pub async fn after_pass(
    done: &[strongroom_analyzer::Executed],
    json: bool,
    once: bool,
    interval: u64,
    what: &str,
) -> Result<bool> {
    for executed in done {
        if json {
            println!("{}", serde_json::to_string(executed)?);
        } else {
            println!("{}", executed.line());
        }
    }
    if once {
        let deferred = done.iter().filter(|e| e.status == "deferred").count();
        if deferred > 0 {
            anyhow::bail!("{deferred} task(s) could not be handled now; run the {what} again");
        }
        return Ok(true);
    }
    tokio::select! {
        _ = tokio::time::sleep(std::time::Duration::from_secs(interval.max(1))) => Ok(false),
        _ = tokio::signal::ctrl_c() => Ok(true),
    }
}
