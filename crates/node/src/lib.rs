//! The strongroom node: the enclave core, consensus over the ledger, the dataset store,
//! and the HTTPS API that serves them.
//!
//! ```text
//! Node::open(settings, contract)   data directory, genesis or unseal, consensus
//! RunningNode::start(node, ...)    the API over TLS (docs/api.md), and the peer
//!                                  listener of a cluster node (mutual TLS)
//! RunningNode::shutdown()          graceful: requests in flight finish, files released
//! RecoveringNode::start(...)       a ledger without usable sealed secrets: recovery
//!                                  from members' shares first (`--recover`)
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cluster;
mod enclave_bridge;
mod error;
pub mod http;
mod object_storage;
pub mod peer;
mod recovery;
mod server;
mod service;
mod settings;

pub use enclave_bridge::{EnclaveApplier, EnclaveSigner, SharedEnclave};
pub use error::NodeError;
pub use recovery::RecoveringNode;
pub use server::{RunningNode, TLS_CERT_FILE, TLS_KEY_FILE, load_or_create_tls};
pub use service::{Node, OBJECTS_DIR, ObjectAuthorization};
pub use settings::{GenesisOrg, NodeSettings};
