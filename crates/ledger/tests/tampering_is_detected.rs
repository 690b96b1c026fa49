#![allow(clippy::unwrap_used)]
//! Altering the stored ledger behind the store's back (raw writes through redb) is
//! detected by `verify_ledger`, which names the first bad sequence number.

mod common;

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};
use strongroom_ledger::{LedgerStore, verify_ledger};

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");

/// A ledger of 12 entries (genesis, 10 transactions, signatures) at `path`.
fn build(path: &Path) -> u64 {
    let store = LedgerStore::open(path).unwrap();
    common::fill(&store, common::key(), 8);
    let summary = verify_ledger(&store, None).unwrap();
    assert!(summary.signatures >= 3);
    summary.entries
}

fn edit(path: &Path, f: impl FnOnce(&mut redb::Table<u64, &[u8]>)) {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut table = txn.open_table(ENTRIES).unwrap();
        f(&mut table);
    }
    txn.commit().unwrap();
}

fn first_bad(path: &Path) -> u64 {
    let store = LedgerStore::open(path).unwrap();
    let err = verify_ledger(&store, None).unwrap_err();
    err.sequence()
        .unwrap_or_else(|| panic!("no sequence in {err}"))
}

#[test]
fn flipping_any_byte_of_an_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let n = build(&path);
    for seq in [1, 2, 4, n] {
        let original = {
            let db = Database::open(&path).unwrap();
            let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
            let table = txn.open_table(ENTRIES).unwrap();
            table.get(seq).unwrap().unwrap().value().to_vec()
        };
        for i in 0..original.len() {
            let mut bytes = original.clone();
            bytes[i] ^= 0x01;
            edit(&path, |t| {
                t.insert(seq, bytes.as_slice()).unwrap();
            });
            assert_eq!(first_bad(&path), seq, "byte {i} of entry {seq}");
        }
        edit(&path, |t| {
            t.insert(seq, original.as_slice()).unwrap();
        });
        assert_eq!(
            verify_ledger(&LedgerStore::open(&path).unwrap(), None)
                .unwrap()
                .entries,
            n
        );
    }
}

#[test]
fn deleting_an_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    build(&path);
    edit(&path, |t| {
        t.remove(5).unwrap();
    });
    assert_eq!(first_bad(&path), 5);
}

#[test]
fn swapping_two_entries_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    build(&path);
    edit(&path, |t| {
        let a = t.get(6).unwrap().unwrap().value().to_vec();
        let b = t.get(7).unwrap().unwrap().value().to_vec();
        t.insert(6, b.as_slice()).unwrap();
        t.insert(7, a.as_slice()).unwrap();
    });
    assert_eq!(first_bad(&path), 6);
}

#[test]
fn truncating_the_tail_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let n = build(&path);
    edit(&path, |t| {
        t.remove(n).unwrap();
        t.remove(n - 1).unwrap();
    });
    assert_eq!(first_bad(&path), n - 1);
}
