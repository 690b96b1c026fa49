//! Requests the `Preparer` opened and signature-checked ahead of ordering get exactly
//! the outcome they get when the core opens them itself: the same ledger record, the
//! same reply, the same state. A request whose signature does not verify is never
//! prepared, and a prepared request is used once, for its own purpose only.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, core, digest, execute, started, world};
use strongroom_enclave::request::{PreparedRequest, Purpose, Reply, seal_envelope};
use strongroom_enclave::{
    Enclave, EnclaveRequest, EnclaveResponse, MemberRate, Prepared, Preparer,
};
use strongroom_identity::{Role, SignedEnvelope, Validity};
use time::{Duration, OffsetDateTime};

/// A second core holding the same secrets and state as the first, that never prepares.
fn twin(sealed: &[u8], ledger: &Ledger) -> Enclave {
    let mut twin = core();
    twin.handle(EnclaveRequest::Unseal {
        sealed: sealed.to_vec(),
    });
    for entry in &ledger.entries {
        assert!(matches!(
            twin.handle(EnclaveRequest::from(entry)),
            EnclaveResponse::Replayed { .. }
        ));
    }
    twin
}

fn reply(request: &PreparedRequest, response: &[u8]) -> Reply {
    request.open_response(response).unwrap()
}

#[test]
fn prepared_and_unprepared_requests_are_decided_alike() {
    let w = world();
    let (mut fast, mut ledger, g) = started(&w);
    let mut slow = twin(&g.sealed, &ledger);
    let preparer: Preparer = fast.preparer().unwrap();
    let key = g.public_keys.transaction_key.clone();

    let now = OffsetDateTime::now_utc();
    let expired = w
        .org1
        .enroll_member(
            "old",
            Role::Owner,
            Validity::new(now - Duration::days(20), now - Duration::days(10)).unwrap(),
        )
        .unwrap();
    let put = PreparedRequest::transaction(&key, &w.alice, "put n=1").unwrap();
    let del = PreparedRequest::transaction(&key, &w.alice, "del missing").unwrap();
    let unknown_org = PreparedRequest::transaction(&key, &w.carol, "put n=2").unwrap();
    let too_old = PreparedRequest::transaction(&key, &expired, "put n=3").unwrap();
    let as_query = PreparedRequest::query(&key, &w.alice, "get n").unwrap();
    // bob's signature under alice's certificate.
    let honest = w.alice.sign(b"anything".to_vec()).unwrap();
    let forged_envelope = SignedEnvelope {
        signature_der: w.bob.sign(b"anything".to_vec()).unwrap().signature_der,
        ..honest
    };
    let forged = seal_envelope(&key, Purpose::Transaction, &forged_envelope).unwrap();

    // What opens and verifies is prepared; a forged signature and garbage are not.
    for request in [&put, &del, &unknown_org, &too_old] {
        assert_eq!(
            preparer.prepare(&request.payload, Purpose::Transaction, 0),
            Prepared::Ready
        );
    }
    assert_eq!(
        preparer.prepare(&as_query.payload, Purpose::Query, 0),
        Prepared::Ready
    );
    assert_eq!(
        preparer.prepare(&forged, Purpose::Transaction, 0),
        Prepared::Unopened
    );
    assert_eq!(
        preparer.prepare(b"garbage", Purpose::Transaction, 0),
        Prepared::Unopened
    );
    assert_eq!(preparer.len(), 5);

    // Each committed payload, on both cores: identical records and replies.
    let payloads: Vec<(&[u8], Option<&PreparedRequest>)> = vec![
        (&put.payload, Some(&put)),
        (&del.payload, Some(&del)),
        (&unknown_org.payload, Some(&unknown_org)),
        (&too_old.payload, Some(&too_old)),
        // A query's payload committed as a transaction: prepared as a query, so not
        // taken here; both cores refuse it alike.
        (&as_query.payload, Some(&as_query)),
        (&forged, None),
        (b"garbage", None),
        // The same bytes again: the prepared form was used up; refused as a replay.
        (&put.payload, Some(&put)),
    ];
    for (at, (payload, request)) in payloads.into_iter().enumerate() {
        let ctx = ledger.next_ctx(w.now_ms + 1 + at as u64);
        let expected = execute(&mut slow, &ctx, payload);
        let got = execute(&mut fast, &ctx, payload);
        ledger.push(&ctx, got.kind, got.ledger_payload.clone());
        assert_eq!(got.kind, expected.kind, "payload {at}");
        assert_eq!(got.ledger_payload, expected.ledger_payload, "payload {at}");
        if let Some(request) = request {
            assert_eq!(
                reply(request, &got.response),
                reply(request, &expected.response),
                "payload {at}"
            );
        } else {
            assert_eq!(got.response, expected.response, "payload {at}");
        }
        assert_eq!(digest(&mut fast), digest(&mut slow), "payload {at}");
    }
    // The query is still waiting, for its own purpose.
    assert_eq!(preparer.len(), 1);
    let answer = |core: &mut Enclave| match core.handle(EnclaveRequest::Query {
        envelope: as_query.payload.clone(),
        host_time_ms: 0,
    }) {
        EnclaveResponse::Answer { response } => reply(&as_query, &response),
        other => panic!("query: {other:?}"),
    };
    assert_eq!(answer(&mut fast), Reply::Accept(b"1".to_vec()));
    assert_eq!(answer(&mut slow), Reply::Accept(b"1".to_vec()));
    assert!(preparer.is_empty());
}

/// The member rate: a token bucket per signer certificate, spent only by requests whose
/// signature verifies, refilled by the host's clock.
#[test]
fn the_member_rate_throttles_authentic_requests_only() {
    let w = world();
    let (core, _ledger, g) = started(&w);
    let preparer = core.preparer().unwrap();
    preparer.limit_members(Some(MemberRate {
        per_second: 10,
        burst: 2,
    }));
    let key = g.public_keys.transaction_key.clone();
    let request = |member| {
        PreparedRequest::transaction(&key, member, "put n=1")
            .unwrap()
            .payload
    };
    // Forgeries under alice's certificate spend nothing of hers.
    let honest = w.alice.sign(b"x".to_vec()).unwrap();
    let forged = SignedEnvelope {
        signature_der: w.bob.sign(b"x".to_vec()).unwrap().signature_der,
        ..honest
    };
    let forged = seal_envelope(&key, Purpose::Transaction, &forged).unwrap();
    for _ in 0..5 {
        assert_eq!(
            preparer.prepare(&forged, Purpose::Transaction, 0),
            Prepared::Unopened
        );
    }
    assert_eq!(
        preparer.prepare(&request(&w.alice), Purpose::Transaction, 0),
        Prepared::Ready
    );
    assert_eq!(
        preparer.prepare(&request(&w.alice), Purpose::Transaction, 0),
        Prepared::Ready
    );
    // The third at the same instant is over the burst: 100 ms to the next token.
    assert_eq!(
        preparer.prepare(&request(&w.alice), Purpose::Transaction, 0),
        Prepared::Throttled {
            retry_after_ms: 100
        }
    );
    // Bob has his own bucket.
    assert_eq!(
        preparer.prepare(&request(&w.bob), Purpose::Transaction, 0),
        Prepared::Ready
    );
    // 100 ms later alice has one token again, and only one.
    assert_eq!(
        preparer.prepare(&request(&w.alice), Purpose::Transaction, 100),
        Prepared::Ready
    );
    assert!(matches!(
        preparer.prepare(&request(&w.alice), Purpose::Transaction, 100),
        Prepared::Throttled { .. }
    ));
    // Without a limit, nothing is throttled.
    preparer.limit_members(None);
    for _ in 0..5 {
        assert_eq!(
            preparer.prepare(&request(&w.alice), Purpose::Transaction, 100),
            Prepared::Ready
        );
    }
}

/// Prepared requests are bounded in bytes as well as in number: large requests that are
/// never executed push the oldest out, and an evicted request is still decided in full.
#[test]
fn prepared_requests_are_bounded_in_bytes() {
    let w = world();
    let (mut core, mut ledger, g) = started(&w);
    let preparer = core.preparer().unwrap();
    let key = g.public_keys.transaction_key.clone();
    let value = "v".repeat(900 * 1024);
    let requests: Vec<PreparedRequest> = (0..48)
        .map(|i| PreparedRequest::transaction(&key, &w.alice, format!("put k{i}={value}")).unwrap())
        .collect();
    for request in &requests {
        assert_eq!(
            preparer.prepare(&request.payload, Purpose::Transaction, 0),
            Prepared::Ready
        );
    }
    let bound = strongroom_enclave::prepare::PREPARED_BYTES_LIMIT / (2 * 900 * 1024);
    assert!(
        preparer.len() <= bound && preparer.len() > bound / 2,
        "{} kept",
        preparer.len()
    );
    // The first was evicted: executing it opens it in full, with the same answer.
    let ctx = ledger.next_ctx(w.now_ms + 1);
    let executed = execute(&mut core, &ctx, &requests[0].payload);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    assert_eq!(
        requests[0].open_response(&executed.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
}

/// A request spends its signer's rate once: sent again (a replay by whoever captured
/// it) or sent after its `not after`, it spends nothing, so nobody can exhaust a
/// member's rate with that member's own old requests.
#[test]
fn a_replayed_or_expired_request_does_not_spend_its_signer_s_rate() {
    let w = world();
    let (mut core, mut ledger, g) = started(&w);
    let preparer = core.preparer().unwrap();
    preparer.limit_members(Some(MemberRate {
        per_second: 1,
        burst: 2,
    }));
    let key = g.public_keys.transaction_key.clone();
    let now = w.now_ms;
    let captured = PreparedRequest::transaction(&key, &w.alice, "put n=1").unwrap();
    assert_eq!(
        preparer.prepare(&captured.payload, Purpose::Transaction, now),
        Prepared::Ready
    );
    // Executed (the core takes it), then replayed again and again.
    let ctx = ledger.next_ctx(now);
    let executed = execute(&mut core, &ctx, &captured.payload);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    for _ in 0..5 {
        assert_eq!(
            preparer.prepare(&captured.payload, Purpose::Transaction, now),
            Prepared::Ready
        );
    }
    // A request whose not-after has passed spends nothing either.
    let stale = PreparedRequest::valid_until(
        &key,
        &w.alice,
        Purpose::Transaction,
        strongroom_enclave::request::Body::Contract(b"put n=2".to_vec()),
        now - 1,
    )
    .unwrap();
    for _ in 0..5 {
        assert_eq!(
            preparer.prepare(&stale.payload, Purpose::Transaction, now),
            Prepared::Ready
        );
    }
    // alice still has her second token, and then none.
    let fresh = |n: u32| {
        PreparedRequest::transaction(&key, &w.alice, format!("put m={n}"))
            .unwrap()
            .payload
    };
    assert_eq!(
        preparer.prepare(&fresh(1), Purpose::Transaction, now),
        Prepared::Ready
    );
    assert!(matches!(
        preparer.prepare(&fresh(2), Purpose::Transaction, now),
        Prepared::Throttled { .. }
    ));
}
