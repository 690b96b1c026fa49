//! Asking a node for its attestation over a fresh nonce: what [`crate::Client::connect`]
//! and [`crate::recovery::RecoveringNode::connect`] share.

use strongroom_api_types::{Attestation, EvidenceCollateral};
use strongroom_crypto::provider::default_provider;
use strongroom_enclave::PublicKeys;
use strongroom_tee::{
    Claims, Collateral, DcapCollateral, Evidence, PlatformKind, Policy, SnpCollateral, verify,
};

use crate::{ClientError, ct_eq, error_chain, read_json, tls};

/// What `GET /v1/attestation` answered over a fresh nonce, its evidence verified under
/// the caller's policy (but not yet checked to bind anything but the nonce), and the
/// TLS key of the connection it came over (not yet pinned).
pub(crate) struct Attested {
    pub(crate) http: reqwest::Client,
    pub(crate) pin: tls::Pin,
    pub(crate) base: String,
    pub(crate) attestation: Attestation,
    pub(crate) endpoint: [u8; 32],
    pub(crate) nonce: [u8; 32],
    pub(crate) claims: Claims,
}

impl Attested {
    /// Asks the node at `base_url` for evidence over a fresh nonce and verifies it.
    pub(crate) async fn fetch(
        base_url: &str,
        tls_cert_pem: Option<&str>,
        policy: &Policy,
    ) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !base.starts_with("https://") {
            return Err(ClientError::Setup(format!(
                "{base_url}: the node URL must start with https://"
            )));
        }
        let (http, pin) = tls::http_client(tls_cert_pem)?;
        let mut nonce = [0u8; 32];
        default_provider()
            .fill_random(&mut nonce)
            .map_err(|_| ClientError::Setup("random number generator failed".into()))?;
        let url = format!("{base}/v1/attestation?nonce={}", hex::encode(nonce));
        let bad = |what: &str| ClientError::Attestation(what.to_owned());
        let response = http
            .get(&url)
            .send()
            .await
            .map_err(|e| ClientError::Transport {
                url: base.clone(),
                reason: error_chain(&e),
            })?;
        // The key of the connection the evidence came over.
        let endpoint = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .ok_or_else(|| bad("the connection shows no TLS certificate"))
            .and_then(|der| {
                strongroom_identity::spki_sha256(der).map_err(|e| {
                    ClientError::Attestation(format!("the node's TLS certificate: {e}"))
                })
            })?;
        let attestation: Attestation = read_json("attestation", &base, Ok(response)).await?;
        if !ct_eq(
            &hex::decode(&attestation.nonce).map_err(|_| bad("nonce is not hex"))?,
            &nonce,
        ) {
            return Err(bad("the evidence is for another nonce (replayed?)"));
        }
        let platform: PlatformKind = attestation
            .platform
            .parse()
            .map_err(|e| ClientError::Attestation(format!("platform: {e}")))?;
        let evidence = Evidence::new(platform, attestation.evidence.clone());
        let collateral = collateral_of(platform, attestation.collateral.as_ref())?;
        let claims = verify(
            &evidence,
            &collateral,
            policy,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| ClientError::Attestation(e.to_string()))?;
        Ok(Self {
            http,
            pin,
            base,
            attestation,
            endpoint,
            nonce,
            claims,
        })
    }
}

/// The collateral that came with `platform` evidence, read for the verifier: none for
/// `sim`, DCAP collateral JSON for `sgx` and `tdx`, the VCEK for `snp` (only its first
/// certificate: a chain the node sends is never a trust anchor; the policy's roots or
/// AMD's built-in ones are). Missing, mismatched or malformed collateral is an error
/// naming the platform and what is wrong.
pub(crate) fn collateral_of(
    platform: PlatformKind,
    collateral: Option<&EvidenceCollateral>,
) -> Result<Collateral, ClientError> {
    let bad = |what: String| ClientError::Attestation(what);
    let needs = match platform {
        PlatformKind::Sim => {
            return match collateral {
                None => Ok(Collateral::None),
                Some(found) => Err(bad(format!(
                    "sim evidence takes no collateral, the node sent {} collateral",
                    found.kind()
                ))),
            };
        }
        PlatformKind::Sgx | PlatformKind::Tdx => {
            "DCAP collateral (Intel's TCB info, QE identity and CRLs)"
        }
        PlatformKind::Snp => "the chip's VCEK certificate",
    };
    match (platform, collateral) {
        (_, None) => Err(bad(format!(
            "the node sent no collateral with its {platform} evidence: verifying it needs \
             {needs} (the node's collateral setting, --collateral{})",
            if platform == PlatformKind::Snp {
                ", or an auxblob from configfs-tsm"
            } else {
                ""
            }
        ))),
        (PlatformKind::Sgx | PlatformKind::Tdx, Some(EvidenceCollateral::Dcap(json))) => {
            DcapCollateral::from_json(json)
                .map(Collateral::from)
                .map_err(|e| bad(format!("the node's {platform} collateral: {e}")))
        }
        (PlatformKind::Snp, Some(EvidenceCollateral::Snp(vcek))) => SnpCollateral::from_vcek(vcek)
            .map(Collateral::from)
            .map_err(|e| bad(format!("the node's {platform} collateral: {e}"))),
        (_, Some(found)) => Err(bad(format!(
            "the node sent {} collateral with its {platform} evidence, which needs {needs}",
            found.kind()
        ))),
    }
}

/// The service keys an attestation names.
pub(crate) fn public_keys_of(attestation: &Attestation) -> Result<PublicKeys, ClientError> {
    let bad = |what: &str| ClientError::Attestation(what.to_owned());
    Ok(PublicKeys {
        signing_key: hex::decode(&attestation.signing_key)
            .map_err(|_| bad("signing key is not hex"))?,
        transaction_key: hex::decode(&attestation.transaction_key)
            .map_err(|_| bad("transaction key is not hex"))?,
    })
}

#[cfg(test)]
mod tests;
