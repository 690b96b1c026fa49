//! Every way an encrypted object can be damaged is rejected, with an error that names
//! the chunk, and no plaintext of a damaged chunk is released.
#![allow(clippy::unwrap_used)]

use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{
    DecryptReader, FRAME_LEN, HEADER_LEN, ObjectError, ObjectOptions, TAG_LEN, decrypt, encrypt,
};

const CHUNK: usize = 32;
const STRIDE: usize = FRAME_LEN + CHUNK + TAG_LEN;

/// Five full chunks and a short final one.
fn sample(key: &DataKey) -> (Vec<u8>, Vec<u8>) {
    let plaintext: Vec<u8> = (0..(5 * CHUNK + 7)).map(|i| (i * 31 % 251) as u8).collect();
    let mut sealed = Vec::new();
    encrypt(
        key,
        ObjectOptions {
            chunk_size: CHUNK as u32,
        },
        &plaintext[..],
        &mut sealed,
    )
    .unwrap();
    assert_eq!(
        sealed.len(),
        HEADER_LEN + 5 * STRIDE + FRAME_LEN + 7 + TAG_LEN
    );
    (plaintext, sealed)
}

fn chunk_range(i: usize) -> std::ops::Range<usize> {
    HEADER_LEN + i * STRIDE..HEADER_LEN + (i + 1) * STRIDE
}

fn open(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, ObjectError> {
    let mut out = Vec::new();
    decrypt(key, sealed, &mut out).map(|_| out)
}

#[test]
fn intact_object_decrypts() {
    let key = DataKey::generate();
    let (plaintext, sealed) = sample(&key);
    assert_eq!(open(&key, &sealed).unwrap(), plaintext);
}

#[test]
fn altered_chunk_is_named() {
    let key = DataKey::generate();
    let (_, mut sealed) = sample(&key);
    sealed[chunk_range(2).start + FRAME_LEN + 3] ^= 0x01;
    assert!(matches!(
        open(&key, &sealed),
        Err(ObjectError::ChunkAuthentication { chunk: 2 })
    ));
}

#[test]
fn altered_tag_is_named() {
    let key = DataKey::generate();
    let (_, mut sealed) = sample(&key);
    sealed[chunk_range(4).end - 1] ^= 0x80;
    assert!(matches!(
        open(&key, &sealed),
        Err(ObjectError::ChunkAuthentication { chunk: 4 })
    ));
}

#[test]
fn reordered_chunks_are_named() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    let mut swapped = sealed.clone();
    let (one, three) = (chunk_range(1), chunk_range(3));
    swapped[one.clone()].copy_from_slice(&sealed[three.clone()]);
    swapped[three].copy_from_slice(&sealed[one]);
    assert!(matches!(
        open(&key, &swapped),
        Err(ObjectError::ChunkOutOfPlace {
            chunk: 1,
            belongs_at: 3
        })
    ));
}

#[test]
fn duplicated_chunk_is_named() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    // Chunk 2 repeated in place of chunk 3.
    let mut duplicated = sealed.clone();
    duplicated[chunk_range(3)].copy_from_slice(&sealed[chunk_range(2)]);
    assert!(matches!(
        open(&key, &duplicated),
        Err(ObjectError::ChunkOutOfPlace {
            chunk: 3,
            belongs_at: 2
        })
    ));
    // Chunk 2 inserted twice (the object grows by one chunk).
    let mut inserted = sealed[..chunk_range(3).start].to_vec();
    inserted.extend_from_slice(&sealed[chunk_range(2)]);
    inserted.extend_from_slice(&sealed[chunk_range(3).start..]);
    assert!(matches!(
        open(&key, &inserted),
        Err(ObjectError::ChunkOutOfPlace {
            chunk: 3,
            belongs_at: 2
        })
    ));
}

#[test]
fn missing_final_chunk_is_truncation() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    let cut = &sealed[..chunk_range(4).end];
    assert!(matches!(
        open(&key, cut),
        Err(ObjectError::Truncated { chunks: 5 })
    ));
    // Only the header.
    assert!(matches!(
        open(&key, &sealed[..HEADER_LEN]),
        Err(ObjectError::Truncated { chunks: 0 })
    ));
}

#[test]
fn dropped_middle_chunk_is_named() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    let mut dropped = sealed[..chunk_range(1).start].to_vec();
    dropped.extend_from_slice(&sealed[chunk_range(2).start..]);
    assert!(matches!(
        open(&key, &dropped),
        Err(ObjectError::ChunkOutOfPlace {
            chunk: 1,
            belongs_at: 2
        })
    ));
}

#[test]
fn cut_inside_a_chunk_or_header_is_named() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    assert!(matches!(
        open(&key, &sealed[..chunk_range(2).start + 10]),
        Err(ObjectError::TruncatedChunk { chunk: 2 })
    ));
    assert!(matches!(
        open(&key, &sealed[..HEADER_LEN - 1]),
        Err(ObjectError::TruncatedHeader { length: 79 })
    ));
    assert!(matches!(
        open(&key, &[]),
        Err(ObjectError::TruncatedHeader { length: 0 })
    ));
}

#[test]
fn trailing_garbage_is_rejected() {
    let key = DataKey::generate();
    let (_, mut sealed) = sample(&key);
    sealed.push(0);
    assert!(matches!(
        open(&key, &sealed),
        Err(ObjectError::TrailingData { after_chunk: 5 })
    ));
    // A whole second object appended is trailing data too.
    let (_, mut doubled) = sample(&key);
    let copy = doubled.clone();
    doubled.extend_from_slice(&copy);
    assert!(matches!(
        open(&key, &doubled),
        Err(ObjectError::TrailingData { after_chunk: 5 })
    ));
}

#[test]
fn wrong_key_is_named_before_any_chunk() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    assert!(matches!(
        open(&DataKey::generate(), &sealed),
        Err(ObjectError::WrongKey)
    ));
}

#[test]
fn tampered_header_is_rejected() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    // Salt, nonce prefix, chunk size, reserved bytes and the tag itself.
    for offset in [10, 14, 40, 60, 63, 70] {
        let mut tampered = sealed.clone();
        tampered[offset] ^= 0x04;
        let result = open(&key, &tampered);
        assert!(
            matches!(result, Err(ObjectError::HeaderTampered)),
            "offset {offset}: {result:?}"
        );
    }
    let mut key_id = sealed.clone();
    key_id[20] ^= 1;
    assert!(matches!(open(&key, &key_id), Err(ObjectError::WrongKey)));
}

#[test]
fn foreign_and_newer_files_are_refused() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    let mut foreign = sealed.clone();
    foreign[..8].copy_from_slice(b"PK\x03\x04abcd");
    assert!(matches!(
        open(&key, &foreign),
        Err(ObjectError::NotAnObject)
    ));
    let mut newer = sealed.clone();
    newer[8] = 2;
    assert!(matches!(
        open(&key, &newer),
        Err(ObjectError::UnsupportedVersion(2))
    ));
    let mut algorithm = sealed;
    algorithm[9] = 9;
    assert!(matches!(
        open(&key, &algorithm),
        Err(ObjectError::UnsupportedAlgorithm(9))
    ));
}

#[test]
fn frame_that_lies_about_length_is_named() {
    let key = DataKey::generate();
    let (_, sealed) = sample(&key);
    let mut long = sealed.clone();
    let frame = chunk_range(1).start;
    long[frame + 4..frame + 8].copy_from_slice(&1_000_000u32.to_be_bytes());
    assert!(matches!(
        open(&key, &long),
        Err(ObjectError::InvalidChunkLength {
            chunk: 1,
            length: 1_000_000
        })
    ));
    // Marking a middle chunk final: authentication fails on that chunk.
    let mut early_final = sealed;
    early_final[frame + 4] |= 0x80;
    assert!(matches!(
        open(&key, &early_final),
        Err(ObjectError::ChunkAuthentication { chunk: 1 })
    ));
    // Rewriting a chunk's index to hide a reorder: authentication fails.
    let (_, sealed) = sample(&key);
    let mut relabeled = sealed.clone();
    relabeled[chunk_range(1)].copy_from_slice(&sealed[chunk_range(3)]);
    relabeled[frame..frame + 4].copy_from_slice(&1u32.to_be_bytes());
    assert!(matches!(
        open(&key, &relabeled),
        Err(ObjectError::ChunkAuthentication { chunk: 1 })
    ));
}

#[test]
fn reader_releases_only_authenticated_chunks() {
    use std::io::Read;
    let key = DataKey::generate();
    let (plaintext, mut sealed) = sample(&key);
    sealed[chunk_range(3).start + FRAME_LEN] ^= 0x10;
    let mut reader = DecryptReader::new(&key, &sealed[..]);
    let mut released = Vec::new();
    let mut buf = [0u8; 5];
    let error = loop {
        match reader.read(&mut buf) {
            Ok(0) => panic!("a damaged object must not read to the end"),
            Ok(n) => released.extend_from_slice(&buf[..n]),
            Err(e) => break ObjectError::from_io(e),
        }
    };
    assert!(matches!(
        error,
        ObjectError::ChunkAuthentication { chunk: 3 }
    ));
    assert_eq!(released, plaintext[..3 * CHUNK]);
}
