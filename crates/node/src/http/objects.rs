//! `PUT /v1/objects/{location}` and `GET /v1/objects/{location}`: encrypted objects,
//! each access authorized by the core for a member the contract entitles.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use strongroom_api_types::{DOWNLOAD_HEADER, Stored, UPLOAD_HEADER};
use strongroom_contract::ObjectAccess;

use super::AppState;
use super::errors::{ApiError, ErrorCode};
use super::input::{authorization, require_media_type};
use crate::error::NodeError;
use crate::service::ObjectAuthorization;

/// The location of the path, if it is one the store accepts (400 otherwise): checked
/// before anything else, it says nothing about what is stored.
fn location(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(location) = path.map_err(|e| ApiError::bad_request(format!("path: {e}")))?;
    strongroom_store::validate_location(&location)?;
    Ok(location)
}

/// Checks the authorization of `access` to the object at `location` in its header
/// (the core opens it, checks the signer, its freshness and node, and asks the
/// contract whether the signer is entitled), before anything looks at the store.
/// 401 `unauthorized`, naming what was wrong, without a valid authorization for this
/// very location; 404 `not_found` for a member the contract does not entitle: the same
/// answer, byte for byte, whether or not an object exists at the location.
async fn authorize_object(
    state: &AppState,
    headers: &HeaderMap,
    access: ObjectAccess,
    location: &str,
) -> Result<ObjectAuthorization, ApiError> {
    let (method, name, what) = match access {
        ObjectAccess::Read => ("GET", DOWNLOAD_HEADER, "a download"),
        ObjectAccess::Write => ("PUT", UPLOAD_HEADER, "an upload"),
    };
    let unauthorized =
        |why: String| ApiError::unauthorized(format!("{method} /v1/objects/{location}: {why}"));
    let sealed = authorization(headers, name, what).map_err(unauthorized)?;
    let node = state.node.clone();
    let authorized = tokio::task::spawn_blocking(move || node.authorize_object(access, sealed))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            NodeError::Unauthorized(why) => unauthorized(why),
            // The same bytes for every location: not even the path is echoed.
            NodeError::NotFoundOrDenied => ApiError::new(
                ErrorCode::NotFound,
                format!("{method} /v1/objects: not found or not allowed"),
            ),
            other => other.into(),
        })?;
    if authorized.location != location {
        return Err(unauthorized(format!(
            "the {name} authorization is for another location"
        )));
    }
    Ok(authorized)
}

pub(super) async fn put_object(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Stored>, ApiError> {
    let location = location(path)?;
    require_media_type(&headers, "application/octet-stream")?;
    let authorized = authorize_object(&state, &headers, ObjectAccess::Write, &location).await?;
    let stream = body.into_data_stream();
    let stored = state
        .node
        .store()
        .put(&location, stream, state.limits.max_object_bytes)
        .await?;
    state
        .metrics
        .uploaded_bytes
        .fetch_add(stored.size, Ordering::Relaxed);
    tracing::info!(
        location,
        size = stored.size,
        msp_id = authorized.msp_id,
        member = authorized.name,
        "object stored"
    );
    Ok(Json(Stored {
        location: stored.location,
        size: stored.size,
        sha256: hex::encode(stored.sha256),
    }))
}

pub(super) async fn get_object(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let location = location(path)?;
    // Authorized first: whoever is not entitled must not learn whether an object exists.
    let authorized = authorize_object(&state, &headers, ObjectAccess::Read, &location).await?;
    let (size, stream) = state.node.store().get(&location).await?;
    tracing::info!(
        location,
        size,
        msp_id = authorized.msp_id,
        member = authorized.name,
        dataset = authorized.dataset.as_deref().unwrap_or_default(),
        purpose = ?authorized.purpose,
        "object served"
    );
    let stream = stream.map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string())));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
