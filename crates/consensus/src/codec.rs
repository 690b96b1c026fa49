//! Byte encodings of what the Raft log store keeps: log entries, log ids and votes.
//!
//! Integers are big-endian. A log entry is
//! `version u8 (1) || term u64 || leader u64 || index u64 || tag u8 || body`, where the
//! body is empty for a blank entry (tag 0), `timestamp_ms u64 || count u32 ||
//! (len u32 || payload) * count` for a proposal batch (tag 1), and the JSON of the
//! membership for a membership entry (tag 2).

use openraft::{CommittedLeaderId, EntryPayload, LeaderId, Membership};

use crate::types::{LogEntry, LogId, NodeAddr, NodeId, Proposal, Vote};

const ENTRY_VERSION: u8 = 1;
const TAG_BLANK: u8 = 0;
const TAG_PROPOSAL: u8 = 1;
const TAG_MEMBERSHIP: u8 = 2;

/// Why stored bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The bytes end early.
    #[error("{what} truncated: {len} bytes")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// How many bytes there were.
        len: usize,
    },
    /// Unknown version byte.
    #[error("unknown log entry version {0}")]
    UnknownVersion(u8),
    /// Unknown payload tag.
    #[error("unknown log entry payload tag {0}")]
    UnknownTag(u8),
    /// A membership body is not valid JSON.
    #[error("membership body: {0}")]
    Membership(String),
    /// Bytes follow the last payload of a proposal batch.
    #[error("{0} trailing bytes after the proposal batch")]
    Trailing(usize),
    /// A flag byte holds a value it cannot (a vote's committed flag, a snapshot
    /// chunk's last-chunk flag, or unknown bits of an append's presence flags).
    #[error("flag byte {0} is not one of the values it may take")]
    BadFlag(u8),
    /// An append's entries do not follow its previous log id one index at a time.
    #[error("append entries out of order: expected log index {expected}, found {found}")]
    NotConsecutive {
        /// The index the entry should have had.
        expected: u64,
        /// The index it had.
        found: u64,
    },
    /// A snapshot chunk's metadata is not valid JSON of a snapshot's metadata.
    #[error("snapshot meta: {0}")]
    SnapshotMeta(String),
}

/// Encodes a log id (24 bytes).
pub fn encode_log_id(log_id: &LogId) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..8].copy_from_slice(&log_id.leader_id.term.to_be_bytes());
    out[8..16].copy_from_slice(&log_id.leader_id.node_id.to_be_bytes());
    out[16..].copy_from_slice(&log_id.index.to_be_bytes());
    out
}

/// Decodes a log id.
pub fn decode_log_id(bytes: &[u8]) -> Result<LogId, CodecError> {
    let truncated = CodecError::Truncated {
        what: "log id",
        len: bytes.len(),
    };
    let (term, node, index) = three_u64(bytes).ok_or(truncated.clone())?;
    if bytes.len() != 24 {
        return Err(truncated);
    }
    Ok(LogId::new(CommittedLeaderId::new(term, node), index))
}

/// Encodes a vote (17 bytes).
pub fn encode_vote(vote: &Vote) -> [u8; 17] {
    let mut out = [0u8; 17];
    out[..8].copy_from_slice(&vote.leader_id.term.to_be_bytes());
    out[8..16].copy_from_slice(&vote.leader_id.node_id.to_be_bytes());
    out[16] = u8::from(vote.committed);
    out
}

/// Decodes a vote.
pub fn decode_vote(bytes: &[u8]) -> Result<Vote, CodecError> {
    let truncated = CodecError::Truncated {
        what: "vote",
        len: bytes.len(),
    };
    if bytes.len() != 17 {
        return Err(truncated);
    }
    let term = u64_at(bytes, 0).ok_or(truncated.clone())?;
    let node: NodeId = u64_at(bytes, 8).ok_or(truncated)?;
    let committed = match bytes[16] {
        0 => false,
        1 => true,
        other => return Err(CodecError::BadFlag(other)),
    };
    Ok(Vote {
        leader_id: LeaderId::new(term, node),
        committed,
    })
}

/// Encodes a log entry.
pub fn encode_entry(entry: &LogEntry) -> Vec<u8> {
    let mut out = Vec::new();
    encode_entry_into(entry, &mut out);
    out
}

/// Appends the encoding of a log entry to `out` (an append request writes its entries
/// in place, without a buffer each).
pub fn encode_entry_into(entry: &LogEntry, out: &mut Vec<u8>) {
    let body_len = match &entry.payload {
        EntryPayload::Normal(p) => 12 + p.payloads.iter().map(|x| 4 + x.len()).sum::<usize>(),
        _ => 64,
    };
    out.reserve(1 + 24 + 1 + body_len);
    out.push(ENTRY_VERSION);
    out.extend_from_slice(&encode_log_id(&entry.log_id));
    match &entry.payload {
        EntryPayload::Blank => out.push(TAG_BLANK),
        EntryPayload::Normal(proposal) => {
            out.push(TAG_PROPOSAL);
            out.extend_from_slice(&proposal.timestamp_ms.to_be_bytes());
            // Batches are bounded far below 4 GiB by the node (MAX_BATCH_BYTES).
            out.extend_from_slice(&len32(proposal.payloads.len()).to_be_bytes());
            for payload in &proposal.payloads {
                out.extend_from_slice(&len32(payload.len()).to_be_bytes());
                out.extend_from_slice(payload);
            }
        }
        EntryPayload::Membership(membership) => {
            out.push(TAG_MEMBERSHIP);
            // Serializing a map of integers and strings to JSON cannot fail.
            serde_json::to_writer(&mut *out, membership).unwrap_or_default();
        }
    }
}

/// Decodes a log entry.
pub fn decode_entry(bytes: &[u8]) -> Result<LogEntry, CodecError> {
    let truncated = CodecError::Truncated {
        what: "log entry",
        len: bytes.len(),
    };
    let (&version, rest) = bytes.split_first().ok_or(truncated.clone())?;
    if version != ENTRY_VERSION {
        return Err(CodecError::UnknownVersion(version));
    }
    let (id, rest) = rest.split_at_checked(24).ok_or(truncated.clone())?;
    let log_id = decode_log_id(id)?;
    let (&tag, body) = rest.split_first().ok_or(truncated.clone())?;
    let payload = match tag {
        TAG_BLANK if body.is_empty() => EntryPayload::Blank,
        TAG_BLANK => return Err(truncated),
        TAG_PROPOSAL => EntryPayload::Normal(decode_batch(body).ok_or(truncated)??),
        TAG_MEMBERSHIP => {
            let membership: Membership<NodeId, NodeAddr> =
                serde_json::from_slice(body).map_err(|e| CodecError::Membership(e.to_string()))?;
            EntryPayload::Membership(membership)
        }
        other => return Err(CodecError::UnknownTag(other)),
    };
    Ok(LogEntry { log_id, payload })
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// `None` when truncated; `Some(Err)` for trailing bytes.
fn decode_batch(body: &[u8]) -> Option<Result<Proposal, CodecError>> {
    let timestamp_ms = u64_at(body, 0)?;
    let count = u32_at(body, 8)?;
    let mut at = 12usize;
    // Each payload takes at least 4 bytes: a count beyond that is truncation, and
    // checking first keeps a forged count from reserving memory.
    if (count as usize).checked_mul(4)? > body.len() - at {
        return None;
    }
    let mut payloads = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = u32_at(body, at)? as usize;
        at += 4;
        payloads.push(body.get(at..at.checked_add(len)?)?.to_vec());
        at += len;
    }
    if at != body.len() {
        return Some(Err(CodecError::Trailing(body.len() - at)));
    }
    Some(Ok(Proposal {
        timestamp_ms,
        payloads,
    }))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let chunk: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(chunk))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(chunk))
}

fn three_u64(bytes: &[u8]) -> Option<(u64, u64, u64)> {
    Some((u64_at(bytes, 0)?, u64_at(bytes, 8)?, u64_at(bytes, 16)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeSet;

    use super::*;

    fn id(term: u64, node: u64, index: u64) -> LogId {
        LogId::new(CommittedLeaderId::new(term, node), index)
    }

    #[test]
    fn entries_round_trip() {
        let members: BTreeSet<NodeId> = [1, 2, 3].into_iter().collect();
        let entries = [
            LogEntry {
                log_id: id(1, 2, 3),
                payload: EntryPayload::Blank,
            },
            LogEntry {
                log_id: id(7, 1, 9),
                payload: EntryPayload::Normal(Proposal {
                    timestamp_ms: 1_700_000_000_000,
                    payloads: vec![vec![0, 1, 2, 255], vec![], vec![9; 300]],
                }),
            },
            LogEntry {
                log_id: id(2, 1, 4),
                payload: EntryPayload::Membership(Membership::new(vec![members], None)),
            },
        ];
        for entry in entries {
            let bytes = encode_entry(&entry);
            let back = decode_entry(&bytes).unwrap();
            assert_eq!(back.log_id, entry.log_id);
            assert_eq!(
                format!("{:?}", back.payload),
                format!("{:?}", entry.payload)
            );
            // Every strict prefix and every extension is refused, never misread.
            for cut in 0..bytes.len() {
                assert!(decode_entry(&bytes[..cut]).is_err(), "cut {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(decode_entry(&longer).is_err());
        }
    }

    #[test]
    fn votes_round_trip_and_bad_flags_are_refused() {
        let vote = Vote::new_committed(5, 3);
        let mut bytes = encode_vote(&vote);
        assert_eq!(decode_vote(&bytes).unwrap(), vote);
        bytes[16] = 7;
        assert_eq!(decode_vote(&bytes), Err(CodecError::BadFlag(7)));
        assert!(decode_vote(&bytes[..16]).is_err());
    }
}
