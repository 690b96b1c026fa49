//! A running node: the enclave core, consensus over the ledger, and the dataset store,
//! opened from a data directory.
//!
//! Data directory layout:
//!
//! | file | what |
//! |---|---|
//! | `node.lock` | held (advisory lock) while a node runs on the directory |
//! | `raft.redb`, `ledger.redb` | the Raft log and the ledger (crate `consensus`) |
//! | `service-secrets.json` | the service secrets sealed to the platform, and the genesis transaction |
//! | `sim-host-secret` | INSECURE SIMULATION only: the host secret the sim platform seals with |
//!
//! On a platform without a sealing key (`tdx`, `snp`) there is no `service-secrets.json`:
//! the secrets stay in the core's memory (see [`crate::platform`]).
//! | `tls/cert.pem`, `tls/key.pem` | the node's TLS certificate and key |
//! | `objects/` | encrypted dataset objects (unless `object_store` names an S3 bucket) |

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strongroom_api_types::EvidenceCollateral;
use strongroom_consensus::{
    Applied, ConsensusError, ConsensusNode, LedgerPeers, NodeAddr, NodeConfig, Raft, Receipts,
};
use strongroom_contract::{Contract, ObjectAccess, ObjectPurpose};
use strongroom_crypto::provider::VerifyingKey;
use strongroom_enclave::request::Purpose;
use strongroom_enclave::{
    Enclave, EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage, JoinCollateral,
    MemberRate, Prepared, Preparer, PublicKeys,
};
use strongroom_identity::read_certificate;
use strongroom_ledger::{LedgerStore, SignatureSchedule};
use strongroom_store::DatasetStore;
use strongroom_tee::PlatformKind;

use crate::cluster::{Cluster, JoinAnswer, JoinBody};
use crate::data_dir::lock_dir;
use crate::enclave_bridge::{EnclaveApplier, EnclaveSigner, SharedEnclave};
use crate::error::NodeError;
use crate::pccs::{CollateralCell, Pccs, RefreshTask};
use crate::peer::PeerLedger;
use crate::platform::{self, TeeAccess};
use crate::recovery::Recovered;
use crate::secrets;
use crate::settings::NodeSettings;

/// An object access the core authorized: a member signed it for `location` and this
/// node, and the contract entitles the member to it for `purpose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectAuthorization {
    /// What the member may do there: download or upload.
    pub access: ObjectAccess,
    /// Why (owner read, task input, upload).
    pub purpose: ObjectPurpose,
    /// Where the member may access the object.
    pub location: String,
    /// The member's organization.
    pub msp_id: String,
    /// The member's name.
    pub name: String,
    /// The dataset the object belongs to (none for an upload into a reservation).
    pub dataset: Option<String>,
}

/// The milliseconds since the Unix epoch on this host's clock.
fn host_time_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Directory of dataset objects inside the data directory.
pub const OBJECTS_DIR: &str = "objects";

/// A running node: consensus, the enclave core and the object store on one data
/// directory, held exclusively.
pub struct Node {
    consensus: ConsensusNode,
    cluster: Option<Cluster>,
    core: SharedEnclave,
    preparer: Option<Preparer>,
    member_rate: u32,
    public_keys: PublicKeys,
    /// SHA-256 of the TLS key's SubjectPublicKeyInfo, once bound to the core.
    endpoint: std::sync::OnceLock<[u8; 32]>,
    store: DatasetStore,
    insecure: bool,
    /// What verifies the core's evidence, served with it.
    collateral: CollateralCell,
    /// Refreshes `collateral` from the PCCS (setting `pccs_url`); stops with the node.
    _refresh: Option<RefreshTask>,
    dir: PathBuf,
    // Last: released after everything else.
    _lock: File,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> NodeError {
    NodeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The node's error for a refused authorization.
fn authorization_error(error: EnclaveError) -> NodeError {
    match error {
        EnclaveError::Unauthorized(reason) => NodeError::Unauthorized(reason),
        EnclaveError::NotFoundOrDenied => NodeError::NotFoundOrDenied,
        EnclaveError::InvalidRequest(reason) => NodeError::BadRequest(reason),
        other => NodeError::Enclave(other.to_string()),
    }
}

fn lock_core(core: &SharedEnclave) -> std::sync::MutexGuard<'_, Enclave> {
    core.lock().unwrap_or_else(|e| e.into_inner())
}

/// The organizations of the settings: MSP id and root CA certificate, DER.
fn settings_roots(settings: &NodeSettings) -> Result<Vec<(String, Vec<u8>)>, NodeError> {
    settings
        .organizations
        .iter()
        .map(|org| {
            read_certificate(&org.ca_cert)
                .map(|der| (org.msp_id.clone(), der))
                .map_err(|e| file_err(&org.ca_cert, e))
        })
        .collect()
}

impl Node {
    /// Opens (or, on first start, creates) the node in `settings.data_dir` running
    /// `contract`, and starts consensus. Fails with [`NodeError::Locked`] if another
    /// node runs on the directory.
    pub async fn open(
        settings: &NodeSettings,
        contract: Box<dyn Contract>,
    ) -> Result<Self, NodeError> {
        Self::open_with(settings, contract, &TeeAccess::default()).await
    }

    /// [`Node::open`] reaching the TEE's interfaces through `tee` (the host's files
    /// named in the settings by default; see [`TeeAccess`]).
    pub async fn open_with(
        settings: &NodeSettings,
        contract: Box<dyn Contract>,
        tee: &TeeAccess,
    ) -> Result<Self, NodeError> {
        settings.validate()?;
        let dir = settings.data_dir.clone();
        let lock = lock_dir(&dir)?;
        // A ledger whose secrets cannot come back is not founded again; nothing is
        // written before these checks.
        let kind = platform::kind(settings)?;
        platform::refuse_restart_without_seal(&dir, settings, kind)?;
        crate::recovery::refuse_lost_secrets(&dir, settings)?;
        let platform = platform::open(settings, &dir, tee)?;
        let (collateral, pccs) = platform::collateral_at_start(settings, tee, || {
            platform::some_evidence(platform.as_ref())
        })
        .await?;
        let core: SharedEnclave = Arc::new(Mutex::new(Enclave::new(platform, contract)));
        Self::start(settings, lock, core, collateral, pccs, false).await
    }

    /// Opens the node after a recovery from members' shares ([`RecoveringNode`]): on a
    /// platform without a sealing key it takes over the recovering core, the only place
    /// the recovered secrets are; elsewhere it opens as [`Node::open_with`] does (the
    /// recovered secrets are stored sealed).
    ///
    /// [`RecoveringNode`]: crate::RecoveringNode
    pub async fn open_recovered(
        settings: &NodeSettings,
        recovered: Recovered,
        contract: Box<dyn Contract>,
        tee: &TeeAccess,
    ) -> Result<Self, NodeError> {
        let Some(core) = recovered.core else {
            return Self::open_with(settings, contract, tee).await;
        };
        settings.validate()?;
        let lock = lock_dir(&settings.data_dir)?;
        let core: SharedEnclave = Arc::new(Mutex::new(*core));
        let (collateral, pccs) =
            platform::collateral_at_start(settings, tee, || {
                match lock_core(&core).handle(EnclaveRequest::Evidence { nonce: vec![0; 32] }) {
                    EnclaveResponse::Evidence { evidence, .. } => Ok(evidence.bytes),
                    other => Err(NodeError::Enclave(format!("evidence: {other:?}"))),
                }
            })
            .await?;
        Self::start(settings, lock, core, collateral, pccs, true).await
    }

    /// Starts consensus over `core`, which either holds the secrets already
    /// (`recovered`) or takes them now ([`secrets::establish`]).
    async fn start(
        settings: &NodeSettings,
        lock: File,
        core: SharedEnclave,
        collateral: Option<EvidenceCollateral>,
        pccs: Option<Pccs>,
        recovered: bool,
    ) -> Result<Self, NodeError> {
        let dir = settings.data_dir.clone();
        let insecure = lock_core(&core).platform_kind() == PlatformKind::Sim;
        let cluster =
            Cluster::from_settings(settings, settings_roots(settings)?)?.map(|cluster| Cluster {
                collateral: join_collateral(collateral.as_ref()),
                ..cluster
            });
        let (public_keys, genesis) = if recovered {
            match lock_core(&core).handle(EnclaveRequest::PublicKeys) {
                EnclaveResponse::PublicKeys { public_keys } => (public_keys, Vec::new()),
                other => return Err(NodeError::Enclave(format!("recovered core: {other:?}"))),
            }
        } else {
            secrets::establish(&core, cluster.as_ref(), settings, &dir).await?
        };
        let service = VerifyingKey::from_spki_der(&public_keys.signing_key)
            .map_err(|e| NodeError::Enclave(format!("service signing key: {e}")))?;
        let config = NodeConfig {
            schedule: SignatureSchedule {
                max_entries: settings.signature_every_entries,
                max_interval_ms: settings.signature_every_ms,
            },
            snapshot_every: settings.snapshot_every_entries,
            ..NodeConfig::single(&dir)
        };
        let signer = EnclaveSigner::new(core.clone(), service);
        let applier = EnclaveApplier::new(core.clone());
        let consensus = match &cluster {
            None => ConsensusNode::start_single(config, signer, applier).await?,
            Some(cluster) => {
                let raft_handle = Arc::new(std::sync::OnceLock::new());
                let config = NodeConfig {
                    id: cluster.id,
                    addr: cluster.advertise.clone(),
                    election_timeout: cluster.election_timeout,
                    catch_up: Some(LedgerPeers(Arc::new(PeerLedger::new(
                        cluster.peers.clone(),
                        cluster.id,
                        raft_handle.clone(),
                    )))),
                    ..config
                };
                // The founding node initializes a one-member cluster; joiners and
                // restarting members wait to be contacted.
                let bootstrap = (!genesis.is_empty()).then(|| {
                    std::collections::BTreeMap::from([(
                        cluster.id,
                        NodeAddr {
                            addr: cluster.advertise.clone(),
                        },
                    )])
                });
                let transport = cluster.peers.clone();
                let node =
                    ConsensusNode::start(config, bootstrap, transport, signer, applier).await?;
                let _ = raft_handle.set(node.raft().clone());
                crate::cluster::retire_nodes(core.clone(), node.raft().clone(), cluster.id);
                node
            }
        };
        if !genesis.is_empty()
            && consensus
                .ledger()
                .head()
                .map_err(ConsensusError::from)?
                .is_none()
        {
            // Only the founding node has a genesis to propose, and it leads its
            // one-member cluster once elected.
            consensus
                .raft()
                .wait(Some(Duration::from_secs(30)))
                .current_leader(
                    cluster.as_ref().map_or(1, |c| c.id),
                    "the founding node leads",
                )
                .await
                .map_err(|e| NodeError::Consensus(ConsensusError::Raft(e.to_string())))?;
            consensus.propose(genesis).await?;
        }
        let store = crate::object_storage::open(settings).await?;
        let collateral_cell: CollateralCell = Arc::new(std::sync::RwLock::new(collateral));
        let preparer = lock_core(&core).preparer();
        if let Some(preparer) = &preparer {
            preparer.limit_members(Some(MemberRate {
                per_second: settings.member_rate_per_second,
                burst: settings.member_rate_burst,
            }));
        }
        Ok(Self {
            consensus,
            cluster,
            core,
            preparer,
            member_rate: settings.member_rate_per_second,
            public_keys,
            endpoint: std::sync::OnceLock::new(),
            store,
            insecure,
            _refresh: pccs.map(|pccs| pccs.keep_fresh(collateral_cell.clone())),
            collateral: collateral_cell,
            dir,
            _lock: lock,
        })
    }

    /// Orders a sealed transaction and waits for its result.
    ///
    /// The core opens the request and checks its signature first, on this thread and
    /// in parallel with other submissions ([`Preparer`]), so that the ordered part of
    /// its execution is short.
    /// A request over its member's rate is refused ([`NodeError::Throttled`]) and not
    /// ordered.
    ///
    /// On a follower the request is forwarded to the leader, and answered once its entry
    /// is applied here too (see [`crate::cluster`]).
    pub async fn submit(&self, sealed: Vec<u8>) -> Result<Applied, NodeError> {
        self.prepare(&sealed, Purpose::Transaction)?;
        crate::cluster::order(&self.consensus, self.cluster.as_ref(), sealed).await
    }

    /// Orders a sealed request a follower forwarded (already prepared there): only
    /// here, never forwarded again.
    pub async fn order_here(&self, sealed: Vec<u8>) -> Result<Applied, NodeError> {
        Ok(self.consensus.propose(sealed).await?)
    }

    /// This node's place in a cluster, if it runs in one.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// The openraft handle (metrics, membership).
    pub fn raft(&self) -> &Raft {
        self.consensus.raft()
    }

    /// Where peers reach the current leader, if known.
    pub fn leader_addr(&self) -> Option<String> {
        self.consensus.leader().map(|(_, addr)| addr.addr)
    }

    /// Admits a joining node if the core accepts its evidence (see [`crate::cluster`]).
    pub fn admit(&self, body: JoinBody) -> Result<JoinAnswer, NodeError> {
        crate::cluster::admit(&self.core, &self.consensus, body)
    }

    fn prepare(&self, sealed: &[u8], purpose: Purpose) -> Result<(), NodeError> {
        let Some(preparer) = &self.preparer else {
            return Ok(());
        };
        match preparer.prepare(sealed, purpose, host_time_ms()) {
            Prepared::Throttled { retry_after_ms } => Err(NodeError::Throttled {
                per_second: self.member_rate,
                retry_after_ms,
            }),
            Prepared::Ready | Prepared::Unopened => Ok(()),
        }
    }

    /// Answers a sealed query (not ordered, not recorded). Blocks: call it where
    /// blocking is allowed.
    pub fn query(&self, sealed: Vec<u8>) -> Result<Vec<u8>, NodeError> {
        // Opened and checked before the core's lock is taken, so that queries and
        // transactions do their cryptography in parallel.
        self.prepare(&sealed, Purpose::Query)?;
        let request = EnclaveRequest::Query {
            envelope: sealed,
            host_time_ms: host_time_ms(),
        };
        match lock_core(&self.core).handle(request) {
            EnclaveResponse::Answer { response } => Ok(response),
            EnclaveResponse::Error { error } => Err(NodeError::Enclave(error.to_string())),
            other => Err(NodeError::Enclave(format!("query: {other:?}"))),
        }
    }

    /// Binds the node's TLS key (SHA-256 of its SubjectPublicKeyInfo) to the core, once:
    /// the evidence binds it from then on, and object and export authorizations must
    /// name it.
    pub fn bind_endpoint(&self, endpoint: [u8; 32]) -> Result<(), NodeError> {
        match lock_core(&self.core).handle(EnclaveRequest::BindEndpoint { endpoint }) {
            EnclaveResponse::EndpointBound { .. } => {
                let _ = self.endpoint.set(endpoint);
                Ok(())
            }
            EnclaveResponse::Error { error } => Err(NodeError::Enclave(error.to_string())),
            other => Err(NodeError::Enclave(format!("bind endpoint: {other:?}"))),
        }
    }

    /// The TLS key bound to the core (SHA-256 of its SubjectPublicKeyInfo), if any.
    pub fn endpoint(&self) -> Option<[u8; 32]> {
        self.endpoint.get().copied()
    }

    /// Has the core check a sealed object authorization for `access` (a download
    /// authorization does not authorize an upload, nor the other way round) and ask the
    /// contract whether its signer is entitled; answers who signed it, why, and for
    /// which location. Prepared like a query: opened and checked before the core's lock
    /// is taken, and under the same rate per member.
    pub fn authorize_object(
        &self,
        access: ObjectAccess,
        sealed: Vec<u8>,
    ) -> Result<ObjectAuthorization, NodeError> {
        self.prepare(&sealed, Purpose::Query)?;
        let request = EnclaveRequest::AuthorizeObject {
            access,
            envelope: sealed,
            host_time_ms: host_time_ms(),
        };
        match lock_core(&self.core).handle(request) {
            EnclaveResponse::ObjectAuthorized {
                access: authorized,
                purpose,
                location,
                msp_id,
                name,
                dataset,
            } if authorized == access => Ok(ObjectAuthorization {
                access,
                purpose,
                location,
                msp_id,
                name,
                dataset,
            }),
            EnclaveResponse::Error { error } => Err(authorization_error(error)),
            other => Err(NodeError::Enclave(format!(
                "{access} authorization of an object: {other:?}"
            ))),
        }
    }

    /// Has the core check a sealed export authorization; answers who signed it.
    pub fn authorize_export(&self, sealed: Vec<u8>) -> Result<(String, String), NodeError> {
        self.prepare(&sealed, Purpose::Query)?;
        let request = EnclaveRequest::AuthorizeExport {
            envelope: sealed,
            host_time_ms: host_time_ms(),
        };
        match lock_core(&self.core).handle(request) {
            EnclaveResponse::ExportAuthorized { msp_id, name } => Ok((msp_id, name)),
            EnclaveResponse::Error { error } => Err(authorization_error(error)),
            other => Err(NodeError::Enclave(format!(
                "export authorization: {other:?}"
            ))),
        }
    }

    /// Evidence binding the service keys, the key-release key, the endpoint key and
    /// `nonce`; with the keys and the key-release key.
    pub fn evidence(
        &self,
        nonce: Vec<u8>,
    ) -> Result<(EvidenceMessage, PublicKeys, Vec<u8>), NodeError> {
        match lock_core(&self.core).handle(EnclaveRequest::Evidence { nonce }) {
            EnclaveResponse::Evidence {
                evidence,
                public_keys,
                key_release_key,
                ..
            } => Ok((evidence, public_keys, key_release_key)),
            EnclaveResponse::Error { error } => Err(NodeError::Enclave(error.to_string())),
            other => Err(NodeError::Enclave(format!("evidence: {other:?}"))),
        }
    }

    /// The service public keys.
    pub fn public_keys(&self) -> &PublicKeys {
        &self.public_keys
    }

    /// Issues receipts.
    pub fn receipts(&self) -> &Receipts {
        self.consensus.receipts()
    }

    /// The ledger (read-only).
    pub fn ledger(&self) -> &Arc<LedgerStore> {
        self.consensus.ledger()
    }

    /// The last ledger entry applied and durable here (queries see at least it); none
    /// once the ledger writer failed.
    pub fn durable_sequence(&self) -> Option<u64> {
        self.consensus.durable_sequence()
    }

    /// The dataset store.
    pub fn store(&self) -> &DatasetStore {
        &self.store
    }

    /// Whether this node leads (accepts transactions).
    pub fn is_leader(&self) -> bool {
        let metrics = self.consensus.raft().metrics();
        let metrics = metrics.borrow();
        metrics.current_leader == Some(metrics.id)
    }

    /// True on the INSECURE SIMULATION platform.
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// What verifies the core's evidence (setting `collateral`, or SNP's `auxblob`),
    /// served with it; none for `sim` and when the node was given none.
    pub fn collateral(&self) -> Option<EvidenceCollateral> {
        self.collateral
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops consensus once everything acknowledged is on disk, and releases the data
    /// directory.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        self.consensus.shutdown().await?;
        Ok(())
    }
}

/// The collateral a joiner sends with its evidence.
pub(crate) fn join_collateral(collateral: Option<&EvidenceCollateral>) -> JoinCollateral {
    match collateral {
        None => JoinCollateral::None,
        Some(EvidenceCollateral::Dcap(bytes)) => JoinCollateral::Dcap(bytes.clone()),
        Some(EvidenceCollateral::Snp(bytes)) => JoinCollateral::Snp(bytes.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joiner_sends_the_collateral_it_serves() {
        assert_eq!(join_collateral(None), JoinCollateral::None);
        assert_eq!(
            join_collateral(Some(&EvidenceCollateral::Snp(vec![1, 2]))),
            JoinCollateral::Snp(vec![1, 2])
        );
        assert_eq!(
            join_collateral(Some(&EvidenceCollateral::Dcap(b"{}".to_vec()))),
            JoinCollateral::Dcap(b"{}".to_vec())
        );
    }
}
