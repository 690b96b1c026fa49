//! Shared test helpers.
#![allow(clippy::unwrap_used, dead_code)]

use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{Appender, Entry, EntryKind, LedgerStore, SignatureSchedule};

/// A fresh P-256 key.
pub fn key() -> SigningKey {
    default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap()
}

/// A ledger of genesis plus `n` transactions, signed every 3 entries, written to
/// `store` in batches of 4. Returns the appender.
pub fn fill(store: &LedgerStore, key: SigningKey, n: u64) -> (Appender, Vec<Entry>) {
    let schedule = SignatureSchedule {
        max_entries: 3,
        max_interval_ms: 1_000_000,
    };
    let mut appender = Appender::new(key, schedule);
    let mut all = appender
        .append(EntryKind::Genesis, b"genesis".to_vec(), 1)
        .unwrap();
    for i in 0..n {
        all.extend(
            appender
                .append(
                    EntryKind::Transaction,
                    format!("tx {i}").into_bytes(),
                    10 + i,
                )
                .unwrap(),
        );
    }
    all.push(appender.sign_now(10_000).unwrap());
    for batch in all.chunks(4) {
        store.append_batch(batch).unwrap();
    }
    (appender, all)
}
