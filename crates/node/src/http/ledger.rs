//! `GET /v1/receipts/{sequence}` and `GET /v1/ledger/export`: what the ledger proves.

use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use strongroom_api_types::EXPORT_HEADER;
use strongroom_ledger::ReceiptError;

use super::AppState;
use super::errors::{ApiError, ErrorCode};
use super::input::authorization;
use crate::error::NodeError;

/// A ledger sequence number in a path or a query: decimal digits of a `u64` of at
/// least 1 (the first entry is 1).
fn sequence_number(name: &str, text: &str) -> Result<u64, ApiError> {
    let number = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n >= 1);
    number.ok_or_else(|| {
        ApiError::bad_request(format!(
            "{name} {text:?}: expected a ledger sequence number, 1 to {}",
            u64::MAX
        ))
    })
}

pub(super) async fn receipt(
    State(state): State<Arc<AppState>>,
    sequence: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(sequence) = sequence.map_err(|e| ApiError::bad_request(format!("path: {e}")))?;
    let sequence = sequence_number("sequence", &sequence)?;
    let node = state.node.clone();
    let receipt = tokio::task::spawn_blocking(move || node.receipts().issue(sequence))
        .await
        .map_err(ApiError::internal)?;
    match receipt {
        Ok(receipt) => {
            let json = receipt.encode().map_err(ApiError::internal)?;
            Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
        }
        Err(ReceiptError::NotCovered { .. }) => Err(ApiError::new(
            ErrorCode::NotCovered,
            format!(
                "no receipt for entry {sequence} yet: it does not exist or no signature entry covers it yet (retry shortly)"
            ),
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Writes into a channel, for streaming a blocking writer's output as a body.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= 256 * 1024 {
            self.flush()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

/// The export of the entries `from..=to` that exist (none when `from` > `to`), for a
/// member's signed authorization in the [`EXPORT_HEADER`].
pub(super) async fn export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query string: {e} (from, to)")))?;
    let from = query
        .from
        .map_or(Ok(1), |from| sequence_number("from", &from))?;
    let to = query
        .to
        .map_or(Ok(u64::MAX), |to| sequence_number("to", &to))?;
    let unauthorized =
        |why: String| ApiError::unauthorized(format!("GET /v1/ledger/export: {why}"));
    let sealed = authorization(&headers, EXPORT_HEADER, "an export").map_err(unauthorized)?;
    let node = state.node.clone();
    let (msp_id, member) = tokio::task::spawn_blocking(move || node.authorize_export(sealed))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            NodeError::Unauthorized(why) => unauthorized(why),
            other => other.into(),
        })?;
    tracing::info!(from, to, msp_id, member, "ledger exported");
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let node = state.node.clone();
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            sender: sender.clone(),
            buffer: Vec::new(),
        };
        let result = node
            .ledger()
            .export(from..=to, &mut writer)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|_| writer.flush());
        if let Err(e) = result {
            // Ends the body with an error: the client sees a broken transfer, never a
            // short export that looks whole (the export format is also self-checking).
            let _ = sender.blocking_send(Err(e));
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(receiver_stream(receiver)),
    )
        .into_response())
}

fn receiver_stream(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
