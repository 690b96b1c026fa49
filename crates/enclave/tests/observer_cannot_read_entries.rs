//! An observer (a node without the ledger secret) holds the ciphertext and verifies the
//! chain and the signed roots with the service public key, but cannot read an entry,
//! execute, or answer a query; nor can the core of another service.
#![allow(clippy::unwrap_used)]

mod common;

use common::{commit, core, error, genesis, world};
use strongroom_crypto::provider::VerifyingKey;
use strongroom_enclave::request::PreparedRequest;
use strongroom_enclave::{EnclaveError, EnclaveRequest, GenesisRecord};
use strongroom_ledger::{EntryKind, verify_entries};

#[test]
fn observer_verifies_the_chain_but_reads_nothing() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let key = g.public_keys.transaction_key.clone();
    let secret_words = "put diagnosis=rare-disease-X";
    let request = PreparedRequest::transaction(&key, &w.alice, secret_words).unwrap();
    commit(&mut a, &mut ledger, w.now_ms + 1, &request.payload);
    ledger.sign(&mut a, w.now_ms + 2);

    // The observer verifies hash links and the signed root with the public key, which
    // it can read from the public genesis record.
    let record: GenesisRecord = serde_json::from_slice(&ledger.entries[0].payload).unwrap();
    assert_eq!(record.public_keys, g.public_keys);
    let service_key = VerifyingKey::from_spki_der(&record.public_keys.signing_key).unwrap();
    let summary = verify_entries(ledger.entries.clone(), Some(&service_key)).unwrap();
    assert_eq!(summary.entries, 3);
    assert_eq!(summary.signatures, 1);
    // Tampering with the ciphertext breaks the chain for the observer too.
    let mut tampered = ledger.entries.clone();
    tampered[1].payload[20] ^= 1;
    assert!(verify_entries(tampered, Some(&service_key)).is_err());

    // The entry is ciphertext: the invocation is nowhere in it.
    let tx = &ledger.entries[1];
    assert_eq!(tx.header.kind, EntryKind::Transaction);
    assert!(
        !tx.payload
            .windows(secret_words.len())
            .any(|w| w == secret_words.as_bytes())
    );

    // An observer core (never initialized) cannot read, execute or answer.
    let mut observer = core();
    assert_eq!(
        error(observer.handle(EnclaveRequest::from(tx))),
        EnclaveError::OutOfOrder("sequence 2 before genesis (sequence 1)".into())
    );
    assert!(matches!(
        observer.handle(EnclaveRequest::from(&ledger.entries[0])),
        strongroom_enclave::EnclaveResponse::Replayed { .. }
    ));
    assert_eq!(
        error(observer.handle(EnclaveRequest::from(tx))),
        EnclaveError::NoSecrets
    );
    assert_eq!(
        error(observer.handle(EnclaveRequest::Execute {
            ctx: ledger.next_ctx(w.now_ms + 3),
            payload: request.payload.clone(),
        })),
        EnclaveError::NoSecrets
    );
    let query = PreparedRequest::query(&key, &w.alice, "get diagnosis").unwrap();
    assert_eq!(
        error(observer.handle(EnclaveRequest::Query {
            envelope: query.payload,
            host_time_ms: 0,
        })),
        EnclaveError::NoSecrets
    );
    assert_eq!(
        error(observer.handle(EnclaveRequest::Snapshot)),
        EnclaveError::NoSecrets
    );

    // The core of another service (its own ledger secret) cannot decrypt the entry.
    let mut stranger = core();
    let own = genesis(&mut stranger, &w.constitution);
    // Its core refuses our genesis (other keys), then follows its own.
    assert!(matches!(
        error(stranger.handle(EnclaveRequest::from(&ledger.entries[0]))),
        EnclaveError::InvalidLedgerData(_)
    ));
    let first = common::Ledger::default().next_ctx(w.now_ms);
    common::execute(&mut stranger, &first, &own.ledger_payload);
    let refused = error(stranger.handle(EnclaveRequest::from(tx)));
    assert!(
        matches!(refused, EnclaveError::InvalidLedgerData(_)),
        "{refused:?}"
    );
}
