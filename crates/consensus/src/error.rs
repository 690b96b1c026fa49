//! Errors of the consensus layer.

use std::path::PathBuf;

/// Why a consensus operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// The applier refused to restore or replay its state.
    #[error("applier: {0}")]
    Applier(#[from] ApplierError),
    /// A redb database failed.
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    /// An I/O operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The ledger failed verification when the node opened it.
    #[error("ledger failed verification: {0}")]
    Ledger(#[from] strongroom_ledger::VerifyError),
    /// A store (the ledger or the Raft log) failed or was refused.
    #[error(transparent)]
    Store(#[from] strongroom_ledger::StoreError),
    /// Building a ledger entry failed.
    #[error("ledger append: {0}")]
    Append(#[from] strongroom_ledger::AppendError),
    /// The ledger and the Raft state disagree.
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
    /// openraft reported an error.
    #[error("raft: {0}")]
    Raft(String),
    /// The node is not the leader (or the cluster has none right now).
    #[error("this node is not the leader{}", leader.map(|l| format!(" (leader: node {l})")).unwrap_or_default())]
    NotLeader {
        /// The current leader, if known.
        leader: Option<u64>,
    },
    /// The node has stopped.
    #[error("the node has stopped")]
    Stopped,
    /// This node had not applied a ledger entry within the time allowed (a follower
    /// behind its leader).
    #[error("this node had not applied ledger entry {sequence} after {waited_ms} ms")]
    Lagging {
        /// The entry waited for.
        sequence: u64,
        /// How long.
        waited_ms: u64,
    },
    /// A proposal is larger than the limit.
    #[error("proposal of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The proposal's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl ConsensusError {
    /// The same failure for another waiter of a batch (errors with sources are
    /// reported by their message).
    pub(crate) fn clone_reason(&self) -> Self {
        match self {
            Self::NotLeader { leader } => Self::NotLeader { leader: *leader },
            Self::Stopped => Self::Stopped,
            Self::Lagging {
                sequence,
                waited_ms,
            } => Self::Lagging {
                sequence: *sequence,
                waited_ms: *waited_ms,
            },
            Self::TooLarge { len, max } => Self::TooLarge {
                len: *len,
                max: *max,
            },
            Self::Inconsistent(e) => Self::Inconsistent(e.clone()),
            other => Self::Raft(other.to_string()),
        }
    }
}

/// An applier's refusal, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ApplierError(pub String);
