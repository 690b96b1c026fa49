#![allow(clippy::unwrap_used)]
//! Receipts verify offline with only the receipt and (optionally) the service key;
//! a changed entry, a wrong path or a root signed by another key fails.

mod common;

use strongroom_crypto::provider::default_provider;
use strongroom_ledger::{LedgerStore, Receipt, ReceiptError, SignedRoot};

fn setup() -> (tempfile::TempDir, LedgerStore, strongroom_ledger::Appender) {
    let dir = tempfile::tempdir().unwrap();
    let store = LedgerStore::open(dir.path().join("l.redb")).unwrap();
    let (appender, _) = common::fill(&store, common::key(), 10);
    (dir, store, appender)
}

#[test]
fn receipts_for_several_entries_verify() {
    let (_dir, store, appender) = setup();
    let last = store.last().unwrap().unwrap().sequence();
    for seq in 1..last {
        let receipt = Receipt::from_store(&store, appender.tree(), seq).unwrap();
        let json = receipt.encode().unwrap();
        let decoded = Receipt::decode(&json).unwrap();
        assert_eq!(decoded, receipt);
        let verified = decoded.verify(None).unwrap();
        assert_eq!(verified.entry.sequence(), seq);
        assert!(!verified.signer_trusted);
        let trusted = verified.signer.clone();
        assert!(decoded.verify(Some(&trusted)).unwrap().signer_trusted);
    }
    // The final signature entry is not covered by any later signature.
    assert!(matches!(
        Receipt::from_store(&store, appender.tree(), last),
        Err(ReceiptError::NotCovered { .. })
    ));
}

#[test]
fn changed_entry_fails() {
    let (_dir, store, appender) = setup();
    let receipt = Receipt::from_store(&store, appender.tree(), 4).unwrap();
    let mut bytes = hex::decode(&receipt.entry).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let changed = Receipt {
        entry: hex::encode(bytes),
        ..receipt
    };
    assert!(matches!(
        changed.verify(None),
        Err(ReceiptError::InvalidProof)
    ));
}

#[test]
fn wrong_path_fails() {
    let (_dir, store, appender) = setup();
    let receipt = Receipt::from_store(&store, appender.tree(), 5).unwrap();
    let other = Receipt::from_store(&store, appender.tree(), 6).unwrap();
    let swapped = Receipt {
        path: other.path.clone(),
        ..receipt.clone()
    };
    assert!(matches!(
        swapped.verify(None),
        Err(ReceiptError::InvalidProof)
    ));
    let mut truncated = receipt.clone();
    truncated.path.pop();
    assert!(truncated.verify(None).is_err());
    let resized = Receipt {
        tree_size: receipt.tree_size + 1,
        ..receipt
    };
    assert!(resized.verify(None).is_err());
}

#[test]
fn root_signed_by_another_key_fails() {
    let (_dir, store, appender) = setup();
    let receipt = Receipt::from_store(&store, appender.tree(), 3).unwrap();
    let service_key = receipt.verify(None).unwrap().signer;
    let root: [u8; 32] = hex::decode(&receipt.root).unwrap().try_into().unwrap();
    let other_key = common::key();
    let forged = SignedRoot::sign(default_provider(), &other_key, receipt.tree_size, root).unwrap();
    let forged_receipt = Receipt {
        signature: hex::encode(&forged.signature),
        signer: hex::encode(&forged.signer),
        ..receipt.clone()
    };
    // Self-consistent, so it verifies without a trusted key, but names the other signer...
    let verified = forged_receipt.verify(None).unwrap();
    assert_ne!(verified.signer, service_key);
    // ...and fails against the service key.
    assert!(matches!(
        forged_receipt.verify(Some(&service_key)),
        Err(ReceiptError::InvalidSignature)
    ));
    // The other key's signature with the service key's identity fails outright.
    let mixed = Receipt {
        signature: hex::encode(&forged.signature),
        ..receipt
    };
    assert!(matches!(
        mixed.verify(None),
        Err(ReceiptError::InvalidSignature)
    ));
}
