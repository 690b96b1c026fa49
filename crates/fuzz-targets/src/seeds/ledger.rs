//! Seeds of the ledger (entries, an export, receipts, records) and the Raft log.

use std::collections::BTreeSet;

use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest};
use openraft::{CommittedLeaderId, EntryPayload, LogId, Membership, StoredMembership, Vote};
use strongroom_consensus::codec::{encode_entry, encode_log_id, encode_vote};
use strongroom_consensus::wire::{encode_append, encode_snapshot};
use strongroom_consensus::{LogEntry, Proposal, SnapshotMeta};
use strongroom_contract::{Caller, ObjectPurpose};
use strongroom_crypto::provider::{EcdsaCurve, default_provider};
use strongroom_enclave::record::{LedgerRecord, WriteSet};
use strongroom_enclave::refusal::{Refusal, RefusalCode};
use strongroom_enclave::request::Body;
use strongroom_ledger::{
    Appender, EXPORT_MAGIC, Entry, EntryKind, Receipt, SignatureSchedule, SignedRoot,
};

use super::Seeds;
use crate::fixture::{self, NODE, NOW_MS};

pub(super) fn ledger_seeds(out: &mut Seeds) {
    // A small ledger, signed every two entries, as the appender writes it.
    let Ok(key) = default_provider().generate_signing_key(EcdsaCurve::P256) else {
        return;
    };
    let mut appender = Appender::new(
        key,
        SignatureSchedule {
            max_entries: 2,
            max_interval_ms: 60_000,
        },
    );
    let mut entries: Vec<Entry> = Vec::new();
    let payloads = [
        (EntryKind::Genesis, fixture::core().genesis_payload.clone()),
        (
            EntryKind::Transaction,
            b"ciphertext of a transaction".to_vec(),
        ),
        (EntryKind::Governance, b"ciphertext of governance".to_vec()),
        (EntryKind::Transaction, Vec::new()),
    ];
    for (i, (kind, payload)) in payloads.into_iter().enumerate() {
        if let Ok(appended) = appender.append(kind, payload, 1_000 + i as u64) {
            entries.extend(appended);
        }
    }
    let mut export = EXPORT_MAGIC.to_vec();
    for entry in &entries {
        let Ok(encoded) = entry.encode() else {
            continue;
        };
        out.add(
            "ledger_entry",
            format!("entry-{}", entry.sequence()),
            encoded.clone(),
        );
        let hash = strongroom_ledger::hash_encoded(&encoded);
        let len = (32 + encoded.len()) as u32;
        export.extend_from_slice(&entry.sequence().to_be_bytes());
        export.extend_from_slice(&len.to_be_bytes());
        export.extend_from_slice(&hash);
        export.extend_from_slice(&encoded);
    }
    out.add("ledger_entry", "export", export);
    // Receipts of the first entries, from the first signature entry after each.
    let tree = appender.tree();
    for entry in &entries {
        let Some(signature) = entries
            .iter()
            .find(|e| e.header.kind == EntryKind::Signature && e.sequence() > entry.sequence())
        else {
            continue;
        };
        let Ok(signed) = SignedRoot::decode(&signature.payload) else {
            continue;
        };
        let Ok(proof) = tree.prove(entry.sequence() - 1, signed.tree_size) else {
            continue;
        };
        if let Ok(json) = Receipt::new(entry, &proof, &signed, signature.sequence())
            .and_then(|r| r.with_certificate(b"not a certificate").encode())
        {
            out.add("receipt", format!("entry-{}", entry.sequence()), json);
        }
    }
    let caller = Caller {
        msp_id: "Org1MSP".into(),
        name: "alice".into(),
        role: "owner".into(),
    };
    let writes = WriteSet {
        contract: vec![
            (b"ds/ds-1".to_vec(), Some(br#"{"id":"ds-1"}"#.to_vec())),
            (b"loc/data/00".to_vec(), None),
        ],
        core: vec![(b"gov/prop-0000000000000002".to_vec(), Some(b"{}".to_vec()))],
    };
    let records = [
        (
            "accepted",
            LedgerRecord::Executed {
                caller: caller.clone(),
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 24],
                not_after_ms: NOW_MS + 300_000,
                body: Body::Contract(br#"{"op":"approve_task","task":"task-1"}"#.to_vec()),
                outcome: Ok(br#"{"id":"task-1"}"#.to_vec()),
                writes,
            },
        ),
        (
            "refused-after-authentication",
            LedgerRecord::Executed {
                caller: caller.clone(),
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 16],
                not_after_ms: NOW_MS + 60_000,
                body: Body::Governance(
                    br#"{"op":"vote","proposal":"prop-0000000000000002","approve":true}"#.to_vec(),
                ),
                outcome: Err(Refusal::new(
                    RefusalCode::Refused,
                    "only an organization's admin votes",
                )),
                writes: WriteSet::default(),
            },
        ),
        (
            "object",
            LedgerRecord::Executed {
                caller,
                cert_fingerprint: [3; 32],
                nonce: vec![0x5e; 32],
                not_after_ms: NOW_MS + 120_000,
                body: Body::Object {
                    purpose: ObjectPurpose::TaskInput {
                        task: "task-1".into(),
                    },
                    location: "data/00112233445566778899aabbccddeeff".into(),
                    node: NODE,
                },
                outcome: Err(Refusal::new(RefusalCode::NotATransaction, "")),
                writes: WriteSet::default(),
            },
        ),
        (
            "refused",
            LedgerRecord::Refused {
                refusal: Refusal::new(
                    RefusalCode::Undecryptable,
                    "request does not decrypt with the service transaction key",
                ),
            },
        ),
    ];
    for (name, record) in records {
        out.add("ledger_record", name, record.encode());
    }
}

pub(super) fn raft_seeds(out: &mut Seeds) {
    let log_id = |term, node, index| LogId::new(CommittedLeaderId::new(term, node), index);
    let members: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    let entries: [(&str, LogEntry); 4] = [
        (
            "blank",
            LogEntry {
                log_id: log_id(1, 1, 1),
                payload: EntryPayload::Blank,
            },
        ),
        (
            "proposal",
            LogEntry {
                log_id: log_id(2, 1, 7),
                payload: EntryPayload::Normal(Proposal {
                    timestamp_ms: 1_700_000_000_000,
                    payloads: vec![vec![1, 2, 3], Vec::new(), vec![0xff; 40]],
                }),
            },
        ),
        (
            "tick",
            LogEntry {
                log_id: log_id(2, 1, 8),
                payload: EntryPayload::Normal(Proposal {
                    timestamp_ms: 1_700_000_000_001,
                    payloads: Vec::new(),
                }),
            },
        ),
        (
            "membership",
            LogEntry {
                log_id: log_id(3, 2, 9),
                payload: EntryPayload::Membership(Membership::new(vec![members], None)),
            },
        ),
    ];
    for (name, entry) in &entries {
        out.add("raft_log", format!("entry-{name}"), encode_entry(entry));
    }
    // An append of the proposal and the tick after it (indexes 7 and 8), and a heartbeat.
    out.add(
        "raft_log",
        "append",
        encode_append(&AppendEntriesRequest {
            vote: Vote::new_committed(2, 1),
            prev_log_id: Some(log_id(1, 1, 6)),
            leader_commit: Some(log_id(1, 1, 5)),
            entries: vec![entries[1].1.clone(), entries[2].1.clone()],
        }),
    );
    out.add(
        "raft_log",
        "append-heartbeat",
        encode_append(&AppendEntriesRequest {
            vote: Vote::new_committed(2, 1),
            prev_log_id: Some(log_id(2, 1, 8)),
            leader_commit: Some(log_id(2, 1, 8)),
            entries: Vec::new(),
        }),
    );
    let voters: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    out.add(
        "raft_log",
        "snapshot-chunk",
        encode_snapshot(&InstallSnapshotRequest {
            vote: Vote::new_committed(3, 2),
            meta: SnapshotMeta {
                last_log_id: Some(log_id(3, 2, 9)),
                last_membership: StoredMembership::new(
                    Some(log_id(3, 2, 9)),
                    Membership::new(vec![voters], None),
                ),
                snapshot_id: "3-9-1".into(),
            },
            offset: 0,
            data: b"snapshot bytes".to_vec(),
            done: true,
        }),
    );
    out.add(
        "raft_log",
        "vote",
        encode_vote(&Vote::new_committed(5, 3)).to_vec(),
    );
    out.add(
        "raft_log",
        "log-id",
        encode_log_id(&log_id(4, 2, 11)).to_vec(),
    );
}
