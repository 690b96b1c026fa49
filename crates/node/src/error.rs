//! Why a node could not start or serve.

use std::path::PathBuf;

/// A node error. The message says what was wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A setting is wrong.
    #[error("configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// Another process runs a node on this data directory.
    #[error(
        "{dir} is in use by another strongroom node (lock file {lock}); stop it first or choose another data directory"
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// Its lock file.
        lock: PathBuf,
    },
    /// A file of the data directory could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The enclave core refused or failed.
    #[error("enclave core: {0}")]
    Enclave(String),
    /// Consensus or the ledger failed.
    #[error(transparent)]
    Consensus(#[from] strongroom_consensus::ConsensusError),
    /// TLS setup failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] strongroom_store::StoreError),
    /// The request's signer sent more than the member rate allows (checked inside the
    /// enclave core, before ordering); nothing was ordered.
    #[error(
        "more than {per_second} requests per second from this member; retry in {retry_after_ms} ms"
    )]
    Throttled {
        /// The member rate.
        per_second: u32,
        /// When a request would be allowed again.
        retry_after_ms: u64,
    },
    /// An object or export authorization was refused by the core before the contract
    /// was asked (unsigned, expired, for another node, for another access).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The contract does not entitle the member to the object, or nothing is there: one
    /// answer, the same whether or not an object exists at the location.
    #[error("not found or not allowed")]
    NotFoundOrDenied,
    /// The request names something malformed (an object location, say).
    #[error("{0}")]
    BadRequest(String),
    /// Joining the cluster failed: no member was reachable, or the cluster refused this
    /// node's evidence.
    #[error("join: {0}")]
    Join(String),
    /// The leader refused a write this follower forwarded.
    #[error("the leader answered {status}: {}", String::from_utf8_lossy(body))]
    Forwarded {
        /// The leader's status.
        status: u16,
        /// Its reason.
        body: Vec<u8>,
    },
}

/// An error with its sources, one line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
