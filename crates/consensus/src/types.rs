//! The Raft type configuration: what a log entry carries and what applying it returns.

use std::fmt;
use std::io::Cursor;

use serde::{Deserialize, Serialize};

/// A node's identity in the Raft cluster.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The strongroom Raft type configuration.
    pub TypeConfig:
        D = Proposal,
        R = Vec<Applied>,
        NodeId = NodeId,
        Node = NodeAddr,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The running Raft instance.
pub type Raft = openraft::Raft<TypeConfig>;
/// A Raft log entry.
pub type LogEntry = openraft::Entry<TypeConfig>;
/// A Raft log id (term, leader, index).
pub type LogId = openraft::LogId<NodeId>;
/// A Raft vote.
pub type Vote = openraft::Vote<NodeId>;
/// The membership as of some log id.
pub type StoredMembership = openraft::StoredMembership<NodeId, NodeAddr>;
/// Snapshot metadata.
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, NodeAddr>;
/// A snapshot with its data.
pub type Snapshot = openraft::Snapshot<TypeConfig>;
/// The error openraft's storage traits return.
pub type StorageError = openraft::StorageError<NodeId>;

/// Where a node can be reached by its peers (`host:port` of its node-to-node
/// endpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    /// `host:port`.
    pub addr: String,
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.addr)
    }
}

/// One Raft log entry's worth of client proposals: opaque payloads (for transactions,
/// envelopes encrypted to the service) batched by the leader, and the time the leader
/// assigned when it ordered them. An empty batch is a tick (see `docs/consensus.md`).
///
/// The timestamp is part of the replicated entry, so every node applies the same time;
/// nothing downstream reads a local clock.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Milliseconds since the Unix epoch, assigned by the leader.
    pub timestamp_ms: u64,
    /// The opaque payloads, applied in order.
    pub payloads: Vec<Vec<u8>>,
}

impl fmt::Debug for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proposal")
            .field("timestamp_ms", &self.timestamp_ms)
            .field("payloads", &self.payloads.len())
            .finish()
    }
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "proposal({} payloads at {} ms)",
            self.payloads.len(),
            self.timestamp_ms
        )
    }
}

/// What applying one committed payload produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The ledger sequence number of the entry recorded for it, if one was.
    pub sequence: Option<u64>,
    /// The applier's response for the proposer (opaque; the enclave encrypts it to
    /// the client).
    pub response: Vec<u8>,
}
