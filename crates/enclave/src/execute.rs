//! What the core does with requests: committed transactions (executed, then recorded
//! with their write sets; replayed by applying those), queries, and the object and
//! export authorizations that the host asks about before it serves or stores anything.

use strongroom_contract::{Caller, ContractError, ObjectAccess, Overlay, TxContext};
use strongroom_crypto::provider::HashAlgorithm;
use strongroom_identity::{MemberIdentity, Signer, fingerprint};
use strongroom_ledger::EntryKind;
use zeroize::Zeroizing;

use crate::core::Enclave;
use crate::entry::{self, entry_aad};
use crate::error::EnclaveError;
use crate::governance::{self, time_of};
use crate::keys;
use crate::message::{EnclaveResponse, ExecuteContext, LedgerEntry, RecordKind};
use crate::prepare::{Opened, check_len, open_sealed};
use crate::record::{LedgerRecord, Write, WriteSet};
use crate::refusal::{Refusal, RefusalCode};
use crate::request::{Body, MAX_LIFETIME_MS, Purpose};
use crate::response::{clear_refusal, seal_reply};
use crate::state::Applied;
use crate::worker::{self, worker_report_data};

/// Cached chain checks kept at most; the cache is cleared when full.
const MEMBER_CACHE_LIMIT: usize = 10_000;
const ENTROPY_DOMAIN: &[u8] = b"strongroom/enclave/transaction-entropy/v1";

/// Keeps the core-state writes of `overlay` if `result` is a success.
fn core_writes(
    result: Result<Vec<u8>, ContractError>,
    overlay: Overlay<'_>,
    writes: &mut WriteSet,
) -> Result<Vec<u8>, Refusal> {
    if result.is_ok() {
        writes.core = writes_of(overlay);
    }
    result.map_err(Refusal::from)
}

/// Whether a request valid until `not_after_ms` may be acted on at ledger time `at_ms`.
fn fresh(not_after_ms: u64, at_ms: u64) -> Result<(), Refusal> {
    if at_ms > not_after_ms {
        return Err(Refusal::new(
            RefusalCode::Expired,
            format!("valid until {not_after_ms} ms, checked at {at_ms} ms (ledger time)"),
        ));
    }
    if not_after_ms - at_ms > MAX_LIFETIME_MS {
        return Err(Refusal::new(
            RefusalCode::LifetimeTooLong,
            format!(
                "valid until {not_after_ms} ms, more than {MAX_LIFETIME_MS} ms after {at_ms} ms (ledger time)"
            ),
        ));
    }
    Ok(())
}

fn caller_of(signer: Signer) -> Caller {
    Caller {
        role: signer.role.as_str().to_owned(),
        msp_id: signer.msp_id,
        name: signer.name,
    }
}

pub(crate) fn writes_of(overlay: Overlay<'_>) -> Vec<Write> {
    overlay.into_writes().into_iter().collect()
}

impl Enclave {
    pub(crate) fn check_order(&self, sequence: u64, timestamp_ms: u64) -> Result<(), EnclaveError> {
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

    pub(crate) fn execute(
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
        let (record, response) = self.run_transaction(ctx, &payload)?;
        let kind = match &record {
            LedgerRecord::Executed {
                body: Body::Governance(_),
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
        self.commit(record, ctx.timestamp_ms);
        self.state.applied = Some(applied);
        Ok(EnclaveResponse::Executed {
            kind,
            ledger_payload,
            response,
        })
    }

    /// Applies what a record changed (nothing for a refusal).
    fn commit(&mut self, record: LedgerRecord, timestamp_ms: u64) {
        if let LedgerRecord::Executed {
            nonce,
            not_after_ms,
            writes,
            ..
        } = record
        {
            let organizations_changed = writes
                .core
                .iter()
                .any(|(key, _)| key.starts_with(governance::ORGANIZATION_PREFIX));
            self.state.apply(
                Some((nonce, not_after_ms)),
                writes.contract,
                writes.core,
                timestamp_ms,
            );
            if organizations_changed {
                self.members.clear();
            }
        }
    }

    /// Decides a committed request: a refusal is a record too. The record and the
    /// response for the client.
    fn run_transaction(
        &mut self,
        ctx: &ExecuteContext,
        payload: &[u8],
    ) -> Result<(LedgerRecord, Vec<u8>), EnclaveError> {
        let opened = match self.open_request(payload, Purpose::Transaction) {
            Ok(opened) => opened,
            Err(refusal) => {
                let response = clear_refusal(&refusal.to_string());
                return Ok((LedgerRecord::Refused { refusal }, response));
            }
        };
        let request = &opened.request;
        let refuse_sealed = |refusal: Refusal| {
            let response = seal_reply(self.provider, request, Err(&refusal.to_string()))
                .unwrap_or_else(|| clear_refusal(&refusal.to_string()));
            Ok((LedgerRecord::Refused { refusal }, response))
        };
        let signer = match self.authenticate(&opened, ctx.timestamp_ms) {
            Ok(signer) => signer,
            Err(refusal) => return refuse_sealed(refusal),
        };
        if request.purpose != Purpose::Transaction {
            return refuse_sealed(Refusal::new(
                RefusalCode::WrongPurpose,
                "a query cannot be executed as a transaction",
            ));
        }
        if let Err(refusal) = fresh(request.not_after_ms, ctx.timestamp_ms) {
            return refuse_sealed(refusal);
        }
        if self.state.nonces.contains(&request.nonce) {
            return refuse_sealed(Refusal::new(RefusalCode::Replayed, ""));
        }
        let cert_fingerprint = signer.cert_fingerprint;
        let caller = caller_of(signer);
        let (outcome, writes) = self.apply_body(&caller, &request.body, &request.nonce, ctx)?;
        let reply = match &outcome {
            Ok(result) => Ok(result.as_slice()),
            Err(refusal) => Err(refusal.to_string()),
        };
        let response = match &reply {
            Ok(result) => seal_reply(self.provider, request, Ok(result)),
            Err(reason) => seal_reply(self.provider, request, Err(reason)),
        }
        .unwrap_or_else(|| clear_refusal("the response could not be encrypted"));
        let record = LedgerRecord::Executed {
            caller,
            cert_fingerprint,
            nonce: request.nonce.clone(),
            not_after_ms: request.not_after_ms,
            body: request.body.clone(),
            outcome,
            writes,
        };
        Ok((record, response))
    }

    /// The contract's secret randomness for the transaction at `sequence`: HMAC-SHA256
    /// under a key derived from the ledger secret, so every replica computes the same.
    fn entropy(&self, sequence: u64) -> Result<[u8; 32], EnclaveError> {
        let secrets = self.secrets()?;
        let mut input = ENTROPY_DOMAIN.to_vec();
        input.extend_from_slice(&sequence.to_be_bytes());
        let tag = self
            .provider
            .hmac(HashAlgorithm::Sha256, &secrets.entropy_key, &input)
            .map_err(|e| EnclaveError::Crypto(format!("transaction entropy: {e}")))?;
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.get(..32).unwrap_or(&[0; 32]));
        Ok(out)
    }

    /// Runs a request's body for `caller`: its outcome and writes (none when refused).
    /// `nonce` is the request's, which an attested body's evidence must bind.
    fn apply_body(
        &self,
        caller: &Caller,
        body: &Body,
        nonce: &[u8],
        ctx: &ExecuteContext,
    ) -> Result<(Result<Vec<u8>, Refusal>, WriteSet), EnclaveError> {
        let mut writes = WriteSet::default();
        // The consortium's dataset defaults now; a state that does not decode is no
        // reason to stop the core: its records are checked where they are used.
        let defaults = governance::defaults::current(self.state.core_state()).unwrap_or_default();
        let tx = |attestation| -> Result<TxContext, EnclaveError> {
            Ok(TxContext {
                caller: caller.clone(),
                timestamp_ms: ctx.timestamp_ms,
                sequence: ctx.sequence,
                attestation,
                entropy: self.entropy(ctx.sequence)?,
                defaults,
            })
        };
        let outcome = match body {
            Body::Attested {
                invocation,
                config_hash,
                worker_key,
                evidence,
                collateral,
            } => {
                let expected = worker_report_data(config_hash, worker_key, nonce, invocation);
                match worker::verify(
                    self.state.core_state(),
                    evidence,
                    collateral,
                    &expected,
                    *config_hash,
                    *worker_key,
                    ctx.timestamp_ms,
                ) {
                    Ok(attestation) => {
                        let tx = tx(Some(attestation))?;
                        self.execute_attested(&tx, invocation, worker_key, &mut writes.contract)?
                    }
                    Err(refusal) => Err(refusal),
                }
            }
            Body::Contract(invocation) => {
                let tx = tx(None)?;
                let mut overlay = Overlay::new(&self.state.contract);
                let result = self.contract.execute(&tx, invocation, &mut overlay);
                if result.is_ok() {
                    writes.contract = writes_of(overlay);
                }
                result.map_err(Refusal::from)
            }
            Body::Governance(invocation) => {
                let mut overlay = Overlay::new(&self.state.core);
                let member_keys = |msp_id: &str, name: &str| {
                    self.contract.member_key(msp_id, name, &self.state.contract)
                };
                let env = governance::Env {
                    now_ms: ctx.timestamp_ms,
                    sequence: ctx.sequence,
                    member_keys: &member_keys,
                    cluster: governance::ClusterView {
                        voters: &ctx.voters,
                        learners: &ctx.learners,
                    },
                };
                let result = governance::execute(caller, invocation, &env, &mut overlay);
                core_writes(result, overlay, &mut writes)
            }
            Body::Keys(invocation) => {
                let mut overlay = Overlay::new(&self.state.core);
                let result = keys::execute(
                    self.provider,
                    caller,
                    invocation,
                    ctx.timestamp_ms,
                    ctx.sequence,
                    &self.entropy(ctx.sequence)?,
                    &mut overlay,
                );
                core_writes(result, overlay, &mut writes)
            }
            Body::Export { .. } | Body::Object { .. } => Err(Refusal::new(
                RefusalCode::NotATransaction,
                "an object or export authorization is sent in a header, not ordered",
            )),
        };
        Ok((outcome, writes))
    }

    /// Decrypts a sealed request and decodes the envelope and the signed request in
    /// it: taken as the [`Preparer`](crate::Preparer) left it if it prepared this
    /// request (its signature then checked), else opened here.
    fn open_request(&self, sealed: &[u8], purpose: Purpose) -> Result<Opened, Refusal> {
        check_len(sealed)?;
        if let Some(opened) = self
            .preparer
            .as_ref()
            .and_then(|preparer| preparer.take(sealed, purpose))
        {
            return Ok(opened);
        }
        let secrets = self
            .secrets()
            .map_err(|e| Refusal::new(RefusalCode::Undecryptable, e.to_string()))?;
        open_sealed(&secrets.transaction_key, sealed, purpose)
    }

    /// Checks the envelope's signer against the organizations and revocations on the
    /// ledger at `at_ms`: one ECDSA verification when the certificate's chain check is
    /// cached, none when the preparer checked the signature already.
    fn authenticate(&mut self, opened: &Opened, at_ms: u64) -> Result<Signer, Refusal> {
        let at = time_of(at_ms);
        let reason = |e: strongroom_identity::EnvelopeError| {
            Refusal::new(RefusalCode::SignerRejected, e.to_string())
        };
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
        if governance::is_revoked(self.state.core_state(), &key) {
            return Err(Refusal::new(RefusalCode::Revoked, hex::encode(key)));
        }
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

    pub(crate) fn replay(&mut self, entry: &LedgerEntry) -> Result<EnclaveResponse, EnclaveError> {
        let kind = EntryKind::from_byte(entry.kind).ok_or_else(|| {
            EnclaveError::InvalidRequest(format!("unknown entry kind {}", entry.kind))
        })?;
        if kind == EntryKind::Signature {
            return Ok(EnclaveResponse::Replayed {
                sequence: self.state.applied.map_or(0, |a| a.sequence),
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
                sequence: self.state.applied.map_or(0, |a| a.sequence),
            });
        }
        let secrets = self.secrets()?;
        let aad = entry_aad(kind, entry.sequence, entry.timestamp_ms, &entry.prev_hash);
        let plain = entry::open(self.provider, &secrets.entry_key, &aad, &entry.payload)?;
        let record = LedgerRecord::decode(&plain)
            .map_err(|e| EnclaveError::InvalidLedgerData(e.to_string()))?;
        if let LedgerRecord::Executed { nonce, .. } = &record
            && self.state.nonces.contains(nonce)
        {
            return Err(EnclaveError::Divergence {
                sequence: entry.sequence,
                reason: "the entry's nonce was already applied".into(),
            });
        }
        self.commit(record, entry.timestamp_ms);
        self.state.applied = Some(applied);
        Ok(EnclaveResponse::Replayed {
            sequence: self.state.applied.map_or(0, |a| a.sequence),
        })
    }

    /// The time at which what is not ordered is checked: the later of the last applied
    /// entry's time and the host's clock (a host can make an authorization expire
    /// sooner, never later). Out of order before any entry is applied.
    fn check_time(&self, host_time_ms: u64, what: &str) -> Result<(u64, u64), EnclaveError> {
        let last = self
            .state
            .applied
            .map(|applied| applied.timestamp_ms)
            .ok_or_else(|| {
                EnclaveError::OutOfOrder(format!(
                    "no entry applied yet: {what} at the last committed time"
                ))
            })?;
        Ok((last, last.max(host_time_ms)))
    }

    /// Opens, authenticates and checks the freshness of a request that is not
    /// ordered (a query or an authorization) at `at_ms`.
    fn open_unordered(&mut self, sealed: &[u8], at_ms: u64) -> Result<(Opened, Caller), Refusal> {
        let opened = self.open_request(sealed, Purpose::Query)?;
        let caller = self.check_unordered(&opened, at_ms)?;
        Ok((opened, caller))
    }

    /// Authenticates an opened request that is not ordered and checks its purpose and
    /// freshness at `at_ms`.
    fn check_unordered(&mut self, opened: &Opened, at_ms: u64) -> Result<Caller, Refusal> {
        let signer = self.authenticate(opened, at_ms)?;
        if opened.request.purpose != Purpose::Query {
            return Err(Refusal::new(
                RefusalCode::WrongPurpose,
                "a transaction cannot be sent as a query or an authorization",
            ));
        }
        fresh(opened.request.not_after_ms, at_ms)?;
        Ok(caller_of(signer))
    }

    pub(crate) fn query(
        &mut self,
        sealed: &[u8],
        host_time_ms: u64,
    ) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        let (last, at) = self.check_time(host_time_ms, "a query is checked")?;
        // A request that does not open gets its refusal in clear; every other refusal
        // is sealed to the request's response key.
        let opened = match self.open_request(sealed, Purpose::Query) {
            Ok(opened) => opened,
            Err(refusal) => {
                return Ok(EnclaveResponse::Answer {
                    response: clear_refusal(&refusal.to_string()),
                });
            }
        };
        let reply =
            self.check_unordered(&opened, at)
                .and_then(|caller| match &opened.request.body {
                    Body::Contract(query) => self
                        .contract
                        .query(&caller, query, &self.state.contract)
                        .map_err(Refusal::from),
                    Body::Governance(query) => {
                        governance::query(query, last, self.state.core_state(), &|| {
                            self.recovery_share(&caller)
                        })
                        .map_err(Refusal::from)
                    }
                    Body::Keys(query) => {
                        keys::query(&caller, query, self.state.core_state()).map_err(Refusal::from)
                    }
                    Body::Export { .. } | Body::Object { .. } => Err(Refusal::new(
                        RefusalCode::WrongPurpose,
                        "an object or export authorization is sent in a header, not as a query",
                    )),
                    Body::Attested { .. } => Err(Refusal::new(
                        RefusalCode::WrongPurpose,
                        "an attested invocation is a transaction, not a query",
                    )),
                });
        let response = match &reply {
            Ok(result) => seal_reply(self.provider, &opened.request, Ok(result)),
            Err(refusal) => seal_reply(self.provider, &opened.request, Err(&refusal.to_string())),
        }
        .unwrap_or_else(|| clear_refusal("the response could not be encrypted"));
        Ok(EnclaveResponse::Answer { response })
    }

    /// Checks an object authorization for `wanted`, at the later of the last committed
    /// time and `host_time_ms`: that a member signed it, that it is fresh and for this
    /// node, that its purpose needs this access, and that the contract finds the signer
    /// entitled to the object for that purpose. Whoever is not entitled gets
    /// [`EnclaveError::NotFoundOrDenied`], whether or not anything is at the location.
    pub(crate) fn authorize_object(
        &mut self,
        wanted: ObjectAccess,
        sealed: &[u8],
        host_time_ms: u64,
    ) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        let (_, at) = self.check_time(host_time_ms, "an object access is authorized")?;
        let (opened, caller) = self
            .open_unordered(sealed, at)
            .map_err(|r| EnclaveError::Unauthorized(r.to_string()))?;
        let Body::Object {
            purpose,
            location,
            node,
        } = &opened.request.body
        else {
            return Err(EnclaveError::Unauthorized(
                "the request is not an object authorization".into(),
            ));
        };
        self.check_node(node)?;
        let access = purpose.access();
        if access != wanted {
            return Err(EnclaveError::Unauthorized(format!(
                "the request authorizes a {access} of the object, not a {wanted}"
            )));
        }
        let grant = self
            .contract
            .authorize_object(&caller, purpose, location, at, &self.state.contract)
            .map_err(|e| match e {
                ContractError::Invalid(reason) => EnclaveError::InvalidRequest(reason),
                _ => EnclaveError::NotFoundOrDenied,
            })?;
        Ok(EnclaveResponse::ObjectAuthorized {
            access,
            purpose: purpose.clone(),
            location: location.clone(),
            msp_id: caller.msp_id,
            name: caller.name,
            dataset: grant.dataset,
        })
    }

    /// Checks a ledger export authorization: a consortium member signed it, fresh, for
    /// this node.
    pub(crate) fn authorize_export(
        &mut self,
        sealed: &[u8],
        host_time_ms: u64,
    ) -> Result<EnclaveResponse, EnclaveError> {
        self.secrets()?;
        let (_, at) = self.check_time(host_time_ms, "an export is authorized")?;
        let (opened, caller) = self
            .open_unordered(sealed, at)
            .map_err(|r| EnclaveError::Unauthorized(r.to_string()))?;
        let Body::Export { node } = &opened.request.body else {
            return Err(EnclaveError::Unauthorized(
                "the request is not an export authorization".into(),
            ));
        };
        self.check_node(node)?;
        Ok(EnclaveResponse::ExportAuthorized {
            msp_id: caller.msp_id,
            name: caller.name,
        })
    }

    fn check_node(&self, node: &[u8; 32]) -> Result<(), EnclaveError> {
        match &self.endpoint {
            None => Err(EnclaveError::Unauthorized(
                "this node has no endpoint key bound: it authorizes no object or export".into(),
            )),
            Some(endpoint) if endpoint != node => Err(EnclaveError::Unauthorized(
                "the authorization is for another node".into(),
            )),
            Some(_) => Ok(()),
        }
    }
}
