//! How a node's core comes to hold the service secrets when the node opens: unsealed
//! from `service-secrets.json`, received by attested join to a peer, or made at
//! genesis. On a platform without a sealing key ([`crate::platform`]) nothing sealed
//! is written: the secrets stay in the core's memory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strongroom_enclave::{Constitution, EnclaveRequest, EnclaveResponse, Organization, PublicKeys};
use strongroom_identity::read_certificate;

use crate::cluster::Cluster;
use crate::data_dir::write_private_atomic;
use crate::enclave_bridge::SharedEnclave;
use crate::error::NodeError;
use crate::settings::NodeSettings;

/// The file of the data directory that holds the sealed service secrets.
pub(crate) const SECRETS_FILE: &str = "service-secrets.json";

/// What `service-secrets.json` holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretsFile {
    /// The service secrets sealed to the platform, hex.
    pub(crate) sealed: String,
    /// The genesis transaction, hex: proposed again if the node stopped before the
    /// ledger recorded it. Empty on a node that joined a cluster or recovered.
    #[serde(default)]
    pub(crate) genesis: String,
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> NodeError {
    NodeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn lock_core(core: &SharedEnclave) -> std::sync::MutexGuard<'_, strongroom_enclave::Enclave> {
    core.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the sealed secrets (and the genesis transaction) to `path`; writes nothing
/// when `sealed` is empty: the platform has no sealing key, and the secrets stay only
/// in the core's memory.
pub(crate) fn store(path: &Path, sealed: &[u8], genesis: &[u8]) -> Result<(), NodeError> {
    if sealed.is_empty() {
        tracing::warn!(
            file = %path.display(),
            "the service secrets are not sealed (no sealing key on this platform): they are \
             held only in the core's memory and nothing is written"
        );
        return Ok(());
    }
    let file = SecretsFile {
        sealed: hex::encode(sealed),
        genesis: hex::encode(genesis),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(|e| file_err(path, e))?;
    write_private_atomic(path, &json)
}

/// Has `core` take the service secrets: unsealed from `dir`'s secrets file if there is
/// one, else by attested join through `settings.join`, else from a new genesis.
/// Answers the service keys and the genesis transaction to propose (empty unless this
/// node founds the service, or founded it and stopped before the ledger recorded it).
pub(crate) async fn establish(
    core: &SharedEnclave,
    cluster: Option<&Cluster>,
    settings: &NodeSettings,
    dir: &Path,
) -> Result<(PublicKeys, Vec<u8>), NodeError> {
    let secrets_path = dir.join(SECRETS_FILE);
    if secrets_path.exists() {
        let text =
            std::fs::read_to_string(&secrets_path).map_err(|e| file_err(&secrets_path, e))?;
        let file: SecretsFile =
            serde_json::from_str(&text).map_err(|e| file_err(&secrets_path, e))?;
        let sealed = hex::decode(&file.sealed).map_err(|e| file_err(&secrets_path, e))?;
        let genesis = hex::decode(&file.genesis).map_err(|e| file_err(&secrets_path, e))?;
        return match lock_core(core).handle(EnclaveRequest::Unseal { sealed }) {
            EnclaveResponse::PublicKeys { public_keys } => Ok((public_keys, genesis)),
            EnclaveResponse::Error { error } => Err(NodeError::Enclave(format!(
                "cannot unseal {}: {error}{}",
                secrets_path.display(),
                crate::recovery::RECOVER_HINT
            ))),
            other => Err(NodeError::Enclave(format!("unseal: {other:?}"))),
        };
    }
    if let (Some(cluster), Some(contact)) = (cluster, &settings.join) {
        let (public_keys, sealed) = cluster.join(core, contact).await?;
        store(&secrets_path, &sealed, &[])?;
        return Ok((public_keys, Vec::new()));
    }
    let constitution = constitution(settings)?;
    match lock_core(core).handle(EnclaveRequest::Genesis { constitution }) {
        EnclaveResponse::Genesis {
            ledger_payload,
            public_keys,
            sealed,
        } => {
            store(&secrets_path, &sealed, &ledger_payload)?;
            Ok((public_keys, ledger_payload))
        }
        EnclaveResponse::Error { error } => Err(NodeError::Enclave(format!("genesis: {error}"))),
        other => Err(NodeError::Enclave(format!("genesis: {other:?}"))),
    }
}

fn constitution(settings: &NodeSettings) -> Result<Constitution, NodeError> {
    if settings.organizations.is_empty() {
        return Err(NodeError::Config {
            reason: "organizations: the first start (genesis) needs at least one organization \
                     (msp_id and ca_cert)"
                .into(),
        });
    }
    let mut organizations = Vec::new();
    for org in &settings.organizations {
        let der = read_certificate(&org.ca_cert).map_err(|e| file_err(&org.ca_cert, e))?;
        organizations.push(
            Organization::from_der(org.msp_id.clone(), &der)
                .map_err(|e| file_err(&org.ca_cert, e))?,
        );
    }
    let policy = |path: &Option<PathBuf>| match path {
        None => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
            strongroom_tee::Policy::from_toml(&text).map_err(|e| file_err(path, e))?;
            Ok::<_, NodeError>(Some(text))
        }
    };
    Ok(Constitution {
        organizations,
        threshold: Default::default(),
        worker_policy: policy(&settings.worker_policy)?,
        node_policy: policy(&settings.node_policy)?,
    })
}
