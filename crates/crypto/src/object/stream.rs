//! Drivers of the object core over async streams of [`Bytes`], the shape that object
//! stores and HTTP bodies use.

use std::io;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};

use super::{Decryptor, Encryptor, ObjectError, ObjectOptions};
use crate::key::DataKey;

struct EncryptState<S> {
    input: S,
    encryptor: Encryptor,
    pending: Bytes,
    header_sent: bool,
    done: bool,
}

/// Encrypts a stream of plaintext pieces into a stream of object bytes: the header,
/// then one item per sealed chunk. Memory: one chunk plus the input piece in hand.
pub fn encrypt_stream<S>(
    key: &DataKey,
    options: ObjectOptions,
    input: S,
) -> Result<impl Stream<Item = Result<Bytes, ObjectError>> + use<S>, ObjectError>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    let state = EncryptState {
        input,
        encryptor: Encryptor::new(key, options)?,
        pending: Bytes::new(),
        header_sent: false,
        done: false,
    };
    Ok(stream::try_unfold(state, |mut state| async move {
        if state.done {
            return Ok(None);
        }
        if !state.header_sent {
            state.header_sent = true;
            let header = Bytes::copy_from_slice(state.encryptor.header());
            return Ok(Some((header, state)));
        }
        loop {
            if !state.pending.is_empty() {
                if state.encryptor.is_full() {
                    let sealed = Bytes::copy_from_slice(state.encryptor.seal(false)?);
                    return Ok(Some((sealed, state)));
                }
                let space = state.encryptor.space();
                let n = space.len().min(state.pending.len());
                space[..n].copy_from_slice(&state.pending[..n]);
                state.encryptor.commit(n);
                let _ = state.pending.split_to(n);
                continue;
            }
            match state.input.next().await {
                Some(Ok(piece)) => state.pending = piece,
                Some(Err(error)) => return Err(ObjectError::Io(error)),
                None => {
                    state.done = true;
                    let sealed = Bytes::copy_from_slice(state.encryptor.seal(true)?);
                    return Ok(Some((sealed, state)));
                }
            }
        }
    }))
}

struct DecryptState<S> {
    input: S,
    decryptor: Decryptor,
}

/// Decrypts a stream of object bytes into a stream of plaintext pieces. Each piece is
/// authenticated; the stream ends with `Ok` only when the final chunk was read and
/// nothing follows it, so a consumer must treat the output as provisional until then.
pub fn decrypt_stream<S>(
    key: &DataKey,
    input: S,
) -> impl Stream<Item = Result<Bytes, ObjectError>> + use<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    let state = DecryptState {
        input,
        decryptor: Decryptor::new(key),
    };
    stream::try_unfold(state, |mut state| async move {
        let mut out = Vec::new();
        loop {
            match state.input.next().await {
                Some(Ok(piece)) => {
                    state.decryptor.update(&piece, &mut out)?;
                    if !out.is_empty() {
                        return Ok(Some((Bytes::from(out), state)));
                    }
                }
                Some(Err(error)) => return Err(ObjectError::Io(error)),
                None => {
                    state.decryptor.finish()?;
                    return Ok(None);
                }
            }
        }
    })
}
