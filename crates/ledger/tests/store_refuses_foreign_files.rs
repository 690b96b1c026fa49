#![allow(clippy::unwrap_used)]
//! The store refuses files that are not its own (leaving them byte-for-byte
//! unchanged), refuses a second concurrent open, and refuses bad batches atomically.

mod common;

use redb::{Database, TableDefinition};
use strongroom_ledger::{BatchError, Entry, EntryKind, LedgerStore, StoreError, verify_ledger};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

#[test]
fn non_redb_file_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let content = b"not a database, just some text that matters to someone".repeat(100);
    std::fs::write(&path, &content).unwrap();
    let err = LedgerStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), content);
}

fn redb_file_with(path: &std::path::Path, format: &[u8], version: Option<u32>) -> Vec<u8> {
    {
        let db = Database::create(path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert("format", format).unwrap();
            if let Some(v) = version {
                meta.insert("version", v.to_be_bytes().as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    std::fs::read(path).unwrap()
}

#[test]
fn redb_file_of_another_application_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    let before = redb_file_with(&path, b"someone-else", Some(1));
    let err = LedgerStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let bare = dir.path().join("bare.redb");
    {
        let db = Database::create(&bare).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(TableDefinition::<u64, u64>::new("x"))
            .unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(&bare).unwrap();
    assert!(matches!(
        LedgerStore::open(&bare),
        Err(StoreError::Foreign { .. })
    ));
    assert_eq!(std::fs::read(&bare).unwrap(), before);
}

#[test]
fn newer_format_version_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.redb");
    let before = redb_file_with(&path, b"strongroom-ledger", Some(2));
    let err = LedgerStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NewerFormat {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn second_open_is_refused_while_the_first_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let first = LedgerStore::open(&path).unwrap();
    let err = LedgerStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err}");
    drop(first);
    LedgerStore::open(&path).unwrap();
}

#[test]
fn store_reopens_with_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let all = {
        let store = LedgerStore::open(&path).unwrap();
        common::fill(&store, common::key(), 5).1
    };
    let store = LedgerStore::open(&path).unwrap();
    assert_eq!(store.range(1..=u64::MAX).unwrap(), all);
    assert_eq!(store.entry(2).unwrap().as_ref(), Some(&all[1]));
    assert_eq!(store.last().unwrap().as_ref(), all.last());
    assert_eq!(store.entry(1000).unwrap(), None);
    assert_eq!(
        verify_ledger(&store, None).unwrap().entries,
        all.len() as u64
    );
}

#[test]
fn batch_with_a_broken_link_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let store = LedgerStore::open(&path).unwrap();
    let (_, all) = common::fill(&store, common::key(), 3);
    let head = store.head().unwrap().unwrap();
    let next = head.sequence + 1;

    let good = Entry::new(next, head.hash, EntryKind::Transaction, 99, b"a".to_vec());
    let broken = Entry::new(next + 1, [7; 32], EntryKind::Transaction, 99, b"b".to_vec());
    let err = store.append_batch(&[good.clone(), broken]).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InvalidBatch { sequence, reason: BatchError::BrokenLink } if sequence == next + 1
        ),
        "{err}"
    );
    let gap = Entry::new(
        next + 1,
        head.hash,
        EntryKind::Transaction,
        99,
        b"c".to_vec(),
    );
    assert!(matches!(
        store.append_batch(&[gap]),
        Err(StoreError::InvalidBatch {
            reason: BatchError::OutOfSequence { .. },
            ..
        })
    ));
    let genesis = Entry::new(next, head.hash, EntryKind::Genesis, 99, Vec::new());
    assert!(matches!(
        store.append_batch(&[genesis]),
        Err(StoreError::InvalidBatch {
            reason: BatchError::MisplacedGenesis,
            ..
        })
    ));
    assert_eq!(store.head().unwrap(), Some(head));
    assert_eq!(store.range(1..=u64::MAX).unwrap(), all);
    // The good entry alone is accepted.
    store.append_batch(&[good]).unwrap();
    assert_eq!(store.head().unwrap().unwrap().sequence, next);
}
