//! Writes the state machine's ledger entries on a thread of their own, so that applying
//! the next committed proposal overlaps the fsync of the last one.
//!
//! The state machine hands each applied batch (its entries and the new position) to
//! [`LedgerWriter::submit`] and returns at once. The writer thread takes every batch
//! waiting, writes them in one ledger transaction (one fsync for several batches), and
//! then publishes the last durable sequence number. Proposers are answered only once
//! their entries are durable ([`Durable::wait_for`]): nothing is acknowledged before
//! its fsync, as before; only the waiting moved from the state machine to the proposer.
//!
//! If a write fails, the writer stops: the failure is published to every waiting and
//! later proposer, and every later submission fails, which stops the state machine.
//! The entries it held were never acknowledged; they are still in the Raft log, and a
//! restart applies them again.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use strongroom_ledger::{Entry, LedgerStore};
use tokio::sync::watch;

use crate::error::ConsensusError;
use crate::types::Applied;

/// What is durable: the last ledger sequence number written and fsynced, or why the
/// writer stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Durable(u64),
    Failed(String),
}

enum Job {
    Write {
        entries: Vec<Entry>,
        position: Vec<u8>,
    },
    Flush(SyncSender<Result<(), String>>),
}

/// The writer: owns the thread; dropping it writes what was submitted and joins it.
pub(crate) struct LedgerWriter {
    jobs: Option<Sender<Job>>,
    state: watch::Receiver<State>,
    publish: watch::Sender<State>,
    thread: Option<JoinHandle<()>>,
}

/// Waits for ledger entries to become durable. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Durable {
    state: watch::Receiver<State>,
}

impl Durable {
    /// The last ledger entry applied and durable here; none once the writer failed.
    pub fn sequence(&self) -> Option<u64> {
        match &*self.state.borrow() {
            State::Durable(durable) => Some(*durable),
            State::Failed(_) => None,
        }
    }

    /// Returns once ledger entry `sequence` is durable, or the writer's failure.
    pub async fn wait_for(&self, sequence: u64) -> Result<(), ConsensusError> {
        let mut state = self.state.clone();
        let reached = state
            .wait_for(|s| match s {
                State::Durable(durable) => *durable >= sequence,
                State::Failed(_) => true,
            })
            .await
            .map_err(|_| ConsensusError::Stopped)?;
        match &*reached {
            State::Durable(_) => Ok(()),
            State::Failed(reason) => Err(ConsensusError::Inconsistent(format!(
                "the ledger write failed, nothing after it is acknowledged: {reason}"
            ))),
        }
    }
}

impl Durable {
    /// Returns once the ledger entries of all of `applied` are durable.
    pub async fn wait_for_all(&self, applied: &[Applied]) -> Result<(), ConsensusError> {
        match applied.iter().filter_map(|a| a.sequence).max() {
            Some(last) => self.wait_for(last).await,
            None => Ok(()),
        }
    }
}

impl LedgerWriter {
    /// Starts the writer over `ledger`, whose entries up to `durable` are on disk.
    pub(crate) fn start(ledger: Arc<LedgerStore>, durable: u64) -> Result<Self, ConsensusError> {
        let (jobs, queue) = channel();
        let (publish, state) = watch::channel(State::Durable(durable));
        let writer_publish = publish.clone();
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || run(&ledger, &queue, &writer_publish))
            .map_err(|e| ConsensusError::Inconsistent(format!("ledger writer thread: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            state,
            publish,
            thread: Some(thread),
        })
    }

    /// Publishes `sequence` as durable: entries appended to the ledger outside the
    /// writer (a snapshot's catch-up, after [`LedgerWriter::flush`]), already fsynced.
    pub(crate) fn advance(&self, sequence: u64) {
        self.publish.send_if_modified(|state| match state {
            State::Durable(durable) if *durable < sequence => {
                *durable = sequence;
                true
            }
            _ => false,
        });
    }

    /// A handle to wait for durability with.
    pub(crate) fn durable(&self) -> Durable {
        Durable {
            state: self.state.clone(),
        }
    }

    /// Queues `entries` and the `position` after them. Fails once a write has failed.
    pub(crate) fn submit(
        &self,
        entries: Vec<Entry>,
        position: Vec<u8>,
    ) -> Result<(), ConsensusError> {
        self.check()?;
        self.send(Job::Write { entries, position })
    }

    /// Waits until everything submitted so far is durable.
    pub(crate) fn flush(&self) -> Result<(), ConsensusError> {
        let (done, wait) = sync_channel(1);
        self.send(Job::Flush(done))?;
        wait.recv()
            .map_err(|_| ConsensusError::Stopped)?
            .map_err(|reason| ConsensusError::Inconsistent(format!("ledger write: {reason}")))
    }

    fn check(&self) -> Result<(), ConsensusError> {
        match &*self.state.borrow() {
            State::Durable(_) => Ok(()),
            State::Failed(reason) => Err(ConsensusError::Inconsistent(format!(
                "an earlier ledger write failed: {reason}"
            ))),
        }
    }

    fn send(&self, job: Job) -> Result<(), ConsensusError> {
        self.jobs
            .as_ref()
            .ok_or(ConsensusError::Stopped)?
            .send(job)
            .map_err(|_| ConsensusError::Stopped)
    }
}

impl Drop for LedgerWriter {
    fn drop(&mut self) {
        // Closing the queue lets the thread write what is left and end.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(ledger: &LedgerStore, queue: &Receiver<Job>, publish: &watch::Sender<State>) {
    let mut failed: Option<String> = None;
    while let Ok(first) = queue.recv() {
        // Everything waiting goes into one transaction.
        let mut entries: Vec<Entry> = Vec::new();
        let mut position: Option<Vec<u8>> = None;
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            match job {
                Job::Write {
                    entries: more,
                    position: at,
                } => {
                    if entries.is_empty() {
                        entries = more;
                    } else {
                        entries.extend(more);
                    }
                    position = Some(at);
                }
                Job::Flush(done) => flushes.push(done),
            }
            next = queue.try_recv().ok();
        }
        if failed.is_none()
            && let Some(position) = position
        {
            match ledger.append_batch_at(&entries, Some(&position)) {
                Ok(head) => {
                    publish.send_replace(State::Durable(head.sequence));
                }
                Err(e) => {
                    let reason = e.to_string();
                    publish.send_replace(State::Failed(reason.clone()));
                    failed = Some(reason);
                }
            }
        }
        for done in flushes {
            let _ = done.send(failed.clone().map_or(Ok(()), Err));
        }
    }
}
