//! Under a steady write load from three organizations' clients, a three-node
//! consortium loses its leader to SIGKILL again and again (20 times), or has every node
//! restarted in turn: each time the load resumes, and at the end every write a client
//! saw acknowledged is in the consortium's state, under the id and sequence it was
//! acknowledged with, and every node holds the same ledger.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::{DEADLINE, Devnet, connect, propose};

const KILLS: usize = 20;

/// One client's acknowledged writes: description → (proposal id, ledger sequence), and
/// when each was acknowledged.
#[derive(Default)]
struct AckLog {
    acked: BTreeMap<String, (String, u64)>,
    times: Vec<Instant>,
}

/// Writes proposals as the admin of organization `org` through the nodes, moving to
/// the next node whenever one fails; logs what was acknowledged.
async fn load(
    apis: Vec<String>,
    admin: strongroom_identity::Member,
    org: usize,
    log: Arc<Mutex<AckLog>>,
    stop: Arc<AtomicBool>,
) {
    let mut node = org;
    let mut client = None;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let current = match &client {
            Some(c) => c,
            None => match connect(&apis[node % apis.len()]).await {
                Ok(c) => client.insert(c),
                Err(_) => {
                    node += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        n += 1;
        let description = format!("org {org} write {n}");
        match current.govern(&admin, &propose(&description)).await {
            Ok(written) => {
                let mut log = log.lock().unwrap();
                log.acked
                    .insert(description, (written.value.id, written.sequence.unwrap()));
                log.times.push(Instant::now());
            }
            // Not acknowledged: its outcome is unknown, and nothing is claimed for it.
            Err(_) => {
                client = None;
                node += 1;
            }
        }
    }
}

/// The load: three clients, one per organization, until `stop`.
struct Load {
    runtime: tokio::runtime::Runtime,
    stop: Arc<AtomicBool>,
    logs: Vec<Arc<Mutex<AckLog>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(devnet: &Devnet) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let apis: Vec<String> = devnet.nodes.iter().map(|n| n.api.clone()).collect();
        let logs: Vec<Arc<Mutex<AckLog>>> = (0..3).map(|_| Arc::default()).collect();
        let workers = (0..3)
            .map(|org| {
                runtime.spawn(load(
                    apis.clone(),
                    devnet.admin(org),
                    org,
                    logs[org].clone(),
                    stop.clone(),
                ))
            })
            .collect();
        Self {
            runtime,
            stop,
            logs,
            workers,
        }
    }

    /// Writes acknowledged after `at`.
    fn acks_after(&self, at: Instant) -> usize {
        self.logs
            .iter()
            .map(|l| l.lock().unwrap().times.iter().filter(|t| **t > at).count())
            .sum()
    }

    /// Waits for `n` acknowledgements after now.
    fn wait_for_acks(&self, n: usize, what: &str) -> Duration {
        let from = Instant::now();
        while self.acks_after(from) < n {
            assert!(
                from.elapsed() < DEADLINE,
                "no write was acknowledged {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        from.elapsed()
    }

    /// Stops the load, then checks that every acknowledged write is in the state and
    /// that every node ends with the same ledger.
    fn stop_and_check(self, devnet: &mut Devnet, at_least: usize) {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            self.runtime.block_on(worker).unwrap();
        }
        let leader = devnet.wait_for_leader();
        let proposals = self.runtime.block_on(async {
            let client = connect(&devnet.nodes[leader].api).await.unwrap();
            client.proposals(&devnet.admin(0)).await.unwrap()
        });
        let in_state: BTreeMap<&str, &str> = proposals
            .iter()
            .map(|p| (p.description.as_str(), p.id.as_str()))
            .collect();
        let mut total = 0;
        for log in &self.logs {
            for (description, (id, sequence)) in &log.lock().unwrap().acked {
                total += 1;
                assert_eq!(
                    in_state.get(description.as_str()),
                    Some(&id.as_str()),
                    "the acknowledged write {description:?} (sequence {sequence}) is in the state under its id"
                );
                assert_eq!(
                    id,
                    &format!("prop-{sequence:016x}"),
                    "the id names the acknowledged sequence"
                );
            }
        }
        assert!(total >= at_least, "only {total} writes were acknowledged");
        eprintln!("{total} acknowledged writes, all in the state");
        devnet.wait_caught_up();
        devnet.stop_and_compare_ledgers();
    }
}

#[test]
fn twenty_leader_kills_under_load_lose_no_acknowledged_write() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let load = Load::start(&devnet);
    let mut resumed_ms = Vec::new();
    for kill in 0..KILLS {
        let leader = devnet.wait_for_leader();
        load.wait_for_acks(5, &format!("before kill {kill}"));
        devnet.sigkill(leader);
        let resumed = load.wait_for_acks(1, &format!("after kill {kill} of node {}", leader + 1));
        resumed_ms.push(resumed.as_millis());
        let new_leader = devnet.wait_for_leader();
        assert_ne!(
            new_leader, leader,
            "a surviving node leads after kill {kill}"
        );
        devnet.restart(leader);
    }
    resumed_ms.sort_unstable();
    eprintln!(
        "writes acknowledged again after a leader kill: median {} ms, max {} ms over {KILLS} kills",
        resumed_ms[KILLS / 2],
        resumed_ms[KILLS - 1]
    );
    load.stop_and_check(&mut devnet, KILLS * 5);
}

#[test]
fn a_rolling_restart_of_every_node_under_load_loses_no_acknowledged_write() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let load = Load::start(&devnet);
    for round in 0..2 {
        for i in 0..3 {
            load.wait_for_acks(5, &format!("before restarting node {}", i + 1));
            devnet.sigterm(i);
            load.wait_for_acks(1, &format!("while node {} restarts (round {round})", i + 1));
            devnet.restart(i);
        }
    }
    load.stop_and_check(&mut devnet, 30);
}
