//! Two processes cannot open the same node data directory: while one runs a node,
//! another process gets a clear "already open" error for the ledger, the Raft log and
//! the node, and changes nothing; once the first is gone, the second opens it.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use strongroom_consensus::{
    ChainApplier, ConsensusError, ConsensusNode, LEDGER_FILE, LogStore, NodeConfig, RAFT_FILE,
};
use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{LedgerStore, StoreError};

const CHILD_ENV: &str = "EXCLUSIVE_HOLDER_DIR";

#[test]
fn holder_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only runs as the child of the test below.
    };
    let dir = Path::new(&dir).to_path_buf();
    let key = SigningKey::from_pkcs8_der(&std::fs::read(dir.join("service.key")).unwrap()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        // No time-based signatures: the holder writes nothing after HOLDING, so the
        // parent can compare the files.
        let config = NodeConfig {
            schedule: strongroom_ledger::SignatureSchedule {
                max_entries: 1000,
                max_interval_ms: 3_600_000,
            },
            ..NodeConfig::single(dir.join("node"))
        };
        let node = ConsensusNode::start_single(config, key, ChainApplier::default())
            .await
            .unwrap();
        node.propose(b"held".to_vec()).await.unwrap();
        // Let the ticker's first (immediate) tick settle too.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        println!("HOLDING");
        // Until killed.
        std::future::pending::<()>().await;
    });
}

fn bytes_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_second_process_is_refused_while_the_first_holds_the_stores() {
    let dir = tempfile::tempdir().unwrap();
    let key = default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap();
    std::fs::write(dir.path().join("service.key"), key.to_pkcs8_der().unwrap()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "holder_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.unwrap().contains("HOLDING")),
        "the holder process did not start"
    );

    let node_dir = dir.path().join("node");
    let before = bytes_of(&node_dir);
    match LedgerStore::open(node_dir.join(LEDGER_FILE)) {
        Err(StoreError::AlreadyOpen { path }) => assert!(path.ends_with(LEDGER_FILE)),
        other => panic!("ledger opened twice: {other:?}"),
    }
    match LogStore::open(node_dir.join(RAFT_FILE)) {
        Err(ConsensusError::Store(StoreError::AlreadyOpen { path })) => {
            assert!(path.ends_with(RAFT_FILE));
        }
        other => panic!("raft log opened twice: {other:?}"),
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(ConsensusNode::start_single(
            NodeConfig::single(&node_dir),
            key.clone(),
            ChainApplier::default(),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("already open"), "{err}");
    // The refused attempts changed nothing on disk.
    assert_eq!(bytes_of(&node_dir), before);

    child.kill().unwrap();
    child.wait().unwrap();
    // Now the directory is free, and holds what the first process committed.
    let node = runtime
        .block_on(ConsensusNode::start_single(
            NodeConfig::single(&node_dir),
            key,
            ChainApplier::default(),
        ))
        .unwrap();
    assert_eq!(node.ledger().entry(1).unwrap().unwrap().payload, b"held");
    runtime.block_on(node.shutdown()).unwrap();
}
