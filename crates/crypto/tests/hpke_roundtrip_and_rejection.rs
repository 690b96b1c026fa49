//! Round trips for every supported suite and mode, and rejection of every kind of
//! tampering or malformed input with the documented error.

use strongroom_crypto::hpke::{
    self, AeadId, HpkeError, KdfId, KemId, PrivateKey, PublicKey, SenderKey, Suite, WrappedKey,
};

const INFO: &[u8] = b"strongroom test info";
const AAD: &[u8] = b"strongroom test aad";
const MSG: &[u8] = b"a transaction payload of 32 byte";

/// One sealed message plus everything needed to open it.
struct Fixture {
    suite: Suite,
    recipient: PrivateKey,
    sender: Option<SenderKey>,
    enc: Vec<u8>,
    ct: Vec<u8>,
}

impl Fixture {
    fn new(suite: Suite, auth: bool) -> Self {
        let recipient = PrivateKey::generate(suite);
        let sender = auth.then(|| SenderKey::generate(suite));
        let (enc, ct) = hpke::seal(
            suite,
            recipient.public_key(),
            INFO,
            AAD,
            MSG,
            sender.as_ref(),
        )
        .expect("seal");
        Self {
            suite,
            recipient,
            sender,
            enc,
            ct,
        }
    }

    fn sender_pk(&self) -> Option<&PublicKey> {
        self.sender.as_ref().map(SenderKey::public_key)
    }

    fn open_with(
        &self,
        recipient: &PrivateKey,
        enc: &[u8],
        info: &[u8],
        aad: &[u8],
        ct: &[u8],
        sender_pk: Option<&PublicKey>,
    ) -> Result<Vec<u8>, HpkeError> {
        hpke::open(self.suite, recipient, enc, info, aad, ct, sender_pk).map(|pt| pt.to_vec())
    }

    fn open_enc_ct(&self, enc: &[u8], ct: &[u8]) -> Result<Vec<u8>, HpkeError> {
        self.open_with(&self.recipient, enc, INFO, AAD, ct, self.sender_pk())
    }
}

fn all_cases() -> impl Iterator<Item = (Suite, bool)> {
    Suite::ALL.into_iter().flat_map(|s| [(s, false), (s, true)])
}

fn other_kem(kem: KemId) -> KemId {
    match kem {
        KemId::DhKemP256HkdfSha256 => KemId::DhKemX25519HkdfSha256,
        _ => KemId::DhKemP256HkdfSha256,
    }
}

#[test]
fn single_shot_round_trip_every_suite_and_mode() {
    for (suite, auth) in all_cases() {
        let f = Fixture::new(suite, auth);
        assert_eq!(f.enc.len(), suite.kem.public_key_len(), "{suite:?}");
        assert_eq!(f.ct.len(), MSG.len() + suite.aead.tag_len(), "{suite:?}");
        assert_eq!(
            f.open_enc_ct(&f.enc, &f.ct).as_deref(),
            Ok(MSG),
            "{suite:?} auth={auth}"
        );
        // Empty plaintext, info and aad work too.
        let (enc, ct) = hpke::seal(
            suite,
            f.recipient.public_key(),
            b"",
            b"",
            b"",
            f.sender.as_ref(),
        )
        .expect("seal");
        let pt = hpke::open(suite, &f.recipient, &enc, b"", b"", &ct, f.sender_pk()).expect("open");
        assert!(pt.is_empty());
    }
}

#[test]
fn context_round_trip_and_export_every_suite_and_mode() {
    for (suite, auth) in all_cases() {
        let recipient = PrivateKey::generate(suite);
        let sender = auth.then(|| SenderKey::generate(suite));
        let sender_pk = sender.as_ref().map(SenderKey::public_key);
        let (enc, mut tx) =
            hpke::setup_sender(suite, recipient.public_key(), INFO, sender.as_ref())
                .expect("setup_sender");
        let mut rx =
            hpke::setup_receiver(suite, &recipient, &enc, INFO, sender_pk).expect("setup_receiver");
        assert_eq!(tx.suite(), suite);
        assert_eq!(rx.suite(), suite);
        let cts: Vec<Vec<u8>> = (0u8..5)
            .map(|i| tx.seal(&[i], &[i; 20]).expect("seal"))
            .collect();
        // Same plaintext under successive nonces gives different ciphertexts.
        assert_ne!(cts[0], cts[1]);
        // Out of order fails, without advancing the receiver.
        assert_eq!(
            rx.open(&[1], &cts[1]).map(|p| p.to_vec()),
            Err(HpkeError::Decrypt)
        );
        for (i, ct) in (0u8..).zip(&cts) {
            assert_eq!(&rx.open(&[i], ct).expect("open")[..], &[i; 20]);
        }
        let a = tx.export(b"ctx", 42).expect("export");
        assert_eq!(a.len(), 42);
        assert_eq!(a, rx.export(b"ctx", 42).expect("export"));
        assert_eq!(
            a,
            hpke::export(suite, &recipient, &enc, INFO, b"ctx", 42, sender_pk).expect("export")
        );
        assert_ne!(a, tx.export(b"other ctx", 42).expect("export"));
        assert_eq!(
            tx.export(b"ctx", 255 * 32).expect("max export").len(),
            255 * 32
        );
        assert_eq!(
            tx.export(b"ctx", 255 * 32 + 1),
            Err(HpkeError::ExportTooLong {
                requested: 255 * 32 + 1
            })
        );
        assert_eq!(
            rx.export(b"ctx", 10_000),
            Err(HpkeError::ExportTooLong { requested: 10_000 })
        );
    }
}

#[test]
fn wrong_recipient_key_is_opaque() {
    for (suite, auth) in all_cases() {
        let f = Fixture::new(suite, auth);
        let other = PrivateKey::generate(suite);
        assert_eq!(
            f.open_with(&other, &f.enc, INFO, AAD, &f.ct, f.sender_pk()),
            Err(HpkeError::Decrypt),
            "{suite:?} auth={auth}"
        );
    }
}

#[test]
fn wrong_sender_or_mode_is_opaque() {
    for suite in Suite::ALL {
        let auth = Fixture::new(suite, true);
        let impostor = SenderKey::generate(suite);
        // Wrong sender public key.
        assert_eq!(
            auth.open_with(
                &auth.recipient,
                &auth.enc,
                INFO,
                AAD,
                &auth.ct,
                Some(impostor.public_key())
            ),
            Err(HpkeError::Decrypt),
            "{suite:?}"
        );
        // Auth ciphertext opened in base mode.
        assert_eq!(
            auth.open_with(&auth.recipient, &auth.enc, INFO, AAD, &auth.ct, None),
            Err(HpkeError::Decrypt)
        );
        // Base ciphertext opened in auth mode.
        let base = Fixture::new(suite, false);
        assert_eq!(
            base.open_with(
                &base.recipient,
                &base.enc,
                INFO,
                AAD,
                &base.ct,
                Some(impostor.public_key())
            ),
            Err(HpkeError::Decrypt)
        );
        // The recipient's own public key as "sender" is not the sender either.
        let own = base.recipient.public_key().clone();
        assert_eq!(
            auth.open_with(&auth.recipient, &auth.enc, INFO, AAD, &auth.ct, Some(&own)),
            Err(HpkeError::Decrypt)
        );
    }
}

#[test]
fn changed_info_or_aad_is_opaque() {
    for (suite, auth) in all_cases() {
        let f = Fixture::new(suite, auth);
        let pk = f.sender_pk();
        for info in [&b""[..], b"strongroom test infO", b"strongroom test info "] {
            assert_eq!(
                f.open_with(&f.recipient, &f.enc, info, AAD, &f.ct, pk),
                Err(HpkeError::Decrypt)
            );
        }
        for aad in [&b""[..], b"strongroom test aaD", b"strongroom test aad "] {
            assert_eq!(
                f.open_with(&f.recipient, &f.enc, INFO, aad, &f.ct, pk),
                Err(HpkeError::Decrypt)
            );
        }
    }
}

#[test]
fn every_flipped_bit_in_enc_is_opaque() {
    let mut checked = 0;
    for (suite, auth) in all_cases() {
        let f = Fixture::new(suite, auth);
        for i in 0..f.enc.len() * 8 {
            let mut enc = f.enc.clone();
            enc[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                f.open_enc_ct(&enc, &f.ct),
                Err(HpkeError::Decrypt),
                "{suite:?} auth={auth} bit {i}"
            );
            checked += 1;
        }
        // Wrong lengths of enc are decryption failures too.
        for len in [0, f.enc.len() - 1] {
            assert_eq!(f.open_enc_ct(&f.enc[..len], &f.ct), Err(HpkeError::Decrypt));
        }
        let mut long = f.enc.clone();
        long.push(0);
        assert_eq!(f.open_enc_ct(&long, &f.ct), Err(HpkeError::Decrypt));
    }
    assert_eq!(checked, 2 * 3 * (65 + 32) * 8);
}

#[test]
fn every_flipped_bit_in_ciphertext_is_opaque() {
    for (suite, auth) in all_cases() {
        let f = Fixture::new(suite, auth);
        for i in 0..f.ct.len() * 8 {
            let mut ct = f.ct.clone();
            ct[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                f.open_enc_ct(&f.enc, &ct),
                Err(HpkeError::Decrypt),
                "{suite:?} auth={auth} bit {i}"
            );
        }
        for len in [0, 1, 15, 16, f.ct.len() - 1] {
            assert_eq!(
                f.open_enc_ct(&f.enc, &f.ct[..len]),
                Err(HpkeError::Decrypt),
                "truncated to {len}"
            );
        }
        let mut long = f.ct.clone();
        long.push(0);
        assert_eq!(f.open_enc_ct(&f.enc, &long), Err(HpkeError::Decrypt));
    }
}

#[test]
fn ciphertext_from_another_suite_is_opaque() {
    // Same KEM, different AEAD: the suite id is bound into the key schedule.
    let seal_suite = Suite::new(
        KemId::DhKemX25519HkdfSha256,
        KdfId::HkdfSha256,
        AeadId::Aes256Gcm,
    );
    let f = Fixture::new(seal_suite, false);
    for aead in [AeadId::Aes128Gcm, AeadId::ChaCha20Poly1305] {
        let suite = Suite::new(seal_suite.kem, KdfId::HkdfSha256, aead);
        assert_eq!(
            hpke::open(suite, &f.recipient, &f.enc, INFO, AAD, &f.ct, None).map(|p| p.to_vec()),
            Err(HpkeError::Decrypt)
        );
    }
}

#[test]
fn keys_of_another_kem_are_wrong_suite() {
    for suite in Suite::ALL {
        let f = Fixture::new(suite, true);
        let other = other_kem(suite.kem);
        let foreign = PrivateKey::generate(other);
        let foreign_sender = SenderKey::generate(other);
        let wrong = Err(HpkeError::WrongSuite {
            expected: suite.kem,
            found: other,
        });
        assert_eq!(
            hpke::seal(suite, foreign.public_key(), INFO, AAD, MSG, None).map(|_| ()),
            wrong
        );
        assert_eq!(
            hpke::seal(
                suite,
                f.recipient.public_key(),
                INFO,
                AAD,
                MSG,
                Some(&foreign_sender)
            )
            .map(|_| ()),
            wrong
        );
        assert_eq!(
            f.open_with(&foreign, &f.enc, INFO, AAD, &f.ct, f.sender_pk())
                .map(|_| ()),
            wrong
        );
        assert_eq!(
            f.open_with(
                &f.recipient,
                &f.enc,
                INFO,
                AAD,
                &f.ct,
                Some(foreign_sender.public_key())
            )
            .map(|_| ()),
            wrong
        );
    }
}

#[test]
fn key_serialization_round_trips() {
    for kem in [KemId::DhKemP256HkdfSha256, KemId::DhKemX25519HkdfSha256] {
        let sk = PrivateKey::generate(kem);
        assert_eq!(sk.kem(), kem);
        let sk2 = PrivateKey::from_bytes(kem, &sk.to_bytes()).expect("parse sk");
        assert_eq!(sk2.public_key(), sk.public_key());
        let pk = PublicKey::from_bytes(kem, &sk.public_key().to_bytes()).expect("parse pk");
        assert_eq!(&pk, sk.public_key());
        assert_eq!(pk.kem(), kem);
        // Derivation is deterministic and depends on the ikm.
        let a = PrivateKey::derive(kem, &[1; 32]).expect("derive");
        let b = PrivateKey::derive(kem, &[1; 32]).expect("derive");
        let c = PrivateKey::derive(kem, &[2; 32]).expect("derive");
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert_ne!(a.to_bytes(), c.to_bytes());
    }
}

#[test]
fn malformed_public_keys_are_invalid_key() {
    let p256 = KemId::DhKemP256HkdfSha256;
    let x25519 = KemId::DhKemX25519HkdfSha256;
    let valid = PrivateKey::generate(p256).public_key().to_bytes();

    let mut off_curve = valid.clone();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02];
    compressed.extend_from_slice(&valid[1..33]);
    let mut bad_tag = valid.clone();
    bad_tag[0] = 0x05;
    let mut hybrid = valid.clone();
    hybrid[0] = 0x06;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("identity", vec![0x00]),
        ("compressed", compressed),
        ("truncated", valid[..64].to_vec()),
        ("too long", [&valid[..], &[0]].concat()),
        ("off curve", off_curve),
        ("bad tag", bad_tag),
        ("hybrid tag", hybrid),
        ("all zero", vec![0; 65]),
        ("x = p", [&[0x04][..], &[0xff; 64]].concat()),
    ];
    for (name, bytes) in cases {
        assert_eq!(
            PublicKey::from_bytes(p256, &bytes),
            Err(HpkeError::InvalidKey { kem: p256 }),
            "P-256 {name}"
        );
    }
    for len in [0, 31, 33, 65] {
        assert_eq!(
            PublicKey::from_bytes(x25519, &vec![9; len]),
            Err(HpkeError::InvalidKey { kem: x25519 }),
            "X25519 length {len}"
        );
    }
    // An X25519 key of small order parses (every 32 bytes do) but cannot be sealed to.
    for small_order in [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }] {
        let pk = PublicKey::from_bytes(x25519, &small_order).expect("32 bytes parse");
        assert_eq!(
            hpke::seal(Suite::default(), &pk, INFO, AAD, MSG, None).map(|_| ()),
            Err(HpkeError::InvalidKey { kem: x25519 })
        );
    }
}

#[test]
fn malformed_private_keys_are_invalid_key() {
    let p256 = KemId::DhKemP256HkdfSha256;
    let x25519 = KemId::DhKemX25519HkdfSha256;
    // The P-256 group order n.
    let n = hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
        .expect("hex");
    for (name, bytes) in [
        ("zero", vec![0; 32]),
        ("n", n),
        ("all ones", vec![0xff; 32]),
        ("short", vec![1; 31]),
        ("long", vec![1; 33]),
    ] {
        assert_eq!(
            PrivateKey::from_bytes(p256, &bytes).map(|_| ()),
            Err(HpkeError::InvalidKey { kem: p256 }),
            "P-256 {name}"
        );
    }
    for len in [0, 31, 33] {
        assert_eq!(
            PrivateKey::from_bytes(x25519, &vec![1; len]).map(|_| ()),
            Err(HpkeError::InvalidKey { kem: x25519 })
        );
    }
    for kem in [p256, x25519] {
        assert_eq!(
            PrivateKey::derive(kem, &[7; 31]).map(|_| ()),
            Err(HpkeError::KeyMaterialTooShort { len: 31, min: 32 })
        );
    }
}

#[test]
fn wrapped_key_round_trip() {
    for kem in [KemId::DhKemP256HkdfSha256, KemId::DhKemX25519HkdfSha256] {
        let recipient = PrivateKey::generate(kem);
        for dek in [&[][..], &[0x5a; 16][..], &[0xa5; 32][..]] {
            let wrapped =
                hpke::wrap_key(recipient.public_key(), b"dataset 42 v1", dek).expect("wrap");
            assert_eq!(
                wrapped.suite(),
                Suite::new(kem, KdfId::HkdfSha256, AeadId::Aes256Gcm)
            );
            let bytes = wrapped.to_bytes();
            assert_eq!(bytes.len(), 13 + kem.public_key_len() + dek.len() + 16);
            let (k, d, a) = wrapped.suite().ids();
            assert_eq!(
                bytes[..7],
                [
                    1,
                    (k >> 8) as u8,
                    k as u8,
                    (d >> 8) as u8,
                    d as u8,
                    (a >> 8) as u8,
                    a as u8
                ]
            );
            let parsed = WrappedKey::from_bytes(&bytes).expect("parse");
            assert_eq!(parsed, wrapped);
            assert_eq!(parsed.enc(), wrapped.enc());
            assert_eq!(parsed.ciphertext(), wrapped.ciphertext());
            let out = hpke::unwrap_key(&recipient, b"dataset 42 v1", &parsed).expect("unwrap");
            assert_eq!(&out[..], dek);
        }
    }
}

#[test]
fn wrapped_key_tampering_is_opaque() {
    for kem in [KemId::DhKemP256HkdfSha256, KemId::DhKemX25519HkdfSha256] {
        let recipient = PrivateKey::generate(kem);
        let wrapped = hpke::wrap_key(recipient.public_key(), b"info", &[1; 32]).expect("wrap");
        let bytes = wrapped.to_bytes();
        // Wrong info, wrong recipient.
        assert_eq!(
            hpke::unwrap_key(&recipient, b"inf0", &wrapped).map(|_| ()),
            Err(HpkeError::Decrypt)
        );
        let other = PrivateKey::generate(kem);
        assert_eq!(
            hpke::unwrap_key(&other, b"info", &wrapped).map(|_| ()),
            Err(HpkeError::Decrypt)
        );
        // Every bit of enc and ciphertext (after the header and length fields).
        let enc_start = 9;
        let ct_start = enc_start + kem.public_key_len() + 4;
        for i in (enc_start * 8..(ct_start - 4) * 8).chain(ct_start * 8..bytes.len() * 8) {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            let parsed = WrappedKey::from_bytes(&b).expect("still well-formed");
            assert_eq!(
                hpke::unwrap_key(&recipient, b"info", &parsed).map(|_| ()),
                Err(HpkeError::Decrypt),
                "bit {i}"
            );
        }
        // Relabelling the AEAD in the header (still a supported suite) is caught.
        for aead in [1u8, 3] {
            let mut b = bytes.clone();
            b[6] = aead;
            let parsed = WrappedKey::from_bytes(&b).expect("well-formed");
            assert_eq!(
                hpke::unwrap_key(&recipient, b"info", &parsed).map(|_| ()),
                Err(HpkeError::Decrypt)
            );
        }
        // A key for another KEM is refused by name.
        let foreign = PrivateKey::generate(other_kem(kem));
        assert_eq!(
            hpke::unwrap_key(&foreign, b"info", &wrapped).map(|_| ()),
            Err(HpkeError::WrongSuite {
                expected: kem,
                found: other_kem(kem)
            })
        );
    }
}

#[test]
fn malformed_wrapped_keys_have_specific_errors() {
    let recipient = PrivateKey::generate(KemId::DhKemX25519HkdfSha256);
    let bytes = hpke::wrap_key(recipient.public_key(), b"info", &[1; 32])
        .expect("wrap")
        .to_bytes();
    let is_malformed =
        |r: Result<WrappedKey, HpkeError>| matches!(r, Err(HpkeError::MalformedWrappedKey { .. }));

    // Every truncation.
    for len in 0..bytes.len() {
        assert!(
            is_malformed(WrappedKey::from_bytes(&bytes[..len])),
            "truncated to {len}"
        );
    }
    // Trailing bytes.
    assert!(is_malformed(WrappedKey::from_bytes(
        &[&bytes[..], &[0]].concat()
    )));
    // Version.
    for v in [0u8, 2, 0xff] {
        let mut b = bytes.clone();
        b[0] = v;
        assert_eq!(
            WrappedKey::from_bytes(&b),
            Err(HpkeError::UnsupportedVersion(v))
        );
    }
    // Unsupported suite ids.
    for (at, (kem, kdf, aead)) in [
        (2, (0x0021, 1, 2)),
        (4, (0x0020, 3, 2)),
        (6, (0x0020, 1, 0xff)),
    ] {
        let mut b = bytes.clone();
        b[at] = match at {
            2 => 0x21,
            4 => 0x03,
            _ => 0xff,
        };
        assert_eq!(
            WrappedKey::from_bytes(&b),
            Err(HpkeError::UnsupportedSuite { kem, kdf, aead })
        );
    }
    // enc length that does not match the KEM.
    for enc_len in [0u16, 31, 33, 65] {
        let mut b = bytes.clone();
        b[7..9].copy_from_slice(&enc_len.to_be_bytes());
        assert!(
            is_malformed(WrappedKey::from_bytes(&b)),
            "enc length {enc_len}"
        );
    }
    // A P-256 header with an X25519-sized enc.
    let mut b = bytes.clone();
    b[2] = 0x10;
    assert!(is_malformed(WrappedKey::from_bytes(&b)));
    // Ciphertext length: shorter than a tag, longer than the data, shorter than the data.
    let ct_len_at = 9 + 32;
    for ct_len in [0u32, 15, 49, u32::MAX, 47] {
        let mut b = bytes.clone();
        b[ct_len_at..ct_len_at + 4].copy_from_slice(&ct_len.to_be_bytes());
        assert!(
            is_malformed(WrappedKey::from_bytes(&b)),
            "ciphertext length {ct_len}"
        );
    }
    // A valid-looking P-256 wrapped key whose enc is not a curve point parses, then fails
    // opaquely.
    let p256 = PrivateKey::generate(KemId::DhKemP256HkdfSha256);
    let mut b = hpke::wrap_key(p256.public_key(), b"info", &[1; 32])
        .expect("wrap")
        .to_bytes();
    b[9] = 0x05;
    let parsed = WrappedKey::from_bytes(&b).expect("well-formed");
    assert_eq!(
        hpke::unwrap_key(&p256, b"info", &parsed).map(|_| ()),
        Err(HpkeError::Decrypt)
    );
}
