//! Known-answer tests: the RFC 9180 test vectors, for every entry in a suite and mode
//! that `strongroom_crypto::hpke` supports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use strongroom_crypto::hpke::{self, PrivateKey, PublicKey, SenderKey, Suite};

const MODE_BASE: u8 = 0x00;
const MODE_AUTH: u8 = 0x02;
/// The modes this module supports; psk (0x01) and auth-psk (0x03) are not offered.
const SUPPORTED_MODES: [u8; 2] = [MODE_BASE, MODE_AUTH];

#[derive(Deserialize)]
struct Entry {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    #[serde(with = "hex_string")]
    info: Vec<u8>,
    #[serde(rename = "ikmR", with = "hex_string")]
    ikm_r: Vec<u8>,
    #[serde(rename = "ikmS", default, with = "hex_string")]
    ikm_s: Vec<u8>,
    #[serde(rename = "ikmE", with = "hex_string")]
    ikm_e: Vec<u8>,
    #[serde(rename = "skRm", with = "hex_string")]
    sk_rm: Vec<u8>,
    #[serde(rename = "pkRm", with = "hex_string")]
    pk_rm: Vec<u8>,
    #[serde(rename = "skSm", default, with = "hex_string")]
    sk_sm: Vec<u8>,
    #[serde(rename = "pkSm", default, with = "hex_string")]
    pk_sm: Vec<u8>,
    #[serde(rename = "pkEm", with = "hex_string")]
    pk_em: Vec<u8>,
    #[serde(with = "hex_string")]
    enc: Vec<u8>,
    encryptions: Vec<Encryption>,
    exports: Vec<Export>,
}

#[derive(Deserialize)]
struct Encryption {
    #[serde(with = "hex_string")]
    aad: Vec<u8>,
    #[serde(with = "hex_string")]
    ct: Vec<u8>,
    #[serde(with = "hex_string")]
    pt: Vec<u8>,
}

#[derive(Deserialize)]
struct Export {
    #[serde(with = "hex_string")]
    exporter_context: Vec<u8>,
    #[serde(rename = "L")]
    len: usize,
    #[serde(with = "hex_string")]
    exported_value: Vec<u8>,
}

/// Serde adapter for hex-encoded byte strings.
mod hex_string {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

fn load_vectors() -> Vec<Entry> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/crypto/hpke/rfc9180-test-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "RFC 9180 test vectors missing: expected them at {} \
             (/work/shared/data/crypto/hpke/rfc9180-test-vectors.json): {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// Whether the entry's suite and mode are ones we claim to support, decided from the
/// raw identifiers (independently of `Suite::from_ids`).
fn applicable(e: &Entry) -> bool {
    SUPPORTED_MODES.contains(&e.mode)
        && [0x0010, 0x0020].contains(&e.kem_id)
        && e.kdf_id == 0x0001
        && [0x0001, 0x0002, 0x0003].contains(&e.aead_id)
}

/// A "random" generator that replays fixed bytes, so that the sender's ephemeral key is
/// `DeriveKeyPair(ikmE)` as in the vectors.
struct ReplayRng(Vec<u8>);

impl rand_core::RngCore for ReplayRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(dest.len() <= self.0.len(), "ReplayRng exhausted");
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for ReplayRng {}

/// Checks one entry completely; panics with the entry's identity on any mismatch.
fn check_entry(e: &Entry) {
    let id = format!(
        "mode {} kem {:#06x} kdf {:#06x} aead {:#06x}",
        e.mode, e.kem_id, e.kdf_id, e.aead_id
    );
    let suite = Suite::from_ids(e.kem_id, e.kdf_id, e.aead_id).expect("supported suite");

    // Recipient key: DeriveKeyPair(ikmR), serialization and parsing.
    let sk_r = PrivateKey::derive(suite, &e.ikm_r).expect("derive skR");
    assert_eq!(&sk_r.to_bytes()[..], &e.sk_rm[..], "{id}: skRm");
    assert_eq!(sk_r.public_key().to_bytes(), e.pk_rm, "{id}: pkRm");
    let parsed_sk = PrivateKey::from_bytes(suite, &e.sk_rm).expect("parse skRm");
    assert_eq!(
        parsed_sk.public_key(),
        sk_r.public_key(),
        "{id}: pk of parsed skRm"
    );
    let pk_r = PublicKey::from_bytes(suite, &e.pk_rm).expect("parse pkRm");
    assert_eq!(&pk_r, sk_r.public_key(), "{id}: parsed pkRm");

    // Sender key (auth mode): DeriveKeyPair(ikmS).
    let sender = (e.mode == MODE_AUTH).then(|| {
        let sk_s = PrivateKey::derive(suite, &e.ikm_s).expect("derive skS");
        assert_eq!(&sk_s.to_bytes()[..], &e.sk_sm[..], "{id}: skSm");
        assert_eq!(sk_s.public_key().to_bytes(), e.pk_sm, "{id}: pkSm");
        SenderKey::new(sk_s)
    });
    let sender_pk = sender.as_ref().map(|s| s.public_key().clone());

    // Ephemeral key: DeriveKeyPair(ikmE) has public key `enc`.
    let sk_e = PrivateKey::derive(suite, &e.ikm_e).expect("derive skE");
    assert_eq!(sk_e.public_key().to_bytes(), e.enc, "{id}: enc");
    assert_eq!(e.pk_em, e.enc, "{id}: pkEm == enc");

    // Receiver: open every ciphertext in sequence, then check every export.
    let mut receiver = hpke::setup_receiver(suite, &sk_r, &e.enc, &e.info, sender_pk.as_ref())
        .expect("setup_receiver");
    for (i, x) in e.encryptions.iter().enumerate() {
        let pt = receiver
            .open(&x.aad, &x.ct)
            .unwrap_or_else(|err| panic!("{id}: open #{i}: {err}"));
        assert_eq!(&pt[..], &x.pt[..], "{id}: pt #{i}");
    }
    for (i, x) in e.exports.iter().enumerate() {
        let v = receiver
            .export(&x.exporter_context, x.len)
            .expect("receiver export");
        assert_eq!(&v[..], &x.exported_value[..], "{id}: receiver export #{i}");
        let v = hpke::export(
            suite,
            &sk_r,
            &e.enc,
            &e.info,
            &x.exporter_context,
            x.len,
            sender_pk.as_ref(),
        )
        .expect("single-shot export");
        assert_eq!(
            &v[..],
            &x.exported_value[..],
            "{id}: single-shot export #{i}"
        );
    }

    // Single-shot open of the first ciphertext (sequence number 0).
    let first = e.encryptions.first().expect("vectors have encryptions");
    let pt = hpke::open(
        suite,
        &sk_r,
        &e.enc,
        &e.info,
        &first.aad,
        &first.ct,
        sender_pk.as_ref(),
    )
    .expect("single-shot open");
    assert_eq!(&pt[..], &first.pt[..], "{id}: single-shot open");

    // Sender with the fixed ephemeral key reproduces enc, every ciphertext and export.
    let mut rng = ReplayRng(e.ikm_e.clone());
    let (enc, mut ctx) =
        hpke::setup_sender_with_rng(suite, &pk_r, &e.info, sender.as_ref(), &mut rng)
            .expect("setup_sender");
    assert_eq!(enc, e.enc, "{id}: sender enc");
    for (i, x) in e.encryptions.iter().enumerate() {
        assert_eq!(
            ctx.seal(&x.aad, &x.pt).expect("seal"),
            x.ct,
            "{id}: sender ct #{i}"
        );
    }
    for (i, x) in e.exports.iter().enumerate() {
        let v = ctx
            .export(&x.exporter_context, x.len)
            .expect("sender export");
        assert_eq!(&v[..], &x.exported_value[..], "{id}: sender export #{i}");
    }
}

#[test]
fn rfc9180_vectors() {
    let entries = load_vectors();
    assert_eq!(entries.len(), 128, "expected the full RFC 9180 vector file");

    let mut passed: BTreeMap<(u8, u16, u16, u16), usize> = BTreeMap::new();
    let mut applicable_count = 0;
    let (mut encryptions, mut exports) = (0, 0);
    for e in &entries {
        if !applicable(e) {
            // Unsupported suites must be refused by name, not silently mapped.
            if !SUPPORTED_MODES.contains(&e.mode) {
                continue;
            }
            assert!(
                Suite::from_ids(e.kem_id, e.kdf_id, e.aead_id).is_err(),
                "suite {:#06x}/{:#06x}/{:#06x} is accepted but not counted as supported",
                e.kem_id,
                e.kdf_id,
                e.aead_id
            );
            continue;
        }
        applicable_count += 1;
        check_entry(e);
        encryptions += e.encryptions.len();
        exports += e.exports.len();
        *passed
            .entry((e.mode, e.kem_id, e.kdf_id, e.aead_id))
            .or_default() += 1;
    }

    for ((mode, kem, kdf, aead), n) in &passed {
        println!("mode {mode:#04x} kem {kem:#06x} kdf {kdf:#06x} aead {aead:#06x}: {n} passed");
    }
    let total: usize = passed.values().sum();
    println!(
        "{total} of {applicable_count} applicable entries passed ({encryptions} ciphertexts, {exports} exports); {} entries not applicable",
        entries.len() - applicable_count
    );

    assert_eq!(total, applicable_count, "an applicable entry was skipped");
    let covered: BTreeSet<_> = passed.keys().copied().collect();
    let claimed: BTreeSet<_> = SUPPORTED_MODES
        .iter()
        .flat_map(|&mode| {
            Suite::ALL.iter().map(move |s| {
                let (kem, kdf, aead) = s.ids();
                (mode, kem, kdf, aead)
            })
        })
        .collect();
    assert_eq!(
        covered, claimed,
        "covered suites differ from the supported ones"
    );
}
