//! `strongroom governance …`: propose changes to the consortium's membership and rules,
//! vote on them, and read them. A change takes effect only when a threshold of
//! organizations (by default a majority) votes for it, each by its admin; `history`
//! lists every change that took effect with the votes that carried it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_enclave::Organization;
use strongroom_enclave::governance::{
    GovernanceInvocation, GovernanceQuery, ProposalView, ProposedChange, Threshold,
};
use strongroom_identity::{fingerprint, read_certificate};

use super::net::{MemberArgs, NodeArgs, block_on, print};

mod text;

use text::{constitution_text, history_text, proposals_table};

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
    /// and worker policies, the recovery members, the dataset defaults and the
    /// retired nodes now.
    Constitution(Common),
    /// Every change that took effect, in ledger order: the ledger entry that carried
    /// it, the proposal, the change, who proposed it and every vote that counted (with
    /// the ledger entry of each). The same at every node.
    History(Common),
}

/// The changes one can propose.
#[derive(Debug, Subcommand)]
pub enum ProposeCommand {
    /// Admit a node id: once the consortium admits nodes by vote (`set-node-admission
    /// --by-vote`), a node joins only under an admitted id (or one already in the
    /// cluster). The id must not be retired, admitted already, or in the cluster.
    AddNode(RemoveNodeArgs),
    /// Trust a new organization's root CA.
    AddOrg(AddOrgArgs),
    /// Retire a node: once carried, the leader removes it from the cluster and its node
    /// id is refused at join from then on. The node must be a voter or learner of the
    /// cluster, and not its last voter.
    RemoveNode(RemoveNodeArgs),
    /// Stop trusting an organization: its members' requests are refused.
    RemoveOrg(RemoveOrgArgs),
    /// Refuse every request signed with one member certificate.
    RevokeMember(RevokeArgs),
    /// Set the defaults for datasets registered from then on without their own minimum
    /// cell size or privacy budget (either or both). A dataset already registered
    /// keeps what it had.
    SetDefaults(DefaultsArgs),
    /// Choose how nodes join: with --by-vote only under ids admitted by `add-node`;
    /// with --open (the initial rule) any organization adds nodes of its own (a node
    /// certificate of its CA). The node policy judges every joiner's evidence either way.
    SetNodeAdmission(NodeAdmissionArgs),
    /// Replace the node policy: which platforms and core measurements may join the
    /// service and receive its secrets (a core's evidence, checked with `attest
    /// verify`, shows its measurement). The whole policy is replaced: to accept a
    /// measurement, propose a policy that names it; to retire one, a policy without it.
    SetNodePolicy(NodePolicyArgs),
    /// Name the recovery members, and how many of them recover the service from its
    /// ledger files when no node holds its secrets any more. Each must have published
    /// its member key (`org data-key publish`); each then keeps its share (`recovery
    /// share fetch`).
    SetRecovery(RecoveryArgs),
    /// Change how many organizations must vote for a proposal.
    SetThreshold(ThresholdArgs),
    /// Replace the worker policy: which platforms and worker measurements the core
    /// releases data keys to (`worker measurement` prints a build's). The whole policy
    /// is replaced: to accept a worker measurement, propose a policy that names it; to
    /// retire one, a policy without it.
    SetWorkerPolicy(WorkerPolicyArgs),
}

/// Arguments of `governance propose set-node-admission`.
#[derive(Debug, Args)]
pub struct NodeAdmissionArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// Nodes join only under ids the consortium admitted (`add-node`).
    #[arg(long, conflicts_with = "open")]
    by_vote: bool,
    /// Each organization adds nodes of its own.
    #[arg(long)]
    open: bool,
}

/// Arguments of `governance propose remove-node` and `add-node`.
#[derive(Debug, Args)]
pub struct RemoveNodeArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The node's Raft id (`node_id` of its settings; `strongroom_raft_node_id` on its
    /// /metrics).
    #[arg(long, value_name = "N")]
    node_id: u64,
}

/// Arguments of `governance propose set-defaults`.
#[derive(Debug, Args)]
pub struct DefaultsArgs {
    #[command(flatten)]
    proposal: ProposalArgs,
    /// The default minimum cell size: counts below it are never released (1 to
    /// 10000; 11 until a vote changes it).
    #[arg(long, value_name = "N")]
    min_cell_size: Option<u32>,
    /// The default differential-privacy budget ε, a decimal with at most 6 digits
    /// after the point (more than 0, at most 100; none until a vote sets one).
    #[arg(long, value_name = "EPS", value_parser = parse_epsilon)]
    privacy_budget: Option<u64>,
    /// Remove the default privacy budget: datasets registered afterwards without their
    /// own have none.
    #[arg(long, conflicts_with = "privacy_budget")]
    no_privacy_budget: bool,
}

/// ε as a decimal (`1.5`) in millionths, exactly: at most 6 digits after the point.
fn parse_epsilon(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{text:?} is not a privacy budget: a decimal number such as 1 or 0.5, at most 6 \
             digits after the point"
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 6
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: u64 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)
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
        ProposeCommand::AddNode(args) => (
            ProposedChange::AddNode {
                node_id: args.node_id,
            },
            &args.proposal,
        ),
        ProposeCommand::SetNodeAdmission(args) => {
            if args.by_vote == args.open {
                bail!("give --by-vote or --open");
            }
            (
                ProposedChange::SetNodeAdmission {
                    by_vote: args.by_vote,
                },
                &args.proposal,
            )
        }
        ProposeCommand::RemoveNode(args) => (
            ProposedChange::RemoveNode {
                node_id: args.node_id,
            },
            &args.proposal,
        ),
        ProposeCommand::SetDefaults(args) => {
            if args.min_cell_size.is_none()
                && args.privacy_budget.is_none()
                && !args.no_privacy_budget
            {
                bail!(
                    "give --min-cell-size N, --privacy-budget EPS or --no-privacy-budget (at least one)"
                );
            }
            (
                ProposedChange::SetDefaults {
                    min_cell_size: args.min_cell_size,
                    epsilon_budget_micro: args.privacy_budget,
                    no_privacy_budget: args.no_privacy_budget,
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
            GovernanceCommand::History(args) => {
                let member = args.member.load()?;
                let client = args.node.connect().await?;
                let items = client.governance_history(&member).await?;
                print(args.node.json, &items, |items| history_text(items))
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

#[cfg(test)]
mod tests {
    use super::parse_epsilon;

    #[test]
    fn a_privacy_budget_is_read_exactly_in_millionths() {
        assert_eq!(parse_epsilon("1"), Ok(1_000_000));
        assert_eq!(parse_epsilon("0.5"), Ok(500_000));
        assert_eq!(parse_epsilon(".25"), Ok(250_000));
        assert_eq!(parse_epsilon("2.000001"), Ok(2_000_001));
    }

    #[test]
    fn a_privacy_budget_that_is_not_a_plain_decimal_is_refused() {
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "0.1234567",
            "one",
            "1.5.2",
            "99999999999999999999",
        ] {
            let error = parse_epsilon(bad).unwrap_err();
            assert!(error.contains("is not a privacy budget"), "{bad}: {error}");
        }
    }
}
