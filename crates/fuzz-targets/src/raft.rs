//! The Raft log codec (what the log store reads back, and what a follower's log holds
//! from its leader) and the request bodies of appends and snapshot chunks, which any
//! peer with a node certificate can send.

use strongroom_consensus::codec::{
    decode_entry, decode_log_id, decode_vote, encode_entry, encode_log_id, encode_vote,
};
use strongroom_consensus::wire::{decode_append, decode_snapshot, encode_append, encode_snapshot};

/// `decode_entry`, `decode_vote`, `decode_log_id`, `wire::decode_append` and
/// `wire::decode_snapshot` over the same bytes. Votes and log ids that decode
/// re-encode to the same bytes, and so do entries other than membership entries (whose
/// JSON may be spelt many ways); a membership entry re-encodes to bytes that decode to
/// the same encoding. Appends and snapshot chunks that decode re-encode to bytes that
/// decode to the same encoding.
pub fn raft_log(data: &[u8]) {
    if let Ok(append) = decode_append(data) {
        let encoded = encode_append(&append);
        let again = decode_append(&encoded).map(|a| encode_append(&a));
        assert_eq!(again.as_ref(), Ok(&encoded), "an append re-encodes");
    }
    if let Ok(chunk) = decode_snapshot(data) {
        let encoded = encode_snapshot(&chunk);
        let again = decode_snapshot(&encoded).map(|c| encode_snapshot(&c));
        assert_eq!(again.as_ref(), Ok(&encoded), "a snapshot chunk re-encodes");
    }
    if let Ok(log_id) = decode_log_id(data) {
        assert_eq!(encode_log_id(&log_id), data, "a log id re-encodes");
    }
    if let Ok(vote) = decode_vote(data) {
        assert_eq!(encode_vote(&vote), data, "a vote re-encodes");
    }
    let Ok(entry) = decode_entry(data) else {
        return;
    };
    let encoded = encode_entry(&entry);
    if matches!(entry.payload, openraft::EntryPayload::Membership(_)) {
        let again = decode_entry(&encoded).map(|e| encode_entry(&e));
        assert_eq!(
            again.as_ref(),
            Ok(&encoded),
            "a membership entry re-encodes"
        );
    } else {
        assert_eq!(encoded, data, "a log entry re-encodes");
    }
}
