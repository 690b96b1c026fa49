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

pub(super) async fn query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answered>, ApiError> {
    let submit: Submit = read_json(body, state.limits.max_body_bytes, &headers).await?;
    let request = sealed(submit)?;
    let node = state.node.clone();
    let response = tokio::task::spawn_blocking(move || node.query(request))
        .await
        .map_err(ApiError::internal)??;
    state.metrics.queries.fetch_add(1, Ordering::Relaxed);
    Ok(Json(Answered { response }))
}
