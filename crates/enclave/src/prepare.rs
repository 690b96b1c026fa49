//! Opening sealed requests ahead of ordering.
//!
//! Decrypting a sealed request (one X25519 HPKE decapsulation) and checking its
//! signature (one ECDSA verification) are most of the core's work per transaction, and
//! neither depends on the ledger: not on the state, not on the time, not on the
//! organizations. So the host hands each sealed request to [`Preparer::prepare`] as it
//! arrives, on any thread and in parallel, before it orders it. When the committed
//! request reaches [`Enclave::handle`](crate::Enclave::handle), the core finds it opened
//! and its signature checked, and does only what depends on the ledger, in order: the
//! certificate's chain against the organizations at the entry's time, the nonce, the
//! contract.
//!
//! Preparing changes how fast a request is decided, never what is decided: a request
//! that was not prepared, whose preparation failed, or that was evicted, is opened and
//! checked in full when it is executed, with the same outcome. Prepared requests stay
//! inside the core (a second entry point, on its own enclave threads in a TEE); the
//! host only learns that a request was prepared. At most [`PREPARED_LIMIT`] requests
//! and [`PREPARED_BYTES_LIMIT`] bytes of them are kept, the oldest dropped first, and
//! each one's plaintext is zeroized when it is dropped.
//!
//! # Rate per member
//!
//! The host cannot see who signed a request; the preparer can. With
//! [`Preparer::limit_members`] it keeps a token bucket per signer certificate and answers
//! [`Prepared::Throttled`] for an authentic request over its signer's rate, which the
//! host then refuses without ordering it. Only requests whose signature verifies spend
//! a member's tokens, so nobody can spend another member's; and each request spends at
//! most once: a replay of a request already charged (the same signer and nonce), or a
//! request whose `not after` has passed, spends nothing, so a captured request sent
//! again and again cannot exhaust its signer's rate. The charged requests are
//! remembered until their `not after` (at most [`CHARGED_LIMIT`] of them). The time
//! comes from the host (`now_ms`, its clock in milliseconds since the Unix epoch): a
//! lying host can only throttle or spare requests it could drop or pass anyway.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use strongroom_crypto::hpke::{self, PrivateKey, Suite};
use strongroom_identity::{CheckedSignature, SignedEnvelope, SignerKeys};
use zeroize::Zeroize;

use crate::refusal::{Refusal, RefusalCode};
use crate::request::{MAX_REQUEST_LEN, Purpose, SignedRequest, split_sealed};

/// Prepared requests kept at most; the oldest is dropped to make room.
pub const PREPARED_LIMIT: usize = 8192;

/// Bytes of prepared requests kept at most (each counted as twice its sealed size: the
/// envelope and the request decoded from it); the oldest are dropped to make room.
pub const PREPARED_BYTES_LIMIT: usize = 64 * 1024 * 1024;

/// Members tracked at most by the rate limit; past this, full buckets are forgotten.
const MEMBER_BUCKETS_LIMIT: usize = 100_000;

/// Charged requests remembered at most (those expiring first are forgotten first).
pub const CHARGED_LIMIT: usize = 1_000_000;

/// What [`Preparer::prepare`] did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepared {
    /// Opened, its signature checked, and kept for the core.
    Ready,
    /// It does not open or its signature does not verify, so it is not kept: the core
    /// opens it again when it executes it and records the refusal with its reason.
    Unopened,
    /// Authentic, but its signer is over the member rate: not kept. The host should
    /// refuse it without ordering it; a request would be allowed again after
    /// `retry_after_ms`.
    Throttled {
        /// Milliseconds until the signer's next token.
        retry_after_ms: u64,
    },
}

/// A token bucket per signer certificate: `per_second` refill, `burst` capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRate {
    /// Requests per second each member may send (the refill rate); at least 1.
    pub per_second: u32,
    /// Requests a member may send at once (the bucket's size); at least 1.
    pub burst: u32,
}

#[derive(Default)]
struct Buckets {
    rate: Option<MemberRate>,
    /// Signer certificate fingerprint → (tokens, time of the last update in ms).
    tokens: HashMap<[u8; 32], (f64, u64)>,
    /// SHA-256 of (signer fingerprint, nonce) of the requests charged, with their
    /// `not after`.
    charged: HashMap<[u8; 32], u64>,
    /// The same, by `not after`, to forget them in order.
    charged_by_expiry: BTreeSet<(u64, [u8; 32])>,
}

impl Buckets {
    /// Charges one request of `member` (its nonce's digest `request`, valid until
    /// `not_after_ms`) at `now_ms`: spends a token unless it was charged already or has
    /// expired.
    fn charge(
        &mut self,
        member: [u8; 32],
        request: [u8; 32],
        not_after_ms: u64,
        now_ms: u64,
    ) -> Result<(), u64> {
        if self.rate.is_none() || not_after_ms < now_ms || self.charged.contains_key(&request) {
            return Ok(());
        }
        self.take(member, now_ms)?;
        while let Some((expiry, _)) = self.charged_by_expiry.first()
            && (*expiry < now_ms || self.charged.len() >= CHARGED_LIMIT)
        {
            if let Some((_, old)) = self.charged_by_expiry.pop_first() {
                self.charged.remove(&old);
            }
        }
        self.charged.insert(request, not_after_ms);
        self.charged_by_expiry.insert((not_after_ms, request));
        Ok(())
    }

    /// Takes a token of `member` at `now_ms`, or says how long until there is one.
    fn take(&mut self, member: [u8; 32], now_ms: u64) -> Result<(), u64> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let per_ms = f64::from(rate.per_second.max(1)) / 1000.0;
        let burst = f64::from(rate.burst.max(1));
        let refill = |(tokens, at): (f64, u64)| {
            (tokens + now_ms.saturating_sub(at) as f64 * per_ms).min(burst)
        };
        if self.tokens.len() >= MEMBER_BUCKETS_LIMIT {
            self.tokens.retain(|_, bucket| refill(*bucket) < burst);
        }
        let bucket = self.tokens.entry(member).or_insert((burst, now_ms));
        let tokens = refill(*bucket);
        if tokens >= 1.0 {
            *bucket = (tokens - 1.0, now_ms.max(bucket.1));
            Ok(())
        } else {
            *bucket = (tokens, now_ms.max(bucket.1));
            Err(((1.0 - tokens) / per_ms).ceil() as u64)
        }
    }
}

/// A sealed request, decrypted and decoded, and with its signature checked when
/// `checked` is set.
pub(crate) struct Opened {
    pub envelope: SignedEnvelope,
    pub request: SignedRequest,
    pub checked: Option<CheckedSignature>,
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.envelope.payload.zeroize();
    }
}

/// Refuses a sealed request longer than [`MAX_REQUEST_LEN`], before any work on it.
pub(crate) fn check_len(sealed: &[u8]) -> Result<(), Refusal> {
    if sealed.len() > MAX_REQUEST_LEN {
        return Err(Refusal::new(
            RefusalCode::Oversized,
            format!(
                "{} bytes, more than the limit of {MAX_REQUEST_LEN}",
                sealed.len()
            ),
        ));
    }
    Ok(())
}

/// Decrypts a sealed request with the service transaction key and decodes the
/// envelope and the signed request in it, without checking the signature. The error
/// says what was wrong, for a recorded refusal.
pub(crate) fn open_sealed(
    transaction_key: &PrivateKey,
    sealed: &[u8],
    purpose: Purpose,
) -> Result<Opened, Refusal> {
    check_len(sealed)?;
    let malformed = |what: String| Refusal::new(RefusalCode::Malformed, what);
    let (enc, ciphertext) = split_sealed(sealed)
        .ok_or_else(|| malformed("the sealed request's version or length".into()))?;
    let plain = hpke::open(
        Suite::default(),
        transaction_key,
        enc,
        purpose.info(),
        &[],
        ciphertext,
        None,
    )
    .map_err(|_| Refusal::new(RefusalCode::Undecryptable, ""))?;
    let envelope = SignedEnvelope::from_bytes(&plain)
        .map_err(|e| malformed(format!("signed envelope: {e}")))?;
    let request = SignedRequest::decode(&envelope.payload)
        .map_err(|e| malformed(format!("signed request: {e}")))?;
    Ok(Opened {
        envelope,
        request,
        checked: None,
    })
}

/// Opens and checks sealed requests ahead of ordering; see the [module docs](self).
/// Cheap to clone; every clone shares one set of prepared requests.
#[derive(Clone)]
pub struct Preparer {
    inner: Arc<Inner>,
}

struct Inner {
    transaction_key: Arc<PrivateKey>,
    prepared: Mutex<Kept>,
    buckets: Mutex<Buckets>,
    /// Signer certificates' keys, parsed once per certificate.
    signer_keys: SignerKeys,
}

#[derive(Default)]
struct Kept {
    /// Each kept request with its counted size.
    by_digest: HashMap<[u8; 32], (Opened, usize)>,
    order: VecDeque<[u8; 32]>,
    bytes: usize,
}

impl std::fmt::Debug for Preparer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preparer")
            .field("prepared", &self.lock().by_digest.len())
            .finish_non_exhaustive()
    }
}

impl Preparer {
    pub(crate) fn new(transaction_key: Arc<PrivateKey>) -> Self {
        Self {
            inner: Arc::new(Inner {
                transaction_key,
                prepared: Mutex::new(Kept::default()),
                buckets: Mutex::new(Buckets::default()),
                signer_keys: SignerKeys::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        locked(&self.inner.prepared)
    }

    /// Limits every signer certificate to `rate` (see the [module docs](self)); `None`
    /// lifts the limit.
    pub fn limit_members(&self, rate: Option<MemberRate>) {
        let mut buckets = locked(&self.inner.buckets);
        buckets.rate = rate;
        buckets.tokens.clear();
        buckets.charged.clear();
        buckets.charged_by_expiry.clear();
    }

    /// Decrypts `sealed` as a request for `purpose`, checks its signature under its
    /// signer certificate's key, spends one of its signer's tokens (at host time
    /// `now_ms`, ms since the Unix epoch) unless it was charged before or has expired,
    /// and keeps the result for the core. See [`Prepared`] for the answers.
    pub fn prepare(&self, sealed: &[u8], purpose: Purpose, now_ms: u64) -> Prepared {
        let digest = digest(sealed, purpose);
        if self.lock().by_digest.contains_key(&digest) {
            return Prepared::Ready;
        }
        let Ok(mut opened) = open_sealed(&self.inner.transaction_key, sealed, purpose) else {
            return Prepared::Unopened;
        };
        let Ok(checked) = opened
            .envelope
            .check_signature_cached(&self.inner.signer_keys)
        else {
            return Prepared::Unopened;
        };
        let member = checked.cert_fingerprint();
        let mut request = Sha256::new();
        request.update(member);
        request.update(&opened.request.nonce);
        let spent = locked(&self.inner.buckets).charge(
            member,
            request.finalize().into(),
            opened.request.not_after_ms,
            now_ms,
        );
        if let Err(retry_after_ms) = spent {
            return Prepared::Throttled { retry_after_ms };
        }
        opened.checked = Some(checked);
        let size = sealed.len().saturating_mul(2);
        let mut prepared = self.lock();
        match prepared.by_digest.insert(digest, (opened, size)) {
            None => prepared.order.push_back(digest),
            Some((_, replaced)) => prepared.bytes = prepared.bytes.saturating_sub(replaced),
        }
        prepared.bytes += size;
        // `order` also holds the digests of requests taken since (so that taking is
        // cheap); every kept request is in it, so this bounds both.
        while prepared.order.len() > PREPARED_LIMIT || prepared.bytes > PREPARED_BYTES_LIMIT {
            let Some(oldest) = prepared.order.pop_front() else {
                break;
            };
            if let Some((_, dropped)) = prepared.by_digest.remove(&oldest) {
                prepared.bytes = prepared.bytes.saturating_sub(dropped);
            }
        }
        Prepared::Ready
    }

    /// Takes the prepared form of `sealed` for `purpose`, if there is one.
    pub(crate) fn take(&self, sealed: &[u8], purpose: Purpose) -> Option<Opened> {
        let mut prepared = self.lock();
        let (opened, size) = prepared.by_digest.remove(&digest(sealed, purpose))?;
        prepared.bytes = prepared.bytes.saturating_sub(size);
        Some(opened)
    }

    /// How many prepared requests are waiting.
    pub fn len(&self) -> usize {
        self.lock().by_digest.len()
    }

    /// Whether no prepared request is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned map is still whole.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn digest(sealed: &[u8], purpose: Purpose) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([purpose.to_byte()]);
    hasher.update(sealed);
    hasher.finalize().into()
}
