//! The cluster's nodes as governance sees them (`remove_node`): a proposal names a
//! node of the cluster by its Raft id, checked against the membership the host passes
//! with each entry ([`ClusterView`], from the Raft log, so the same at every replica);
//! its enactment records the id as retired at `node/retired/<id, 16 hex digits>`
//! ([`Retirement`], JSON). The node layer reads the retired ids
//! ([`Enclave::retired_nodes`]): the leader removes them from the Raft membership, and
//! every node refuses them at join.

use serde::{Deserialize, Serialize};
use strongroom_contract::{ContractError, State};

use super::{Env, invalid, json, keys_under};
use crate::core::Enclave;

const RETIRED_PREFIX: &[u8] = b"node/retired/";

/// The cluster's membership as of the entry being executed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClusterView<'a> {
    /// The voters' ids.
    pub(crate) voters: &'a [u64],
    /// The learners' ids.
    pub(crate) learners: &'a [u64],
}

/// What a retirement records.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Retirement {
    proposal: String,
    retired_at_ms: u64,
    sequence: u64,
}

fn retired_key(node_id: u64) -> Vec<u8> {
    let mut key = RETIRED_PREFIX.to_vec();
    key.extend_from_slice(format!("{node_id:016x}").as_bytes());
    key
}

/// Checks a `remove_node` change's field.
pub(crate) fn check(node_id: u64) -> Result<(), ContractError> {
    if node_id == 0 {
        return Err(invalid("change.node_id", "must be at least 1"));
    }
    Ok(())
}

/// Whether `node_id` can be retired now: a node of the cluster, not retired yet, and
/// not its last voter.
pub(crate) fn applicable(
    state: &dyn State,
    node_id: u64,
    cluster: &ClusterView<'_>,
) -> Result<(), String> {
    if state.get_ref(&retired_key(node_id)).is_some() {
        return Err(format!("node {node_id} is already retired"));
    }
    let voter = cluster.voters.contains(&node_id);
    if !voter && !cluster.learners.contains(&node_id) {
        return Err(format!(
            "node {node_id} is not a node of the cluster (voters {:?}, learners {:?})",
            cluster.voters, cluster.learners
        ));
    }
    if voter && cluster.voters.len() <= 1 {
        return Err(format!(
            "node {node_id} is the cluster's last voter: without a voter nothing is ordered"
        ));
    }
    Ok(())
}

/// Records `node_id` as retired by proposal `proposal`.
pub(crate) fn enact(
    state: &mut dyn State,
    node_id: u64,
    proposal: &str,
    env: &Env<'_>,
) -> Result<(), ContractError> {
    let record = Retirement {
        proposal: proposal.to_owned(),
        retired_at_ms: env.now_ms,
        sequence: env.sequence,
    };
    state.put(retired_key(node_id), json(&record)?);
    Ok(())
}

/// The retired node ids, ascending.
pub(crate) fn retired(state: &dyn State) -> Vec<u64> {
    keys_under(state, RETIRED_PREFIX, None, usize::MAX)
        .iter()
        .filter_map(|hex| u64::from_str_radix(hex, 16).ok())
        .collect()
}

impl Enclave {
    /// The Raft node ids the consortium retired (`remove_node`), ascending, as of the
    /// last applied entry: the node layer removes them from the membership and refuses
    /// them at join.
    pub fn retired_nodes(&self) -> Vec<u64> {
        retired(self.state.core_state())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use strongroom_contract::MemState;

    use super::*;

    #[test]
    fn only_a_node_of_the_cluster_that_is_not_its_last_voter_is_retired() {
        let state = MemState::new();
        let three = ClusterView {
            voters: &[1, 2, 3],
            learners: &[4],
        };
        applicable(&state, 2, &three).unwrap();
        applicable(&state, 4, &three).unwrap();
        let unknown = applicable(&state, 9, &three).unwrap_err();
        assert!(unknown.contains("not a node of the cluster"), "{unknown}");
        let alone = ClusterView {
            voters: &[1],
            learners: &[4],
        };
        let last = applicable(&state, 1, &alone).unwrap_err();
        assert!(last.contains("last voter"), "{last}");
        applicable(&state, 4, &alone).unwrap();
        assert!(check(0).unwrap_err().to_string().contains("change.node_id"));
    }

    #[test]
    fn retired_ids_read_back_in_order() {
        let mut state = MemState::new();
        for id in [300, 2, 17] {
            state.put(retired_key(id), b"{}".to_vec());
        }
        assert_eq!(retired(&state), vec![2, 17, 300]);
        let again = applicable(
            &state,
            2,
            &ClusterView {
                voters: &[1, 2],
                learners: &[],
            },
        )
        .unwrap_err();
        assert!(again.contains("already retired"), "{again}");
    }
}
