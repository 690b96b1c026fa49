//! The error a core answers with, as [`crate::EnclaveResponse::Error`].
//!
//! These are failures of the *request to the core* (wrong order, missing secrets,
//! refused evidence). A committed transaction that the core refuses (undecryptable,
//! forged, replayed) is not an error: it is executed as a recorded rejection, so that
//! every replica reaches the same outcome.

use serde::{Deserialize, Serialize};

/// Why a core refused a request. Messages never contain secret material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "error", content = "reason")]
#[non_exhaustive]
pub enum EnclaveError {
    /// The core already holds service secrets (genesis, unseal or join twice).
    #[error("this core already holds the service secrets")]
    AlreadyInitialized,
    /// Attestation evidence was refused under the policy, or does not bind the key it
    /// should.
    #[error("attestation refused: {0}")]
    Attestation(String),
    /// A cryptographic operation inside the core failed (random numbers, key encoding).
    #[error("cryptographic failure: {0}")]
    Crypto(String),
    /// Re-executing a recorded entry gave another outcome than the one recorded: the
    /// core's state or code differs from the one that wrote the entry.
    #[error("replay diverged at sequence {sequence}: {reason}")]
    Divergence {
        /// The entry's sequence number.
        sequence: u64,
        /// What differed.
        reason: String,
    },
    /// The genesis constitution is unusable.
    #[error("invalid constitution: {0}")]
    InvalidConstitution(String),
    /// A ledger entry or snapshot could not be decrypted or decoded with this core's
    /// ledger secret (another service's, altered, or not an entry this core wrote).
    #[error("invalid ledger data: {0}")]
    InvalidLedgerData(String),
    /// The request itself is malformed (bad key bytes, bad encoding, oversized).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A recovery share was refused: it does not open with the recovery key, is
    /// malformed, is of another service or recovery configuration, repeats a share
    /// held, or the shares do not combine into the secrets they were made from. The
    /// core keeps the shares it held before.
    #[error("recovery share refused: {0}")]
    InvalidShare(String),
    /// The core holds no ledger secret: it is an observer, or has not joined or
    /// unsealed yet.
    #[error(
        "this core holds no ledger secret (an observer, or not yet initialized, joined or unsealed)"
    )]
    NoSecrets,
    /// The caller is not entitled to the object, or nothing is there: one answer, so
    /// that whoever is not entitled learns nothing of what exists.
    #[error("not found or not allowed")]
    NotFoundOrDenied,
    /// The core has no join in progress ([`crate::EnclaveRequest::PrepareJoin`] first).
    #[error("no join in progress on this core")]
    NoPendingJoin,
    /// The core has no recovery in progress
    /// ([`crate::EnclaveRequest::PrepareRecovery`] first).
    #[error("no recovery in progress on this core")]
    NoPendingRecovery,
    /// Entries must be executed or replayed in ledger order, starting with genesis,
    /// with non-decreasing timestamps.
    #[error("out of order: {0}")]
    OutOfOrder(String),
    /// The TEE platform failed (evidence, sealing, unsealing).
    #[error("platform: {0}")]
    Platform(String),
    /// An object or export authorization was refused before the contract was asked:
    /// it does not open, no member signed it, it expired, it is for another node, it is
    /// not an authorization of this kind, or it authorizes another access than the one
    /// asked for.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
}
