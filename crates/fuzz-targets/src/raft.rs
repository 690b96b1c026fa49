//! The Raft log codec (what the log store reads back, and what a follower's log holds
//! from its leader).

use strongroom_consensus::codec::{
    decode_entry, decode_log_id, decode_vote, encode_entry, encode_log_id, encode_vote,
};

/// `decode_entry`, `decode_vote` and `decode_log_id` over the same bytes. Votes and
/// log ids that decode re-encode to the same bytes, and so do entries other than
/// membership entries (whose JSON may be spelt many ways); a membership entry
/// re-encodes to bytes that decode to the same encoding.
pub fn raft_log(data: &[u8]) {
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
