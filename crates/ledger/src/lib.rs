//! The strongroom ledger: hash-chained entries, a Merkle tree over them, signature
//! entries carrying signed roots, offline-verifiable receipts, and a durable store on
//! redb. There is no consensus here; the Raft layer calls this crate.
//!
//! The byte formats, invariants and the attacks this does not stop are in
//! `docs/formats/ledger.md`.
//!
//! # Quick start
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use strongroom_crypto::provider::{EcdsaCurve, default_provider};
//! use strongroom_ledger::{
//!     Appender, EntryKind, LedgerStore, MerkleTree, Receipt, SignatureSchedule, verify_ledger,
//! };
//!
//! let dir = tempfile::tempdir()?;
//! let store = LedgerStore::open(dir.path().join("ledger.redb"))?;
//! let key = default_provider().generate_signing_key(EcdsaCurve::P256)?;
//! let service_key = key.verifying_key();
//! let schedule = SignatureSchedule { max_entries: 2, max_interval_ms: 60_000 };
//! let mut appender = Appender::new(key, schedule);
//!
//! let mut batch = appender.append(EntryKind::Genesis, b"constitution".to_vec(), 1_000)?;
//! batch.extend(appender.append(EntryKind::Transaction, b"ciphertext".to_vec(), 1_001)?);
//! store.append_batch(&batch)?; // one durable write transaction
//!
//! let summary = verify_ledger(&store, Some(&service_key))?;
//! assert_eq!(summary.entries, 3); // genesis, transaction, signature
//!
//! let receipt = Receipt::from_store(&store, appender.tree(), 2)?;
//! let json = receipt.encode()?;
//! let verified = Receipt::decode(&json)?.verify(Some(&service_key))?;
//! assert_eq!(verified.entry.payload, b"ciphertext");
//! # let _ = MerkleTree::new();
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod appender;
mod entry;
mod export;
mod merkle;
mod receipt;
mod signature;
mod store;
mod verify;

pub use appender::{AppendError, Appender};
pub use entry::{
    DecodeError, ENTRY_FORMAT_VERSION, ENTRY_HASH_DOMAIN, EncodeError, Entry, EntryHeader,
    EntryKind, HEADER_LEN, Hash, MAX_PAYLOAD_LEN, hash_encoded,
};
pub use export::{EXPORT_MAGIC, ExportError, verify_export};
pub use merkle::{EMPTY_ROOT, InclusionProof, MerkleError, MerkleTree, leaf_hash, node_hash};
pub use receipt::{RECEIPT_VERSION, Receipt, ReceiptError, VerifiedReceipt};
pub use signature::{
    MAX_SIGNER_LEN, RootSigner, SIGNED_ROOT_DOMAIN, SIGNED_ROOT_VERSION, SignatureSchedule,
    SignedRoot, SignedRootError,
};
pub use store::{
    BatchError, FileFormat, Head, LedgerStore, RawEntry, STORE_FORMAT_MARKER, STORE_FORMAT_VERSION,
    StoreError, open_marked,
};
pub use verify::{
    LedgerSummary, LedgerVerifier, VerifyError, verify_entries, verify_ledger, verify_ledger_with,
};
