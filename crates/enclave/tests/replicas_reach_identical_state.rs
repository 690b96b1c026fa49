//! Two cores (the second joined through attested evidence) executing the same committed
//! entries write byte-identical ledger entries and reach the same state digest, also
//! when a transaction creates a key held in the state; a core rebuilt from a snapshot
//! plus the entries after it, or from the whole ledger, reaches the same digest. Time
//! comes from the entries, so a replay months later agrees.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, commit, core, digest, execute, genesis, join, world};
use strongroom_contract::NoopContract;
use strongroom_enclave::keys::KeyView;
use strongroom_enclave::request::{PreparedRequest, Purpose, Reply};
use strongroom_enclave::{Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext, RecordKind};

#[test]
fn joined_replica_writes_identical_entries_and_state() {
    let w = world();
    let mut a = core();
    let mut b = core();
    let g = genesis(&mut a, &w.constitution);
    let key = &g.public_keys.transaction_key;

    let payloads = [
        PreparedRequest::transaction(key, &w.alice, "put color=blue").unwrap(),
        PreparedRequest::transaction(key, &w.bob, "put color=red").unwrap(),
        PreparedRequest::transaction(key, &w.alice, "fail now").unwrap(),
        PreparedRequest::transaction(key, &w.alice, "put size=9").unwrap(),
        PreparedRequest::transaction(key, &w.alice, "del color").unwrap(),
    ];
    let mut ledger = Ledger::default();
    let ctx = ledger.next_ctx(w.now_ms);
    let ea = execute(&mut a, &ctx, &g.ledger_payload);
    // `b` joins under the node policy that `a` read from the genesis entry.
    join(&mut a, &mut b);
    let eb = execute(&mut b, &ctx, &g.ledger_payload);
    assert_eq!(ea.ledger_payload, eb.ledger_payload);
    ledger.push(&ctx, ea.kind, ea.ledger_payload);
    let empty = digest(&mut a);

    let mut snapshot = None;
    for (i, request) in payloads.iter().enumerate() {
        let ctx = ledger.next_ctx(w.now_ms + 10 * i as u64);
        let ea = execute(&mut a, &ctx, &request.payload);
        let eb = execute(&mut b, &ctx, &request.payload);
        assert_eq!(ea.kind, RecordKind::Transaction);
        assert_eq!(
            ea.ledger_payload, eb.ledger_payload,
            "entry {}",
            ctx.sequence
        );
        assert_eq!(digest(&mut a), digest(&mut b));
        // Each core's response opens for the client, with the same answer.
        let (ra, rb) = (
            request.open_response(&ea.response).unwrap(),
            request.open_response(&eb.response).unwrap(),
        );
        assert_eq!(ra, rb);
        if i == 2 {
            assert_eq!(
                ra,
                Reply::Refuse("invalid invocation: asked to fail".into())
            );
        } else {
            assert_eq!(ra, Reply::Accept(b"ok".to_vec()));
        }
        ledger.push(&ctx, ea.kind, ea.ledger_payload);
        if i == 1 {
            ledger.sign(&mut a, w.now_ms + 15);
            let EnclaveResponse::Snapshot { snapshot: s } = a.handle(EnclaveRequest::Snapshot)
            else {
                panic!("snapshot")
            };
            snapshot = Some((s, ledger.entries.len()));
        }
    }
    let final_digest = digest(&mut a);
    assert_ne!(final_digest, empty, "transactions changed the state");

    // Queries read the state each core built.
    let query = PreparedRequest::query(key, &w.alice, "get size").unwrap();
    for core in [&mut a, &mut b] {
        let EnclaveResponse::Answer { response } = core.handle(EnclaveRequest::Query {
            envelope: query.payload.clone(),
            host_time_ms: 0,
        }) else {
            panic!("query")
        };
        assert_eq!(
            query.open_response(&response).unwrap(),
            Reply::Accept(b"9".to_vec())
        );
    }
    // The failed invocation's write was discarded: no "failed" key.
    let failed = PreparedRequest::query(key, &w.alice, "get failed").unwrap();
    let EnclaveResponse::Answer { response } = a.handle(EnclaveRequest::Query {
        envelope: failed.payload.clone(),
        host_time_ms: 0,
    }) else {
        panic!("query")
    };
    assert_eq!(
        failed.open_response(&response).unwrap(),
        Reply::Refuse("not found or not allowed".into())
    );

    // A restarted core: unseal, restore the snapshot, replay what follows it.
    let (snapshot, covered) = snapshot.unwrap();
    let mut c = core();
    assert!(matches!(
        c.handle(EnclaveRequest::Unseal {
            sealed: g.sealed.clone()
        }),
        EnclaveResponse::PublicKeys { .. }
    ));
    assert!(matches!(
        c.handle(EnclaveRequest::Restore { snapshot }),
        EnclaveResponse::Replayed { .. }
    ));
    for entry in &ledger.entries[covered..] {
        let response = c.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "{response:?}"
        );
    }
    assert_eq!(digest(&mut c), final_digest);

    // A core rebuilt from the whole ledger, later (time is the entries' time).
    let mut d = core();
    d.handle(EnclaveRequest::Unseal { sealed: g.sealed });
    for entry in &ledger.entries {
        let response = d.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "{response:?}"
        );
    }
    assert_eq!(digest(&mut d), final_digest);

    // Replay refuses to go backwards.
    let response = d.handle(EnclaveRequest::from(&ledger.entries[1]));
    assert!(matches!(
        common::error(response),
        strongroom_enclave::EnclaveError::OutOfOrder(_)
    ));
}

#[test]
fn replay_applies_the_recorded_writes_whatever_contract_the_replaying_core_runs() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let key = g.public_keys.transaction_key.clone();
    for (i, invocation) in ["put x=1", "del nothing", "put y=2", "fail now", "del x"]
        .into_iter()
        .enumerate()
    {
        let request = PreparedRequest::transaction(&key, &w.alice, invocation).unwrap();
        commit(
            &mut a,
            &mut ledger,
            w.now_ms + 1 + i as u64,
            &request.payload,
        );
    }
    let written = digest(&mut a);
    // A core whose contract does nothing at all rebuilds the same state from the
    // ledger: replay applies what the writer computed, it does not run the contract.
    let mut c = Enclave::new(
        Box::new(common::platform(&common::code())),
        Box::new(NoopContract),
    );
    c.handle(EnclaveRequest::Unseal { sealed: g.sealed });
    for entry in &ledger.entries {
        let response = c.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "{response:?}"
        );
    }
    assert_eq!(digest(&mut c), written);
}

#[test]
fn replay_refuses_a_nonce_its_state_already_holds_and_a_moved_entry() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let key = g.public_keys.transaction_key.clone();
    let first = PreparedRequest::transaction(&key, &w.alice, "put x=1").unwrap();
    let second = PreparedRequest::transaction(&key, &w.alice, "put y=2").unwrap();
    commit(&mut a, &mut ledger, w.now_ms + 1, &first.payload);
    commit(&mut a, &mut ledger, w.now_ms + 2, &second.payload);

    // A core with another history at sequence 2 (it executed the second request
    // there) refuses to apply entry 3, whose nonce its state already holds.
    let mut c = core();
    c.handle(EnclaveRequest::Unseal { sealed: g.sealed });
    c.handle(EnclaveRequest::from(&ledger.entries[0]));
    execute(
        &mut c,
        &ExecuteContext {
            log_index: 2,
            timestamp_ms: w.now_ms + 1,
            sequence: 2,
            prev_hash: ledger.entries[0].hash().unwrap(),
            voters: vec![1],
            learners: Vec::new(),
        },
        &second.payload,
    );
    let response = c.handle(EnclaveRequest::from(&ledger.entries[2]));
    assert!(matches!(
        common::error(response),
        strongroom_enclave::EnclaveError::Divergence { sequence: 3, .. }
    ));

    // Moved to another position, an entry no longer decrypts (its header is its AAD).
    let mut moved = ledger.entries[2].clone();
    moved.header.sequence = 4;
    let response = c.handle(EnclaveRequest::from(&moved));
    assert!(matches!(
        common::error(response),
        strongroom_enclave::EnclaveError::InvalidLedgerData(_)
    ));
}

#[test]
fn replicas_creating_core_keys_store_identical_keys() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let mut b = core();
    join(&mut a, &mut b);
    assert!(matches!(
        b.handle(EnclaveRequest::from(&ledger.entries[0])),
        EnclaveResponse::Replayed { .. }
    ));
    assert_eq!(digest(&mut a), digest(&mut b));
    let key = &g.public_keys.transaction_key;
    let mut public_keys = Vec::new();
    for (i, kind) in ["aes_256_gcm", "ecdsa_p256", "ecdsa_p256"]
        .iter()
        .enumerate()
    {
        let create = PreparedRequest::keys(
            key,
            &w.alice,
            Purpose::Transaction,
            format!(
                r#"{{"op":"create_key","kind":"{kind}","usage":[{{"msp_id":"Org1MSP","roles":["owner"]}}]}}"#
            )
            .into_bytes(),
        )
        .unwrap();
        let ctx = ledger.next_ctx(w.now_ms + 1 + i as u64);
        let ea = execute(&mut a, &ctx, &create.payload);
        let eb = execute(&mut b, &ctx, &create.payload);
        assert_eq!(
            digest(&mut a),
            digest(&mut b),
            "the replicas stored different {kind} keys"
        );
        assert_eq!(ea.ledger_payload, eb.ledger_payload);
        let (Reply::Accept(ra), Reply::Accept(rb)) = (
            create.open_response(&ea.response).unwrap(),
            create.open_response(&eb.response).unwrap(),
        ) else {
            panic!("create_key refused")
        };
        let view: KeyView = serde_json::from_slice(&ra).unwrap();
        assert_eq!(view, serde_json::from_slice::<KeyView>(&rb).unwrap());
        public_keys.push(view.public_key);
        ledger.push(&ctx, ea.kind, ea.ledger_payload);
    }
    // Each new key is its own: the two ECDSA keys differ.
    assert!(public_keys[1].is_some());
    assert_ne!(public_keys[1], public_keys[2]);
}
