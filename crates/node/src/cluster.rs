//! A node as a member of a consortium cluster: joining by attestation, admitting
//! joiners, and ordering writes through the leader.
//!
//! - **Join.** A node started with `join` and no secrets asks its core for a one-time
//!   key and evidence binding it ([`EnclaveRequest::PrepareJoin`]) and posts both to a
//!   member's peer listener ([`JOIN_PATH`], mutual TLS with node certificates). The
//!   leader's core wraps the service secrets to that key only if the evidence verifies
//!   under the node policy the consortium recorded on the ledger; a member that is not
//!   the leader answers 421 naming the leader, and the joiner asks there. The leader then
//!   adds the joiner as a learner, waits until it has caught up, and makes it a voter.
//!   The joiner seals the secrets to its own platform and catches up from the Raft log.
//! - **Retirement.** A node id the consortium retired by vote (governance
//!   `remove_node`, recorded in the replicated state) is refused at join, and the
//!   leader removes it from the Raft membership ([`retire_nodes`]): checked on every
//!   node a few times a second, acted on only by the leader, retried while another
//!   membership change is in progress, and a no-op once the node is gone.
//! - **Admission.** Once the consortium admits nodes by vote (governance
//!   `set_node_admission`), a joiner whose id is neither admitted (`add_node`) nor
//!   already in the membership is refused before its evidence is looked at; a member
//!   that restarts and joins again under its id is not affected.
//! - **Writes.** Only the leader orders. A follower forwards a sealed request to the
//!   leader ([`FORWARD_PATH`]) and answers once the entry is applied and durable on the
//!   follower too, so a client that reads from the node it wrote to reads its write.
//!   While there is no leader (an election), a write waits up to the failover window.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use strongroom_consensus::{
    Applied, ChangeMembers, ConsensusError, ConsensusNode, NodeAddr, NodeId, Raft,
};
use strongroom_enclave::{
    EnclaveRequest, EnclaveResponse, EvidenceMessage, JoinCollateral, PublicKeys,
};

use crate::enclave_bridge::SharedEnclave;
use crate::error::NodeError;
use crate::peer::{CallError, HttpsPeers, NodeCredential, PeerTrust};
use crate::settings::NodeSettings;

/// Where a joiner posts its evidence.
pub const JOIN_PATH: &str = "/cluster/v1/join";
/// Where a follower forwards a sealed request to the leader.
pub const FORWARD_PATH: &str = "/cluster/v1/forward";

/// How long a write waits for a leader (an election, a forward that failed) before it
/// fails as unavailable.
const FAILOVER_WINDOW: Duration = Duration::from_secs(10);
/// How long a follower waits for a forwarded write to be applied locally.
const LOCAL_APPLY_WAIT: Duration = Duration::from_secs(5);
/// How long a joiner keeps trying to reach the cluster.
const JOIN_WINDOW: Duration = Duration::from_secs(60);
/// How often a node looks for retired nodes still in the membership.
const RETIRE_POLL: Duration = Duration::from_millis(200);

/// A joiner's request ([`JOIN_PATH`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The joiner's Raft node id.
    pub node_id: NodeId,
    /// Where peers reach the joiner's peer listener (`host:port`).
    pub addr: String,
    /// Evidence binding `joiner_key` ([`strongroom_enclave::join_report_data`]).
    pub evidence: EvidenceMessage,
    /// What verifies the evidence.
    pub collateral: JoinCollateral,
    /// The joiner's one-time HPKE X25519 public key, hex.
    pub joiner_key: String,
}

/// The answer to an admitted joiner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinAnswer {
    /// The service secrets wrapped to the joiner's key, hex.
    pub wrapped: String,
}

/// A member that is not the leader (status 421): where the leader is, if known.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Misdirected {
    /// The leader's peer address.
    pub leader: Option<String>,
    /// Why.
    pub error: String,
}

/// This node's place in a cluster (none for a single node).
#[derive(Debug)]
pub struct Cluster {
    /// This node's Raft id.
    pub id: NodeId,
    /// Where peers reach this node.
    pub advertise: String,
    /// Where the peer listener binds.
    pub listen: SocketAddr,
    /// The peer client.
    pub peers: HttpsPeers,
    /// The organizations whose node certificates are accepted.
    pub trust: Arc<PeerTrust>,
    /// This node's certificate and key.
    pub credential: NodeCredential,
    /// How long an election waits.
    pub election_timeout: Duration,
    /// What verifies this node's evidence, sent with it when it joins (setting
    /// `collateral`; none for `sim`).
    pub collateral: JoinCollateral,
}

impl Cluster {
    /// The cluster settings of `settings`, with the organizations' roots (MSP id, DER)
    /// that peers' certificates must chain to; none if the node runs alone.
    pub fn from_settings(
        settings: &NodeSettings,
        roots: Vec<(String, Vec<u8>)>,
    ) -> Result<Option<Self>, NodeError> {
        let Some(listen) = settings.peer_listen else {
            return Ok(None);
        };
        let config = |reason: &str| NodeError::Config {
            reason: reason.to_owned(),
        };
        let cert = settings.node_certificate.as_ref().ok_or_else(|| {
            config("node_certificate: a node with peer_listen needs its node certificate (issued by its organization, OU node)")
        })?;
        if roots.is_empty() {
            return Err(config(
                "organizations: a cluster node needs the consortium's organizations (msp_id and ca_cert) to check its peers' certificates",
            ));
        }
        let credential = NodeCredential::load(cert)?;
        let trust = Arc::new(PeerTrust::new(roots));
        let source = Some(listen.ip()).filter(|ip| !ip.is_unspecified());
        let peers = HttpsPeers::new(&credential, &trust, source)?;
        Ok(Some(Self {
            id: settings.node_id,
            advertise: settings
                .peer_advertise
                .clone()
                .unwrap_or_else(|| listen.to_string()),
            listen,
            peers,
            trust,
            credential,
            election_timeout: Duration::from_millis(settings.election_timeout_ms),
            collateral: JoinCollateral::None,
        }))
    }

    /// Joins through the member at `contact` (its peer address): returns the service
    /// keys and the secrets sealed to this core's platform, now held by `core`.
    pub async fn join(
        &self,
        core: &SharedEnclave,
        contact: &str,
    ) -> Result<(PublicKeys, Vec<u8>), NodeError> {
        let (evidence, joiner_key) = match lock(core).handle(EnclaveRequest::PrepareJoin) {
            EnclaveResponse::JoinPrepared {
                evidence,
                joiner_key,
            } => (evidence, joiner_key),
            other => return Err(enclave("prepare join", other)),
        };
        let body = serde_json::to_vec(&JoinBody {
            node_id: self.id,
            addr: self.advertise.clone(),
            evidence,
            collateral: self.collateral.clone(),
            joiner_key: hex::encode(joiner_key),
        })
        .map_err(|e| NodeError::Enclave(format!("join request: {e}")))?;
        let deadline = Instant::now() + JOIN_WINDOW;
        let mut target = contact.to_owned();
        let answer = loop {
            match self.peers.post(&target, JOIN_PATH, body.clone()).await {
                Ok(answer) => break answer,
                Err(CallError::Refused(refusal)) if refusal.status == 421 => {
                    if let Ok(Misdirected {
                        leader: Some(leader),
                        ..
                    }) = serde_json::from_slice(&refusal.body)
                    {
                        target = leader;
                        continue;
                    }
                }
                Err(CallError::Refused(refusal)) => {
                    return Err(NodeError::Join(format!(
                        "{target} refused this node: {}",
                        String::from_utf8_lossy(&refusal.body)
                    )));
                }
                Err(CallError::Unreachable(reason)) if Instant::now() >= deadline => {
                    return Err(NodeError::Join(format!(
                        "no member reachable at {target} within {} s: {reason}",
                        JOIN_WINDOW.as_secs()
                    )));
                }
                Err(CallError::Unreachable(_)) => {}
            }
            if Instant::now() >= deadline {
                return Err(NodeError::Join(format!(
                    "no leader found through {contact} within {} s",
                    JOIN_WINDOW.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let answer: JoinAnswer = serde_json::from_slice(&answer)
            .map_err(|e| NodeError::Join(format!("{target}: malformed answer: {e}")))?;
        let wrapped = hex::decode(&answer.wrapped)
            .map_err(|e| NodeError::Join(format!("{target}: wrapped secrets: {e}")))?;
        match lock(core).handle(EnclaveRequest::Join { wrapped }) {
            EnclaveResponse::Joined {
                public_keys,
                sealed,
            } => Ok((public_keys, sealed)),
            other => Err(enclave("join", other)),
        }
    }
}

fn lock(core: &SharedEnclave) -> std::sync::MutexGuard<'_, strongroom_enclave::Enclave> {
    core.lock().unwrap_or_else(|e| e.into_inner())
}

fn enclave(what: &str, response: EnclaveResponse) -> NodeError {
    match response {
        EnclaveResponse::Error { error } => NodeError::Enclave(format!("{what}: {error}")),
        other => NodeError::Enclave(format!("{what}: unexpected answer {other:?}")),
    }
}

/// On the leader: has the core check a joiner's evidence and wrap the secrets to its
/// key, then adds the joiner to the cluster (in the background: the joiner starts
/// serving only once it holds the secrets). Errors are the joiner's to read.
pub fn admit(
    core: &SharedEnclave,
    consensus: &ConsensusNode,
    body: JoinBody,
) -> Result<JoinAnswer, NodeError> {
    let joiner_key = hex::decode(&body.joiner_key)
        .map_err(|e| NodeError::BadRequest(format!("joiner_key: {e}")))?;
    if lock(core).retired_nodes().contains(&body.node_id) {
        return Err(NodeError::Unauthorized(format!(
            "join refused: node {} was retired by the consortium (governance remove-node); \
             a retired node id never joins again",
            body.node_id
        )));
    }
    let metrics = consensus.raft().metrics().borrow().clone();
    let existing = metrics
        .membership_config
        .membership()
        .get_node(&body.node_id)
        .cloned();
    if existing.is_none() && !lock(core).node_admission().admits(body.node_id) {
        return Err(NodeError::Unauthorized(format!(
            "join refused: the consortium admits nodes by vote and has not admitted node {} \
             (governance propose add-node --node-id {})",
            body.node_id, body.node_id
        )));
    }
    if let Some(existing) = existing
        && existing.addr != body.addr
    {
        return Err(NodeError::BadRequest(format!(
            "node_id: node {} is already a member at {existing}; a node joins under its own id",
            body.node_id
        )));
    }
    let request = EnclaveRequest::JoinRequest {
        evidence: body.evidence,
        collateral: body.collateral,
        joiner_key,
    };
    let wrapped = match lock(core).handle(request) {
        EnclaveResponse::SecretsWrapped { wrapped } => wrapped,
        EnclaveResponse::Error { error } => {
            return Err(NodeError::Unauthorized(format!("join refused: {error}")));
        }
        other => return Err(enclave("join request", other)),
    };
    tracing::info!(node = body.node_id, addr = %body.addr, "admitted a joining node");
    tokio::spawn(add_member(
        consensus.raft().clone(),
        body.node_id,
        body.addr,
    ));
    Ok(JoinAnswer {
        wrapped: hex::encode(wrapped),
    })
}

/// Removes the node ids the consortium retired from the Raft membership, whenever this
/// node (`id`) leads: a retired voter is removed as a voter and as a node, a retired
/// learner as a node. Retried while another membership change is in progress; nothing
/// to do once they are gone. Ends when Raft stops.
pub fn retire_nodes(core: SharedEnclave, raft: Raft, id: NodeId) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let metrics = raft.metrics();
        loop {
            tokio::time::sleep(RETIRE_POLL).await;
            if metrics.has_changed().is_err() {
                return; // Raft stopped.
            }
            let (leads, membership) = {
                let m = metrics.borrow();
                if m.running_state.is_err() {
                    return;
                }
                (m.current_leader == Some(id), m.membership_config.clone())
            };
            if !leads {
                continue;
            }
            let retired = lock(&core).retired_nodes();
            let membership = membership.membership();
            let voters: BTreeSet<NodeId> = membership
                .voter_ids()
                .filter(|n| retired.contains(n))
                .collect();
            let learners: BTreeSet<NodeId> = membership
                .learner_ids()
                .filter(|n| retired.contains(n))
                .collect();
            let change = if !voters.is_empty() {
                ChangeMembers::RemoveVoters(voters.clone())
            } else if !learners.is_empty() {
                ChangeMembers::RemoveNodes(learners.clone())
            } else {
                continue;
            };
            match raft.change_membership(change, false).await {
                Ok(_) => {
                    tracing::info!(?voters, ?learners, "removed retired nodes from the cluster")
                }
                Err(e) => tracing::info!(error = %e, "removing retired nodes: retrying"),
            }
        }
    })
}

/// Adds `id` as a learner, waits until it caught up, then makes it a voter; retried
/// while another membership change (another joiner's) is in progress.
async fn add_member(raft: Raft, id: NodeId, addr: String) {
    let deadline = Instant::now() + JOIN_WINDOW;
    while Instant::now() < deadline {
        let membership = raft.metrics().borrow().membership_config.clone();
        let membership = membership.membership();
        let mut voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        if voters.contains(&id) {
            return;
        }
        let step = if membership.learner_ids().any(|l| l == id) {
            voters.insert(id);
            raft.change_membership(voters, false)
                .await
                .map(|_| tracing::info!(node = id, %addr, "the joiner is a voter"))
                .map_err(|e| e.to_string())
        } else {
            let node = NodeAddr { addr: addr.clone() };
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, raft.add_learner(id, node, true)).await {
                Ok(added) => added.map(|_| ()).map_err(|e| e.to_string()),
                Err(_) => Err("the joiner did not catch up in time".into()),
            }
        };
        if let Err(e) = step {
            tracing::info!(node = id, error = %e, "adding the joiner: retrying");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tracing::warn!(node = id, %addr, "the joiner was not made a voter in time");
}

/// Orders `sealed`: here if this node leads, else through the leader, waiting through
/// an election up to the failover window.
pub async fn order(
    consensus: &ConsensusNode,
    cluster: Option<&Cluster>,
    sealed: Vec<u8>,
) -> Result<Applied, NodeError> {
    let Some(cluster) = cluster else {
        return Ok(consensus.propose(sealed).await?);
    };
    let deadline = Instant::now() + FAILOVER_WINDOW;
    let mut last = String::from("no leader");
    loop {
        match consensus.leader() {
            Some((leader, _)) if leader == cluster.id => {
                // A leader cut off from the majority would append what it can never
                // commit: it takes a write only while a quorum acknowledged it within
                // the longest election timeout, after which a new leader may exist.
                if !consensus.leads_with_quorum(cluster.election_timeout * 3 / 2) {
                    last = String::from("this node leads but no quorum acknowledged it lately");
                } else {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, consensus.propose(sealed.clone())).await {
                        Ok(Err(ConsensusError::NotLeader { .. })) => {}
                        Ok(other) => return Ok(other?),
                        // Appended but not committed in time (the quorum was lost
                        // after it was taken): not acknowledged, its outcome unknown.
                        Err(_) => {
                            tracing::warn!("a write was not committed within the failover window");
                            return Err(NodeError::Consensus(ConsensusError::NotLeader {
                                leader: None,
                            }));
                        }
                    }
                }
            }
            Some((leader, addr)) => {
                match cluster
                    .peers
                    .post(&addr.addr, FORWARD_PATH, sealed.clone())
                    .await
                {
                    Ok(answer) => {
                        let applied: Applied = serde_json::from_slice(&answer).map_err(|e| {
                            NodeError::Enclave(format!("leader {leader}: malformed answer: {e}"))
                        })?;
                        if let Some(sequence) = applied.sequence
                            && let Err(e) = consensus.wait_durable(sequence, LOCAL_APPLY_WAIT).await
                        {
                            tracing::warn!(error = %e, "a forwarded write is not applied here yet");
                        }
                        return Ok(applied);
                    }
                    // Not the leader any more, or unreachable before the request was
                    // taken: try again with whoever leads next.
                    Err(CallError::Refused(r)) if r.status == 421 => {
                        last = format!("node {leader} no longer leads");
                    }
                    Err(CallError::Unreachable(reason)) => {
                        last = format!("leader {leader} at {addr}: {reason}");
                    }
                    Err(CallError::Refused(r)) => {
                        return Err(NodeError::Forwarded {
                            status: r.status,
                            body: r.body,
                        });
                    }
                }
            }
            None => {}
        }
        if Instant::now() >= deadline {
            tracing::warn!(%last, "no leader within the failover window");
            return Err(NodeError::Consensus(ConsensusError::NotLeader {
                leader: None,
            }));
        }
        tokio::time::sleep(cluster.election_timeout / 4).await;
    }
}
