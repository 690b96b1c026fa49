//! Member roles, carried in the certificate's organizational unit (OU).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The role of an organization member, written as the OU of its certificate.
///
/// The textual form ([`Role::as_str`], [`FromStr`], serde) is the lowercase variant name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Administers the organization's membership and votes on governance.
    Admin,
    /// Searches the catalog, requests permissions and tasks, reads results.
    Analyst,
    /// Verifies the ledger and receipts offline.
    Auditor,
    /// Runs approved analyses.
    Executor,
    /// Registers datasets and approves or rejects requests on them.
    Owner,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::Analyst,
        Self::Auditor,
        Self::Executor,
        Self::Owner,
    ];

    /// The lowercase name written in certificates (`"admin"`, `"owner"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Auditor => "auditor",
            Self::Executor => "executor",
            Self::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseRoleError;

    /// Parses the exact lowercase name; anything else (including other cases) is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| ParseRoleError {
                found: s.to_owned(),
            })
    }
}

/// The text is not the name of a [`Role`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {found:?} (expected one of admin, analyst, auditor, executor, owner)")]
pub struct ParseRoleError {
    /// The text that was not recognized.
    pub found: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_is_case_sensitive() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("node".parse::<Role>().is_err());
    }
}
