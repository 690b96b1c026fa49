//! Keys that live only in the core (the crypto-service use case of Fabric): members
//! create ECDSA P-256 and AES-256-GCM keys and use them through transactions (sign,
//! verify, encrypt, decrypt) under a per-key usage policy, and hash data (SHA-256,
//! SHA3-256). Each use is a ledger entry; the secret never leaves the cores: it is held
//! in the core's state, which exists outside a core only inside encrypted ledger
//! entries and sealed snapshots.
//!
//! Invocations and queries are JSON ([`KeyInvocation`], [`KeyQuery`]), carried by
//! [`Body::Keys`](crate::request::Body::Keys). A caller not allowed to use a key gets
//! the answer a missing key gets (`not found or not allowed`).
//!
//! | key | value |
//! |---|---|
//! | `key/<id>` | the key: kind, secret, public key, creator, usage, time (JSON) |
//!
//! # Key material is deterministic
//!
//! Every replica executes a `create_key` transaction and must store the same key, so
//! its material does not come from the core's random number generator: it is
//! HKDF-SHA256 of the transaction's secret randomness (an HMAC of the entry's sequence
//! under a key derived from the ledger secret, the randomness contracts get as
//! `TxContext::entropy`), with salt `"strongroom/core-key/material/v1"` and info the
//! key's kind and id. Only whoever holds the ledger secret can compute it, as only
//! they can read the state that holds it. Randomness that reaches only a response (an
//! encryption's nonce) still comes from the RNG.

mod api;

use serde::{Deserialize, Serialize};
use strongroom_contract::sharing::Party;
use strongroom_contract::{Caller, ContractError, State};
use strongroom_crypto::provider::{
    CryptoProvider, EcdsaCurve, HashAlgorithm, SignaturePolicy, SigningKey,
};
use zeroize::Zeroizing;

pub use api::{
    DigestAlgorithm, KeyInvocation, KeyKind, KeyQuery, KeyView, Output, UsageGrant, Verified,
};

use crate::governance::valid_msp_id;

const MAX_DATA: usize = 256 * 1024;
const MAX_LABEL: usize = 256;
const MAX_GRANTS: usize = 32;
const ROLES: [&str; 5] = ["admin", "analyst", "auditor", "executor", "owner"];
const AAD_DOMAIN: &[u8] = b"strongroom/core-key/v1/";
const NONCE_LEN: usize = 12;
const KEY_MATERIAL_SALT: &[u8] = b"strongroom/core-key/material/v1";
/// Candidate P-256 scalars tried before giving up: one is out of range with a
/// probability below 2^-32, so the second is practically never needed.
const KEY_DERIVATION_ATTEMPTS: u32 = 16;

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    kind: KeyKind,
    /// AES key or PKCS#8 DER of the ECDSA key, hex.
    secret: String,
    public_key: Option<String>,
    label: String,
    creator: Party,
    usage: Vec<UsageGrant>,
    created_at_ms: u64,
}

impl KeyRecord {
    fn usable_by(&self, caller: &Caller) -> bool {
        self.usage
            .iter()
            .any(|g| g.msp_id == caller.msp_id && g.roles.contains(&caller.role))
    }

    fn view(self, id: &str) -> KeyView {
        KeyView {
            id: id.to_owned(),
            kind: self.kind,
            label: self.label,
            public_key: self.public_key,
            creator: self.creator,
            usage: self.usage,
            created_at_ms: self.created_at_ms,
        }
    }
}

fn invalid(field: &str, what: impl std::fmt::Display) -> ContractError {
    ContractError::Invalid(format!("{field}: {what}"))
}

fn crypto(what: &str, e: impl std::fmt::Display) -> ContractError {
    ContractError::Refused(format!("{what}: {e}"))
}

fn reply<T: Serialize>(value: &T) -> Result<Vec<u8>, ContractError> {
    serde_json::to_vec(value).map_err(|e| ContractError::Invalid(format!("reply: {e}")))
}

fn record_key(id: &str) -> Vec<u8> {
    format!("key/{id}").into_bytes()
}

fn check_id(id: &str) -> Result<(), ContractError> {
    let ok = id.strip_prefix("key-").is_some_and(|hex| {
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(invalid("key", "expected key-<16 lowercase hex digits>"))
    }
}

fn hex_field(field: &str, value: &str) -> Result<Zeroizing<Vec<u8>>, ContractError> {
    if value.len() > 2 * MAX_DATA {
        return Err(invalid(field, "is larger than 256 KiB"));
    }
    hex::decode(value)
        .map(Zeroizing::new)
        .map_err(|e| invalid(field, format!("not hex: {e}")))
}

/// The key `id` if `caller` may use it; `NotFoundOrDenied` otherwise, whether or not it
/// exists.
fn usable(state: &dyn State, caller: &Caller, id: &str) -> Result<KeyRecord, ContractError> {
    check_id(id)?;
    let record = state
        .get_ref(&record_key(id))
        .map(|bytes| serde_json::from_slice::<KeyRecord>(&bytes))
        .transpose()
        .map_err(|e| ContractError::Invalid(format!("state: key {id}: {e}")))?;
    record
        .filter(|r| r.usable_by(caller))
        .ok_or(ContractError::NotFoundOrDenied)
}

fn secret(record: &KeyRecord) -> Result<Zeroizing<Vec<u8>>, ContractError> {
    hex::decode(&record.secret)
        .map(Zeroizing::new)
        .map_err(|e| ContractError::Invalid(format!("state: key secret: {e}")))
}

fn expect_kind(record: &KeyRecord, kind: KeyKind, op: &str) -> Result<(), ContractError> {
    if record.kind == kind {
        Ok(())
    } else {
        Err(ContractError::Refused(format!(
            "{op} needs a {kind:?} key; this one is {:?}",
            record.kind
        )))
    }
}

fn aad(id: &str, user: &[u8]) -> Vec<u8> {
    [AAD_DOMAIN, id.as_bytes(), b"/", user].concat()
}

fn check_usage(usage: &[UsageGrant]) -> Result<(), ContractError> {
    if usage.is_empty() || usage.len() > MAX_GRANTS {
        return Err(invalid("usage", format!("give 1 to {MAX_GRANTS} grants")));
    }
    for (i, grant) in usage.iter().enumerate() {
        if !valid_msp_id(&grant.msp_id) {
            return Err(invalid(&format!("usage[{i}].msp_id"), "not an MSP id"));
        }
        if grant.roles.is_empty() {
            return Err(invalid(
                &format!("usage[{i}].roles"),
                "name at least one role",
            ));
        }
        if let Some(role) = grant.roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
            return Err(invalid(
                &format!("usage[{i}].roles"),
                format!("{role:?} is not one of {ROLES:?}"),
            ));
        }
    }
    Ok(())
}

/// The secret of a new key `id` of `kind` (the AES key, or the PKCS#8 DER of the ECDSA
/// key), hex, and its public key (SEC1, hex): HKDF-SHA256 of the transaction's secret
/// randomness `entropy`, so that every replica derives the same (see the
/// [module docs](self)).
fn derive_key(
    provider: &dyn CryptoProvider,
    kind: KeyKind,
    id: &str,
    entropy: &[u8; 32],
) -> Result<(Zeroizing<String>, Option<String>), ContractError> {
    let derive = |info: &[u8]| {
        provider
            .hkdf(HashAlgorithm::Sha256, KEY_MATERIAL_SALT, entropy, info, 32)
            .map_err(|e| crypto("deriving the key", e))
    };
    match kind {
        KeyKind::Aes256Gcm => {
            let key = derive(&[b"aes-256-gcm/", id.as_bytes()].concat())?;
            Ok((Zeroizing::new(hex::encode(&*key)), None))
        }
        KeyKind::EcdsaP256 => {
            for attempt in 0..KEY_DERIVATION_ATTEMPTS {
                let info = [
                    b"ecdsa-p256/".as_slice(),
                    id.as_bytes(),
                    b"/",
                    &attempt.to_be_bytes(),
                ]
                .concat();
                let scalar = derive(&info)?;
                // Zero or not below the group order: try the next candidate.
                let Ok(key) = SigningKey::from_scalar_bytes(EcdsaCurve::P256, &scalar) else {
                    continue;
                };
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| crypto("encoding the key", e))?;
                return Ok((
                    Zeroizing::new(hex::encode(&der)),
                    Some(hex::encode(key.verifying_key().to_sec1_bytes())),
                ));
            }
            Err(ContractError::Refused(
                "deriving the key: no valid P-256 scalar".into(),
            ))
        }
    }
}

/// Executes a key transaction for `caller` at ledger time `now_ms`; the entry's
/// `sequence` names a new key, whose material comes from `entropy`, the transaction's
/// secret randomness (the same at every replica).
pub(crate) fn execute(
    provider: &dyn CryptoProvider,
    caller: &Caller,
    invocation: &[u8],
    now_ms: u64,
    sequence: u64,
    entropy: &[u8; 32],
    state: &mut dyn State,
) -> Result<Vec<u8>, ContractError> {
    let invocation: KeyInvocation = serde_json::from_slice(invocation)
        .map_err(|e| ContractError::Invalid(format!("key invocation: {e}")))?;
    match invocation {
        KeyInvocation::CreateKey { kind, usage, label } => {
            check_usage(&usage)?;
            if label.len() > MAX_LABEL {
                return Err(invalid("label", "is larger than 256 bytes"));
            }
            let id = format!("key-{sequence:016x}");
            let (secret, public_key) = derive_key(provider, kind, &id, entropy)?;
            let record = KeyRecord {
                kind,
                secret: secret.to_string(),
                public_key,
                label,
                creator: Party {
                    msp_id: caller.msp_id.clone(),
                    name: caller.name.clone(),
                },
                usage,
                created_at_ms: now_ms,
            };
            let bytes = Zeroizing::new(
                serde_json::to_vec(&record)
                    .map_err(|e| ContractError::Invalid(format!("key record: {e}")))?,
            );
            state.put(record_key(&id), bytes.to_vec());
            reply(&record.view(&id))
        }
        KeyInvocation::Hash { algorithm, data } => {
            let data = hex_field("data", &data)?;
            let algorithm = match algorithm {
                DigestAlgorithm::Sha256 => HashAlgorithm::Sha256,
                DigestAlgorithm::Sha3_256 => HashAlgorithm::Sha3_256,
            };
            let digest = provider
                .hash(algorithm, &data)
                .map_err(|e| crypto("hashing", e))?;
            reply(&Output {
                output: hex::encode(digest),
            })
        }
        KeyInvocation::Sign { key, data } => {
            let record = usable(state, caller, &key)?;
            expect_kind(&record, KeyKind::EcdsaP256, "sign")?;
            let data = hex_field("data", &data)?;
            let signing = SigningKey::from_pkcs8_der(&secret(&record)?)
                .map_err(|e| crypto("the stored key", e))?;
            let signature = provider
                .ecdsa_sign(&signing, &data)
                .map_err(|e| crypto("signing", e))?;
            reply(&Output {
                output: hex::encode(signature),
            })
        }
        KeyInvocation::Verify {
            key,
            data,
            signature,
        } => {
            let record = usable(state, caller, &key)?;
            expect_kind(&record, KeyKind::EcdsaP256, "verify")?;
            let data = hex_field("data", &data)?;
            let signature = hex_field("signature", &signature)?;
            let signing = SigningKey::from_pkcs8_der(&secret(&record)?)
                .map_err(|e| crypto("the stored key", e))?;
            let valid = provider
                .ecdsa_verify(
                    &signing.verifying_key(),
                    &data,
                    &signature,
                    SignaturePolicy::LowS,
                )
                .is_ok();
            reply(&Verified { valid })
        }
        KeyInvocation::Encrypt {
            key,
            plaintext,
            aad: user_aad,
        } => {
            let record = usable(state, caller, &key)?;
            expect_kind(&record, KeyKind::Aes256Gcm, "encrypt")?;
            let plaintext = hex_field("plaintext", &plaintext)?;
            let user_aad = hex_field("aad", &user_aad)?;
            let mut nonce = [0u8; NONCE_LEN];
            provider
                .fill_random(&mut nonce)
                .map_err(|e| crypto("a nonce", e))?;
            let sealed = provider
                .aes_gcm_seal(&secret(&record)?, &nonce, &aad(&key, &user_aad), &plaintext)
                .map_err(|e| crypto("encrypting", e))?;
            reply(&Output {
                output: hex::encode([&nonce[..], &sealed].concat()),
            })
        }
        KeyInvocation::Decrypt {
            key,
            ciphertext,
            aad: user_aad,
        } => {
            let record = usable(state, caller, &key)?;
            expect_kind(&record, KeyKind::Aes256Gcm, "decrypt")?;
            let ciphertext = hex_field("ciphertext", &ciphertext)?;
            let user_aad = hex_field("aad", &user_aad)?;
            if ciphertext.len() < NONCE_LEN + 16 {
                return Err(invalid("ciphertext", "shorter than a nonce and a tag"));
            }
            let (nonce, sealed) = ciphertext.split_at(NONCE_LEN);
            let plaintext = Zeroizing::new(
                provider
                    .aes_gcm_open(&secret(&record)?, nonce, &aad(&key, &user_aad), sealed)
                    .map_err(|_| {
                        ContractError::Refused(
                            "the ciphertext does not decrypt under this key and aad".into(),
                        )
                    })?,
            );
            reply(&Output {
                output: hex::encode(&*plaintext),
            })
        }
    }
}

/// Answers a key query for `caller`.
pub(crate) fn query(
    caller: &Caller,
    query: &[u8],
    state: &dyn State,
) -> Result<Vec<u8>, ContractError> {
    let query: KeyQuery = serde_json::from_slice(query)
        .map_err(|e| ContractError::Invalid(format!("key query: {e}")))?;
    match query {
        KeyQuery::GetKey { key } => {
            let record = usable(state, caller, &key)?;
            reply(&record.view(&key))
        }
    }
}
