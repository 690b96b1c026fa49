//! The request bodies of the two Raft RPCs that carry bulk: appends (log entries) and
//! snapshot chunks. Both are binary, built on [`crate::codec`]: JSON spelt every payload
//! byte as a decimal number, and parsing that was an eighth of a follower's CPU under
//! load. Votes and every answer stay JSON (small, and openraft's own types).
//!
//! Integers are big-endian. An append is
//!
//! ```text
//! version u8 (1) || vote [17] || present u8 || prev_log_id [24]? || leader_commit [24]?
//!     || count u32 || (len u32 || entry) * count
//! ```
//!
//! where bit 0 of `present` says `prev_log_id` follows and bit 1 `leader_commit`, and
//! each entry is [`crate::codec::encode_entry`]. A snapshot chunk is
//!
//! ```text
//! version u8 (1) || vote [17] || meta_len u32 || meta (JSON) || offset u64 || done u8
//!     || data (the rest)
//! ```
//!
//! Invariants the decoder enforces (a peer is authenticated, not trusted to be
//! well-formed): nothing trails the last field; counts cannot reserve more than the body
//! holds; the entries' indexes follow `prev_log_id` one by one, as openraft assumes.

use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest};

use crate::codec::{
    CodecError, decode_entry, decode_log_id, decode_vote, encode_entry_into, encode_log_id,
    encode_vote,
};
use crate::types::{LogId, SnapshotMeta, TypeConfig};

const WIRE_VERSION: u8 = 1;
const HAS_PREV: u8 = 1;
const HAS_COMMIT: u8 = 2;

/// Encodes an append request.
pub fn encode_append(rpc: &AppendEntriesRequest<TypeConfig>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 17 + 1 + 48 + 4);
    out.push(WIRE_VERSION);
    out.extend_from_slice(&encode_vote(&rpc.vote));
    let present = (if rpc.prev_log_id.is_some() {
        HAS_PREV
    } else {
        0
    }) | (if rpc.leader_commit.is_some() {
        HAS_COMMIT
    } else {
        0
    });
    out.push(present);
    for id in [&rpc.prev_log_id, &rpc.leader_commit].into_iter().flatten() {
        out.extend_from_slice(&encode_log_id(id));
    }
    out.extend_from_slice(&len32(rpc.entries.len()).to_be_bytes());
    for entry in &rpc.entries {
        // The length goes before the entry: written once the entry is in place.
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        encode_entry_into(entry, &mut out);
        let len = len32(out.len() - at - 4).to_be_bytes();
        out[at..at + 4].copy_from_slice(&len);
    }
    out
}

/// Decodes an append request.
pub fn decode_append(bytes: &[u8]) -> Result<AppendEntriesRequest<TypeConfig>, CodecError> {
    let mut r = Reader::new(bytes, "append request");
    r.version()?;
    let vote = decode_vote(r.take(17)?)?;
    let present = r.u8()?;
    if present & !(HAS_PREV | HAS_COMMIT) != 0 {
        return Err(CodecError::BadFlag(present));
    }
    let prev_log_id = r.log_id_if(present & HAS_PREV != 0)?;
    let leader_commit = r.log_id_if(present & HAS_COMMIT != 0)?;
    let count = r.u32()?;
    // Each entry takes at least its 4-byte length: a larger count is truncation, and
    // checking first keeps a forged count from reserving memory.
    if (count as usize).saturating_mul(4) > r.left() {
        return Err(r.truncated());
    }
    let mut entries = Vec::with_capacity(count as usize);
    let mut expected = prev_log_id.map(|p| p.index.saturating_add(1));
    for _ in 0..count {
        let len = r.u32()? as usize;
        let entry = decode_entry(r.take(len)?)?;
        if let Some(expected) = expected
            && entry.log_id.index != expected
        {
            return Err(CodecError::NotConsecutive {
                expected,
                found: entry.log_id.index,
            });
        }
        expected = Some(entry.log_id.index.saturating_add(1));
        entries.push(entry);
    }
    r.finish()?;
    Ok(AppendEntriesRequest {
        vote,
        prev_log_id,
        entries,
        leader_commit,
    })
}

/// Encodes a snapshot chunk.
pub fn encode_snapshot(rpc: &InstallSnapshotRequest<TypeConfig>) -> Vec<u8> {
    // Serializing ids, a membership and a string to JSON cannot fail.
    let meta = serde_json::to_vec(&rpc.meta).unwrap_or_default();
    let mut out = Vec::with_capacity(1 + 17 + 4 + meta.len() + 9 + rpc.data.len());
    out.push(WIRE_VERSION);
    out.extend_from_slice(&encode_vote(&rpc.vote));
    out.extend_from_slice(&len32(meta.len()).to_be_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&rpc.offset.to_be_bytes());
    out.push(u8::from(rpc.done));
    out.extend_from_slice(&rpc.data);
    out
}

/// Decodes a snapshot chunk.
pub fn decode_snapshot(bytes: &[u8]) -> Result<InstallSnapshotRequest<TypeConfig>, CodecError> {
    let mut r = Reader::new(bytes, "snapshot chunk");
    r.version()?;
    let vote = decode_vote(r.take(17)?)?;
    let meta_len = r.u32()? as usize;
    let meta: SnapshotMeta = serde_json::from_slice(r.take(meta_len)?)
        .map_err(|e| CodecError::SnapshotMeta(e.to_string()))?;
    let offset = u64::from_be_bytes(r.array()?);
    let done = match r.u8()? {
        0 => false,
        1 => true,
        other => return Err(CodecError::BadFlag(other)),
    };
    let data = r.rest().to_vec();
    Ok(InstallSnapshotRequest {
        vote,
        meta,
        offset,
        data,
        done,
    })
}

fn len32(len: usize) -> u32 {
    // Bodies are bounded far below 4 GiB (the peer listener's body limit).
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Reads fields off the front of a body.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { bytes, at: 0, what }
    }

    fn truncated(&self) -> CodecError {
        CodecError::Truncated {
            what: self.what,
            len: self.bytes.len(),
        }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(n).ok_or_else(|| self.truncated())?;
        let chunk = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| self.truncated())?;
        self.at = end;
        Ok(chunk)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let chunk = self.take(N)?;
        chunk.try_into().map_err(|_| self.truncated())
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn version(&mut self) -> Result<(), CodecError> {
        match self.u8()? {
            WIRE_VERSION => Ok(()),
            other => Err(CodecError::UnknownVersion(other)),
        }
    }

    fn log_id_if(&mut self, present: bool) -> Result<Option<LogId>, CodecError> {
        if present {
            decode_log_id(self.take(24)?).map(Some)
        } else {
            Ok(None)
        }
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.at..];
        self.at = self.bytes.len();
        rest
    }

    fn finish(&self) -> Result<(), CodecError> {
        match self.left() {
            0 => Ok(()),
            n => Err(CodecError::Trailing(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeSet;

    use openraft::{CommittedLeaderId, EntryPayload, Membership, StoredMembership, Vote};

    use super::*;
    use crate::types::{LogEntry, NodeId, Proposal};

    fn id(term: u64, node: u64, index: u64) -> LogId {
        LogId::new(CommittedLeaderId::new(term, node), index)
    }

    fn append() -> AppendEntriesRequest<TypeConfig> {
        let members: BTreeSet<NodeId> = [1, 2, 3].into_iter().collect();
        AppendEntriesRequest {
            vote: Vote::new_committed(4, 2),
            prev_log_id: Some(id(3, 1, 9)),
            leader_commit: Some(id(3, 1, 8)),
            entries: vec![
                LogEntry {
                    log_id: id(4, 2, 10),
                    payload: EntryPayload::Blank,
                },
                LogEntry {
                    log_id: id(4, 2, 11),
                    payload: EntryPayload::Normal(Proposal {
                        timestamp_ms: 1_700_000_000_000,
                        payloads: vec![vec![0, 1, 255], vec![], vec![7; 3000]],
                    }),
                },
                LogEntry {
                    log_id: id(4, 2, 12),
                    payload: EntryPayload::Membership(Membership::new(vec![members], None)),
                },
            ],
        }
    }

    fn snapshot() -> InstallSnapshotRequest<TypeConfig> {
        let members: BTreeSet<NodeId> = [1, 2].into_iter().collect();
        InstallSnapshotRequest {
            vote: Vote::new_committed(2, 1),
            meta: SnapshotMeta {
                last_log_id: Some(id(2, 1, 40)),
                last_membership: StoredMembership::new(
                    Some(id(1, 1, 0)),
                    Membership::new(vec![members], None),
                ),
                snapshot_id: "2-40-1".into(),
            },
            offset: 1 << 20,
            data: vec![5; 700],
            done: true,
        }
    }

    #[test]
    fn an_append_round_trips() {
        let rpc = append();
        let bytes = encode_append(&rpc);
        let back = decode_append(&bytes).unwrap();
        assert_eq!(format!("{back:?}"), format!("{rpc:?}"));
        assert_eq!(encode_append(&back), bytes);
    }

    #[test]
    fn a_heartbeat_without_ids_round_trips() {
        let rpc = AppendEntriesRequest::<TypeConfig> {
            vote: Vote::new(1, 1),
            prev_log_id: None,
            leader_commit: None,
            entries: Vec::new(),
        };
        let bytes = encode_append(&rpc);
        assert_eq!(bytes.len(), 1 + 17 + 1 + 4);
        assert_eq!(encode_append(&decode_append(&bytes).unwrap()), bytes);
    }

    #[test]
    fn a_snapshot_chunk_round_trips() {
        let rpc = snapshot();
        let bytes = encode_snapshot(&rpc);
        let back = decode_snapshot(&bytes).unwrap();
        assert_eq!(back.meta, rpc.meta);
        assert_eq!(back.data, rpc.data);
        assert_eq!(
            (back.offset, back.done, back.vote),
            (rpc.offset, rpc.done, rpc.vote)
        );
    }

    #[test]
    fn every_cut_or_extended_append_is_refused() {
        let bytes = encode_append(&append());
        for cut in 0..bytes.len() {
            assert!(decode_append(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes;
        longer.push(0);
        assert_eq!(decode_append(&longer).unwrap_err(), CodecError::Trailing(1));
    }

    #[test]
    fn every_cut_snapshot_header_is_refused() {
        let bytes = encode_snapshot(&snapshot());
        // Everything up to the data is a field; the data itself may be any length.
        let header = bytes.len() - 700;
        for cut in 0..header {
            assert!(decode_snapshot(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn entries_that_do_not_follow_the_previous_log_id_are_refused() {
        let mut rpc = append();
        rpc.prev_log_id = Some(id(3, 1, 7));
        assert_eq!(
            decode_append(&encode_append(&rpc)).unwrap_err(),
            CodecError::NotConsecutive {
                expected: 8,
                found: 10
            }
        );
        let mut rpc = append();
        rpc.entries.swap(1, 2);
        assert_eq!(
            decode_append(&encode_append(&rpc)).unwrap_err(),
            CodecError::NotConsecutive {
                expected: 11,
                found: 12
            }
        );
    }

    #[test]
    fn unknown_flags_and_versions_are_refused() {
        let mut bytes = encode_append(&append());
        bytes[18] |= 4;
        assert!(matches!(decode_append(&bytes), Err(CodecError::BadFlag(_))));
        let mut bytes = encode_append(&append());
        bytes[0] = 2;
        assert_eq!(
            decode_append(&bytes).unwrap_err(),
            CodecError::UnknownVersion(2)
        );
        let mut bytes = encode_snapshot(&snapshot());
        let done_at = bytes.len() - 700 - 1;
        bytes[done_at] = 2;
        assert_eq!(decode_snapshot(&bytes).unwrap_err(), CodecError::BadFlag(2));
    }

    #[test]
    fn a_forged_entry_count_reserves_nothing() {
        let mut bytes = encode_append(&AppendEntriesRequest::<TypeConfig> {
            vote: Vote::new(1, 1),
            prev_log_id: None,
            leader_commit: None,
            entries: Vec::new(),
        });
        let at = bytes.len() - 4;
        bytes[at..].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_append(&bytes),
            Err(CodecError::Truncated { .. })
        ));
    }
}
