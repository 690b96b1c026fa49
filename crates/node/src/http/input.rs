//! Reading what a request carries, with the limits the OpenAPI document states: JSON
//! bodies (size, content type, fields), media types, and the sealed authorizations
//! in headers.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use strongroom_api_types::b64;

use super::errors::{ApiError, ErrorCode};

/// Longest authorization header value (`x-strongroom-download`, `x-strongroom-upload`,
/// `x-strongroom-export`), in base64 characters: 6 KiB sealed, several times what a
/// member's authorization takes (its certificate, a location of at most 512 bytes and a
/// signature), and well inside the 16 KiB of headers HTTP/2 peers accept by default.
pub const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

/// How much of an oversized body is read (and dropped) before answering 413.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// How long reading an oversized body's rest may take before answering 413.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Whether the request's `Content-Type` is `media_type` (parameters such as `charset`
/// allowed, case-insensitive); 415 `unsupported_media_type` otherwise.
pub fn require_media_type(headers: &HeaderMap, media_type: &str) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim());
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(media_type) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("request body must be {media_type} (Content-Type: {media_type})"),
        )),
    }
}

/// Reads a JSON body of at most `limit` bytes: 413 when larger (announced or not), 415
/// when not `application/json`, 400 naming the field at fault when it does not decode.
pub async fn read_json<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    headers: &HeaderMap,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body larger than {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        // An HTTP/1.1 client reads the answer only after sending its body: read a
        // bounded amount of it, so that it sees the 413 rather than a broken pipe.
        if len <= DRAIN_LIMIT {
            let _ = tokio::time::timeout(DRAIN_TIME, collect_bounded(body, 0)).await;
        }
        return Err(too_large());
    }
    require_media_type(headers, "application/json").map_err(|_| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "request body must be JSON (Content-Type: application/json)",
        )
    })?;
    let bytes = collect_bounded(body, limit).await?.ok_or_else(too_large)?;
    decode_json(&bytes)
}

/// Decodes a JSON body; the error names the field at fault (`request body: request:
/// invalid base64 ...`) as well as the line and column.
fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::bad_request(format!("request body: {inner}"))
        } else {
            ApiError::bad_request(format!("request body: {path}: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
    Ok(value)
}

/// The body if it is at most `limit` bytes; `None` if it is larger, after reading up
/// to [`DRAIN_LIMIT`] bytes of it (within [`DRAIN_TIME`]) so that the client can
/// read the answer.
async fn collect_bounded(body: Body, limit: usize) -> Result<Option<Vec<u8>>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut seen = 0u64;
    let mut over = false;
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    loop {
        let next = if over {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(next) => next,
                Err(_) => break,
            }
        } else {
            stream.next().await
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("request body: {e}")))?;
        seen += chunk.len() as u64;
        if over {
            if seen > DRAIN_LIMIT {
                break;
            }
        } else if bytes.len() + chunk.len() > limit {
            over = true;
            bytes = Vec::new();
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((!over).then_some(bytes))
}

/// The sealed authorization in header `name`: base64 of at most
/// [`MAX_AUTHORIZATION_LEN`] characters. The error says what is missing or wrong (the
/// caller answers it with 401).
pub fn authorization(headers: &HeaderMap, name: &str, what: &str) -> Result<Vec<u8>, String> {
    let value = headers
        .get(name)
        .ok_or_else(|| format!("no {name} header: {what} needs a member's signed authorization"))?;
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(format!(
            "{name} header: {} characters, more than {MAX_AUTHORIZATION_LEN}",
            value.len()
        ));
    }
    HeaderValue::to_str(value)
        .map_err(|e| e.to_string())
        .and_then(b64::decode)
        .map_err(|e| format!("{name} header: {e}"))
}
