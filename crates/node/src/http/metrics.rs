//! Request counters and latencies, rendered in the Prometheus text format at
//! `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::service::Node;

/// Request counters and latencies, rendered in the Prometheus text format.
#[derive(Default, Debug)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub(super) transactions: AtomicU64,
    pub(super) queries: AtomicU64,
    pub(super) uploaded_bytes: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    // Transaction latency histogram: bucket upper bounds in milliseconds.
    tx_latency: [AtomicU64; TX_BUCKETS.len() + 1],
    tx_latency_sum_us: AtomicU64,
}

const TX_BUCKETS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0, 1000.0];

impl Metrics {
    pub(super) fn record_request(&self, route: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((route.to_owned(), status)).or_default() += 1;
    }

    pub(super) fn record_transaction(&self, elapsed: Duration) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        let ms = elapsed.as_secs_f64() * 1000.0;
        let bucket = TX_BUCKETS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(TX_BUCKETS.len());
        self.tx_latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.tx_latency_sum_us.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(super) fn render(&self, node: &Node) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP strongroom_http_requests_total HTTP requests by route and status.\n\
             # TYPE strongroom_http_requests_total counter"
        );
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((route, status), count) in requests.iter() {
            let _ = writeln!(
                out,
                "strongroom_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        drop(requests);
        let counters = [
            (
                "transactions_total",
                "Transactions committed.",
                &self.transactions,
            ),
            ("queries_total", "Queries answered.", &self.queries),
            (
                "uploaded_bytes_total",
                "Object bytes stored.",
                &self.uploaded_bytes,
            ),
            (
                "rate_limited_total",
                "Requests refused by the rate limit.",
                &self.rate_limited,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP strongroom_{name} {help}\n# TYPE strongroom_{name} counter\nstrongroom_{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP strongroom_transaction_seconds Time from receipt to commit.\n\
             # TYPE strongroom_transaction_seconds histogram"
        );
        let mut cumulative = 0;
        for (i, bound) in TX_BUCKETS.iter().enumerate() {
            cumulative += self.tx_latency[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "strongroom_transaction_seconds_bucket{{le=\"{}\"}} {cumulative}",
                bound / 1000.0
            );
        }
        cumulative += self.tx_latency[TX_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "strongroom_transaction_seconds_bucket{{le=\"+Inf\"}} {cumulative}\n\
             strongroom_transaction_seconds_sum {}\n\
             strongroom_transaction_seconds_count {cumulative}",
            self.tx_latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let sequence = node
            .ledger()
            .head()
            .ok()
            .flatten()
            .map_or(0, |h| h.sequence);
        let _ = writeln!(
            out,
            "# HELP strongroom_ledger_sequence Last ledger sequence number.\n\
             # TYPE strongroom_ledger_sequence gauge\nstrongroom_ledger_sequence {sequence}\n\
             # HELP strongroom_insecure_simulation 1 when the node runs on the INSECURE SIMULATION platform.\n\
             # TYPE strongroom_insecure_simulation gauge\nstrongroom_insecure_simulation {}",
            u8::from(node.insecure())
        );
        let raft = node.raft().metrics().borrow().clone();
        let membership = raft.membership_config.membership();
        let gauges = [
            ("raft_node_id", "This node's Raft id.", raft.id),
            (
                "raft_leader_id",
                "The leader's Raft id as this node knows it (0: none).",
                raft.current_leader.unwrap_or(0),
            ),
            ("raft_term", "The current Raft term.", raft.current_term),
            (
                "raft_applied_index",
                "The last Raft log index applied here.",
                raft.last_applied.map_or(0, |l| l.index),
            ),
            (
                "raft_snapshot_index",
                "The Raft log index of this node's last snapshot (0: none).",
                raft.snapshot.map_or(0, |l| l.index),
            ),
            (
                "raft_voters",
                "Voting members of the cluster.",
                membership.voter_ids().count() as u64,
            ),
            (
                "raft_learners",
                "Non-voting members of the cluster.",
                membership.learner_ids().count() as u64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP strongroom_{name} {help}\n# TYPE strongroom_{name} gauge\nstrongroom_{name} {value}"
            );
        }
        out
    }
}
