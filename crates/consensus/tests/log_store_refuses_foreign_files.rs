//! The Raft log store refuses a file that is not one, or one of a newer format, with a
//! message saying so, and leaves it byte-for-byte unchanged.
#![allow(clippy::unwrap_used)]

use strongroom_consensus::{ConsensusError, LOG_STORE_FORMAT, LogStore};
use strongroom_ledger::{FileFormat, LedgerStore, StoreError, open_marked};

#[test]
fn foreign_and_newer_files_are_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();

    // A ledger store is a redb file with another marker.
    let ledger = dir.path().join("ledger.redb");
    drop(LedgerStore::open(&ledger).unwrap());
    let before = std::fs::read(&ledger).unwrap();
    let err = LogStore::open(&ledger).unwrap_err();
    assert!(
        matches!(err, ConsensusError::Store(StoreError::Foreign { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("is not a strongroom Raft log store"),
        "{err}"
    );
    assert_eq!(std::fs::read(&ledger).unwrap(), before);

    // Not redb at all.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"just some notes\n").unwrap();
    let err = LogStore::open(&text).unwrap_err();
    assert!(err.to_string().contains("not a redb database"), "{err}");
    assert_eq!(std::fs::read(&text).unwrap(), b"just some notes\n");

    // A log store written by a newer version.
    let newer = dir.path().join("newer.redb");
    let future = FileFormat {
        version: LOG_STORE_FORMAT.version + 1,
        ..LOG_STORE_FORMAT
    };
    drop(open_marked(&newer, &future).unwrap());
    let before = std::fs::read(&newer).unwrap();
    let err = LogStore::open(&newer).unwrap_err();
    assert!(
        matches!(
            err,
            ConsensusError::Store(StoreError::NewerFormat {
                found: 2,
                supported: 1,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&newer).unwrap(), before);
}
