//! Catching a follower's ledger up to a snapshot: the ledger entries between its head
//! and the snapshot's position come from a peer, and are verified before anything is
//! written.
//!
//! A snapshot restores the core's state *after* some ledger entry; the ledger itself
//! must hold every entry up to it, or receipts and the offline verification would have
//! a hole. So a follower that receives a snapshot ahead of its ledger first asks a
//! [`LedgerSource`] (a peer) for the entries in between, checks the whole chain from
//! genesis with [`LedgerVerifier`] (hash links, Merkle roots, every signature entry
//! under the service key) and that it ends exactly at the snapshot's head, and only then
//! appends them. A peer that sends anything else changes nothing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use strongroom_crypto::provider::VerifyingKey;
use strongroom_ledger::{Entry, LedgerStore, LedgerVerifier};

/// Entries fetched per request.
pub const CATCH_UP_BATCH: u64 = 512;

/// Where a follower fetches ledger entries it lacks (a peer).
pub trait LedgerSource: Send + Sync + 'static {
    /// Entries `from..=to` (fewer if the source has fewer), in order.
    fn fetch(
        &self,
        from: u64,
        to: u64,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Entry>, String>> + Send + '_>>;
}

/// A shared [`LedgerSource`].
#[derive(Clone)]
pub struct LedgerPeers(pub Arc<dyn LedgerSource>);

impl std::fmt::Debug for LedgerPeers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerPeers")
    }
}

/// Fetches and verifies the entries after `ledger`'s head up to `sequence`, which must
/// end with `head_hash`; returns them for the caller to append.
pub(crate) async fn fetch_verified(
    ledger: &LedgerStore,
    source: &dyn LedgerSource,
    service_key: &VerifyingKey,
    sequence: u64,
    head_hash: &str,
) -> Result<Vec<Entry>, String> {
    let local = ledger
        .head()
        .map_err(|e| e.to_string())?
        .map_or(0, |h| h.sequence);
    let mut verifier = LedgerVerifier::new(Some(service_key.clone()));
    let mut from = 1;
    while from <= local {
        let to = local.min(from + CATCH_UP_BATCH * 8 - 1);
        for entry in ledger.range(from..=to).map_err(|e| e.to_string())? {
            verifier
                .push(&entry)
                .map_err(|e| format!("this node's own ledger: {e}"))?;
        }
        from = to + 1;
    }
    let mut fetched = Vec::new();
    let mut next = local + 1;
    while next <= sequence {
        let to = sequence.min(next + CATCH_UP_BATCH - 1);
        let batch = source.fetch(next, to).await?;
        if batch.is_empty() {
            return Err(format!("the peer has no ledger entry {next}"));
        }
        for entry in batch {
            if entry.header.sequence > sequence {
                break;
            }
            verifier
                .push(&entry)
                .map_err(|e| format!("a peer's ledger entry: {e}"))?;
            next = entry.header.sequence + 1;
            fetched.push(entry);
        }
    }
    let summary = verifier.finish(None).map_err(|e| e.to_string())?;
    if summary.entries != sequence || hex::encode(summary.head_hash) != head_hash {
        return Err(format!(
            "the fetched ledger ends at entry {} with another head than the snapshot's",
            summary.entries
        ));
    }
    Ok(fetched)
}
