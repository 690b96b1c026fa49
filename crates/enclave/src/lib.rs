//! The trusted core of strongroom: a message-driven state machine that holds the
//! service secrets and executes committed transactions.
//!
//! A host (the node) drives an [`Enclave`] with [`EnclaveRequest`]s and gets one
//! [`EnclaveResponse`] each. Both serialize ([`EnclaveRequest::to_bytes`],
//! [`Enclave::handle_bytes`]), so the core runs in the node process or behind a
//! process boundary unchanged. It knows no HTTP, no files and no clock: storage
//! reaches it through the ledger, and time through the committed entries.
//!
//! # What it holds, and never lets out in clear
//!
//! - the **ledger secret** (32 random bytes, created at genesis), from which HKDF
//!   derives the AES-256-GCM keys of ledger entries and snapshots;
//! - the **service signing key** (ECDSA P-256), which signs the ledger's Merkle roots;
//! - the **service transaction key** (HPKE X25519), to which clients encrypt.
//!
//! They leave the core only sealed to the platform ([`strongroom_tee::Platform::seal`],
//! for the host to store) or HPKE-wrapped to a joining core whose evidence verified
//! under the consortium's node policy (on the ledger, set by governance) and binds the
//! key they are wrapped to; or, split into Shamir shares, one to each recovery member
//! governance named, wrapped to that member's key, so that `k` of them can recover the
//! service when no core is left ([`recovery`]). The core's evidence binds
//! the hash of its public keys ([`evidence_report_data`]).
//!
//! # A transaction
//!
//! 1. The client signs a [`request::SignedRequest`] (nonce, response key, invocation)
//!    and encrypts the envelope to the transaction key ([`request::PreparedRequest`]).
//! 2. Consensus orders the opaque bytes; every core gets `Execute` with the entry's
//!    sequence number, previous hash and time.
//! 3. The core decrypts (one HPKE open), checks the member's certificate against the
//!    organizations recorded on the ledger (cached by certificate hash, validity still
//!    checked at the entry's time) and the signature (one ECDSA verification), refuses
//!    a nonce it has seen, runs the [`Contract`](strongroom_contract::Contract) on a
//!    write overlay, encrypts the ledger record deterministically ([`entry`]) and the
//!    response to the client's key.
//!
//! A request the core refuses (undecryptable, forged, replayed) is recorded as a
//! refusal and changes nothing else, identically on every replica.
//!
//! # Quick start
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use strongroom_contract::KvContract;
//! use strongroom_enclave::request::{PreparedRequest, Reply};
//! use strongroom_enclave::{
//!     Constitution, Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext, Organization,
//! };
//! use strongroom_identity::{OrgCa, Role, Validity};
//! use strongroom_tee::{CodeIdentity, Policy, SimPlatform};
//! use time::Duration;
//!
//! let ca = OrgCa::new("Org1MSP", Validity::starting_now(Duration::days(30))?)?;
//! let alice = ca.enroll_member("alice", Role::Owner, Validity::starting_now(Duration::days(30))?)?;
//!
//! // INSECURE SIMULATION platform, for the example.
//! let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &[7u8; 32])?;
//! let mut core = Enclave::new(Box::new(platform), Box::new(KvContract));
//!
//! let constitution = Constitution {
//!     organizations: vec![Organization::from_der("Org1MSP", ca.cert_der())?],
//!     threshold: Default::default(),
//!     node_policy: None,
//!     worker_policy: None,
//! };
//! let EnclaveResponse::Genesis { ledger_payload, public_keys, .. } =
//!     core.handle(EnclaveRequest::Genesis { constitution })
//! else { panic!("genesis") };
//! let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() as u64 * 1000;
//! let ctx = |sequence| ExecuteContext { log_index: sequence, timestamp_ms: now_ms, sequence, prev_hash: [0; 32], voters: vec![1], learners: vec![] };
//! core.handle(EnclaveRequest::Execute { ctx: ctx(1), payload: ledger_payload });
//!
//! let request = PreparedRequest::transaction(&public_keys.transaction_key, &alice, "put k=v")?;
//! let EnclaveResponse::Executed { response, .. } =
//!     core.handle(EnclaveRequest::Execute { ctx: ctx(2), payload: request.payload.clone() })
//! else { panic!("execute") };
//! assert_eq!(request.open_response(&response)?, Reply::Accept(b"ok".to_vec()));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
mod core;
pub mod entry;
mod error;
mod execute;
pub mod governance;
pub mod keys;
mod message;
pub mod prepare;
pub mod record;
pub mod recovery;
pub mod refusal;
pub mod request;
mod response;
mod secrets;
mod state;
pub mod worker;

pub use crate::core::{Enclave, evidence_report_data, join_report_data};
pub use error::EnclaveError;
pub use message::{
    EnclaveRequest, EnclaveResponse, EvidenceMessage, ExecuteContext, JoinCollateral, LedgerEntry,
    RecordKind,
};
pub use prepare::{MemberRate, Prepared, Preparer};
pub use record::{Constitution, GENESIS_FORMAT, GenesisRecord, Organization};
pub use secrets::PublicKeys;
pub use worker::{AttestedReply, ReleasedKey, released_key_info, worker_report_data};
