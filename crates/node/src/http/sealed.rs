//! `POST /v1/transactions` and `POST /v1/queries`: sealed requests, ordered or
//! answered by the core.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use strongroom_api_types::{Answered, Submit, Submitted};
use strongroom_enclave::request::MAX_REQUEST_LEN;

use super::AppState;
use super::errors::{ApiError, ErrorCode};
use super::input::read_json;

/// Longest `request` of a [`Submit`], in base64 characters: that of a sealed request of
/// the core's limit ([`MAX_REQUEST_LEN`], 1 MiB). Longer ones are refused at the edge
/// (413), before anything is ordered.
pub const MAX_SEALED_BASE64_LEN: usize = MAX_REQUEST_LEN.div_ceil(3) * 4;

/// The sealed request of a body: not empty (400), and not longer than
/// [`MAX_SEALED_BASE64_LEN`] characters (413).
fn sealed(submit: Submit) -> Result<Vec<u8>, ApiError> {
    if submit.request.is_empty() {
        return Err(ApiError::bad_request("request: empty"));
    }
    let chars = submit.request.len().div_ceil(3) * 4;
    if chars > MAX_SEALED_BASE64_LEN {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "request: {chars} base64 characters, more than the {MAX_SEALED_BASE64_LEN} of a sealed request of {MAX_REQUEST_LEN} bytes (the core's limit)"
            ),
        ));
    }
    Ok(submit.request)
}

pub(super) async fn transaction(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Submitted>, ApiError> {
    let started = Instant::now();
    let submit: Submit = read_json(body, state.limits.max_body_bytes, &headers).await?;
    let applied = state.node.submit(sealed(submit)?).await?;
    state.metrics.record_transaction(started.elapsed());
    Ok(Json(Submitted {
        sequence: applied.sequence,
        response: applied.response,
    }))
}

/// The header of a query that names the last ledger entry its client saw committed.
pub const MIN_SEQUENCE_HEADER: &str = "strongroom-min-sequence";

/// The [`MIN_SEQUENCE_HEADER`] of `headers`, if any (400 if it is not a u64).
fn min_sequence(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(MIN_SEQUENCE_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "header Strongroom-Min-Sequence: expected a ledger sequence number (an integer from 0 to 2^64-1)",
            )
        })
}

pub(super) async fn query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answered>, ApiError> {
    let wanted = min_sequence(&headers)?;
    let submit: Submit = read_json(body, state.limits.max_body_bytes, &headers).await?;
    let request = sealed(submit)?;
    // Read-your-writes across nodes: never answer from a state older than what the
    // client has seen. Refused at once rather than waited for, so that a made-up
    // sequence costs the node nothing; the client retries.
    if let Some(wanted) = wanted {
        let applied = state.node.durable_sequence().unwrap_or(0);
        if applied < wanted {
            return Err(ApiError::new(
                ErrorCode::Behind,
                format!(
                    "this node has applied the ledger up to entry {applied}, not yet entry {wanted} (Strongroom-Min-Sequence); retry here or at another node"
                ),
            ));
        }
    }
    let node = state.node.clone();
    let response = tokio::task::spawn_blocking(move || node.query(request))
        .await
        .map_err(ApiError::internal)??;
    state.metrics.queries.fetch_add(1, Ordering::Relaxed);
    Ok(Json(Answered { response }))
}
