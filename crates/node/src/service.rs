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
//! | `tls/cert.pem`, `tls/key.pem` | the node's TLS certificate and key |
//! | `objects/` | encrypted dataset objects (unless `object_store` names an S3 bucket) |

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use strongroom_consensus::{
    Applied, ConsensusError, ConsensusNode, LedgerPeers, NodeAddr, NodeConfig, Raft, Receipts,
};
use strongroom_contract::{Contract, ObjectAccess, ObjectPurpose};
use strongroom_crypto::provider::{VerifyingKey, default_provider};
use strongroom_enclave::request::Purpose;
use strongroom_enclave::{
    Constitution, Enclave, EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage,
    MemberRate, Organization, Prepared, Preparer, PublicKeys,
};
use strongroom_identity::read_certificate;
use strongroom_ledger::{LedgerStore, SignatureSchedule};
use strongroom_store::DatasetStore;
use strongroom_tee::{CodeIdentity, SimPlatform};
use zeroize::Zeroizing;

use crate::cluster::{Cluster, JoinAnswer, JoinBody};
use crate::enclave_bridge::{EnclaveApplier, EnclaveSigner, SharedEnclave};
use crate::error::NodeError;
use crate::peer::PeerLedger;
use crate::settings::NodeSettings;

const LOCK_FILE: &str = "node.lock";
pub(crate) const SECRETS_FILE: &str = "service-secrets.json";
const SIM_SECRET_FILE: &str = "sim-host-secret";

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

/// What `service-secrets.json` holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretsFile {
    /// The service secrets sealed to the platform, hex.
    pub(crate) sealed: String,
    /// The genesis transaction, hex: proposed again if the node stopped before the
    /// ledger recorded it. Empty on a node that joined a cluster or recovered.
    #[serde(default)]
    pub(crate) genesis: String,
}

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

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync of the
/// directory), mode 0600. Refuses to replace an existing file.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    if path.exists() {
        return Err(file_err(path, "already exists; refusing to overwrite it"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| file_err(&tmp, e))?;
    file.write_all(bytes).map_err(|e| file_err(&tmp, e))?;
    file.sync_all().map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| file_err(dir, e))
}

pub(crate) fn lock_dir(dir: &Path) -> Result<File, NodeError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| file_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(NodeError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(file_err(&path, e)),
    }
}

pub(crate) fn sim_host_secret(dir: &Path) -> Result<Zeroizing<Vec<u8>>, NodeError> {
    let path = dir.join(SIM_SECRET_FILE);
    if path.exists() {
        let secret = Zeroizing::new(std::fs::read(&path).map_err(|e| file_err(&path, e))?);
        if secret.len() != 32 {
            return Err(file_err(&path, "must hold exactly 32 bytes"));
        }
        return Ok(secret);
    }
    let mut secret = Zeroizing::new(vec![0u8; 32]);
    default_provider()
        .fill_random(&mut secret)
        .map_err(|e| NodeError::Enclave(format!("randomness: {e}")))?;
    write_private_atomic(&path, &secret)?;
    Ok(secret)
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

fn constitution(settings: &NodeSettings) -> Result<Constitution, NodeError> {
    if settings.organizations.is_empty() {
        return Err(NodeError::Config {
            reason: "organizations: the first start (genesis) needs at least one organization \
                     (msp_id and ca_cert)"
                .into(),
        });
    }
    let mut organizations = Vec::new();
    for org in &settings.organizations {
        let der = read_certificate(&org.ca_cert).map_err(|e| file_err(&org.ca_cert, e))?;
        organizations.push(
            Organization::from_der(org.msp_id.clone(), &der)
                .map_err(|e| file_err(&org.ca_cert, e))?,
        );
    }
    let policy = |path: &Option<PathBuf>| match path {
        None => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
            strongroom_tee::Policy::from_toml(&text).map_err(|e| file_err(path, e))?;
            Ok::<_, NodeError>(Some(text))
        }
    };
    Ok(Constitution {
        organizations,
        threshold: Default::default(),
        worker_policy: policy(&settings.worker_policy)?,
        node_policy: policy(&settings.node_policy)?,
    })
}

impl Node {
    /// Opens (or, on first start, creates) the node in `settings.data_dir` running
    /// `contract`, and starts consensus. Fails with [`NodeError::Locked`] if another
    /// node runs on the directory.
    pub async fn open(
        settings: &NodeSettings,
        contract: Box<dyn Contract>,
    ) -> Result<Self, NodeError> {
        settings.validate()?;
        let dir = settings.data_dir.clone();
        let lock = lock_dir(&dir)?;
        // Recovery hook: a ledger without its secrets file is not founded again.
        crate::recovery::refuse_lost_secrets(&dir, settings)?;
        let host_secret = sim_host_secret(&dir)?;
        // INSECURE SIMULATION: validated above, the only platform outside a TEE.
        let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &host_secret)
            .map_err(|e| NodeError::Enclave(e.to_string()))?;
        let core: SharedEnclave = Arc::new(Mutex::new(Enclave::new(Box::new(platform), contract)));
        let cluster = Cluster::from_settings(settings, settings_roots(settings)?)?;
        let secrets_path = dir.join(SECRETS_FILE);
        let (public_keys, genesis) = if secrets_path.exists() {
            let text =
                std::fs::read_to_string(&secrets_path).map_err(|e| file_err(&secrets_path, e))?;
            let file: SecretsFile =
                serde_json::from_str(&text).map_err(|e| file_err(&secrets_path, e))?;
            let sealed = hex::decode(&file.sealed).map_err(|e| file_err(&secrets_path, e))?;
            let genesis = hex::decode(&file.genesis).map_err(|e| file_err(&secrets_path, e))?;
            match lock_core(&core).handle(EnclaveRequest::Unseal { sealed }) {
                EnclaveResponse::PublicKeys { public_keys } => (public_keys, genesis),
                EnclaveResponse::Error { error } => {
                    return Err(NodeError::Enclave(format!(
                        "cannot unseal {}: {error}{}",
                        secrets_path.display(),
                        crate::recovery::RECOVER_HINT
                    )));
                }
                other => return Err(NodeError::Enclave(format!("unseal: {other:?}"))),
            }
        } else if let (Some(cluster), Some(contact)) = (&cluster, &settings.join) {
            let (public_keys, sealed) = cluster.join(&core, contact).await?;
            let file = SecretsFile {
                sealed: hex::encode(&sealed),
                genesis: String::new(),
            };
            let json = serde_json::to_vec_pretty(&file).map_err(|e| file_err(&secrets_path, e))?;
            write_private_atomic(&secrets_path, &json)?;
            (public_keys, Vec::new())
        } else {
            let constitution = constitution(settings)?;
            match lock_core(&core).handle(EnclaveRequest::Genesis { constitution }) {
                EnclaveResponse::Genesis {
                    ledger_payload,
                    public_keys,
                    sealed,
                } => {
                    let file = SecretsFile {
                        sealed: hex::encode(&sealed),
                        genesis: hex::encode(&ledger_payload),
                    };
                    let json =
                        serde_json::to_vec_pretty(&file).map_err(|e| file_err(&secrets_path, e))?;
                    write_private_atomic(&secrets_path, &json)?;
                    (public_keys, ledger_payload)
                }
                EnclaveResponse::Error { error } => {
                    return Err(NodeError::Enclave(format!("genesis: {error}")));
                }
                other => return Err(NodeError::Enclave(format!("genesis: {other:?}"))),
            }
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
            insecure: true,
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
