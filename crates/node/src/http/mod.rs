//! The HTTPS API (axum over rustls). See `strongroom-api-types` for the bodies and
//! `docs/api.md` for the behaviour; the OpenAPI document is served at
//! `/v1/openapi.json`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use strongroom_api_types::{
    Answered, Attestation, DOWNLOAD_HEADER, EXPORT_HEADER, ErrorBody, Health, Stored, Submit,
    Submitted, UPLOAD_HEADER, b64,
};
use strongroom_consensus::ConsensusError;
use strongroom_contract::ObjectAccess;
use strongroom_ledger::ReceiptError;
use strongroom_store::StoreError;

use crate::error::NodeError;
use crate::service::{Node, ObjectAuthorization};

/// The OpenAPI document served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Limits the API enforces.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest JSON request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest uploaded object, in bytes.
    pub max_object_bytes: u64,
    /// Token-bucket refill rate per client, requests per second.
    pub rate_per_second: u32,
    /// Token-bucket size per client.
    pub rate_burst: u32,
}

/// An API error: a status and an [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    error: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, error: impl Into<String>) -> Self {
        Self {
            status,
            code,
            error: error.into(),
        }
    }

    fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", error)
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.into(),
            error: self.error,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ConsensusError> for ApiError {
    fn from(e: ConsensusError) -> Self {
        match e {
            ConsensusError::TooLarge { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                e.to_string(),
            ),
            ConsensusError::NotLeader { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "not_leader", e.to_string())
            }
            ConsensusError::Stopped => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            ),
            other => Self::internal(other),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Consensus(e) => e.into(),
            NodeError::Throttled { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "member_rate_limited",
                e.to_string(),
            ),
            NodeError::Unauthorized(_) => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
            }
            NodeError::NotFoundOrDenied => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            NodeError::BadRequest(_) => Self::bad_request(e.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidLocation { .. } => Self::bad_request(e.to_string()),
            StoreError::Exists { .. } => Self::new(StatusCode::CONFLICT, "exists", e.to_string()),
            StoreError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::TooLarge { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                e.to_string(),
            ),
            StoreError::Interrupted { .. } => Self::bad_request(e.to_string()),
            other => Self::internal(other),
        }
    }
}

/// Request counters and latencies, rendered in the Prometheus text format.
#[derive(Default, Debug)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    transactions: AtomicU64,
    queries: AtomicU64,
    uploaded_bytes: AtomicU64,
    rate_limited: AtomicU64,
    // Transaction latency histogram: bucket upper bounds in milliseconds.
    tx_latency: [AtomicU64; TX_BUCKETS.len() + 1],
    tx_latency_sum_us: AtomicU64,
}

const TX_BUCKETS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0, 1000.0];

impl Metrics {
    fn record_request(&self, route: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((route.to_owned(), status)).or_default() += 1;
    }

    fn record_transaction(&self, elapsed: Duration) {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        let ms = elapsed.as_secs_f64() * 1000.0;
        let bucket = TX_BUCKETS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(TX_BUCKETS.len());
        self.tx_latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.tx_latency_sum_us.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, node: &Node) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP strongroom_http_requests_total HTTP requests by route and status.\n\
             # TYPE strongroom_http_requests_total counter"
        );
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((route, status), count) in requests.iter() {
            let _ = writeln!(
                out,
                "strongroom_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        drop(requests);
        let counters = [
            (
                "transactions_total",
                "Transactions committed.",
                &self.transactions,
            ),
            ("queries_total", "Queries answered.", &self.queries),
            (
                "uploaded_bytes_total",
                "Object bytes stored.",
                &self.uploaded_bytes,
            ),
            (
                "rate_limited_total",
                "Requests refused by the rate limit.",
                &self.rate_limited,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP strongroom_{name} {help}\n# TYPE strongroom_{name} counter\nstrongroom_{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP strongroom_transaction_seconds Time from receipt to commit.\n\
             # TYPE strongroom_transaction_seconds histogram"
        );
        let mut cumulative = 0;
        for (i, bound) in TX_BUCKETS.iter().enumerate() {
            cumulative += self.tx_latency[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "strongroom_transaction_seconds_bucket{{le=\"{}\"}} {cumulative}",
                bound / 1000.0
            );
        }
        cumulative += self.tx_latency[TX_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "strongroom_transaction_seconds_bucket{{le=\"+Inf\"}} {cumulative}\n\
             strongroom_transaction_seconds_sum {}\n\
             strongroom_transaction_seconds_count {cumulative}",
            self.tx_latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let sequence = node
            .ledger()
            .head()
            .ok()
            .flatten()
            .map_or(0, |h| h.sequence);
        let _ = writeln!(
            out,
            "# HELP strongroom_ledger_sequence Last ledger sequence number.\n\
             # TYPE strongroom_ledger_sequence gauge\nstrongroom_ledger_sequence {sequence}\n\
             # HELP strongroom_insecure_simulation 1 when the node runs on the INSECURE SIMULATION platform.\n\
             # TYPE strongroom_insecure_simulation gauge\nstrongroom_insecure_simulation {}",
            u8::from(node.insecure())
        );
        out
    }
}

/// Per-client token buckets.
#[derive(Debug)]
struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    fn allow(&self, client: IpAddr) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            let burst = self.burst;
            let rate = self.rate;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Shared by the handlers.
#[derive(Debug)]
pub struct AppState {
    node: Arc<Node>,
    limits: Limits,
    metrics: Metrics,
    limiter: RateLimiter,
}

/// The API router over `node`.
pub fn router(node: Arc<Node>, limits: Limits) -> Router {
    let state = Arc::new(AppState {
        node,
        limiter: RateLimiter {
            rate: f64::from(limits.rate_per_second),
            burst: f64::from(limits.rate_burst),
            buckets: Mutex::new(HashMap::new()),
        },
        limits,
        metrics: Metrics::default(),
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/attestation", get(attestation))
        .route("/v1/transactions", post(transaction))
        .route("/v1/queries", post(query))
        .route("/v1/receipts/{sequence}", get(receipt))
        .route("/v1/ledger/export", get(export))
        .route("/v1/objects/{*location}", get(get_object).put(put_object))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn observe(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = if state.limiter.allow(peer.ip()) {
        next.run(request).await
    } else {
        state.metrics.rate_limited.fetch_add(1, Ordering::Relaxed);
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "more than {} requests per second from {}; retry later",
                state.limits.rate_per_second,
                peer.ip()
            ),
        )
        .into_response()
    };
    let status = response.status().as_u16();
    state.metrics.record_request(&route, status);
    tracing::debug!(%method, route, status, elapsed_us = started.elapsed().as_micros() as u64, client = %peer, "request");
    response
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {} {}", request.method(), request.uri().path()),
    )
}

async fn read_json<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    headers: &axum::http::HeaderMap,
) -> Result<T, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
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
    match headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes) {
        Some(ct) if ct.starts_with(b"application/json") => {}
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "request body must be JSON (Content-Type: application/json)",
            ));
        }
    }
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

/// How much of an oversized body is read (and dropped) before answering 413.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
/// How long reading an oversized body's rest may take before answering 413.
const DRAIN_TIME: Duration = Duration::from_secs(2);

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

async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
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

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let text = state.metrics.render(&state.node);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NonceQuery {
    nonce: String,
}

async fn attestation(
    State(state): State<Arc<AppState>>,
    query: Result<Query<NonceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Attestation>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(format!(
            "query string: {e} (expected ?nonce=HEX, 16 to 32 bytes)"
        ))
    })?;
    let nonce = hex::decode(&query.nonce)
        .map_err(|e| ApiError::bad_request(format!("nonce: not hex: {e}")))?;
    if !(16..=32).contains(&nonce.len()) {
        return Err(ApiError::bad_request("nonce: must be 16 to 32 bytes"));
    }
    let (evidence, keys) = state.node.evidence(nonce).map_err(ApiError::internal)?;
    Ok(Json(Attestation {
        platform: evidence.platform.to_string(),
        insecure: state.node.insecure(),
        evidence: evidence.bytes,
        nonce: query.nonce,
        signing_key: hex::encode(&keys.signing_key),
        transaction_key: hex::encode(&keys.transaction_key),
        endpoint_key_sha256: hex::encode(state.node.endpoint().unwrap_or([0; 32])),
    }))
}

async fn transaction(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Json<Submitted>, ApiError> {
    let started = Instant::now();
    let submit: Submit = read_json(body, state.limits.max_body_bytes, &headers).await?;
    if submit.request.is_empty() {
        return Err(ApiError::bad_request("request: empty"));
    }
    let applied = state.node.submit(submit.request).await?;
    state.metrics.record_transaction(started.elapsed());
    Ok(Json(Submitted {
        sequence: applied.sequence,
        response: applied.response,
    }))
}

async fn query(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Json<Answered>, ApiError> {
    let submit: Submit = read_json(body, state.limits.max_body_bytes, &headers).await?;
    let node = state.node.clone();
    let response = tokio::task::spawn_blocking(move || node.query(submit.request))
        .await
        .map_err(ApiError::internal)??;
    state.metrics.queries.fetch_add(1, Ordering::Relaxed);
    Ok(Json(Answered { response }))
}

async fn receipt(
    State(state): State<Arc<AppState>>,
    Path(sequence): Path<String>,
) -> Result<Response, ApiError> {
    let sequence: u64 = sequence
        .parse()
        .map_err(|_| ApiError::bad_request(format!("sequence {sequence:?}: not a number")))?;
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
            StatusCode::NOT_FOUND,
            "not_covered",
            format!(
                "no receipt for entry {sequence} yet: it does not exist or no signature entry covers it yet (retry shortly)"
            ),
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    from: Option<u64>,
    to: Option<u64>,
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

async fn export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query string: {e} (from, to)")))?;
    let from = query.from.unwrap_or(1).max(1);
    let to = query.to.unwrap_or(u64::MAX);
    if from > to {
        return Err(ApiError::bad_request("from: must not exceed to"));
    }
    let unauthorized = |why: String| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("GET /v1/ledger/export: {why}"),
        )
    };
    let sealed = header_bytes(&headers, EXPORT_HEADER, "an export").map_err(unauthorized)?;
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
    let stream = tokio_stream(receiver);
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::from_stream(stream),
    )
        .into_response())
}

fn tokio_stream(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

/// The sealed request in header `name`, base64; says what is missing or wrong.
fn header_bytes(headers: &HeaderMap, name: &str, what: &str) -> Result<Vec<u8>, String> {
    let value = headers
        .get(name)
        .ok_or_else(|| format!("no {name} header: {what} needs a member's signed authorization"))?;
    value
        .to_str()
        .map_err(|e| e.to_string())
        .and_then(b64::decode)
        .map_err(|e| format!("{name} header: {e}"))
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
    let unauthorized = |why: String| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("{method} /v1/objects/{location}: {why}"),
        )
    };
    let sealed = header_bytes(headers, name, what).map_err(unauthorized)?;
    let node = state.node.clone();
    let authorized = tokio::task::spawn_blocking(move || node.authorize_object(access, sealed))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            NodeError::Unauthorized(why) => unauthorized(why),
            NodeError::NotFoundOrDenied => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{method} /v1/objects/{location}: not found or not allowed"),
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

async fn put_object(
    State(state): State<Arc<AppState>>,
    Path(location): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Stored>, ApiError> {
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

async fn get_object(
    State(state): State<Arc<AppState>>,
    Path(location): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
