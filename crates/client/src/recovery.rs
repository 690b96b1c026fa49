//! Recovery of the service from members' shares (`strongroom_enclave::recovery`): a
//! recovery member fetches its share from a running node (it stays encrypted to the
//! member's key), and, once no node holds the secrets any more, hands it to a
//! recovering node whose evidence it verified, wrapped to that core's one-time
//! recovery key.
//!
//! ```no_run
//! # async fn example(
//! #     member: strongroom_identity::Member,
//! #     member_key: strongroom_crypto::hpke::PrivateKey,
//! # ) -> Result<(), strongroom_client::ClientError> {
//! use strongroom_client::Client;
//! use strongroom_client::recovery::{RecoveringNode, open_share};
//! use strongroom_tee::Policy;
//!
//! let policy = Policy::new(); // a real deployment names the allowed measurements
//! let client = Client::connect("https://node-a:8443", None, &policy).await?;
//! let view = client.recovery_share(&member).await?; // keep it: encrypted to member_key
//! // Later, every node lost:
//! let recovering = RecoveringNode::connect("https://node-b:8443", None, &policy).await?;
//! let progress = recovering.submit(&open_share(&view, &member_key)?).await?;
//! # Ok(()) }
//! ```

use strongroom_api_types::{RecoveryProgress, SubmitShare};
use strongroom_crypto::hpke::PrivateKey;
use strongroom_enclave::PublicKeys;
use strongroom_enclave::governance::{GovernanceQuery, RecoveryShareView};
use strongroom_enclave::recovery::{RecoveryShare, public_keys_sha256, recovery_report_data};
use strongroom_identity::Member;
use strongroom_tee::{Claims, Policy};

use crate::attested::{Attested, public_keys_of};
use crate::{Client, ClientError, ct_eq, read_json};

impl Client {
    /// `member`'s share of the service secrets under the recovery configuration now,
    /// wrapped to the member key it published. A member the configuration does not
    /// name is refused ("not found or not allowed").
    pub async fn recovery_share(&self, member: &Member) -> Result<RecoveryShareView, ClientError> {
        self.ask_governance(member, &GovernanceQuery::GetRecoveryShare)
            .await
    }
}

/// Opens a share [`Client::recovery_share`] answered, with the member's key.
pub fn open_share(
    view: &RecoveryShareView,
    member_key: &PrivateKey,
) -> Result<RecoveryShare, ClientError> {
    let wrapped = hex::decode(&view.wrapped_share)
        .map_err(|e| ClientError::Data(format!("wrapped_share: {e}")))?;
    RecoveryShare::open(member_key, &view.member, &wrapped)
        .map_err(|e| ClientError::Data(e.to_string()))
}

/// A node whose core is recovering the service secrets, its evidence verified: it binds
/// the one-time recovery key, the service keys being recovered, the TLS key of the
/// connection (then pinned) and a fresh nonce.
#[derive(Clone, Debug)]
pub struct RecoveringNode {
    http: reqwest::Client,
    base: String,
    recovery_key: [u8; 32],
    public_keys: PublicKeys,
    claims: Claims,
}

impl RecoveringNode {
    /// Connects to the recovering node at `base_url` and verifies its evidence under
    /// `policy` (as [`Client::connect`] does for a running node).
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
        let Some(recovery_key_hex) = &attestation.recovery_key else {
            return Err(bad(
                "the node is not recovering: it holds the service secrets, so it needs no share",
            ));
        };
        let mut recovery_key = [0u8; 32];
        hex::decode_to_slice(recovery_key_hex, &mut recovery_key)
            .map_err(|_| bad("recovery key is not 32 bytes of hex"))?;
        let public_keys = public_keys_of(&attestation)?;
        if !ct_eq(
            &claims.report_data,
            &recovery_report_data(&recovery_key, &public_keys, &endpoint, &nonce),
        ) {
            return Err(bad(
                "the evidence does not bind the recovery key, the service keys the node sent and \
                 the TLS key of this connection",
            ));
        }
        let _ = pin.set(endpoint);
        Ok(Self {
            http,
            base,
            recovery_key,
            public_keys,
            claims,
        })
    }

    /// The service keys the node recovers (bound by its evidence).
    pub fn public_keys(&self) -> &PublicKeys {
        &self.public_keys
    }

    /// The core's one-time recovery key (bound by its evidence).
    pub fn recovery_key(&self) -> &[u8; 32] {
        &self.recovery_key
    }

    /// The verified claims of the node's evidence.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Checks that `share` is of the service the node recovers, wraps it to the core's
    /// recovery key and submits it; answers where the recovery stands.
    pub async fn submit(&self, share: &RecoveryShare) -> Result<RecoveryProgress, ClientError> {
        let attested = public_keys_sha256(&self.public_keys);
        if !ct_eq(share.public_keys_sha256(), &attested) {
            return Err(ClientError::Attestation(format!(
                "the node recovers another service (public keys SHA-256 {}) than the share is of \
                 ({}): the share is not sent",
                hex::encode(attested),
                hex::encode(share.public_keys_sha256())
            )));
        }
        let wrapped = share
            .wrap_to_core(&self.recovery_key)
            .map_err(|e| ClientError::Data(e.to_string()))?;
        let url = format!("{}/v1/recovery/shares", self.base);
        let response = self
            .http
            .post(&url)
            .json(&SubmitShare { share: wrapped })
            .send()
            .await;
        read_json("recovery share", &self.base, response).await
    }
}
