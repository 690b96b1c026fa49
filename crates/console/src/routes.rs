//! The console's routes: pages, and the API the pages call (`docs/console.md`).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use strongroom_client::{Client, ClientError};
use strongroom_contract::sharing::Query as ContractQuery;
use strongroom_enclave::governance::GovernanceQuery;
use tokio::io::AsyncWriteExt;

use crate::{ConsoleState, Upload, access, actions, assets, table};

/// Largest file the browser may upload for a registration.
const MAX_UPLOAD: usize = 4 << 30;
/// Most uploads kept at once.
const MAX_UPLOADS: usize = 64;

pub(crate) type Shared = Arc<ConsoleState>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/js/{name}", get(assets::module))
        .route("/app.css", get(assets::style))
        .route("/login", get(access::login))
        .route("/api/node", get(node))
        .route("/api/query", post(query))
        .route("/api/governance/query", post(governance_query))
        .route(
            "/api/uploads/{name}",
            put(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/prepare", post(actions::prepare))
        .route("/api/commit", post(actions::commit))
        .route("/api/results/{task}", get(result))
        .route("/api/receipts/{sequence}", get(receipt))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .with_state(state)
}

/// An API error: a status and what went wrong, in plain words.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    error: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
        }
    }

    pub(crate) fn bad(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        let status = match &e {
            ClientError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ClientError::Api { status, .. } if *status < 500 => StatusCode::UNPROCESSABLE_ENTITY,
            ClientError::Data(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, e.to_string())
    }
}

impl From<strongroom_flow::FlowError> for ApiError {
    fn from(e: strongroom_flow::FlowError) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "status": self.status.as_u16()})),
        )
            .into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ConsoleState {
    /// The attested connection, or why the node is not trusted (`503`).
    pub(crate) fn client(&self) -> ApiResult<&Client> {
        self.connection.as_ref().map_err(|why| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the node at {} is not trusted: {why}", self.node),
            )
        })
    }
}

/// A receipt checked by the console against the attested service key.
#[derive(Debug, Serialize)]
pub(crate) struct CheckedReceipt {
    pub(crate) sequence: u64,
    pub(crate) verified: bool,
    pub(crate) root: Option<String>,
    pub(crate) detail: String,
}

/// Fetches the receipt of `sequence` and checks it here, offline from the node: the
/// Merkle path to a root signed by the service key the node's evidence bound.
pub(crate) async fn check_receipt(client: &Client, sequence: u64) -> CheckedReceipt {
    match client.receipt(sequence).await {
        Ok(receipt) => CheckedReceipt {
            sequence,
            verified: true,
            root: Some(receipt.root.clone()),
            detail: format!(
                "the entry's Merkle path leads to root {} of {} entries, signed by the attested service key",
                receipt.root, receipt.tree_size
            ),
        },
        Err(e) => CheckedReceipt {
            sequence,
            verified: false,
            root: None,
            detail: e.to_string(),
        },
    }
}

async fn node(State(state): State<Shared>) -> ApiResult<Json<Value>> {
    let member = &state.member;
    let me = json!({
        "msp_id": member.msp_id(),
        "name": member.name(),
        "role": member.role().to_string(),
    });
    let client = match &state.connection {
        Ok(client) => client,
        Err(why) => {
            return Ok(Json(json!({
                "member": me,
                "node": state.node,
                "attestation": {
                    "platform": null,
                    "measurement": null,
                    "insecure": false,
                    "verdict": "refused",
                    "detail": why,
                },
                "ledger": null,
                "last_receipt": null,
            })));
        }
    };
    let claims = client.claims();
    let health = client.health().await?;
    let last_receipt = match client.last_seen() {
        0 => None,
        seen => Some(check_receipt(client, seen).await),
    };
    Ok(Json(json!({
        "member": me,
        "node": state.node,
        "attestation": {
            "platform": claims.platform.to_string(),
            "measurement": claims.measurement.to_hex(),
            "insecure": claims.insecure || health.insecure_simulation,
            "verdict": "accepted",
            "detail": match claims.warning {
                Some(warning) => format!("the evidence satisfies the policy; {warning}"),
                None => "the evidence satisfies the policy".to_owned(),
            },
            "tcb_status": claims.tcb_status.map(|s| format!("{s:?}")),
            "debug": claims.debug,
        },
        "ledger": {
            "sequence": health.ledger_sequence,
            "leader": health.leader,
            "root": last_receipt.as_ref().and_then(|r| r.root.clone()),
        },
        "last_receipt": last_receipt,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryBody<Q> {
    query: Q,
}

async fn query(
    State(state): State<Shared>,
    Json(body): Json<QueryBody<ContractQuery>>,
) -> ApiResult<Json<Value>> {
    let client = state.client()?;
    Ok(Json(client.ask(&state.member, &body.query).await?))
}

async fn governance_query(
    State(state): State<Shared>,
    Json(body): Json<QueryBody<GovernanceQuery>>,
) -> ApiResult<Json<Value>> {
    let client = state.client()?;
    Ok(Json(
        client.ask_governance(&state.member, &body.query).await?,
    ))
}

/// `PUT /api/uploads/NAME`: keeps the body in the console's directory for a
/// registration; nothing is sent to the node yet.
async fn upload(
    State(state): State<Shared>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Json<Value>> {
    if name.is_empty()
        || name.len() > 255
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
    {
        return Err(ApiError::bad(format!(
            "{name:?} is not a file name (1 to 255 bytes, no '/', not starting with '.')"
        )));
    }
    let full = state
        .uploads
        .lock()
        .map(|u| u.len() >= MAX_UPLOADS)
        .unwrap_or(true);
    if full {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("{MAX_UPLOADS} uploads are waiting for a registration already"),
        ));
    }
    let id = format!("up-{}", &access::random_hex()[..16]);
    let dir = state.upload_dir.path().join(&id);
    let io = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot keep the upload: {e}"),
        )
    };
    tokio::fs::create_dir(&dir).await.map_err(io)?;
    let path = dir.join(&name);
    let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad(format!("the upload broke off: {e}")))?;
        hash.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    let upload = Upload {
        path,
        name: name.clone(),
        size,
        sha256: hex::encode(hash.finalize()),
    };
    let answer = json!({"upload": id, "name": name, "size": size, "sha256": upload.sha256});
    if let Ok(mut uploads) = state.uploads.lock() {
        uploads.insert(id, upload);
    }
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct ResultFormat {
    format: Option<String>,
}

/// `GET /api/results/TASK`: the result opened here with the member's result key.
async fn result(
    State(state): State<Shared>,
    Path(task): Path<String>,
    Query(format): Query<ResultFormat>,
) -> ApiResult<Response> {
    let client = state.client()?;
    let opened =
        strongroom_flow::get_result(client, &state.member, &state.result_key, &task).await?;
    let output: Option<Value> = opened.plaintext.as_deref().map(|p| {
        serde_json::from_slice(p)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(p).into_owned()))
    });
    let shaped = output.as_ref().and_then(table::of_output);
    let download = |body: String, kind: &'static str, extension: &str| {
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"{task}.{extension}\""))
        {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    };
    match format.format.as_deref() {
        None => {}
        Some("csv") => {
            let Some(shaped) = &shaped else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("task {task} has no table to download"),
                ));
            };
            return Ok(download(
                table::csv(shaped),
                "text/csv; charset=utf-8",
                "csv",
            ));
        }
        Some("json") => {
            let Some(output) = &output else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("task {task} has no result to download"),
                ));
            };
            let text = serde_json::to_string_pretty(output).unwrap_or_default();
            return Ok(download(text, "application/json", "json"));
        }
        Some(other) => {
            return Err(ApiError::bad(format!(
                "format {other:?} is not one of csv and json"
            )));
        }
    }
    let chart = shaped.as_ref().and_then(table::chart);
    Ok(Json(json!({
        "task": task,
        "status": opened.view.status,
        "reason": opened.view.reason,
        "table": shaped,
        "chart": chart,
        "output": output,
    }))
    .into_response())
}

/// `GET /api/receipts/SEQ`.
async fn receipt(
    State(state): State<Shared>,
    Path(sequence): Path<String>,
) -> ApiResult<Json<CheckedReceipt>> {
    let sequence: u64 = sequence
        .parse()
        .map_err(|_| ApiError::bad(format!("{sequence:?} is not a ledger sequence number")))?;
    let client = state.client()?;
    Ok(Json(check_receipt(client, sequence).await))
}
