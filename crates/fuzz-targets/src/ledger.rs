//! Targets for what the ledger holds and hands out: entries, exports, the core's
//! records and receipts.

use strongroom_enclave::record::LedgerRecord;
use strongroom_ledger::{Entry, Receipt, verify_export};

/// `Entry::decode` (an entry that decodes re-encodes to the same bytes and hashes as
/// encoded), and `verify_export` reading the same bytes as an export stream.
pub fn ledger_entry(data: &[u8]) {
    if let Ok(entry) = Entry::decode(data) {
        assert_eq!(
            entry.encode().ok().as_deref(),
            Some(data),
            "a decoded entry re-encodes"
        );
        assert_eq!(
            entry.hash().ok(),
            Some(strongroom_ledger::hash_encoded(data)),
            "an entry hashes as its encoding"
        );
    }
    let _ = verify_export(&mut &data[..], None);
}

/// `LedgerRecord::decode`; a record that decodes re-encodes to the same bytes.
pub fn ledger_record(data: &[u8]) {
    if let Ok(record) = LedgerRecord::decode(data) {
        assert_eq!(record.encode(), data, "a decoded record re-encodes");
    }
}

/// `Receipt::decode` (JSON, from the node) and its offline verification.
pub fn receipt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(receipt) = Receipt::decode(text) else {
        return;
    };
    if let Ok(verified) = receipt.verify(None) {
        // The signer it reports is trusted by a second verification with that key.
        assert!(
            receipt.verify(Some(&verified.signer)).is_ok(),
            "a receipt verifies with the key it was verified under"
        );
    }
}
