use super::*;

fn seal(key: &DataKey, chunk_size: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(key, ObjectOptions { chunk_size }, data, &mut out).unwrap();
    out
}

#[test]
fn layout_matches_the_documented_sizes() {
    let key = DataKey::generate();
    let sealed = seal(&key, 16, &[7u8; 40]);
    // 40 bytes at 16 per chunk: chunks of 16, 16 and a final 8.
    let expected = HEADER_LEN + 3 * (FRAME_LEN + TAG_LEN) + 40;
    assert_eq!(sealed.len(), expected);
    assert_eq!(&sealed[..8], &MAGIC);
    assert_eq!(sealed[8], VERSION);
    assert_eq!(&sealed[12..16], &16u32.to_be_bytes());
    assert_eq!(&sealed[16..32], &key.id().0);
    // The frames: two full non-final chunks, then the final one.
    let frame0 = HEADER_LEN;
    let frame2 = HEADER_LEN + 2 * (FRAME_LEN + 16 + TAG_LEN);
    assert_eq!(&sealed[frame0..frame0 + 4], &0u32.to_be_bytes());
    assert_eq!(&sealed[frame0 + 4..frame0 + 8], &16u32.to_be_bytes());
    assert_eq!(&sealed[frame2..frame2 + 4], &2u32.to_be_bytes());
    assert_eq!(
        &sealed[frame2 + 4..frame2 + 8],
        &(8u32 | FINAL_BIT).to_be_bytes()
    );
}

#[test]
fn exact_multiple_of_chunk_size_ends_with_a_full_final_chunk() {
    let key = DataKey::generate();
    let sealed = seal(&key, 16, &[1u8; 32]);
    assert_eq!(sealed.len(), HEADER_LEN + 2 * (FRAME_LEN + 16 + TAG_LEN));
    let mut out = Vec::new();
    decrypt(&key, &sealed[..], &mut out).unwrap();
    assert_eq!(out, [1u8; 32]);
}

#[test]
fn two_encryptions_of_the_same_data_differ() {
    let key = DataKey::generate();
    assert_ne!(seal(&key, 64, b"same"), seal(&key, 64, b"same"));
}

#[test]
fn encryptor_refuses_misuse() {
    let key = DataKey::generate();
    let mut encryptor = Encryptor::new(&key, ObjectOptions { chunk_size: 16 }).unwrap();
    assert!(matches!(
        encryptor.seal(false),
        Err(ObjectError::ChunkNotFull)
    ));
    encryptor.seal(true).unwrap();
    assert!(matches!(encryptor.seal(true), Err(ObjectError::Finished)));
    assert!(matches!(
        Encryptor::new(&key, ObjectOptions { chunk_size: 15 }),
        Err(ObjectError::InvalidChunkSize(15))
    ));
    assert!(matches!(
        Encryptor::new(
            &key,
            ObjectOptions {
                chunk_size: MAX_CHUNK_SIZE + 1
            }
        ),
        Err(ObjectError::InvalidChunkSize(_))
    ));
}

#[test]
fn decryptor_buffers_never_exceed_one_chunk() {
    let key = DataKey::generate();
    let sealed = seal(&key, 1024, &vec![3u8; 100_000]);
    let mut decryptor = Decryptor::new(&key);
    let mut sink = Vec::new();
    for piece in sealed.chunks(777) {
        decryptor.update(piece, &mut sink).unwrap();
        assert!(decryptor.buf.capacity() <= 1024 + TAG_LEN + FRAME_LEN);
        sink.clear();
    }
    decryptor.finish().unwrap();
}
