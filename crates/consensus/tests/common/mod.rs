//! An in-process transport for multi-node tests: RPC bodies go through the same codec
//! (`serve_rpc`) as the HTTPS transport, to the Raft registered under the target's
//! address.
// Each test binary uses part of these.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use strongroom_consensus::{NodeAddr, PeerTransport, Raft, serve_rpc};

/// Delivers RPC bodies to the Raft registered under the target address.
#[derive(Clone, Default)]
pub struct Loopback {
    /// Address → the running Raft there.
    pub nodes: Arc<Mutex<HashMap<String, Raft>>>,
}

impl Loopback {
    /// Registers `raft` under `addr`.
    pub fn register(&self, addr: &str, raft: &Raft) {
        self.nodes
            .lock()
            .unwrap()
            .insert(addr.to_owned(), raft.clone());
    }

    /// The Raft at `target`, or why it is unreachable.
    pub fn find(&self, target: &NodeAddr) -> Result<Raft, String> {
        self.nodes
            .lock()
            .unwrap()
            .get(&target.addr)
            .cloned()
            .ok_or_else(|| format!("{target} is down"))
    }
}

impl PeerTransport for Loopback {
    async fn call(
        &self,
        target: &NodeAddr,
        path: &'static str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let raft = self.find(target)?;
        serve_rpc(&raft, path, &body).await
    }
}
