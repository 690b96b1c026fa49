//! The cluster's nodes as governance sees them.
//!
//! - `remove_node`: a proposal names a node of the cluster by its Raft id, checked
//!   against the membership the host passes with each entry ([`ClusterView`], from the
//!   Raft log, so the same at every replica); its enactment records the id as retired
//!   at `node/retired/<id, 16 hex digits>` ([`Retirement`], JSON). The node layer reads the
//!   retired ids ([`Enclave::retired_nodes`]): the leader removes them from the Raft
//!   membership, and every node refuses them at join.
//! - `add_node`: admits an id that is not retired, not admitted and not in the cluster,
//!   at `node/admitted/<id>` ([`Admission`]); `set_node_admission` sets `cfg/node-admission` (`by_vote`,
//!   or absent). The node layer reads both ([`Enclave::node_admission`]): with
//!   admission by vote, a member refuses a joiner whose id is neither admitted nor
//!   already in the cluster.

use serde::{Deserialize, Serialize};
use strongroom_contract::{ContractError, State};

use super::{Env, invalid, json, keys_under};
use crate::core::Enclave;

const RETIRED_PREFIX: &[u8] = b"node/retired/";
const ADMITTED_PREFIX: &[u8] = b"node/admitted/";
const ADMISSION_KEY: &[u8] = b"cfg/node-admission";
const BY_VOTE: &[u8] = b"by_vote";

/// The cluster's membership as of the entry being executed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClusterView<'a> {
    /// The voters' ids.
    pub(crate) voters: &'a [u64],
    /// The learners' ids.
    pub(crate) learners: &'a [u64],
}

/// What a retirement records: the proposal that carried it, when, and the sequence of
/// the entry that enacted it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Retirement {
    proposal: String,
    retired_at_ms: u64,
    sequence: u64,
}

/// What an admission records, likewise.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Admission {
    proposal: String,
    admitted_at_ms: u64,
    sequence: u64,
}

fn node_key(prefix: &[u8], node_id: u64) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(format!("{node_id:016x}").as_bytes());
    key
}

fn retired_key(node_id: u64) -> Vec<u8> {
    node_key(RETIRED_PREFIX, node_id)
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

/// Whether `node_id` can be admitted now: not retired, not admitted, not a node of
/// the cluster.
pub(crate) fn admissible(
    state: &dyn State,
    node_id: u64,
    cluster: &ClusterView<'_>,
) -> Result<(), String> {
    if state.get_ref(&retired_key(node_id)).is_some() {
        return Err(format!(
            "node {node_id} was retired: a retired node id never joins again"
        ));
    }
    if state.get_ref(&node_key(ADMITTED_PREFIX, node_id)).is_some() {
        return Err(format!("node {node_id} is already admitted"));
    }
    if cluster.voters.contains(&node_id) || cluster.learners.contains(&node_id) {
        return Err(format!("node {node_id} is already a node of the cluster"));
    }
    Ok(())
}

/// Records `node_id` as admitted by proposal `proposal`.
pub(crate) fn admit(
    state: &mut dyn State,
    node_id: u64,
    proposal: &str,
    env: &Env<'_>,
) -> Result<(), ContractError> {
    let record = Admission {
        proposal: proposal.to_owned(),
        admitted_at_ms: env.now_ms,
        sequence: env.sequence,
    };
    state.put(node_key(ADMITTED_PREFIX, node_id), json(&record)?);
    Ok(())
}

/// Sets whether nodes join only under admitted ids.
pub(crate) fn set_admission(state: &mut dyn State, by_vote: bool) {
    if by_vote {
        state.put(ADMISSION_KEY.to_vec(), BY_VOTE.to_vec());
    } else {
        state.delete(ADMISSION_KEY);
    }
}

/// Whether nodes join only under admitted ids.
pub(crate) fn admission_by_vote(state: &dyn State) -> bool {
    state.get_ref(ADMISSION_KEY).as_deref() == Some(BY_VOTE)
}

/// The admitted node ids, ascending.
pub(crate) fn admitted(state: &dyn State) -> Vec<u64> {
    ids_under(state, ADMITTED_PREFIX)
}

/// The retired node ids, ascending.
pub(crate) fn retired(state: &dyn State) -> Vec<u64> {
    ids_under(state, RETIRED_PREFIX)
}

fn ids_under(state: &dyn State, prefix: &[u8]) -> Vec<u64> {
    keys_under(state, prefix, None, usize::MAX)
        .iter()
        .filter_map(|hex| u64::from_str_radix(hex, 16).ok())
        .collect()
}

/// How nodes join, as the consortium decided: [`Enclave::node_admission`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAdmission {
    /// Whether a joiner's id must have been admitted by vote (`set_node_admission`).
    pub by_vote: bool,
    /// The ids admitted (`add_node`), ascending.
    pub admitted: Vec<u64>,
}

impl NodeAdmission {
    /// Whether a node `node_id` that is not in the cluster may join.
    pub fn admits(&self, node_id: u64) -> bool {
        !self.by_vote || self.admitted.binary_search(&node_id).is_ok()
    }
}

impl Enclave {
    /// The Raft node ids the consortium retired (`remove_node`), ascending, as of the
    /// last applied entry: the node layer removes them from the membership and refuses
    /// them at join.
    pub fn retired_nodes(&self) -> Vec<u64> {
        retired(self.state.core_state())
    }

    /// How nodes join, as of the last applied entry (`set_node_admission`,
    /// `add_node`): the node layer refuses a joiner this does not admit, unless its id
    /// is already in the cluster.
    pub fn node_admission(&self) -> NodeAdmission {
        let state = self.state.core_state();
        NodeAdmission {
            by_vote: admission_by_vote(state),
            admitted: admitted(state),
        }
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
    fn only_an_id_neither_retired_admitted_nor_in_the_cluster_is_admitted() {
        let mut state = MemState::new();
        let cluster = ClusterView {
            voters: &[1, 2],
            learners: &[3],
        };
        admissible(&state, 4, &cluster).unwrap();
        for member in [1, 3] {
            let error = admissible(&state, member, &cluster).unwrap_err();
            assert!(error.contains("already a node of the cluster"), "{error}");
        }
        state.put(retired_key(5), b"{}".to_vec());
        assert!(
            admissible(&state, 5, &cluster)
                .unwrap_err()
                .contains("retired")
        );
        state.put(node_key(ADMITTED_PREFIX, 4), b"{}".to_vec());
        assert!(
            admissible(&state, 4, &cluster)
                .unwrap_err()
                .contains("already admitted")
        );
    }

    #[test]
    fn admission_by_vote_admits_only_admitted_ids() {
        let mut state = MemState::new();
        let read = |state: &MemState| NodeAdmission {
            by_vote: admission_by_vote(state),
            admitted: admitted(state),
        };
        assert!(read(&state).admits(7), "open by default");
        set_admission(&mut state, true);
        assert!(!read(&state).admits(7));
        state.put(node_key(ADMITTED_PREFIX, 7), b"{}".to_vec());
        assert!(read(&state).admits(7));
        assert!(!read(&state).admits(8));
        set_admission(&mut state, false);
        assert!(read(&state).admits(8));
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
