//! The JSON bodies of the strongroom node's HTTPS API (`/v1/...`), shared by the node
//! and its clients. Binary fields are standard base64 (with padding) unless a field
//! says hex. Every request body refuses unknown fields.
//!
//! | method and path | request | response |
//! |---|---|---|
//! | `GET /v1/attestation?nonce=HEX` | — | [`Attestation`] |
//! | `POST /v1/transactions` | [`Submit`] | [`Submitted`] |
//! | `POST /v1/queries` | [`Submit`] | [`Answered`] |
//! | `GET /v1/receipts/{sequence}` | — | the receipt JSON (`docs/formats/ledger.md`) |
//! | `GET /v1/ledger/export?from=&to=` | — (an [`EXPORT_HEADER`]) | the binary export stream |
//! | `PUT /v1/objects/{path}` | raw bytes (an encrypted object), with an [`UPLOAD_HEADER`] | [`Stored`] |
//! | `GET /v1/objects/{path}` | — (a [`DOWNLOAD_HEADER`]) | raw bytes |
//! | `POST /v1/recovery/shares` | [`SubmitShare`] (only on a recovering node) | [`RecoveryProgress`] |
//! | `GET /healthz` | — | [`Health`] |
//! | `GET /metrics` | — | Prometheus text |
//! | `GET /v1/openapi.json` | — | the OpenAPI 3.1 document |
//!
//! Every error is a 4xx or 5xx status with an [`ErrorBody`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

/// The header of `GET /v1/objects/{path}` that authorizes the download: a member's
/// signed request to read that path for a purpose (its own organization's dataset, or
/// an input of a task it runs), for this node, sealed to the service like a query
/// (`Body::Object` in `strongroom_enclave::request`), in base64. The node has its core
/// check it before it looks at its store: 401 without a valid authorization for this
/// path and this node; 404 `not_found` for a member the contract does not entitle,
/// the same answer whether an object exists there or not.
pub const DOWNLOAD_HEADER: &str = "x-strongroom-download";

/// The header of `PUT /v1/objects/{path}` that authorizes the upload: a member's
/// signed request to upload into that path, a location the contract reserved for the
/// member's organization, for this node, sealed like [`DOWNLOAD_HEADER`]'s. 401 without
/// a valid one, 404 `not_found` when the member is not entitled.
pub const UPLOAD_HEADER: &str = "x-strongroom-upload";

/// The header of `GET /v1/ledger/export` that authorizes the export: a consortium
/// member's signed request to export this node's ledger (`Body::Export`), sealed like
/// [`DOWNLOAD_HEADER`]'s. 401 without a valid one.
pub const EXPORT_HEADER: &str = "x-strongroom-export";

/// Base64 (standard alphabet, padded) for `Vec<u8>` fields.
pub mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    /// The base64 of `bytes` (for a header value).
    pub fn encode(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    /// The bytes of a base64 text; the error names the problem.
    pub fn decode(text: &str) -> Result<Vec<u8>, String> {
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| format!("invalid base64: {e}"))
    }

    /// Encodes.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    /// Decodes; the error names the problem.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }
}

/// An error, with a machine-readable code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// A stable code, such as `bad_request`, `payload_too_large`, `rate_limited`,
    /// `not_found`, `not_leader`, `unavailable`.
    pub code: String,
    /// What was wrong, and where.
    pub error: String,
}

/// The node's attestation: evidence that binds the service keys and the client's
/// nonce, and the keys themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The TEE platform: `sim`, `sgx`, `tdx` or `snp`.
    pub platform: String,
    /// True when the evidence comes from the INSECURE SIMULATION platform.
    pub insecure: bool,
    /// The evidence bytes.
    #[serde(with = "b64")]
    pub evidence: Vec<u8>,
    /// The nonce the evidence binds, hex (echoed from the request).
    pub nonce: String,
    /// The service signing key (ECDSA P-256, SubjectPublicKeyInfo DER), hex.
    pub signing_key: String,
    /// The service transaction key (HPKE X25519, 32 bytes), hex.
    pub transaction_key: String,
    /// The key-release key (HPKE X25519, 32 bytes), hex: owners wrap data keys to it so
    /// that the core can release them to attested workers of approved tasks; the
    /// evidence binds it. Empty on a recovering node.
    pub key_release_key: String,
    /// SHA-256 of the SubjectPublicKeyInfo of the node's TLS certificate, hex: the
    /// evidence binds it, so a client that finds its connection's key has this hash
    /// talks to the attested core's endpoint.
    pub endpoint_key_sha256: String,
    /// Only on a node that is recovering the service secrets from members' shares: its
    /// core's one-time recovery key (HPKE X25519, 32 bytes), hex, which members wrap
    /// their shares to. The evidence then binds it with the service keys being
    /// recovered, the endpoint key and the nonce
    /// (`strongroom_enclave::recovery::recovery_report_data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_key: Option<String>,
    /// What verifies the evidence, as the node has it: the chip's VCEK (`snp`) or
    /// Intel's DCAP collateral (`sgx`, `tdx`). Absent for `sim`, and from a node that
    /// was given none. Only the evidence is trusted: the verifier checks this
    /// collateral up to its own roots (AMD's, Intel's, or its policy's), never to a
    /// root the node sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<EvidenceCollateral>,
}

/// The collateral that travels with a node's evidence (`Attestation::collateral`),
/// as `{"kind": "snp" | "dcap", "bytes": BASE64}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    tag = "kind",
    content = "bytes",
    deny_unknown_fields
)]
pub enum EvidenceCollateral {
    /// Intel's DCAP collateral for an SGX or TDX quote: the JSON of a
    /// `QuoteCollateralV3` (TCB info, QE identity, CRLs and their chains).
    Dcap(#[serde(with = "b64")] Vec<u8>),
    /// The VCEK certificate of the SEV-SNP chip, DER, or PEM (the first certificate
    /// is the VCEK; an ASK and ARK after it are not trust anchors).
    Snp(#[serde(with = "b64")] Vec<u8>),
}

impl EvidenceCollateral {
    /// `dcap` or `snp`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Dcap(_) => "dcap",
            Self::Snp(_) => "snp",
        }
    }
}

/// `POST /v1/recovery/shares`: a member's share of the service secrets, wrapped to the
/// recovering core's recovery key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitShare {
    /// The wrapped share.
    #[serde(with = "b64")]
    pub share: Vec<u8>,
}

/// Where a recovery stands after a share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryProgress {
    /// True once the core holds the service secrets again: the node then stores them
    /// sealed and goes on to serve the API.
    pub recovered: bool,
    /// Distinct shares held (the threshold once recovered).
    pub held: u32,
    /// Shares needed.
    pub threshold: u32,
}

/// A sealed request: a transaction or a query encrypted to the transaction key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// The sealed request bytes.
    #[serde(with = "b64")]
    pub request: Vec<u8>,
}

/// A committed transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    /// The ledger entry that records it (a receipt is available once a signature
    /// entry covers it).
    pub sequence: Option<u64>,
    /// The core's response, encrypted to the client's response key.
    #[serde(with = "b64")]
    pub response: Vec<u8>,
}

/// A query's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answered {
    /// The core's response, encrypted to the client's response key.
    #[serde(with = "b64")]
    pub response: Vec<u8>,
}

/// An object stored by `PUT /v1/objects/{path}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// Where it is.
    pub location: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Whether this node leads the cluster (accepts transactions).
    pub leader: bool,
    /// The last ledger sequence number.
    pub ledger_sequence: u64,
    /// True when the node runs on the INSECURE SIMULATION platform.
    pub insecure_simulation: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_fields_and_bad_base64_are_refused_with_a_reason() {
        let err = serde_json::from_str::<Submit>(r#"{"request":"AAAA","extra":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
        let err = serde_json::from_str::<Submit>(r#"{"request":"%%%"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid base64"), "{err}");
        let ok: Submit = serde_json::from_str(r#"{"request":"AAEC"}"#).unwrap();
        assert_eq!(ok.request, vec![0, 1, 2]);
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"request":"AAEC"}"#);
    }

    #[test]
    fn collateral_travels_tagged_and_base64_and_is_absent_for_sim() {
        let dcap = EvidenceCollateral::Dcap(b"{}".to_vec());
        let text = serde_json::to_string(&dcap).unwrap();
        assert_eq!(text, r#"{"kind":"dcap","bytes":"e30="}"#);
        assert_eq!(
            serde_json::from_str::<EvidenceCollateral>(&text).unwrap(),
            dcap
        );
        let snp: EvidenceCollateral =
            serde_json::from_str(r#"{"kind":"snp","bytes":"AAEC"}"#).unwrap();
        assert_eq!(snp, EvidenceCollateral::Snp(vec![0, 1, 2]));

        for (bad, reason) in [
            (
                r#"{"kind":"vlek","bytes":"AAEC"}"#,
                "unknown variant `vlek`",
            ),
            (r#"{"kind":"snp","bytes":"%%"}"#, "invalid base64"),
            (r#"{"kind":"snp"}"#, "missing field `bytes`"),
        ] {
            let err = serde_json::from_str::<EvidenceCollateral>(bad).unwrap_err();
            assert!(err.to_string().contains(reason), "{bad}: {err}");
        }

        let sim = Attestation {
            platform: "sim".into(),
            insecure: true,
            evidence: vec![1],
            nonce: "00".into(),
            signing_key: String::new(),
            transaction_key: String::new(),
            key_release_key: String::new(),
            endpoint_key_sha256: String::new(),
            recovery_key: None,
            collateral: None,
        };
        let text = serde_json::to_string(&sim).unwrap();
        assert!(!text.contains("collateral"), "{text}");
        let with = Attestation {
            collateral: Some(dcap),
            ..sim
        };
        let text = serde_json::to_string(&with).unwrap();
        assert_eq!(serde_json::from_str::<Attestation>(&text).unwrap(), with);
    }
}
