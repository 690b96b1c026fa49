//! The client side of the data plane: encryption keys on disk, encrypted uploads,
//! verified downloads, and result envelopes.
//!
//! - A dataset has one data key (DEK). `put_file` encrypts a file with the object
//!   format (`docs/formats/encrypted-object.md`) while it streams it to the node,
//!   hashing the plaintext and the ciphertext on the way; the node's SHA-256 of what it
//!   stored must equal ours, or the upload is reported corrupted and must not be
//!   registered.
//! - The DEK is wrapped (HPKE, [`DATA_KEY_INFO`]) to the owning organization's data
//!   key, an X25519 key kept at the owner's site (where its analyzer runs).
//! - A result is encrypted with a fresh DEK, wrapped to each recipient's X25519 key
//!   ([`RESULT_KEY_INFO`] and the task id); see [`ResultEnvelope`].

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use strongroom_contract::ObjectPurpose;
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{ObjectOptions, decrypt_stream, encrypt_stream};
use strongroom_identity::Member;
use zeroize::Zeroizing;

use crate::{Client, ClientError};

/// HPKE `info` when wrapping a dataset key.
pub const DATA_KEY_INFO: &[u8] = b"strongroom/data-key/v1";
/// HPKE `info` prefix when wrapping a result key (followed by the task id).
pub const RESULT_KEY_INFO: &[u8] = b"strongroom/result-key/v1/";
/// Plaintext read size when uploading.
const READ_CHUNK: usize = 1024 * 1024;

fn data_err(what: impl Into<String>) -> ClientError {
    ClientError::Data(what.into())
}

/// Loads the X25519 private key in `path` (32 raw bytes, mode 0600), creating it if
/// missing.
pub fn load_or_create_x25519(path: &Path) -> Result<PrivateKey, ClientError> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        let file =
            std::fs::File::open(path).map_err(|e| data_err(format!("{}: {e}", path.display())))?;
        let mode = file
            .metadata()
            .map_err(|e| data_err(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(data_err(format!(
                "{}: key file is readable by group or others (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            )));
        }
        let bytes = Zeroizing::new(
            std::fs::read(path).map_err(|e| data_err(format!("{}: {e}", path.display())))?,
        );
        return PrivateKey::from_bytes(KemId::DhKemX25519HkdfSha256, &bytes)
            .map_err(|e| data_err(format!("{}: not an X25519 key: {e}", path.display())));
    }
    let key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
    store_x25519(path, &key)?;
    Ok(key)
}

/// Hex of an X25519 public key (what recipients and owners publish).
pub fn public_hex(key: &PrivateKey) -> String {
    hex::encode(key.public_key().to_bytes())
}

/// Parses a hex X25519 public key.
pub fn parse_public(hex_key: &str) -> Result<PublicKey, ClientError> {
    let bytes = hex::decode(hex_key).map_err(|e| data_err(format!("public key: {e}")))?;
    PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, &bytes)
        .map_err(|e| data_err(format!("public key: {e}")))
}

/// Wraps `dek` to `recipient` for a dataset; hex of the wrapped-key bytes.
pub fn wrap_data_key(recipient: &PublicKey, dek: &DataKey) -> Result<String, ClientError> {
    let wrapped = hpke::wrap_key(recipient, DATA_KEY_INFO, dek.expose())
        .map_err(|e| data_err(format!("wrapping the data key: {e}")))?;
    Ok(hex::encode(wrapped.to_bytes()))
}

/// HPKE `info` prefix of an organization's data key shared with one of its members
/// (followed by `MSP/name` of the member).
pub const ORG_KEY_SHARE_INFO: &[u8] = b"strongroom/org-key-share/v1/";

fn org_share_info(msp: &str, name: &str) -> Vec<u8> {
    [ORG_KEY_SHARE_INFO, member_label(msp, name).as_bytes()].concat()
}

/// Wraps the organization's data key `org_key` to the member key of `msp/name`, for
/// `share_org_key`; hex.
pub fn wrap_org_key(
    member_key: &PublicKey,
    org_key: &PrivateKey,
    msp: &str,
    name: &str,
) -> Result<String, ClientError> {
    let secret = org_key.to_bytes();
    let wrapped = hpke::wrap_key(member_key, &org_share_info(msp, name), &secret)
        .map_err(|e| data_err(format!("wrapping the organization key: {e}")))?;
    Ok(hex::encode(wrapped.to_bytes()))
}

/// Opens an organization data key shared with `msp/name`, with its member key.
pub fn unwrap_org_key(
    member_key: &PrivateKey,
    wrapped_hex: &str,
    msp: &str,
    name: &str,
) -> Result<PrivateKey, ClientError> {
    let bytes = hex::decode(wrapped_hex).map_err(|e| data_err(format!("shared key: {e}")))?;
    let wrapped =
        WrappedKey::from_bytes(&bytes).map_err(|e| data_err(format!("shared key: {e}")))?;
    let secret =
        hpke::unwrap_key(member_key, &org_share_info(msp, name), &wrapped).map_err(|_| {
            data_err("the shared organization key does not open with this member's key")
        })?;
    PrivateKey::from_bytes(KemId::DhKemX25519HkdfSha256, &secret)
        .map_err(|e| data_err(format!("shared key: not an X25519 key: {e}")))
}

/// Writes an X25519 private key to a new file `path` (mode 0600); refuses to replace
/// an existing file.
pub fn store_x25519(path: &Path, key: &PrivateKey) -> Result<(), ClientError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| data_err(format!("{}: {e}", dir.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| data_err(format!("{}: {e}", path.display())))?;
    file.write_all(&key.to_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| data_err(format!("{}: {e}", path.display())))
}

/// Unwraps a dataset key wrapped by [`wrap_data_key`].
pub fn unwrap_data_key(key: &PrivateKey, wrapped_hex: &str) -> Result<DataKey, ClientError> {
    let bytes = hex::decode(wrapped_hex).map_err(|e| data_err(format!("wrapped key: {e}")))?;
    let wrapped =
        WrappedKey::from_bytes(&bytes).map_err(|e| data_err(format!("wrapped key: {e}")))?;
    let dek = hpke::unwrap_key(key, DATA_KEY_INFO, &wrapped)
        .map_err(|_| data_err("the data key is not wrapped to this key"))?;
    DataKey::from_slice(&dek).map_err(|e| data_err(format!("data key: {e}")))
}

/// What an encrypted upload produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    /// Where the node stored it.
    pub location: String,
    /// Plaintext size in bytes.
    pub plaintext_size: u64,
    /// SHA-256 of the plaintext, hex.
    pub plaintext_sha256: String,
    /// Ciphertext size in bytes.
    pub ciphertext_size: u64,
    /// SHA-256 of the ciphertext, hex (checked against the node's).
    pub ciphertext_sha256: String,
}

/// Encrypts the file at `path` under `dek` while streaming it to `location` on the
/// node, in constant memory, as `member` (who signs the upload's authorization).
/// `progress` is called with the plaintext bytes read so far.
pub async fn put_file(
    client: &Client,
    member: &Member,
    path: &Path,
    location: &str,
    dek: &DataKey,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Uploaded, ClientError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| data_err(format!("{}: {e}", path.display())))?;
    let plain_hash = Arc::new(Mutex::new((Sha256::new(), 0u64)));
    let cipher_hash = Arc::new(Mutex::new((Sha256::new(), 0u64)));
    let reader = tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK);
    let ph = plain_hash.clone();
    let plaintext = reader.inspect_ok(move |chunk: &Bytes| {
        let mut guard = ph.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.update(chunk);
        guard.1 += chunk.len() as u64;
        progress(guard.1);
    });
    let encrypted = encrypt_stream(dek, ObjectOptions::default(), Box::pin(plaintext))
        .map_err(|e| data_err(format!("encryption: {e}")))?;
    let ch = cipher_hash.clone();
    let body = encrypted
        .map_err(|e| std::io::Error::other(e.to_string()))
        .inspect_ok(move |chunk: &Bytes| {
            let mut guard = ch.lock().unwrap_or_else(|e| e.into_inner());
            guard.0.update(chunk);
            guard.1 += chunk.len() as u64;
        });
    let stored = client.put_object(member, location, body).await?;
    let (plain, plaintext_size) = take(&plain_hash);
    let (cipher, ciphertext_size) = take(&cipher_hash);
    let ciphertext_sha256 = hex::encode(cipher);
    if stored.sha256 != ciphertext_sha256 || stored.size != ciphertext_size {
        return Err(data_err(format!(
            "corrupted upload: the node stored {} bytes with SHA-256 {}, we sent {} bytes with SHA-256 {}; do not register it",
            stored.size, stored.sha256, ciphertext_size, ciphertext_sha256
        )));
    }
    Ok(Uploaded {
        location: stored.location,
        plaintext_size,
        plaintext_sha256: hex::encode(plain),
        ciphertext_size,
        ciphertext_sha256,
    })
}

fn take(hash: &Arc<Mutex<(Sha256, u64)>>) -> ([u8; 32], u64) {
    let mut guard = hash.lock().unwrap_or_else(|e| e.into_inner());
    let (hasher, size) = std::mem::replace(&mut *guard, (Sha256::new(), 0));
    (hasher.finalize().into(), size)
}

/// The recipient label of a data key wrapped to the core's key-release key
/// ([`crate::Client::key_release_key`]): only an attested core opens it, to release it
/// to an attested worker of an approved task.
pub const TEE_LABEL: &str = strongroom_contract::KEY_RELEASE_RECIPIENT;

/// Opens a data key the core released to a worker's one-time key (see
/// `strongroom_enclave::worker`).
pub fn unwrap_released_key(
    worker_key: &PrivateKey,
    released: &strongroom_enclave::ReleasedKey,
) -> Result<DataKey, ClientError> {
    let bytes = hex::decode(&released.wrapped_key)
        .map_err(|e| data_err(format!("released key of {}: {e}", released.dataset)))?;
    let wrapped = WrappedKey::from_bytes(&bytes)
        .map_err(|e| data_err(format!("released key of {}: {e}", released.dataset)))?;
    let info = strongroom_enclave::released_key_info(&released.task, &released.dataset);
    let dek = hpke::unwrap_key(worker_key, &info, &wrapped).map_err(|_| {
        data_err(format!(
            "the key released for {} does not open with this worker's key",
            released.dataset
        ))
    })?;
    DataKey::from_slice(&dek).map_err(|e| data_err(format!("data key: {e}")))
}

/// The recipient label of a member's result key: `MSP/name`.
pub fn member_label(msp: &str, name: &str) -> String {
    format!("{msp}/{name}")
}

/// The recipient label of an organization's data key: `org:MSP`.
pub fn org_label(msp: &str) -> String {
    format!("org:{msp}")
}

/// Downloads the object at `location` as `member` for `purpose` (`member` signs the
/// download's authorization), checks its SHA-256 against `expected_ciphertext_sha256`,
/// decrypts it under `dek` and writes the plaintext to `dest`, which must not exist. If
/// anything fails after `dest` was created, it is removed: no partial plaintext is
/// left. An existing file is never touched.
pub async fn fetch_file(
    client: &Client,
    member: &Member,
    purpose: ObjectPurpose,
    location: &str,
    expected_ciphertext_sha256: &str,
    dek: &DataKey,
    dest: &Path,
) -> Result<u64, ClientError> {
    into_new_file(dest, |out| async move {
        let body = client.get_object(member, purpose, location).await?;
        fetch_inner(body, location, expected_ciphertext_sha256, dek, dest, out).await
    })
    .await
}

/// Creates `dest` (which must not exist; mode 0600) and hands it to `write`; if
/// `write` fails, removes it, so nothing partial is left. An existing file is never
/// touched.
async fn into_new_file<F, Fut>(dest: &Path, write: F) -> Result<u64, ClientError>
where
    F: FnOnce(std::fs::File) -> Fut,
    Fut: std::future::Future<Output = Result<u64, ClientError>>,
{
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| data_err(format!("{}: {e}", dest.display())))?;
    let result = write(out).await;
    if result.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    result
}

async fn fetch_inner(
    body: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    location: &str,
    expected: &str,
    dek: &DataKey,
    dest: &Path,
    mut out: std::fs::File,
) -> Result<u64, ClientError> {
    let cipher_hash = Arc::new(Mutex::new((Sha256::new(), 0u64)));
    let ch = cipher_hash.clone();
    let body = body.inspect_ok(move |chunk| {
        let mut guard = ch.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.update(chunk);
        guard.1 += chunk.len() as u64;
    });
    let mut plaintext = std::pin::pin!(decrypt_stream(dek, Box::pin(body)));
    let mut written = 0u64;
    while let Some(piece) = plaintext.next().await {
        let piece = piece.map_err(|e| data_err(format!("{location}: {e}")))?;
        out.write_all(&piece)
            .map_err(|e| data_err(format!("{}: {e}", dest.display())))?;
        written += piece.len() as u64;
    }
    let (digest, _) = take(&cipher_hash);
    if hex::encode(digest) != expected {
        return Err(data_err(format!(
            "{location}: the object's SHA-256 is {}, expected {expected}",
            hex::encode(digest)
        )));
    }
    out.sync_all()
        .map_err(|e| data_err(format!("{}: {e}", dest.display())))?;
    Ok(written)
}

/// Downloads the object at `location` as `member` for `purpose` into `dest` (which
/// must not exist; mode 0600) as it is stored, still encrypted, and checks its SHA-256
/// against `expected_ciphertext_sha256`. The caller decrypts it as it reads it
/// ([`strongroom_crypto::object::DecryptReader`]), so no plaintext is ever written.
/// If anything fails after `dest` was created, it is removed.
pub async fn fetch_ciphertext(
    client: &Client,
    member: &Member,
    purpose: ObjectPurpose,
    location: &str,
    expected_ciphertext_sha256: &str,
    dest: &Path,
) -> Result<u64, ClientError> {
    into_new_file(dest, |mut out| async move {
        let body = client.get_object(member, purpose, location).await?;
        let mut body = std::pin::pin!(body);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| data_err(format!("{location}: {e}")))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            out.write_all(&chunk)
                .map_err(|e| data_err(format!("{}: {e}", dest.display())))?;
        }
        let digest = hex::encode(hasher.finalize());
        if digest != expected_ciphertext_sha256 {
            return Err(data_err(format!(
                "{location}: the object's SHA-256 is {digest}, expected {expected_ciphertext_sha256}"
            )));
        }
        out.sync_all()
            .map_err(|e| data_err(format!("{}: {e}", dest.display())))?;
        Ok(size)
    })
    .await
}

/// A result encrypted to its recipients: the object-format ciphertext of the result
/// under a fresh key, and that key wrapped to each recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultEnvelope {
    /// One wrapped key per recipient.
    pub keys: Vec<RecipientKey>,
    /// The encrypted result (object format), hex.
    pub object: String,
}

/// A result key wrapped to one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientKey {
    /// `MSP/name` of the recipient.
    pub recipient: String,
    /// The wrapped key, hex.
    pub key: String,
}

fn result_info(task: &str) -> Vec<u8> {
    [RESULT_KEY_INFO, task.as_bytes()].concat()
}

/// Encrypts `result` for task `task` to each `(recipient label, public key)`.
/// Returns the envelope bytes (JSON).
pub fn seal_result(
    task: &str,
    result: &[u8],
    recipients: &[(String, PublicKey)],
) -> Result<Vec<u8>, ClientError> {
    let dek = DataKey::generate();
    let mut object = Vec::with_capacity(result.len() + 128);
    strongroom_crypto::object::encrypt(&dek, ObjectOptions::default(), result, &mut object)
        .map_err(|e| data_err(format!("result encryption: {e}")))?;
    let mut keys = Vec::with_capacity(recipients.len());
    for (label, public) in recipients {
        let wrapped = hpke::wrap_key(public, &result_info(task), dek.expose())
            .map_err(|e| data_err(format!("wrapping the result key for {label}: {e}")))?;
        keys.push(RecipientKey {
            recipient: label.clone(),
            key: hex::encode(wrapped.to_bytes()),
        });
    }
    serde_json::to_vec(&ResultEnvelope {
        keys,
        object: hex::encode(object),
    })
    .map_err(|e| data_err(format!("result envelope: {e}")))
}

/// Opens a result envelope of task `task` as recipient `label` with `key`.
pub fn open_result(
    task: &str,
    envelope: &[u8],
    label: &str,
    key: &PrivateKey,
) -> Result<Vec<u8>, ClientError> {
    let envelope: ResultEnvelope =
        serde_json::from_slice(envelope).map_err(|e| data_err(format!("result envelope: {e}")))?;
    let wrapped = envelope
        .keys
        .iter()
        .find(|k| k.recipient == label)
        .ok_or_else(|| data_err(format!("the result is not encrypted to {label}")))?;
    let wrapped = WrappedKey::from_bytes(
        &hex::decode(&wrapped.key).map_err(|e| data_err(format!("result key: {e}")))?,
    )
    .map_err(|e| data_err(format!("result key: {e}")))?;
    let dek = hpke::unwrap_key(key, &result_info(task), &wrapped).map_err(|_| {
        data_err(format!(
            "the result key for {label} does not open with this key"
        ))
    })?;
    let dek = DataKey::from_slice(&dek).map_err(|e| data_err(format!("result key: {e}")))?;
    let object =
        hex::decode(&envelope.object).map_err(|e| data_err(format!("result object: {e}")))?;
    let mut plain = Vec::with_capacity(object.len());
    strongroom_crypto::object::decrypt(&dek, object.as_slice(), &mut plain)
        .map_err(|e| data_err(format!("result object: {e}")))?;
    Ok(plain)
}
