//! An object authorization grants one access (read or write) to one location: the core
//! answers who signed it for which location only when it is asked for the access the
//! member signed, and refuses it as `Unauthorized`, saying so, for the other one. A
//! request that is not an object authorization, or one signed outside the consortium,
//! is refused too. The access is part of the signed encoding.
#![allow(clippy::unwrap_used)]

mod common;

use common::{error, started, world};
use strongroom_enclave::request::{Body, ObjectAccess, PreparedRequest, Purpose, SignedRequest};
use strongroom_enclave::{EnclaveError, EnclaveRequest, EnclaveResponse};

const LOCATION: &str = "datasets/0123abcd/patients.csv.enc";

fn other(access: ObjectAccess) -> ObjectAccess {
    match access {
        ObjectAccess::Read => ObjectAccess::Write,
        ObjectAccess::Write => ObjectAccess::Read,
    }
}

fn unauthorized(response: EnclaveResponse) -> String {
    match error(response) {
        EnclaveError::Unauthorized(reason) => reason,
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[test]
fn an_object_authorization_grants_only_the_access_signed() {
    let w = world();
    let (mut core, _, genesis) = started(&w);
    let key = &genesis.public_keys.transaction_key;
    let signed = [
        (
            ObjectAccess::Read,
            PreparedRequest::download(key, &w.alice, LOCATION).unwrap(),
        ),
        (
            ObjectAccess::Write,
            PreparedRequest::upload(key, &w.alice, LOCATION).unwrap(),
        ),
    ];
    for (access, prepared) in signed {
        let response = core.handle(EnclaveRequest::AuthorizeObject {
            access,
            envelope: prepared.payload.clone(),
        });
        assert_eq!(
            response,
            EnclaveResponse::ObjectAuthorized {
                access,
                location: LOCATION.into(),
                msp_id: "Org1MSP".into(),
                name: "alice".into(),
            }
        );
        let wanted = other(access);
        let reason = unauthorized(core.handle(EnclaveRequest::AuthorizeObject {
            access: wanted,
            envelope: prepared.payload,
        }));
        assert_eq!(
            reason,
            format!("the request authorizes a {access} of the object, not a {wanted}")
        );
    }
}

#[test]
fn other_requests_and_outsiders_are_not_object_authorizations() {
    let w = world();
    let (mut core, _, genesis) = started(&w);
    let key = &genesis.public_keys.transaction_key;
    for access in [ObjectAccess::Read, ObjectAccess::Write] {
        let query = PreparedRequest::query(key, &w.alice, b"get k".to_vec()).unwrap();
        let reason = unauthorized(core.handle(EnclaveRequest::AuthorizeObject {
            access,
            envelope: query.payload,
        }));
        assert_eq!(reason, "the request is not an object authorization");

        // Org3 is not in the consortium.
        let outsider = PreparedRequest::object(key, &w.carol, access, LOCATION).unwrap();
        let reason = unauthorized(core.handle(EnclaveRequest::AuthorizeObject {
            access,
            envelope: outsider.payload,
        }));
        assert!(reason.contains("signer rejected"), "{reason}");

        let reason = unauthorized(core.handle(EnclaveRequest::AuthorizeObject {
            access,
            envelope: vec![7; 200],
        }));
        assert!(reason.contains("malformed sealed request"), "{reason}");
    }
}

#[test]
fn the_access_is_part_of_the_signed_encoding() {
    for (access, byte) in [(ObjectAccess::Read, 1u8), (ObjectAccess::Write, 2u8)] {
        let request = SignedRequest {
            purpose: Purpose::Query,
            nonce: vec![9; 24],
            response_key: [3; 32].into(),
            body: Body::Object {
                access,
                location: LOCATION.into(),
            },
        };
        let mut bytes = request.encode();
        assert_eq!(SignedRequest::decode(&bytes).unwrap(), request);
        // version, purpose, nonce (4 + 24), response key (32), then kind 3 and access.
        let at = 1 + 1 + 4 + 24 + 32;
        assert_eq!(bytes[at..at + 2], [3, byte]);
        bytes[at + 1] = 3;
        let refused = SignedRequest::decode(&bytes).unwrap_err();
        assert!(refused.to_string().contains("object access"), "{refused}");
    }
}
