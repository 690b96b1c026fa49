//! Why the core refused a request: a typed [`RefusalCode`], which ledger records carry,
//! and a detail for display. Replay never compares the text, so rewording a message
//! changes no ledger's meaning.

use std::fmt;

use strongroom_contract::ContractError;

/// What kind of refusal. The numbers are recorded on the ledger and never change;
/// new kinds get new numbers. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalCode {
    /// A worker's evidence does not verify under the worker policy, or does not bind
    /// this request (see [`crate::worker`]).
    EvidenceRejected,
    /// The request's `not after` time had passed when it was executed or checked.
    Expired,
    /// The contract or governance found the invocation malformed (a field named in the
    /// detail); depends on the invocation only.
    Invalid,
    /// The request's `not after` lies further beyond its execution time than the core
    /// allows ([`crate::request::MAX_LIFETIME_MS`]).
    LifetimeTooLong,
    /// The sealed request, its envelope or its signed request does not decode.
    Malformed,
    /// The body is not something a transaction may carry (an object or export
    /// authorization).
    NotATransaction,
    /// The thing does not exist or the caller may not act on it: one answer, so that a
    /// non-party learns nothing.
    NotFoundOrDenied,
    /// The request is larger than the core reads.
    Oversized,
    /// The caller is a party, but the thing's state does not allow the operation now.
    Refused,
    /// A data key the contract released to an attested worker could not be opened with
    /// the key-release key or wrapped to the worker's key: nothing was released.
    ReleaseFailed,
    /// The request's nonce was used before.
    Replayed,
    /// The signer's certificate was revoked by governance.
    Revoked,
    /// The signer's certificate does not chain to a consortium organization at the
    /// entry's time, or the signature does not verify.
    SignerRejected,
    /// The request does not decrypt with the service transaction key.
    Undecryptable,
    /// A query sent as a transaction, or the other way round.
    WrongPurpose,
}

impl RefusalCode {
    /// The number recorded on the ledger.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::Oversized => 1,
            Self::Malformed => 2,
            Self::Undecryptable => 3,
            Self::SignerRejected => 10,
            Self::Revoked => 11,
            Self::WrongPurpose => 20,
            Self::Expired => 21,
            Self::LifetimeTooLong => 22,
            Self::Replayed => 23,
            Self::NotATransaction => 24,
            Self::Invalid => 30,
            Self::NotFoundOrDenied => 31,
            Self::Refused => 32,
            Self::EvidenceRejected => 40,
            Self::ReleaseFailed => 41,
        }
    }

    /// The code recorded as `number`, if it is one.
    pub fn from_u16(number: u16) -> Option<Self> {
        Some(match number {
            1 => Self::Oversized,
            2 => Self::Malformed,
            3 => Self::Undecryptable,
            10 => Self::SignerRejected,
            11 => Self::Revoked,
            20 => Self::WrongPurpose,
            21 => Self::Expired,
            22 => Self::LifetimeTooLong,
            23 => Self::Replayed,
            24 => Self::NotATransaction,
            30 => Self::Invalid,
            31 => Self::NotFoundOrDenied,
            32 => Self::Refused,
            40 => Self::EvidenceRejected,
            41 => Self::ReleaseFailed,
            _ => return None,
        })
    }

    /// The words a message about this code starts with (`None`: the detail says it
    /// all).
    fn words(self) -> Option<&'static str> {
        Some(match self {
            Self::EvidenceRejected => "worker evidence rejected",
            Self::Expired => "expired request",
            Self::Invalid => "invalid invocation",
            Self::LifetimeTooLong => "request valid for too long",
            Self::Malformed => "malformed request",
            Self::NotATransaction => "not a transaction",
            Self::NotFoundOrDenied => "not found or not allowed",
            Self::Oversized => "request too large",
            Self::Refused => return None,
            Self::ReleaseFailed => "key release failed",
            Self::Replayed => "replayed request: its nonce was already used",
            Self::Revoked => "signer rejected: the certificate is revoked",
            Self::SignerRejected => "signer rejected",
            Self::Undecryptable => "request does not decrypt with the service transaction key",
            Self::WrongPurpose => "wrong purpose",
        })
    }
}

/// A refusal: its code and the details of this case (display only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What kind of refusal.
    pub code: RefusalCode,
    /// What exactly (a field, an id, a time); may be empty.
    pub detail: String,
}

impl Refusal {
    /// A refusal with `detail`.
    pub fn new(code: RefusalCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.words(), self.detail.is_empty()) {
            (Some(words), true) => f.write_str(words),
            (Some(words), false) => write!(f, "{words}: {}", self.detail),
            (None, _) => f.write_str(&self.detail),
        }
    }
}

impl From<ContractError> for Refusal {
    fn from(error: ContractError) -> Self {
        match error {
            ContractError::Invalid(detail) => Self::new(RefusalCode::Invalid, detail),
            ContractError::NotFoundOrDenied => Self::new(RefusalCode::NotFoundOrDenied, ""),
            ContractError::Refused(detail) => Self::new(RefusalCode::Refused, detail),
            other => Self::new(RefusalCode::Refused, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [RefusalCode; 15] = [
        RefusalCode::EvidenceRejected,
        RefusalCode::Expired,
        RefusalCode::Invalid,
        RefusalCode::LifetimeTooLong,
        RefusalCode::Malformed,
        RefusalCode::NotATransaction,
        RefusalCode::NotFoundOrDenied,
        RefusalCode::Oversized,
        RefusalCode::Refused,
        RefusalCode::ReleaseFailed,
        RefusalCode::Replayed,
        RefusalCode::Revoked,
        RefusalCode::SignerRejected,
        RefusalCode::Undecryptable,
        RefusalCode::WrongPurpose,
    ];

    #[test]
    fn codes_round_trip_through_their_numbers_and_numbers_are_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ALL {
            assert_eq!(RefusalCode::from_u16(code.to_u16()), Some(code));
            assert!(seen.insert(code.to_u16()), "{code:?} reuses a number");
        }
        assert_eq!(RefusalCode::from_u16(0), None);
        assert_eq!(RefusalCode::from_u16(9999), None);
    }

    #[test]
    fn contract_errors_keep_their_display_text() {
        for error in [
            ContractError::Invalid("name: must not be empty".into()),
            ContractError::NotFoundOrDenied,
            ContractError::Refused("task task-1 is running".into()),
        ] {
            assert_eq!(Refusal::from(error.clone()).to_string(), error.to_string());
        }
    }
}
