//! A running consensus node: the Raft log store, the state machine over the ledger,
//! and openraft between them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openraft::error::{ClientWriteError, RaftError};
use openraft::{Config, ServerState, SnapshotPolicy};
use strongroom_ledger::{LedgerStore, RootSigner, SignatureSchedule};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::applier::Applier;
use crate::error::ConsensusError;
use crate::ledger_writer::Durable;
use crate::log_store::LogStore;
use crate::network::{Network, NoPeers, PeerTransport};
use crate::state_machine::{Receipts, StateMachine};
use crate::types::{Applied, NodeAddr, NodeId, Proposal, Raft};

/// The files of a node's data directory.
pub const RAFT_FILE: &str = "raft.redb";
/// The ledger file in a node's data directory.
pub const LEDGER_FILE: &str = "ledger.redb";

/// How to start a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// This node's id.
    pub id: NodeId,
    /// Where peers reach it.
    pub addr: String,
    /// The data directory (created if missing): `raft.redb` and `ledger.redb`.
    pub dir: PathBuf,
    /// When signature entries are written.
    pub schedule: SignatureSchedule,
    /// Build a snapshot (and purge the Raft log before it, keeping the last
    /// `min(snapshot_every, 1000)` entries) every this many entries.
    pub snapshot_every: u64,
    /// The longest a write may wait for a new leader before it fails.
    pub election_timeout: Duration,
    /// Where a snapshot's missing ledger entries come from (a cluster's peers); none:
    /// a snapshot ahead of this node's ledger is refused.
    pub catch_up: Option<crate::catch_up::LedgerPeers>,
}

impl NodeConfig {
    /// Defaults for a single node with data in `dir`.
    pub fn single(dir: impl Into<PathBuf>) -> Self {
        Self {
            id: 1,
            addr: "127.0.0.1:0".into(),
            dir: dir.into(),
            schedule: SignatureSchedule::default(),
            snapshot_every: 10_000,
            election_timeout: Duration::from_millis(150),
            catch_up: None,
        }
    }

    fn raft_config(&self) -> Result<Config, ConsensusError> {
        let min = u64::try_from(self.election_timeout.as_millis()).unwrap_or(u64::MAX);
        Config {
            cluster_name: "strongroom".into(),
            heartbeat_interval: (min / 3).max(1),
            election_timeout_min: min,
            // openraft's leader lease is the maximum: a follower refuses to vote for
            // that long after the leader's last heartbeat, so a narrow spread makes a
            // dead leader's successor elected sooner (max 1.5 min: at the default 500 ms,
            // a SIGKILLed leader is replaced in about 1 to 1.5 s instead of 1.7 s).
            election_timeout_max: min.saturating_mul(3) / 2,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_every),
            // Installing the last chunk includes fetching and verifying the ledger
            // entries a lagging follower lacks (`catch_up.rs`), which takes far longer
            // than openraft's default 200 ms: a sender that gives up sooner starts the
            // snapshot over again and again, and the follower never catches up.
            install_snapshot_timeout: 120_000,
            max_in_snapshot_log_to_keep: self.snapshot_every.min(1000),
            ..Config::default()
        }
        .validate()
        .map_err(|e| ConsensusError::Raft(format!("configuration: {e}")))
    }
}

/// A running node of a (so far single-member) Raft cluster that writes the ledger.
pub struct ConsensusNode {
    raft: Raft,
    proposals: mpsc::Sender<Pending>,
    batcher: JoinHandle<()>,
    ledger: Arc<LedgerStore>,
    receipts: Receipts,
    ticker: JoinHandle<()>,
    dir: PathBuf,
    durable: Durable,
    released: Vec<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for ConsensusNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsensusNode")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl ConsensusNode {
    /// Opens the data directory and starts a single-node cluster (initializing it on
    /// first start), then waits until this node leads.
    ///
    /// `signer` signs the roots in signature entries (the service key); `applier` executes the
    /// committed proposals. Must run inside a multi-threaded tokio runtime.
    pub async fn start_single<A: Applier>(
        config: NodeConfig,
        signer: impl RootSigner + 'static,
        applier: A,
    ) -> Result<Self, ConsensusError> {
        let members = BTreeMap::from([(
            config.id,
            NodeAddr {
                addr: config.addr.clone(),
            },
        )]);
        let wait = config.election_timeout * 20;
        let node = Self::start(config, Some(members), NoPeers, signer, applier).await?;
        node.raft
            .wait(Some(wait))
            .state(ServerState::Leader, "single node becomes leader")
            .await
            .map_err(|e| ConsensusError::Raft(format!("no leader: {e}")))?;
        Ok(node)
    }

    /// Opens the data directory and starts a node of a cluster whose peers `transport`
    /// reaches. On a node that was never initialized, `bootstrap` (the initial members,
    /// this node among them) initializes the cluster; give it on one node only, and
    /// `None` on the others, which wait to be contacted. Does not wait for a leader
    /// (see [`ConsensusNode::raft`] for metrics and waiting).
    pub async fn start<A: Applier, T: PeerTransport>(
        config: NodeConfig,
        bootstrap: Option<BTreeMap<NodeId, NodeAddr>>,
        transport: T,
        signer: impl RootSigner + 'static,
        applier: A,
    ) -> Result<Self, ConsensusError> {
        std::fs::create_dir_all(&config.dir).map_err(|source| ConsensusError::Io {
            path: config.dir.clone(),
            source,
        })?;
        let raft_config = Arc::new(config.raft_config()?);
        let mut log_store = LogStore::open(config.dir.join(RAFT_FILE))?;
        let mut released: Vec<_> = log_store.on_release().into_iter().collect();
        let mut state_machine = StateMachine::open(
            &config.dir.join(LEDGER_FILE),
            log_store.database(),
            applier,
            signer,
            config.schedule,
        )?;
        if let Some(peers) = config.catch_up.clone() {
            state_machine.catch_up_from(peers);
        }
        let ledger = state_machine.ledger();
        let receipts = state_machine.receipts();
        let durable = state_machine.durable();
        released.push(state_machine.on_release());
        let raft = Raft::new(
            config.id,
            raft_config,
            Network::new(transport),
            log_store,
            state_machine,
        )
        .await
        .map_err(|e| ConsensusError::Raft(e.to_string()))?;
        let initialized = raft
            .is_initialized()
            .await
            .map_err(|e| ConsensusError::Raft(e.to_string()))?;
        if let (false, Some(members)) = (initialized, bootstrap) {
            raft.initialize(members)
                .await
                .map_err(|e| ConsensusError::Raft(e.to_string()))?;
        }
        let ticker = spawn_ticker(
            raft.clone(),
            config.schedule.max_interval_ms,
            receipts.clone(),
        );
        let (proposals, queue) = mpsc::channel(MAX_BATCH_ENTRIES * 4);
        let batcher = tokio::spawn(batch_loop(raft.clone(), durable.clone(), queue));
        Ok(Self {
            raft,
            proposals,
            batcher,
            ledger,
            receipts,
            ticker,
            dir: config.dir,
            durable,
            released,
        })
    }

    /// Orders `payload`, waits until it is durably committed and applied, and returns
    /// what the applier produced.
    ///
    /// Proposals that arrive while earlier ones are being committed are batched into
    /// one Raft entry (group commit); each still gets its own ledger entry and result.
    pub async fn propose(&self, payload: Vec<u8>) -> Result<Applied, ConsensusError> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(ConsensusError::TooLarge {
                len: payload.len(),
                max: MAX_PAYLOAD_BYTES,
            });
        }
        let (reply, result) = oneshot::channel();
        self.proposals
            .send(Pending { payload, reply })
            .await
            .map_err(|_| ConsensusError::Stopped)?;
        result.await.map_err(|_| ConsensusError::Stopped)?
    }

    /// The ledger (read-only use; the state machine writes it).
    pub fn ledger(&self) -> &Arc<LedgerStore> {
        &self.ledger
    }

    /// Issues receipts for this node's ledger.
    pub fn receipts(&self) -> &Receipts {
        &self.receipts
    }

    /// The openraft handle (metrics, membership changes).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last ledger entry applied and durable on this node; none once its ledger
    /// writer failed.
    pub fn durable_sequence(&self) -> Option<u64> {
        self.durable.sequence()
    }

    /// Waits until ledger entry `sequence` is applied and durable on this node (a
    /// follower's read-your-writes), or `timeout` passes ([`ConsensusError::Lagging`]).
    pub async fn wait_durable(
        &self,
        sequence: u64,
        timeout: Duration,
    ) -> Result<(), ConsensusError> {
        match tokio::time::timeout(timeout, self.durable.wait_for(sequence)).await {
            Ok(result) => result,
            Err(_) => Err(ConsensusError::Lagging {
                sequence,
                waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// The current leader and where its peers reach it, if this node knows one.
    pub fn leader(&self) -> Option<(NodeId, NodeAddr)> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let leader = metrics.current_leader?;
        let addr = metrics
            .membership_config
            .membership()
            .get_node(&leader)?
            .clone();
        Some((leader, addr))
    }

    /// Whether this node leads and a quorum of voters acknowledged it within `lease`
    /// (always, for a cluster of one voter). A leader cut off from the majority keeps
    /// its role in openraft until it hears of a higher term; without this check it
    /// would take writes it can never commit.
    pub fn leads_with_quorum(&self, lease: Duration) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        if metrics.current_leader != Some(metrics.id) {
            return false;
        }
        let lone = metrics.membership_config.membership().voter_ids().count() <= 1;
        lone || metrics
            .millis_since_quorum_ack
            .is_some_and(|ms| u128::from(ms) <= lease.as_millis())
    }

    /// Stops the node after everything acknowledged is on disk (it always is: nothing
    /// is acknowledged before its fsync), and releases its files.
    /// Returns once the files are closed, so the directory can be opened again.
    pub async fn shutdown(self) -> Result<(), ConsensusError> {
        self.ticker.abort();
        // Proposals already taken by the batcher finish or fail with `Stopped`.
        drop(self.proposals);
        let _ = self.batcher.await;
        self.raft
            .shutdown()
            .await
            .map_err(|e| ConsensusError::Raft(format!("shutdown: {e}")))?;
        // openraft drops the log store and the state machine from its own tasks and
        // threads, a moment after the core stops; wait for the files to be released.
        drop(self.ledger);
        drop(self.raft);
        let all = async {
            for released in self.released {
                // An error means the sender was dropped: released either way.
                let _ = released.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), all)
            .await
            .map_err(|_| {
                ConsensusError::Raft("shutdown: the stores were not released within 10 s".into())
            })
    }
}

/// The largest payload one proposal may carry.
pub const MAX_PAYLOAD_BYTES: usize = strongroom_ledger::MAX_PAYLOAD_LEN;
/// Most proposals batched into one Raft entry.
const MAX_BATCH_ENTRIES: usize = 1024;
/// Batches stop growing past this many payload bytes.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Batches between `client_write` and applied at once. A batch leaves once applied and
/// waits for its ledger fsync outside, so that fsync already overlaps the next batch's
/// log write; with more in flight openraft applies (and the writers fsync) smaller
/// entries, which measured slower (bench api at 64 clients: 1 → 8.8–9.2k tx/s, 2 →
/// 7.3–8.0k).
const MAX_IN_FLIGHT: usize = 1;

struct Pending {
    payload: Vec<u8>,
    reply: oneshot::Sender<Result<Applied, ConsensusError>>,
}

async fn batch_loop(raft: Raft, durable: Durable, mut queue: mpsc::Receiver<Pending>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        // Wait for a free slot first: proposals pile up in the queue meanwhile.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut bytes = first.payload.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_ENTRIES && bytes < MAX_BATCH_BYTES {
            match queue.try_recv() {
                Ok(next) => {
                    bytes += next.payload.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let raft = raft.clone();
        let durable = durable.clone();
        tokio::spawn(async move {
            let (payloads, replies): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|p| (p.payload, p.reply)).unzip();
            let committed = commit(&raft, payloads).await;
            // The next batch may be appended and applied while this one's ledger
            // entries are written; its proposers wait for the fsync below.
            drop(slot);
            let durable = match committed {
                Ok(results) => durable.wait_for_all(&results).await.map(|()| results),
                Err(e) => Err(e),
            };
            match durable {
                Ok(results) if results.len() == replies.len() => {
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(Ok(result));
                    }
                }
                Ok(results) => {
                    let e = format!("{} results for {} proposals", results.len(), replies.len());
                    for reply in replies {
                        let _ = reply.send(Err(ConsensusError::Inconsistent(e.clone())));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.clone_reason()));
                    }
                }
            }
        });
    }
}

/// Commits and applies one batch (its ledger entries may not be durable yet).
async fn commit(raft: &Raft, payloads: Vec<Vec<u8>>) -> Result<Vec<Applied>, ConsensusError> {
    let proposal = Proposal {
        timestamp_ms: now_ms(),
        payloads,
    };
    match raft.client_write(proposal).await {
        Ok(response) => Ok(response.data),
        Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
            Err(ConsensusError::NotLeader {
                leader: f.leader_id,
            })
        }
        Err(RaftError::Fatal(openraft::error::Fatal::Stopped)) => Err(ConsensusError::Stopped),
        Err(e) => Err(ConsensusError::Raft(e.to_string())),
    }
}

/// Proposes a tick (an empty batch) whenever entries were applied since the last
/// one, so a time-due signature entry is written even when traffic stops.
fn spawn_ticker(raft: Raft, interval_ms: u64, receipts: Receipts) -> JoinHandle<()> {
    // While some ledger entries are unsigned, propose an empty batch every interval:
    // applying it lets a time-due signature entry out. An idle, fully signed ledger
    // writes nothing.
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(interval_ms.max(1)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if receipts.unsigned() > 0 {
                match commit(&raft, Vec::new()).await {
                    Ok(_) => {}
                    Err(ConsensusError::Stopped) => return,
                    Err(_) => {}
                }
            }
        }
    })
}
