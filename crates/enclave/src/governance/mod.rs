//! Governance of the consortium's membership and rules: proposals that take effect
//! only when enough organizations vote for them.
//!
//! No single organization decides who belongs to the consortium. Adding or removing an
//! organization, revoking a member's certificate, changing the voting threshold,
//! replacing the node or worker policy, retiring a node and setting the dataset
//! defaults are [`ProposedChange`]s: an organization's
//! `admin` proposes one (which counts as its organization's vote for it), the admins
//! of the other organizations vote, one vote per organization (a later vote of the
//! same organization replaces its earlier one), and the change is enacted in the
//! transaction whose vote reaches the threshold ([`Threshold`], by default a majority
//! of the organizations; the threshold itself changes only by the same rule). A
//! proposal is rejected once so many organizations voted against it that it can no
//! longer pass, and expires (ledger time) if neither happens first: after 7 days by
//! default, 30 at most. Only the votes of current organizations count.
//!
//! What an enacted change does, from the ledger time of its entry on:
//! - `add_organization`: the organization's root CA is trusted; its members' requests
//!   are accepted.
//! - `remove_node`: the node id is recorded as retired (module `nodes`). The leader removes
//!   it from the Raft membership (the node layer, retrying while another membership
//!   change is in progress), and a node asking to join under that id is refused from
//!   then on. A proposal naming a node that is not a voter or learner of the cluster
//!   (as the Raft log has it at that entry), one already retired, or the last voter is
//!   refused, and checked again at enactment.
//! - `remove_organization`: its root is no longer trusted: its members' requests are
//!   refused (`signer_rejected`). Its datasets stay in the state; nobody of it can act.
//! - `revoke_member`: requests signed with that certificate are refused (`revoked`),
//!   whatever its validity.
//! - `set_defaults`: a dataset registered from then on without its own minimum cell size
//!   or privacy budget gets the new default (module `defaults`); a dataset already
//!   registered keeps what it had. Before any such vote: a minimum cell size of 11 and
//!   no budget.
//! - `set_node_policy`: later join requests are verified under the new node policy
//!   (at the ledger time of the last applied entry): a core whose measurement the new
//!   policy does not admit no longer receives the service secrets. It does not take
//!   them back from a core that joined before: a replaced policy governs admission, not
//!   the nodes already admitted. The whole policy is replaced: the consortium accepts
//!   a code measurement (or a TEE platform) by voting a policy that names it, and
//!   retires one by voting a policy that no longer does.
//! - `set_recovery`: the members it names (each must have published a member key,
//!   checked at the proposal and again at enactment) can fetch their shares of the
//!   service secrets under the new configuration, whose version is one more than the
//!   last; any `threshold` of those shares recover the service ([`crate::recovery`]).
//!   Shares of an earlier configuration still combine among themselves: a replaced
//!   configuration cannot take back the shares it gave out.
//! - `set_threshold`: later tallies use the new threshold.
//! - `set_worker_policy`: later attested transactions are verified under the new worker
//!   policy ([`crate::worker`]); a worker the old policy accepted and the new one does
//!   not gets no more keys. Accepting or retiring a worker measurement is, likewise,
//!   a vote on the whole policy with or without it.
//!
//! Every change that took effect is in the history ([`GovernanceQuery::History`],
//! module `history`), in ledger order, with the sequence of the entry that carried it and
//! the votes that counted, each with its own sequence: derived from the replicated
//! state, so every node answers the same.
//!
//! Invocations and queries are JSON ([`GovernanceInvocation`], [`GovernanceQuery`]),
//! carried by [`Body::Governance`](crate::request::Body::Governance). Every member of
//! the consortium may read the proposals and the constitution: they are the
//! consortium's own business, not any one party's.
//!
//! # The core's keys
//!
//! | key | value |
//! |---|---|
//! | `org/<msp id>` | the organization's root CA certificate, DER |
//! | `cfg/threshold` | [`Threshold`], JSON |
//! | `prop/<id>` | a proposal, JSON |
//! | `rev/<certificate SHA-256, hex>` | a revocation (time and proposal), JSON |
//! | `cfg/node-policy` | the node policy, TOML text |
//! | `cfg/worker-policy` | the worker policy, TOML text |
//! | `cfg/recovery` | the recovery configuration (threshold, members, version), JSON |
//! | `cfg/defaults` | the dataset defaults (`set_defaults`), JSON |
//! | `node/retired/<node id, 16 hex digits>` | a retired node (proposal, time, sequence), JSON |
//! | `hist/<sequence, 16 hex digits>` | the id of the proposal enacted in that entry |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use strongroom_contract::sharing::Party;
use strongroom_contract::{Caller, ContractError, MemState, State};

mod api;
mod change;
pub(crate) mod defaults;
mod history;
pub(crate) mod nodes;
pub(crate) mod recovery;

pub use api::{
    ConstitutionView, GovernanceInvocation, GovernanceQuery, HistoryEntry, HistoryPage,
    HistoryVote, OrganizationView, ProposalList, ProposalStatus, ProposalView, ProposedChange,
    RecoveryShareView, RecoveryView, Threshold, VoteView, epsilon_text,
};
pub(crate) use change::check_policy;
pub(crate) use nodes::ClusterView;
pub use nodes::NodeAdmission;
use recovery::MemberKeys;
use strongroom_identity::{TrustStore, fingerprint};

use time::OffsetDateTime;

use crate::core::NODE_POLICY_KEY;
use crate::worker::WORKER_POLICY_KEY;

/// The prefix of the organizations' keys.
pub(crate) const ORGANIZATION_PREFIX: &[u8] = b"org/";
const REVOKED_PREFIX: &str = "rev/";
const THRESHOLD_KEY: &[u8] = b"cfg/threshold";
const PROPOSAL_PREFIX: &str = "prop/";
/// A proposal's life when the proposer names none (7 days).
pub const DEFAULT_PROPOSAL_LIFETIME_MS: u64 = 7 * 24 * 3600 * 1000;
/// The longest life a proposal may be given (30 days).
pub const MAX_PROPOSAL_LIFETIME_MS: u64 = 30 * 24 * 3600 * 1000;
const MAX_DESCRIPTION: usize = 1024;
const ADMIN: &str = "admin";

/// What a governance transaction sees besides the caller and the state.
pub(crate) struct Env<'a> {
    /// The ledger time of the entry.
    pub(crate) now_ms: u64,
    /// The entry's ledger sequence.
    pub(crate) sequence: u64,
    /// The member keys the contract holds.
    pub(crate) member_keys: MemberKeys<'a>,
    /// The cluster's membership as of the entry.
    pub(crate) cluster: ClusterView<'a>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct VoteRecord {
    name: String,
    approve: bool,
    at_ms: u64,
    /// The ledger sequence of the vote (absent in records of older cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Decision {
    status: ProposalStatus,
    at_ms: u64,
    outcome: Option<String>,
    /// The ledger sequence of the entry that decided it (absent in records of older
    /// cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
    /// The organizations whose votes counted when it was decided (absent in records
    /// of older cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    counted: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProposalRecord {
    change: ProposedChange,
    description: String,
    proposer: Party,
    proposed_at_ms: u64,
    expires_at_ms: u64,
    votes: BTreeMap<String, VoteRecord>,
    decided: Option<Decision>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Revocation {
    revoked_at_ms: u64,
    proposal: String,
}

fn invalid(field: &str, what: impl std::fmt::Display) -> ContractError {
    ContractError::Invalid(format!("{field}: {what}"))
}

fn refused(what: impl Into<String>) -> ContractError {
    ContractError::Refused(what.into())
}

/// The time of a committed entry (clamped to the epoch beyond the year 9999).
pub(crate) fn time_of(timestamp_ms: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(timestamp_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A PEM certificate's DER.
pub(crate) fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let (label, document) =
        pkcs8::der::Document::from_pem(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    if label != "CERTIFICATE" {
        return Err(format!("PEM label is {label:?}, expected \"CERTIFICATE\""));
    }
    Ok(document.as_bytes().to_vec())
}

/// Whether `msp_id` is 1 to 64 of ASCII letters, digits, `.`, `-` and `_`.
pub(crate) fn valid_msp_id(msp_id: &str) -> bool {
    (1..=64).contains(&msp_id.len())
        && msp_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn organization_key(msp_id: &str) -> Vec<u8> {
    [ORGANIZATION_PREFIX, msp_id.as_bytes()].concat()
}

fn revoked_key(certificate_sha256: &str) -> Vec<u8> {
    format!("{REVOKED_PREFIX}{certificate_sha256}").into_bytes()
}

fn proposal_key(id: &str) -> Vec<u8> {
    format!("{PROPOSAL_PREFIX}{id}").into_bytes()
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, ContractError> {
    serde_json::to_vec(value).map_err(|e| refused(format!("state: does not encode: {e}")))
}

fn load<T: serde::de::DeserializeOwned>(
    state: &dyn State,
    key: &[u8],
) -> Result<Option<T>, ContractError> {
    match state.get_ref(key) {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            ContractError::Invalid(format!(
                "state: record {} does not decode: {e}",
                String::from_utf8_lossy(key)
            ))
        }),
    }
}

/// The keys under `prefix`, with the prefix cut off, after `after`, at most `limit`.
fn keys_under(state: &dyn State, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<String> {
    let start = match after {
        Some(after) => [prefix, after, b"\0"].concat(),
        None => prefix.to_vec(),
    };
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    let mut out = Vec::new();
    state.scan(&start, Some(&end), &mut |key, _| {
        if let Some(rest) = key.strip_prefix(prefix) {
            out.push(String::from_utf8_lossy(rest).into_owned());
        }
        out.len() < limit
    });
    out
}

/// The trusted organizations of the core's state.
pub(crate) fn trust_store(core: &MemState) -> TrustStore {
    let mut store = TrustStore::new();
    let end = b"org0"; // '0' is the byte after '/'
    core.scan(ORGANIZATION_PREFIX, Some(end), &mut |key, value| {
        if let Some(msp_id) = key.strip_prefix(ORGANIZATION_PREFIX) {
            store.insert(String::from_utf8_lossy(msp_id).into_owned(), value.to_vec());
        }
        true
    });
    store
}

/// Writes the genesis constitution into the core's state.
pub(crate) fn genesis(
    core: &mut dyn State,
    organizations: &[(String, Vec<u8>)],
    threshold: Threshold,
    node_policy: Option<&str>,
    worker_policy: Option<&str>,
) -> Result<(), ContractError> {
    for (msp_id, der) in organizations {
        core.put(organization_key(msp_id), der.clone());
    }
    core.put(THRESHOLD_KEY.to_vec(), json(&threshold)?);
    if let Some(policy) = node_policy {
        change::check_policy(policy).map_err(|e| invalid("node_policy", e))?;
        core.put(NODE_POLICY_KEY.to_vec(), policy.as_bytes().to_vec());
    }
    if let Some(policy) = worker_policy {
        change::check_policy(policy).map_err(|e| invalid("worker_policy", e))?;
        core.put(WORKER_POLICY_KEY.to_vec(), policy.as_bytes().to_vec());
    }
    Ok(())
}

/// Whether the certificate with this fingerprint was revoked.
pub(crate) fn is_revoked(core: &dyn State, cert_fingerprint: &[u8; 32]) -> bool {
    core.get_ref(&revoked_key(&hex::encode(cert_fingerprint)))
        .is_some()
}

fn threshold(state: &dyn State) -> Result<Threshold, ContractError> {
    Ok(load(state, THRESHOLD_KEY)?.unwrap_or_default())
}

fn organizations(state: &dyn State) -> Vec<String> {
    keys_under(state, ORGANIZATION_PREFIX, None, usize::MAX)
}

fn check_id(field: &str, id: &str) -> Result<(), ContractError> {
    let ok = id.strip_prefix("prop-").is_some_and(|hex| {
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            "expected an id of the form prop-<16 lowercase hex digits>",
        ))
    }
}

/// Decides a proposal if its votes allow: enacts it (or records why it failed) at the
/// threshold, rejects it once it can no longer pass.
fn tally(
    state: &mut dyn State,
    id: &str,
    record: &mut ProposalRecord,
    env: &Env<'_>,
) -> Result<(), ContractError> {
    let now_ms = env.now_ms;
    let orgs = organizations(state);
    let required = threshold(state)?.required(orgs.len());
    let counted: Vec<String> = record
        .votes
        .keys()
        .filter(|msp| orgs.contains(msp))
        .cloned()
        .collect();
    let votes = record.votes.iter().filter(|(msp, _)| orgs.contains(msp));
    let (approvals, rejections) = votes.fold((0, 0), |(yes, no), (_, vote)| {
        if vote.approve {
            (yes + 1, no)
        } else {
            (yes, no + 1)
        }
    });
    if approvals >= required {
        let decision = match change::applicable(state, &record.change, env) {
            Ok(()) => {
                change::enact(state, id, &record.change, env)?;
                history::record(state, env.sequence, id);
                (ProposalStatus::Enacted, None)
            }
            Err(reason) => (ProposalStatus::Failed, Some(reason)),
        };
        record.decided = Some(Decision {
            status: decision.0,
            at_ms: now_ms,
            outcome: decision.1,
            sequence: Some(env.sequence),
            counted: Some(counted),
        });
    } else if rejections > orgs.len().saturating_sub(required) {
        record.decided = Some(Decision {
            status: ProposalStatus::Rejected,
            at_ms: now_ms,
            outcome: None,
            sequence: Some(env.sequence),
            counted: Some(counted),
        });
    }
    Ok(())
}

fn view(state: &dyn State, id: &str, record: ProposalRecord, now_ms: u64) -> ProposalView {
    let orgs = organizations(state);
    let required = threshold(state).unwrap_or_default().required(orgs.len());
    let (status, decided_at_ms, outcome) = match record.decided {
        Some(d) => (d.status, Some(d.at_ms), d.outcome),
        None if now_ms >= record.expires_at_ms => (ProposalStatus::Expired, None, None),
        None => (ProposalStatus::Open, None, None),
    };
    ProposalView {
        id: id.to_owned(),
        change: record.change,
        description: record.description,
        proposer: record.proposer,
        proposed_at_ms: record.proposed_at_ms,
        expires_at_ms: record.expires_at_ms,
        status,
        votes: record
            .votes
            .into_iter()
            .filter(|(msp, _)| orgs.contains(msp))
            .map(|(msp_id, v)| VoteView {
                msp_id,
                name: v.name,
                approve: v.approve,
                at_ms: v.at_ms,
            })
            .collect(),
        required: u32::try_from(required).unwrap_or(u32::MAX),
        decided_at_ms,
        outcome,
    }
}

fn reply<T: Serialize>(value: &T) -> Result<Vec<u8>, ContractError> {
    json(value)
}

/// Executes a governance transaction for `caller` in the entry `env` describes (its
/// sequence names a new proposal). Changes are made to `state` (an overlay the core
/// keeps only if this succeeds).
pub(crate) fn execute(
    caller: &Caller,
    invocation: &[u8],
    env: &Env<'_>,
    state: &mut dyn State,
) -> Result<Vec<u8>, ContractError> {
    let (now_ms, sequence) = (env.now_ms, env.sequence);
    let invocation: GovernanceInvocation = serde_json::from_slice(invocation)
        .map_err(|e| ContractError::Invalid(format!("governance invocation: {e}")))?;
    match invocation {
        GovernanceInvocation::Propose {
            change,
            description,
            expires_at_ms,
        } => {
            change::check(&change)?;
            if description.len() > MAX_DESCRIPTION {
                return Err(invalid("description", "is larger than 1 KiB"));
            }
            let expires_at_ms =
                expires_at_ms.unwrap_or(now_ms.saturating_add(DEFAULT_PROPOSAL_LIFETIME_MS));
            if expires_at_ms <= now_ms
                || expires_at_ms > now_ms.saturating_add(MAX_PROPOSAL_LIFETIME_MS)
            {
                return Err(invalid(
                    "expires_at_ms",
                    "must be after the ledger time and at most 30 days after it",
                ));
            }
            if caller.role != ADMIN {
                return Err(refused("only an organization's admin may propose"));
            }
            change::applicable(state, &change, env).map_err(refused)?;
            let id = format!("prop-{sequence:016x}");
            let mut votes = BTreeMap::new();
            votes.insert(
                caller.msp_id.clone(),
                VoteRecord {
                    name: caller.name.clone(),
                    approve: true,
                    at_ms: now_ms,
                    sequence: Some(sequence),
                },
            );
            let mut record = ProposalRecord {
                change,
                description,
                proposer: Party {
                    msp_id: caller.msp_id.clone(),
                    name: caller.name.clone(),
                },
                proposed_at_ms: now_ms,
                expires_at_ms,
                votes,
                decided: None,
            };
            tally(state, &id, &mut record, env)?;
            state.put(proposal_key(&id), json(&record)?);
            reply(&view(state, &id, record, now_ms))
        }
        GovernanceInvocation::Vote { proposal, approve } => {
            check_id("proposal", &proposal)?;
            if caller.role != ADMIN {
                return Err(refused("only an organization's admin may vote"));
            }
            let mut record: ProposalRecord = load(state, &proposal_key(&proposal))?
                .ok_or_else(|| refused(format!("no proposal {proposal}")))?;
            if let Some(decision) = &record.decided {
                return Err(refused(format!(
                    "proposal {proposal} is already decided ({:?})",
                    decision.status
                )));
            }
            if now_ms >= record.expires_at_ms {
                return Err(refused(format!("proposal {proposal} has expired")));
            }
            record.votes.insert(
                caller.msp_id.clone(),
                VoteRecord {
                    name: caller.name.clone(),
                    approve,
                    at_ms: now_ms,
                    sequence: Some(sequence),
                },
            );
            tally(state, &proposal, &mut record, env)?;
            state.put(proposal_key(&proposal), json(&record)?);
            reply(&view(state, &proposal, record, now_ms))
        }
    }
}

/// Answers a governance query at ledger time `now_ms` (any member); `recovery_share`
/// answers [`GovernanceQuery::GetRecoveryShare`], which needs the core's secrets.
pub(crate) fn query(
    query: &[u8],
    now_ms: u64,
    state: &dyn State,
    recovery_share: &dyn Fn() -> Result<Vec<u8>, ContractError>,
) -> Result<Vec<u8>, ContractError> {
    let query: GovernanceQuery = serde_json::from_slice(query)
        .map_err(|e| ContractError::Invalid(format!("governance query: {e}")))?;
    match query {
        GovernanceQuery::Constitution => {
            let mut organizations = Vec::new();
            state.scan(ORGANIZATION_PREFIX, Some(b"org0"), &mut |key, value| {
                if let Some(msp_id) = key.strip_prefix(ORGANIZATION_PREFIX) {
                    organizations.push(OrganizationView {
                        msp_id: String::from_utf8_lossy(msp_id).into_owned(),
                        ca_cert_sha256: hex::encode(fingerprint(value)),
                    });
                }
                true
            });
            let threshold = threshold(state)?;
            reply(&ConstitutionView {
                required: u32::try_from(threshold.required(organizations.len()))
                    .unwrap_or(u32::MAX),
                organizations,
                threshold,
                revoked: keys_under(state, REVOKED_PREFIX.as_bytes(), None, usize::MAX),
                node_policy: state
                    .get_ref(NODE_POLICY_KEY)
                    .map(|text| String::from_utf8_lossy(&text).into_owned()),
                worker_policy: state
                    .get_ref(WORKER_POLICY_KEY)
                    .map(|text| String::from_utf8_lossy(&text).into_owned()),
                recovery: recovery::view(state)?,
                defaults: defaults::current(state)?,
                retired_nodes: nodes::retired(state),
                nodes_admitted_by_vote: nodes::admission_by_vote(state),
                admitted_nodes: nodes::admitted(state),
            })
        }
        GovernanceQuery::GetProposal { id } => {
            check_id("id", &id)?;
            let record: ProposalRecord = load(state, &proposal_key(&id))?
                .ok_or_else(|| refused(format!("no proposal {id}")))?;
            reply(&view(state, &id, record, now_ms))
        }
        GovernanceQuery::GetRecoveryShare => recovery_share(),
        GovernanceQuery::History { after, limit } => reply(&history::page(state, after, limit)?),
        GovernanceQuery::ListProposals { after, limit } => {
            if let Some(after) = &after {
                check_id("after", after)?;
            }
            let limit = match limit {
                None => 20,
                Some(n @ 1..=100) => n as usize,
                Some(_) => return Err(invalid("limit", "must be 1 to 100")),
            };
            let ids = keys_under(
                state,
                PROPOSAL_PREFIX.as_bytes(),
                after.as_deref().map(str::as_bytes),
                limit + 1,
            );
            let more = ids.len() > limit;
            let mut items = Vec::new();
            for id in ids.into_iter().take(limit) {
                if let Some(record) = load::<ProposalRecord>(state, &proposal_key(&id))? {
                    items.push(view(state, &id, record, now_ms));
                }
            }
            let next = if more {
                items.last().map(|p| p.id.clone())
            } else {
                None
            };
            reply(&ProposalList { items, next })
        }
    }
}
