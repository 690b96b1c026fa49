//! The core's response to a request: sealed to the request's response key, or a
//! refusal in clear when the core could not read the request. The format is in the
//! [`request`](crate::request) module docs.

use strongroom_crypto::provider::{CryptoProvider, default_provider};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Writer};
use crate::request::{ClientError, Purpose, SignedRequest};

const RESPONSE_DOMAIN: &[u8] = b"strongroom/enclave/response/v1";
const RESPONSE_SEALED: u8 = 1;
const RESPONSE_CLEAR: u8 = 2;

/// The answer inside a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The contract's result.
    Accept(Vec<u8>),
    /// The core refused; why (authenticated: only the core could write it).
    Refuse(String),
    /// The core could not read the request and answered in clear; unauthenticated.
    RefuseUnauthenticated(String),
}

pub(crate) fn response_aad(purpose: Purpose, nonce: &[u8]) -> Vec<u8> {
    let mut writer = Writer::with_capacity(RESPONSE_DOMAIN.len() + 5 + nonce.len());
    writer
        .raw(RESPONSE_DOMAIN)
        .u8(purpose.to_byte())
        .bytes(nonce);
    writer.0
}

/// Encrypts `reply` to the request's response key with a random nonce.
pub(crate) fn seal_reply(
    provider: &dyn CryptoProvider,
    request: &SignedRequest,
    reply: Result<&[u8], &str>,
) -> Option<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(
        1 + reply.map_or_else(str::len, <[u8]>::len),
    ));
    match reply {
        Ok(result) => {
            plain.push(0);
            plain.extend_from_slice(result);
        }
        Err(reason) => {
            plain.push(1);
            plain.extend_from_slice(reason.as_bytes());
        }
    }
    let mut nonce = [0u8; 12];
    provider.fill_random(&mut nonce).ok()?;
    let ciphertext = provider
        .aes_gcm_seal(
            request.response_key.as_ref(),
            &nonce,
            &response_aad(request.purpose, &request.nonce),
            &plain,
        )
        .ok()?;
    let mut out = Vec::with_capacity(13 + ciphertext.len());
    out.push(RESPONSE_SEALED);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Some(out)
}

/// A refusal in clear, for requests the core could not read.
pub(crate) fn clear_refusal(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + reason.len());
    out.push(RESPONSE_CLEAR);
    out.extend_from_slice(reason.as_bytes());
    out
}

/// Opens the core's response to `request` (with its response key).
pub(crate) fn open(request: &SignedRequest, response: &[u8]) -> Result<Reply, ClientError> {
    let (&tag, rest) = response
        .split_first()
        .ok_or(DecodeError("empty response"))?;
    match tag {
        RESPONSE_SEALED => {
            let (nonce, ciphertext) = rest
                .split_at_checked(12)
                .ok_or(DecodeError("response nonce"))?;
            let plain = default_provider()
                .aes_gcm_open(
                    request.response_key.as_ref(),
                    nonce,
                    &response_aad(request.purpose, &request.nonce),
                    ciphertext,
                )
                .map_err(|_| ClientError::Decrypt)?;
            decode_reply(&plain)
        }
        RESPONSE_CLEAR => Ok(Reply::RefuseUnauthenticated(
            String::from_utf8_lossy(rest).into_owned(),
        )),
        _ => Err(DecodeError("response kind").into()),
    }
}

impl SignedRequest {
    /// Opens the core's response to this request (with its response key).
    pub fn open_response(&self, response: &[u8]) -> Result<Reply, ClientError> {
        open(self, response)
    }
}

fn decode_reply(plain: &[u8]) -> Result<Reply, ClientError> {
    match plain.split_first() {
        Some((0, result)) => Ok(Reply::Accept(result.to_vec())),
        Some((1, reason)) => Ok(Reply::Refuse(String::from_utf8_lossy(reason).into_owned())),
        _ => Err(DecodeError("reply").into()),
    }
}
