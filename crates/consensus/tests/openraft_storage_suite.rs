//! The Raft log store and state machine pass openraft's own storage test suite.
#![allow(clippy::unwrap_used)]

use openraft::testing::{StoreBuilder, Suite};
use strongroom_consensus::{
    ChainApplier, LEDGER_FILE, LogStore, RAFT_FILE, StateMachine, StorageError, TypeConfig,
};
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_ledger::SignatureSchedule;
use tempfile::TempDir;

struct RedbStores;

impl StoreBuilder<TypeConfig, LogStore, StateMachine<ChainApplier>, TempDir> for RedbStores {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine<ChainApplier>), StorageError> {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path().join(RAFT_FILE)).unwrap();
        let key = default_provider()
            .generate_signing_key(EcdsaCurve::P256)
            .unwrap();
        let sm = StateMachine::open(
            &dir.path().join(LEDGER_FILE),
            log.database(),
            ChainApplier::default(),
            key,
            SignatureSchedule::default(),
        )
        .unwrap();
        Ok((dir, log, sm))
    }
}

#[test]
fn redb_stores_pass_the_openraft_suite() {
    Suite::test_all(RedbStores).unwrap();
}
