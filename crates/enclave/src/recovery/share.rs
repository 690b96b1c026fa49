//! A member's recovery share as the core makes it and a recovering core takes it: the
//! plaintext, HPKE-wrapped first to the member's key, then (by the member) to the
//! recovering core's one-time recovery key.
//!
//! Plaintext (`u64` big-endian):
//!
//! | size | field |
//! |---|---|
//! | 1 | format, `0x01` |
//! | 32 | SHA-256 of the service public keys ([`public_keys_sha256`]) |
//! | 32 | SHA-256 of the secrets shared (`"strongroom/recovery/secrets/v1"` and their encoding) |
//! | 8 | the recovery configuration's version |
//! | 1 | how many members hold shares |
//! | rest | the Shamir share ([`strongroom_crypto::shamir::Share`] encoding: format, threshold, index, values) |

use sha2::{Digest, Sha256};
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_crypto::shamir::Share;
use zeroize::Zeroizing;

use crate::secrets::PublicKeys;

/// HPKE `info` prefix of a share wrapped to a member's key (followed by `MSP/name`).
pub const MEMBER_INFO: &[u8] = b"strongroom/recovery/share-to-member/v1/";
/// HPKE `info` of a share wrapped to a recovering core's recovery key.
pub const CORE_INFO: &[u8] = b"strongroom/recovery/share-to-core/v1";
/// The longest wrapped share a recovering core takes, in bytes.
pub const MAX_WRAPPED_SHARE_LEN: usize = 32 * 1024;

const FORMAT: u8 = 0x01;
const HEADER_LEN: usize = 1 + 32 + 32 + 8 + 1;
const PUBLIC_KEYS_DOMAIN: &[u8] = b"strongroom/recovery/public-keys/v1";
const SECRETS_DOMAIN: &[u8] = b"strongroom/recovery/secrets/v1";

/// Why a share could not be opened, read or wrapped. Names the field, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("recovery share: {0}")]
pub struct ShareError(pub String);

fn bad(what: impl Into<String>) -> ShareError {
    ShareError(what.into())
}

/// SHA-256 over `"strongroom/recovery/public-keys/v1"` and the signing and transaction
/// keys (each with a `u32` length): what a share says it recovers.
pub fn public_keys_sha256(keys: &PublicKeys) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(PUBLIC_KEYS_DOMAIN);
    for part in [&keys.signing_key, &keys.transaction_key] {
        hasher.update(u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// SHA-256 of the encoded secrets a share is of: the check a combination must pass.
pub(crate) fn secrets_sha256(encoded: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(SECRETS_DOMAIN);
    hasher.update(encoded);
    hasher.finalize().into()
}

fn member_info(member: &str) -> Vec<u8> {
    [MEMBER_INFO, member.as_bytes()].concat()
}

/// One member's share of the service secrets, opened. Its values are zeroized on drop
/// and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryShare {
    pub(crate) public_keys_sha256: [u8; 32],
    pub(crate) secrets_sha256: [u8; 32],
    pub(crate) version: u64,
    pub(crate) members: u8,
    pub(crate) share: Share,
}

impl std::fmt::Debug for RecoveryShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryShare")
            .field("public_keys_sha256", &hex::encode(self.public_keys_sha256))
            .field("version", &self.version)
            .field("index", &self.share.index())
            .field("threshold", &self.share.threshold())
            .field("members", &self.members)
            .finish_non_exhaustive()
    }
}

impl RecoveryShare {
    /// Opens a share that `GetRecoveryShare` answered to `member` (`MSP/name`), wrapped
    /// to its member key, with that key.
    pub fn open(member_key: &PrivateKey, member: &str, wrapped: &[u8]) -> Result<Self, ShareError> {
        let wrapped =
            WrappedKey::from_bytes(wrapped).map_err(|e| bad(format!("wrapped share: {e}")))?;
        let plain = hpke::unwrap_key(member_key, &member_info(member), &wrapped).map_err(|_| {
            bad(format!(
                "the share does not open with the member key of {member} (wrapped to another key, or altered)"
            ))
        })?;
        Self::from_bytes(&plain)
    }

    /// The share wrapped to a recovering core's recovery key (HPKE X25519, [`CORE_INFO`]).
    pub fn wrap_to_core(&self, recovery_key: &[u8]) -> Result<Vec<u8>, ShareError> {
        let recipient = PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, recovery_key)
            .map_err(|e| bad(format!("recovery key: {e}")))?;
        hpke::wrap_key(&recipient, CORE_INFO, &self.to_bytes())
            .map(|wrapped| wrapped.to_bytes())
            .map_err(|e| bad(format!("wrapping to the recovery key: {e}")))
    }

    /// SHA-256 of the service public keys this share recovers ([`public_keys_sha256`]).
    pub fn public_keys_sha256(&self) -> &[u8; 32] {
        &self.public_keys_sha256
    }

    /// The recovery configuration's version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How many shares recover the secrets.
    pub fn threshold(&self) -> u8 {
        self.share.threshold()
    }

    /// The share's index (the member's position in the configuration, from 1).
    pub fn index(&self) -> u8 {
        self.share.index()
    }

    /// How many members hold shares.
    pub fn members(&self) -> u8 {
        self.members
    }

    /// The plaintext (see the module docs of `recovery::share`), zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let share = self.share.to_bytes();
        let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + share.len()));
        out.push(FORMAT);
        out.extend_from_slice(&self.public_keys_sha256);
        out.extend_from_slice(&self.secrets_sha256);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.push(self.members);
        out.extend_from_slice(&share);
        out
    }

    /// Decodes [`RecoveryShare::to_bytes`]'s output (what a recovering core reads once
    /// it opened a wrapped share); refuses anything else, naming the field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ShareError> {
        let (header, share) = bytes
            .split_at_checked(HEADER_LEN)
            .ok_or_else(|| bad(format!("{} bytes, shorter than its header", bytes.len())))?;
        let (format, rest) = header.split_at(1);
        if format != [FORMAT] {
            return Err(bad(format!(
                "format {:#04x} is unknown (expected 0x01)",
                format[0]
            )));
        }
        let (public_keys_sha256, rest) = rest.split_at(32);
        let (secrets_sha256, rest) = rest.split_at(32);
        let (version, members) = rest.split_at(8);
        let share = Share::from_bytes(share).map_err(|e| bad(e.to_string()))?;
        let members = members[0];
        if members == 0 || share.index() > members || share.threshold() > members {
            return Err(bad(format!(
                "share {} of threshold {} does not fit {members} members",
                share.index(),
                share.threshold()
            )));
        }
        let array = |bytes: &[u8]| <[u8; 32]>::try_from(bytes).unwrap_or([0; 32]);
        Ok(Self {
            public_keys_sha256: array(public_keys_sha256),
            secrets_sha256: array(secrets_sha256),
            version: u64::from_be_bytes(<[u8; 8]>::try_from(version).unwrap_or([0; 8])),
            members,
            share,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use strongroom_crypto::shamir;

    use super::*;

    fn sample() -> RecoveryShare {
        let share = shamir::split_with_seed(&[1; 32], b"secrets", 2, 3).unwrap()[1].clone();
        RecoveryShare {
            public_keys_sha256: [7; 32],
            secrets_sha256: [8; 32],
            version: 3,
            members: 3,
            share,
        }
    }

    #[test]
    fn a_share_survives_its_encoding_and_both_wraps() {
        let share = sample();
        assert_eq!(RecoveryShare::from_bytes(&share.to_bytes()).unwrap(), share);
        let member = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let to_member = hpke::wrap_key(
            member.public_key(),
            &member_info("Org1MSP/a"),
            &share.to_bytes(),
        )
        .unwrap()
        .to_bytes();
        let opened = RecoveryShare::open(&member, "Org1MSP/a", &to_member).unwrap();
        assert_eq!(opened, share);
        // Another member's label does not open it.
        assert!(RecoveryShare::open(&member, "Org1MSP/b", &to_member).is_err());
        let core = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let to_core = opened.wrap_to_core(&core.public_key().to_bytes()).unwrap();
        let plain =
            hpke::unwrap_key(&core, CORE_INFO, &WrappedKey::from_bytes(&to_core).unwrap()).unwrap();
        assert_eq!(RecoveryShare::from_bytes(&plain).unwrap(), share);
    }

    #[test]
    fn malformed_plaintexts_are_refused() {
        let good = sample().to_bytes();
        let mut wrong_format = good.to_vec();
        wrong_format[0] = 2;
        let mut no_members = good.to_vec();
        no_members[HEADER_LEN - 1] = 0;
        let mut few_members = good.to_vec();
        few_members[HEADER_LEN - 1] = 1;
        for (bytes, says) in [
            (&good[..10], "shorter than its header"),
            (&good[..HEADER_LEN], "share length"),
            (&wrong_format[..], "format 0x02"),
            (&no_members[..], "does not fit 0 members"),
            (&few_members[..], "does not fit 1 members"),
        ] {
            let error = RecoveryShare::from_bytes(bytes).unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
    }
}
