//! The JSON of governance: what members send ([`GovernanceInvocation`],
//! [`GovernanceQuery`]) and what they get back ([`ProposalView`], [`ProposalList`],
//! [`ConstitutionView`], [`HistoryPage`]).

use serde::{Deserialize, Serialize};
use strongroom_contract::DatasetDefaults;
use strongroom_contract::sharing::Party;

/// How many organizations must vote for a proposal. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Threshold {
    /// At least this many organizations (all of them, if there are fewer).
    AtLeast {
        /// The number of organizations, at least 1.
        organizations: u32,
    },
    /// More than half of the organizations.
    #[default]
    Majority,
}

impl Threshold {
    /// The votes needed among `organizations` organizations.
    pub fn required(self, organizations: usize) -> usize {
        match self {
            Self::AtLeast { organizations: n } => {
                usize::try_from(n).unwrap_or(usize::MAX).min(organizations)
            }
            Self::Majority => organizations / 2 + 1,
        }
    }
}

/// A change to the consortium. Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposedChange {
    /// Admit a node id: once the consortium admits nodes by vote
    /// ([`ProposedChange::SetNodeAdmission`]), a node joins only under an admitted id
    /// (or one already in the cluster). An id admitted earlier stays admitted. The id
    /// must not be retired, admitted already, or a node of the cluster.
    AddNode {
        /// Its Raft node id (at least 1).
        node_id: u64,
    },
    /// Trust a new organization's root CA.
    AddOrganization {
        /// Its MSP id (1 to 64 of ASCII letters, digits, `.`, `-`, `_`).
        msp_id: String,
        /// Its root CA certificate, PEM.
        ca_cert_pem: String,
    },
    /// Retire a node of the cluster: its id is recorded as retired, the leader removes
    /// it from the Raft membership, and a node under that id is refused at join from
    /// then on. The node must be a voter or a learner of the cluster (its Raft
    /// membership) when the proposal is made and when it is enacted, and not its last
    /// voter.
    RemoveNode {
        /// Its Raft node id (at least 1).
        node_id: u64,
    },
    /// Stop trusting an organization (at least one must remain).
    RemoveOrganization {
        /// Its MSP id.
        msp_id: String,
    },
    /// Refuse every request signed with one member certificate.
    RevokeMember {
        /// SHA-256 of the certificate's DER, 64 lowercase hex digits.
        certificate_sha256: String,
    },
    /// Set the consortium's defaults for datasets registered from then on without
    /// their own minimum cell size or privacy budget (at least one of the two). A
    /// dataset already registered keeps what it had.
    SetDefaults {
        /// The default small-cell suppression threshold: 1 to 10,000.
        #[serde(default)]
        min_cell_size: Option<u32>,
        /// The default differential-privacy budget, in millionths of ε: 1 to
        /// 100,000,000 (ε at most 100).
        #[serde(default)]
        epsilon_budget_micro: Option<u64>,
        /// Remove the default privacy budget: datasets registered afterwards without
        /// their own have none. Not with `epsilon_budget_micro`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        no_privacy_budget: bool,
    },
    /// Choose how nodes join: `by_vote`, only under an id the consortium admitted
    /// ([`ProposedChange::AddNode`]); otherwise (the initial rule) any organization
    /// may add a node of its own, with a node certificate of its CA, whose evidence the
    /// node policy accepts. Either way the node policy judges the evidence, and nodes
    /// already in the cluster stay.
    SetNodeAdmission {
        /// Whether a joining node's id must have been admitted by vote.
        by_vote: bool,
    },
    /// Replace the node policy: the platforms and core measurements whose evidence a
    /// core accepts before it hands the service secrets to a joining node. The whole
    /// policy is replaced: a measurement is accepted by a policy that names it, and
    /// retired by one that no longer does.
    SetNodePolicy {
        /// The policy, in the TOML format of attestation policies
        /// (`docs/attestation.md`), at most 16 KiB.
        policy: String,
    },
    /// Name the members who can recover the service from the ledger files when no node
    /// holds its secrets any more, and how many of them it takes. Each member fetches
    /// its share with [`GovernanceQuery::GetRecoveryShare`]; any `threshold` of them
    /// recover the secrets. Every member must have published its member key
    /// (`publish_member_key`): shares are encrypted to it.
    SetRecovery {
        /// How many members' shares recover the secrets: 1 to the number of members.
        threshold: u32,
        /// The members, `MSP/name` each (1 to 255, no repetition); a member's share
        /// index is its position here, from 1.
        members: Vec<String>,
    },
    /// Change the voting threshold.
    SetThreshold {
        /// The new threshold.
        threshold: Threshold,
    },
    /// Replace the worker policy: the platforms and worker measurements whose evidence
    /// the core accepts before it releases data keys to a worker. The whole policy is
    /// replaced: a measurement is accepted by a policy that names it, and retired by
    /// one that no longer does.
    SetWorkerPolicy {
        /// The policy, in the TOML format of attestation policies
        /// (`docs/attestation.md`), at most 16 KiB.
        policy: String,
    },
}

impl ProposedChange {
    /// The change in one line, as `governance list` and `governance history` show it.
    pub fn summary(&self) -> String {
        match self {
            Self::AddOrganization { msp_id, .. } => format!("add organization {msp_id}"),
            Self::AddNode { node_id } => format!("add node {node_id}"),
            Self::RemoveNode { node_id } => format!("remove node {node_id}"),
            Self::RemoveOrganization { msp_id } => format!("remove organization {msp_id}"),
            Self::RevokeMember { certificate_sha256 } => format!(
                "revoke certificate {}…",
                certificate_sha256
                    .get(..16)
                    .unwrap_or(certificate_sha256.as_str())
            ),
            Self::SetDefaults {
                min_cell_size,
                epsilon_budget_micro,
                no_privacy_budget,
            } => {
                let mut parts = Vec::new();
                if let Some(k) = min_cell_size {
                    parts.push(format!("minimum cell size {k}"));
                }
                if let Some(micro) = epsilon_budget_micro {
                    parts.push(format!("privacy budget ε {}", epsilon_text(*micro)));
                }
                if *no_privacy_budget {
                    parts.push("no privacy budget".into());
                }
                format!("dataset defaults: {}", parts.join(", "))
            }
            Self::SetNodeAdmission { by_vote: true } => {
                "node admission: only node ids admitted by vote join".into()
            }
            Self::SetNodeAdmission { by_vote: false } => {
                "node admission: each organization adds its own nodes".into()
            }
            Self::SetNodePolicy { policy } => {
                format!("node policy ({} bytes of TOML)", policy.len())
            }
            Self::SetRecovery { threshold, members } => format!(
                "recovery: any {threshold} of {} ({})",
                members.len(),
                members.join(", ")
            ),
            Self::SetThreshold { threshold } => format!("threshold: {}", threshold.text()),
            Self::SetWorkerPolicy { policy } => {
                format!("worker policy ({} bytes of TOML)", policy.len())
            }
        }
    }
}

impl Threshold {
    /// The threshold in words.
    pub fn text(self) -> String {
        match self {
            Self::AtLeast { organizations } => format!("at least {organizations} organizations"),
            Self::Majority => "a majority of the organizations".into(),
        }
    }
}

/// ε given in millionths, as a decimal without trailing zeros (`1500000` is `1.5`).
pub fn epsilon_text(micro: u64) -> String {
    let (whole, fraction) = (micro / 1_000_000, micro % 1_000_000);
    if fraction == 0 {
        whole.to_string()
    } else {
        let digits = format!("{fraction:06}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// A governance transaction, tagged by `"op"`. Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum GovernanceInvocation {
    /// Proposes a change (an organization's admin); counts as its organization's vote
    /// for it. Answers the [`ProposalView`].
    Propose {
        /// The change.
        change: ProposedChange,
        /// Why (at most 1 KiB).
        #[serde(default)]
        description: String,
        /// When the proposal expires (ledger time); default 7 days from now, at most
        /// 30.
        #[serde(default)]
        expires_at_ms: Option<u64>,
    },
    /// Votes for or against an open proposal (an organization's admin). Answers the
    /// [`ProposalView`].
    Vote {
        /// The proposal id (`prop-` and 16 lowercase hex digits).
        proposal: String,
        /// For (`true`) or against.
        approve: bool,
    },
}

/// A governance query, tagged by `"op"` (any member). Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum GovernanceQuery {
    /// The organizations, the threshold, the revoked certificates, the node and worker
    /// policies and the recovery configuration. Answers [`ConstitutionView`].
    Constitution,
    /// One proposal. Answers [`ProposalView`].
    GetProposal {
        /// The proposal id.
        id: String,
    },
    /// The caller's share of the service secrets under the recovery configuration now,
    /// encrypted to the member key it published. Answers [`RecoveryShareView`] to a
    /// member the configuration names; everyone else, and everyone while there is no
    /// configuration, gets "not found or not allowed".
    GetRecoveryShare,
    /// The changes that took effect, in ledger order. Answers [`HistoryPage`].
    History {
        /// Only changes carried by a ledger entry after this sequence (the previous
        /// page's `next`).
        #[serde(default)]
        after: Option<u64>,
        /// At most this many (default 20, at most 100).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Proposals by id. Answers [`ProposalList`].
    ListProposals {
        /// Only proposals whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 20, at most 100).
        #[serde(default)]
        limit: Option<u32>,
    },
}

/// Where a proposal stands. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// It reached the threshold and its change took effect.
    Enacted,
    /// Its time ran out before it was decided.
    Expired,
    /// It reached the threshold but its change no longer applied (see `outcome`).
    Failed,
    /// Open for votes.
    Open,
    /// So many organizations voted against it that it can no longer pass.
    Rejected,
}

/// One organization's vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteView {
    /// The organization.
    pub msp_id: String,
    /// The admin who cast it.
    pub name: String,
    /// For or against.
    pub approve: bool,
    /// When (ledger time).
    pub at_ms: u64,
}

/// A proposal, its votes and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalView {
    /// The proposal id.
    pub id: String,
    /// What it changes.
    pub change: ProposedChange,
    /// Why.
    pub description: String,
    /// Who proposed it.
    pub proposer: Party,
    /// When (ledger time).
    pub proposed_at_ms: u64,
    /// When it expires if undecided (ledger time).
    pub expires_at_ms: u64,
    /// Where it stands.
    pub status: ProposalStatus,
    /// The votes of current organizations.
    pub votes: Vec<VoteView>,
    /// The votes for it needed now.
    pub required: u32,
    /// When it was decided (ledger time).
    pub decided_at_ms: Option<u64>,
    /// Why a decided proposal failed.
    pub outcome: Option<String>,
}

/// A page of proposals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalList {
    /// Proposals, by id.
    pub items: Vec<ProposalView>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<String>,
}

/// A trusted organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationView {
    /// Its MSP id.
    pub msp_id: String,
    /// SHA-256 of its root CA certificate (DER), hex.
    pub ca_cert_sha256: String,
}

/// The consortium's membership and rules now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstitutionView {
    /// The trusted organizations, by MSP id.
    pub organizations: Vec<OrganizationView>,
    /// The voting threshold.
    pub threshold: Threshold,
    /// The votes a proposal needs now.
    pub required: u32,
    /// SHA-256 of every revoked member certificate, hex, sorted.
    pub revoked: Vec<String>,
    /// The node policy (TOML), if the consortium has one; without it no node may join.
    pub node_policy: Option<String>,
    /// The worker policy (TOML), if the consortium has one; without it no worker gets
    /// a key.
    pub worker_policy: Option<String>,
    /// Who can recover the service from its ledger files, if anyone.
    #[serde(default)]
    pub recovery: Option<RecoveryView>,
    /// What a dataset registered without its own minimum cell size or privacy budget
    /// gets now.
    #[serde(default)]
    pub defaults: DatasetDefaults,
    /// The node ids the consortium retired (`remove_node`), ascending: refused at join.
    #[serde(default)]
    pub retired_nodes: Vec<u64>,
    /// Whether nodes join only under an id admitted by vote (`set_node_admission`).
    #[serde(default)]
    pub nodes_admitted_by_vote: bool,
    /// The node ids the consortium admitted (`add_node`), ascending.
    #[serde(default)]
    pub admitted_nodes: Vec<u64>,
}

/// A vote that counted for or against a change that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryVote {
    /// The organization.
    pub msp_id: String,
    /// The admin who cast it.
    pub name: String,
    /// For or against.
    pub approve: bool,
    /// The ledger sequence of the transaction that cast it (the proposal, for the
    /// proposer's organization); none for a vote cast before the core recorded it.
    pub sequence: Option<u64>,
    /// When (ledger time).
    pub at_ms: u64,
}

/// A change that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// The ledger sequence of the transaction that carried it: the deciding vote, or
    /// the proposal itself if its proposer's vote sufficed.
    pub sequence: u64,
    /// When it took effect (ledger time).
    pub at_ms: u64,
    /// The proposal id.
    pub proposal: String,
    /// The change.
    pub change: ProposedChange,
    /// The change in one line ([`ProposedChange::summary`]).
    pub summary: String,
    /// Why, as the proposer said.
    pub description: String,
    /// Who proposed it.
    pub proposer: Party,
    /// The votes that counted: those of the organizations of the consortium when it
    /// was decided, by MSP id.
    pub votes: Vec<HistoryVote>,
}

/// A page of the governance history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryPage {
    /// Changes in ledger order.
    pub items: Vec<HistoryEntry>,
    /// Pass as `after` for the next page; `None` when this page is the last.
    pub next: Option<u64>,
}

/// The recovery configuration: which members hold shares of the service secrets and
/// how many of them recover the secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryView {
    /// How many shares recover the secrets.
    pub threshold: u32,
    /// The members, `MSP/name`; a member's share index is its position, from 1.
    pub members: Vec<String>,
    /// The configuration's version: 1 for the first one enacted, one more for each
    /// later one. Shares of different versions do not combine.
    pub version: u64,
}

/// A member's share of the service secrets, encrypted to its member key (see
/// `strongroom_enclave::recovery` for the plaintext and how to open it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryShareView {
    /// The member, `MSP/name`.
    pub member: String,
    /// The share's index: the member's position in the configuration, from 1.
    pub index: u32,
    /// How many shares recover the secrets.
    pub threshold: u32,
    /// How many members hold shares.
    pub members: u32,
    /// The recovery configuration's version.
    pub version: u64,
    /// The member key it is encrypted to (X25519), hex.
    pub public_key: String,
    /// SHA-256 of the service public keys the share recovers, hex (also inside the
    /// encrypted share, which is what a recovering member checks).
    pub public_keys_sha256: String,
    /// The share, HPKE-wrapped to the member key, hex.
    pub wrapped_share: String,
}
