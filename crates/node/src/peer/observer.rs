//! An observer: an organization without a TEE keeps its own copy of the consortium's
//! ledger, verified, and never holds a secret.
//!
//! The Raft log carries sealed requests whose effects only a core holding the ledger
//! secret can compute, so an observer cannot be a Raft learner that executes them (ADR
//! 0016). It follows the ledger the nodes wrote instead: it fetches entries after its
//! head from the nodes' peer listeners ([`LEDGER_PATH`], mutual TLS with a node
//! certificate of its organization), checks each against the chain it holds (hash
//! links, Merkle root, every signature entry under the service key it was given, from
//! an attested node) and appends only what verified. Its directory is a ledger
//! directory like a node's: `strongroom ledger verify` and the receipts work on it.
//!
//! It can serve its copy in turn ([`Observer::serve`]): [`LEDGER_PATH`] alone, over the
//! same mutual TLS as a node's peer listener, answered from the entries it verified and
//! appended. Another observer can follow it as it would a node; it verifies each entry
//! under the service key all the same, so the observer it follows is trusted for
//! availability only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strongroom_consensus::CATCH_UP_BATCH;
use strongroom_crypto::provider::VerifyingKey;
use strongroom_ledger::{Entry, LedgerStore, LedgerVerifier};

use super::ledger::{LedgerRange, decode};
use super::{HttpsPeers, LEDGER_PATH, NodeCredential, PeerServer, PeerTrust};
use crate::NodeError;

/// The ledger file in an observer's (and a node's) data directory.
pub const OBSERVED_LEDGER_FILE: &str = "ledger.redb";

/// Why observing failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// Setting up: a file or the TLS client.
    #[error(transparent)]
    Setup(#[from] NodeError),
    /// The local ledger cannot be read or written.
    #[error("{path}: {reason}")]
    Ledger {
        /// The ledger file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// A peer's entry does not continue the verified chain; nothing from it was kept.
    #[error("ledger entry {sequence} from {peer} does not verify: {reason}")]
    Unverified {
        /// The entry's sequence.
        sequence: u64,
        /// Who sent it.
        peer: String,
        /// Why it failed.
        reason: String,
    },
    /// No peer answered.
    #[error("no peer served ledger entries from {from}: {reasons}")]
    Unreachable {
        /// The first entry asked for.
        from: u64,
        /// Each peer's failure.
        reasons: String,
    },
}

/// A verified copy of the consortium's ledger, fed from the nodes.
#[derive(Debug)]
pub struct Observer {
    path: PathBuf,
    ledger: Arc<LedgerStore>,
    verifier: LedgerVerifier,
    trust: Arc<PeerTrust>,
    peers: HttpsPeers,
    sources: Vec<String>,
}

impl Observer {
    /// Opens (or creates) the ledger in `dir` and checks what it holds from genesis
    /// under `service_key`; entries will come from `sources` (peer listeners,
    /// `host:port`), called with `credential` and trusting the node certificates of
    /// `roots` (MSP id, root CA DER).
    pub fn open(
        dir: &Path,
        service_key: VerifyingKey,
        credential: &NodeCredential,
        roots: Vec<(String, Vec<u8>)>,
        sources: Vec<String>,
    ) -> Result<Self, ObserveError> {
        let path = dir.join(OBSERVED_LEDGER_FILE);
        let ledger_err = |reason: String| ObserveError::Ledger {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| ledger_err(e.to_string()))?;
        let ledger = LedgerStore::open(&path).map_err(|e| ledger_err(e.to_string()))?;
        let mut verifier = LedgerVerifier::new(Some(service_key));
        let head = ledger
            .head()
            .map_err(|e| ledger_err(e.to_string()))?
            .map_or(0, |h| h.sequence);
        let mut from = 1;
        while from <= head {
            let to = head.min(from + CATCH_UP_BATCH - 1);
            for entry in ledger
                .range(from..=to)
                .map_err(|e| ledger_err(e.to_string()))?
            {
                verifier
                    .push(&entry)
                    .map_err(|e| ledger_err(format!("entry {}: {e}", entry.header.sequence)))?;
            }
            from = to + 1;
        }
        let trust = Arc::new(PeerTrust::new(roots));
        let peers = HttpsPeers::new(credential, &trust, None)?;
        Ok(Self {
            path,
            ledger: Arc::new(ledger),
            verifier,
            trust,
            peers,
            sources,
        })
    }

    /// Serves this observer's copy on `listen` (port 0 picks one: see
    /// [`PeerServer::addr`]) until the returned server is shut down: [`LEDGER_PATH`]
    /// alone, with the nodes' request and answer, over mutual TLS presenting
    /// `credential`. Only a node certificate of the organizations this observer trusts
    /// gets past the handshake; any other path answers 404.
    ///
    /// It answers from its ledger file, which holds only what verified: what was there
    /// on [`Observer::open`] was checked from genesis, and [`Observer::follow_once`]
    /// appends an entry only once it verified. An entry being fetched is never served.
    pub fn serve(
        &self,
        listen: SocketAddr,
        credential: &NodeCredential,
    ) -> Result<PeerServer, ObserveError> {
        Ok(PeerServer::ledger_only(
            listen,
            credential,
            &self.trust,
            self.ledger.clone(),
        )?)
    }

    /// The last entry held (0: none).
    pub fn head(&self) -> u64 {
        self.verifier.next_sequence() - 1
    }

    /// The last signature entry verified, if any: everything up to it is signed by the
    /// service key.
    pub fn signed_up_to(&self) -> Option<u64> {
        self.verifier.last_signature()
    }

    /// Fetches the next entries (at most one batch) from the first source that
    /// answers, verifies and appends them; returns how many were appended (0: the
    /// sources have nothing newer). Entries that verified before a bad one are kept;
    /// the bad one and what follows are not.
    pub async fn follow_once(&mut self) -> Result<usize, ObserveError> {
        let from = self.verifier.next_sequence();
        let body = serde_json::to_vec(&LedgerRange {
            from,
            to: from + CATCH_UP_BATCH - 1,
        })
        .map_err(|e| NodeError::BadRequest(e.to_string()))?;
        let mut reasons = Vec::new();
        for source in self.sources.clone() {
            match self.peers.post(&source, LEDGER_PATH, body.clone()).await {
                Ok(answer) => {
                    let entries = decode(&answer).map_err(|reason| ObserveError::Unverified {
                        sequence: from,
                        peer: source.clone(),
                        reason,
                    })?;
                    return self.append_verified(&source, &entries);
                }
                Err(e) => reasons.push(format!("{source}: {e}")),
            }
        }
        Err(ObserveError::Unreachable {
            from,
            reasons: reasons.join("; "),
        })
    }

    /// Follows until a source has nothing newer; returns the entries appended.
    pub async fn catch_up(&mut self) -> Result<u64, ObserveError> {
        let mut total = 0;
        loop {
            let appended = self.follow_once().await?;
            if appended == 0 {
                return Ok(total);
            }
            total += appended as u64;
        }
    }

    fn append_verified(&mut self, peer: &str, entries: &[Entry]) -> Result<usize, ObserveError> {
        let mut verified = 0;
        let mut failure = None;
        for entry in entries {
            if let Err(e) = self.verifier.push(entry) {
                failure = Some(ObserveError::Unverified {
                    sequence: entry.header.sequence,
                    peer: peer.to_owned(),
                    reason: e.to_string(),
                });
                break;
            }
            verified += 1;
        }
        if verified > 0 {
            self.ledger
                .append_batch(&entries[..verified])
                .map_err(|e| ObserveError::Ledger {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(verified),
        }
    }
}
