//! RFC 9180 hybrid public-key encryption (HPKE).
//!
//! strongroom uses HPKE to wrap dataset keys (DEKs) to a KMS or worker key and to encrypt
//! transaction payloads to the service's transaction key. This module is a thin,
//! run-time-selectable layer over the [hpke crate](::hpke) (0.13): a [`Suite`] value
//! picks the KEM, KDF and AEAD, and every call dispatches to the crate's generic types.
//!
//! # Supported suites and modes
//!
//! | | Supported |
//! |---|---|
//! | KEM | DHKEM(P-256, HKDF-SHA256) `0x0010`, DHKEM(X25519, HKDF-SHA256) `0x0020` |
//! | KDF | HKDF-SHA256 `0x0001` |
//! | AEAD | AES-128-GCM `0x0001`, AES-256-GCM `0x0002`, ChaCha20-Poly1305 `0x0003` |
//! | Mode | base (`0x00`) and auth (`0x02`); psk and auth-psk are not offered |
//!
//! [`Suite::default()`] is DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM.
//! Auth mode is selected by passing a [`SenderKey`] to [`seal`] / [`setup_sender`] and the
//! sender's [`PublicKey`] to [`open`] / [`setup_receiver`].
//!
//! # Quick start
//!
//! ```
//! use strongroom_crypto::hpke::{self, PrivateKey, Suite};
//!
//! # fn main() -> Result<(), hpke::HpkeError> {
//! let suite = Suite::default();
//! let recipient = PrivateKey::generate(suite);
//! let (enc, ct) = hpke::seal(suite, recipient.public_key(), b"info", b"aad", b"hello", None)?;
//! let pt = hpke::open(suite, &recipient, &enc, b"info", b"aad", &ct, None)?;
//! assert_eq!(&pt[..], b"hello");
//!
//! // Wrapping a dataset key.
//! let dek = [7u8; 32];
//! let wrapped = hpke::wrap_key(recipient.public_key(), b"dataset 42", &dek)?;
//! let bytes = wrapped.to_bytes();
//! let unwrapped =
//!     hpke::unwrap_key(&recipient, b"dataset 42", &hpke::WrappedKey::from_bytes(&bytes)?)?;
//! assert_eq!(&unwrapped[..], &dek);
//! # Ok(())
//! # }
//! ```
//!
//! # Wrapped-key format
//!
//! [`WrappedKey::to_bytes`] produces, with all integers big-endian:
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 2 | KEM id |
//! | 3 | 2 | KDF id |
//! | 5 | 2 | AEAD id |
//! | 7 | 2 | `enc` length *n*; must equal the KEM's `Nenc` (65 for P-256, 32 for X25519) |
//! | 9 | *n* | `enc`, the encapsulated key |
//! | 9 + *n* | 4 | ciphertext length *m*; at least the 16-byte AEAD tag |
//! | 13 + *n* | *m* | ciphertext (DEK sealed in base mode, tag included) |
//!
//! Decoding rejects unknown versions ([`HpkeError::UnsupportedVersion`]), unsupported
//! suites ([`HpkeError::UnsupportedSuite`]) and truncated input, wrong `enc` length, a
//! too-short ciphertext or trailing bytes ([`HpkeError::MalformedWrappedKey`]).
//!
//! Invariants and assumptions:
//!
//! - The first 7 bytes (version and suite ids) are the AEAD associated data of the seal,
//!   so the header cannot be altered without [`unwrap_key`] failing; the suite is in
//!   addition bound by HPKE's own key schedule.
//! - The caller's `info` binds the wrapped key to its context (for example a dataset id
//!   and key version) and is not stored: unwrapping under a different `info` fails.
//! - Base mode: a wrapped key proves nothing about who wrapped it. Anyone holding the
//!   recipient public key can produce one. Use [`seal`] with a [`SenderKey`] (auth mode)
//!   where the origin matters.
//! - It does not stop replay or substitution of a whole, validly wrapped key made for the
//!   same recipient and `info`; the surrounding format must bind versions.
//!
//! # Errors
//!
//! Every failure to decrypt — wrong keys, changed `info`/`aad`, any tampering with `enc`
//! or the ciphertext — is the one opaque [`HpkeError::Decrypt`]. Mistakes in public
//! inputs have their own variants; see [`HpkeError`].

use core::fmt;

use ::hpke::aead::{AeadCtxR, AeadCtxS, AesGcm128, AesGcm256, ChaCha20Poly1305};
use ::hpke::kdf::HkdfSha256;
use ::hpke::kem::{DhP256HkdfSha256, X25519HkdfSha256};
use ::hpke::{Deserializable, HpkeError as LibError, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRngCore, OsRng};
use zeroize::Zeroizing;

mod base_x25519;
mod error;
mod wrapped_key;

pub use error::HpkeError;
pub use wrapped_key::{WrappedKey, unwrap_key, wrap_key};

/// An HPKE key encapsulation mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KemId {
    /// DHKEM(P-256, HKDF-SHA256), id `0x0010`.
    DhKemP256HkdfSha256,
    /// DHKEM(X25519, HKDF-SHA256), id `0x0020`.
    DhKemX25519HkdfSha256,
}

impl KemId {
    /// The RFC 9180 identifier.
    pub const fn id(self) -> u16 {
        match self {
            Self::DhKemP256HkdfSha256 => 0x0010,
            Self::DhKemX25519HkdfSha256 => 0x0020,
        }
    }

    /// The KEM with RFC 9180 identifier `id`, if supported.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0010 => Some(Self::DhKemP256HkdfSha256),
            0x0020 => Some(Self::DhKemX25519HkdfSha256),
            _ => None,
        }
    }

    /// Length of a serialized private key (`Nsk`).
    pub const fn private_key_len(self) -> usize {
        32
    }

    /// Length of a serialized public key (`Npk`), which is also the length of `enc`.
    pub const fn public_key_len(self) -> usize {
        match self {
            Self::DhKemP256HkdfSha256 => 65,
            Self::DhKemX25519HkdfSha256 => 32,
        }
    }
}

impl From<Suite> for KemId {
    fn from(suite: Suite) -> Self {
        suite.kem
    }
}

/// An HPKE key derivation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KdfId {
    /// HKDF-SHA256, id `0x0001`.
    HkdfSha256,
}

impl KdfId {
    /// The RFC 9180 identifier.
    pub const fn id(self) -> u16 {
        match self {
            Self::HkdfSha256 => 0x0001,
        }
    }

    /// The KDF with RFC 9180 identifier `id`, if supported.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::HkdfSha256),
            _ => None,
        }
    }
}

/// An HPKE AEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AeadId {
    /// AES-128-GCM, id `0x0001`.
    Aes128Gcm,
    /// AES-256-GCM, id `0x0002`.
    Aes256Gcm,
    /// ChaCha20-Poly1305, id `0x0003`.
    ChaCha20Poly1305,
}

impl AeadId {
    /// The RFC 9180 identifier.
    pub const fn id(self) -> u16 {
        match self {
            Self::Aes128Gcm => 0x0001,
            Self::Aes256Gcm => 0x0002,
            Self::ChaCha20Poly1305 => 0x0003,
        }
    }

    /// The AEAD with RFC 9180 identifier `id`, if supported.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128Gcm),
            0x0002 => Some(Self::Aes256Gcm),
            0x0003 => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// Length of the authentication tag every ciphertext carries.
    pub const fn tag_len(self) -> usize {
        16
    }
}

/// An HPKE cipher suite: KEM, KDF and AEAD.
///
/// Every combination of the supported [`KemId`], [`KdfId`] and [`AeadId`] is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Suite {
    /// The key encapsulation mechanism.
    pub kem: KemId,
    /// The key derivation function.
    pub kdf: KdfId,
    /// The AEAD.
    pub aead: AeadId,
}

impl Suite {
    /// Every supported suite.
    pub const ALL: [Self; 6] = [
        Self::new(
            KemId::DhKemP256HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::Aes128Gcm,
        ),
        Self::new(
            KemId::DhKemP256HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::Aes256Gcm,
        ),
        Self::new(
            KemId::DhKemP256HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::ChaCha20Poly1305,
        ),
        Self::new(
            KemId::DhKemX25519HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::Aes128Gcm,
        ),
        Self::new(
            KemId::DhKemX25519HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::Aes256Gcm,
        ),
        Self::new(
            KemId::DhKemX25519HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::ChaCha20Poly1305,
        ),
    ];

    /// Puts a suite together.
    pub const fn new(kem: KemId, kdf: KdfId, aead: AeadId) -> Self {
        Self { kem, kdf, aead }
    }

    /// The suite with RFC 9180 identifiers `(kem, kdf, aead)`.
    ///
    /// Fails with [`HpkeError::UnsupportedSuite`] if any of them is not supported.
    pub fn from_ids(kem: u16, kdf: u16, aead: u16) -> Result<Self, HpkeError> {
        match (
            KemId::from_id(kem),
            KdfId::from_id(kdf),
            AeadId::from_id(aead),
        ) {
            (Some(k), Some(d), Some(a)) => Ok(Self::new(k, d, a)),
            _ => Err(HpkeError::UnsupportedSuite { kem, kdf, aead }),
        }
    }

    /// The RFC 9180 identifiers `(kem, kdf, aead)`.
    pub const fn ids(self) -> (u16, u16, u16) {
        (self.kem.id(), self.kdf.id(), self.aead.id())
    }
}

impl Default for Suite {
    /// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
    fn default() -> Self {
        Self::new(
            KemId::DhKemX25519HkdfSha256,
            KdfId::HkdfSha256,
            AeadId::Aes256Gcm,
        )
    }
}

/// An HPKE private key, tagged with its KEM.
///
/// The secret is zeroized on drop and never printed by `Debug`. The matching
/// [`PublicKey`] is computed once, on construction.
pub struct PrivateKey {
    secret: SecretInner,
    public: PublicKey,
    /// The same X25519 key for [`open`]'s fast path with the default suite.
    fast: Option<base_x25519::Recipient>,
}

enum SecretInner {
    P256(<DhP256HkdfSha256 as Kem>::PrivateKey),
    X25519(<X25519HkdfSha256 as Kem>::PrivateKey),
}

impl PrivateKey {
    /// Generates a fresh key for `kem` (a [`KemId`], or a [`Suite`] whose KEM is used)
    /// from the operating system's random number generator.
    pub fn generate(kem: impl Into<KemId>) -> Self {
        Self::generate_with_rng(kem, &mut OsRng)
    }

    /// Generates a fresh key for `kem` from `rng`, which must be a cryptographically
    /// secure generator.
    pub fn generate_with_rng(kem: impl Into<KemId>, rng: &mut impl CryptoRngCore) -> Self {
        match kem.into() {
            KemId::DhKemP256HkdfSha256 => {
                let (sk, pk) = DhP256HkdfSha256::gen_keypair(&mut RngCompat(rng));
                Self::assemble(SecretInner::P256(sk), PublicKey(PublicInner::P256(pk)))
            }
            KemId::DhKemX25519HkdfSha256 => {
                let (sk, pk) = X25519HkdfSha256::gen_keypair(&mut RngCompat(rng));
                Self::assemble(SecretInner::X25519(sk), PublicKey(PublicInner::X25519(pk)))
            }
        }
    }

    /// Derives a key deterministically from input keying material (RFC 9180
    /// `DeriveKeyPair`).
    ///
    /// `ikm` must be at least [`KemId::private_key_len`] bytes long and carry that much
    /// entropy; shorter input is rejected with [`HpkeError::KeyMaterialTooShort`].
    pub fn derive(kem: impl Into<KemId>, ikm: &[u8]) -> Result<Self, HpkeError> {
        let kem = kem.into();
        let min = kem.private_key_len();
        if ikm.len() < min {
            return Err(HpkeError::KeyMaterialTooShort {
                len: ikm.len(),
                min,
            });
        }
        Ok(match kem {
            KemId::DhKemP256HkdfSha256 => {
                let (sk, pk) = DhP256HkdfSha256::derive_keypair(ikm);
                Self::assemble(SecretInner::P256(sk), PublicKey(PublicInner::P256(pk)))
            }
            KemId::DhKemX25519HkdfSha256 => {
                let (sk, pk) = X25519HkdfSha256::derive_keypair(ikm);
                Self::assemble(SecretInner::X25519(sk), PublicKey(PublicInner::X25519(pk)))
            }
        })
    }

    /// Parses a serialized private key (`SerializePrivateKey`: a 32-byte big-endian
    /// scalar in `[1, n)` for P-256, 32 bytes for X25519).
    ///
    /// Fails with [`HpkeError::InvalidKey`] on a wrong length or an out-of-range scalar.
    pub fn from_bytes(kem: impl Into<KemId>, bytes: &[u8]) -> Result<Self, HpkeError> {
        let kem = kem.into();
        let invalid = |_| HpkeError::InvalidKey { kem };
        Ok(match kem {
            KemId::DhKemP256HkdfSha256 => {
                let sk =
                    <DhP256HkdfSha256 as Kem>::PrivateKey::from_bytes(bytes).map_err(invalid)?;
                let pk = DhP256HkdfSha256::sk_to_pk(&sk);
                Self::assemble(SecretInner::P256(sk), PublicKey(PublicInner::P256(pk)))
            }
            KemId::DhKemX25519HkdfSha256 => {
                let sk =
                    <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(bytes).map_err(invalid)?;
                let pk = X25519HkdfSha256::sk_to_pk(&sk);
                Self::assemble(SecretInner::X25519(sk), PublicKey(PublicInner::X25519(pk)))
            }
        })
    }

    fn assemble(secret: SecretInner, public: PublicKey) -> Self {
        let mut key = Self {
            secret,
            public,
            fast: None,
        };
        if let SecretInner::X25519(_) = key.secret {
            key.fast = base_x25519::Recipient::new(&key.to_bytes(), &key.public.to_bytes());
        }
        key
    }

    /// Serializes the secret (`SerializePrivateKey`) into a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        fn write<T: Serializable>(sk: &T) -> Zeroizing<Vec<u8>> {
            let mut out = Zeroizing::new(vec![0u8; T::size()]);
            sk.write_exact(&mut out);
            out
        }
        match &self.secret {
            SecretInner::P256(sk) => write(sk),
            SecretInner::X25519(sk) => write(sk),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The KEM this key belongs to.
    pub fn kem(&self) -> KemId {
        self.public.kem()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kem", &self.kem())
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// An HPKE public key, tagged with its KEM.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(PublicInner);

#[derive(Clone, PartialEq, Eq)]
enum PublicInner {
    P256(<DhP256HkdfSha256 as Kem>::PublicKey),
    X25519(<X25519HkdfSha256 as Kem>::PublicKey),
}

impl PublicKey {
    /// Parses a serialized public key (`SerializePublicKey`: the 65-byte uncompressed
    /// SEC1 point for P-256, 32 bytes for X25519).
    ///
    /// Fails with [`HpkeError::InvalidKey`] on a wrong length or, for P-256, a point that
    /// is not on the curve or is the identity. Every 32-byte string is an X25519 public
    /// key; one of small order is rejected with [`HpkeError::InvalidKey`] when sealing.
    pub fn from_bytes(kem: impl Into<KemId>, bytes: &[u8]) -> Result<Self, HpkeError> {
        let kem = kem.into();
        let invalid = |_| HpkeError::InvalidKey { kem };
        Ok(Self(match kem {
            KemId::DhKemP256HkdfSha256 => PublicInner::P256(
                <DhP256HkdfSha256 as Kem>::PublicKey::from_bytes(bytes).map_err(invalid)?,
            ),
            KemId::DhKemX25519HkdfSha256 => PublicInner::X25519(
                <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(bytes).map_err(invalid)?,
            ),
        }))
    }

    /// Serializes the key (`SerializePublicKey`).
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.0 {
            PublicInner::P256(pk) => pk.to_bytes().to_vec(),
            PublicInner::X25519(pk) => pk.to_bytes().to_vec(),
        }
    }

    /// The KEM this key belongs to.
    pub fn kem(&self) -> KemId {
        match self.0 {
            PublicInner::P256(_) => KemId::DhKemP256HkdfSha256,
            PublicInner::X25519(_) => KemId::DhKemX25519HkdfSha256,
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({:?}, ", self.kem())?;
        for b in self.to_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A sender's static key for auth mode.
///
/// A separate type from [`PrivateKey`] so that a recipient's decryption key is not used
/// for sender authentication by accident.
#[derive(Debug)]
pub struct SenderKey(PrivateKey);

impl SenderKey {
    /// Uses `key` as a sender key.
    pub fn new(key: PrivateKey) -> Self {
        Self(key)
    }

    /// Generates a fresh sender key; see [`PrivateKey::generate`].
    pub fn generate(kem: impl Into<KemId>) -> Self {
        Self(PrivateKey::generate(kem))
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.0
    }

    /// The public key recipients authenticate the sender with.
    pub fn public_key(&self) -> &PublicKey {
        self.0.public_key()
    }

    /// The KEM this key belongs to.
    pub fn kem(&self) -> KemId {
        self.0.kem()
    }
}

impl From<PrivateKey> for SenderKey {
    fn from(key: PrivateKey) -> Self {
        Self(key)
    }
}

/// Encrypts `plaintext` to `recipient_pk` in one shot; returns `(enc, ciphertext)`.
///
/// Base mode when `sender` is `None`, auth mode otherwise. `info` binds the
/// application context into the key schedule, `aad` is authenticated but not encrypted.
/// Both must be given again to [`open`].
///
/// Fails with [`HpkeError::WrongSuite`] if a key is not for `suite.kem`, and with
/// [`HpkeError::InvalidKey`] if `recipient_pk` is an X25519 key of small order.
pub fn seal(
    suite: Suite,
    recipient_pk: &PublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    sender: Option<&SenderKey>,
) -> Result<(Vec<u8>, Vec<u8>), HpkeError> {
    let (enc, mut ctx) = setup_sender(suite, recipient_pk, info, sender)?;
    let ciphertext = ctx.seal(aad, plaintext)?;
    Ok((enc, ciphertext))
}

/// Decrypts a ciphertext made by [`seal`] (one shot).
///
/// Pass the sender's public key for auth mode, `None` for base mode. Fails with
/// [`HpkeError::WrongSuite`] if a key is not for `suite.kem`, and with the opaque
/// [`HpkeError::Decrypt`] on any other failure.
pub fn open(
    suite: Suite,
    recipient_sk: &PrivateKey,
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    sender_pk: Option<&PublicKey>,
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    if let (true, None, Some(fast)) = (suite == Suite::default(), sender_pk, &recipient_sk.fast) {
        check_kem(suite, recipient_sk.kem())?;
        return fast.open(enc, info, aad, ciphertext);
    }
    let mut ctx = setup_receiver(suite, recipient_sk, enc, info, sender_pk)?;
    ctx.open(aad, ciphertext)
}

/// Derives `len` bytes of exported secret on the receiver side (RFC 9180
/// `ReceiveExport`) without decrypting anything.
///
/// The sender gets the same bytes from [`SenderContext::export`]. Errors as for
/// [`setup_receiver`] and [`ReceiverContext::export`].
pub fn export(
    suite: Suite,
    recipient_sk: &PrivateKey,
    enc: &[u8],
    info: &[u8],
    exporter_context: &[u8],
    len: usize,
    sender_pk: Option<&PublicKey>,
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    setup_receiver(suite, recipient_sk, enc, info, sender_pk)?.export(exporter_context, len)
}

/// Sets up a sender context for several messages to `recipient_pk`; returns
/// `(enc, context)`. Randomness comes from the operating system.
///
/// Base mode when `sender` is `None`, auth mode otherwise. Errors as for [`seal`].
pub fn setup_sender(
    suite: Suite,
    recipient_pk: &PublicKey,
    info: &[u8],
    sender: Option<&SenderKey>,
) -> Result<(Vec<u8>, SenderContext), HpkeError> {
    setup_sender_with_rng(suite, recipient_pk, info, sender, &mut OsRng)
}

/// [`setup_sender`] with the ephemeral key drawn from `rng`.
///
/// `rng` must be a cryptographically secure generator: reusing an ephemeral key breaks
/// confidentiality. This exists for known-answer tests and seeded simulations. The
/// ephemeral key is `DeriveKeyPair(ikm)` with `ikm` the first 32 bytes from `rng`.
pub fn setup_sender_with_rng(
    suite: Suite,
    recipient_pk: &PublicKey,
    info: &[u8],
    sender: Option<&SenderKey>,
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<u8>, SenderContext), HpkeError> {
    check_kem(suite, recipient_pk.kem())?;
    if let Some(sender) = sender {
        check_kem(suite, sender.kem())?;
    }
    let mut rng = RngCompat(rng);
    let (enc, inner) = dispatch!(suite, sender_generic(recipient_pk, info, sender, &mut rng))?;
    Ok((enc, SenderContext { suite, inner }))
}

/// Sets up a receiver context for the messages of one sender context.
///
/// Pass the sender's public key for auth mode, `None` for base mode. Fails with
/// [`HpkeError::WrongSuite`] if a key is not for `suite.kem`, and with the opaque
/// [`HpkeError::Decrypt`] if `enc` is not a valid encapsulated key.
pub fn setup_receiver(
    suite: Suite,
    recipient_sk: &PrivateKey,
    enc: &[u8],
    info: &[u8],
    sender_pk: Option<&PublicKey>,
) -> Result<ReceiverContext, HpkeError> {
    check_kem(suite, recipient_sk.kem())?;
    if let Some(sender_pk) = sender_pk {
        check_kem(suite, sender_pk.kem())?;
    }
    let inner = dispatch!(suite, receiver_generic(recipient_sk, enc, info, sender_pk))?;
    Ok(ReceiverContext { suite, inner })
}

/// The sender side of an HPKE context: seals messages in sequence.
pub struct SenderContext {
    suite: Suite,
    inner: Box<dyn SenderOps>,
}

impl SenderContext {
    /// Encrypts the next message. Messages must be opened in the same order.
    ///
    /// Fails with [`HpkeError::PlaintextTooLong`] or, after 2^96 − 1 messages,
    /// [`HpkeError::MessageLimitReached`].
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, HpkeError> {
        self.inner.seal(plaintext, aad).map_err(|e| match e {
            LibError::MessageLimitReached => HpkeError::MessageLimitReached,
            _ => HpkeError::PlaintextTooLong,
        })
    }

    /// Derives `len` bytes of exported secret bound to `exporter_context`.
    ///
    /// Fails with [`HpkeError::ExportTooLong`] beyond 255 × 32 bytes.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        export_with(len, |out| self.inner.export(exporter_context, out))
    }

    /// The suite of this context.
    pub fn suite(&self) -> Suite {
        self.suite
    }
}

impl fmt::Debug for SenderContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderContext")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// The receiver side of an HPKE context: opens messages in sequence.
pub struct ReceiverContext {
    suite: Suite,
    inner: Box<dyn ReceiverOps>,
}

impl ReceiverContext {
    /// Decrypts the next message.
    ///
    /// Fails with the opaque [`HpkeError::Decrypt`]; a failed open does not advance the
    /// sequence number.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        match self.inner.open(ciphertext, aad) {
            Ok(pt) => Ok(Zeroizing::new(pt)),
            Err(LibError::MessageLimitReached) => Err(HpkeError::MessageLimitReached),
            Err(_) => Err(HpkeError::Decrypt),
        }
    }

    /// Derives `len` bytes of exported secret bound to `exporter_context`.
    ///
    /// Fails with [`HpkeError::ExportTooLong`] beyond 255 × 32 bytes.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        export_with(len, |out| self.inner.export(exporter_context, out))
    }

    /// The suite of this context.
    pub fn suite(&self) -> Suite {
        self.suite
    }
}

impl fmt::Debug for ReceiverContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverContext")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

// ---- Dispatch to the hpke crate's generic types. ----

/// Calls `$func::<Aead, Kdf, Kem>($args)` for the types `$suite` names.
macro_rules! dispatch {
    ($suite:expr, $func:ident ( $($arg:expr),* $(,)? )) => {
        match ($suite.kem, $suite.kdf, $suite.aead) {
            (KemId::DhKemP256HkdfSha256, KdfId::HkdfSha256, AeadId::Aes128Gcm) =>
                $func::<AesGcm128, HkdfSha256, DhP256HkdfSha256>($($arg),*),
            (KemId::DhKemP256HkdfSha256, KdfId::HkdfSha256, AeadId::Aes256Gcm) =>
                $func::<AesGcm256, HkdfSha256, DhP256HkdfSha256>($($arg),*),
            (KemId::DhKemP256HkdfSha256, KdfId::HkdfSha256, AeadId::ChaCha20Poly1305) =>
                $func::<ChaCha20Poly1305, HkdfSha256, DhP256HkdfSha256>($($arg),*),
            (KemId::DhKemX25519HkdfSha256, KdfId::HkdfSha256, AeadId::Aes128Gcm) =>
                $func::<AesGcm128, HkdfSha256, X25519HkdfSha256>($($arg),*),
            (KemId::DhKemX25519HkdfSha256, KdfId::HkdfSha256, AeadId::Aes256Gcm) =>
                $func::<AesGcm256, HkdfSha256, X25519HkdfSha256>($($arg),*),
            (KemId::DhKemX25519HkdfSha256, KdfId::HkdfSha256, AeadId::ChaCha20Poly1305) =>
                $func::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>($($arg),*),
        }
    };
}
use dispatch;

fn check_kem(suite: Suite, found: KemId) -> Result<(), HpkeError> {
    if suite.kem == found {
        Ok(())
    } else {
        Err(HpkeError::WrongSuite {
            expected: suite.kem,
            found,
        })
    }
}

/// A KEM of the hpke crate that our key enums can hold.
trait SupportedKem: Kem + 'static {
    const ID: KemId;
    fn secret(key: &PrivateKey) -> Result<&Self::PrivateKey, HpkeError>;
    fn public(key: &PublicKey) -> Result<&Self::PublicKey, HpkeError>;
}

impl SupportedKem for DhP256HkdfSha256 {
    const ID: KemId = KemId::DhKemP256HkdfSha256;

    fn secret(key: &PrivateKey) -> Result<&Self::PrivateKey, HpkeError> {
        match &key.secret {
            SecretInner::P256(sk) => Ok(sk),
            SecretInner::X25519(_) => Err(HpkeError::WrongSuite {
                expected: Self::ID,
                found: key.kem(),
            }),
        }
    }

    fn public(key: &PublicKey) -> Result<&Self::PublicKey, HpkeError> {
        match &key.0 {
            PublicInner::P256(pk) => Ok(pk),
            PublicInner::X25519(_) => Err(HpkeError::WrongSuite {
                expected: Self::ID,
                found: key.kem(),
            }),
        }
    }
}

impl SupportedKem for X25519HkdfSha256 {
    const ID: KemId = KemId::DhKemX25519HkdfSha256;

    fn secret(key: &PrivateKey) -> Result<&Self::PrivateKey, HpkeError> {
        match &key.secret {
            SecretInner::X25519(sk) => Ok(sk),
            SecretInner::P256(_) => Err(HpkeError::WrongSuite {
                expected: Self::ID,
                found: key.kem(),
            }),
        }
    }

    fn public(key: &PublicKey) -> Result<&Self::PublicKey, HpkeError> {
        match &key.0 {
            PublicInner::X25519(pk) => Ok(pk),
            PublicInner::P256(_) => Err(HpkeError::WrongSuite {
                expected: Self::ID,
                found: key.kem(),
            }),
        }
    }
}

/// Presents a `rand_core` 0.6 generator (the one this workspace uses) as the `rand_core`
/// 0.9 generator hpke 0.13 expects.
struct RngCompat<'a>(&'a mut dyn CryptoRngCore);

impl ::hpke::rand_core::RngCore for RngCompat<'_> {
    fn next_u32(&mut self) -> u32 {
        rand_core::RngCore::next_u32(self.0)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::RngCore::next_u64(self.0)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        rand_core::RngCore::fill_bytes(self.0, dst);
    }
}

// Sound because `CryptoRngCore` promises a cryptographically secure generator.
impl ::hpke::rand_core::CryptoRng for RngCompat<'_> {}

/// Object-safe view of `AeadCtxS<A, Kdf, Kem>`.
/// Runs an exporter into a fresh zeroizing buffer of `len` bytes; the only way the
/// hpke crate's exporter fails is a length beyond its limit.
fn export_with(
    len: usize,
    export: impl FnOnce(&mut [u8]) -> Result<(), LibError>,
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    export(&mut out).map_err(|_| HpkeError::ExportTooLong { requested: len })?;
    Ok(out)
}

trait SenderOps: Send + Sync {
    fn seal(&mut self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, LibError>;
    fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), LibError>;
}

impl<A, Kdf, K> SenderOps for AeadCtxS<A, Kdf, K>
where
    A: ::hpke::aead::Aead,
    Kdf: ::hpke::kdf::Kdf,
    K: Kem,
    Self: Send + Sync,
{
    fn seal(&mut self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, LibError> {
        AeadCtxS::seal(self, plaintext, aad)
    }

    fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), LibError> {
        AeadCtxS::export(self, exporter_context, out)
    }
}

/// Object-safe view of `AeadCtxR<A, Kdf, Kem>`.
trait ReceiverOps: Send + Sync {
    fn open(&mut self, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, LibError>;
    fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), LibError>;
}

impl<A, Kdf, K> ReceiverOps for AeadCtxR<A, Kdf, K>
where
    A: ::hpke::aead::Aead,
    Kdf: ::hpke::kdf::Kdf,
    K: Kem,
    Self: Send + Sync,
{
    fn open(&mut self, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, LibError> {
        AeadCtxR::open(self, ciphertext, aad)
    }

    fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), LibError> {
        AeadCtxR::export(self, exporter_context, out)
    }
}

fn sender_generic<A, Kdf, K>(
    recipient_pk: &PublicKey,
    info: &[u8],
    sender: Option<&SenderKey>,
    rng: &mut RngCompat<'_>,
) -> Result<(Vec<u8>, Box<dyn SenderOps>), HpkeError>
where
    A: ::hpke::aead::Aead + 'static,
    Kdf: ::hpke::kdf::Kdf + 'static,
    K: SupportedKem,
    AeadCtxS<A, Kdf, K>: Send + Sync,
{
    let pk_r = K::public(recipient_pk)?;
    let mode = match sender {
        None => OpModeS::Base,
        Some(s) => OpModeS::Auth((K::secret(&s.0)?.clone(), K::public(s.public_key())?.clone())),
    };
    let (enc, ctx) = ::hpke::setup_sender::<A, Kdf, K, _>(&mode, pk_r, info, rng)
        // The only failure is a DH result of zero: a small-order X25519 recipient key.
        .map_err(|_| HpkeError::InvalidKey { kem: K::ID })?;
    Ok((enc.to_bytes().to_vec(), Box::new(ctx)))
}

fn receiver_generic<A, Kdf, K>(
    recipient_sk: &PrivateKey,
    enc: &[u8],
    info: &[u8],
    sender_pk: Option<&PublicKey>,
) -> Result<Box<dyn ReceiverOps>, HpkeError>
where
    A: ::hpke::aead::Aead + 'static,
    Kdf: ::hpke::kdf::Kdf + 'static,
    K: SupportedKem,
    AeadCtxR<A, Kdf, K>: Send + Sync,
{
    let sk_r = K::secret(recipient_sk)?;
    let mode = match sender_pk {
        None => OpModeR::Base,
        Some(pk) => OpModeR::Auth(K::public(pk)?.clone()),
    };
    // `enc` is part of the ciphertext: a malformed one is a decryption failure.
    let enc = K::EncappedKey::from_bytes(enc).map_err(|_| HpkeError::Decrypt)?;
    let ctx = ::hpke::setup_receiver::<A, Kdf, K>(&mode, sk_r, &enc, info)
        .map_err(|_| HpkeError::Decrypt)?;
    Ok(Box::new(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_ids_round_trip() {
        for suite in Suite::ALL {
            let (kem, kdf, aead) = suite.ids();
            assert_eq!(Suite::from_ids(kem, kdf, aead), Ok(suite));
        }
        assert_eq!(
            Suite::from_ids(0x0021, 1, 1),
            Err(HpkeError::UnsupportedSuite {
                kem: 0x0021,
                kdf: 1,
                aead: 1
            })
        );
        assert_eq!(Suite::default().ids(), (0x0020, 0x0001, 0x0002));
    }

    #[test]
    fn private_key_debug_hides_secret() {
        let sk = PrivateKey::derive(KemId::DhKemX25519HkdfSha256, &[0x42; 32]).expect("derive");
        let secret_hex: String = sk.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let debug = format!("{sk:?}");
        assert!(!debug.contains(&secret_hex), "{debug}");
    }

    #[test]
    fn key_lengths_match_kem() {
        for kem in [KemId::DhKemP256HkdfSha256, KemId::DhKemX25519HkdfSha256] {
            let sk = PrivateKey::generate(kem);
            assert_eq!(sk.to_bytes().len(), kem.private_key_len());
            assert_eq!(sk.public_key().to_bytes().len(), kem.public_key_len());
        }
    }
}
