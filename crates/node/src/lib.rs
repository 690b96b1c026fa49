//! The strongroom node: the enclave core, consensus over the ledger, the dataset store,
//! and the HTTPS API that serves them.
//!
//! ```text
//! Node::open(settings, contract)   data directory, the TEE platform (crate::platform),
//!                                  genesis, unseal or join, consensus
//! RunningNode::start(node, ...)    the API over TLS (docs/api.md), and the peer
//!                                  listener of a cluster node (mutual TLS)
//! RunningNode::shutdown()          graceful: requests in flight finish, files released
//! RecoveringNode::start(...)       a ledger without usable sealed secrets: recovery
//!                                  from members' shares first (`--recover`);
//!                                  then Node::open_recovered
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cluster;
mod data_dir;
mod enclave_bridge;
mod error;
mod fetch;
pub mod http;
mod kds;
mod object_storage;
mod pccs;
pub mod peer;
pub mod platform;
mod recovery;
mod secrets;
mod server;
mod service;
mod settings;

pub use enclave_bridge::{EnclaveApplier, EnclaveSigner, SharedEnclave};
pub use error::NodeError;
pub use platform::TeeAccess;
pub use recovery::{Recovered, RecoveringNode};
pub use server::{RunningNode, TLS_CERT_FILE, TLS_KEY_FILE, load_or_create_tls};
pub use service::{Node, OBJECTS_DIR, ObjectAuthorization};
pub use settings::{GenesisOrg, NodeSettings};
