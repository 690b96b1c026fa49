//! `GET /v1/attestation?nonce=HEX`: the core's evidence over the service keys, the
//! endpoint key and the client's nonce (a recovering node answers with its recovery
//! evidence instead: see `recovery`).

use std::ops::RangeInclusive;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use strongroom_api_types::Attestation;
use strongroom_enclave::request::{MAX_NONCE_LEN, MIN_NONCE_LEN};

use super::AppState;
use super::errors::ApiError;

/// How many bytes the attestation nonce has: the bounds of a request's nonce.
pub const NONCE_BYTES: RangeInclusive<usize> = MIN_NONCE_LEN..=MAX_NONCE_LEN;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NonceQuery {
    nonce: String,
}

/// The nonce's bytes if it is lowercase hex of [`NONCE_BYTES`] bytes.
fn nonce_bytes(nonce: &str) -> Option<Vec<u8>> {
    let lowercase = nonce
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let bytes = hex::decode(nonce).ok()?;
    (lowercase && NONCE_BYTES.contains(&bytes.len())).then_some(bytes)
}

/// The nonce of `?nonce=HEX`, as sent and as bytes; 400 naming what is expected.
pub(super) fn nonce(
    query: Result<Query<NonceQuery>, QueryRejection>,
) -> Result<(String, Vec<u8>), ApiError> {
    let expected = format!(
        "expected ?nonce=HEX, {} to {} bytes in lowercase hex",
        NONCE_BYTES.start(),
        NONCE_BYTES.end()
    );
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query string: {e} ({expected})")))?;
    let nonce = nonce_bytes(&query.nonce)
        .ok_or_else(|| ApiError::bad_request(format!("nonce: {expected}")))?;
    Ok((query.nonce, nonce))
}

pub(super) async fn attestation(
    State(state): State<Arc<AppState>>,
    query: Result<Query<NonceQuery>, QueryRejection>,
) -> Result<Json<Attestation>, ApiError> {
    let (nonce_hex, nonce) = nonce(query)?;
    let (evidence, keys, key_release_key) =
        state.node.evidence(nonce).map_err(ApiError::internal)?;
    Ok(Json(Attestation {
        platform: evidence.platform.to_string(),
        insecure: state.node.insecure(),
        evidence: evidence.bytes,
        nonce: nonce_hex,
        signing_key: hex::encode(&keys.signing_key),
        transaction_key: hex::encode(&keys.transaction_key),
        key_release_key: hex::encode(key_release_key),
        endpoint_key_sha256: hex::encode(state.node.endpoint().unwrap_or([0; 32])),
        recovery_key: None,
        collateral: state.node.collateral(),
    }))
}
