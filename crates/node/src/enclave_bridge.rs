//! Consensus drives the enclave: committed payloads become `Execute` requests, replays
//! and snapshots go through the core, and signature entries are signed inside it.

use std::sync::{Arc, Mutex, MutexGuard};

use strongroom_consensus::{Applier, ApplierError, ApplyContext, Outcome, Record};
use strongroom_crypto::provider::VerifyingKey;
use strongroom_enclave::{Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext};
use strongroom_ledger::{Entry, Hash, RootSigner, SignedRoot, SignedRootError};

/// The enclave core, shared by the applier, the root signer and the node's queries.
pub type SharedEnclave = Arc<Mutex<Enclave>>;

fn lock(core: &SharedEnclave) -> MutexGuard<'_, Enclave> {
    // The core answers every request with a response, never a panic; a poisoned lock
    // can only come from a bug elsewhere, and the core's state is still whole.
    core.lock().unwrap_or_else(|e| e.into_inner())
}

fn unexpected(request: &str, response: &EnclaveResponse) -> ApplierError {
    match response {
        EnclaveResponse::Error { error } => ApplierError(format!("enclave {request}: {error}")),
        other => ApplierError(format!(
            "enclave {request}: unexpected response {}",
            variant(other)
        )),
    }
}

fn variant(response: &EnclaveResponse) -> String {
    let debug = format!("{response:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Hands committed payloads to the enclave core.
#[derive(Debug, Clone)]
pub struct EnclaveApplier {
    core: SharedEnclave,
}

impl EnclaveApplier {
    /// An applier over `core`, which must hold the service secrets (after `Genesis`,
    /// `Unseal` or `Join`).
    pub fn new(core: SharedEnclave) -> Self {
        Self { core }
    }
}

impl Applier for EnclaveApplier {
    fn apply(&mut self, ctx: &ApplyContext, payload: &[u8]) -> Result<Outcome, ApplierError> {
        let request = EnclaveRequest::Execute {
            ctx: ExecuteContext {
                log_index: ctx.log_index,
                timestamp_ms: ctx.timestamp_ms,
                sequence: ctx.sequence,
                prev_hash: ctx.prev_hash,
                voters: ctx.voters.clone(),
                learners: ctx.learners.clone(),
            },
            payload: payload.to_vec(),
        };
        // A request the core refuses is still `Executed` (a recorded refusal); an
        // `Error` means this core cannot execute at all, and the node must stop.
        match lock(&self.core).handle(request) {
            EnclaveResponse::Executed {
                kind,
                ledger_payload,
                response,
            } => Ok(Outcome {
                record: Some(Record {
                    kind: kind.entry_kind(),
                    payload: ledger_payload,
                }),
                response,
            }),
            other => Err(unexpected("execute", &other)),
        }
    }

    fn replay(&mut self, entry: &Entry) -> Result<(), ApplierError> {
        match lock(&self.core).handle(EnclaveRequest::from(entry)) {
            EnclaveResponse::Replayed { .. } => Ok(()),
            other => Err(unexpected("replay", &other)),
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, ApplierError> {
        match lock(&self.core).handle(EnclaveRequest::Snapshot) {
            EnclaveResponse::Snapshot { snapshot } => Ok(snapshot),
            other => Err(unexpected("snapshot", &other)),
        }
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), ApplierError> {
        match lock(&self.core).handle(EnclaveRequest::Restore {
            snapshot: snapshot.to_vec(),
        }) {
            EnclaveResponse::Replayed { .. } => Ok(()),
            other => Err(unexpected("restore", &other)),
        }
    }
}

/// Signs the ledger's Merkle roots inside the enclave: the service signing key never
/// leaves it.
#[derive(Debug, Clone)]
pub struct EnclaveSigner {
    core: SharedEnclave,
    public: VerifyingKey,
}

impl EnclaveSigner {
    /// A signer over `core`, whose service signing key is `public` (from the core's
    /// `PublicKeys`).
    pub fn new(core: SharedEnclave, public: VerifyingKey) -> Self {
        Self { core, public }
    }
}

impl RootSigner for EnclaveSigner {
    fn sign_root(&self, tree_size: u64, root: Hash) -> Result<SignedRoot, SignedRootError> {
        match lock(&self.core).handle(EnclaveRequest::SignRoot { tree_size, root }) {
            EnclaveResponse::RootSigned { signed_root } => SignedRoot::decode(&signed_root),
            other => Err(SignedRootError::Signer(
                unexpected("sign root", &other).to_string(),
            )),
        }
    }

    fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }
}
