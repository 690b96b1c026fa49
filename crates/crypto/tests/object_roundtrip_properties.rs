//! Property tests of the object format: any plaintext at any chunk size round-trips
//! through every driver (io, async stream, sans-I/O in odd-sized pieces), and any
//! single-bit flip or truncation of a ciphertext is rejected.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use proptest::prelude::*;
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{
    DecryptReader, Decryptor, EncryptWriter, ObjectOptions, decrypt, decrypt_stream, encrypt,
    encrypt_stream,
};

fn seal(key: &DataKey, chunk_size: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(key, ObjectOptions { chunk_size }, data, &mut out).unwrap();
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn pieces(
    data: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Unpin + use<> {
    let items: Vec<std::io::Result<Bytes>> = data
        .chunks(size.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(items)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_driver_round_trips(
        data in proptest::collection::vec(any::<u8>(), 0..5000),
        chunk_size in 16u32..700,
        piece in 1usize..900,
    ) {
        let key = DataKey::generate();
        let options = ObjectOptions { chunk_size };

        // io::Read source -> io::Write sink, and back.
        let sealed = seal(&key, chunk_size, &data);
        let mut opened = Vec::new();
        decrypt(&key, &sealed[..], &mut opened).unwrap();
        prop_assert_eq!(&opened, &data);

        // EncryptWriter fed in odd pieces -> DecryptReader read in odd pieces.
        let mut writer = EncryptWriter::new(&key, options, Vec::new()).unwrap();
        for c in data.chunks(piece) {
            writer.write_all(c).unwrap();
        }
        let sealed_by_writer = writer.finish().unwrap();
        prop_assert_eq!(sealed_by_writer.len(), sealed.len());
        let mut reader = DecryptReader::new(&key, &sealed_by_writer[..]);
        let mut read_back = Vec::new();
        let mut buf = vec![0u8; piece];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 { break; }
            read_back.extend_from_slice(&buf[..n]);
        }
        prop_assert_eq!(&read_back, &data);

        // Async streams, both ways, and across drivers.
        let rt = runtime();
        let sealed_by_stream: Vec<u8> = rt.block_on(async {
            let out: Vec<Bytes> = encrypt_stream(&key, options, pieces(&data, piece))
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            out.concat()
        });
        prop_assert_eq!(sealed_by_stream.len(), sealed.len());
        let streamed: Vec<u8> = rt.block_on(async {
            let out: Vec<Bytes> = decrypt_stream(&key, pieces(&sealed_by_stream, piece + 3))
                .try_collect()
                .await
                .unwrap();
            out.concat()
        });
        prop_assert_eq!(&streamed, &data);
        let mut cross = Vec::new();
        decrypt(&key, &sealed_by_stream[..], &mut cross).unwrap();
        prop_assert_eq!(&cross, &data);

        // The sans-I/O decryptor fed one byte at a time.
        let mut decryptor = Decryptor::new(&key);
        let mut bytewise = Vec::new();
        for byte in &sealed {
            decryptor.update(std::slice::from_ref(byte), &mut bytewise).unwrap();
        }
        decryptor.finish().unwrap();
        prop_assert_eq!(&bytewise, &data);
    }

    #[test]
    fn any_single_bit_flip_is_rejected(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        chunk_size in 16u32..300,
        bit in any::<proptest::sample::Index>(),
    ) {
        let key = DataKey::generate();
        let mut sealed = seal(&key, chunk_size, &data);
        let bit = bit.index(sealed.len() * 8);
        sealed[bit / 8] ^= 1 << (bit % 8);
        let mut out = Vec::new();
        prop_assert!(decrypt(&key, &sealed[..], &mut out).is_err(), "flip of bit {} accepted", bit);
        let rt = runtime();
        let streamed: Result<Vec<Bytes>, _> =
            rt.block_on(decrypt_stream(&key, pieces(&sealed, 100)).try_collect());
        prop_assert!(streamed.is_err());
    }

    #[test]
    fn any_truncation_is_rejected(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        chunk_size in 16u32..300,
        cut in any::<proptest::sample::Index>(),
    ) {
        let key = DataKey::generate();
        let sealed = seal(&key, chunk_size, &data);
        let cut = cut.index(sealed.len());
        let mut out = Vec::new();
        prop_assert!(decrypt(&key, &sealed[..cut], &mut out).is_err(), "cut at {} accepted", cut);
        let rt = runtime();
        let streamed: Vec<Result<Bytes, _>> =
            rt.block_on(decrypt_stream(&key, pieces(&sealed[..cut], 50)).collect());
        prop_assert!(streamed.iter().any(|r| r.is_err()));
    }
}
