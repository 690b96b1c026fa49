//! A ledger exports as a stream that verifies with no store, to the same summary as
//! the store; a truncated, altered, reordered or foreign export is refused and the
//! error names the entry.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_ledger::{
    EXPORT_MAGIC, ExportError, LedgerStore, VerifyError, verify_export, verify_ledger,
};

fn exported(
    n: u64,
) -> (
    Vec<u8>,
    strongroom_ledger::LedgerSummary,
    strongroom_crypto::provider::VerifyingKey,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = LedgerStore::open(dir.path().join("ledger.redb")).unwrap();
    let key = common::key();
    let service = key.verifying_key();
    common::fill(&store, key, n);
    let summary = verify_ledger(&store, Some(&service)).unwrap();
    let mut out = Vec::new();
    let written = store.export(1..=u64::MAX, &mut out).unwrap();
    assert_eq!(written, summary.entries);
    (out, summary, service)
}

/// Offsets of each record in an export: (sequence, start, value length).
fn records(export: &[u8]) -> Vec<(u64, usize, usize)> {
    let mut at = EXPORT_MAGIC.len();
    let mut out = Vec::new();
    while at < export.len() {
        let seq = u64::from_be_bytes(export[at..at + 8].try_into().unwrap());
        let len = u32::from_be_bytes(export[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push((seq, at, len));
        at += 12 + len;
    }
    out
}

#[test]
fn an_export_verifies_like_the_store() {
    let (export, summary, service) = exported(40);
    let from_export = verify_export(&mut export.as_slice(), Some(&service)).unwrap();
    assert_eq!(from_export.entries, summary.entries);
    assert_eq!(from_export.root, summary.root);
    assert_eq!(from_export.head_hash, summary.head_hash);
    assert_eq!(from_export.signatures, summary.signatures);
    // A different service key is refused.
    let other = common::key().verifying_key();
    assert!(verify_export(&mut export.as_slice(), Some(&other)).is_err());
}

#[test]
fn a_partial_range_exports_only_that_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = LedgerStore::open(dir.path().join("ledger.redb")).unwrap();
    common::fill(&store, common::key(), 10);
    let mut out = Vec::new();
    assert_eq!(store.export(3..=7, &mut out).unwrap(), 5);
    let seqs: Vec<u64> = records(&out).iter().map(|r| r.0).collect();
    assert_eq!(seqs, vec![3, 4, 5, 6, 7]);
}

#[test]
fn damaged_exports_are_refused_naming_the_entry() {
    let (export, _, service) = exported(20);
    let recs = records(&export);

    // Flipping any byte of entry 9's value.
    let (seq, start, len) = recs[8];
    assert_eq!(seq, 9);
    for offset in [0, 31, 32, len / 2, len - 1] {
        let mut bad = export.clone();
        bad[start + 12 + offset] ^= 0x01;
        let err = verify_export(&mut bad.as_slice(), Some(&service)).unwrap_err();
        assert_eq!(
            match &err {
                ExportError::Verify(v) => v.sequence(),
                _ => None,
            },
            Some(9),
            "offset {offset}: {err}"
        );
    }

    // Truncated in the middle of entry 12's record.
    let (_, start, _) = recs[11];
    let err = verify_export(&mut &export[..start + 20], Some(&service)).unwrap_err();
    assert!(matches!(err, ExportError::Truncated { after: 11 }), "{err}");

    // Entry 5 dropped.
    let (_, s5, l5) = recs[4];
    let mut dropped = export[..s5].to_vec();
    dropped.extend_from_slice(&export[s5 + 12 + l5..]);
    let err = verify_export(&mut dropped.as_slice(), Some(&service)).unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::Verify(
                VerifyError::Missing { sequence: 5 }
                    | VerifyError::SequenceMismatch { sequence: 5, .. }
            )
        ),
        "{err}"
    );

    // A record length no entry can have.
    let mut huge = export.clone();
    let (_, s3, _) = recs[2];
    huge[s3 + 8..s3 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = verify_export(&mut huge.as_slice(), Some(&service)).unwrap_err();
    assert!(
        matches!(err, ExportError::BadLength { sequence: 3, .. }),
        "{err}"
    );

    // Not an export at all.
    let err = verify_export(&mut &b"SQLite format 3\0"[..], None).unwrap_err();
    assert!(matches!(err, ExportError::NotAnExport), "{err}");
}
