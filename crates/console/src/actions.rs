//! What the member signs: an action is first prepared (the console answers the exact
//! transactions it will sign, and their digest), then committed by naming that digest.
//! The console signs what it stored under the digest, once; the page cannot swap it.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use strongroom_contract::sharing::{AlgorithmView, DatasetKind, Invocation, Query};
use strongroom_enclave::governance::GovernanceInvocation;
use strongroom_enclave::request::Reply;
use strongroom_flow::{DatasetSpec, Quiet, TaskAsk};

use crate::routes::{ApiError, ApiResult, Shared, check_receipt};

/// How long a prepared action may wait for the member's confirmation.
const PREPARED_FOR: Duration = Duration::from_secs(15 * 60);
/// Most prepared actions kept at once (the oldest go first).
const MAX_PREPARED: usize = 32;

/// An action the page asks for, tagged by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Action {
    /// A proposal or a vote.
    Governance { invocation: GovernanceInvocation },
    /// A contract invocation as it is.
    Invoke { invocation: Invocation },
    /// Encrypt the uploads, reserve locations, upload and register.
    RegisterDataset(RegisterDataset),
    /// A task, with the columns a built-in reads and the member as recipient.
    RequestTask {
        inputs: Vec<String>,
        algorithm: String,
        #[serde(default)]
        parameters: Value,
        #[serde(default)]
        columns: Option<Vec<String>>,
        #[serde(default)]
        tee: bool,
        #[serde(default)]
        epsilon: Option<f64>,
    },
}

/// A registration from the page; the files are uploads already kept here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterDataset {
    name: String,
    /// The dataset's kind (`kind` tags the action).
    #[serde(rename = "dataset_kind")]
    kind: DatasetKind,
    #[serde(default)]
    description: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    consent_days: Option<u64>,
    #[serde(default)]
    min_cell_size: Option<u32>,
    #[serde(default)]
    epsilon_budget: Option<f64>,
    #[serde(default)]
    time_column: Option<String>,
    #[serde(default)]
    tee: bool,
    #[serde(default)]
    tee_only: bool,
    uploads: Vec<String>,
}

/// A prepared action, waiting for its commit.
pub(crate) struct Prepared {
    at: Instant,
    work: Work,
}

enum Work {
    Governance(GovernanceInvocation),
    Register {
        spec: DatasetSpec,
        uploads: Vec<String>,
    },
    Sharing(Vec<u8>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrepareBody {
    action: Action,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommitBody {
    digest: String,
}

/// ε in millionths, from the page's ε.
fn micro(field: &str, epsilon: f64) -> ApiResult<u64> {
    let micro = (epsilon * 1e6).round();
    if !epsilon.is_finite() || !(1.0..=1e15).contains(&micro) {
        return Err(ApiError::bad(format!(
            "{field} must be a positive number of at most 1e9, not {epsilon}"
        )));
    }
    Ok(micro as u64)
}

fn json_text<T: serde::Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value)
        .map_err(|e| ApiError::bad(format!("cannot encode the transaction: {e}")))
}

/// `POST /api/prepare`: answers what the console will sign, and keeps it.
pub(crate) async fn prepare(
    State(state): State<Shared>,
    Json(body): Json<PrepareBody>,
) -> ApiResult<Json<Value>> {
    let client = state.client()?;
    let member = &state.member;
    let (transactions, note, work) = match body.action {
        Action::Invoke { invocation } => {
            let text = json_text(&invocation)?;
            (
                vec![transaction(&text)],
                "one transaction, signed with your member key and sealed to the attested core"
                    .to_owned(),
                Work::Sharing(text.into_bytes()),
            )
        }
        Action::Governance { invocation } => {
            let text = json_text(&invocation)?;
            (
                vec![transaction(&text)],
                "one governance transaction, signed with your member key".to_owned(),
                Work::Governance(invocation),
            )
        }
        Action::RequestTask {
            inputs,
            algorithm,
            parameters,
            columns,
            tee,
            epsilon,
        } => {
            let view: AlgorithmView = client
                .ask(member, &Query::GetAlgorithm { id: algorithm })
                .await?;
            let parameters = match parameters {
                Value::Null => json!({}),
                other => other,
            };
            let invocation = strongroom_flow::task_invocation(
                member,
                &state.result_key,
                TaskAsk {
                    inputs,
                    algorithm: &view,
                    parameters,
                    columns,
                    extra: Vec::new(),
                    tee,
                    epsilon_micro: epsilon.map(|e| micro("epsilon", e)).transpose()?,
                },
            )?;
            let text = json_text(&invocation)?;
            (
                vec![transaction(&text)],
                format!(
                    "one transaction; the result will be sealed to your result key only; algorithm {} has measurement {}",
                    view.name, view.measurement
                ),
                Work::Sharing(text.into_bytes()),
            )
        }
        Action::RegisterDataset(register) => {
            let (spec, shown) = registration(&state, register)?;
            let uploads = shown.1;
            (
                vec![
                    transaction(&json_text(
                        &json!({"op": "reserve_locations", "count": uploads.len()}),
                    )?),
                    transaction(&json_text(&shown.0)?),
                ],
                "each file is encrypted here under a fresh data key, uploaded to a location \
                 the contract reserves, and registered with the key wrapped to your \
                 organization (and to the attested core for TEE tasks); the locations, \
                 hashes and wrapped keys are filled in when you sign"
                    .to_owned(),
                Work::Register { spec, uploads },
            )
        }
    };
    let signer = strongroom_client::data::member_label(member.msp_id(), member.name());
    let shown = json!({"signer": signer, "transactions": transactions, "note": note});
    let digest = hex::encode(Sha256::digest(shown.to_string().as_bytes()));
    if let Ok(mut prepared) = state.prepared.lock() {
        prepared.retain(|_, p| p.at.elapsed() < PREPARED_FOR);
        while prepared.len() >= MAX_PREPARED {
            let Some(oldest) = prepared
                .iter()
                .min_by_key(|(_, p)| p.at)
                .map(|(d, _)| d.clone())
            else {
                break;
            };
            prepared.remove(&oldest);
        }
        prepared.insert(
            digest.clone(),
            Prepared {
                at: Instant::now(),
                work,
            },
        );
    }
    Ok(Json(json!({
        "digest": digest,
        "signer": signer,
        "transactions": transactions,
        "note": note,
    })))
}

fn transaction(text: &str) -> Value {
    let op = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("op").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    json!({"op": op, "json": text})
}

/// The `DatasetSpec` of a registration, and what the page is shown of it: the
/// `register_dataset` transaction without what only uploading decides, and the
/// uploads it takes.
fn registration(
    state: &Shared,
    register: RegisterDataset,
) -> ApiResult<(DatasetSpec, (Value, Vec<String>))> {
    if state.org_key.is_none() {
        return Err(ApiError::bad(
            "this console has no organization data key: only an owner registers datasets",
        ));
    }
    if register.uploads.is_empty() {
        return Err(ApiError::bad("a dataset needs at least one uploaded file"));
    }
    let uploads = state
        .uploads
        .lock()
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "uploads unavailable"))?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut shown_files = Vec::new();
    for id in &register.uploads {
        let upload = uploads.get(id).ok_or_else(|| {
            ApiError::bad(format!(
                "upload {id} is not waiting here (upload the file again)"
            ))
        })?;
        files.push(upload.path.clone());
        shown_files.push(json!({
            "name": upload.name,
            "size_bytes": upload.size,
            "plaintext_sha256": upload.sha256,
        }));
    }
    let consent_expires_at_ms = register
        .consent_days
        .map(|days| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            days.checked_mul(86_400_000)
                .and_then(|ms| ms.checked_add(now))
                .ok_or_else(|| ApiError::bad(format!("consent_days {days} is too far")))
        })
        .transpose()?;
    let epsilon_budget_micro = register
        .epsilon_budget
        .map(|e| micro("epsilon_budget", e))
        .transpose()?;
    let shown = json!({
        "op": "register_dataset",
        "name": register.name,
        "kind": register.kind,
        "description": register.description,
        "labels": register.labels,
        "consent": {"purposes": register.purposes, "expires_at_ms": consent_expires_at_ms},
        "files": shown_files,
        "time_column": register.time_column,
        "epsilon_budget_micro": epsilon_budget_micro,
        "min_cell_size": register.min_cell_size,
        "wrapped_keys": if register.tee_only { json!(["tee"]) } else if register.tee { json!(["organization", "tee"]) } else { json!(["organization"]) },
    });
    let spec = DatasetSpec {
        name: register.name,
        kind: register.kind,
        description: register.description,
        labels: register.labels,
        purposes: register.purposes,
        consent_expires_at_ms,
        min_cell_size: register.min_cell_size,
        time_column: register.time_column,
        tee: register.tee,
        tee_only: register.tee_only,
        epsilon_budget_micro,
        files,
    };
    Ok((spec, (shown, register.uploads)))
}

/// `POST /api/commit`: signs and submits what was prepared under the digest, once.
pub(crate) async fn commit(
    State(state): State<Shared>,
    Json(body): Json<CommitBody>,
) -> ApiResult<Json<Value>> {
    let client = state.client()?;
    let member = &state.member;
    let prepared = state
        .prepared
        .lock()
        .ok()
        .and_then(|mut p| p.remove(&body.digest))
        .filter(|p| p.at.elapsed() < PREPARED_FOR)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "nothing prepared under this digest (it was signed already, or expired): prepare it again",
            )
        })?;
    let (value, sequence) = match prepared.work {
        Work::Sharing(bytes) => {
            let committed = client.transact(member, &bytes).await?;
            let value = match committed.reply {
                Reply::Accept(answer) => serde_json::from_slice(&answer).unwrap_or(Value::Null),
                Reply::Refuse(reason) | Reply::RefuseUnauthenticated(reason) => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("refused: {reason}"),
                    ));
                }
            };
            (value, committed.sequence)
        }
        Work::Governance(invocation) => {
            let invoked = client.govern(member, &invocation).await?;
            (json!(invoked.value), invoked.sequence)
        }
        Work::Register { spec, uploads } => {
            let org_key = state
                .org_key
                .as_ref()
                .ok_or_else(|| ApiError::bad("only an owner registers datasets"))?;
            let put = strongroom_flow::put_dataset(client, member, org_key, &spec, &Quiet).await;
            if let Ok(mut kept) = state.uploads.lock() {
                for id in &uploads {
                    if let Some(upload) = kept.remove(id)
                        && let Some(dir) = upload.path.parent()
                    {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
            }
            let put = put?;
            (json!(put), Some(put.sequence))
        }
    };
    let receipt = match sequence {
        Some(sequence) => Some(check_receipt(client, sequence).await),
        None => None,
    };
    Ok(Json(json!({
        "value": value,
        "sequence": sequence,
        "receipt": receipt,
    })))
}
