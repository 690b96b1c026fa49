//! `GET /healthz` and `GET /metrics`: for operators, on the API listener or on a
//! separate local one (`ops_listen`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use strongroom_api_types::Health;

use super::AppState;

/// The content type of `/metrics`: the Prometheus text format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";

pub(super) async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    let node = &state.node;
    Json(Health {
        status: "ok".into(),
        leader: node.is_leader(),
        ledger_sequence: node
            .ledger()
            .head()
            .ok()
            .flatten()
            .map_or(0, |h| h.sequence),
        insecure_simulation: node.insecure(),
    })
}

pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let text = state.metrics.render(&state.node);
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response()
}
