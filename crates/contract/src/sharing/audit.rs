//! Each dataset's audit trail: who did what touching it, and when.

use serde::{Deserialize, Serialize};

use super::store::{DatasetCore, decode, encode, load};
use super::view::{Actor, AuditAction, AuditEvent, AuditTrail, ReleasedTo};
use super::{Tx, check, reply};
use crate::{Caller, ContractError, State};

/// The key of a dataset's event in a transaction (one per transaction and dataset):
/// next to the dataset's records, so that writing it finds the tree path that reading
/// the dataset just walked.
fn event_key(dataset: &str, sequence: u64) -> Vec<u8> {
    format!("d/{dataset}/log/{sequence:016x}").into_bytes()
}

/// Records an event on `dataset` for the current transaction.
pub(crate) fn record(
    tx: &Tx<'_>,
    state: &mut dyn State,
    dataset: &str,
    action: AuditAction,
    subject: &str,
) -> Result<(), ContractError> {
    record_with(tx, state, dataset, action, subject, None)
}

/// Records an event on `dataset` for the current transaction, with the worker a key
/// was released to. Stored as the event's encoding, then (for a release) the
/// [`ReleasedTo`]'s: events written before releases existed read the same.
pub(crate) fn record_with(
    tx: &Tx<'_>,
    state: &mut dyn State,
    dataset: &str,
    action: AuditAction,
    subject: &str,
    released_to: Option<&ReleasedTo>,
) -> Result<(), ContractError> {
    let caller = tx.caller();
    let event = EventRef {
        sequence: tx.ctx.sequence,
        at_ms: tx.now,
        actor: ActorRef {
            msp_id: &caller.msp_id,
            name: &caller.name,
            role: &caller.role,
        },
        action,
        subject,
    };
    let mut bytes = encode(&event)?;
    if let Some(released_to) = released_to {
        bytes.extend_from_slice(&encode(released_to)?);
    }
    state.put(event_key(dataset, tx.ctx.sequence), bytes);
    Ok(())
}

/// An [`AuditEvent`] as stored, without what may follow it.
#[derive(Deserialize)]
struct StoredEvent {
    sequence: u64,
    at_ms: u64,
    actor: Actor,
    action: AuditAction,
    subject: String,
}

/// Reads a stored event: the event, then the [`ReleasedTo`] if any bytes follow.
fn read_event(key: &[u8], value: &[u8]) -> Result<AuditEvent, ContractError> {
    let corrupt = |e: postcard::Error| {
        ContractError::Invalid(format!(
            "state: record {} does not decode: {e}",
            String::from_utf8_lossy(key)
        ))
    };
    let (event, rest) = postcard::take_from_bytes::<StoredEvent>(value).map_err(corrupt)?;
    let released_to = if rest.is_empty() {
        None
    } else {
        Some(decode::<ReleasedTo>(key, rest)?)
    };
    Ok(AuditEvent {
        sequence: event.sequence,
        at_ms: event.at_ms,
        actor: event.actor,
        action: event.action,
        subject: event.subject,
        released_to,
    })
}

/// An [`AuditEvent`] to store, its strings borrowed: the same fields in the same order,
/// hence the same encoding.
#[derive(Serialize)]
struct EventRef<'a> {
    sequence: u64,
    at_ms: u64,
    actor: ActorRef<'a>,
    action: AuditAction,
    subject: &'a str,
}

/// An [`Actor`](crate::sharing::Actor), its strings borrowed.
#[derive(Serialize)]
struct ActorRef<'a> {
    msp_id: &'a str,
    name: &'a str,
    role: &'a str,
}

/// `audit_trail`: the dataset organization's admins, owners and auditors only.
pub(crate) fn trail(
    caller: &Caller,
    state: &dyn State,
    dataset: &str,
    after: Option<u64>,
    limit: Option<u32>,
) -> Result<Vec<u8>, ContractError> {
    check::id("dataset", dataset, "ds")?;
    let limit = check::limit(limit, 100, 1000)?;
    let core: DatasetCore =
        load(state, format!("d/{dataset}").as_bytes())?.ok_or(ContractError::NotFoundOrDenied)?;
    if !core.org_reader(caller) {
        return Err(ContractError::NotFoundOrDenied);
    }
    let start = match after {
        Some(after) => format!("d/{dataset}/log/{after:016x}\u{0}"),
        None => format!("d/{dataset}/log/"),
    };
    let end = format!("d/{dataset}/log0");
    let mut events: Vec<AuditEvent> = Vec::new();
    let mut next = None;
    let mut failed = None;
    state.scan(start.as_bytes(), Some(end.as_bytes()), &mut |key, value| {
        if events.len() == limit {
            next = events.last().map(|e| e.sequence);
            return false;
        }
        match read_event(key, value) {
            Ok(event) => {
                events.push(event);
                true
            }
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    reply(&AuditTrail {
        dataset: dataset.to_owned(),
        events,
        next,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::sharing::Actor;

    #[test]
    fn a_borrowed_event_encodes_as_the_event() {
        let event = AuditEvent {
            sequence: 300,
            at_ms: 1_700_000_000_000,
            actor: Actor {
                msp_id: "Org1MSP".into(),
                name: "alice".into(),
                role: "owner".into(),
            },
            action: AuditAction::TaskApproved,
            subject: "task-0011223344556677".into(),
            released_to: None,
        };
        let borrowed = EventRef {
            sequence: event.sequence,
            at_ms: event.at_ms,
            actor: ActorRef {
                msp_id: &event.actor.msp_id,
                name: &event.actor.name,
                role: &event.actor.role,
            },
            action: event.action,
            subject: &event.subject,
        };
        assert_eq!(encode(&borrowed).unwrap(), encode(&event).unwrap());
        let key = b"d/ds-1/log/0000000000000001";
        assert_eq!(read_event(key, &encode(&borrowed).unwrap()).unwrap(), event);
    }

    #[test]
    fn stored_action_numbers_never_change() {
        // The indices events written before key releases existed hold.
        let stored = [
            (AuditAction::ConsentWithdrawn, 0u8),
            (AuditAction::DatasetRegistered, 1),
            (AuditAction::DatasetUpdated, 2),
            (AuditAction::GrantRevoked, 3),
            (AuditAction::PermissionApproved, 4),
            (AuditAction::PermissionRejected, 5),
            (AuditAction::PermissionRequested, 6),
            (AuditAction::ResultWritten, 7),
            (AuditAction::TaskApproved, 8),
            (AuditAction::TaskClaimed, 9),
            (AuditAction::TaskFailed, 10),
            (AuditAction::TaskRejected, 11),
            (AuditAction::TaskRequested, 12),
            (AuditAction::KeyReleased, 13),
        ];
        for (action, index) in stored {
            assert_eq!(encode(&action).unwrap(), [index], "{action:?}");
        }
    }

    #[test]
    fn a_release_reads_back_after_the_event() {
        let released_to = ReleasedTo {
            platform: "sim".into(),
            measurement: "ab".repeat(32),
            insecure: true,
        };
        let borrowed = EventRef {
            sequence: 7,
            at_ms: 9,
            actor: ActorRef {
                msp_id: "Lab1MSP",
                name: "worker",
                role: "executor",
            },
            action: AuditAction::KeyReleased,
            subject: "task-0011223344556677",
        };
        let mut bytes = encode(&borrowed).unwrap();
        bytes.extend_from_slice(&encode(&released_to).unwrap());
        let event = read_event(b"k", &bytes).unwrap();
        assert_eq!(event.released_to, Some(released_to));
        assert_eq!(event.action, AuditAction::KeyReleased);
    }
}
