//! Recovery mode (`--recover`): see [`RecoveringNode`].
//!
//! A `service-secrets.json` that does not unseal is kept, renamed
//! `service-secrets.unusable-<ms>.json`, when the recovered secrets are stored.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use strongroom_api_types::{EvidenceCollateral, RecoveryProgress};
use strongroom_consensus::LEDGER_FILE;
use strongroom_contract::Contract;
use strongroom_enclave::record::GenesisRecord;
use strongroom_enclave::{
    Enclave, EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage, PublicKeys,
};
use strongroom_ledger::{EntryKind, LedgerStore};
use strongroom_tee::PlatformKind;
use tokio::sync::watch;

use crate::data_dir::lock_dir;
use crate::error::NodeError;
use crate::http::{Limits, recovery_router};
use crate::platform::{self, TeeAccess};
use crate::secrets::{SECRETS_FILE, SecretsFile};
use crate::server::{bind, load_or_create_tls, tls_config};
use crate::settings::NodeSettings;

/// What an operator whose sealed secrets do not unseal is told.
pub(crate) const RECOVER_HINT: &str = " (if the platform's sealing key is gone, start with \
     --recover: k recovery members' shares restore the secrets, docs/consensus.md)";

/// Whether `dir` holds a ledger.
pub(crate) fn holds_ledger(dir: &Path) -> bool {
    dir.join(LEDGER_FILE).exists()
}

/// Refuses to open `dir` when it holds a ledger but no secrets file (unless the node
/// joins a cluster, which brings the secrets): a new genesis would not open that
/// ledger. Nothing is written before this check.
pub(crate) fn refuse_lost_secrets(dir: &Path, settings: &NodeSettings) -> Result<(), NodeError> {
    let secrets = dir.join(SECRETS_FILE);
    if settings.join.is_none() && holds_ledger(dir) && !secrets.exists() {
        return Err(NodeError::File {
            path: secrets,
            reason: format!(
                "missing, but the data directory holds a ledger that a new genesis would not \
                 open{RECOVER_HINT}"
            ),
        });
    }
    Ok(())
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> NodeError {
    NodeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn lock_core(core: &Mutex<Enclave>) -> std::sync::MutexGuard<'_, Enclave> {
    core.lock().unwrap_or_else(|e| e.into_inner())
}

/// The service public keys the genesis record of the ledger in `dir` names.
fn genesis_keys(dir: &Path) -> Result<PublicKeys, NodeError> {
    let path = dir.join(LEDGER_FILE);
    let ledger = LedgerStore::open(&path).map_err(|e| file_err(&path, e))?;
    let entry = ledger
        .entry(1)
        .map_err(|e| file_err(&path, e))?
        .ok_or_else(|| file_err(&path, "holds no genesis entry: there is nothing to recover"))?;
    if entry.header.kind != EntryKind::Genesis {
        return Err(file_err(&path, "entry 1 is not a genesis entry"));
    }
    let record: GenesisRecord = serde_json::from_slice(&entry.payload)
        .map_err(|e| file_err(&path, format!("the genesis record: {e}")))?;
    Ok(record.public_keys)
}

/// Whether the secrets file in `dir` unseals on `core` (which then holds them).
fn unseals(core: &Mutex<Enclave>, path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Some(sealed) = serde_json::from_str::<SecretsFile>(&text)
        .ok()
        .and_then(|file| hex::decode(file.sealed).ok())
    else {
        return false;
    };
    matches!(
        lock_core(core).handle(EnclaveRequest::Unseal { sealed }),
        EnclaveResponse::PublicKeys { .. }
    )
}

/// The recovering core and what the API needs of it.
pub(crate) struct Recovery {
    core: Mutex<Enclave>,
    dir: PathBuf,
    insecure: bool,
    /// What verifies the core's evidence, served with it.
    collateral: Option<EvidenceCollateral>,
    recovered: watch::Sender<bool>,
}

impl std::fmt::Debug for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovery")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The evidence of a recovering core and what it binds.
pub(crate) struct RecoveryEvidence {
    pub(crate) evidence: EvidenceMessage,
    pub(crate) recovery_key: Vec<u8>,
    pub(crate) public_keys: PublicKeys,
    pub(crate) endpoint: [u8; 32],
}

impl Recovery {
    /// True on the INSECURE SIMULATION platform.
    pub(crate) fn insecure(&self) -> bool {
        self.insecure
    }

    /// What verifies the core's evidence, served with it.
    pub(crate) fn collateral(&self) -> Option<&EvidenceCollateral> {
        self.collateral.as_ref()
    }

    /// Evidence over the recovery key, the keys recovered, the endpoint key and `nonce`.
    pub(crate) fn evidence(&self, nonce: Vec<u8>) -> Result<RecoveryEvidence, NodeError> {
        match lock_core(&self.core).handle(EnclaveRequest::Evidence { nonce }) {
            EnclaveResponse::RecoveryPrepared {
                evidence,
                recovery_key,
                public_keys,
                endpoint,
            } => Ok(RecoveryEvidence {
                evidence,
                recovery_key,
                public_keys,
                endpoint,
            }),
            EnclaveResponse::Error {
                error: EnclaveError::NoPendingRecovery,
            } => Err(NodeError::BadRequest(
                "the service secrets are recovered: this node is starting".into(),
            )),
            EnclaveResponse::Error { error } => Err(NodeError::Enclave(error.to_string())),
            other => Err(NodeError::Enclave(format!("evidence: {other:?}"))),
        }
    }

    /// Hands a wrapped share to the core; once it recovered the secrets, stores them
    /// sealed and says so.
    pub(crate) fn submit(&self, wrapped: Vec<u8>) -> Result<RecoveryProgress, NodeError> {
        let response =
            lock_core(&self.core).handle(EnclaveRequest::SubmitRecoveryShare { wrapped });
        match response {
            EnclaveResponse::RecoveryShareHeld { held, threshold } => {
                tracing::info!(held, threshold, "recovery share held");
                Ok(RecoveryProgress {
                    recovered: false,
                    held,
                    threshold,
                })
            }
            EnclaveResponse::Recovered {
                sealed, threshold, ..
            } => {
                self.store(&sealed)?;
                tracing::info!("service secrets recovered from members' shares");
                let _ = self.recovered.send(true);
                Ok(RecoveryProgress {
                    recovered: true,
                    held: threshold,
                    threshold,
                })
            }
            EnclaveResponse::Error { error } => Err(match error {
                EnclaveError::InvalidShare(_) => NodeError::BadRequest(error.to_string()),
                EnclaveError::AlreadyInitialized => NodeError::BadRequest(
                    "the service secrets are recovered already: this node is starting".into(),
                ),
                other => NodeError::Enclave(other.to_string()),
            }),
            other => Err(NodeError::Enclave(format!("recovery share: {other:?}"))),
        }
    }

    /// Writes the recovered secrets, sealed, where `Node::open` reads them, keeping a
    /// file that did not unseal under another name.
    fn store(&self, sealed: &[u8]) -> Result<(), NodeError> {
        let path = self.dir.join(SECRETS_FILE);
        if sealed.is_empty() {
            // No sealing key on this platform: the recovering core hands the secrets
            // over to the node's (`Node::open_recovered`); nothing is written.
            return crate::secrets::store(&path, sealed, &[]);
        }
        if path.exists() {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let aside = self.dir.join(format!("service-secrets.unusable-{ms}.json"));
            std::fs::rename(&path, &aside).map_err(|e| file_err(&path, e))?;
            tracing::warn!(kept = %aside.display(), "the sealed secrets that did not unseal are kept");
        }
        crate::secrets::store(&path, sealed, &[])
    }
}

/// A node serving recovery only: its data directory holds the ledger but no sealed
/// service secrets that unseal here, so it gets them back from `k` recovery members'
/// shares (`strongroom_enclave::recovery`) without starting consensus.
///
/// ```text
/// RecoveringNode::start(settings, contract)   the lock, a fresh core, PrepareRecovery
///                                             with the keys of the ledger's genesis
///                                             record; serves GET /v1/attestation and
///                                             POST /v1/recovery/shares, nothing else
/// RecoveringNode::wait()                      until k shares recovered the secrets and
///                                             they are stored sealed
/// RecoveringNode::finish()                    stops serving, releases the directory,
///                                             hands over the recovered core; the caller
///                                             then opens the node on it
///                                             (Node::open_recovered replays and verifies
///                                             the whole ledger) on the same address
/// ```
pub struct RecoveringNode {
    addr: SocketAddr,
    public_keys: PublicKeys,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    recovered: watch::Receiver<bool>,
    recovery: Arc<Recovery>,
    // Last: released after everything else.
    _lock: File,
}

impl std::fmt::Debug for RecoveringNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveringNode")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RecoveringNode {
    /// Starts recovery on `settings.data_dir` if it needs it: `None` when the sealed
    /// secrets unseal (the node starts as usual); an error when the directory holds no
    /// ledger to recover, or another node runs on it.
    pub async fn start(
        settings: &NodeSettings,
        contract: Box<dyn Contract>,
    ) -> Result<Option<Self>, NodeError> {
        Self::start_with(settings, contract, &TeeAccess::default()).await
    }

    /// [`RecoveringNode::start`] reaching the TEE's interfaces through `tee` (see
    /// [`TeeAccess`]).
    pub async fn start_with(
        settings: &NodeSettings,
        contract: Box<dyn Contract>,
        tee: &TeeAccess,
    ) -> Result<Option<Self>, NodeError> {
        settings.validate()?;
        let dir = settings.data_dir.clone();
        if !holds_ledger(&dir) {
            return Err(NodeError::Config {
                reason: format!(
                    "recover: {} holds no ledger ({LEDGER_FILE}): there is nothing to recover \
                     (start without --recover to found a service)",
                    dir.display()
                ),
            });
        }
        let lock = lock_dir(&dir)?;
        let platform = platform::open(settings, &dir, tee)?;
        // Recovery is short: the collateral is not refreshed (the recovered node
        // fetches its own when it opens).
        let (collateral, _) = platform::collateral_at_start(settings, tee, || {
            platform::some_evidence(platform.as_ref())
        })
        .await?;
        let insecure = platform.kind() == PlatformKind::Sim;
        let core = Mutex::new(Enclave::new(platform, contract));
        let secrets_path = dir.join(SECRETS_FILE);
        if secrets_path.exists() {
            if unseals(&core, &secrets_path) {
                return Ok(None);
            }
            tracing::warn!(file = %secrets_path.display(), "the sealed secrets do not unseal here: recovering");
        }
        let public_keys = genesis_keys(&dir)?;
        let (_, certs, key) = load_or_create_tls(&dir, &settings.tls_names)?;
        let endpoint = certs
            .first()
            .map(|cert| strongroom_identity::spki_sha256(cert))
            .transpose()
            .map_err(|e| NodeError::Tls(format!("the TLS certificate: {e}")))?
            .ok_or_else(|| NodeError::Tls("no TLS certificate".into()))?;
        for request in [
            EnclaveRequest::BindEndpoint { endpoint },
            EnclaveRequest::PrepareRecovery {
                public_keys: public_keys.clone(),
            },
        ] {
            if let EnclaveResponse::Error { error } = lock_core(&core).handle(request) {
                return Err(NodeError::Enclave(format!("recovery: {error}")));
            }
        }
        let (sender, recovered) = watch::channel(false);
        let recovery = Arc::new(Recovery {
            core,
            dir,
            insecure,
            collateral,
            recovered: sender,
        });
        let app = recovery_router(recovery.clone(), Limits::of(settings));
        let (listener, addr) = bind("listen", settings.listen)?;
        let handle = axum_server::Handle::new();
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls_config(certs, key)?)
            .acceptor(axum_server::accept::NoDelayAcceptor::new());
        let server = axum_server::from_tcp(listener)
            .acceptor(acceptor)
            .handle(handle.clone())
            .serve(app.into_make_service_with_connect_info::<SocketAddr>());
        let server = tokio::spawn(server);
        tracing::info!(%addr, "recovering: serving attestation and share submission over TLS");
        Ok(Some(Self {
            addr,
            public_keys,
            handle,
            server,
            recovered,
            recovery,
            _lock: lock,
        }))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service public keys being recovered (from the ledger's genesis record).
    pub fn public_keys(&self) -> &PublicKeys {
        &self.public_keys
    }

    /// True on the INSECURE SIMULATION platform.
    pub fn insecure(&self) -> bool {
        self.recovery.insecure()
    }

    /// Waits until the secrets are recovered and stored sealed.
    pub async fn wait(&mut self) -> Result<(), NodeError> {
        self.recovered
            .wait_for(|recovered| *recovered)
            .await
            .map(drop)
            .map_err(|_| NodeError::Enclave("recovery: the recovering core is gone".into()))
    }

    /// Stops serving (requests in flight finish) and releases the data directory;
    /// answers the address it listened on, for the node's API to take over, and the
    /// core that holds the recovered secrets, if they were recovered
    /// ([`Node::open_recovered`] takes both: on a platform without a sealing key that
    /// core is the only place the secrets are).
    ///
    /// [`Node::open_recovered`]: crate::Node::open_recovered
    pub async fn finish(self) -> Result<Recovered, NodeError> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(2)));
        let _ = self.server.await;
        let addr = self.addr;
        let recovered = *self.recovered.borrow();
        let core = match Arc::try_unwrap(self.recovery) {
            Ok(recovery) => recovery
                .core
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            Err(_) => {
                return Err(NodeError::Enclave(
                    "recovery: the recovering core is still in use after the server stopped".into(),
                ));
            }
        };
        Ok(Recovered {
            addr,
            core: recovered.then(|| Box::new(core)),
        })
    }
}

/// What a finished recovery hands over to the node ([`crate::Node::open_recovered`]).
pub struct Recovered {
    addr: SocketAddr,
    /// The recovering core, when it recovered the secrets.
    pub(crate) core: Option<Box<Enclave>>,
}

impl std::fmt::Debug for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovered")
            .field("addr", &self.addr)
            .field("core", &self.core.is_some())
            .finish()
    }
}

impl Recovered {
    /// The address the recovery listened on, for the node's API to take over.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
