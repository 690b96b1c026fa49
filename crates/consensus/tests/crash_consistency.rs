//! Crash consistency: a writer process is killed with SIGKILL at random moments, 60
//! times, and restarted on the same data directory. After every kill, every entry it
//! acknowledged is in the ledger exactly once, every entry in the ledger is whole, and
//! the whole ledger verifies (hash links, Merkle roots, signatures).
//!
//! The writer is this test binary re-executed with `CRASH_WRITER_DIR` set: it runs the
//! `crash_writer_child` test, which starts a node and proposes from several tasks,
//! printing `ACK <id>` after each acknowledged proposal.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use strongroom_consensus::{
    ChainApplier, ConsensusNode, LEDGER_FILE, LogStore, NodeConfig, RAFT_FILE,
};
use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{EntryKind, LedgerStore, SignatureSchedule, verify_ledger};

const CHILD_ENV: &str = "CRASH_WRITER_DIR";
const KILLS: usize = 60;
const PROPOSERS: usize = 8;

fn config(dir: &Path) -> NodeConfig {
    NodeConfig {
        schedule: SignatureSchedule {
            max_entries: 16,
            max_interval_ms: 20,
        },
        snapshot_every: 200,
        ..NodeConfig::single(dir)
    }
}

/// The payload for `id`: the id, a colon, then `len` bytes of a pattern derived from
/// the id, so a partial or altered payload is recognizable.
fn payload(id: &str, len: usize) -> Vec<u8> {
    let mut out = format!("{id}:{len}:").into_bytes();
    let seed = id
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    out.extend((0..len).map(|i| seed.wrapping_add(i as u8)));
    out
}

/// Parses a payload back to its id, checking it is whole.
fn parse(bytes: &[u8]) -> Result<String, String> {
    let text_end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b':')
        .nth(1)
        .map(|(i, _)| i)
        .ok_or("no header")?;
    let header = std::str::from_utf8(&bytes[..text_end]).map_err(|e| e.to_string())?;
    let (id, len) = header.split_once(':').ok_or("no length")?;
    let len: usize = len.parse().map_err(|_| "bad length")?;
    if payload(id, len) != bytes {
        return Err(format!("payload of {id} is not whole"));
    }
    Ok(id.to_string())
}

#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only runs as the crash test's child process.
    };
    let dir = Path::new(&dir).to_path_buf();
    let key = SigningKey::from_pkcs8_der(&std::fs::read(dir.join("service.key")).unwrap()).unwrap();
    let run: String = std::env::var("CRASH_WRITER_RUN").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let node = std::sync::Arc::new(
            ConsensusNode::start_single(config(&dir.join("node")), key, ChainApplier::default())
                .await
                .unwrap(),
        );
        println!("READY");
        let mut tasks = Vec::new();
        for p in 0..PROPOSERS {
            let node = node.clone();
            let run = run.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0u64.. {
                    let id = format!("r{run}p{p}n{n}");
                    let len = ((n as usize * 7919 + p * 104_729) % 3000) + 1;
                    node.propose(payload(&id, len)).await.unwrap();
                    println!("ACK {id}");
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Checks the stores after a kill; returns the ids in the ledger.
fn check(dir: &Path, key: &SigningKey, acked: &HashSet<String>) -> HashSet<String> {
    let node = dir.join("node");
    let ledger = LedgerStore::open(node.join(LEDGER_FILE)).unwrap();
    let summary = verify_ledger(&ledger, Some(&key.verifying_key()))
        .unwrap_or_else(|e| panic!("ledger does not verify after a kill: {e}"));
    let mut present = HashSet::new();
    for entry in ledger.range(1..=summary.entries).unwrap() {
        if entry.header.kind == EntryKind::Signature {
            continue;
        }
        let id =
            parse(&entry.payload).unwrap_or_else(|e| panic!("entry {}: {e}", entry.sequence()));
        assert!(
            present.insert(id.clone()),
            "entry {}: {id} recorded twice",
            entry.sequence()
        );
    }
    let missing: Vec<_> = acked.difference(&present).take(5).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but missing after a kill: {missing:?}"
    );
    // The Raft log opens and reads back.
    drop(LogStore::open(node.join(RAFT_FILE)).unwrap());
    present
}

#[test]
fn acknowledged_entries_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let key = default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap();
    std::fs::write(dir.path().join("service.key"), key.to_pkcs8_der().unwrap()).unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();
    let mut acked: HashSet<String> = HashSet::new();
    let mut kills_with_acks = 0;
    let mut present = HashSet::new();
    for run in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("CRASH_WRITER_RUN", run.to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("child.stderr")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for READY (the node recovered and leads), then kill at a random moment.
        // (libtest prints its own lines around the child's.)
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| {
                    let stderr = std::fs::read_to_string(dir.path().join("child.stderr"));
                    panic!("run {run} (seed {seed}): writer never ready: {e}\n{stderr:?}")
                });
            if line.contains("READY") {
                break;
            }
        }
        let delay = Duration::from_millis(5 + rng.next() % 150);
        let until = Instant::now() + delay;
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let mut acks_this_run = 0;
        for line in rx.try_iter() {
            if let Some((_, id)) = line.split_once("ACK ") {
                acked.insert(id.to_string());
                acks_this_run += 1;
            }
        }
        if acks_this_run > 0 {
            kills_with_acks += 1;
        }
        present = check(dir.path(), &key, &acked);
    }
    eprintln!(
        "{KILLS} kills (seed {seed}): {kills_with_acks} while acknowledging, {} acknowledged, {} in the ledger",
        acked.len(),
        present.len()
    );
    // The test means something only if the kills landed while entries were flowing.
    assert!(
        kills_with_acks >= KILLS / 2,
        "only {kills_with_acks} runs acknowledged entries (seed {seed})"
    );
    assert!(
        acked.len() >= KILLS * 10,
        "only {} entries acknowledged",
        acked.len()
    );
    // Unacknowledged proposals may be present (committed before the kill); every
    // acknowledged one must be.
    assert!(present.len() >= acked.len());
}
