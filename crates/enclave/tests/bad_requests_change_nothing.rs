//! Malformed, oversized, wrongly encrypted, expired, held-back, unknown-organization,
//! forged and misdirected requests each get a clear refusal, are recorded with their
//! refusal code, and leave the state digest unchanged. One test per kind of bad request.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, World, commit, core, digest, genesis, world};
use strongroom_enclave::request::{
    Body, MAX_LIFETIME_MS, PreparedRequest, Purpose, Reply, SignedRequest, seal_envelope,
};
use strongroom_enclave::{Enclave, RecordKind};
use strongroom_identity::{Role, SignedEnvelope, Validity};
use time::{Duration, OffsetDateTime};

fn refusal(request: &PreparedRequest, response: &[u8]) -> String {
    match request.open_response(response).unwrap() {
        Reply::Refuse(reason) | Reply::RefuseUnauthenticated(reason) => reason,
        Reply::Accept(result) => panic!("accepted: {result:?}"),
    }
}

/// A started core with one accepted transaction, and a way to commit a bad request
/// that asserts the digest did not change; answers the response.
struct Setup {
    w: World,
    core: Enclave,
    ledger: Ledger,
    key: Vec<u8>,
    before: [u8; 32],
    t: u64,
}

impl Setup {
    fn new() -> Self {
        let w = world();
        let (mut core, mut ledger, g) = common::started(&w);
        let key = g.public_keys.transaction_key.clone();
        let ok = PreparedRequest::transaction(&key, &w.alice, "put k=v").unwrap();
        commit(&mut core, &mut ledger, w.now_ms, &ok.payload);
        let before = digest(&mut core);
        let t = w.now_ms;
        Self {
            w,
            core,
            ledger,
            key,
            before,
            t,
        }
    }

    /// Commits `payload` `after_ms` after the last entry; asserts it changed nothing.
    fn refuse_after(&mut self, after_ms: u64, payload: &[u8]) -> Vec<u8> {
        self.t += after_ms.max(1);
        let executed = commit(&mut self.core, &mut self.ledger, self.t, payload);
        assert_eq!(executed.kind, RecordKind::Transaction);
        assert_eq!(
            digest(&mut self.core),
            self.before,
            "a refused request changed the state"
        );
        executed.response
    }

    fn refuse(&mut self, payload: &[u8]) -> Vec<u8> {
        self.refuse_after(1, payload)
    }
}

#[test]
fn random_bytes_are_refused_in_clear() {
    let mut s = Setup::new();
    let response = s.refuse(b"\x01not a sealed request at all, just bytes");
    let any = PreparedRequest::transaction(&s.key, &s.w.alice, "x").unwrap();
    assert_eq!(
        any.open_response(&response).unwrap(),
        Reply::RefuseUnauthenticated(
            "request does not decrypt with the service transaction key".into()
        )
    );
    let response = s.refuse(b"");
    assert!(refusal(&any, &response).starts_with("malformed request"));
}

#[test]
fn an_oversized_request_is_refused_unread() {
    let mut s = Setup::new();
    let any = PreparedRequest::transaction(&s.key, &s.w.alice, "x").unwrap();
    let big = vec![1u8; strongroom_enclave::request::MAX_REQUEST_LEN + 1];
    let response = s.refuse(&big);
    assert!(refusal(&any, &response).starts_with("request too large"));
}

#[test]
fn a_request_for_another_service_is_refused() {
    let mut s = Setup::new();
    let mut other = core();
    let other_keys = genesis(&mut other, &s.w.constitution).public_keys;
    let wrong =
        PreparedRequest::transaction(&other_keys.transaction_key, &s.w.alice, "put k=w").unwrap();
    let response = s.refuse(&wrong.payload);
    assert_eq!(
        refusal(&wrong, &response),
        "request does not decrypt with the service transaction key"
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let mut s = Setup::new();
    let now = OffsetDateTime::now_utc();
    let short =
        s.w.org1
            .enroll_member(
                "temp",
                Role::Analyst,
                Validity::new(now - Duration::days(2), now - Duration::days(1)).unwrap(),
            )
            .unwrap();
    let expired = PreparedRequest::transaction(&s.key, &short, "put k=x").unwrap();
    let response = s.refuse(&expired.payload);
    let reason = refusal(&expired, &response);
    assert!(
        reason.starts_with("signer rejected") && reason.contains("expired"),
        "{reason}"
    );
}

#[test]
fn a_member_of_an_unknown_organization_is_refused() {
    let mut s = Setup::new();
    let unknown = PreparedRequest::transaction(&s.key, &s.w.carol, "put k=y").unwrap();
    let response = s.refuse(&unknown.payload);
    assert!(refusal(&unknown, &response).contains("unknown MSP \"Org3MSP\""));
}

#[test]
fn a_forged_signature_is_refused() {
    let mut s = Setup::new();
    // alice's certificate, a signature by bob over the same bytes.
    let request = SignedRequest {
        purpose: Purpose::Transaction,
        nonce: vec![9; 16],
        not_after_ms: s.w.now_ms + 60_000,
        response_key: zeroize::Zeroizing::new([7; 32]),
        body: Body::Contract(b"put k=z".to_vec()),
    };
    let by_bob = s.w.bob.sign(request.encode()).unwrap();
    let forged = SignedEnvelope {
        signer_cert_der: s.w.alice.cert_der().to_vec(),
        ..by_bob
    };
    let payload = seal_envelope(&s.key, Purpose::Transaction, &forged).unwrap();
    let response = s.refuse(&payload);
    assert_eq!(
        request.open_response(&response).unwrap(),
        Reply::Refuse("signer rejected: envelope signature does not verify".into())
    );
}

#[test]
fn a_query_sent_for_execution_is_refused() {
    let mut s = Setup::new();
    let query = PreparedRequest::query(&s.key, &s.w.alice, "get k").unwrap();
    let response = s.refuse(&query.payload);
    assert!(refusal(&query, &response).contains("does not decrypt"));
}

#[test]
fn an_authorization_sent_for_execution_is_refused() {
    let mut s = Setup::new();
    let export = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Export { node: [0; 32] },
        s.w.now_ms + 60_000,
    )
    .unwrap();
    let executed = commit(&mut s.core, &mut s.ledger, s.t + 1, &export.payload);
    assert!(refusal(&export, &executed.response).starts_with("not a transaction"));
}

#[test]
fn a_request_held_past_its_not_after_is_refused_and_changes_nothing() {
    let mut s = Setup::new();
    let held = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Contract(b"put k=held".to_vec()),
        s.t + 1_000,
    )
    .unwrap();
    // The host holds it back and orders it 2 s later.
    let response = s.refuse_after(2_000, &held.payload);
    assert!(refusal(&held, &response).starts_with("expired request"));
}

#[test]
fn a_request_valid_for_longer_than_the_core_allows_is_refused() {
    let mut s = Setup::new();
    let long = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Contract(b"put k=long".to_vec()),
        s.t + 1 + MAX_LIFETIME_MS + 1,
    )
    .unwrap();
    let response = s.refuse(&long.payload);
    assert!(refusal(&long, &response).starts_with("request valid for too long"));
}

#[test]
fn a_request_on_its_last_millisecond_is_accepted() {
    let mut s = Setup::new();
    let edge = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Contract(b"put k=edge".to_vec()),
        s.t + 5,
    )
    .unwrap();
    let executed = commit(&mut s.core, &mut s.ledger, s.t + 5, &edge.payload);
    assert_eq!(
        edge.open_response(&executed.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
}

#[test]
fn a_replay_after_its_nonce_was_forgotten_is_still_refused() {
    let mut s = Setup::new();
    let once = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Contract(b"put k=once".to_vec()),
        s.t + 1_000,
    )
    .unwrap();
    s.t += 1;
    let executed = commit(&mut s.core, &mut s.ledger, s.t, &once.payload);
    assert_eq!(
        once.open_response(&executed.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
    // An accepted transaction past the first one's not-after: its nonce is forgotten.
    let later = PreparedRequest::valid_until(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        Body::Contract(b"put k=later".to_vec()),
        s.t + 5_000,
    )
    .unwrap();
    s.t += 2_000;
    commit(&mut s.core, &mut s.ledger, s.t, &later.payload);
    s.before = digest(&mut s.core);
    // The replay is refused all the same: expired.
    let response = s.refuse(&once.payload);
    assert!(refusal(&once, &response).starts_with("expired request"));
}

/// Asks `body` as a query of alice's; the reply's text (accepted or refused).
fn ask(s: &mut Setup, body: Body) -> String {
    let query = PreparedRequest::new(&s.key, &s.w.alice, Purpose::Query, body).unwrap();
    let strongroom_enclave::EnclaveResponse::Answer { response } =
        s.core.handle(strongroom_enclave::EnclaveRequest::Query {
            envelope: query.payload.clone(),
            host_time_ms: 0,
        })
    else {
        panic!("query")
    };
    match query.open_response(&response).unwrap() {
        Reply::Accept(bytes) => String::from_utf8(bytes).unwrap(),
        Reply::Refuse(reason) | Reply::RefuseUnauthenticated(reason) => reason,
    }
}

/// Commits `request` (authenticated, so its nonce is recorded); its refusal.
fn commit_refused(s: &mut Setup, request: &PreparedRequest) -> String {
    s.t += 1;
    let executed = commit(&mut s.core, &mut s.ledger, s.t, &request.payload);
    refusal(request, &executed.response)
}

#[test]
fn a_worker_policy_that_does_not_parse_is_refused_naming_the_field() {
    let mut s = Setup::new();
    let propose = PreparedRequest::governance(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        br#"{"op":"propose","change":{"change":"set_worker_policy","policy":"allow_simulated = maybe"}}"#.to_vec(),
    )
    .unwrap();
    let reason = commit_refused(&mut s, &propose);
    assert!(
        reason.starts_with("invalid invocation: change.policy"),
        "{reason}"
    );
    // No proposal was made, and the consortium still has no worker policy.
    let proposals = ask(
        &mut s,
        Body::Governance(br#"{"op":"list_proposals"}"#.to_vec()),
    );
    assert!(proposals.contains(r#""items":[]"#), "{proposals}");
    let constitution = ask(
        &mut s,
        Body::Governance(br#"{"op":"constitution"}"#.to_vec()),
    );
    assert!(
        constitution.contains(r#""worker_policy":null"#),
        "{constitution}"
    );
}

#[test]
fn a_node_policy_that_does_not_parse_is_refused_naming_the_field() {
    let mut s = Setup::new();
    let constitution =
        |s: &mut Setup| ask(s, Body::Governance(br#"{"op":"constitution"}"#.to_vec()));
    let before = constitution(&mut s);
    assert!(
        before.contains(r#""node_policy":"allow_simulated"#),
        "{before}"
    );
    let propose = PreparedRequest::governance(
        &s.key,
        &s.w.admin,
        Purpose::Transaction,
        br#"{"op":"propose","change":{"change":"set_node_policy","policy":"[[allow]]\nplatform = \"sim\"\nmeasurement = \"not hex\""}}"#.to_vec(),
    )
    .unwrap();
    let reason = commit_refused(&mut s, &propose);
    assert!(
        reason.starts_with("invalid invocation: change.policy"),
        "{reason}"
    );
    // No proposal was made, and the node policy is the one genesis recorded.
    let proposals = ask(
        &mut s,
        Body::Governance(br#"{"op":"list_proposals"}"#.to_vec()),
    );
    assert!(proposals.contains(r#""items":[]"#), "{proposals}");
    assert_eq!(constitution(&mut s), before);
}

#[test]
fn a_core_key_with_a_bad_usage_policy_is_refused_naming_the_field() {
    let mut s = Setup::new();
    let create = PreparedRequest::keys(
        &s.key,
        &s.w.alice,
        Purpose::Transaction,
        br#"{"op":"create_key","kind":"ecdsa_p256","usage":[{"msp_id":"Org1MSP","roles":["root"]}]}"#.to_vec(),
    )
    .unwrap();
    let reason = commit_refused(&mut s, &create);
    assert!(
        reason.starts_with("invalid invocation: usage[0].roles"),
        "{reason}"
    );
    // No key exists under the id the entry would have given it.
    let id = format!("key-{:016x}", s.ledger.next_ctx(0).sequence - 1);
    let asked = ask(
        &mut s,
        Body::Keys(format!(r#"{{"op":"get_key","key":"{id}"}}"#).into_bytes()),
    );
    assert_eq!(asked, "not found or not allowed");
}
