//! The API of a recovering node (see `crate::recovery`): `GET /v1/attestation` with
//! the recovery evidence, `POST /v1/recovery/shares`, and the OpenAPI document; every
//! other path is 503 `unavailable`. On a running node `POST /v1/recovery/shares` is
//! 404 `not_found`: it holds the secrets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use strongroom_api_types::{Attestation, RecoveryProgress, SubmitShare};
use strongroom_enclave::recovery::MAX_WRAPPED_SHARE_LEN;

use super::attestation::{NonceQuery, nonce};
use super::errors::{ApiError, ErrorCode};
use super::input::read_json;
use super::{Limits, OpsRoutes, RateLimiter, document, method_not_allowed};
use crate::recovery::Recovery;

/// Longest `share` of a [`SubmitShare`], in base64 characters: that of the core's
/// limit ([`MAX_WRAPPED_SHARE_LEN`]).
pub const MAX_SHARE_BASE64_LEN: usize = MAX_WRAPPED_SHARE_LEN.div_ceil(3) * 4;

/// What the recovery routes share.
struct RecoveryApp {
    recovery: Arc<Recovery>,
    limits: Limits,
    limiter: RateLimiter,
    openapi: String,
}

/// The router of a recovering node.
pub(crate) fn recovery_router(recovery: Arc<Recovery>, limits: Limits) -> Router {
    let app = Arc::new(RecoveryApp {
        recovery,
        limiter: RateLimiter {
            rate: f64::from(limits.rate_per_second),
            burst: f64::from(limits.rate_burst),
            buckets: Mutex::new(HashMap::new()),
        },
        openapi: document(&limits, OpsRoutes::OnApi),
        limits,
    });
    Router::new()
        .route("/v1/attestation", get(attestation))
        .route("/v1/recovery/shares", post(submit))
        .route("/v1/openapi.json", get(openapi))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(recovering)
        .layer(middleware::from_fn_with_state(app.clone(), limit))
        .with_state(app)
}

async fn limit(
    State(app): State<Arc<RecoveryApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if app.limiter.allow(peer.ip()) {
        next.run(request).await
    } else {
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "more than {} requests per second from {}; retry later",
                app.limits.rate_per_second,
                peer.ip()
            ),
        )
        .into_response()
    }
}

async fn recovering(method: Method, request: Request) -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        format!(
            "{method} {}: this node is recovering the service secrets from members' shares and \
             serves only GET /v1/attestation and POST /v1/recovery/shares until it holds them",
            request.uri().path()
        ),
    )
}

async fn openapi(State(app): State<Arc<RecoveryApp>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        app.openapi.clone(),
    )
        .into_response()
}

async fn attestation(
    State(app): State<Arc<RecoveryApp>>,
    query: Result<Query<NonceQuery>, QueryRejection>,
) -> Result<Json<Attestation>, ApiError> {
    let (nonce_hex, nonce) = nonce(query)?;
    let attested = app.recovery.evidence(nonce)?;
    Ok(Json(Attestation {
        platform: attested.evidence.platform.to_string(),
        insecure: app.recovery.insecure(),
        evidence: attested.evidence.bytes,
        nonce: nonce_hex,
        signing_key: hex::encode(&attested.public_keys.signing_key),
        transaction_key: hex::encode(&attested.public_keys.transaction_key),
        key_release_key: String::new(),
        endpoint_key_sha256: hex::encode(attested.endpoint),
        recovery_key: Some(hex::encode(attested.recovery_key)),
        collateral: app.recovery.collateral().cloned(),
    }))
}

async fn submit(
    State(app): State<Arc<RecoveryApp>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<RecoveryProgress>, ApiError> {
    let submitted: SubmitShare = read_json(body, app.limits.max_body_bytes, &headers).await?;
    if submitted.share.is_empty() {
        return Err(ApiError::bad_request("share: empty"));
    }
    if submitted.share.len() > MAX_WRAPPED_SHARE_LEN {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "share: {} bytes, more than the {MAX_WRAPPED_SHARE_LEN} of a wrapped share",
                submitted.share.len()
            ),
        ));
    }
    let recovery = app.recovery.clone();
    let progress = tokio::task::spawn_blocking(move || recovery.submit(submitted.share))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(progress))
}

/// `POST /v1/recovery/shares` on a node that holds the secrets.
pub(super) async fn not_recovering() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "this node is not recovering: it holds the service secrets and needs no share",
    )
}
