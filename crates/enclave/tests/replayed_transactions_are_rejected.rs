//! A committed request whose nonce the core has seen is refused, recorded as a refusal,
//! and changes nothing; the seen nonces survive a snapshot and a restart.
#![allow(clippy::unwrap_used)]

mod common;

use common::{commit, core, digest, world};
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{EnclaveRequest, EnclaveResponse, RecordKind};

#[test]
fn a_replayed_request_is_refused_and_changes_nothing() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let key = g.public_keys.transaction_key.clone();
    let put = PreparedRequest::transaction(&key, &w.alice, "put n=1").unwrap();
    let first = commit(&mut a, &mut ledger, w.now_ms + 1, &put.payload);
    assert_eq!(
        put.open_response(&first.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
    let after_first = digest(&mut a);

    // The same bytes, committed again (a host or network replay).
    let again = commit(&mut a, &mut ledger, w.now_ms + 2, &put.payload);
    assert_eq!(again.kind, RecordKind::Transaction);
    assert_eq!(
        put.open_response(&again.response).unwrap(),
        Reply::Refuse("replayed request: its nonce was already used".into())
    );
    assert_eq!(digest(&mut a), after_first);
    // The refusal is recorded: a different entry from the first.
    assert_ne!(first.ledger_payload, again.ledger_payload);

    // A snapshot carries the seen nonces: a restored core refuses the replay too.
    let EnclaveResponse::Snapshot { snapshot } = a.handle(EnclaveRequest::Snapshot) else {
        panic!("snapshot")
    };
    let mut b = core();
    b.handle(EnclaveRequest::Unseal {
        sealed: g.sealed.clone(),
    });
    b.handle(EnclaveRequest::Restore { snapshot });
    assert_eq!(digest(&mut b), after_first);
    let ctx = ledger.next_ctx(w.now_ms + 3);
    let third = common::execute(&mut b, &ctx, &put.payload);
    assert_eq!(
        put.open_response(&third.response).unwrap(),
        Reply::Refuse("replayed request: its nonce was already used".into())
    );
    assert_eq!(digest(&mut b), after_first);

    // A core rebuilt from the ledger refuses it as well (replay re-learns the nonce).
    let mut c = core();
    c.handle(EnclaveRequest::Unseal { sealed: g.sealed });
    for entry in &ledger.entries {
        assert!(matches!(
            c.handle(EnclaveRequest::from(entry)),
            EnclaveResponse::Replayed { .. }
        ));
    }
    let fourth = common::execute(&mut c, &ledger.next_ctx(w.now_ms + 4), &put.payload);
    assert_eq!(
        put.open_response(&fourth.response).unwrap(),
        Reply::Refuse("replayed request: its nonce was already used".into())
    );
}
