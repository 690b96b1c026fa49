//! The peer listener: node-to-node HTTPS with mutual node certificates ([`PeerTrust`]),
//! serving Raft's RPCs (`/raft/v1/{append,vote,snapshot}`), joins
//! ([`crate::cluster::JOIN_PATH`]) and writes forwarded by followers
//! ([`crate::cluster::FORWARD_PATH`]) and ledger entries for a follower catching up to
//! a snapshot ([`LEDGER_PATH`]). It listens on its own address (`peer_listen`),
//! apart from the client API, so that only peers reach it. An [`Observer`] may serve
//! [`LEDGER_PATH`] alone, over the same TLS ([`Observer::serve`]).

mod ledger;
mod observer;
mod routes;
mod tls;
mod transport;

pub use ledger::{LEDGER_PATH, LedgerRange, PeerLedger};
pub use observer::{OBSERVED_LEDGER_FILE, ObserveError, Observer};
pub use routes::{MAX_PEER_BODY_BYTES, PeerServer};
pub use tls::{NodeCredential, PeerTrust, client_config, server_config};
pub use transport::{CallError, HttpsPeers, PeerRefusal};
