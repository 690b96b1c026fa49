//! Before the contract decides whether a member is entitled to an object, the core
//! checks what is the same for every object: a consortium member signed the
//! authorization, it has not expired, it is for this very node, and its purpose needs
//! the access the host is about to grant. Each failure is `Unauthorized` and says why.
//! Past those checks the contract decides, and whoever it does not entitle gets
//! `NotFoundOrDenied`, the same answer whether or not anything is at the location.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, World, code, commit, error, execute, genesis, platform, world};
use strongroom_contract::{
    Caller, Contract, ContractError, KvContract, ObjectAccess, ObjectGrant, ObjectPurpose, State,
    TxContext,
};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose};
use strongroom_enclave::{Enclave, EnclaveError, EnclaveRequest, EnclaveResponse};

const HERE: &str = "data/0123456789abcdef0123456789abcdef";
const ELSEWHERE: &str = "data/ffffffffffffffffffffffffffffffff";
const NODE: [u8; 32] = [0x5a; 32];

/// Entitles members of Org1MSP to `HERE` for every purpose, nobody to anything else.
struct OneObject;

impl Contract for OneObject {
    fn execute(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        state: &mut dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        KvContract.execute(tx, invocation, state)
    }

    fn query(
        &self,
        caller: &Caller,
        query: &[u8],
        state: &dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        KvContract.query(caller, query, state)
    }

    fn authorize_object(
        &self,
        caller: &Caller,
        _: &ObjectPurpose,
        location: &str,
        _: u64,
        _: &dyn State,
    ) -> Result<ObjectGrant, ContractError> {
        if caller.msp_id == "Org1MSP" && location == HERE {
            Ok(ObjectGrant {
                dataset: Some("ds-0000000000000002".into()),
            })
        } else {
            Err(ContractError::NotFoundOrDenied)
        }
    }
}

/// A world and a started core running `OneObject`, its endpoint bound to `NODE`.
fn started() -> (World, Enclave, Ledger, Vec<u8>, u64) {
    let w = world();
    let mut core = Enclave::new(Box::new(platform(&code())), Box::new(OneObject));
    let g = genesis(&mut core, &w.constitution);
    let mut ledger = Ledger::default();
    let ctx = ledger.next_ctx(w.now_ms);
    let executed = execute(&mut core, &ctx, &g.ledger_payload);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    assert!(matches!(
        core.handle(EnclaveRequest::BindEndpoint { endpoint: NODE }),
        EnclaveResponse::EndpointBound { .. }
    ));
    let now = w.now_ms;
    (w, core, ledger, g.public_keys.transaction_key, now)
}

fn authorize(core: &mut Enclave, access: ObjectAccess, sealed: &[u8], at: u64) -> EnclaveResponse {
    core.handle(EnclaveRequest::AuthorizeObject {
        access,
        envelope: sealed.to_vec(),
        host_time_ms: at,
    })
}

fn unauthorized(response: EnclaveResponse) -> String {
    match error(response) {
        EnclaveError::Unauthorized(reason) => reason,
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

/// Alice's authorization to upload `HERE`, valid until `until` (ledger time).
fn upload_until(w: &World, key: &[u8], until: u64) -> PreparedRequest {
    PreparedRequest::valid_until(
        key,
        &w.alice,
        Purpose::Query,
        Body::Object {
            purpose: ObjectPurpose::Upload,
            location: HERE.into(),
            node: NODE,
        },
        until,
    )
    .unwrap()
}

fn upload(w: &World, key: &[u8], location: &str) -> PreparedRequest {
    PreparedRequest::object(key, &w.alice, ObjectPurpose::Upload, location, NODE).unwrap()
}

#[test]
fn an_entitled_member_is_authorized_for_the_purpose_it_signed() {
    let (w, mut core, _, key, now) = started();
    for (purpose, access) in [
        (ObjectPurpose::OwnerRead, ObjectAccess::Read),
        (
            ObjectPurpose::TaskInput {
                task: "task-0000000000000009".into(),
            },
            ObjectAccess::Read,
        ),
        (ObjectPurpose::Upload, ObjectAccess::Write),
    ] {
        let sealed = PreparedRequest::object(&key, &w.alice, purpose.clone(), HERE, NODE).unwrap();
        match authorize(&mut core, access, &sealed.payload, now) {
            EnclaveResponse::ObjectAuthorized {
                access: granted,
                purpose: signed,
                location,
                msp_id,
                dataset,
                ..
            } => {
                assert_eq!((granted, signed), (access, purpose));
                assert_eq!(location, HERE);
                assert_eq!(msp_id, w.alice.msp_id());
                assert_eq!(dataset.as_deref(), Some("ds-0000000000000002"));
            }
            other => panic!("{purpose:?}: {other:?}"),
        }
    }
}

#[test]
fn a_purpose_authorizes_only_the_access_it_needs() {
    let (w, mut core, _, key, now) = started();
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Read,
        &upload(&w, &key, HERE).payload,
        now,
    ));
    assert!(
        reason.contains("authorizes a write of the object, not a read"),
        "{reason}"
    );
    let read =
        PreparedRequest::object(&key, &w.alice, ObjectPurpose::OwnerRead, HERE, NODE).unwrap();
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &read.payload,
        now,
    ));
    assert!(
        reason.contains("authorizes a read of the object, not a write"),
        "{reason}"
    );
}

#[test]
fn an_authorization_for_another_node_is_refused() {
    let (w, mut core, _, key, now) = started();
    let other =
        PreparedRequest::object(&key, &w.alice, ObjectPurpose::Upload, HERE, [1; 32]).unwrap();
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &other.payload,
        now,
    ));
    assert!(reason.contains("another node"), "{reason}");
}

#[test]
fn a_core_without_an_endpoint_authorizes_nothing() {
    let w = world();
    let (mut core, _, g) = common::started(&w);
    let sealed = upload(&w, &g.public_keys.transaction_key, HERE);
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &sealed.payload,
        w.now_ms,
    ));
    assert!(reason.contains("no endpoint key"), "{reason}");
}

#[test]
fn an_expired_authorization_is_refused_and_the_host_cannot_extend_it() {
    let (w, mut core, _, key, now) = started();
    let short = upload_until(&w, &key, now + 1_000);
    // Valid while the host's clock and the ledger are before its end ...
    assert!(matches!(
        authorize(&mut core, ObjectAccess::Write, &short.payload, now),
        EnclaveResponse::ObjectAuthorized { .. }
    ));
    // ... refused once the host's clock is past it (a host can only shorten a life) ...
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &short.payload,
        now + 1_001,
    ));
    assert!(reason.starts_with("expired request"), "{reason}");
    // ... and a host that turns its clock back does not revive it once the ledger has
    // moved past its end.
    let (w, mut core, mut ledger, key, now) = started();
    let short = upload_until(&w, &key, now + 1_000);
    let later = PreparedRequest::transaction(&key, &w.alice, "put k=v").unwrap();
    commit(&mut core, &mut ledger, now + 2_000, &later.payload);
    let reason = unauthorized(authorize(&mut core, ObjectAccess::Write, &short.payload, 0));
    assert!(reason.starts_with("expired request"), "{reason}");
}

#[test]
fn an_authorization_valid_for_too_long_is_refused() {
    let (w, mut core, _, key, now) = started();
    let long = upload_until(
        &w,
        &key,
        now + strongroom_enclave::request::MAX_LIFETIME_MS + 1,
    );
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &long.payload,
        now,
    ));
    assert!(reason.starts_with("request valid for too long"), "{reason}");
}

#[test]
fn a_signer_outside_the_consortium_is_refused() {
    let (w, mut core, _, key, now) = started();
    let outsider =
        PreparedRequest::object(&key, &w.carol, ObjectPurpose::Upload, HERE, NODE).unwrap();
    let reason = unauthorized(authorize(
        &mut core,
        ObjectAccess::Write,
        &outsider.payload,
        now,
    ));
    assert!(reason.starts_with("signer rejected"), "{reason}");
}

#[test]
fn other_requests_in_place_of_an_authorization_are_refused() {
    let (w, mut core, _, key, now) = started();
    for (what, sealed) in [
        (
            "a query",
            PreparedRequest::query(&key, &w.alice, "get k")
                .unwrap()
                .payload,
        ),
        (
            "a transaction",
            PreparedRequest::transaction(&key, &w.alice, "put k=v")
                .unwrap()
                .payload,
        ),
        (
            "an export authorization",
            PreparedRequest::export(&key, &w.alice, NODE)
                .unwrap()
                .payload,
        ),
        ("garbage", b"\x01garbage".to_vec()),
    ] {
        let reason = unauthorized(authorize(&mut core, ObjectAccess::Read, &sealed, now));
        assert!(!reason.is_empty(), "{what}");
    }
}

#[test]
fn whoever_the_contract_does_not_entitle_gets_one_answer_for_existing_and_missing_objects() {
    let (w, mut core, _, key, now) = started();
    // bob (Org2MSP) is a member, but not entitled to HERE; nobody to ELSEWHERE.
    let answers: Vec<EnclaveResponse> =
        [(&w.bob, HERE), (&w.bob, ELSEWHERE), (&w.alice, ELSEWHERE)]
            .into_iter()
            .map(|(member, location)| {
                let sealed =
                    PreparedRequest::object(&key, member, ObjectPurpose::OwnerRead, location, NODE)
                        .unwrap();
                authorize(&mut core, ObjectAccess::Read, &sealed.payload, now)
            })
            .collect();
    for answer in &answers {
        assert_eq!(answer.to_bytes(), answers[0].to_bytes());
    }
    assert_eq!(error(answers[0].clone()), EnclaveError::NotFoundOrDenied);
}
