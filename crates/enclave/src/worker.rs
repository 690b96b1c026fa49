//! Attested workers: what their evidence must bind, the consortium's worker policy, and
//! the release of data keys to them.
//!
//! A worker (`strongroom worker`, in its own TEE) makes a one-time X25519 key pair for
//! each task it claims and sends the claim as a [`Body::Attested`](crate::request::Body)
//! transaction whose evidence's report data is [`worker_report_data`]:
//!
//! ```text
//! report data = SHA-512("strongroom/worker/report-data/v1" || config hash (32)
//!                       || worker key (32) || request nonce (u32 len) || SHA-256(invocation))
//! ```
//!
//! The core, executing the ordered transaction, verifies the evidence under the worker
//! policy in its state (the `cfg/worker-policy` key, set at genesis and changed by
//! governance) at the entry's ledger time, checks the report data, and only then hands
//! the contract an [`Attestation`]: platform, measurement, config hash and worker key.
//! Evidence made for another request (a stale one: its nonce was used), another task
//! (config hash), another key or another invocation does not match, and the request is
//! refused with [`RefusalCode::EvidenceRejected`] before the contract sees it.
//!
//! When the contract accepted the invocation, the core asks it which keys to release
//! ([`Contract::key_releases`](strongroom_contract::Contract::key_releases)): each is a
//! dataset key its owner wrapped to the core's key-release key. The core opens each
//! and wraps it to the worker key with HPKE, `info` [`released_key_info`]; the answer
//! ([`AttestedReply`]) goes only to the worker, sealed under the request's response
//! key. If one key cannot be released, the whole transaction is refused: no claim, no
//! audit event, no key. The core never returns a data key in any other way.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use strongroom_contract::{Attestation, KeyRelease, Overlay, State, TxContext};
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_tee::{Evidence, Policy};
use subtle::ConstantTimeEq;

use crate::core::Enclave;
use crate::error::EnclaveError;
use crate::execute::writes_of;
use crate::governance::time_of;
use crate::message::{EvidenceMessage, JoinCollateral};
use crate::record::Write;
use crate::refusal::{Refusal, RefusalCode};

const REPORT_DATA_DOMAIN: &[u8] = b"strongroom/worker/report-data/v1";
/// HPKE `info` prefix of a data key released to a worker (followed by the task id,
/// `/`, and the dataset id).
pub const RELEASED_KEY_INFO: &[u8] = b"strongroom/released-key/v1/";
/// HPKE `info` under which owners wrap a dataset key (to the key-release key too).
pub const DATA_KEY_INFO: &[u8] = b"strongroom/data-key/v1";
/// The core-state key of the worker policy (TOML text, `docs/attestation.md`).
pub(crate) const WORKER_POLICY_KEY: &[u8] = b"cfg/worker-policy";

/// The report data a worker's evidence must carry for a request with `nonce` that
/// invokes `invocation` for the task with `config_hash`, releasing keys to
/// `worker_key`.
pub fn worker_report_data(
    config_hash: &[u8; 32],
    worker_key: &[u8; 32],
    nonce: &[u8],
    invocation: &[u8],
) -> [u8; 64] {
    let mut hasher = Sha512::new();
    hasher.update(REPORT_DATA_DOMAIN);
    hasher.update(config_hash);
    hasher.update(worker_key);
    // Nonces are at most 32 bytes (checked when the request is decoded).
    hasher.update(u32::try_from(nonce.len()).unwrap_or(u32::MAX).to_be_bytes());
    hasher.update(nonce);
    hasher.update(Sha256::digest(invocation));
    hasher.finalize().into()
}

/// The HPKE `info` of the key of `dataset` released for `task`.
pub fn released_key_info(task: &str, dataset: &str) -> Vec<u8> {
    [RELEASED_KEY_INFO, task.as_bytes(), b"/", dataset.as_bytes()].concat()
}

/// What an attested transaction answers its worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestedReply {
    /// The contract's reply (JSON).
    pub result: serde_json::Value,
    /// The data keys released to the worker key, one per dataset (empty for anything
    /// but a claim).
    pub released_keys: Vec<ReleasedKey>,
}

/// A data key wrapped to a worker's one-time key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasedKey {
    /// The task.
    pub task: String,
    /// The dataset.
    pub dataset: String,
    /// The key, HPKE-wrapped to the worker key with [`released_key_info`], hex.
    pub wrapped_key: String,
}

/// The worker policy in the core's state, checked when it was set.
pub(crate) fn policy(core: &dyn State) -> Option<Policy> {
    let text = core.get_ref(WORKER_POLICY_KEY)?;
    Policy::from_toml(std::str::from_utf8(&text).ok()?).ok()
}

/// Verifies a worker's evidence under the worker policy at ledger time `at_ms` and
/// checks that it binds `expected` report data; what the contract is then told.
pub(crate) fn verify(
    core: &dyn State,
    evidence: &EvidenceMessage,
    collateral: &JoinCollateral,
    expected: &[u8; 64],
    config_hash: [u8; 32],
    worker_key: [u8; 32],
    at_ms: u64,
) -> Result<Attestation, Refusal> {
    let rejected = |detail: String| Refusal::new(RefusalCode::EvidenceRejected, detail);
    let policy = policy(core).ok_or_else(|| {
        rejected("the consortium has no worker policy: no worker is accepted".into())
    })?;
    let collateral = collateral
        .parse()
        .map_err(|e| rejected(format!("collateral: {e}")))?;
    let claims = strongroom_tee::verify(
        &Evidence::from(evidence),
        &collateral,
        &policy,
        time_of(at_ms),
    )
    .map_err(|e| rejected(e.to_string()))?;
    if !bool::from(claims.report_data.ct_eq(expected)) {
        return Err(rejected(
            "the evidence's report data does not bind this request, task and worker key \
             (stale, or made for another)"
                .into(),
        ));
    }
    Ok(Attestation {
        platform: claims.platform.name().to_owned(),
        measurement: claims.measurement.to_hex(),
        insecure: claims.insecure,
        config_hash,
        worker_key,
    })
}

/// Opens each key with the key-release key and wraps it to `worker_key`.
pub(crate) fn release(
    key_release_key: &PrivateKey,
    worker_key: &[u8; 32],
    releases: &[KeyRelease],
) -> Result<Vec<ReleasedKey>, Refusal> {
    let failed = |detail: String| Refusal::new(RefusalCode::ReleaseFailed, detail);
    let recipient = PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, worker_key)
        .map_err(|e| failed(format!("worker key: {e}")))?;
    let mut released = Vec::with_capacity(releases.len());
    for release in releases {
        let dataset = &release.dataset;
        let wrapped = hex::decode(&release.wrapped_key)
            .ok()
            .and_then(|bytes| WrappedKey::from_bytes(&bytes).ok())
            .ok_or_else(|| failed(format!("dataset {dataset}: the wrapped key is malformed")))?;
        let key = hpke::unwrap_key(key_release_key, DATA_KEY_INFO, &wrapped).map_err(|_| {
            failed(format!(
                "dataset {dataset}: its key is not wrapped to this consortium's key-release key"
            ))
        })?;
        let rewrapped =
            hpke::wrap_key(&recipient, &released_key_info(&release.task, dataset), &key)
                .map_err(|e| failed(format!("dataset {dataset}: {e}")))?;
        released.push(ReleasedKey {
            task: release.task.clone(),
            dataset: dataset.clone(),
            wrapped_key: hex::encode(rewrapped.to_bytes()),
        });
    }
    Ok(released)
}

impl Enclave {
    /// Runs an attested invocation whose evidence verified (`tx` carries the claims):
    /// the contract's execution, then the release of the keys it names to
    /// `worker_key`. The outcome; on success the contract writes go to `writes`.
    pub(crate) fn execute_attested(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        worker_key: &[u8; 32],
        writes: &mut Vec<Write>,
    ) -> Result<Result<Vec<u8>, Refusal>, EnclaveError> {
        let secrets = self.secrets()?;
        let mut overlay = Overlay::new(&self.state.contract);
        let result = self
            .contract
            .execute(tx, invocation, &mut overlay)
            .map_err(Refusal::from)
            .and_then(|reply| {
                let releases = self
                    .contract
                    .key_releases(tx, invocation, &overlay)
                    .map_err(Refusal::from)?;
                let released = release(&secrets.key_release_key, worker_key, &releases)?;
                attested_reply(&reply, released)
            });
        if result.is_ok() {
            *writes = writes_of(overlay);
        }
        Ok(result)
    }
}

/// The answer to an attested invocation: the contract's reply and the released keys.
fn attested_reply(reply: &[u8], released_keys: Vec<ReleasedKey>) -> Result<Vec<u8>, Refusal> {
    let result = serde_json::from_slice(reply)
        .unwrap_or_else(|_| serde_json::Value::String(hex::encode(reply)));
    serde_json::to_vec(&AttestedReply {
        result,
        released_keys,
    })
    .map_err(|e| Refusal::new(RefusalCode::ReleaseFailed, format!("reply: {e}")))
}
