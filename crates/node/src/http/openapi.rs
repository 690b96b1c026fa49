//! The OpenAPI 3.1 document (`openapi.json` beside this file), served at
//! `/v1/openapi.json` with this node's settings filled in: its body and object limits,
//! and whether `/healthz` and `/metrics` are on the API listener.
//!
//! The file states the defaults; the tests below hold its every limit to the constant
//! the node enforces, and its routes to the router's.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{AppState, Limits, OpsRoutes};

/// The OpenAPI document as written, with the default settings.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Standard base64 with padding, canonical (the unused bits of the last character are
/// zero), as the node decodes it: the `pattern` of every base64 value in the document.
pub const BASE64_PATTERN: &str =
    "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)?$";

/// What a [`strongroom_api_types::Submit`] body takes besides its `request`, written
/// compactly: `{"request":""}`.
const SUBMIT_OVERHEAD: usize = r#"{"request":""}"#.len();

/// Where the settings go in the document (JSON pointers).
const MAX_BODY_POINTERS: [&str; 3] = [
    "/paths/~1v1~1transactions/post/requestBody/x-strongroom-max-body-bytes",
    "/paths/~1v1~1queries/post/requestBody/x-strongroom-max-body-bytes",
    "/paths/~1v1~1recovery~1shares/post/requestBody/x-strongroom-max-body-bytes",
];
const MAX_OBJECT_POINTER: &str =
    "/paths/~1v1~1objects~1{location}/put/requestBody/x-strongroom-max-object-bytes";
const REQUEST_MAX_LEN_POINTER: &str = "/components/schemas/Submit/properties/request/maxLength";
const OPS_PATHS: [&str; 2] = ["/healthz", "/metrics"];

/// The longest `request` a body of at most `max_body_bytes` holds: the base64 of the
/// core's limit, or less when the body limit is smaller (whole base64 quanta).
pub fn max_request_len(max_body_bytes: usize) -> usize {
    let fits = max_body_bytes.saturating_sub(SUBMIT_OVERHEAD) / 4 * 4;
    super::MAX_SEALED_BASE64_LEN.min(fits)
}

/// The document this node serves: [`OPENAPI`] with `limits`, and without `/healthz`
/// and `/metrics` when they have their own listener.
pub fn document(limits: &Limits, ops: OpsRoutes) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(OPENAPI) else {
        // Cannot happen: the tests parse the file. Serve it as written.
        return OPENAPI.to_owned();
    };
    let mut set = |pointer: &str, value: Value| {
        if let Some(slot) = document.pointer_mut(pointer) {
            *slot = value;
        }
    };
    for pointer in MAX_BODY_POINTERS {
        set(pointer, limits.max_body_bytes.into());
    }
    set(MAX_OBJECT_POINTER, limits.max_object_bytes.into());
    set(
        REQUEST_MAX_LEN_POINTER,
        max_request_len(limits.max_body_bytes).into(),
    );
    if ops == OpsRoutes::Separate
        && let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut)
    {
        for path in OPS_PATHS {
            paths.remove(path);
        }
    }
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| OPENAPI.to_owned())
}

pub(super) async fn serve(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests;
