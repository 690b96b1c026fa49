//! Requests the core refuses after they were ordered.

use strongroom_enclave::request::{
    Body, PreparedRequest, Purpose, Reply, SignedRequest, seal_envelope,
};
use strongroom_identity::Member;
use zeroize::Zeroizing;

use super::fixture::*;

/// Requests the core refuses after they were ordered: each refusal is a ledger entry,
/// and the contract state is untouched.
pub(crate) async fn core_refusals(f: &Fixture, before: Snapshot, expired: &Member) -> Snapshot {
    let key = f.client.public_keys().transaction_key.clone();

    // An invocation with a field the contract does not know.
    let invocation = format!(
        r#"{{"op":"register_algorithm","name":"extra-field","kind":"builtin","measurement":"{}","extra":1}}"#,
        "ab".repeat(32)
    );
    let committed = f
        .client
        .transact(&f.owner, invocation.as_bytes())
        .await
        .unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.contains("unknown field `extra`"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "unknown field")
        .await;

    // A sealed request with one byte flipped: it no longer decrypts, so the core cannot
    // even learn the response key and answers in clear.
    let mut prepared =
        PreparedRequest::transaction(&key, &f.owner, json(&algorithm("flipped"))).unwrap();
    let middle = prepared.payload.len() / 2;
    prepared.payload[middle] ^= 0x01;
    let committed = f.client.submit_prepared(&prepared).await.unwrap();
    match &committed.reply {
        Reply::RefuseUnauthenticated(reason) => {
            assert!(reason.contains("does not decrypt"), "{reason}");
        }
        other => panic!("flipped byte: expected an unauthenticated refusal, got {other:?}"),
    }
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "flipped byte")
        .await;

    // A well-encrypted envelope whose signature covers another request than the one
    // it carries.
    let (nonce, response_key) = (random::<24>().to_vec(), Zeroizing::new(random::<32>()));
    let request = |name: &str| SignedRequest {
        purpose: Purpose::Transaction,
        nonce: nonce.clone(),
        not_after_ms: strongroom_enclave::request::not_after_from_now(60_000),
        response_key: response_key.clone(),
        body: Body::Contract(json(&algorithm(name))),
    };
    let mut envelope = f.owner.sign(request("signed").encode()).unwrap();
    let forged = request("forged");
    envelope.payload = forged.encode();
    let sealed = seal_envelope(&key, Purpose::Transaction, &envelope).unwrap();
    let submitted = f.post_transaction(sealed).await;
    let reply = forged.open_response(&submitted.response).unwrap();
    let reason = refused(&reply);
    assert!(reason.contains("signature does not verify"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, submitted.sequence, "forged signature")
        .await;

    // A member whose certificate has expired: refused as a transaction and as a query.
    let committed = f
        .client
        .transact(expired, &json(&algorithm("expired")))
        .await
        .unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.contains("expired"), "{reason}");
    let answer = f
        .client
        .query(expired, br#"{"op":"list_algorithms"}"#)
        .await
        .unwrap();
    let reason = refused(&answer);
    assert!(reason.contains("expired"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "expired certificate")
        .await;

    // A transaction the host held back past its not-after: refused as expired.
    let held = PreparedRequest::valid_until(
        &key,
        &f.owner,
        Purpose::Transaction,
        Body::Contract(json(&algorithm("held back"))),
        strongroom_enclave::request::not_after_from_now(0).saturating_sub(1),
    )
    .unwrap();
    let committed = f.client.submit_prepared(&held).await.unwrap();
    let reason = refused(&committed.reply);
    assert!(reason.starts_with("expired request"), "{reason}");
    let before = f
        .assert_only_refusal_recorded(&before, committed.sequence, "held past its not-after")
        .await;

    // The same sealed transaction twice: applied once, then refused as a replay.
    let prepared =
        PreparedRequest::transaction(&key, &f.owner, json(&algorithm("replayed"))).unwrap();
    let first = f.client.submit_prepared(&prepared).await.unwrap();
    let created = accepted(&first);
    f.settle(first.sequence.unwrap()).await;
    let once = f.snapshot().await;
    assert_eq!(
        once.algorithms.items.len(),
        before.algorithms.items.len() + 1
    );
    assert!(once.algorithms.items.iter().any(|a| a.id == created.id));
    let second = f.client.submit_prepared(&prepared).await.unwrap();
    let reason = refused(&second.reply);
    assert!(reason.contains("replayed"), "{reason}");
    assert_ne!(second.sequence, first.sequence);
    f.assert_only_refusal_recorded(&once, second.sequence, "replay")
        .await
}
