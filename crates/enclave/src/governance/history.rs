//! The governance history: every change that took effect, in ledger order, with the
//! votes that carried it. Derived from the replicated state alone, so every node
//! answers the same: at enactment the core records the proposal's id under
//! `hist/<sequence of the carrying entry, 16 hex digits>`, and the proposal's record
//! keeps the sequence of every vote and of its decision, and which organizations'
//! votes counted.

use strongroom_contract::{ContractError, State};

use super::{
    HistoryEntry, HistoryPage, HistoryVote, ProposalRecord, ProposalStatus, invalid, keys_under,
    load, proposal_key, refused,
};

const HISTORY_PREFIX: &[u8] = b"hist/";

fn history_key(sequence: u64) -> Vec<u8> {
    let mut key = HISTORY_PREFIX.to_vec();
    key.extend_from_slice(format!("{sequence:016x}").as_bytes());
    key
}

/// Records that proposal `id` took effect in the entry at `sequence`.
pub(super) fn record(state: &mut dyn State, sequence: u64, id: &str) {
    state.put(history_key(sequence), id.as_bytes().to_vec());
}

/// The sequence a proposal id names (`prop-<16 hex digits>`).
fn proposed_at(id: &str) -> Option<u64> {
    id.strip_prefix("prop-")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
}

/// The history entry of proposal `id`, enacted in the entry at `sequence`.
fn entry(sequence: u64, id: &str, record: ProposalRecord) -> Option<HistoryEntry> {
    let decision = record.decided?;
    if decision.status != ProposalStatus::Enacted {
        return None;
    }
    let proposer_msp = record.proposer.msp_id.clone();
    let votes = record
        .votes
        .into_iter()
        .filter(|(msp_id, _)| decision.counted.as_ref().is_none_or(|c| c.contains(msp_id)))
        .map(|(msp_id, vote)| HistoryVote {
            sequence: vote.sequence.or_else(|| {
                // The proposal is its proposer's vote, unless a later one replaced it.
                (msp_id == proposer_msp && vote.at_ms == record.proposed_at_ms)
                    .then(|| proposed_at(id))
                    .flatten()
            }),
            msp_id,
            name: vote.name,
            approve: vote.approve,
            at_ms: vote.at_ms,
        })
        .collect();
    Some(HistoryEntry {
        sequence,
        at_ms: decision.at_ms,
        proposal: id.to_owned(),
        summary: record.change.summary(),
        change: record.change,
        description: record.description,
        proposer: record.proposer,
        votes,
    })
}

/// Answers [`super::GovernanceQuery::History`].
pub(super) fn page(
    state: &dyn State,
    after: Option<u64>,
    limit: Option<u32>,
) -> Result<HistoryPage, ContractError> {
    let limit = match limit {
        None => 20,
        Some(n @ 1..=100) => n as usize,
        Some(_) => return Err(invalid("limit", "must be 1 to 100")),
    };
    let after = after.map(|sequence| format!("{sequence:016x}"));
    let keys = keys_under(
        state,
        HISTORY_PREFIX,
        after.as_deref().map(str::as_bytes),
        limit + 1,
    );
    let more = keys.len() > limit;
    let mut items = Vec::new();
    let mut last = None;
    for hex in keys.into_iter().take(limit) {
        let sequence = u64::from_str_radix(&hex, 16)
            .map_err(|_| refused(format!("state: history key {hex} is not a sequence")))?;
        last = Some(sequence);
        let Some(id) = state
            .get_ref(&history_key(sequence))
            .map(|id| String::from_utf8_lossy(&id).into_owned())
        else {
            continue;
        };
        let record: ProposalRecord = load(state, &proposal_key(&id))?
            .ok_or_else(|| refused(format!("state: history names {id}, which is missing")))?;
        items.extend(entry(sequence, &id, record));
    }
    let next = if more { last } else { None };
    Ok(HistoryPage { items, next })
}
