//! Governance as members send it: proposals, votes and questions, through a real core.

use strongroom_enclave::governance::{GovernanceInvocation, GovernanceQuery};
use strongroom_enclave::request::{Body, Purpose, seal_envelope};
use strongroom_enclave::{EnclaveRequest, EnclaveResponse};

use crate::fixture;
use crate::request::fresh_request;

/// The most steps one input runs.
const MAX_STEPS: usize = 4;

/// Up to four steps separated by NUL bytes, run in turn by one core (restored to just
/// after genesis for each input), so that a proposal can be voted on, carried and
/// asked about. Each step is a control byte and governance JSON; the control byte
/// chooses:
///
/// - bits 0–1: the member who signs (Org1's owner and admin, Org2's analyst and
///   admin);
/// - bit 2: asked as a query (else executed as a transaction, one ledger second after
///   the step before);
/// - bit 3: the nonce of the step before (a replay; else a fresh one).
///
/// Keys are random per process, so two placeholders in the JSON stand for them:
/// `$bob` for the SHA-256 of Org2's analyst's certificate and `$org3` for Org3's root
/// CA certificate (PEM, escaped for a JSON string).
///
/// The JSON is also parsed as a [`GovernanceInvocation`] and a [`GovernanceQuery`]:
/// what parses survives a round trip. The member opens whatever the core answers.
pub fn governance(data: &[u8]) {
    let core = fixture::core();
    let ids = fixture::identities();
    let mut enclave = core.restored();
    let mut nonce = 0u8;
    for (step, part) in data.split(|&b| b == 0).take(MAX_STEPS).enumerate() {
        let Some((&control, json)) = part.split_first() else {
            continue;
        };
        let json = expand(json);
        let json = json.as_slice();
        round_trips(json);
        let query = control & 0b100 != 0;
        if control & 0b1000 == 0 {
            nonce = nonce.wrapping_add(1);
        }
        let purpose = if query {
            Purpose::Query
        } else {
            Purpose::Transaction
        };
        let mut request = fresh_request(purpose, Body::Governance(json.to_vec()));
        request.nonce = vec![nonce; 24];
        let Ok(envelope) = ids.member(control & 0b11).sign(request.encode()) else {
            continue;
        };
        let Ok(sealed) = seal_envelope(&core.public_keys.transaction_key, purpose, &envelope)
        else {
            continue;
        };
        let offset = step as u64;
        let response = if query {
            enclave.handle(EnclaveRequest::Query {
                envelope: sealed,
                host_time_ms: fixture::NOW_MS + 1000 * (offset + 1),
            })
        } else {
            enclave.handle(EnclaveRequest::Execute {
                ctx: core.next_ctx(offset),
                payload: sealed,
            })
        };
        if let EnclaveResponse::Executed { response, .. } | EnclaveResponse::Answer { response } =
            &response
        {
            let _ = request.open_response(response);
        }
    }
}

/// `json` with the placeholders replaced (see [`governance`]).
fn expand(json: &[u8]) -> Vec<u8> {
    static VALUES: std::sync::OnceLock<[(&[u8], Vec<u8>); 2]> = std::sync::OnceLock::new();
    let values = VALUES.get_or_init(|| {
        let ids = fixture::identities();
        let bob = hex::encode(strongroom_identity::fingerprint(ids.bob.cert_der()));
        let org3 = strongroom_enclave::Organization::from_der("Org3MSP", ids.org3.cert_der())
            .map(|org| org.ca_cert_pem)
            .unwrap_or_default();
        let org3 = serde_json::to_string(&org3).unwrap_or_default();
        let org3 = org3.trim_matches('"').as_bytes().to_vec();
        [(b"$bob", bob.into_bytes()), (b"$org3", org3)]
    });
    let mut out = json.to_vec();
    for (placeholder, value) in values {
        let mut replaced = Vec::with_capacity(out.len());
        let mut rest = out.as_slice();
        while let Some(at) = rest
            .windows(placeholder.len())
            .position(|w| w == *placeholder)
        {
            replaced.extend_from_slice(&rest[..at]);
            replaced.extend_from_slice(value);
            rest = &rest[at + placeholder.len()..];
        }
        replaced.extend_from_slice(rest);
        out = replaced;
    }
    out
}

/// A governance invocation or query that parses survives a round trip.
fn round_trips(json: &[u8]) {
    if let Ok(invocation) = serde_json::from_slice::<GovernanceInvocation>(json) {
        let again = serde_json::to_vec(&invocation)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<GovernanceInvocation>(&bytes).ok());
        assert_eq!(
            again.as_ref(),
            Some(&invocation),
            "a governance invocation survives a round trip"
        );
    }
    if let Ok(query) = serde_json::from_slice::<GovernanceQuery>(json) {
        let again = serde_json::to_vec(&query)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<GovernanceQuery>(&bytes).ok());
        assert_eq!(
            again.as_ref(),
            Some(&query),
            "a governance query survives a round trip"
        );
    }
}
