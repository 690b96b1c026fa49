//! The messages between a host and its core. They serialize (JSON, bytes as hex), so
//! the core can run in the node process or behind a process boundary unchanged:
//! [`EnclaveRequest::to_bytes`] / [`EnclaveRequest::from_bytes`] and the same on
//! [`EnclaveResponse`].

use serde::{Deserialize, Serialize};
use strongroom_ledger::{Entry, EntryKind, Hash};
use strongroom_tee::{
    Collateral, CollateralError, DcapCollateral, Evidence, PlatformKind, SnpCollateral,
};

use strongroom_contract::{ObjectAccess, ObjectPurpose};

use crate::codec::{hex_bytes, hex_hash};
use crate::error::EnclaveError;
use crate::record::Constitution;
use crate::secrets::PublicKeys;

/// Where a committed payload sits: given by the consensus layer for each `Execute`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecuteContext {
    /// The Raft log index of the proposal (informational).
    pub log_index: u64,
    /// The ordering time of the committed entry (ms since the Unix epoch): the only
    /// time the core uses.
    pub timestamp_ms: u64,
    /// The ledger sequence number the recorded entry gets.
    pub sequence: u64,
    /// The hash of the ledger entry before it.
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    /// The cluster's voters as of this entry (Raft node ids): the membership the Raft
    /// log holds before it, the same at every replica. Governance checks a
    /// `remove_node` proposal against it. Empty where the host does not say (a proposal
    /// to remove a node is then refused: no node is known).
    #[serde(default)]
    pub voters: Vec<u64>,
    /// The cluster's learners (Raft members without a vote) as of this entry.
    #[serde(default)]
    pub learners: Vec<u64>,
}

/// The kind of ledger entry a core asks to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The genesis entry.
    Genesis,
    /// A governance transaction (a proposal or a vote).
    Governance,
    /// A contract transaction, or a refused request.
    Transaction,
}

impl RecordKind {
    /// The ledger's entry kind.
    pub fn entry_kind(self) -> EntryKind {
        match self {
            Self::Genesis => EntryKind::Genesis,
            Self::Governance => EntryKind::Governance,
            Self::Transaction => EntryKind::Transaction,
        }
    }
}

/// A ledger entry as carried in a message (mirrors [`strongroom_ledger::Entry`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Sequence number, from 1.
    pub sequence: u64,
    /// Hash of the entry before.
    #[serde(with = "hex_hash")]
    pub prev_hash: Hash,
    /// Entry kind byte ([`EntryKind::to_byte`]).
    pub kind: u8,
    /// Ordering time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The payload.
    #[serde(with = "hex_bytes")]
    pub payload: Vec<u8>,
}

impl From<&Entry> for LedgerEntry {
    fn from(entry: &Entry) -> Self {
        Self {
            sequence: entry.header.sequence,
            prev_hash: entry.header.prev_hash,
            kind: entry.header.kind.to_byte(),
            timestamp_ms: entry.header.timestamp_ms,
            payload: entry.payload.clone(),
        }
    }
}

/// Attestation evidence as carried in a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceMessage {
    /// The platform the evidence claims.
    pub platform: PlatformKind,
    /// The evidence bytes.
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
}

impl From<Evidence> for EvidenceMessage {
    fn from(evidence: Evidence) -> Self {
        Self {
            platform: evidence.platform(),
            bytes: evidence.into_bytes(),
        }
    }
}

impl From<&EvidenceMessage> for Evidence {
    fn from(message: &EvidenceMessage) -> Self {
        Evidence::new(message.platform, message.bytes.clone())
    }
}

/// The collateral that verifies a joiner's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "bytes")]
pub enum JoinCollateral {
    /// DCAP collateral JSON (SGX, TDX).
    Dcap(#[serde(with = "hex_bytes")] Vec<u8>),
    /// None (simulated evidence).
    None,
    /// The VCEK certificate (SEV-SNP), DER or PEM.
    Snp(#[serde(with = "hex_bytes")] Vec<u8>),
}

impl JoinCollateral {
    pub(crate) fn parse(&self) -> Result<Collateral, CollateralError> {
        Ok(match self {
            Self::Dcap(json) => DcapCollateral::from_json(json)?.into(),
            Self::None => Collateral::None,
            Self::Snp(vcek) => SnpCollateral::from_vcek(vcek)?.into(),
        })
    }
}

/// A request to a core. Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "request")]
#[non_exhaustive]
pub enum EnclaveRequest {
    /// Checks a sealed export authorization ([`crate::request::Body::Export`]): that a
    /// member signed it, that it is fresh and for this node. Answered with
    /// `ExportAuthorized` or an `Error`.
    AuthorizeExport {
        /// The sealed request.
        #[serde(with = "hex_bytes")]
        envelope: Vec<u8>,
        /// The host's clock (ms since the Unix epoch); the core checks freshness at the
        /// later of it and the last committed time.
        host_time_ms: u64,
    },
    /// Checks a sealed object authorization ([`crate::request::Body::Object`]) for
    /// `access`: that it opens, that a member signed it under the trusted
    /// organizations, that it is fresh and for this node, that its purpose needs this
    /// very access (a read is refused for a write, and the other way round), and that
    /// the contract finds the member entitled to the object for that purpose. Answered
    /// with `ObjectAuthorized` or an `Error` (`not_found_or_denied` for whoever is not
    /// entitled, whether or not anything is at the location).
    AuthorizeObject {
        /// The access the host is about to grant.
        access: ObjectAccess,
        /// The sealed request.
        #[serde(with = "hex_bytes")]
        envelope: Vec<u8>,
        /// The host's clock (ms since the Unix epoch); the core checks at the later of
        /// it and the last committed time.
        host_time_ms: u64,
    },
    /// Binds the node's endpoint key (SHA-256 of its TLS SubjectPublicKeyInfo) once:
    /// the evidence binds it from then on, and object and export authorizations must
    /// name it.
    BindEndpoint {
        /// The endpoint key.
        #[serde(with = "hex_hash")]
        endpoint: [u8; 32],
    },
    /// Evidence binding the service public keys, the endpoint key and `nonce` (see
    /// [`crate::evidence_report_data`]).
    Evidence {
        /// A verifier's fresh nonce.
        #[serde(with = "hex_bytes")]
        nonce: Vec<u8>,
    },
    /// Executes a committed payload: the genesis payload at sequence 1, afterwards a
    /// sealed client request.
    Execute {
        /// Where the payload was committed.
        ctx: ExecuteContext,
        /// The committed payload.
        #[serde(with = "hex_bytes")]
        payload: Vec<u8>,
    },
    /// Creates the service secrets and the genesis payload. The state changes only
    /// when that payload is executed at sequence 1.
    Genesis {
        /// The founding organizations.
        constitution: Constitution,
    },
    /// On a joining core: takes the secrets wrapped to the key of `PrepareJoin`.
    Join {
        /// What `JoinRequest` returned on a member core.
        #[serde(with = "hex_bytes")]
        wrapped: Vec<u8>,
    },
    /// On a core that holds the secrets: wraps them to `joiner_key` if `evidence`
    /// verifies under the consortium's node policy (the `cfg/node-policy` key of the
    /// state: set at genesis, [`Constitution::node_policy`], and replaced by governance,
    /// [`ProposedChange::SetNodePolicy`](crate::governance::ProposedChange::SetNodePolicy))
    /// at the time of the last applied entry, and binds `joiner_key` (see
    /// [`crate::join_report_data`]). Refused ([`EnclaveError::Attestation`]) while
    /// the consortium has no node policy, and ([`EnclaveError::OutOfOrder`]) before
    /// the genesis entry is applied.
    JoinRequest {
        /// The joiner's evidence.
        evidence: EvidenceMessage,
        /// What verifies it.
        collateral: JoinCollateral,
        /// The joiner's HPKE X25519 public key.
        #[serde(with = "hex_bytes")]
        joiner_key: Vec<u8>,
    },
    /// On a core without secrets: makes a one-time key and evidence binding it.
    PrepareJoin,
    /// On a core without secrets: starts a recovery of the service whose public keys
    /// are `public_keys` (the host reads them from the genesis record of its ledger)
    /// from members' shares. Makes a one-time recovery key (X25519) and answers
    /// `RecoveryPrepared` with evidence binding it and the keys (see
    /// [`crate::recovery::recovery_report_data`]); an `Evidence` request answers the
    /// same, over the verifier's nonce, until the recovery completes. Calling it again
    /// starts over: a new key, the shares held dropped.
    PrepareRecovery {
        /// The service public keys to recover.
        public_keys: PublicKeys,
    },
    /// The service public keys.
    PublicKeys,
    /// Answers a signed, sealed query (see [`crate::request`]).
    Query {
        /// The sealed request.
        #[serde(with = "hex_bytes")]
        envelope: Vec<u8>,
        /// The host's clock (ms since the Unix epoch); the core checks freshness at the
        /// later of it and the last committed time.
        #[serde(default)]
        host_time_ms: u64,
    },
    /// Re-applies a recorded entry (after `Restore`, or from genesis on restart).
    Replay {
        /// The entry.
        entry: LedgerEntry,
    },
    /// Replaces the state with a snapshot's.
    Restore {
        /// What `Snapshot` returned.
        #[serde(with = "hex_bytes")]
        snapshot: Vec<u8>,
    },
    /// Signs a Merkle root with the service signing key.
    SignRoot {
        /// Leaves covered.
        tree_size: u64,
        /// The root.
        #[serde(with = "hex_hash")]
        root: Hash,
    },
    /// The state, encrypted under the ledger secret.
    Snapshot,
    /// The state digest.
    StateDigest,
    /// On a recovering core: a member's share, HPKE-wrapped to the recovery key. Held
    /// (`RecoveryShareHeld`) until the core holds as many distinct shares as their
    /// threshold; then combined, checked against the public keys and installed
    /// (`Recovered`). A refused share ([`EnclaveError::InvalidShare`]) changes nothing.
    SubmitRecoveryShare {
        /// The share wrapped to the recovery key.
        #[serde(with = "hex_bytes")]
        wrapped: Vec<u8>,
    },
    /// Restores the secrets from what `Genesis` or `Join` returned as `sealed`.
    Unseal {
        /// The sealed secrets.
        #[serde(with = "hex_bytes")]
        sealed: Vec<u8>,
    },
}

/// A core's answer. Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "answer")]
#[non_exhaustive]
pub enum EnclaveResponse {
    /// To `Query`: the response for the client.
    Answer {
        /// Encrypted to the client's response key (or a refusal in clear).
        #[serde(with = "hex_bytes")]
        response: Vec<u8>,
    },
    /// To `BindEndpoint`.
    EndpointBound {
        /// The endpoint key now bound.
        #[serde(with = "hex_hash")]
        endpoint: [u8; 32],
    },
    /// The request was refused.
    Error {
        /// Why.
        error: EnclaveError,
    },
    /// To `Evidence`.
    Evidence {
        /// The evidence.
        evidence: EvidenceMessage,
        /// The keys it binds.
        public_keys: PublicKeys,
        /// The key-release key it binds (HPKE X25519, 32 bytes).
        #[serde(with = "hex_bytes")]
        key_release_key: Vec<u8>,
        /// The endpoint key it binds (zeros if none is bound).
        #[serde(with = "hex_hash")]
        endpoint: [u8; 32],
    },
    /// To `Execute`: what to record and what to answer.
    Executed {
        /// The entry kind.
        kind: RecordKind,
        /// The entry payload (encrypted, except genesis).
        #[serde(with = "hex_bytes")]
        ledger_payload: Vec<u8>,
        /// The response for the client (encrypted to its key, or a refusal in clear;
        /// empty for genesis).
        #[serde(with = "hex_bytes")]
        response: Vec<u8>,
    },
    /// To `Genesis`.
    Genesis {
        /// The payload to propose as the first ledger entry.
        #[serde(with = "hex_bytes")]
        ledger_payload: Vec<u8>,
        /// The service public keys.
        public_keys: PublicKeys,
        /// The secrets sealed to the platform, for the host to store; empty when the
        /// platform has no sealing key (TDX, SNP): nothing to store.
        #[serde(with = "hex_bytes")]
        sealed: Vec<u8>,
    },
    /// To `Join`: the core now holds the secrets.
    Joined {
        /// The service public keys.
        public_keys: PublicKeys,
        /// The secrets sealed to this core's platform, for the host to store; empty
        /// when the platform has no sealing key (TDX, SNP): nothing to store.
        #[serde(with = "hex_bytes")]
        sealed: Vec<u8>,
    },
    /// To `PrepareJoin`.
    JoinPrepared {
        /// Evidence binding `joiner_key`.
        evidence: EvidenceMessage,
        /// The one-time HPKE X25519 public key.
        #[serde(with = "hex_bytes")]
        joiner_key: Vec<u8>,
    },
    /// To `AuthorizeExport`: who may export the ledger.
    ExportAuthorized {
        /// The member's organization.
        msp_id: String,
        /// The member's name.
        name: String,
    },
    /// To `AuthorizeObject`: who may access which object, how and why.
    ObjectAuthorized {
        /// The access granted (the one asked for).
        access: ObjectAccess,
        /// The purpose the member named.
        purpose: ObjectPurpose,
        /// The location the member signed.
        location: String,
        /// The member's organization.
        msp_id: String,
        /// The member's name.
        name: String,
        /// The dataset the object belongs to (`None` for an upload into a reservation).
        dataset: Option<String>,
    },
    /// To `PublicKeys` and `Unseal`.
    PublicKeys {
        /// The service public keys.
        public_keys: PublicKeys,
    },
    /// To the share that completes a recovery: the core now holds the secrets.
    Recovered {
        /// The service public keys.
        public_keys: PublicKeys,
        /// How many shares it took.
        threshold: u32,
        /// The secrets sealed to this core's platform, for the host to store; empty
        /// when the platform has no sealing key (TDX, SNP): nothing to store.
        #[serde(with = "hex_bytes")]
        sealed: Vec<u8>,
    },
    /// To `PrepareRecovery`, and to `Evidence` while a recovery is in progress.
    RecoveryPrepared {
        /// Evidence binding the recovery key, the public keys, the endpoint key and the
        /// nonce ([`crate::recovery::recovery_report_data`]; the nonce is empty in the
        /// answer to `PrepareRecovery`).
        evidence: EvidenceMessage,
        /// The one-time recovery key (HPKE X25519, 32 bytes) shares are wrapped to.
        #[serde(with = "hex_bytes")]
        recovery_key: Vec<u8>,
        /// The service public keys being recovered.
        public_keys: PublicKeys,
        /// The endpoint key it binds (zeros if none is bound).
        #[serde(with = "hex_hash")]
        endpoint: [u8; 32],
    },
    /// To a share that does not complete a recovery yet.
    RecoveryShareHeld {
        /// Distinct shares held now.
        held: u32,
        /// Shares needed.
        threshold: u32,
    },
    /// To `Replay` and `Restore`: the ledger sequence the state is now at (0 before
    /// genesis). `StateDigest` gives the digest: computing it costs a pass over the
    /// whole state, too much for every replayed entry.
    Replayed {
        /// The last applied ledger sequence.
        sequence: u64,
    },
    /// To `SignRoot`: an encoded [`strongroom_ledger::SignedRoot`].
    RootSigned {
        /// The signature entry payload.
        #[serde(with = "hex_bytes")]
        signed_root: Vec<u8>,
    },
    /// To `JoinRequest`: the secrets, HPKE-wrapped to the joiner's key.
    SecretsWrapped {
        /// The wrapped secrets.
        #[serde(with = "hex_bytes")]
        wrapped: Vec<u8>,
    },
    /// To `Snapshot`.
    Snapshot {
        /// The encrypted state.
        #[serde(with = "hex_bytes")]
        snapshot: Vec<u8>,
    },
    /// To `StateDigest`.
    StateDigest {
        /// The digest.
        #[serde(with = "hex_hash")]
        digest: Hash,
    },
}

impl EnclaveRequest {
    /// The JSON encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Every field serializes (strings, integers, hex): this cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses the JSON encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnclaveError> {
        serde_json::from_slice(bytes)
            .map_err(|e| EnclaveError::InvalidRequest(format!("not an enclave request: {e}")))
    }
}

impl EnclaveResponse {
    /// The JSON encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        // As for requests: cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses the JSON encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnclaveError> {
        serde_json::from_slice(bytes)
            .map_err(|e| EnclaveError::InvalidRequest(format!("not an enclave response: {e}")))
    }
}

impl From<EnclaveError> for EnclaveResponse {
    fn from(error: EnclaveError) -> Self {
        Self::Error { error }
    }
}
