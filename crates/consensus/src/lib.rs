//! strongroom consensus: openraft orders proposals; the Raft log and the ledger live
//! in redb; committed proposals go to an [`Applier`] (the enclave, later) and become
//! ledger entries.
//!
//! A single node is a one-member Raft cluster: the same code path as a larger cluster,
//! with a network that has no peers. See `docs/consensus.md` for the design: group
//! commit, what is fsynced before an acknowledgement, snapshots and recovery.
//!
//! # Quick start
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use strongroom_consensus::{ChainApplier, ConsensusNode, NodeConfig};
//! use strongroom_crypto::provider::{EcdsaCurve, default_provider};
//!
//! let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let dir = tempfile::tempdir()?;
//!     let key = default_provider().generate_signing_key(EcdsaCurve::P256)?;
//!     let node = ConsensusNode::start_single(NodeConfig::single(dir.path()), key, ChainApplier::default()).await?;
//!     let applied = node.propose(b"first".to_vec()).await?;
//!     assert_eq!(applied.sequence, Some(1)); // the genesis entry
//!     node.shutdown().await?;
//!     Ok(())
//! })
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod applier;
mod catch_up;
pub mod codec;
mod error;
mod ledger_writer;
mod log_store;
mod network;
mod node;
mod snapshot;
mod state_machine;
mod types;
pub mod wire;

pub use applier::{Applier, ApplyContext, ChainApplier, Outcome, Record};
pub use catch_up::{CATCH_UP_BATCH, LedgerPeers, LedgerSource};
pub use error::{ApplierError, ConsensusError};
pub use ledger_writer::Durable;
pub use log_store::{LOG_STORE_FORMAT, LogReader, LogStore, RaftDatabase};
pub use network::{
    APPEND_PATH, Network, NoPeers, PeerClient, PeerTransport, SNAPSHOT_PATH, VOTE_PATH, serve_rpc,
};
pub use node::{ConsensusNode, LEDGER_FILE, MAX_PAYLOAD_BYTES, NodeConfig, RAFT_FILE};
/// How a membership change names the nodes it adds or removes (openraft's).
pub use openraft::ChangeMembers;
pub use state_machine::{Receipts, SnapshotBuilder, StateMachine};
pub use types::{
    Applied, LogEntry, LogId, NodeAddr, NodeId, Proposal, Raft, Snapshot, SnapshotMeta,
    StorageError, StoredMembership, TypeConfig, Vote,
};
