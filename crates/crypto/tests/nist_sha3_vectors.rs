//! NIST CAVP SHA3-256 and SHA3-384 vectors (ShortMsg, LongMsg, Monte Carlo) run
//! through [`CryptoProvider::hash`].
//!
//! The `.rsp` files come from the PyPI package `cryptography-vectors`; fetch them with
//! `scripts/fetch-test-vectors.sh`. They are read from `$STRONGROOM_TEST_VECTORS/nist/sha3`
//! or `<workspace>/target/test-vectors/nist/sha3`. Missing files fail the test.

use std::path::PathBuf;

use strongroom_crypto::provider::{HashAlgorithm, default_provider};

fn vectors_dir() -> PathBuf {
    let root = std::env::var_os("STRONGROOM_TEST_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-vectors")
        });
    root.join("nist").join("sha3")
}

fn read_vectors(file: &str) -> String {
    let path = vectors_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read NIST vector file {} ({error}); run `bash scripts/fetch-test-vectors.sh` \
             from the workspace root (or set STRONGROOM_TEST_VECTORS)",
            path.display()
        )
    })
}

/// The `key = value` pairs of an `.rsp` file, in order, without comments and headers.
fn fields(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('['))
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("malformed line {line:?}"));
            (key.trim(), value.trim())
        })
}

/// Runs a ShortMsg or LongMsg file and returns the number of vectors checked.
fn run_message_file(file: &str, algorithm: HashAlgorithm) -> usize {
    let text = read_vectors(file);
    let mut fields = fields(&text);
    let mut checked = 0;
    while let Some((key, len)) = fields.next() {
        assert_eq!(key, "Len", "{file}: expected Len");
        let bits: usize = len.parse().expect("Len");
        assert_eq!(bits % 8, 0, "{file}: bit-oriented message");
        let (key, msg) = fields.next().expect("Msg");
        assert_eq!(key, "Msg", "{file}");
        let (key, md) = fields.next().expect("MD");
        assert_eq!(key, "MD", "{file}");

        let msg = hex::decode(msg).expect("Msg hex");
        // `Len = 0` is written as `Msg = 00`.
        let msg = &msg[..bits / 8];
        let digest = default_provider().hash(algorithm, msg).expect("hash");
        assert_eq!(
            hex::encode(digest),
            md.to_lowercase(),
            "{file}: Len = {bits}"
        );
        checked += 1;
    }
    checked
}

/// Runs a Monte Carlo file (SHA3VS: `MD[i] = SHA3(MD[i-1])`, 1000 iterations per
/// checkpoint) and returns the number of checkpoints checked.
fn run_monte_file(file: &str, algorithm: HashAlgorithm) -> usize {
    let text = read_vectors(file);
    let mut fields = fields(&text);
    let (key, seed) = fields.next().expect("Seed");
    assert_eq!(key, "Seed", "{file}");
    let mut md = hex::decode(seed).expect("Seed hex");
    let mut checked = 0;
    while let Some((key, count)) = fields.next() {
        assert_eq!(key, "COUNT", "{file}");
        assert_eq!(count.parse::<usize>().expect("COUNT"), checked, "{file}");
        let (key, expected) = fields.next().expect("MD");
        assert_eq!(key, "MD", "{file}");
        for _ in 0..1000 {
            md = default_provider().hash(algorithm, &md).expect("hash");
        }
        assert_eq!(
            hex::encode(&md),
            expected.to_lowercase(),
            "{file}: COUNT = {checked}"
        );
        checked += 1;
    }
    checked
}

fn run_all(name: &str, algorithm: HashAlgorithm) {
    let short = run_message_file(&format!("{name}ShortMsg.rsp"), algorithm);
    let long = run_message_file(&format!("{name}LongMsg.rsp"), algorithm);
    let monte = run_monte_file(&format!("{name}Monte.rsp"), algorithm);
    println!("{name}: {short} ShortMsg, {long} LongMsg, {monte} Monte Carlo checkpoints passed");
    assert!(short > 0 && long > 0, "{name}: no message vectors");
    assert_eq!(monte, 100, "{name}: Monte Carlo checkpoints");
}

#[test]
fn sha3_256() {
    run_all("SHA3_256", HashAlgorithm::Sha3_256);
}

#[test]
fn sha3_384() {
    run_all("SHA3_384", HashAlgorithm::Sha3_384);
}
