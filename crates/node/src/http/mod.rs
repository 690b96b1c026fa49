//! The HTTPS API (axum over rustls). See `strongroom-api-types` for the bodies and
//! `docs/api.md` for the behaviour; the OpenAPI document, served at
//! `/v1/openapi.json`, states every route, parameter, header, body and limit the node
//! enforces.
//!
//! | module | what |
//! |---|---|
//! | `attestation` | `GET /v1/attestation` |
//! | `sealed` | `POST /v1/transactions`, `POST /v1/queries` |
//! | `ledger` | `GET /v1/receipts/{sequence}`, `GET /v1/ledger/export` |
//! | `objects` | `PUT` and `GET /v1/objects/{location}` |
//! | `recovery` | `POST /v1/recovery/shares`, and the whole API of a recovering node |
//! | `ops` | `GET /healthz`, `GET /metrics` (on their own listener with `ops_listen`) |
//! | `openapi` | the document, rendered with the node's limits |
//! | `input` | JSON bodies, media types, authorization headers, and their limits |
//! | `errors` | [`ApiError`] and its [`ErrorCode`]s |
//! | `metrics` | the counters behind `/metrics` |

mod attestation;
mod errors;
mod input;
mod ledger;
mod metrics;
mod objects;
mod openapi;
mod ops;
mod recovery;
mod sealed;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

pub use attestation::NONCE_BYTES;
pub use errors::{ApiError, ErrorCode};
pub use input::MAX_AUTHORIZATION_LEN;
pub use metrics::Metrics;
pub use openapi::{BASE64_PATTERN, OPENAPI, document, max_request_len};
pub use ops::METRICS_CONTENT_TYPE;
pub use recovery::MAX_SHARE_BASE64_LEN;
pub(crate) use recovery::recovery_router;
pub use sealed::MAX_SEALED_BASE64_LEN;

use crate::service::Node;
use crate::settings::NodeSettings;

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

impl Limits {
    /// The limits `settings` set.
    pub fn of(settings: &NodeSettings) -> Self {
        Self {
            max_body_bytes: settings.max_body_bytes,
            max_object_bytes: settings.max_object_bytes,
            rate_per_second: settings.rate_per_second,
            rate_burst: settings.rate_burst,
        }
    }
}

/// Where `/healthz` and `/metrics` are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpsRoutes {
    /// On the API listener, beside `/v1/...` (the default).
    OnApi,
    /// On a listener of their own (`ops_listen`); the API listener answers 404.
    Separate,
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

/// Shared by the handlers of both listeners.
#[derive(Debug)]
pub struct AppState {
    node: Arc<Node>,
    limits: Limits,
    metrics: Metrics,
    limiter: RateLimiter,
    /// The OpenAPI document with this node's limits and routes.
    openapi: String,
}

/// One route: a path in axum's syntax, a method and its handler.
pub struct Endpoint {
    /// The path (`{*location}` matches the rest of the path).
    pub path: &'static str,
    /// The method.
    pub method: Method,
    router: MethodRouter<Arc<AppState>>,
}

/// The route `method path` served by `handler`.
fn endpoint<H, T>(path: &'static str, method: Method, handler: H) -> Endpoint
where
    H: Handler<T, Arc<AppState>>,
    T: 'static,
{
    // Only standard methods are routed, and axum has a filter for each.
    let router = match MethodFilter::try_from(method.clone()) {
        Ok(filter) => on(filter, handler),
        Err(_) => MethodRouter::new(),
    };
    Endpoint {
        path,
        method,
        router,
    }
}

/// The routes of the API listener under `/v1`.
pub fn api_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint("/v1/openapi.json", Method::GET, openapi::serve),
        endpoint("/v1/attestation", Method::GET, attestation::attestation),
        endpoint("/v1/transactions", Method::POST, sealed::transaction),
        endpoint("/v1/queries", Method::POST, sealed::query),
        endpoint("/v1/receipts/{sequence}", Method::GET, ledger::receipt),
        endpoint("/v1/ledger/export", Method::GET, ledger::export),
        endpoint("/v1/objects/{*location}", Method::GET, objects::get_object),
        endpoint("/v1/objects/{*location}", Method::PUT, objects::put_object),
        endpoint(
            "/v1/recovery/shares",
            Method::POST,
            recovery::not_recovering,
        ),
    ]
}

/// The operators' routes.
pub fn ops_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint("/healthz", Method::GET, ops::healthz),
        endpoint("/metrics", Method::GET, ops::metrics),
    ]
}

/// The routers over `node`: the API's, and the operators' when `ops` is
/// [`OpsRoutes::Separate`] (otherwise the API's serves `/healthz` and `/metrics`).
/// Both share the request counters and the per-client rate limit.
pub fn routers(node: Arc<Node>, limits: Limits, ops: OpsRoutes) -> (Router, Option<Router>) {
    let state = Arc::new(AppState {
        node,
        limiter: RateLimiter {
            rate: f64::from(limits.rate_per_second),
            burst: f64::from(limits.rate_burst),
            buckets: Mutex::new(HashMap::new()),
        },
        openapi: document(&limits, ops),
        limits,
        metrics: Metrics::default(),
    });
    let mut api = api_endpoints();
    match ops {
        OpsRoutes::OnApi => {
            api.extend(ops_endpoints());
            (serve(api, &state), None)
        }
        OpsRoutes::Separate => (serve(api, &state), Some(serve(ops_endpoints(), &state))),
    }
}

/// The API router over `node`, with `/healthz` and `/metrics`.
pub fn router(node: Arc<Node>, limits: Limits) -> Router {
    routers(node, limits, OpsRoutes::OnApi).0
}

/// A router of `endpoints`: 404 `not_found` for any other path, 405
/// `method_not_allowed` (with `Allow`) for another method, every request counted and
/// rate-limited per client address.
fn serve(endpoints: Vec<Endpoint>, state: &Arc<AppState>) -> Router {
    endpoints
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.router))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state.clone())
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
            ErrorCode::RateLimited,
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
        ErrorCode::NotFound,
        format!("no route {} {}", request.method(), request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} {}: method not allowed (see the Allow header)",
            request.method(),
            request.uri().path()
        ),
    )
}
