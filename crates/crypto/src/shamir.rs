//! Shamir secret sharing over GF(2^8): a byte string split into `n` shares so that any
//! `k` of them give it back and fewer give nothing.
//!
//! Each byte of the secret is the constant term of its own polynomial of degree at most
//! `k - 1` over GF(2^8) (the AES field, `x^8 + x^4 + x^3 + x + 1`); share `i` (1 to
//! `n`) holds every polynomial's value at `x = i`. [`combine`] interpolates at `x = 0`
//! from `k` shares (Lagrange).
//!
//! The other coefficients come from the operating system's generator ([`split`]), a
//! caller's generator ([`split_with_rng`]) or, deterministically, from a 32-byte seed
//! ([`split_with_seed`]: HMAC-SHA256 of the seed over a counter as the coefficient
//! stream), so that several parties holding the same seed and secret compute the very
//! same shares without talking to each other.
//!
//! ```
//! use strongroom_crypto::shamir;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shares = shamir::split(b"the ledger secret", 2, 3)?;
//! let two = [shares[2].clone(), shares[0].clone()];
//! assert_eq!(&shamir::combine(&two)?[..], b"the ledger secret");
//! // A share travels as bytes: format, threshold, index, values.
//! let bytes = shares[1].to_bytes();
//! assert_eq!(shamir::Share::from_bytes(&bytes)?.index(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! # Share encoding
//!
//! `format 0x01 || threshold k (u8, 1..=255) || index (u8, 1..=255) || values` with one
//! value per secret byte (at least one, at most [`MAX_SECRET_LEN`]).
//!
//! # What it does not do
//!
//! - A share carries no integrity: a changed share combines into a wrong secret
//!   without any error. Callers check the result (a hash or a key it must match).
//! - With seeded coefficients the shares are only as secret as the seed: fewer than `k`
//!   shares then reveal nothing to anyone who cannot predict HMAC-SHA256 under the
//!   seed (computational, not information-theoretic, secrecy).
//! - The field arithmetic is branch-free on secret values (masks, no tables), but not
//!   audited against compiler-introduced branches.

use hmac::{Hmac, Mac};
use rand_core::{CryptoRngCore, OsRng};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The first byte of every share encoding.
pub const SHARE_FORMAT: u8 = 0x01;
/// The most shares a secret is split into (the non-zero elements of GF(2^8)).
pub const MAX_SHARES: u8 = 255;
/// The longest secret, in bytes.
pub const MAX_SECRET_LEN: usize = 16 * 1024;
/// The domain of the coefficient stream of [`split_with_seed`].
const SEED_DOMAIN: &[u8] = b"strongroom/shamir/coefficients/v1";
const HEADER_LEN: usize = 3;

/// Why a secret could not be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The threshold is 0 or more than the number of shares.
    #[error("threshold: {threshold} must be 1 to the number of shares ({shares})")]
    Threshold {
        /// The threshold asked for.
        threshold: usize,
        /// The number of shares asked for.
        shares: usize,
    },
    /// The number of shares is 0 or more than [`MAX_SHARES`].
    #[error("shares: {0} must be 1 to 255")]
    Shares(usize),
    /// The secret is empty or longer than [`MAX_SECRET_LEN`].
    #[error("secret: {0} bytes, must be 1 to 16384")]
    SecretLength(usize),
}

/// Why bytes are not a share. Says which field, never any value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShareDecodeError {
    /// The first byte is not [`SHARE_FORMAT`].
    #[error("share format: {0:#04x} is not a known format (expected 0x01)")]
    Format(u8),
    /// The threshold byte is 0.
    #[error("share threshold: must be 1 to 255, not 0")]
    Threshold,
    /// The index byte is 0 (the secret itself sits at 0).
    #[error("share index: must be 1 to 255, not 0")]
    Index,
    /// Shorter than a header and one value, or more values than [`MAX_SECRET_LEN`].
    #[error("share length: {0} bytes, must be 4 to 16387 (3 header bytes and the values)")]
    Length(usize),
}

/// Why shares could not be combined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CombineError {
    /// Fewer shares than their threshold.
    #[error("shares: {given} given, the threshold is {needed}")]
    TooFew {
        /// The shares' threshold.
        needed: u8,
        /// How many were given.
        given: usize,
    },
    /// Two shares have the same index.
    #[error("shares: index {0} given twice")]
    DuplicateIndex(u8),
    /// The shares are not of one split: their thresholds or lengths differ.
    #[error("shares: {0} differ, so they are not of one split")]
    Mismatch(&'static str),
}

/// One share: the threshold, the index and one value per secret byte. The values are
/// zeroized on drop and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    threshold: u8,
    index: u8,
    values: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Share")
            .field("threshold", &self.threshold)
            .field("index", &self.index)
            .field("len", &self.values.len())
            .finish_non_exhaustive()
    }
}

impl Share {
    /// How many shares recover the secret.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Where the polynomials were evaluated: 1 to 255.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The values, one per secret byte. Handle with care: copy them only into
    /// zeroizing storage.
    pub fn values(&self) -> &[u8] {
        &self.values
    }

    /// The encoding (see the [module docs](self)), zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(HEADER_LEN + self.values.len()));
        out.extend_from_slice(&[SHARE_FORMAT, self.threshold, self.index]);
        out.extend_from_slice(&self.values);
        out
    }

    /// Decodes [`Share::to_bytes`]'s output; refuses anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ShareDecodeError> {
        let [format, threshold, index, values @ ..] = bytes else {
            return Err(ShareDecodeError::Length(bytes.len()));
        };
        if *format != SHARE_FORMAT {
            return Err(ShareDecodeError::Format(*format));
        }
        if values.is_empty() || values.len() > MAX_SECRET_LEN {
            return Err(ShareDecodeError::Length(bytes.len()));
        }
        if *threshold == 0 {
            return Err(ShareDecodeError::Threshold);
        }
        if *index == 0 {
            return Err(ShareDecodeError::Index);
        }
        Ok(Self {
            threshold: *threshold,
            index: *index,
            values: Zeroizing::new(values.to_vec()),
        })
    }
}

/// Splits `secret` into `shares` shares, any `threshold` of which recover it, with
/// coefficients from the operating system's generator.
pub fn split(secret: &[u8], threshold: usize, shares: usize) -> Result<Vec<Share>, SplitError> {
    split_with_rng(&mut OsRng, secret, threshold, shares)
}

/// [`split`] with coefficients from `rng`.
pub fn split_with_rng(
    rng: &mut impl CryptoRngCore,
    secret: &[u8],
    threshold: usize,
    shares: usize,
) -> Result<Vec<Share>, SplitError> {
    split_from(secret, threshold, shares, &mut |out| rng.fill_bytes(out))
}

/// [`split`] with coefficients derived from `seed`: the same seed, secret, threshold
/// and number of shares always give the same shares. The coefficient stream is
/// HMAC-SHA256 under the seed of `"strongroom/shamir/coefficients/v1" || counter` (a
/// big-endian `u64` from 0), read in order: the `k - 1` coefficients of the first
/// secret byte's polynomial (degree 1 first), then the second byte's, and so on.
pub fn split_with_seed(
    seed: &[u8; 32],
    secret: &[u8],
    threshold: usize,
    shares: usize,
) -> Result<Vec<Share>, SplitError> {
    let mut stream = SeedStream::new(seed);
    split_from(secret, threshold, shares, &mut |out| stream.fill(out))
}

/// Recovers the secret from at least `threshold` shares of one split (the first
/// `threshold` of them are used). A changed share gives a wrong secret, not an error:
/// see the [module docs](self).
pub fn combine(shares: &[Share]) -> Result<Zeroizing<Vec<u8>>, CombineError> {
    let Some(first) = shares.first() else {
        return Err(CombineError::TooFew {
            needed: 1,
            given: 0,
        });
    };
    let needed = first.threshold;
    if shares.iter().any(|s| s.threshold != needed) {
        return Err(CombineError::Mismatch("thresholds"));
    }
    if shares.iter().any(|s| s.values.len() != first.values.len()) {
        return Err(CombineError::Mismatch("lengths"));
    }
    let mut seen = [false; 256];
    for share in shares {
        let slot = &mut seen[usize::from(share.index)];
        if *slot {
            return Err(CombineError::DuplicateIndex(share.index));
        }
        *slot = true;
    }
    let used = shares
        .get(..usize::from(needed))
        .ok_or(CombineError::TooFew {
            needed,
            given: shares.len(),
        })?;
    // The indices are public: the Lagrange basis at 0 may branch on them.
    let basis: Vec<u8> = used
        .iter()
        .map(|share| {
            used.iter()
                .filter(|other| other.index != share.index)
                .fold(1u8, |acc, other| {
                    mul(acc, mul(other.index, inverse(other.index ^ share.index)))
                })
        })
        .collect();
    let mut secret = Zeroizing::new(vec![0u8; first.values.len()]);
    for (share, weight) in used.iter().zip(&basis) {
        for (out, value) in secret.iter_mut().zip(share.values.iter()) {
            *out ^= mul(*weight, *value);
        }
    }
    Ok(secret)
}

fn split_from(
    secret: &[u8],
    threshold: usize,
    shares: usize,
    coefficients: &mut dyn FnMut(&mut [u8]),
) -> Result<Vec<Share>, SplitError> {
    if shares == 0 || shares > usize::from(MAX_SHARES) {
        return Err(SplitError::Shares(shares));
    }
    if threshold == 0 || threshold > shares {
        return Err(SplitError::Threshold { threshold, shares });
    }
    if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
        return Err(SplitError::SecretLength(secret.len()));
    }
    // Both checked above to fit a byte.
    let k = u8::try_from(threshold).map_err(|_| SplitError::Shares(shares))?;
    let n = u8::try_from(shares).map_err(|_| SplitError::Shares(shares))?;
    let mut out: Vec<Share> = (1..=n)
        .map(|index| Share {
            threshold: k,
            index,
            values: Zeroizing::new(Vec::with_capacity(secret.len())),
        })
        .collect();
    let mut poly = Zeroizing::new(vec![0u8; threshold - 1]);
    for byte in secret {
        coefficients(&mut poly);
        for share in &mut out {
            // Horner: ((c[k-1] x + c[k-2]) x + ...) x + secret byte.
            let x = share.index;
            let value = poly.iter().rev().fold(0u8, |acc, c| mul(acc, x) ^ c);
            share.values.push(mul(value, x) ^ byte);
        }
    }
    Ok(out)
}

/// HMAC-SHA256 of the seed over a counter, as a byte stream (the blocks zeroized).
struct SeedStream {
    mac: Hmac<Sha256>,
    counter: u64,
    block: Zeroizing<[u8; 32]>,
    used: usize,
}

impl SeedStream {
    fn new(seed: &[u8; 32]) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mac =
            <Hmac<Sha256> as Mac>::new_from_slice(seed).expect("HMAC-SHA256 accepts a 32-byte key");
        Self {
            mac,
            counter: 0,
            block: Zeroizing::new([0; 32]),
            used: 32,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == self.block.len() {
                let mut mac = self.mac.clone();
                mac.update(SEED_DOMAIN);
                mac.update(&self.counter.to_be_bytes());
                self.block.copy_from_slice(&mac.finalize().into_bytes());
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }
}

/// Multiplication in GF(2^8) modulo `x^8 + x^4 + x^3 + x + 1`, without branches or
/// table lookups on the operands.
fn mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut product) = (a, b, 0u8);
    for _ in 0..8 {
        product ^= a & (b & 1).wrapping_neg();
        let carry = (a >> 7).wrapping_neg();
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// The inverse in GF(2^8) (`a^254`; 0 for 0), the same operations for every `a`.
fn inverse(a: u8) -> u8 {
    let mut result = 1u8;
    let mut power = a;
    // 254 = 0b1111_1110: every power a^2 .. a^128.
    for _ in 0..7 {
        power = mul(power, power);
        result = mul(result, power);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn multiplication_matches_the_aes_field() {
        // FIPS 197, section 4.2: {57} • {83} = {c1}, {57} • {13} = {fe}.
        assert_eq!(mul(0x57, 0x83), 0xc1);
        assert_eq!(mul(0x57, 0x13), 0xfe);
        assert_eq!(mul(0x53, 0xca), 0x01);
    }

    #[test]
    fn every_nonzero_element_has_its_inverse() {
        for a in 1..=255u8 {
            assert_eq!(mul(a, inverse(a)), 1, "{a}");
        }
        assert_eq!(inverse(0), 0);
    }

    #[test]
    fn the_seed_stream_is_hmac_over_a_counter() {
        let seed = [7u8; 32];
        let mut stream = SeedStream::new(&seed);
        let mut first = [0u8; 40];
        stream.fill(&mut first);
        let block = |counter: u64| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&seed).unwrap();
            mac.update(SEED_DOMAIN);
            mac.update(&counter.to_be_bytes());
            mac.finalize().into_bytes()
        };
        assert_eq!(&first[..32], &block(0)[..]);
        assert_eq!(&first[32..], &block(1)[..8]);
    }
}
