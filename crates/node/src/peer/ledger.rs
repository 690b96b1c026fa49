//! Ledger entries for a follower catching up to a snapshot
//! ([`strongroom_consensus::LedgerSource`]): served at [`LEDGER_PATH`] on the peer
//! listener, fetched from the leader (or another member).
//!
//! Request: JSON `{"from": N, "to": M}`; answer: for each entry of `from..=to` this node
//! holds (at most [`CATCH_UP_BATCH`]), `len u32 (big-endian) || entry encoding`. The
//! fetching side verifies everything (`consensus::catch_up`), so a peer can only make
//! it fail, never make it write something else.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use strongroom_consensus::{CATCH_UP_BATCH, LedgerSource, NodeId, Raft};
use strongroom_ledger::{Entry, LedgerStore};

use super::HttpsPeers;

/// Where followers fetch ledger entries.
pub const LEDGER_PATH: &str = "/cluster/v1/ledger";

/// A range of ledger entries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerRange {
    /// The first entry.
    pub from: u64,
    /// The last entry.
    pub to: u64,
}

/// The entries of `range` this node holds, encoded for [`LEDGER_PATH`].
pub fn serve(ledger: &LedgerStore, range: &LedgerRange) -> Result<Vec<u8>, String> {
    if range.from == 0 || range.to < range.from {
        return Err(format!("no entries {}..={}", range.from, range.to));
    }
    let to = range.to.min(range.from + CATCH_UP_BATCH - 1);
    let mut out = Vec::new();
    for entry in ledger.range(range.from..=to).map_err(|e| e.to_string())? {
        let encoded = entry.encode().map_err(|e| e.to_string())?;
        let len = u32::try_from(encoded.len()).map_err(|e| e.to_string())?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&encoded);
    }
    Ok(out)
}

/// Decodes an answer of [`serve`].
pub(super) fn decode(mut bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or("a truncated entry length")?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|e| e.to_string())?;
        if rest.len() < len {
            return Err("a truncated entry".into());
        }
        let (encoded, rest) = rest.split_at(len);
        entries.push(Entry::decode(encoded).map_err(|e| format!("entry: {e}"))?);
        bytes = rest;
    }
    Ok(entries)
}

/// Fetches from the leader, or else from any other member.
pub struct PeerLedger {
    peers: HttpsPeers,
    id: NodeId,
    raft: Arc<OnceLock<Raft>>,
}

impl std::fmt::Debug for PeerLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerLedger")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PeerLedger {
    /// Fetches through `peers` for node `id`; `raft` is set once consensus runs.
    pub fn new(peers: HttpsPeers, id: NodeId, raft: Arc<OnceLock<Raft>>) -> Self {
        Self { peers, id, raft }
    }

    fn candidates(&self) -> Vec<String> {
        let Some(raft) = self.raft.get() else {
            return Vec::new();
        };
        let metrics = raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let mut addrs = Vec::new();
        if let Some(leader) = metrics.current_leader
            && leader != self.id
            && let Some(node) = membership.get_node(&leader)
        {
            addrs.push(node.addr.clone());
        }
        for (id, node) in membership.nodes() {
            if *id != self.id && !addrs.contains(&node.addr) {
                addrs.push(node.addr.clone());
            }
        }
        addrs
    }
}

impl LedgerSource for PeerLedger {
    fn fetch(
        &self,
        from: u64,
        to: u64,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Entry>, String>> + Send + '_>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&LedgerRange { from, to }).map_err(|e| e.to_string())?;
            let mut reasons = Vec::new();
            for addr in self.candidates() {
                match self.peers.post(&addr, LEDGER_PATH, body.clone()).await {
                    Ok(answer) => return decode(&answer),
                    Err(e) => reasons.push(format!("{addr}: {e}")),
                }
            }
            Err(format!(
                "no peer served ledger entries {from}..={to}: {}",
                reasons.join("; ")
            ))
        })
    }
}
