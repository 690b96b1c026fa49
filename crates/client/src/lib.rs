//! The strongroom client SDK.
//!
//! [`Client::connect`] opens a TLS connection to a node, asks for attestation evidence
//! over a fresh nonce, verifies it against the caller's [`Policy`] and checks that it
//! binds the service keys and the TLS key of the connection (which it then pins: see
//! [`tls`]). Only then does the client hold the service transaction key, and
//! every transaction or query it sends afterwards is signed by the member and encrypted
//! to that key (the node's host sees only ciphertext). Responses are decrypted with the
//! per-request key; receipts are verified against the attested service signing key.
//!
//! ```no_run
//! # async fn example(member: strongroom_identity::Member) -> Result<(), strongroom_client::ClientError> {
//! use strongroom_client::Client;
//! use strongroom_tee::Policy;
//!
//! let policy = Policy::new(); // a real deployment names the allowed measurements
//! let client = Client::connect("https://127.0.0.1:8443", None, &policy).await?;
//! let committed = client.transact(&member, b"put color=blue").await?;
//! let receipt = client.receipt(committed.sequence.unwrap_or(0)).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attested;
pub mod data;
pub mod governance;
pub mod keys;
pub mod recovery;
pub mod sharing;
pub mod tls;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use strongroom_api_types::{
    Answered, DOWNLOAD_HEADER, EXPORT_HEADER, ErrorBody, Health, Stored, Submit, Submitted,
    UPLOAD_HEADER, b64,
};
use strongroom_contract::ObjectPurpose;
use strongroom_crypto::provider::VerifyingKey;
use strongroom_enclave::request::{PreparedRequest, Reply};
use strongroom_enclave::{PublicKeys, evidence_report_data};
use strongroom_identity::Member;
use strongroom_ledger::Receipt;
use strongroom_tee::{Claims, Policy};
use subtle::ConstantTimeEq;

use crate::attested::{Attested, public_keys_of};

/// Constant-time equality (the lengths are public).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL or TLS certificate given is unusable.
    #[error("client setup: {0}")]
    Setup(String),
    /// The node could not be reached, or the connection broke.
    #[error("cannot reach the node at {url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The node answered with an error.
    #[error("the node refused {what}: {status} {code}: {error}")]
    Api {
        /// What was asked.
        what: String,
        /// HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// The node's explanation.
        error: String,
    },
    /// The node's evidence did not verify, or does not bind the keys it sent.
    #[error("the node's attestation is not acceptable: {0}")]
    Attestation(String),
    /// A request could not be built, or a response not opened.
    #[error(transparent)]
    Request(#[from] strongroom_enclave::request::ClientError),
    /// A receipt did not verify.
    #[error("receipt: {0}")]
    Receipt(String),
    /// The contract (or the core) refused the request. For a party that may not see
    /// something, "not found or not allowed" is one answer.
    #[error("refused: {reason}")]
    Refused {
        /// The core's reason.
        reason: String,
    },
    /// Encrypting, decrypting, uploading or downloading data failed.
    #[error("{0}")]
    Data(String),
    /// The node's answer is not what the API promises.
    #[error("unexpected answer from the node: {0}")]
    Protocol(String),
}

/// A committed transaction, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The ledger entry that records it.
    pub sequence: Option<u64>,
    /// The core's reply.
    pub reply: Reply,
}

/// A connection to an attested node.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    keys: PublicKeys,
    service_key: VerifyingKey,
    claims: Claims,
    /// The node's TLS key (SHA-256 of its SubjectPublicKeyInfo), bound by its evidence.
    endpoint: [u8; 32],
    /// The core's key-release key (X25519), bound by its evidence.
    key_release_key: [u8; 32],
    /// The last ledger entry this client (and its clones) saw committed: queries are
    /// answered from a state that includes it, at whichever node.
    last_seen: Arc<AtomicU64>,
}

/// How long a query waits for a node to apply what its client has seen.
const BEHIND_WAIT: Duration = Duration::from_secs(5);

impl Client {
    /// Connects to the node at `base_url` (`https://host:port`), verifies its
    /// attestation under `policy` before anything else, and pins the TLS key the
    /// evidence binds. `tls_cert_pem`, if given, must also be a root of the node's
    /// certificate (pinning by hand, no longer needed). See the [crate docs](crate).
    pub async fn connect(
        base_url: &str,
        tls_cert_pem: Option<&str>,
        policy: &Policy,
    ) -> Result<Self, ClientError> {
        let Attested {
            http,
            pin,
            base,
            attestation,
            endpoint,
            nonce,
            claims,
        } = Attested::fetch(base_url, tls_cert_pem, policy).await?;
        let bad = |what: &str| ClientError::Attestation(what.to_owned());
        if attestation.recovery_key.is_some() {
            return Err(bad(
                "the node is recovering the service secrets from members' shares and serves \
                 nothing else until it holds them (`strongroom recovery share submit` talks to it)",
            ));
        }
        let keys = public_keys_of(&attestation)?;
        let mut key_release_key = [0u8; 32];
        hex::decode_to_slice(&attestation.key_release_key, &mut key_release_key)
            .map_err(|_| bad("key-release key is not 32 bytes of hex"))?;
        if !ct_eq(
            &claims.report_data,
            &evidence_report_data(&keys, &key_release_key, &endpoint, &nonce),
        ) {
            return Err(bad(
                "the evidence does not bind the service keys the node sent and the TLS key of this connection",
            ));
        }
        // From now on every connection must present the attested key.
        let _ = pin.set(endpoint);
        let service_key = VerifyingKey::from_spki_der(&keys.signing_key)
            .map_err(|e| ClientError::Attestation(format!("service signing key: {e}")))?;
        Ok(Self {
            http,
            base,
            keys,
            service_key,
            claims,
            endpoint,
            key_release_key,
            last_seen: Arc::default(),
        })
    }

    /// The last ledger entry this client saw committed (0: none yet).
    pub fn last_seen(&self) -> u64 {
        self.last_seen.load(Ordering::Acquire)
    }

    /// Records that ledger entry `sequence` was seen committed (by another client, at
    /// another node): this client's queries are then answered from a state that
    /// includes it, never an older one.
    pub fn saw(&self, sequence: u64) {
        self.last_seen.fetch_max(sequence, Ordering::AcqRel);
    }

    /// The core's key-release key (HPKE X25519), bound by its evidence: a data key
    /// wrapped to it opens only inside an attested core of this consortium, which
    /// releases it only to an attested worker of an approved task.
    pub fn key_release_key(&self) -> &[u8; 32] {
        &self.key_release_key
    }

    /// The node's TLS key (SHA-256 of its SubjectPublicKeyInfo), bound by its evidence:
    /// object and export authorizations name the node by it.
    pub fn endpoint(&self) -> [u8; 32] {
        self.endpoint
    }

    /// The verified claims of the node's evidence.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The attested service keys.
    pub fn public_keys(&self) -> &PublicKeys {
        &self.keys
    }

    /// The attested service signing key (receipts verify under it).
    pub fn service_key(&self) -> &VerifyingKey {
        &self.service_key
    }

    /// Signs `invocation` as `member`, encrypts it to the service, and waits for it to
    /// be committed.
    pub async fn transact(
        &self,
        member: &Member,
        invocation: &[u8],
    ) -> Result<Committed, ClientError> {
        let prepared =
            PreparedRequest::transaction(&self.keys.transaction_key, member, invocation)?;
        self.submit_prepared(&prepared).await
    }

    /// Sends a prepared transaction (for callers that build requests themselves).
    pub async fn submit_prepared(
        &self,
        prepared: &PreparedRequest,
    ) -> Result<Committed, ClientError> {
        let submitted: Submitted = self
            .post(
                "transaction",
                "/v1/transactions",
                &Submit {
                    request: prepared.payload.clone(),
                },
            )
            .await?;
        if let Some(sequence) = submitted.sequence {
            self.saw(sequence);
        }
        Ok(Committed {
            sequence: submitted.sequence,
            reply: prepared.open_response(&submitted.response)?,
        })
    }

    /// Signs `query` as `member`, encrypts it to the service, and opens the answer.
    pub async fn query(&self, member: &Member, query: &[u8]) -> Result<Reply, ClientError> {
        let prepared = PreparedRequest::query(&self.keys.transaction_key, member, query)?;
        self.query_prepared(&prepared).await
    }

    /// Sends a prepared query and opens the answer. The answer comes from a state that
    /// includes every entry this client saw committed ([`Client::last_seen`]): while
    /// the node has not applied it, the query is retried, up to 5 s, then refused
    /// with the node's `behind` error.
    pub async fn query_prepared(&self, prepared: &PreparedRequest) -> Result<Reply, ClientError> {
        let url = format!("{}/v1/queries", self.base);
        let body = Submit {
            request: prepared.payload.clone(),
        };
        let deadline = tokio::time::Instant::now() + BEHIND_WAIT;
        let mut delay = Duration::from_millis(5);
        loop {
            let mut request = self.http.post(&url).json(&body);
            let seen = self.last_seen();
            if seen > 0 {
                request = request.header("Strongroom-Min-Sequence", seen);
            }
            match read_json::<Answered>("query", &self.base, request.send().await).await {
                Ok(answered) => return Ok(prepared.open_response(&answered.response)?),
                Err(ClientError::Api { code, .. })
                    if code == "behind" && tokio::time::Instant::now() + delay < deadline =>
                {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The receipt of entry `sequence`, verified against the attested service key.
    /// Waits (up to 10 s) until a signature entry covers the entry.
    pub async fn receipt(&self, sequence: u64) -> Result<Receipt, ClientError> {
        let url = format!("{}/v1/receipts/{sequence}", self.base);
        let mut delay = Duration::from_millis(20);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| self.transport(e))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(500));
                continue;
            }
            let text = checked("receipt", response)
                .await?
                .text()
                .await
                .map_err(|e| self.transport(e))?;
            let receipt =
                Receipt::decode(&text).map_err(|e| ClientError::Receipt(e.to_string()))?;
            let verified = receipt
                .verify(Some(&self.service_key))
                .map_err(|e| ClientError::Receipt(e.to_string()))?;
            if !verified.signer_trusted || verified.entry.sequence() != sequence {
                return Err(ClientError::Receipt(format!(
                    "the receipt is not for entry {sequence} under the attested service key"
                )));
            }
            return Ok(receipt);
        }
    }

    /// Uploads an object (already encrypted) into `location`, a location the contract
    /// reserved for `member`'s organization, authorized by `member`'s signature for this
    /// node (sealed to the service, in the [`UPLOAD_HEADER`]); returns what the node
    /// stored, with its size and SHA-256.
    pub async fn put_object<S>(
        &self,
        member: &Member,
        location: &str,
        body: S,
    ) -> Result<Stored, ClientError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        let authorization = PreparedRequest::object(
            &self.keys.transaction_key,
            member,
            ObjectPurpose::Upload,
            location,
            self.endpoint,
        )?;
        let url = format!("{}/v1/objects/{location}", self.base);
        let response = self
            .http
            .put(&url)
            .header("content-type", "application/octet-stream")
            .header(UPLOAD_HEADER, b64::encode(&authorization.payload))
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        read_json("upload", &self.base, response).await
    }

    /// Downloads the object at `location` as a stream of chunks, for `purpose` (an
    /// object of `member`'s organization, or an input of a task `member` runs),
    /// authorized by `member`'s signature for this node (in the [`DOWNLOAD_HEADER`]).
    pub async fn get_object(
        &self,
        member: &Member,
        purpose: ObjectPurpose,
        location: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<>, ClientError> {
        let authorization = PreparedRequest::object(
            &self.keys.transaction_key,
            member,
            purpose,
            location,
            self.endpoint,
        )?;
        let url = format!("{}/v1/objects/{location}", self.base);
        let response = self
            .http
            .get(&url)
            .header(DOWNLOAD_HEADER, b64::encode(&authorization.payload))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let response = checked("download", response).await?;
        Ok(response.bytes_stream().map_err(std::io::Error::other))
    }

    /// The node's health.
    pub async fn health(&self) -> Result<Health, ClientError> {
        let url = format!("{}/healthz", self.base);
        read_json("health", &self.base, self.http.get(&url).send().await).await
    }

    /// The ledger export (binary, `docs/formats/ledger.md`) of entries `from..=to`,
    /// authorized by `member`'s signature (in the [`EXPORT_HEADER`]).
    pub async fn export(
        &self,
        member: &Member,
        from: u64,
        to: u64,
    ) -> Result<Vec<u8>, ClientError> {
        let authorization =
            PreparedRequest::export(&self.keys.transaction_key, member, self.endpoint)?;
        let url = format!("{}/v1/ledger/export?from={from}&to={to}", self.base);
        let response = self
            .http
            .get(&url)
            .header(EXPORT_HEADER, b64::encode(&authorization.payload))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let response = checked("export", response).await?;
        Ok(response
            .bytes()
            .await
            .map_err(|e| self.transport(e))?
            .to_vec())
    }

    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        read_json(
            what,
            &self.base,
            self.http.post(&url).json(body).send().await,
        )
        .await
    }

    fn transport(&self, e: reqwest::Error) -> ClientError {
        ClientError::Transport {
            url: self.base.clone(),
            reason: error_chain(&e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn checked(
    what: &str,
    response: reqwest::Response,
) -> Result<reqwest::Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or(ErrorBody {
        code: "unknown".into(),
        error: text.chars().take(200).collect(),
    });
    Err(ClientError::Api {
        what: what.to_owned(),
        status: status.as_u16(),
        code: body.code,
        error: body.error,
    })
}

async fn read_json<T: DeserializeOwned>(
    what: &str,
    base: &str,
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ClientError> {
    let transport = |e: reqwest::Error| ClientError::Transport {
        url: base.to_owned(),
        reason: error_chain(&e),
    };
    let response = checked(what, response.map_err(transport)?).await?;
    let bytes = response.bytes().await.map_err(transport)?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(format!("{what}: {e}")))
}
