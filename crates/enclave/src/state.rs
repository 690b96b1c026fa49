//! The state a core rebuilds from the ledger: its own key-value store (the trusted
//! organizations, governance proposals, revocations and rules; see
//! [`crate::governance`] for the keys), the nonces of recent transactions, the
//! contract's key-value state, and the last applied position.
//!
//! The digest ([`CoreState::digest`]) is SHA-256 over `"strongroom/enclave/state/v3"`,
//! then the core's entries, the nonces (each with its `not after`) and the contract's
//! entries, each list preceded by its count and each item length-prefixed, all in
//! sorted order. It covers what transactions change, not the position: a refused
//! request, which changes nothing, leaves it unchanged.
//!
//! The snapshot encoding is the same fields in the same order, followed by the last
//! applied sequence number and timestamp.
//!
//! # Nonces
//!
//! A transaction's nonce is remembered until its `not after` (ledger time): after that
//! the request is refused as expired anyway. Nonces are dropped when a later accepted
//! transaction is applied at a time past their `not after` (on every replica at the
//! same entry, so the digest stays deterministic). Since a request's `not after` is at
//! most [`crate::request::MAX_LIFETIME_MS`] beyond its execution time, the set holds
//! at most the transactions accepted in that much ledger time before the last one.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use strongroom_contract::{MemState, State};
use strongroom_identity::TrustStore;

use crate::codec::{DecodeError, Reader, Writer};
use crate::governance;
use crate::record::Write;

const DIGEST_DOMAIN: &[u8] = b"strongroom/enclave/state/v3";
/// 3: the core's own key-value store (organizations, governance) and nonces with
/// their `not after`.
const SNAPSHOT_VERSION: u8 = 3;

/// Where the core is in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) sequence: u64,
    pub(crate) timestamp_ms: u64,
}

/// The nonces of accepted transactions that have not expired yet.
#[derive(Clone, Debug, Default)]
pub(crate) struct Nonces {
    by_nonce: BTreeMap<Vec<u8>, u64>,
    by_expiry: BTreeSet<(u64, Vec<u8>)>,
}

impl Nonces {
    pub(crate) fn contains(&self, nonce: &[u8]) -> bool {
        self.by_nonce.contains_key(nonce)
    }

    pub(crate) fn insert(&mut self, nonce: Vec<u8>, not_after_ms: u64) {
        if let Some(old) = self.by_nonce.insert(nonce.clone(), not_after_ms) {
            self.by_expiry.remove(&(old, nonce.clone()));
        }
        self.by_expiry.insert((not_after_ms, nonce));
    }

    /// Forgets every nonce whose `not after` is before `now_ms`.
    pub(crate) fn prune(&mut self, now_ms: u64) {
        while let Some((not_after, _)) = self.by_expiry.first()
            && *not_after < now_ms
        {
            if let Some((_, nonce)) = self.by_expiry.pop_first() {
                self.by_nonce.remove(&nonce);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_nonce.len()
    }
}

/// See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub(crate) struct CoreState {
    /// The core's own keys (see [`crate::governance`]).
    pub(crate) core: MemState,
    /// The organizations of `core`, as a trust store (derived, not encoded).
    pub(crate) organizations: TrustStore,
    pub(crate) nonces: Nonces,
    pub(crate) contract: MemState,
    pub(crate) applied: Option<Applied>,
}

impl CoreState {
    /// Rebuilds the trust store from the core's organization keys.
    pub(crate) fn reload_organizations(&mut self) {
        self.organizations = governance::trust_store(&self.core);
    }

    /// Applies a transaction's writes and remembers its nonce, at ledger time
    /// `timestamp_ms` (which also drops the nonces that expired before it).
    pub(crate) fn apply(
        &mut self,
        nonce: Option<(Vec<u8>, u64)>,
        contract: Vec<Write>,
        core: Vec<Write>,
        timestamp_ms: u64,
    ) {
        self.nonces.prune(timestamp_ms);
        if let Some((nonce, not_after_ms)) = nonce {
            self.nonces.insert(nonce, not_after_ms);
        }
        if !contract.is_empty() {
            self.contract.apply(contract);
        }
        if !core.is_empty() {
            let organizations_changed = core
                .iter()
                .any(|(key, _)| key.starts_with(governance::ORGANIZATION_PREFIX));
            self.core.apply(core);
            if organizations_changed {
                self.reload_organizations();
            }
        }
    }

    fn write_content(&self, writer: &mut Writer) {
        writer.count(self.core.len());
        for (key, value) in self.core.iter() {
            writer.bytes(key).bytes(value);
        }
        writer.count(self.nonces.len());
        for (nonce, not_after) in &self.nonces.by_nonce {
            writer.bytes(nonce).u64(*not_after);
        }
        writer.count(self.contract.len());
        for (key, value) in self.contract.iter() {
            writer.bytes(key).bytes(value);
        }
    }

    /// The state digest (see the [module docs](self)).
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut writer = Writer::default();
        writer.raw(DIGEST_DOMAIN);
        self.write_content(&mut writer);
        Sha256::digest(&writer.0).into()
    }

    /// The snapshot plaintext.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(SNAPSHOT_VERSION);
        self.write_content(&mut writer);
        let (sequence, timestamp_ms) = self
            .applied
            .map_or((0, 0), |a| (a.sequence, a.timestamp_ms));
        writer.u64(sequence).u64(timestamp_ms);
        writer.0
    }

    /// Decodes [`CoreState::encode`]'s output.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "snapshot");
        if reader.u8()? != SNAPSHOT_VERSION {
            return Err(DecodeError("snapshot version"));
        }
        let mut core = Vec::new();
        for _ in 0..reader.count(8)? {
            let key = reader.bytes()?.to_vec();
            core.push((key, reader.bytes()?.to_vec()));
        }
        let mut nonces = Nonces::default();
        for _ in 0..reader.count(12)? {
            let nonce = reader.bytes()?.to_vec();
            nonces.insert(nonce, reader.u64()?);
        }
        let mut entries = Vec::new();
        for _ in 0..reader.count(8)? {
            let key = reader.bytes()?.to_vec();
            entries.push((key, reader.bytes()?.to_vec()));
        }
        let sequence = reader.u64()?;
        let timestamp_ms = reader.u64()?;
        reader.finish()?;
        let mut state = Self {
            core: core.into_iter().collect(),
            organizations: TrustStore::new(),
            nonces,
            contract: entries.into_iter().collect(),
            applied: (sequence > 0).then_some(Applied {
                sequence,
                timestamp_ms,
            }),
        };
        state.reload_organizations();
        Ok(state)
    }

    /// The core's own state, read-only.
    pub(crate) fn core_state(&self) -> &dyn State {
        &self.core
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_forgotten_once_their_not_after_has_passed() {
        let mut nonces = Nonces::default();
        nonces.insert(b"a".to_vec(), 10);
        nonces.insert(b"b".to_vec(), 20);
        nonces.prune(10);
        assert!(nonces.contains(b"a"), "kept while not after >= now");
        nonces.prune(11);
        assert!(!nonces.contains(b"a"));
        assert!(nonces.contains(b"b"));
        nonces.prune(u64::MAX);
        assert_eq!(nonces.len(), 0);
    }
}
