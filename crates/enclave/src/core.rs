//! The core's state machine: [`Enclave::handle`] turns one [`EnclaveRequest`] into one
//! [`EnclaveResponse`], with no I/O and no clock.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use strongroom_contract::{Caller, Contract, Overlay, TxContext};
use strongroom_crypto::hpke::{self, KemId, PrivateKey, PublicKey, WrappedKey};
use strongroom_crypto::provider::{CryptoProvider, default_provider};
use strongroom_identity::{MemberIdentity, Signer, fingerprint, verify_root};
use strongroom_ledger::{Entry, EntryKind, Hash, SignedRoot};
use strongroom_tee::{Evidence, Platform, PlatformKind, Policy, ReportData, SIM_WARNING};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::{Zeroize, Zeroizing};

use crate::entry::{self, entry_aad, snapshot_aad};
use crate::error::EnclaveError;
use crate::message::{
    EnclaveRequest, EnclaveResponse, EvidenceMessage, ExecuteContext, JoinCollateral, LedgerEntry,
    RecordKind,
};
use crate::prepare::{Opened, Preparer, check_len, open_sealed};
use crate::record::{Constitution, GENESIS_FORMAT, GenesisRecord, LedgerRecord};
use crate::request::{Body, ObjectAccess, Purpose, clear_refusal, seal_reply};
use crate::secrets::{PublicKeys, Secrets};
use crate::state::{Applied, CoreState};

const SEAL_AAD: &[u8] = b"strongroom/enclave/sealed-secrets/v1";
const EVIDENCE_DOMAIN: &[u8] = b"strongroom/enclave/evidence/v1";
const JOIN_DOMAIN: &[u8] = b"strongroom/enclave/join/v1";
const JOIN_INFO: &[u8] = b"strongroom/enclave/join-secrets/v1";
/// Cached chain checks kept at most; the cache is cleared when full.
const MEMBER_CACHE_LIMIT: usize = 10_000;
/// The role that may add organizations.
const ADMIN_ROLE: &str = "admin";

/// The report data of a core's evidence: SHA-256 over
/// `"strongroom/enclave/evidence/v1"`, the signing key, the transaction key and the
/// verifier's nonce (each with a `u32` length), followed by 32 zero bytes.
pub fn evidence_report_data(public_keys: &PublicKeys, nonce: &[u8]) -> ReportData {
    report_data(
        EVIDENCE_DOMAIN,
        &[
            &public_keys.signing_key,
            &public_keys.transaction_key,
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

fn report_data(domain: &[u8], parts: &[&[u8]]) -> ReportData {
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
    platform: Box<dyn Platform>,
    contract: Box<dyn Contract>,
    policy: Policy,
    provider: &'static dyn CryptoProvider,
    secrets: Option<Secrets>,
    pending_join: Option<PrivateKey>,
    state: CoreState,
    members: HashMap<[u8; 32], MemberIdentity>,
    preparer: Option<Preparer>,
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

/// State changes of one transaction, applied only once its entry is sealed.
#[derive(Default)]
struct Change {
    nonce: Option<Vec<u8>>,
    writes: Option<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    organization: Option<(String, Vec<u8>)>,
}

impl Enclave {
    /// A core on `platform` running `contract`, admitting joiners under `policy`. It
    /// holds no secret until `Genesis`, `Unseal` or `Join`.
    pub fn new(platform: Box<dyn Platform>, contract: Box<dyn Contract>, policy: Policy) -> Self {
        Self {
            platform,
            contract,
            policy,
            provider: default_provider(),
            secrets: None,
            pending_join: None,
            state: CoreState::default(),
            members: HashMap::new(),
            preparer: None,
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
            EnclaveRequest::AuthorizeObject { access, envelope } => {
                self.authorize_object(access, &envelope)
            }
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
            EnclaveRequest::PublicKeys => self.secrets().map(|s| EnclaveResponse::PublicKeys {
                public_keys: s.public.clone(),
            }),
            EnclaveRequest::Query { envelope } => self.query(&envelope),
            EnclaveRequest::Replay { entry } => self.replay(&entry),
            EnclaveRequest::Restore { snapshot } => self.restore(&snapshot),
            EnclaveRequest::SignRoot { tree_size, root } => self.sign_root(tree_size, root),
            EnclaveRequest::Snapshot => self.snapshot(),
            EnclaveRequest::StateDigest => Ok(EnclaveResponse::StateDigest {
                digest: self.state.digest(),
            }),
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

    fn install(&mut self, secrets: Secrets) {
        self.preparer = Some(Preparer::new(secrets.transaction_key.clone()));
        self.secrets = Some(secrets);
    }

    fn secrets(&self) -> Result<&Secrets, EnclaveError> {
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

    fn seal_secrets(&self, secrets: &Secrets) -> Result<Vec<u8>, EnclaveError> {
        self.platform
            .seal(&secrets.encode()?, SEAL_AAD)
            .map_err(|e| EnclaveError::Platform(e.to_string()))
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

    fn evidence(&self, nonce: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        let public_keys = self.secrets()?.public.clone();
        let evidence = self
            .platform
            .evidence(&evidence_report_data(&public_keys, nonce))
            .map_err(|e| EnclaveError::Platform(e.to_string()))?;
        Ok(EnclaveResponse::Evidence {
            evidence: evidence.into(),
            public_keys,
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

    fn join_request(
        &self,
        evidence: &EvidenceMessage,
        collateral: &JoinCollateral,
        joiner_key: &[u8],
    ) -> Result<EnclaveResponse, EnclaveError> {
        let secrets = self.secrets()?;
        let collateral = collateral
            .parse()
            .map_err(|e| EnclaveError::Attestation(format!("collateral: {e}")))?;
        let claims = strongroom_tee::verify(
            &Evidence::from(evidence),
            &collateral,
            &self.policy,
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

    fn check_order(&self, sequence: u64, timestamp_ms: u64) -> Result<(), EnclaveError> {
        match self.state.applied {
            None if sequence != 1 => Err(EnclaveError::OutOfOrder(format!(
                "sequence {sequence} before genesis (sequence 1)"
            ))),
            Some(last) if sequence <= last.sequence => Err(EnclaveError::OutOfOrder(format!(
                "sequence {sequence} is not after the last applied {}",
                last.sequence
            ))),
            Some(last) if timestamp_ms < last.timestamp_ms => {
                Err(EnclaveError::OutOfOrder(format!(
                    "timestamp {timestamp_ms} is before the last applied {}",
                    last.timestamp_ms
                )))
            }
            _ => Ok(()),
        }
    }

    /// Applies the genesis payload: the constitution's organizations become trusted.
    fn apply_genesis(&mut self, payload: &[u8], timestamp_ms: u64) -> Result<(), EnclaveError> {
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
        let mut organizations = strongroom_identity::TrustStore::new();
        for org in &record.constitution.organizations {
            let der = pem_to_der(&org.ca_cert_pem).map_err(|reason| {
                EnclaveError::InvalidConstitution(format!("{}: {reason}", org.msp_id))
            })?;
            verify_root(&der, &org.msp_id, at)
                .map_err(|e| EnclaveError::InvalidConstitution(format!("{}: {e}", org.msp_id)))?;
            organizations.insert(org.msp_id.clone(), der);
        }
        self.state.organizations = organizations;
        self.members.clear();
        Ok(())
    }

    fn execute(
        &mut self,
        ctx: &ExecuteContext,
        payload: Vec<u8>,
    ) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        self.check_order(ctx.sequence, ctx.timestamp_ms)?;
        let applied = Applied {
            sequence: ctx.sequence,
            timestamp_ms: ctx.timestamp_ms,
        };
        if ctx.sequence == 1 {
            self.apply_genesis(&payload, ctx.timestamp_ms)?;
            self.state.applied = Some(applied);
            return Ok(EnclaveResponse::Executed {
                kind: RecordKind::Genesis,
                ledger_payload: payload,
                response: Vec::new(),
            });
        }
        let (record, response, change) = self.run_transaction(ctx, &payload);
        let kind = match &record {
            LedgerRecord::Executed {
                body: Body::AddOrganization { .. },
                ..
            } => RecordKind::Governance,
            _ => RecordKind::Transaction,
        };
        let secrets = self.secrets()?;
        let aad = entry_aad(
            kind.entry_kind(),
            ctx.sequence,
            ctx.timestamp_ms,
            &ctx.prev_hash,
        );
        let plaintext = Zeroizing::new(record.encode());
        let ledger_payload = entry::seal(
            self.provider,
            &secrets.entry_key,
            &secrets.nonce_key,
            &aad,
            &plaintext,
        )?;
        self.commit(change);
        self.state.applied = Some(applied);
        Ok(EnclaveResponse::Executed {
            kind,
            ledger_payload,
            response,
        })
    }

    /// Decides a committed request: never fails, a refusal is a record too.
    fn run_transaction(
        &mut self,
        ctx: &ExecuteContext,
        payload: &[u8],
    ) -> (LedgerRecord, Vec<u8>, Change) {
        let refuse_in_clear = |reason: String| {
            let response = clear_refusal(&reason);
            (
                LedgerRecord::Refused { reason },
                response,
                Change::default(),
            )
        };
        let mut opened = match self.open_request(payload, Purpose::Transaction) {
            Ok(opened) => opened,
            Err(reason) => return refuse_in_clear(reason),
        };
        let request = &opened.request;
        let refuse_sealed = |reason: String| {
            let response = seal_reply(self.provider, request, Err(&reason))
                .unwrap_or_else(|| clear_refusal(&reason));
            (
                LedgerRecord::Refused { reason },
                response,
                Change::default(),
            )
        };
        let signer = match self.authenticate(&opened, time_of(ctx.timestamp_ms)) {
            Ok(signer) => signer,
            Err(reason) => return refuse_sealed(reason),
        };
        opened.envelope.payload.zeroize();
        let request = &opened.request;
        if request.purpose != Purpose::Transaction {
            return refuse_sealed("a query cannot be executed as a transaction".into());
        }
        if self.state.nonces.contains(&request.nonce) {
            return refuse_sealed("replayed request: its nonce was already used".into());
        }
        let caller = Caller {
            msp_id: signer.msp_id.clone(),
            name: signer.name.clone(),
            role: signer.role.as_str().to_owned(),
        };
        let (outcome, mut change) =
            self.apply_body(&caller, &request.body, ctx.timestamp_ms, ctx.sequence);
        change.nonce = Some(request.nonce.clone());
        let reply = match &outcome {
            Ok(result) => Ok(result.as_slice()),
            Err(reason) => Err(reason.as_str()),
        };
        let response = seal_reply(self.provider, request, reply)
            .unwrap_or_else(|| clear_refusal("the response could not be encrypted"));
        let record = LedgerRecord::Executed {
            caller,
            cert_fingerprint: signer.cert_fingerprint,
            nonce: request.nonce.clone(),
            body: request.body.clone(),
            outcome,
        };
        (record, response, change)
    }

    /// Decrypts a sealed request and decodes the envelope and the signed request in
    /// it: taken as the [`Preparer`] left it if it prepared this request (its
    /// signature then checked), else opened here (its signature not yet checked).
    fn open_request(&self, sealed: &[u8], purpose: Purpose) -> Result<Opened, String> {
        check_len(sealed)?;
        if let Some(opened) = self
            .preparer
            .as_ref()
            .and_then(|preparer| preparer.take(sealed, purpose))
        {
            return Ok(opened);
        }
        let secrets = self.secrets().map_err(|e| e.to_string())?;
        open_sealed(&secrets.transaction_key, sealed, purpose)
    }

    /// Checks the envelope's signer against the organizations on the ledger at `at`:
    /// one ECDSA verification when the certificate's chain check is cached, none when
    /// the [`Preparer`] checked the signature already.
    fn authenticate(&mut self, opened: &Opened, at: OffsetDateTime) -> Result<Signer, String> {
        let reason = |e: strongroom_identity::EnvelopeError| format!("signer rejected: {e}");
        let envelope = &opened.envelope;
        let verify = |identity: &MemberIdentity| match &opened.checked {
            Some(checked) => envelope.verify_checked(checked, identity, at),
            None => envelope.verify_with(identity, at),
        };
        // A prepared request's proof carries its certificate's fingerprint
        // (`verify_checked` checks the proof is for these very bytes).
        let key = opened.checked.as_ref().map_or_else(
            || fingerprint(&envelope.signer_cert_der),
            |checked| checked.cert_fingerprint(),
        );
        if let Some(identity) = self.members.get(&key) {
            return verify(identity).map_err(reason);
        }
        let identity = self
            .state
            .organizations
            .verify_member(&envelope.signer_cert_der, at)
            .map_err(reason)?;
        let signer = verify(&identity).map_err(reason)?;
        if self.members.len() >= MEMBER_CACHE_LIMIT {
            self.members.clear();
        }
        self.members.insert(key, identity);
        Ok(signer)
    }

    /// Runs a request's body for `caller`; the state changes are returned, not made.
    fn apply_body(
        &self,
        caller: &Caller,
        body: &Body,
        timestamp_ms: u64,
        sequence: u64,
    ) -> (Result<Vec<u8>, String>, Change) {
        let mut change = Change::default();
        let outcome = match body {
            Body::Contract(invocation) => {
                let tx = TxContext {
                    caller: caller.clone(),
                    timestamp_ms,
                    sequence,
                    attestation: None,
                    entropy: [0; 32],
                };
                let mut overlay = Overlay::new(&self.state.contract);
                let result = self.contract.execute(&tx, invocation, &mut overlay);
                if result.is_ok() {
                    change.writes = Some(overlay.into_writes());
                }
                result.map_err(|e| e.to_string())
            }
            Body::AddOrganization {
                msp_id,
                ca_cert_pem,
            } => self
                .add_organization(caller, msp_id, ca_cert_pem, timestamp_ms)
                .map(|der| {
                    change.organization = Some((msp_id.clone(), der));
                    b"organization added".to_vec()
                }),
            Body::Object { .. } => Err("an object authorization is not a transaction".into()),
        };
        (outcome, change)
    }

    fn add_organization(
        &self,
        caller: &Caller,
        msp_id: &str,
        ca_cert_pem: &str,
        timestamp_ms: u64,
    ) -> Result<Vec<u8>, String> {
        if caller.role != ADMIN_ROLE {
            return Err("only an admin may add an organization".into());
        }
        if self.state.organizations.root(msp_id).is_some() {
            return Err(format!("organization {msp_id} is already present"));
        }
        let der = pem_to_der(ca_cert_pem)?;
        verify_root(&der, msp_id, time_of(timestamp_ms)).map_err(|e| e.to_string())?;
        Ok(der)
    }

    fn commit(&mut self, change: Change) {
        if let Some(nonce) = change.nonce {
            self.state.nonces.insert(nonce);
        }
        if let Some(writes) = change.writes {
            self.state.contract.apply(writes);
        }
        if let Some((msp_id, der)) = change.organization {
            self.state.organizations.insert(msp_id, der);
            self.members.clear();
        }
    }

    fn replay(&mut self, entry: &LedgerEntry) -> Result<EnclaveResponse, EnclaveError> {
        let kind = EntryKind::from_byte(entry.kind).ok_or_else(|| {
            EnclaveError::InvalidRequest(format!("unknown entry kind {}", entry.kind))
        })?;
        if kind == EntryKind::Signature {
            return Ok(EnclaveResponse::Replayed {
                digest: self.state.digest(),
            });
        }
        self.check_order(entry.sequence, entry.timestamp_ms)?;
        let applied = Applied {
            sequence: entry.sequence,
            timestamp_ms: entry.timestamp_ms,
        };
        if kind == EntryKind::Genesis {
            self.apply_genesis(&entry.payload, entry.timestamp_ms)?;
            self.state.applied = Some(applied);
            return Ok(EnclaveResponse::Replayed {
                digest: self.state.digest(),
            });
        }
        let secrets = self.secrets()?;
        let aad = entry_aad(kind, entry.sequence, entry.timestamp_ms, &entry.prev_hash);
        let plain = entry::open(self.provider, &secrets.entry_key, &aad, &entry.payload)?;
        let record = LedgerRecord::decode(&plain)
            .map_err(|e| EnclaveError::InvalidLedgerData(e.to_string()))?;
        let divergence = |reason: &str| EnclaveError::Divergence {
            sequence: entry.sequence,
            reason: reason.to_owned(),
        };
        if let LedgerRecord::Executed {
            caller,
            nonce,
            body,
            outcome,
            ..
        } = &record
        {
            if self.state.nonces.contains(nonce) {
                return Err(divergence("the entry's nonce was already applied"));
            }
            let (again, mut change) =
                self.apply_body(caller, body, entry.timestamp_ms, entry.sequence);
            if &again != outcome {
                return Err(divergence("re-execution gave another outcome"));
            }
            change.nonce = Some(nonce.clone());
            self.commit(change);
        }
        self.state.applied = Some(applied);
        Ok(EnclaveResponse::Replayed {
            digest: self.state.digest(),
        })
    }

    /// Checks an object authorization as a query is checked (at the last committed
    /// time) and that it authorizes `wanted`, and answers who signed it for which
    /// location.
    fn authorize_object(
        &mut self,
        wanted: ObjectAccess,
        sealed: &[u8],
    ) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        let at = self.last_committed_ms("an object access is authorized")?;
        let mut opened = self
            .open_request(sealed, Purpose::Query)
            .map_err(EnclaveError::Unauthorized)?;
        let signer = self.authenticate(&opened, time_of(at));
        opened.envelope.payload.zeroize();
        let signer = signer.map_err(EnclaveError::Unauthorized)?;
        match &opened.request.body {
            Body::Object { access, location } if opened.request.purpose == Purpose::Query => {
                if *access != wanted {
                    return Err(EnclaveError::Unauthorized(format!(
                        "the request authorizes a {access} of the object, not a {wanted}"
                    )));
                }
                Ok(EnclaveResponse::ObjectAuthorized {
                    access: *access,
                    location: location.clone(),
                    msp_id: signer.msp_id,
                    name: signer.name,
                })
            }
            _ => Err(EnclaveError::Unauthorized(
                "the request is not an object authorization".into(),
            )),
        }
    }

    /// The time of the last applied entry, at which what is not ordered (`what`) is
    /// checked; out of order before any entry is applied.
    fn last_committed_ms(&self, what: &str) -> Result<u64, EnclaveError> {
        self.state
            .applied
            .map(|applied| applied.timestamp_ms)
            .ok_or_else(|| {
                EnclaveError::OutOfOrder(format!(
                    "no entry applied yet: {what} at the last committed time"
                ))
            })
    }

    fn query(&mut self, sealed: &[u8]) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        let at = self.last_committed_ms("a query is checked")?;
        let mut opened = match self.open_request(sealed, Purpose::Query) {
            Ok(opened) => opened,
            Err(reason) => {
                return Ok(EnclaveResponse::Answer {
                    response: clear_refusal(&reason),
                });
            }
        };
        let request = &opened.request;
        let reply = match self.authenticate(&opened, time_of(at)) {
            Err(reason) => Err(reason),
            Ok(_) if request.purpose != Purpose::Query => {
                Err("a transaction cannot be sent as a query".to_owned())
            }
            Ok(signer) => match &request.body {
                Body::Contract(query) => {
                    let caller = Caller {
                        msp_id: signer.msp_id,
                        name: signer.name,
                        role: signer.role.as_str().to_owned(),
                    };
                    self.contract
                        .query(&caller, query, &self.state.contract)
                        .map_err(|e| e.to_string())
                }
                Body::AddOrganization { .. } | Body::Object { .. } => Err("not a query".to_owned()),
            },
        };
        opened.envelope.payload.zeroize();
        let request = &opened.request;
        let response = match &reply {
            Ok(result) => seal_reply(self.provider, request, Ok(result)),
            Err(reason) => seal_reply(self.provider, request, Err(reason)),
        }
        .unwrap_or_else(|| clear_refusal("the response could not be encrypted"));
        Ok(EnclaveResponse::Answer { response })
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
            digest: self.state.digest(),
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

/// The time of a committed entry. Times beyond what `time` represents (after the year
/// 9999) are clamped to the Unix epoch, where every certificate check fails the same
/// way on every replica.
fn time_of(timestamp_ms: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(timestamp_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let (label, document) =
        pkcs8::der::Document::from_pem(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    if label != "CERTIFICATE" {
        return Err(format!("PEM label is {label:?}, expected \"CERTIFICATE\""));
    }
    Ok(document.as_bytes().to_vec())
}
