//! Wrapped dataset keys: a DEK sealed with HPKE base mode, in a self-describing encoding.
//!
//! The byte layout is documented in the [parent module](super#wrapped-key-format).

use zeroize::Zeroizing;

use super::{AeadId, HpkeError, KdfId, PrivateKey, PublicKey, Suite};

/// The format version written by [`WrappedKey::to_bytes`].
const VERSION: u8 = 0x01;

/// Length of the header (version and suite ids), which is also the seal's associated data.
const HEADER_LEN: usize = 7;

/// A data-encryption key sealed to a recipient's public key.
///
/// Built by [`wrap_key`] or [`WrappedKey::from_bytes`]; both guarantee that `enc` has
/// the KEM's length and the ciphertext holds at least an AEAD tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    suite: Suite,
    enc: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl WrappedKey {
    /// The suite the key was wrapped with.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The HPKE encapsulated key.
    pub fn enc(&self) -> &[u8] {
        &self.enc
    }

    /// The sealed key, tag included.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// Encodes the wrapped key (see the [layout](super#wrapped-key-format)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEADER_LEN + 2 + self.enc.len() + 4 + self.ciphertext.len());
        out.extend_from_slice(&header(self.suite));
        // Lengths fit: `enc` is at most 65 bytes, and a ciphertext longer than u32::MAX is
        // rejected by `wrap_key` and cannot come out of `from_bytes`.
        out.extend_from_slice(
            &u16::try_from(self.enc.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(
            &u32::try_from(self.ciphertext.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Decodes a wrapped key.
    ///
    /// Fails with [`HpkeError::UnsupportedVersion`], [`HpkeError::UnsupportedSuite`] or
    /// [`HpkeError::MalformedWrappedKey`]. Nothing is decrypted here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HpkeError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != VERSION {
            return Err(HpkeError::UnsupportedVersion(version));
        }
        let (kem, kdf, aead) = (r.u16()?, r.u16()?, r.u16()?);
        let suite = Suite::from_ids(kem, kdf, aead)?;
        let enc_len = usize::from(r.u16()?);
        if enc_len != suite.kem.public_key_len() {
            return Err(malformed("enc length does not match the KEM"));
        }
        let enc = r.take(enc_len)?.to_vec();
        let ct_len = usize::try_from(r.u32()?).map_err(|_| malformed("ciphertext too long"))?;
        if ct_len < suite.aead.tag_len() {
            return Err(malformed("ciphertext shorter than the AEAD tag"));
        }
        let ciphertext = r.take(ct_len)?.to_vec();
        if !r.0.is_empty() {
            return Err(malformed("trailing bytes"));
        }
        Ok(Self {
            suite,
            enc,
            ciphertext,
        })
    }
}

/// Wraps `dek` to `recipient_pk` in HPKE base mode.
///
/// The suite is the key's KEM with HKDF-SHA256 and AES-256-GCM. `info` should name what
/// the key is for (dataset id, key version); [`unwrap_key`] needs the same `info`.
pub fn wrap_key(
    recipient_pk: &PublicKey,
    info: &[u8],
    dek: &[u8],
) -> Result<WrappedKey, HpkeError> {
    let suite = Suite::new(recipient_pk.kem(), KdfId::HkdfSha256, AeadId::Aes256Gcm);
    if u32::try_from(dek.len() + suite.aead.tag_len()).is_err() {
        return Err(HpkeError::PlaintextTooLong);
    }
    let (enc, ciphertext) = super::seal(suite, recipient_pk, info, &header(suite), dek, None)?;
    Ok(WrappedKey {
        suite,
        enc,
        ciphertext,
    })
}

/// Unwraps a key made by [`wrap_key`].
///
/// Fails with [`HpkeError::WrongSuite`] if `recipient_sk` is for another KEM and with the
/// opaque [`HpkeError::Decrypt`] otherwise.
pub fn unwrap_key(
    recipient_sk: &PrivateKey,
    info: &[u8],
    wrapped: &WrappedKey,
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let suite = wrapped.suite;
    super::open(
        suite,
        recipient_sk,
        &wrapped.enc,
        info,
        &header(suite),
        &wrapped.ciphertext,
        None,
    )
}

fn header(suite: Suite) -> [u8; HEADER_LEN] {
    let (kem, kdf, aead) = suite.ids();
    let [k0, k1] = kem.to_be_bytes();
    let [d0, d1] = kdf.to_be_bytes();
    let [a0, a1] = aead.to_be_bytes();
    [VERSION, k0, k1, d0, d1, a0, a1]
}

fn malformed(reason: &'static str) -> HpkeError {
    HpkeError::MalformedWrappedKey { reason }
}

/// A cursor over the encoding; every read fails cleanly on truncation.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HpkeError> {
        if self.0.len() < n {
            return Err(malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, HpkeError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, HpkeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, HpkeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HpkeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}
