//! The JSON of core-held key invocations, queries and answers.

use serde::{Deserialize, Serialize};
use strongroom_contract::sharing::Party;

/// What kind of key. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// AES-256-GCM: `encrypt`, `decrypt`.
    #[serde(rename = "aes_256_gcm")]
    Aes256Gcm,
    /// ECDSA P-256 with SHA-256: `sign`, `verify`.
    EcdsaP256,
}

/// A digest algorithm of `hash`. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA3-256 (FIPS 202).
    #[serde(rename = "sha3_256")]
    Sha3_256,
}

/// Who may use a key: members of `msp_id` holding one of `roles`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageGrant {
    /// The organization.
    pub msp_id: String,
    /// Its roles that may use the key (`admin`, `analyst`, `auditor`, `executor`,
    /// `owner`), at least one.
    pub roles: Vec<String>,
}

/// A core-held key transaction, tagged by `"op"`. Binary fields are hex. Variants in
/// alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyInvocation {
    /// Creates a key inside the core (any member); answers [`KeyView`]. The key's
    /// secret never leaves the cores.
    CreateKey {
        /// Its kind.
        kind: KeyKind,
        /// Who may use it (1 to 32 grants).
        usage: Vec<UsageGrant>,
        /// A label (at most 256 bytes).
        #[serde(default)]
        label: String,
    },
    /// Decrypts what `encrypt` made under the key, with the same `aad`; answers
    /// [`Output`].
    Decrypt {
        /// The key id.
        key: String,
        /// `nonce (12) || ciphertext || tag (16)`, hex.
        ciphertext: String,
        /// Associated data, hex.
        #[serde(default)]
        aad: String,
    },
    /// Encrypts under the key with a fresh nonce; answers [`Output`] (`nonce ||
    /// ciphertext || tag`).
    Encrypt {
        /// The key id.
        key: String,
        /// The plaintext, hex (at most 256 KiB).
        plaintext: String,
        /// Associated data, hex.
        #[serde(default)]
        aad: String,
    },
    /// Hashes data (any member; no key); answers [`Output`].
    Hash {
        /// The algorithm.
        algorithm: DigestAlgorithm,
        /// The data, hex (at most 256 KiB).
        data: String,
    },
    /// Signs data (ECDSA P-256 over its SHA-256, DER signature); answers [`Output`].
    Sign {
        /// The key id.
        key: String,
        /// The data, hex (at most 256 KiB).
        data: String,
    },
    /// Verifies a signature of data under the key; answers [`Verified`].
    Verify {
        /// The key id.
        key: String,
        /// The data, hex.
        data: String,
        /// The DER signature, hex.
        signature: String,
    },
}

/// A core-held key query, tagged by `"op"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyQuery {
    /// A key's public description (its creator's organization and whoever may use it);
    /// answers [`KeyView`].
    GetKey {
        /// The key id.
        key: String,
    },
}

/// A key as its users see it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyView {
    /// Its id (`key-` and 16 hex digits).
    pub id: String,
    /// Its kind.
    pub kind: KeyKind,
    /// Its label.
    pub label: String,
    /// For ECDSA, the public key (SEC1 uncompressed), hex.
    pub public_key: Option<String>,
    /// Who created it.
    pub creator: Party,
    /// Who may use it.
    pub usage: Vec<UsageGrant>,
    /// When (ledger time).
    pub created_at_ms: u64,
}

/// The output of `sign`, `encrypt`, `decrypt` or `hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The output, hex.
    pub output: String,
}

/// The answer of `verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    /// Whether the signature is the key's over the data.
    pub valid: bool,
}
