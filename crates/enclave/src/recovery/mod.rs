//! Recovery of the service from its ledger files when no core holds the secrets any
//! more: `k` of the `n` members that governance named (`set_recovery`) each hand a
//! share of the service secrets to a fresh, attested core, which combines them.
//!
//! # Shares are computed, never stored
//!
//! Nothing random enters the replicated state, so replicas cannot diverge. A share is
//! computed on demand when its member asks (`GetRecoveryShare`, a query): the secrets'
//! encoding is split with Shamir's scheme ([`strongroom_crypto::shamir`]) whose
//! coefficients come from a seed every replica derives alike:
//!
//! ```text
//! recovery key = HKDF-SHA256(ledger secret, "strongroom/enclave/recovery-key/v1")
//! seed         = HKDF-SHA256(salt "strongroom/recovery/v1", recovery key,
//!                            info "strongroom/recovery/v1" || u64be(configuration version))
//! ```
//!
//! so every replica gives a member the same share, and shares fetched from different
//! nodes combine. The share's plaintext ([`RecoveryShare`]) also carries the SHA-256
//! of the service public keys and of the secrets, and it is HPKE-wrapped to the
//! member's published key (inside the query's response, itself encrypted to the
//! member).
//!
//! # The recovering core
//!
//! A core without secrets (`PrepareRecovery`) is told which public keys to recover
//! (the host reads them from the ledger's genesis record), makes a one-time X25519
//! recovery key and evidence whose report data binds the key, the public keys, the
//! endpoint key and a verifier's nonce ([`recovery_report_data`]). A member's client
//! verifies that evidence, checks that its share is for those public keys, opens the
//! share with its member key and wraps it to the recovery key
//! (`SubmitRecoveryShare`). The core refuses a share that does not open, is
//! malformed, names other public keys, another configuration version or threshold,
//! or repeats an index, and keeps the others (zeroized on drop). With `k` distinct
//! shares it combines them, checks the secrets' hash and the public keys, and only
//! then installs and seals the secrets (`Recovered`). If the combination fails the
//! check, the share just submitted is dropped (the core cannot tell which share is
//! bad): a restart of the recovery discards the rest.

mod share;

use strongroom_contract::{Caller, ContractError};
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_crypto::provider::{HashAlgorithm, VerifyingKey};
use strongroom_crypto::shamir;
use strongroom_tee::ReportData;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use share::{
    CORE_INFO, MAX_WRAPPED_SHARE_LEN, MEMBER_INFO, RecoveryShare, ShareError, public_keys_sha256,
};

use crate::core::{Enclave, report_data};
use crate::error::EnclaveError;
use crate::governance::RecoveryShareView;
use crate::governance::recovery as config;
use crate::message::EnclaveResponse;
use crate::secrets::{PublicKeys, Secrets};

const REPORT_DOMAIN: &[u8] = b"strongroom/enclave/recovery/v1";
const SEED_DOMAIN: &[u8] = b"strongroom/recovery/v1";

/// The report data of a recovering core's evidence: SHA-256 over
/// `"strongroom/enclave/recovery/v1"`, the recovery key, the signing key, the
/// transaction key, the endpoint key (32 zero bytes if none is bound) and the
/// verifier's nonce (each with a `u32` length), followed by 32 zero bytes. A member
/// that checks it knows that a share it wraps to the recovery key opens only in an
/// attested core that recovers exactly these public keys.
pub fn recovery_report_data(
    recovery_key: &[u8],
    public_keys: &PublicKeys,
    endpoint: &[u8; 32],
    nonce: &[u8],
) -> ReportData {
    report_data(
        REPORT_DOMAIN,
        &[
            recovery_key,
            &public_keys.signing_key,
            &public_keys.transaction_key,
            endpoint,
            nonce,
        ],
    )
}

/// A recovery in progress: the one-time key, the keys to recover and the shares held.
pub(crate) struct PendingRecovery {
    key: PrivateKey,
    public_keys: PublicKeys,
    expected: [u8; 32],
    shares: Vec<RecoveryShare>,
}

fn share_refused(what: impl Into<String>) -> EnclaveError {
    EnclaveError::InvalidShare(what.into())
}

/// The seed of the shares of configuration `version` (see the [module docs](self)).
fn seed(enclave: &Enclave, secrets: &Secrets, version: u64) -> Result<Zeroizing<[u8; 32]>, String> {
    let info = [SEED_DOMAIN, &version.to_be_bytes()].concat();
    let derived = enclave
        .provider
        .hkdf(
            HashAlgorithm::Sha256,
            SEED_DOMAIN,
            &secrets.recovery_key,
            &info,
            32,
        )
        .map_err(|e| format!("deriving the share seed: {e}"))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(derived.get(..32).ok_or("a short share seed")?);
    Ok(seed)
}

impl Enclave {
    /// Answers `GetRecoveryShare` for `caller`: its share under the configuration now,
    /// wrapped to its member key. Whoever the configuration does not name (or while
    /// there is none) gets "not found or not allowed".
    pub(crate) fn recovery_share(&self, caller: &Caller) -> Result<Vec<u8>, ContractError> {
        let state = self.state.core_state();
        let config = config::config(state)?.ok_or(ContractError::NotFoundOrDenied)?;
        let index = config
            .index_of(&caller.msp_id, &caller.name)
            .ok_or(ContractError::NotFoundOrDenied)?;
        let member_key = self
            .contract
            .member_key(&caller.msp_id, &caller.name, &self.state.contract)
            .ok_or(ContractError::NotFoundOrDenied)?;
        let secrets = self
            .secrets()
            .map_err(|_| ContractError::NotFoundOrDenied)?;
        let failed = |what: String| ContractError::Refused(format!("the share: {what}"));
        let encoded = secrets.encode().map_err(|e| failed(e.to_string()))?;
        let members = config.members.len();
        let threshold = usize::try_from(config.threshold).unwrap_or(usize::MAX);
        let shares = shamir::split_with_seed(
            &*seed(self, secrets, config.version).map_err(failed)?,
            &encoded,
            threshold,
            members,
        )
        .map_err(|e| failed(e.to_string()))?;
        let share = shares
            .into_iter()
            .nth(index - 1)
            .ok_or_else(|| failed("no share at its index".into()))?;
        let plain = RecoveryShare {
            public_keys_sha256: public_keys_sha256(&secrets.public),
            secrets_sha256: share::secrets_sha256(&encoded),
            version: config.version,
            members: u8::try_from(members).unwrap_or(u8::MAX),
            share,
        };
        let member = format!("{}/{}", caller.msp_id, caller.name);
        let recipient = PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, &member_key)
            .map_err(|e| failed(format!("the member key: {e}")))?;
        let wrapped = hpke::wrap_key(
            &recipient,
            &[MEMBER_INFO, member.as_bytes()].concat(),
            &plain.to_bytes(),
        )
        .map_err(|e| failed(format!("wrapping it: {e}")))?;
        let view = RecoveryShareView {
            member,
            index: u32::try_from(index).unwrap_or(u32::MAX),
            threshold: config.threshold,
            members: u32::try_from(members).unwrap_or(u32::MAX),
            version: config.version,
            public_key: hex::encode(member_key),
            public_keys_sha256: hex::encode(plain.public_keys_sha256),
            wrapped_share: hex::encode(wrapped.to_bytes()),
        };
        serde_json::to_vec(&view).map_err(|e| failed(format!("encoding it: {e}")))
    }

    /// `PrepareRecovery`: a one-time key and evidence binding it and `public_keys`.
    pub(crate) fn prepare_recovery(
        &mut self,
        public_keys: PublicKeys,
    ) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        VerifyingKey::from_spki_der(&public_keys.signing_key)
            .map_err(|e| EnclaveError::InvalidRequest(format!("public_keys.signing_key: {e}")))?;
        PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, &public_keys.transaction_key).map_err(
            |e| EnclaveError::InvalidRequest(format!("public_keys.transaction_key: {e}")),
        )?;
        self.recovery = Some(PendingRecovery {
            key: PrivateKey::generate(KemId::DhKemX25519HkdfSha256),
            expected: public_keys_sha256(&public_keys),
            public_keys,
            shares: Vec::new(),
        });
        self.recovery_evidence(&[])
    }

    /// Evidence over the recovery key, the keys to recover, the endpoint and `nonce`.
    pub(crate) fn recovery_evidence(&self, nonce: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        let pending = self
            .recovery
            .as_ref()
            .ok_or(EnclaveError::NoPendingRecovery)?;
        let recovery_key = pending.key.public_key().to_bytes();
        let endpoint = self.endpoint.unwrap_or([0; 32]);
        let evidence = self
            .platform
            .evidence(&recovery_report_data(
                &recovery_key,
                &pending.public_keys,
                &endpoint,
                nonce,
            ))
            .map_err(|e| EnclaveError::Platform(e.to_string()))?;
        Ok(EnclaveResponse::RecoveryPrepared {
            evidence: evidence.into(),
            recovery_key,
            public_keys: pending.public_keys.clone(),
            endpoint,
        })
    }

    /// `SubmitRecoveryShare`: holds a share; with `k` of them, recovers the secrets.
    pub(crate) fn submit_recovery_share(
        &mut self,
        wrapped: &[u8],
    ) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        let pending = self
            .recovery
            .as_mut()
            .ok_or(EnclaveError::NoPendingRecovery)?;
        if wrapped.len() > MAX_WRAPPED_SHARE_LEN {
            return Err(share_refused(format!(
                "{} bytes, more than {MAX_WRAPPED_SHARE_LEN}",
                wrapped.len()
            )));
        }
        let wrapped = WrappedKey::from_bytes(wrapped)
            .map_err(|e| share_refused(format!("the wrapped share: {e}")))?;
        let plain = hpke::unwrap_key(&pending.key, CORE_INFO, &wrapped).map_err(|_| {
            share_refused(
                "it does not open with this core's recovery key (wrapped to another key, or altered)",
            )
        })?;
        let share = RecoveryShare::from_bytes(&plain).map_err(|e| share_refused(e.0))?;
        check_fits(pending, &share)?;
        pending.shares.push(share);
        let held = pending.shares.len();
        let threshold = pending.shares.first().map_or(1, RecoveryShare::threshold);
        if held < usize::from(threshold) {
            return Ok(EnclaveResponse::RecoveryShareHeld {
                held: u32::try_from(held).unwrap_or(u32::MAX),
                threshold: u32::from(threshold),
            });
        }
        let secrets = match combine(self.provider, pending) {
            Ok(secrets) => secrets,
            Err(error) => {
                // What was held before this share is kept; this one is dropped.
                pending.shares.pop();
                return Err(error);
            }
        };
        let sealed = self.seal_secrets(&secrets)?;
        let public_keys = secrets.public.clone();
        self.install(secrets);
        self.recovery = None;
        Ok(EnclaveResponse::Recovered {
            public_keys,
            threshold: u32::from(threshold),
            sealed,
        })
    }
}

/// Refuses a share that is not for this recovery or not of the shares held.
fn check_fits(pending: &PendingRecovery, share: &RecoveryShare) -> Result<(), EnclaveError> {
    if !bool::from(share.public_keys_sha256.ct_eq(&pending.expected)) {
        return Err(share_refused(format!(
            "it is a share of another service (public keys SHA-256 {}; this core recovers {})",
            hex::encode(share.public_keys_sha256),
            hex::encode(pending.expected)
        )));
    }
    let Some(first) = pending.shares.first() else {
        return Ok(());
    };
    if share.version != first.version {
        return Err(share_refused(format!(
            "it is of recovery configuration {}, the shares held are of configuration {}",
            share.version, first.version
        )));
    }
    let same_split = share.threshold() == first.threshold()
        && share.members == first.members
        && bool::from(share.secrets_sha256.ct_eq(&first.secrets_sha256));
    if !same_split {
        return Err(share_refused(
            "it does not belong with the shares held (another threshold, member count or secret)",
        ));
    }
    if pending.shares.iter().any(|s| s.index() == share.index()) {
        return Err(share_refused(format!(
            "the share of index {} is held already",
            share.index()
        )));
    }
    Ok(())
}

/// Combines the shares held and checks the result before anything is installed.
fn combine(
    provider: &dyn strongroom_crypto::provider::CryptoProvider,
    pending: &PendingRecovery,
) -> Result<Secrets, EnclaveError> {
    let shares: Vec<shamir::Share> = pending.shares.iter().map(|s| s.share.clone()).collect();
    let encoded = shamir::combine(&shares).map_err(|e| share_refused(e.to_string()))?;
    let expected = pending
        .shares
        .first()
        .map_or([0; 32], |first| first.secrets_sha256);
    if !bool::from(share::secrets_sha256(&encoded).ct_eq(&expected)) {
        return Err(share_refused(
            "the shares held do not combine into the secrets they were made from: one of them \
             was altered (this one is dropped; if it is intact, start the recovery again)",
        ));
    }
    let secrets = Secrets::decode(provider, &encoded)
        .map_err(|e| share_refused(format!("the combined secrets: {e}")))?;
    if !bool::from(public_keys_sha256(&secrets.public).ct_eq(&pending.expected)) {
        return Err(share_refused(
            "the combined secrets are of other public keys than the ones recovered",
        ));
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use strongroom_crypto::provider::default_provider;

    use super::*;

    /// A recovery of fresh secrets holding shares 1 and 2 of a 2-of-3 split.
    fn pending() -> (PendingRecovery, Secrets) {
        let secrets = Secrets::generate(default_provider()).unwrap();
        let encoded = secrets.encode().unwrap();
        let shares = shamir::split_with_seed(&[5; 32], &encoded, 2, 3).unwrap();
        let expected = public_keys_sha256(&secrets.public);
        let held = shares
            .into_iter()
            .take(2)
            .map(|share| RecoveryShare {
                public_keys_sha256: expected,
                secrets_sha256: share::secrets_sha256(&encoded),
                version: 1,
                members: 3,
                share,
            })
            .collect();
        let pending = PendingRecovery {
            key: PrivateKey::generate(KemId::DhKemX25519HkdfSha256),
            public_keys: secrets.public.clone(),
            expected,
            shares: held,
        };
        (pending, secrets)
    }

    #[test]
    fn intact_shares_combine_into_the_secrets() {
        let (pending, secrets) = pending();
        let combined = combine(default_provider(), &pending).unwrap();
        assert_eq!(combined.public, secrets.public);
        assert_eq!(
            &combined.encode().unwrap()[..],
            &secrets.encode().unwrap()[..]
        );
    }

    #[test]
    fn an_altered_share_value_is_caught_before_anything_is_installed() {
        // A member that alters its own share (only the ledger secret's bytes, so that the
        // keys still decode) is caught by the secrets' hash.
        let (mut pending, _) = pending();
        let mut bytes = pending.shares[1].share.to_bytes();
        bytes[3 + 5] ^= 0x80;
        pending.shares[1].share = shamir::Share::from_bytes(&bytes).unwrap();
        let Err(EnclaveError::InvalidShare(reason)) = combine(default_provider(), &pending) else {
            panic!("an altered share combined")
        };
        assert!(reason.contains("do not combine"), "{reason}");
    }

    #[test]
    fn shares_for_other_keys_than_the_ones_recovered_are_caught() {
        let (mut pending, _) = pending();
        let other = Secrets::generate(default_provider()).unwrap();
        pending.expected = public_keys_sha256(&other.public);
        let Err(EnclaveError::InvalidShare(reason)) = combine(default_provider(), &pending) else {
            panic!("combined into other keys")
        };
        assert!(reason.contains("other public keys"), "{reason}");
    }
}
