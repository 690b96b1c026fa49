//! Each dataset's audit trail: who did what touching it, and when.

use serde::Serialize;

use super::store::{DatasetCore, decode, encode, load};
use super::view::{AuditAction, AuditEvent, AuditTrail};
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
    state.put(event_key(dataset, tx.ctx.sequence), encode(&event)?);
    Ok(())
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
        match decode(key, value) {
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
    }
}
