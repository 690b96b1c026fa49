//! The core's state machine: [`Enclave::handle`] turns one [`EnclaveRequest`] into one
//! [`EnclaveResponse`], with no I/O and no clock. This module holds the core's life
//! cycle (secrets, evidence, joining, snapshots); [`crate::execute`] what it does with
//! requests.
//!
//! # Joining
//!
//! A new core (`PrepareJoin`) makes a one-time X25519 key and evidence whose report
//! data is [`join_report_data`] of that key. A core that holds the secrets
//! (`JoinRequest`) verifies the evidence under the consortium's **node policy**, the
//! `cfg/node-policy` key of its state (TOML, the format of `docs/attestation.md`; set
//! at genesis and replaced only by governance, `set_node_policy`), at the ledger time
//! of the last entry it applied; checks that the evidence binds the key; and only then
//! wraps the service secrets to it. Without a node policy on the ledger no core joins.
//! The host has no say in which code joins: the policy it passes to [`Enclave::new`]
//! is not used.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use strongroom_contract::{Contract, State};
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_crypto::provider::{CryptoProvider, default_provider};
use strongroom_identity::{MemberIdentity, verify_root};
use strongroom_ledger::{Entry, Hash, SignedRoot};
use strongroom_tee::{
    Evidence, Platform, PlatformError, PlatformKind, Policy, ReportData, SIM_WARNING,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::entry::{self, snapshot_aad};
use crate::error::EnclaveError;
use crate::governance::{self, pem_to_der, time_of, valid_msp_id};
use crate::message::{EnclaveRequest, EnclaveResponse, EvidenceMessage, JoinCollateral};
use crate::prepare::Preparer;
use crate::record::{Constitution, GENESIS_FORMAT, GenesisRecord};
use crate::secrets::{PublicKeys, Secrets};
use crate::state::CoreState;

const SEAL_AAD: &[u8] = b"strongroom/enclave/sealed-secrets/v1";
const EVIDENCE_DOMAIN: &[u8] = b"strongroom/enclave/evidence/v3";
const JOIN_DOMAIN: &[u8] = b"strongroom/enclave/join/v1";
const JOIN_INFO: &[u8] = b"strongroom/enclave/join-secrets/v1";
/// The core-state key of the node policy (TOML text, `docs/attestation.md`).
pub(crate) const NODE_POLICY_KEY: &[u8] = b"cfg/node-policy";

/// The report data of a core's evidence: SHA-256 over
/// `"strongroom/enclave/evidence/v3"`, the signing key, the transaction key, the
/// key-release key (X25519, 32 bytes: what owners wrap data keys to for attested
/// workers), the node's endpoint key (SHA-256 of its TLS SubjectPublicKeyInfo, 32 zero
/// bytes if none is bound) and the verifier's nonce (each with a `u32` length),
/// followed by 32 zero bytes. A client that checks it knows that the TLS key of its
/// connection is the one the attested core serves, and that a data key wrapped to the
/// key-release key opens only in such a core.
pub fn evidence_report_data(
    public_keys: &PublicKeys,
    key_release_key: &[u8],
    endpoint: &[u8; 32],
    nonce: &[u8],
) -> ReportData {
    report_data(
        EVIDENCE_DOMAIN,
        &[
            &public_keys.signing_key,
            &public_keys.transaction_key,
            key_release_key,
            endpoint,
            nonce,
        ],
    )
}

/// The report data of a joining core's evidence: SHA-256 over
/// `"strongroom/enclave/join/v1"` and the joiner's key (with a `u32` length), followed
/// by 32 zero bytes.
pub fn join_report_data(joiner_key: &[u8]) -> ReportData {
    report_data(JOIN_DOMAIN, &[joiner_key])
}

/// The node policy in the core's state: `None` when the consortium has set none.
fn node_policy(core: &dyn State) -> Result<Option<Policy>, EnclaveError> {
    let Some(text) = core.get_ref(NODE_POLICY_KEY) else {
        return Ok(None);
    };
    // Checked when it was set; a policy this build no longer reads refuses every join.
    std::str::from_utf8(&text)
        .map_err(|e| e.to_string())
        .and_then(|text| Policy::from_toml(text).map_err(|e| e.to_string()))
        .map(Some)
        .map_err(|e| EnclaveError::Attestation(format!("the node policy on the ledger: {e}")))
}

pub(crate) fn report_data(domain: &[u8], parts: &[&[u8]]) -> ReportData {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    for part in parts {
        hasher.update(u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        hasher.update(part);
    }
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&hasher.finalize());
    out
}

/// The trusted core. See the [crate docs](crate).
pub struct Enclave {
    pub(crate) platform: Box<dyn Platform>,
    pub(crate) contract: Box<dyn Contract>,
    pub(crate) provider: &'static dyn CryptoProvider,
    pub(crate) secrets: Option<Secrets>,
    pending_join: Option<PrivateKey>,
    /// A recovery from members' shares in progress ([`crate::recovery`]).
    pub(crate) recovery: Option<crate::recovery::PendingRecovery>,
    pub(crate) state: CoreState,
    /// Member identities whose chain was checked, by certificate fingerprint.
    pub(crate) members: HashMap<[u8; 32], MemberIdentity>,
    pub(crate) preparer: Option<Preparer>,
    /// The node's endpoint key (SHA-256 of its TLS SubjectPublicKeyInfo), once bound.
    pub(crate) endpoint: Option<[u8; 32]>,
}

impl std::fmt::Debug for Enclave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Enclave");
        if self.platform.kind() == PlatformKind::Sim {
            debug.field("warning", &SIM_WARNING);
        }
        debug
            .field("platform", &self.platform.kind())
            .field("holds_secrets", &self.secrets.is_some())
            .field("applied", &self.state.applied.map(|a| a.sequence))
            .finish_non_exhaustive()
    }
}

impl Enclave {
    /// A core on `platform` running `contract`. It holds no secret until `Genesis`,
    /// `Unseal`, `Join` or a recovery from members' shares completes. Joining cores are verified under the node policy the
    /// consortium recorded on the ledger ([`EnclaveRequest::JoinRequest`]), never under
    /// one the host supplies.
    pub fn new(platform: Box<dyn Platform>, contract: Box<dyn Contract>) -> Self {
        Self {
            platform,
            contract,
            provider: default_provider(),
            secrets: None,
            pending_join: None,
            recovery: None,
            state: CoreState::default(),
            members: HashMap::new(),
            preparer: None,
            endpoint: None,
        }
    }

    /// The platform this core runs on ([`PlatformKind::Sim`] is an **INSECURE
    /// SIMULATION**).
    pub fn platform_kind(&self) -> PlatformKind {
        self.platform.kind()
    }

    /// Handles one request. Never panics on any input; refusals are
    /// [`EnclaveResponse::Error`].
    pub fn handle(&mut self, request: EnclaveRequest) -> EnclaveResponse {
        let result = match request {
            EnclaveRequest::AuthorizeExport {
                envelope,
                host_time_ms,
            } => self.authorize_export(&envelope, host_time_ms),
            EnclaveRequest::AuthorizeObject {
                access,
                envelope,
                host_time_ms,
            } => self.authorize_object(access, &envelope, host_time_ms),
            EnclaveRequest::BindEndpoint { endpoint } => self.bind_endpoint(endpoint),
            EnclaveRequest::Evidence { nonce } => self.evidence(&nonce),
            EnclaveRequest::Execute { ctx, payload } => self.execute(&ctx, payload),
            EnclaveRequest::Genesis { constitution } => self.genesis(constitution),
            EnclaveRequest::Join { wrapped } => self.join(&wrapped),
            EnclaveRequest::JoinRequest {
                evidence,
                collateral,
                joiner_key,
            } => self.join_request(&evidence, &collateral, &joiner_key),
            EnclaveRequest::PrepareJoin => self.prepare_join(),
            EnclaveRequest::PrepareRecovery { public_keys } => self.prepare_recovery(public_keys),
            EnclaveRequest::PublicKeys => self.secrets().map(|s| EnclaveResponse::PublicKeys {
                public_keys: s.public.clone(),
            }),
            EnclaveRequest::Query {
                envelope,
                host_time_ms,
            } => self.query(&envelope, host_time_ms),
            EnclaveRequest::Replay { entry } => self.replay(&entry),
            EnclaveRequest::Restore { snapshot } => self.restore(&snapshot),
            EnclaveRequest::SignRoot { tree_size, root } => self.sign_root(tree_size, root),
            EnclaveRequest::Snapshot => self.snapshot(),
            EnclaveRequest::StateDigest => Ok(EnclaveResponse::StateDigest {
                digest: self.state.digest(),
            }),
            EnclaveRequest::SubmitRecoveryShare { wrapped } => self.submit_recovery_share(&wrapped),
            EnclaveRequest::Unseal { sealed } => self.unseal(&sealed),
        };
        result.unwrap_or_else(EnclaveResponse::from)
    }

    /// Handles one request given as bytes and answers bytes: the process-boundary form
    /// of [`Enclave::handle`].
    pub fn handle_bytes(&mut self, request: &[u8]) -> Vec<u8> {
        match EnclaveRequest::from_bytes(request) {
            Ok(request) => self.handle(request),
            Err(error) => error.into(),
        }
        .to_bytes()
    }

    /// Opens sealed requests ahead of ordering, on other threads ([`Preparer`]); `None`
    /// until the core holds the service secrets.
    pub fn preparer(&self) -> Option<Preparer> {
        self.preparer.clone()
    }

    pub(crate) fn install(&mut self, secrets: Secrets) {
        self.preparer = Some(Preparer::new(secrets.transaction_key.clone()));
        self.secrets = Some(secrets);
    }

    pub(crate) fn secrets(&self) -> Result<&Secrets, EnclaveError> {
        self.secrets.as_ref().ok_or(EnclaveError::NoSecrets)
    }

    fn genesis(&mut self, constitution: Constitution) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() || self.state.applied.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        if constitution.organizations.is_empty() {
            return Err(EnclaveError::InvalidConstitution("no organization".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for org in &constitution.organizations {
            if !valid_msp_id(&org.msp_id) {
                return Err(EnclaveError::InvalidConstitution(format!(
                    "{:?}: an MSP id is 1 to 64 of ASCII letters, digits, '.', '-' and '_'",
                    org.msp_id
                )));
            }
            pem_to_der(&org.ca_cert_pem).map_err(|reason| {
                EnclaveError::InvalidConstitution(format!("{}: {reason}", org.msp_id))
            })?;
            if !seen.insert(org.msp_id.as_str()) {
                return Err(EnclaveError::InvalidConstitution(format!(
                    "{} is listed twice",
                    org.msp_id
                )));
            }
        }
        for (field, policy) in [
            ("node_policy", &constitution.node_policy),
            ("worker_policy", &constitution.worker_policy),
        ] {
            if let Some(policy) = policy {
                governance::check_policy(policy).map_err(|reason| {
                    EnclaveError::InvalidConstitution(format!("{field}: {reason}"))
                })?;
            }
        }
        let count = constitution.organizations.len();
        match constitution.threshold {
            governance::Threshold::AtLeast { organizations: n }
                if n == 0 || usize::try_from(n).unwrap_or(usize::MAX) > count =>
            {
                return Err(EnclaveError::InvalidConstitution(format!(
                    "a threshold of {n} organizations needs 1 to {count} (the founding organizations)"
                )));
            }
            _ => {}
        }
        let secrets = Secrets::generate(self.provider)?;
        let record = GenesisRecord {
            format: GENESIS_FORMAT.into(),
            constitution,
            public_keys: secrets.public.clone(),
        };
        let ledger_payload = serde_json::to_vec(&record)
            .map_err(|e| EnclaveError::InvalidConstitution(e.to_string()))?;
        let sealed = self.seal_secrets(&secrets)?;
        let public_keys = secrets.public.clone();
        self.install(secrets);
        Ok(EnclaveResponse::Genesis {
            ledger_payload,
            public_keys,
            sealed,
        })
    }

    /// The secrets sealed to this core's platform; empty when the platform has no
    /// sealing key (TDX and SNP through configfs-tsm): not sealed, which is no failure.
    /// The secrets are then only in this core's memory, and a restarted core gets them
    /// back by attested join to a peer or by recovery from members' shares.
    pub(crate) fn seal_secrets(&self, secrets: &Secrets) -> Result<Vec<u8>, EnclaveError> {
        match self.platform.seal(&secrets.encode()?, SEAL_AAD) {
            Ok(sealed) => Ok(sealed),
            Err(PlatformError::SealingUnsupported { .. }) => Ok(Vec::new()),
            Err(e) => Err(EnclaveError::Platform(e.to_string())),
        }
    }

    fn unseal(&mut self, sealed: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        let plain = Zeroizing::new(
            self.platform
                .unseal(sealed, SEAL_AAD)
                .map_err(|e| EnclaveError::Platform(e.to_string()))?,
        );
        let secrets = Secrets::decode(self.provider, &plain)?;
        let public_keys = secrets.public.clone();
        self.install(secrets);
        Ok(EnclaveResponse::PublicKeys { public_keys })
    }

    /// Binds the node's endpoint key, once: the evidence binds it from then on, and
    /// object and export authorizations must name it.
    fn bind_endpoint(&mut self, endpoint: [u8; 32]) -> Result<EnclaveResponse, EnclaveError> {
        match self.endpoint {
            Some(bound) if bound != endpoint => Err(EnclaveError::InvalidRequest(
                "another endpoint key is bound to this core already".into(),
            )),
            _ => {
                self.endpoint = Some(endpoint);
                Ok(EnclaveResponse::EndpointBound { endpoint })
            }
        }
    }

    fn evidence(&self, nonce: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_none() && self.recovery.is_some() {
            return self.recovery_evidence(nonce);
        }
        let secrets = self.secrets()?;
        let public_keys = secrets.public.clone();
        let key_release_key = secrets.key_release_key.public_key().to_bytes();
        let endpoint = self.endpoint.unwrap_or([0; 32]);
        let evidence = self
            .platform
            .evidence(&evidence_report_data(
                &public_keys,
                &key_release_key,
                &endpoint,
                nonce,
            ))
            .map_err(|e| EnclaveError::Platform(e.to_string()))?;
        Ok(EnclaveResponse::Evidence {
            evidence: evidence.into(),
            public_keys,
            key_release_key,
            endpoint,
        })
    }

    fn prepare_join(&mut self) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        let key = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
        let joiner_key = key.public_key().to_bytes();
        let evidence = self
            .platform
            .evidence(&join_report_data(&joiner_key))
            .map_err(|e| EnclaveError::Platform(e.to_string()))?;
        self.pending_join = Some(key);
        Ok(EnclaveResponse::JoinPrepared {
            evidence: evidence.into(),
            joiner_key,
        })
    }

    /// Wraps the service secrets to `joiner_key` if `evidence` verifies under the
    /// node policy on the ledger, at the last applied entry's time, and binds the key.
    fn join_request(
        &self,
        evidence: &EvidenceMessage,
        collateral: &JoinCollateral,
        joiner_key: &[u8],
    ) -> Result<EnclaveResponse, EnclaveError> {
        let secrets = self.secrets()?;
        if self.state.applied.is_none() {
            return Err(EnclaveError::OutOfOrder(
                "no entry applied yet: a join is verified under the node policy on the ledger"
                    .into(),
            ));
        }
        let policy = node_policy(self.state.core_state())?.ok_or_else(|| {
            EnclaveError::Attestation(
                "the consortium has set no node policy: no node may join until governance \
                 sets one (set_node_policy)"
                    .into(),
            )
        })?;
        let collateral = collateral
            .parse()
            .map_err(|e| EnclaveError::Attestation(format!("collateral: {e}")))?;
        let claims = strongroom_tee::verify(
            &Evidence::from(evidence),
            &collateral,
            &policy,
            time_of(self.state.applied.map_or(0, |a| a.timestamp_ms)),
        )
        .map_err(|e| EnclaveError::Attestation(e.to_string()))?;
        let expected = join_report_data(joiner_key);
        if !bool::from(claims.report_data.ct_eq(&expected)) {
            return Err(EnclaveError::Attestation(
                "the evidence's report data does not bind the joiner key".into(),
            ));
        }
        let recipient = PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, joiner_key)
            .map_err(|e| EnclaveError::InvalidRequest(format!("joiner key: {e}")))?;
        let wrapped = hpke::wrap_key(&recipient, JOIN_INFO, &secrets.encode()?)
            .map_err(|e| EnclaveError::InvalidRequest(format!("joiner key: {e}")))?;
        Ok(EnclaveResponse::SecretsWrapped {
            wrapped: wrapped.to_bytes(),
        })
    }

    fn join(&mut self, wrapped: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        if self.secrets.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        let key = self
            .pending_join
            .as_ref()
            .ok_or(EnclaveError::NoPendingJoin)?;
        let wrapped = WrappedKey::from_bytes(wrapped)
            .map_err(|e| EnclaveError::InvalidRequest(format!("wrapped secrets: {e}")))?;
        let plain = hpke::unwrap_key(key, JOIN_INFO, &wrapped).map_err(|_| {
            EnclaveError::InvalidRequest(
                "wrapped secrets do not decrypt with this core's join key".into(),
            )
        })?;
        let secrets = Secrets::decode(self.provider, &plain)?;
        let sealed = self.seal_secrets(&secrets)?;
        let public_keys = secrets.public.clone();
        self.install(secrets);
        self.pending_join = None;
        Ok(EnclaveResponse::Joined {
            public_keys,
            sealed,
        })
    }

    fn sign_root(&self, tree_size: u64, root: Hash) -> Result<EnclaveResponse, EnclaveError> {
        let secrets = self.secrets()?;
        let signed = SignedRoot::sign(self.provider, &secrets.signing_key, tree_size, root)
            .and_then(|s| s.encode())
            .map_err(|e| EnclaveError::Crypto(e.to_string()))?;
        Ok(EnclaveResponse::RootSigned {
            signed_root: signed,
        })
    }

    /// Applies the genesis payload: the constitution's organizations become trusted.
    pub(crate) fn apply_genesis(
        &mut self,
        payload: &[u8],
        timestamp_ms: u64,
    ) -> Result<(), EnclaveError> {
        let record: GenesisRecord = serde_json::from_slice(payload)
            .map_err(|e| EnclaveError::InvalidLedgerData(format!("genesis record: {e}")))?;
        if record.format != GENESIS_FORMAT {
            return Err(EnclaveError::InvalidLedgerData(format!(
                "genesis format {:?}",
                record.format
            )));
        }
        if let Some(secrets) = &self.secrets
            && secrets.public != record.public_keys
        {
            return Err(EnclaveError::InvalidLedgerData(
                "the genesis record names another service's keys".into(),
            ));
        }
        let at = time_of(timestamp_ms);
        let mut organizations = Vec::new();
        for org in &record.constitution.organizations {
            let der = pem_to_der(&org.ca_cert_pem).map_err(|reason| {
                EnclaveError::InvalidConstitution(format!("{}: {reason}", org.msp_id))
            })?;
            verify_root(&der, &org.msp_id, at)
                .map_err(|e| EnclaveError::InvalidConstitution(format!("{}: {e}", org.msp_id)))?;
            organizations.push((org.msp_id.clone(), der));
        }
        let mut core = strongroom_contract::MemState::new();
        governance::genesis(
            &mut core,
            &organizations,
            record.constitution.threshold,
            record.constitution.node_policy.as_deref(),
            record.constitution.worker_policy.as_deref(),
        )
        .map_err(|e| EnclaveError::InvalidConstitution(e.to_string()))?;
        self.state.core = core;
        self.state.reload_organizations();
        self.members.clear();
        Ok(())
    }

    fn snapshot(&self) -> Result<EnclaveResponse, EnclaveError> {
        let secrets = self.secrets()?;
        let sequence = self.state.applied.map_or(0, |a| a.sequence);
        let plain = Zeroizing::new(self.state.encode());
        let sealed = entry::seal(
            self.provider,
            &secrets.snapshot_key,
            &secrets.nonce_key,
            &snapshot_aad(sequence),
            &plain,
        )?;
        let mut snapshot = sequence.to_be_bytes().to_vec();
        snapshot.extend_from_slice(&sealed);
        Ok(EnclaveResponse::Snapshot { snapshot })
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        let secrets = self.secrets()?;
        let (sequence, sealed) = snapshot
            .split_first_chunk::<8>()
            .ok_or_else(|| EnclaveError::InvalidLedgerData("snapshot too short".into()))?;
        let sequence = u64::from_be_bytes(*sequence);
        let plain = entry::open(
            self.provider,
            &secrets.snapshot_key,
            &snapshot_aad(sequence),
            sealed,
        )?;
        let state = CoreState::decode(&plain)
            .map_err(|e| EnclaveError::InvalidLedgerData(e.to_string()))?;
        if state.applied.map_or(0, |a| a.sequence) != sequence {
            return Err(EnclaveError::InvalidLedgerData(
                "snapshot position does not match its header".into(),
            ));
        }
        self.state = state;
        self.members.clear();
        Ok(EnclaveResponse::Replayed {
            sequence: self.state.applied.map_or(0, |a| a.sequence),
        })
    }
}

impl From<&Entry> for EnclaveRequest {
    /// A `Replay` of `entry`.
    fn from(entry: &Entry) -> Self {
        Self::Replay {
            entry: entry.into(),
        }
    }
}
