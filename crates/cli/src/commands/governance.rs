//! `strongroom governance …`: propose changes to the consortium's membership and rules,
//! vote on them, and read them. A change takes effect only when a threshold of
//! organizations (by default a majority) votes for it, each by its admin.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_enclave::Organization;
use strongroom_enclave::governance::{
    ConstitutionView, GovernanceInvocation, GovernanceQuery, ProposalView, ProposedChange,
    Threshold,
};
use strongroom_identity::{fingerprint, read_certificate};

use super::net::{MemberArgs, NodeArgs, block_on, print, table};

/// Governance of the consortium.
#[derive(Debug, Subcommand)]
pub enum GovernanceCommand {
    /// Propose a change (as an organization's admin); your organization's vote for it
    /// is counted at once.
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// Vote for or against an open proposal (as an organization's admin); one vote per
    /// organization, a later vote replacing an earlier one.
    Vote(VoteArgs),
    /// Every proposal with its status and votes.
    List(Common),
    /// One proposal.
    Show(ShowArgs),
    /// The organizations, the voting threshold, the revoked certificates, the node
    /// and worker policies and the recovery members now.
    Constitution(Common),
}

/// The changes one can propose.
#[derive(Debug, Subcommand)]
pub enum ProposeCommand {
    /// Trust a new organization's root CA.
    AddOrg(AddOrgArgs),
    /// Stop trusting an organization: its members' requests are refused.
    RemoveOrg(RemoveOrgArgs),
    /// Refuse every request signed with one member certificate.
    RevokeMember(RevokeArgs),
    /// Replace the node policy: which platforms and core measurements may join the
    /// service and receive its secrets (a core's evidence, checked with `attest
    /// verify`, shows its measurement).
    SetNodePolicy(NodePolicyArgs),
    /// Name the recovery members, and how many of them recover the service from its
    /// ledger files when no node holds its secrets any more. Each must have published
    /// its member key (`org data-key publish`); each then keeps its share (`recovery
    /// share fetch`).
    SetRecovery(RecoveryArgs),
    /// Change how many organizations must vote for a proposal.
    SetThreshold(ThresholdArgs),
    /// Replace the worker policy: which platforms and worker measurements the core
    /// releases data keys to (`worker measurement` prints a build's).
    SetWorkerPolicy(WorkerPolicyArgs),
}

/// Arguments of `governance propose set-node-policy`.
#[derive(Debug, Args)]
pub struct NodePolicyArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The policy file (TOML, as docs/attestation.md describes).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
}

/// Arguments of `governance propose set-recovery`.
#[derive(Debug, Args)]
pub struct RecoveryArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// How many members' shares recover the service (1 to the number of members).
    #[arg(long, value_name = "K")]
    threshold: u32,
    /// A recovery member, `MSP/name` (repeatable; its share index is its position).
    /// (`--member` names who proposes.)
    #[arg(long = "recovery-member", required = true, value_name = "MSP/NAME")]
    members: Vec<String>,
}

/// Arguments of `governance propose set-worker-policy`.
#[derive(Debug, Args)]
pub struct WorkerPolicyArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The policy file (TOML, as docs/attestation.md describes).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
}

/// Connection and identity.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    member: MemberArgs,
}

/// What every proposal carries.
#[derive(Debug, Args)]
pub struct ProposalArgs {
    #[command(flatten)]
    common: Common,
    /// Why (at most 1 KiB), shown to the voters.
    #[arg(long, default_value = "")]
    description: String,
    /// The proposal expires after this many days of ledger time (default 7, at most 30).
    #[arg(long)]
    expires_in_days: Option<u64>,
}

/// Arguments of `governance propose add-org`.
#[derive(Debug, Args)]
pub struct AddOrgArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The organization's MSP id.
    #[arg(long)]
    msp_id: String,
    /// Its root CA certificate (PEM), as `strongroom org create` wrote it (`ca.pem`).
    #[arg(long, value_name = "FILE")]
    ca_cert: PathBuf,
}

/// Arguments of `governance propose remove-org`.
#[derive(Debug, Args)]
pub struct RemoveOrgArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The organization's MSP id.
    #[arg(long)]
    msp_id: String,
}

/// Arguments of `governance propose revoke-member`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The member's certificate (PEM).
    #[arg(long, value_name = "FILE", conflicts_with = "certificate_sha256")]
    cert: Option<PathBuf>,
    /// Or the SHA-256 of its DER, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    certificate_sha256: Option<String>,
}

/// Arguments of `governance propose set-threshold`.
#[derive(Debug, Args)]
pub struct ThresholdArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// More than half of the organizations.
    #[arg(long, conflicts_with = "at_least")]
    majority: bool,
    /// At least this many organizations.
    #[arg(long, value_name = "N")]
    at_least: Option<u32>,
}

/// Arguments of `governance vote`.
#[derive(Debug, Args)]
pub struct VoteArgs {
    #[command(flatten)]
    common: Common,
    /// The proposal id (`prop-…`).
    proposal: String,
    /// Vote for it.
    #[arg(long, conflicts_with = "reject")]
    approve: bool,
    /// Vote against it.
    #[arg(long)]
    reject: bool,
}

/// Arguments of `governance show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    common: Common,
    /// The proposal id (`prop-…`).
    proposal: String,
}

fn proposals_table(items: &[ProposalView]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|p| {
            let approvals = p.votes.iter().filter(|v| v.approve).count();
            let rejections = p.votes.len() - approvals;
            vec![
                p.id.clone(),
                status(p),
                change_text(&p.change),
                format!(
                    "{approvals} for, {rejections} against, {} needed",
                    p.required
                ),
                format!("{}/{}", p.proposer.msp_id, p.proposer.name),
            ]
        })
        .collect();
    table(
        &["proposal", "status", "change", "votes", "proposed by"],
        &rows,
    )
}

fn status(p: &ProposalView) -> String {
    let text = serde_json::to_value(p.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    match &p.outcome {
        Some(outcome) => format!("{text} ({outcome})"),
        None => text,
    }
}

fn change_text(change: &ProposedChange) -> String {
    match change {
        ProposedChange::AddOrganization { msp_id, .. } => format!("add organization {msp_id}"),
        ProposedChange::RemoveOrganization { msp_id } => format!("remove organization {msp_id}"),
        ProposedChange::RevokeMember { certificate_sha256 } => {
            format!(
                "revoke certificate {}…",
                &certificate_sha256[..16.min(certificate_sha256.len())]
            )
        }
        ProposedChange::SetNodePolicy { policy } => {
            format!("node policy ({} bytes of TOML)", policy.len())
        }
        ProposedChange::SetRecovery { threshold, members } => format!(
            "recovery: any {threshold} of {} ({})",
            members.len(),
            members.join(", ")
        ),
        ProposedChange::SetThreshold { threshold } => {
            format!("threshold: {}", threshold_text(*threshold))
        }
        ProposedChange::SetWorkerPolicy { policy } => {
            format!("worker policy ({} bytes of TOML)", policy.len())
        }
    }
}

fn threshold_text(threshold: Threshold) -> String {
    match threshold {
        Threshold::AtLeast { organizations } => format!("at least {organizations} organizations"),
        Threshold::Majority => "a majority of the organizations".into(),
    }
}

fn constitution_text(c: &ConstitutionView) -> String {
    let rows: Vec<Vec<String>> = c
        .organizations
        .iter()
        .map(|o| vec![o.msp_id.clone(), o.ca_cert_sha256.clone()])
        .collect();
    let mut out = table(&["organization", "root CA SHA-256"], &rows);
    out.push_str(&format!(
        "threshold: {} ({} votes now)\nrevoked certificates: {}\n",
        threshold_text(c.threshold),
        c.required,
        c.revoked.len()
    ));
    for revoked in &c.revoked {
        out.push_str(&format!("  {revoked}\n"));
    }
    policy_text(
        &mut out,
        "node policy",
        c.node_policy.as_deref(),
        "no node may join",
    );
    policy_text(
        &mut out,
        "worker policy",
        c.worker_policy.as_deref(),
        "no worker gets a data key",
    );
    match &c.recovery {
        None => out.push_str(
            "recovery: none (if every node's secrets are lost, the ledger cannot be opened)
",
        ),
        Some(r) => out.push_str(&format!(
            "recovery: any {} of {} (configuration {})
",
            r.threshold,
            r.members.join(", "),
            r.version
        )),
    }
    out
}

/// Appends `name` and its policy's lines to `out`, or says what having none means.
fn policy_text(out: &mut String, name: &str, policy: Option<&str>, without: &str) {
    match policy {
        None => out.push_str(&format!("{name}: none ({without})\n")),
        Some(policy) => {
            out.push_str(&format!("{name}:\n"));
            for line in policy.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
}

/// A policy file's text, checked to be a policy.
fn read_policy(path: &std::path::Path) -> Result<String> {
    let policy =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    strongroom_tee::Policy::from_toml(&policy)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(policy)
}

fn expires_at(days: Option<u64>) -> Result<Option<u64>> {
    let Some(days) = days else { return Ok(None) };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    let ms = u64::try_from(now.as_millis()).context("time out of range")?;
    Ok(Some(ms.saturating_add(days.saturating_mul(86_400_000))))
}

fn change_of(command: &ProposeCommand) -> Result<(ProposedChange, &ProposalArgs)> {
    Ok(match command {
        ProposeCommand::AddOrg(args) => {
            let der = read_certificate(&args.ca_cert)
                .with_context(|| format!("cannot read {}", args.ca_cert.display()))?;
            let org = Organization::from_der(args.msp_id.clone(), &der)?;
            (
                ProposedChange::AddOrganization {
                    msp_id: org.msp_id,
                    ca_cert_pem: org.ca_cert_pem,
                },
                &args.proposal,
            )
        }
        ProposeCommand::RemoveOrg(args) => (
            ProposedChange::RemoveOrganization {
                msp_id: args.msp_id.clone(),
            },
            &args.proposal,
        ),
        ProposeCommand::RevokeMember(args) => {
            let certificate_sha256 = match (&args.cert, &args.certificate_sha256) {
                (Some(path), None) => {
                    let der = read_certificate(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    hex::encode(fingerprint(&der))
                }
                (None, Some(hex)) => hex.to_ascii_lowercase(),
                _ => bail!("give the member's --cert FILE or its --certificate-sha256 HEX"),
            };
            (
                ProposedChange::RevokeMember { certificate_sha256 },
                &args.proposal,
            )
        }
        ProposeCommand::SetNodePolicy(args) => (
            ProposedChange::SetNodePolicy {
                policy: read_policy(&args.file)?,
            },
            &args.proposal,
        ),
        ProposeCommand::SetRecovery(args) => (
            ProposedChange::SetRecovery {
                threshold: args.threshold,
                members: args.members.clone(),
            },
            &args.proposal,
        ),
        ProposeCommand::SetThreshold(args) => {
            let threshold = match (args.majority, args.at_least) {
                (true, None) => Threshold::Majority,
                (false, Some(organizations)) => Threshold::AtLeast { organizations },
                _ => bail!("give --majority or --at-least N"),
            };
            (ProposedChange::SetThreshold { threshold }, &args.proposal)
        }
        ProposeCommand::SetWorkerPolicy(args) => (
            ProposedChange::SetWorkerPolicy {
                policy: read_policy(&args.file)?,
            },
            &args.proposal,
        ),
    })
}

/// Runs one `governance` subcommand.
pub fn run(command: GovernanceCommand) -> Result<()> {
    block_on(async move {
        match command {
            GovernanceCommand::Propose(propose) => {
                let (change, args) = change_of(&propose)?;
                let member = args.common.member.load()?;
                let client = args.common.node.connect().await?;
                let invocation = GovernanceInvocation::Propose {
                    change,
                    description: args.description.clone(),
                    expires_at_ms: expires_at(args.expires_in_days)?,
                };
                let invoked = client
                    .govern(&member, &invocation)
                    .await
                    .context("the proposal was refused")?;
                print(args.common.node.json, &invoked.value, |p| {
                    format!(
                        "{}ledger entry {}\n",
                        proposals_table(std::slice::from_ref(p)),
                        invoked.sequence.unwrap_or_default()
                    )
                })
            }
            GovernanceCommand::Vote(args) => {
                let approve = match (args.approve, args.reject) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => bail!("give --approve or --reject"),
                };
                let member = args.common.member.load()?;
                let client = args.common.node.connect().await?;
                let invoked = client
                    .govern(
                        &member,
                        &GovernanceInvocation::Vote {
                            proposal: args.proposal.clone(),
                            approve,
                        },
                    )
                    .await
                    .context("the vote was refused")?;
                print(args.common.node.json, &invoked.value, |p| {
                    format!(
                        "{}ledger entry {}\n",
                        proposals_table(std::slice::from_ref(p)),
                        invoked.sequence.unwrap_or_default()
                    )
                })
            }
            GovernanceCommand::List(args) => {
                let member = args.member.load()?;
                let client = args.node.connect().await?;
                let items = client.proposals(&member).await?;
                print(args.node.json, &items, |items| proposals_table(items))
            }
            GovernanceCommand::Show(args) => {
                let member = args.common.member.load()?;
                let client = args.common.node.connect().await?;
                let view: ProposalView = client
                    .ask_governance(
                        &member,
                        &GovernanceQuery::GetProposal {
                            id: args.proposal.clone(),
                        },
                    )
                    .await?;
                print(args.common.node.json, &view, |p| {
                    let mut out = proposals_table(std::slice::from_ref(p));
                    out.push_str(&format!("description: {}\n", p.description));
                    for vote in &p.votes {
                        out.push_str(&format!(
                            "  {} ({}): {}\n",
                            vote.msp_id,
                            vote.name,
                            if vote.approve { "for" } else { "against" }
                        ));
                    }
                    out
                })
            }
            GovernanceCommand::Constitution(args) => {
                let member = args.member.load()?;
                let client = args.node.connect().await?;
                let view = client.constitution(&member).await?;
                print(args.node.json, &view, constitution_text)
            }
        }
    })?
}
