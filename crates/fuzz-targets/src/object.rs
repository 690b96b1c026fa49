//! The encrypted object format, read with a fixed key in all four ways the project
//! reads it: one-shot (`decrypt`), `DecryptReader`, the sans-I/O `Decryptor` fed in
//! pieces, and the async `decrypt_stream`.

use std::io::Read;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::StreamExt;
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{
    DecryptReader, Decryptor, ObjectOptions, decrypt, decrypt_stream, encrypt,
};

use crate::fixture::OBJECT_KEY;

/// The first byte chooses what the rest is:
///
/// - 0 to 127: a whole object;
/// - 128 to 191: what follows a valid header (frames and chunks) for objects of
///   16-byte chunks;
/// - 192 to 255: a plaintext, encrypted here with chunks of 16 to 79 bytes (the low
///   six bits), then altered by the last byte (0: kept; else the byte at that position
///   modulo the length has its low bit flipped, or, when the last byte is even, the
///   object is cut there).
///
/// The rest is split into pieces at every 0x00 byte's position for the piecewise
/// readers. Every reader must give the same answer: the same plaintext, or an error.
pub fn object(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = DataKey::from_bytes(OBJECT_KEY);
    let sealed = match mode {
        0..=127 => rest.to_vec(),
        128..=191 => {
            let mut sealed = header().to_vec();
            sealed.extend_from_slice(rest);
            sealed
        }
        _ => {
            let options = ObjectOptions {
                chunk_size: 16 + u32::from(mode & 0x3f),
            };
            let (plaintext, alter) = match rest.split_last() {
                Some((&alter, plaintext)) => (plaintext, alter),
                None => (rest, 0),
            };
            let mut sealed = Vec::new();
            if encrypt(&key, options, plaintext, &mut sealed).is_err() {
                return;
            }
            if alter != 0 && !sealed.is_empty() {
                let at = usize::from(alter) * 7 % sealed.len();
                if alter % 2 == 0 {
                    sealed.truncate(at);
                } else {
                    sealed[at] ^= 1;
                }
            }
            sealed
        }
    };
    let one_shot = {
        let mut out = Vec::new();
        decrypt(&key, &sealed[..], &mut out).map(|_| out).ok()
    };
    let reader = {
        let mut out = Vec::new();
        DecryptReader::new(&key, &sealed[..])
            .read_to_end(&mut out)
            .map(|_| out)
            .ok()
    };
    let pieces: Vec<&[u8]> = sealed.split_inclusive(|b| *b == 0).collect();
    let sans_io = {
        let mut decryptor = Decryptor::new(&key);
        let mut out = Vec::new();
        pieces
            .iter()
            .try_for_each(|piece| decryptor.update(piece, &mut out))
            .and_then(|()| decryptor.finish())
            .map(|()| out)
            .ok()
    };
    let streamed = {
        let input = futures_util::stream::iter(
            pieces
                .iter()
                .map(|piece| Ok::<_, std::io::Error>(Bytes::copy_from_slice(piece)))
                .collect::<Vec<_>>(),
        );
        let mut stream = Box::pin(decrypt_stream(&key, input));
        let mut context = Context::from_waker(Waker::noop());
        let mut out = Some(Vec::new());
        loop {
            // The input is always ready, so the stream never waits.
            match stream.poll_next_unpin(&mut context) {
                Poll::Ready(Some(Ok(piece))) => {
                    if let Some(out) = out.as_mut() {
                        out.extend_from_slice(&piece);
                    }
                }
                Poll::Ready(Some(Err(_))) => {
                    out = None;
                    break;
                }
                Poll::Ready(None) => break,
                Poll::Pending => panic!("decrypt_stream waited on a ready input"),
            }
        }
        out
    };
    assert_eq!(one_shot, reader, "decrypt and DecryptReader agree");
    assert_eq!(one_shot, sans_io, "decrypt and Decryptor agree");
    assert_eq!(one_shot, streamed, "decrypt and decrypt_stream agree");
    if mode >= 192 && rest.last().is_none_or(|alter| *alter == 0) {
        let plaintext = rest.split_last().map_or(rest, |(_, p)| p);
        assert_eq!(one_shot.as_deref(), Some(plaintext), "an object decrypts");
    }
}

/// A valid header for [`OBJECT_KEY`] and 16-byte chunks.
fn header() -> &'static [u8] {
    static HEADER: OnceLock<Vec<u8>> = OnceLock::new();
    HEADER.get_or_init(|| {
        let mut sealed = Vec::new();
        encrypt(
            &DataKey::from_bytes(OBJECT_KEY),
            ObjectOptions { chunk_size: 16 },
            &[][..],
            &mut sealed,
        )
        .expect("setup: an empty object encrypts into memory");
        sealed[..strongroom_crypto::object::HEADER_LEN].to_vec()
    })
}
