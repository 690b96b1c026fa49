//! The contract interface of strongroom: the logic the trusted core runs for each
//! committed transaction and each query.
//!
//! A [`Contract`] is deterministic: it sees the caller (already authenticated by the
//! core), the time and sequence number of the committed entry, the invocation bytes and
//! a key-value [`State`]. It has no I/O, no clock, no randomness and no cryptography,
//! so every replica that runs the same transactions in the same order reaches the same
//! state. The data-sharing contract (catalog, consent, permissions, tasks) is
//! [`sharing::SharingContract`]; [`NoopContract`] and [`KvContract`] are here for tests
//! and benchmarks.
//!
//! ```
//! use strongroom_contract::{Caller, Contract, KvContract, MemState, TxContext};
//!
//! let caller = Caller { msp_id: "Org1MSP".into(), name: "alice".into(), role: "owner".into() };
//! let ctx = TxContext { caller: caller.clone(), timestamp_ms: 1_000, sequence: 2, attestation: None, entropy: [0; 32], defaults: Default::default() };
//! let mut state = MemState::new();
//! KvContract.execute(&ctx, b"put color=blue", &mut state)?;
//! assert_eq!(KvContract.query(&caller, b"get color", &state)?, b"blue");
//! # Ok::<(), strongroom_contract::ContractError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod sharing;
mod state;

use serde::{Deserialize, Serialize};

pub use state::{MemState, Overlay, State};

/// Who invoked a transaction or query, as established by the core from the signer's
/// member certificate (a plain copy, so that contracts need not know X.509).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Caller {
    /// The caller's organization (MSP id).
    pub msp_id: String,
    /// The caller's name (certificate CN).
    pub name: String,
    /// The caller's role (certificate OU: `admin`, `analyst`, `auditor`, `executor`,
    /// `owner`).
    pub role: String,
}

/// Where a transaction runs: the caller and the position of the committed entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxContext {
    /// The authenticated caller.
    pub caller: Caller,
    /// The ordering time of the committed entry, in milliseconds since the Unix epoch
    /// (never a local clock).
    pub timestamp_ms: u64,
    /// The ledger sequence number of the entry that records the transaction.
    pub sequence: u64,
    /// The caller's TEE attestation: set by the core only after it verified the caller's
    /// evidence under policy; `None` otherwise (and always `None` for callers that are
    /// not TEE workers).
    #[serde(default)]
    pub attestation: Option<Attestation>,
    /// Secret randomness of this transaction: the same on every replica (the core
    /// derives it from the ledger secret and the sequence number), unknown to anyone
    /// outside the cores. The contract uses it where a value must be unguessable, such
    /// as the object locations it reserves. All zeros in tests that do not care.
    #[serde(default, with = "hex_array")]
    pub entropy: [u8; 32],
    /// The consortium's defaults for a dataset registered without its own minimum
    /// cell size or privacy budget, as governance set them when the entry was ordered.
    #[serde(default)]
    pub defaults: DatasetDefaults,
}

/// What a dataset registered without its own minimum cell size or privacy budget gets:
/// the consortium's defaults, which only a governance vote changes (the core passes
/// them in [`TxContext::defaults`]). A dataset keeps what it was registered with when
/// the defaults change later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetDefaults {
    /// Small-cell suppression: counts below this are never released. At least 1.
    pub min_cell_size: u32,
    /// The differential-privacy budget, in millionths of ε; none means no budget.
    #[serde(default)]
    pub epsilon_budget_micro: Option<u64>,
}

impl DatasetDefaults {
    /// The defaults before any vote changed them: a minimum cell size of 11 and no
    /// privacy budget.
    pub const INITIAL: Self = Self {
        min_cell_size: 11,
        epsilon_budget_micro: None,
    };
}

impl Default for DatasetDefaults {
    fn default() -> Self {
        Self::INITIAL
    }
}

/// What an object access is for: the purpose a member names when it asks the core to
/// let it download or upload an object, and which the contract checks against its
/// state ([`Contract::authorize_object`]). Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObjectPurpose {
    /// Download an object of a dataset of the caller's own organization.
    OwnerRead,
    /// Download an input of a task the caller claimed and is running.
    TaskInput {
        /// The task.
        task: String,
    },
    /// Upload into a location the contract reserved for the caller's organization.
    Upload,
}

impl ObjectPurpose {
    /// The access this purpose needs.
    pub fn access(&self) -> ObjectAccess {
        match self {
            Self::OwnerRead | Self::TaskInput { .. } => ObjectAccess::Read,
            Self::Upload => ObjectAccess::Write,
        }
    }
}

/// Download or upload. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectAccess {
    /// Download the object (`GET /v1/objects/{location}`).
    Read,
    /// Upload one object (`PUT /v1/objects/{location}`), if none is there yet.
    Write,
}

impl std::fmt::Display for ObjectAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}

/// What [`Contract::authorize_object`] allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectGrant {
    /// The dataset the object belongs to; `None` for an upload into a reservation not
    /// yet registered.
    pub dataset: Option<String>,
}

/// What the core verified about a caller running inside a TEE (an attested worker).
///
/// The contract trusts these values as they are: the core sets them only after it
/// verified the evidence (quote or report, certificate chain, TCB level) under the
/// consortium's worker policy, checked that its report data binds this very request
/// (its nonce and invocation), [`config_hash`](Self::config_hash) and
/// [`worker_key`](Self::worker_key), and that the member who signed the request is an
/// authenticated executor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The platform the evidence was verified as (`sim`, `sgx`, `tdx`, `snp`).
    pub platform: String,
    /// The worker's code measurement, hex (accepted by the worker policy).
    pub measurement: String,
    /// True for the simulated platform: nothing in hardware backs these claims.
    pub insecure: bool,
    /// The task configuration hash the evidence binds, hex in JSON.
    #[serde(with = "hex_array")]
    pub config_hash: [u8; 32],
    /// The worker's one-time X25519 public key the evidence binds, hex in JSON: data
    /// keys are released to it and to nothing else.
    #[serde(with = "hex_array")]
    pub worker_key: [u8; 32],
}

/// A data key the core is to release to an attested worker: the dataset's key as its
/// owner wrapped it to the core's key-release key ([`KEY_RELEASE_RECIPIENT`]). The
/// core opens it and wraps it again to the worker's one-time key; nobody else ever
/// gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRelease {
    /// The task the key is released for.
    pub task: String,
    /// The dataset whose key it is.
    pub dataset: String,
    /// The key wrapped to the key-release key, hex.
    pub wrapped_key: String,
}

/// The recipient label of a data key wrapped to the core's key-release key: only an
/// attested core opens it, and only to release it to an attested worker of an approved
/// TEE-mode task.
pub const KEY_RELEASE_RECIPIENT: &str = "tee:key-release";

/// Serde for fixed-size byte arrays as lowercase hex strings.
mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = hex::decode(&text).map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom(format!("expected {N} bytes")))
    }
}

/// Why a contract refused an invocation or query. Whatever the variant, the state
/// changes of a refused transaction are discarded by the core.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ContractError {
    /// The invocation or query bytes are not something this contract understands.
    #[error("invalid invocation: {0}")]
    Invalid(String),
    /// The caller may not do this, or the thing does not exist. The two are one answer
    /// so that an unrelated party cannot learn whether something exists.
    #[error("not found or not allowed")]
    NotFoundOrDenied,
    /// The caller is a party to the thing and the invocation is well formed, but the
    /// thing's state does not allow the operation now (a request already decided, a
    /// privacy budget spent, consent withdrawn). Only ever returned to a party that may
    /// see the thing.
    #[error("{0}")]
    Refused(String),
}

/// Deterministic contract logic. See the [crate docs](crate).
pub trait Contract: Send + Sync {
    /// Executes a committed transaction; returns the response for the caller. On error
    /// the core discards every change made to `state`.
    fn execute(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        state: &mut dyn State,
    ) -> Result<Vec<u8>, ContractError>;

    /// Answers a read-only query.
    fn query(
        &self,
        caller: &Caller,
        query: &[u8],
        state: &dyn State,
    ) -> Result<Vec<u8>, ContractError>;

    /// Decides whether `caller` may access the object at `location` for `purpose`, at
    /// ledger time `now_ms`, from the state alone (the core has authenticated the
    /// caller; the host serves or stores the object only if this allows it).
    ///
    /// Whoever is not entitled gets [`ContractError::NotFoundOrDenied`], the same value
    /// whether or not anything is at `location`. The default allows nothing.
    fn authorize_object(
        &self,
        caller: &Caller,
        purpose: &ObjectPurpose,
        location: &str,
        now_ms: u64,
        state: &dyn State,
    ) -> Result<ObjectGrant, ContractError> {
        let _ = (caller, purpose, location, now_ms, state);
        Err(ContractError::NotFoundOrDenied)
    }

    /// The data keys to release to the attested caller of `tx` once `invocation` has
    /// executed successfully into `state` (the state with its writes). The core calls it
    /// only when `tx.attestation` is set, releases exactly these keys to the attested
    /// worker key, and refuses the whole transaction if one cannot be released. The
    /// default releases nothing.
    fn key_releases(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        state: &dyn State,
    ) -> Result<Vec<KeyRelease>, ContractError> {
        let _ = (tx, invocation, state);
        Ok(Vec::new())
    }

    /// The X25519 public key that member `name` of `msp_id` published in `state`, if
    /// any (in the data-sharing contract, `publish_member_key`). The core wraps what
    /// only that member may read to it, such as its share of the service secrets for
    /// recovery; governance requires one before it names a member for recovery. The
    /// default knows of none.
    fn member_key(&self, msp_id: &str, name: &str, state: &dyn State) -> Option<[u8; 32]> {
        let _ = (msp_id, name, state);
        None
    }
}

/// A contract that does nothing and answers with empty bytes (for benchmarks).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopContract;

impl Contract for NoopContract {
    fn execute(
        &self,
        _: &TxContext,
        _: &[u8],
        _: &mut dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        Ok(Vec::new())
    }

    fn query(&self, _: &Caller, _: &[u8], _: &dyn State) -> Result<Vec<u8>, ContractError> {
        Ok(Vec::new())
    }
}

/// A tiny key-value contract for tests. Invocations are text:
///
/// - `put <key>=<value>` stores `value` under `<msp_id>/<key>` and answers `ok`;
/// - `del <key>` removes it (answers `ok`, or [`ContractError::NotFoundOrDenied`]);
/// - `fail <anything>` writes `<msp_id>/failed` and then refuses, to show that a refused
///   transaction changes nothing.
///
/// Queries are `get <key>`, answered from the caller's own organization's keys only.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvContract;

impl KvContract {
    fn key(caller: &Caller, key: &str) -> Vec<u8> {
        format!("{}/{key}", caller.msp_id).into_bytes()
    }
}

impl Contract for KvContract {
    fn execute(
        &self,
        tx: &TxContext,
        invocation: &[u8],
        state: &mut dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        let text = std::str::from_utf8(invocation)
            .map_err(|_| ContractError::Invalid("invocation is not UTF-8".into()))?;
        if let Some(rest) = text.strip_prefix("put ") {
            let (key, value) = rest
                .split_once('=')
                .ok_or_else(|| ContractError::Invalid("expected `put key=value`".into()))?;
            state.put(Self::key(&tx.caller, key), value.as_bytes().to_vec());
            Ok(b"ok".to_vec())
        } else if let Some(key) = text.strip_prefix("del ") {
            let key = Self::key(&tx.caller, key);
            if state.get(&key).is_none() {
                return Err(ContractError::NotFoundOrDenied);
            }
            state.delete(&key);
            Ok(b"ok".to_vec())
        } else if text.starts_with("fail ") {
            state.put(Self::key(&tx.caller, "failed"), b"yes".to_vec());
            Err(ContractError::Invalid("asked to fail".into()))
        } else {
            Err(ContractError::Invalid("unknown operation".into()))
        }
    }

    fn query(
        &self,
        caller: &Caller,
        query: &[u8],
        state: &dyn State,
    ) -> Result<Vec<u8>, ContractError> {
        let key = std::str::from_utf8(query)
            .ok()
            .and_then(|q| q.strip_prefix("get "))
            .ok_or_else(|| ContractError::Invalid("expected `get key`".into()))?;
        state
            .get(&Self::key(caller, key))
            .ok_or(ContractError::NotFoundOrDenied)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ctx(msp: &str) -> TxContext {
        TxContext {
            caller: Caller {
                msp_id: msp.into(),
                name: "alice".into(),
                role: "owner".into(),
            },
            timestamp_ms: 5,
            sequence: 2,
            attestation: None,
            entropy: [0; 32],
            defaults: Default::default(),
        }
    }

    #[test]
    fn kv_contract_keeps_organizations_apart() {
        let mut state = MemState::new();
        KvContract
            .execute(&ctx("Org1MSP"), b"put k=one", &mut state)
            .unwrap();
        KvContract
            .execute(&ctx("Org2MSP"), b"put k=two", &mut state)
            .unwrap();
        assert_eq!(
            KvContract
                .query(&ctx("Org1MSP").caller, b"get k", &state)
                .unwrap(),
            b"one"
        );
        assert_eq!(
            KvContract.query(&ctx("Org3MSP").caller, b"get k", &state),
            Err(ContractError::NotFoundOrDenied)
        );
        KvContract
            .execute(&ctx("Org1MSP"), b"del k", &mut state)
            .unwrap();
        assert_eq!(
            KvContract.execute(&ctx("Org1MSP"), b"del k", &mut state),
            Err(ContractError::NotFoundOrDenied)
        );
        assert!(matches!(
            KvContract.execute(&ctx("Org1MSP"), b"jump", &mut state),
            Err(ContractError::Invalid(_))
        ));
    }

    #[test]
    fn noop_contract_changes_nothing() {
        let mut state = MemState::new();
        assert!(
            NoopContract
                .execute(&ctx("Org1MSP"), b"anything", &mut state)
                .unwrap()
                .is_empty()
        );
        assert!(state.is_empty());
    }
}
