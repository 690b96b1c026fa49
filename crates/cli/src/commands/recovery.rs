//! `strongroom recovery share …`: a recovery member keeps its share of the service
//! secrets (fetched while the service runs, encrypted to its member key), and hands it
//! to a node that recovers the service from its ledger files once no node holds the
//! secrets any more (`node start --recover`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_client::data::{load_or_create_x25519, public_hex};
use strongroom_client::recovery::{RecoveringNode, open_share};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_enclave::governance::RecoveryShareView;
use strongroom_enclave::recovery::public_keys_sha256;
use strongroom_tee::PlatformKind;
use subtle::ConstantTimeEq;

use super::net::{MemberArgs, NodeArgs, block_on, print};

/// Recovery of the service from its recovery members' shares.
#[derive(Debug, Subcommand)]
pub enum RecoveryCommand {
    /// Your share of the service secrets, as a recovery member (governance `propose
    /// set-recovery` names the members; `governance constitution` shows them).
    #[command(subcommand)]
    Share(ShareCommand),
}

/// What a recovery member does with its share.
#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Fetch your share from a running node into FILE (JSON, mode 0600). It stays
    /// encrypted to your member key (IDENTITY/NAME.x25519.key, the key `org data-key
    /// publish` published); keep the file, and that key, away from the nodes.
    Fetch(FetchArgs),
    /// Hand your share to a node recovering the service (`node start --recover`): its
    /// attestation is verified like any node's, the share is opened with your member key
    /// and wrapped to the recovery key the node's evidence binds, and only if the node
    /// recovers the very service the share is of.
    Submit(SubmitArgs),
}

/// Arguments of `recovery share fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    member: MemberArgs,
    /// Where to write the share (a new file).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `recovery share submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    member: MemberArgs,
    /// The share `recovery share fetch` wrote.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
}

/// The member key `org data-key publish` published; never created here (a new key
/// would open no share).
fn member_key(member: &MemberArgs) -> Result<PrivateKey> {
    let path = member
        .identity
        .join(format!("{}.x25519.key", member.member));
    if !path.is_file() {
        bail!(
            "{}: no member key; shares are encrypted to the key `strongroom org data-key publish` published",
            path.display()
        );
    }
    load_or_create_x25519(&path).with_context(|| format!("member key {}", path.display()))
}

/// Checks that `view` is encrypted to `key`.
fn check_key(view: &RecoveryShareView, key: &PrivateKey) -> Result<()> {
    let mine = public_hex(key);
    if view.public_key != mine {
        bail!(
            "the share is encrypted to member key {}, not to yours ({mine})",
            view.public_key
        );
    }
    Ok(())
}

async fn fetch(args: FetchArgs) -> Result<()> {
    if args.out.exists() {
        bail!(
            "{} already exists; refusing to overwrite a share",
            args.out.display()
        );
    }
    let key = member_key(&args.member)?;
    let member = args.member.load()?;
    let client = args.node.connect().await?;
    let view = client.recovery_share(&member).await.with_context(|| {
        format!(
            "no share for {}/{}: it is not a recovery member (`governance constitution` shows them)",
            member.msp_id(),
            member.name()
        )
    })?;
    check_key(&view, &key)?;
    // It opens with the member's key, and it is of the service this node attested.
    let share = open_share(&view, &key)?;
    let attested = public_keys_sha256(client.public_keys());
    if !bool::from(share.public_keys_sha256().ct_eq(&attested)) {
        bail!("the share is of other service keys than the node attested; it is not kept");
    }
    let json = serde_json::to_vec_pretty(&view).context("cannot encode the share")?;
    crate::output::write_new(&args.out, &json, 0o600)?;
    print(args.node.json, &view, |v| {
        format!(
            "fetched share {} of {} (any {} recover the service; recovery configuration {}) for {} \
             into {}: it stays encrypted to your member key\n",
            v.index,
            v.members,
            v.threshold,
            v.version,
            v.member,
            args.out.display()
        )
    })
}

async fn submit(args: SubmitArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let view: RecoveryShareView = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a share that `recovery share fetch` wrote",
            args.file.display()
        )
    })?;
    let key = member_key(&args.member)?;
    check_key(&view, &key)?;
    let share = open_share(&view, &key)?;
    let cert = match &args.node.node_cert {
        None => None,
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the node's TLS certificate {}", path.display())
        })?),
    };
    let policy = args.node.policy()?;
    let node = RecoveringNode::connect(&args.node.node, cert.as_deref(), &policy)
        .await
        .with_context(|| format!("cannot hand a share to {}", args.node.node))?;
    if node.claims().platform == PlatformKind::Sim {
        eprintln!(
            "strongroom: WARNING: the node at {} runs an INSECURE SIMULATION of a TEE",
            args.node.node
        );
    }
    let progress = node
        .submit(&share)
        .await
        .context("the recovering node refused the share")?;
    print(args.node.json, &progress, |p| {
        if p.recovered {
            format!(
                "the node recovered the service secrets from {} shares; it now starts as usual\n",
                p.threshold
            )
        } else {
            format!(
                "share {} of {} held by the node: {} of the {} needed\n",
                view.index, view.member, p.held, p.threshold
            )
        }
    })
}

/// Runs one `recovery` subcommand.
pub fn run(command: RecoveryCommand) -> Result<()> {
    block_on(async move {
        match command {
            RecoveryCommand::Share(ShareCommand::Fetch(args)) => fetch(args).await,
            RecoveryCommand::Share(ShareCommand::Submit(args)) => submit(args).await,
        }
    })?
}
