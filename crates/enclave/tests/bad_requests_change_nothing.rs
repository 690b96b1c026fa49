//! Malformed, oversized, wrongly encrypted, expired, unknown-organization and forged
//! requests each get a clear refusal and leave the state digest unchanged; a
//! governance transaction by an admin then admits the unknown organization.
#![allow(clippy::unwrap_used)]

mod common;

use common::{commit, core, digest, genesis, world};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose, Reply, seal_envelope};
use strongroom_enclave::{Organization, RecordKind};
use strongroom_identity::{Role, SignedEnvelope, Validity};
use time::{Duration, OffsetDateTime};

fn refusal(request: &PreparedRequest, response: &[u8]) -> String {
    match request.open_response(response).unwrap() {
        Reply::Refuse(reason) | Reply::RefuseUnauthenticated(reason) => reason,
        Reply::Accept(result) => panic!("accepted: {result:?}"),
    }
}

#[test]
fn each_bad_request_is_refused_with_its_reason_and_changes_nothing() {
    let w = world();
    let (mut a, mut ledger, g) = common::started(&w);
    let key = g.public_keys.transaction_key.clone();
    let ok = PreparedRequest::transaction(&key, &w.alice, "put k=v").unwrap();
    commit(&mut a, &mut ledger, w.now_ms, &ok.payload);
    let before = digest(&mut a);
    let mut t = w.now_ms;
    let mut refuse = |a: &mut strongroom_enclave::Enclave, payload: &[u8]| {
        t += 1;
        let executed = commit(a, &mut ledger, t, payload);
        assert_eq!(executed.kind, RecordKind::Transaction);
        assert_eq!(digest(a), before, "a refused request changed the state");
        executed.response
    };

    // Malformed: random bytes.
    let response = refuse(&mut a, b"\x01not a sealed request at all, just bytes");
    let any = PreparedRequest::transaction(&key, &w.alice, "x").unwrap();
    assert_eq!(
        any.open_response(&response).unwrap(),
        Reply::RefuseUnauthenticated(
            "request does not decrypt with the service transaction key".into()
        )
    );
    let response = refuse(&mut a, b"");
    assert!(refusal(&any, &response).contains("malformed sealed request"));

    // Oversized.
    let big = vec![1u8; strongroom_enclave::request::MAX_REQUEST_LEN + 1];
    let response = refuse(&mut a, &big);
    assert!(refusal(&any, &response).contains("exceeds the limit"));

    // Encrypted to another service's key.
    let mut other = core();
    let other_keys = genesis(&mut other, &w.constitution).public_keys;
    let wrong =
        PreparedRequest::transaction(&other_keys.transaction_key, &w.alice, "put k=w").unwrap();
    let response = refuse(&mut a, &wrong.payload);
    assert_eq!(
        refusal(&wrong, &response),
        "request does not decrypt with the service transaction key"
    );

    // Expired certificate: valid when issued, expired at the entry's time.
    let now = OffsetDateTime::now_utc();
    let short = w
        .org1
        .enroll_member(
            "temp",
            Role::Analyst,
            Validity::new(now - Duration::days(2), now - Duration::days(1)).unwrap(),
        )
        .unwrap();
    let expired = PreparedRequest::transaction(&key, &short, "put k=x").unwrap();
    let response = refuse(&mut a, &expired.payload);
    let reason = refusal(&expired, &response);
    assert!(
        reason.starts_with("signer rejected") && reason.contains("expired"),
        "{reason}"
    );

    // Unknown organization.
    let unknown = PreparedRequest::transaction(&key, &w.carol, "put k=y").unwrap();
    let response = refuse(&mut a, &unknown.payload);
    assert!(refusal(&unknown, &response).contains("unknown MSP \"Org3MSP\""));

    // Forged signature: alice's certificate, a signature by bob over the same bytes.
    let request = strongroom_enclave::request::SignedRequest {
        purpose: Purpose::Transaction,
        nonce: vec![9; 16],
        response_key: zeroize::Zeroizing::new([7; 32]),
        body: Body::Contract(b"put k=z".to_vec()),
    };
    let by_bob = w.bob.sign(request.encode()).unwrap();
    let forged = SignedEnvelope {
        signer_cert_der: w.alice.cert_der().to_vec(),
        ..by_bob
    };
    let payload = seal_envelope(&key, Purpose::Transaction, &forged).unwrap();
    let response = refuse(&mut a, &payload);
    assert_eq!(
        request.open_response(&response).unwrap(),
        Reply::Refuse("signer rejected: envelope signature does not verify".into())
    );

    // A query sent for execution.
    let query = PreparedRequest::query(&key, &w.alice, "get k").unwrap();
    let response = refuse(&mut a, &query.payload);
    assert!(refusal(&query, &response).contains("does not decrypt"));

    // Adding an organization is for admins only: refused, and carol still is too.
    let add = Body::AddOrganization {
        msp_id: "Org3MSP".into(),
        ca_cert_pem: Organization::from_der("Org3MSP", w.org3.cert_der())
            .unwrap()
            .ca_cert_pem,
    };
    let not_admin =
        PreparedRequest::new(&key, &w.alice, Purpose::Transaction, add.clone()).unwrap();
    let mut t = w.now_ms + 100;
    let executed = commit(&mut a, &mut ledger, t, &not_admin.payload);
    assert_eq!(executed.kind, RecordKind::Governance);
    assert_eq!(
        refusal(&not_admin, &executed.response),
        "only an admin may add an organization"
    );
    let still_unknown = PreparedRequest::transaction(&key, &w.carol, "put k=y").unwrap();
    t += 1;
    let executed = commit(&mut a, &mut ledger, t, &still_unknown.payload);
    assert!(refusal(&still_unknown, &executed.response).contains("unknown MSP"));

    // An admin adds Org3; carol is then accepted.
    let by_admin = PreparedRequest::new(&key, &w.admin, Purpose::Transaction, add).unwrap();
    t += 1;
    let executed = commit(&mut a, &mut ledger, t, &by_admin.payload);
    assert_eq!(
        by_admin.open_response(&executed.response).unwrap(),
        Reply::Accept(b"organization added".to_vec())
    );
    let carol = PreparedRequest::transaction(&key, &w.carol, "put k=3").unwrap();
    t += 1;
    let executed = commit(&mut a, &mut ledger, t, &carol.payload);
    assert_eq!(
        carol.open_response(&executed.response).unwrap(),
        Reply::Accept(b"ok".to_vec())
    );
}
