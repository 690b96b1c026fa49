//! `strongroom org …` and `strongroom member …`: organizations and their members.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_identity::{OrgCa, Role, Validity, chain::fingerprint};
use zeroize::Zeroizing;

/// Organizations.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization: a self-signed CA (ECDSA P-256) whose subject O is the
    /// MSP id. Writes `ca.pem` and `ca.key.pem` (mode 0600) into a new directory.
    Init(OrgInitArgs),
    /// Provision the organization's data key to the members that need it (its
    /// analyzer), wrapped to each member's published key.
    #[command(subcommand)]
    DataKey(super::org_key::DataKeyCommand),
}

/// Members.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Enroll a member: a key pair and a certificate signed by the org CA, with the MSP
    /// id as O, the name as CN and the role as OU. Writes `NAME.pem` and `NAME.key.pem`.
    Enroll(MemberEnrollArgs),
}

/// Passphrases come from environment variables, never from the command line (which
/// other users of the machine can read).
#[derive(Debug, Args)]
pub struct Passphrase {
    /// Name of an environment variable holding the passphrase that encrypts the new
    /// private key (scrypt + AES-256-CBC). Without it the key is stored unencrypted.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
}

/// Arguments of `org init`.
#[derive(Debug, Args)]
pub struct OrgInitArgs {
    /// The organization's MSP id, such as `Org1MSP`.
    #[arg(long)]
    msp: String,
    /// Directory to create the CA in; it must not hold a CA already.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Validity of the CA certificate, in days.
    #[arg(long, default_value_t = 3650)]
    days: i64,
    #[command(flatten)]
    passphrase: Passphrase,
}

/// Arguments of `member enroll`.
#[derive(Debug, Args)]
pub struct MemberEnrollArgs {
    /// Directory of the org CA (from `strongroom org init`).
    #[arg(long, value_name = "DIR")]
    ca: PathBuf,
    /// Environment variable holding the CA key's passphrase, if it is encrypted.
    #[arg(long, value_name = "VAR")]
    ca_passphrase_env: Option<String>,
    /// The member's name (certificate CN).
    #[arg(long)]
    name: String,
    /// The member's role: admin, analyst, auditor, executor or owner.
    #[arg(long)]
    role: Role,
    /// Directory to write the member's certificate and key into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Validity of the member certificate, in days.
    #[arg(long, default_value_t = 365)]
    days: i64,
    #[command(flatten)]
    passphrase: Passphrase,
}

/// Runs one `org` subcommand.
pub fn run_org(command: OrgCommand) -> Result<()> {
    match command {
        OrgCommand::Init(args) => org_init(&args),
        OrgCommand::DataKey(command) => super::org_key::run(command),
    }
}

/// Runs one `member` subcommand.
pub fn run_member(command: MemberCommand) -> Result<()> {
    match command {
        MemberCommand::Enroll(args) => member_enroll(&args),
    }
}

/// Reads a passphrase from the named environment variable.
pub fn passphrase_from_env(var: Option<&str>) -> Result<Option<Zeroizing<String>>> {
    let Some(var) = var else { return Ok(None) };
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(Zeroizing::new(value))),
        Ok(_) => bail!("environment variable {var} is empty"),
        Err(_) => bail!("environment variable {var} is not set"),
    }
}

pub(crate) fn validity(days: i64) -> Result<Validity> {
    if !(1..=36_500).contains(&days) {
        bail!("--days must be between 1 and 36500, got {days}");
    }
    Validity::starting_now(time::Duration::days(days)).context("invalid validity period")
}

fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn org_init(args: &OrgInitArgs) -> Result<()> {
    let passphrase = passphrase_from_env(args.passphrase.passphrase_env.as_deref())?;
    let ca = OrgCa::new(&args.msp, validity(args.days)?)
        .with_context(|| format!("cannot create a CA for {}", args.msp))?;
    ensure_dir(&args.dir)?;
    ca.save(&args.dir, passphrase.as_deref().map(String::as_str))
        .with_context(|| format!("cannot save the CA in {}", args.dir.display()))?;
    println!(
        "created org {} in {} (CA fingerprint sha256:{})",
        ca.msp_id(),
        args.dir.display(),
        hex::encode(fingerprint(ca.cert_der()))
    );
    Ok(())
}

fn member_enroll(args: &MemberEnrollArgs) -> Result<()> {
    let ca_passphrase = passphrase_from_env(args.ca_passphrase_env.as_deref())?;
    let passphrase = passphrase_from_env(args.passphrase.passphrase_env.as_deref())?;
    let ca = OrgCa::load(&args.ca, ca_passphrase.as_deref().map(String::as_str))
        .with_context(|| format!("cannot load the CA from {}", args.ca.display()))?;
    let member = ca
        .enroll_member(&args.name, args.role, validity(args.days)?)
        .with_context(|| format!("cannot enroll {}", args.name))?;
    ensure_dir(&args.out)?;
    member
        .save(&args.out, passphrase.as_deref().map(String::as_str))
        .with_context(|| format!("cannot save {} in {}", args.name, args.out.display()))?;
    println!(
        "enrolled {} ({}, {}) in {}",
        member.name(),
        member.role(),
        member.msp_id(),
        args.out.display()
    );
    Ok(())
}
