//! Targets for what a client sends to the core: the signed request, the signed
//! envelope, the sealed request through a real core, and the host–core messages.

use strongroom_contract::{ObjectAccess, ObjectPurpose};
use strongroom_crypto::hpke::{self, KemId, PublicKey, Suite};
use strongroom_enclave::request::{
    Body, Purpose, QUERY_INFO, SignedRequest, TRANSACTION_INFO, seal_envelope,
};
use strongroom_enclave::{EnclaveRequest, EnclaveResponse};
use strongroom_identity::SignedEnvelope;
use zeroize::Zeroizing;

use crate::fixture::{self, CoreFixture};

/// `SignedRequest::decode`; a request that decodes re-encodes to the same bytes (the
/// encoding is canonical).
pub fn signed_request(data: &[u8]) {
    if let Ok(request) = SignedRequest::decode(data) {
        assert_eq!(
            request.encode(),
            data,
            "a decoded signed request re-encodes"
        );
    }
}

/// `SignedEnvelope::from_bytes`, then the signature check under the certificate it
/// carries and the chain check against two organizations: an envelope that decodes
/// re-encodes to the same bytes.
pub fn signed_envelope(data: &[u8]) {
    let Ok(envelope) = SignedEnvelope::from_bytes(data) else {
        return;
    };
    assert_eq!(
        envelope.to_bytes().ok().as_deref(),
        Some(data),
        "a decoded envelope re-encodes"
    );
    let _ = envelope.check_signature();
    let ids = fixture::identities();
    let _ = envelope.verify(&ids.trust, ids.now());
}

/// A sealed request through a real core (restored to just after genesis for each
/// input). The first byte chooses what the rest is and how it is sent:
///
/// - bits 0–1, the rest is: 0 a sealed request as is; 1 the plaintext of one (an
///   envelope), sealed here to the core's key; 2 a signed request, signed here by a
///   member and sealed; 3 a body, put in a signed request here (valid for five
///   minutes from [`fixture::NOW_MS`]): for an object authorization, an
///   [`ObjectPurpose`] as JSON, a NUL byte and the location (for the fixture's
///   node); otherwise a contract invocation or query;
/// - bit 2: sealed for a query (else a transaction);
/// - bits 3–4: the member who signs (alice, admin, bob, dora);
/// - bits 5–6, the core is asked to: 0 execute it; 1 execute it twice (a replay);
///   2 answer it as a query; 3 authorize an object access with it;
/// - bit 7: for execution, prepared first (the preparer's path); for an object
///   authorization, a write is asked (else a read).
pub fn sealed_request(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let core = fixture::core();
    let purpose = if mode & 0b100 != 0 {
        Purpose::Query
    } else {
        Purpose::Transaction
    };
    let member = fixture::identities().member((mode >> 3) & 0b11);
    let (sealed, request) = match mode & 0b11 {
        0 => (rest.to_vec(), None),
        1 => match seal_plaintext(core, purpose, rest) {
            Some(sealed) => (sealed, None),
            None => return,
        },
        2 => {
            let Ok(envelope) = member.sign(rest.to_vec()) else {
                return;
            };
            let Ok(sealed) = seal_envelope(&core.public_keys.transaction_key, purpose, &envelope)
            else {
                return;
            };
            (sealed, SignedRequest::decode(rest).ok())
        }
        _ => {
            let body = if (mode >> 5) & 0b11 == 3 {
                match object_body(rest) {
                    Some(body) => body,
                    None => return,
                }
            } else {
                Body::Contract(rest.to_vec())
            };
            let request = fresh_request(purpose, body);
            let Ok(envelope) = member.sign(request.encode()) else {
                return;
            };
            let Ok(sealed) = seal_envelope(&core.public_keys.transaction_key, purpose, &envelope)
            else {
                return;
            };
            (sealed, Some(request))
        }
    };
    let flag = mode & 0x80 != 0;
    let mut enclave = core.restored();
    let responses = match (mode >> 5) & 0b11 {
        0 | 1 => {
            if flag && let Some(preparer) = enclave.preparer() {
                let _ = preparer.prepare(&sealed, Purpose::Transaction, 0);
            }
            let times = if (mode >> 5) & 0b11 == 1 { 2 } else { 1 };
            (0..times)
                .map(|offset| {
                    enclave.handle(EnclaveRequest::Execute {
                        ctx: core.next_ctx(offset),
                        payload: sealed.clone(),
                    })
                })
                .collect()
        }
        2 => vec![enclave.handle(EnclaveRequest::Query {
            envelope: sealed.clone(),
            host_time_ms: fixture::NOW_MS,
        })],
        _ => vec![enclave.handle(EnclaveRequest::AuthorizeObject {
            access: if flag {
                ObjectAccess::Write
            } else {
                ObjectAccess::Read
            },
            envelope: sealed.clone(),
            host_time_ms: fixture::NOW_MS,
        })],
    };
    drop(enclave);
    // The client's side: open what came back with the request's key.
    if let Some(request) = request {
        for response in &responses {
            if let EnclaveResponse::Executed { response, .. }
            | EnclaveResponse::Answer { response } = response
            {
                let _ = request.open_response(response);
            }
        }
    }
}

/// A signed request with a fixed nonce and response key, valid for five minutes
/// from [`fixture::NOW_MS`].
pub(crate) fn fresh_request(purpose: Purpose, body: Body) -> SignedRequest {
    SignedRequest {
        purpose,
        nonce: vec![0x11; 24],
        not_after_ms: fixture::NOW_MS + 300_000,
        response_key: Zeroizing::new([0x22; 32]),
        body,
    }
}

/// An object authorization's body from `data`: an [`ObjectPurpose`] as JSON, a NUL
/// byte and the location, for the fixture's node.
fn object_body(data: &[u8]) -> Option<Body> {
    let split = data.iter().position(|&b| b == 0)?;
    let purpose: ObjectPurpose = serde_json::from_slice(&data[..split]).ok()?;
    let location = String::from_utf8(data[split + 1..].to_vec()).ok()?;
    Some(Body::Object {
        purpose,
        location,
        node: fixture::NODE,
    })
}

/// Seals `plaintext` to the core's transaction key as a client seals an envelope, in
/// the framing of a real sealed request (whose prefix is taken from one).
fn seal_plaintext(core: &CoreFixture, purpose: Purpose, plaintext: &[u8]) -> Option<Vec<u8>> {
    let key = PublicKey::from_bytes(
        KemId::DhKemX25519HkdfSha256,
        &core.public_keys.transaction_key,
    )
    .ok()?;
    let info = match purpose {
        Purpose::Query => QUERY_INFO,
        Purpose::Transaction => TRANSACTION_INFO,
    };
    let (enc, ciphertext) = hpke::seal(Suite::default(), &key, info, &[], plaintext, None).ok()?;
    let mut sealed = sealed_prefix(core).to_vec();
    sealed.extend_from_slice(&enc);
    sealed.extend_from_slice(&ciphertext);
    Some(sealed)
}

/// The bytes a real sealed request has before the HPKE `enc` (its framing).
fn sealed_prefix(core: &CoreFixture) -> &'static [u8] {
    static PREFIX: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PREFIX.get_or_init(|| {
        // Setup: the fixture's key is an X25519 key and its members can sign.
        let key = PublicKey::from_bytes(
            KemId::DhKemX25519HkdfSha256,
            &core.public_keys.transaction_key,
        )
        .expect("setup: the fixture's transaction key is an X25519 key");
        let envelope = fixture::identities()
            .alice
            .sign(b"prefix".to_vec())
            .expect("setup: a member signs a short payload");
        let plaintext_len = envelope
            .to_bytes()
            .expect("setup: a short envelope encodes")
            .len();
        let sealed = seal_envelope(&core.public_keys.transaction_key, Purpose::Query, &envelope)
            .expect("setup: sealing to the fixture's key works");
        // `enc` has a fixed length and the ciphertext is the plaintext and a tag: the
        // overhead of sealing nothing.
        let (enc, tag) = hpke::seal(Suite::default(), &key, QUERY_INFO, &[], &[], None)
            .expect("setup: sealing to the fixture's key works");
        let prefix_len = sealed.len() - plaintext_len - enc.len() - tag.len();
        sealed[..prefix_len].to_vec()
    })
}

/// `EnclaveRequest::from_bytes` and `EnclaveResponse::from_bytes` (the JSON across
/// the host–core boundary). A message that parses survives a round trip; a request
/// that parses is also handled by a real core (restored to just after genesis), and
/// its response survives a round trip.
pub fn enclave_message(data: &[u8]) {
    if let Ok(response) = EnclaveResponse::from_bytes(data) {
        assert_eq!(
            EnclaveResponse::from_bytes(&response.to_bytes()).ok(),
            Some(response),
            "an enclave response survives a round trip"
        );
    }
    let Ok(request) = EnclaveRequest::from_bytes(data) else {
        return;
    };
    assert_eq!(
        EnclaveRequest::from_bytes(&request.to_bytes())
            .ok()
            .as_ref(),
        Some(&request),
        "an enclave request survives a round trip"
    );
    let response = fixture::core().restored().handle(request);
    assert_eq!(
        EnclaveResponse::from_bytes(&response.to_bytes()).ok(),
        Some(response),
        "a core's response survives a round trip"
    );
}
