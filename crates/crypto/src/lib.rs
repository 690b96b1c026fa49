//! Cryptography for strongroom.
//!
//! - [`object`]: the encrypted object format for datasets of any size (chunked
//!   AES-256-GCM with STREAM nonces), streaming over `std::io` and async streams.
//! - [`hpke`]: RFC 9180 hybrid public-key encryption, used to wrap dataset keys and to
//!   encrypt transaction payloads to the service.
//! - [`shamir`]: Shamir secret sharing over GF(2^8), with random or seeded
//!   coefficients (k of n members recover the service secrets).
//! - [`provider`]: the crypto-service operations (AES-CBC/GCM, SHA-2/3, HMAC, HKDF,
//!   ECDSA P-256/P-384) behind a [`provider::CryptoProvider`] trait, so that a
//!   TEE-held implementation can stand in for the software one.
//!
//! Secrets are zeroized on drop, tags and MACs are compared in constant time, and
//! cryptographic failures are opaque: an error says *which* object, chunk or
//! operation failed, never *why* in a way that would be an oracle.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hpke;
pub mod key;
pub mod object;
pub mod provider;
pub mod shamir;
