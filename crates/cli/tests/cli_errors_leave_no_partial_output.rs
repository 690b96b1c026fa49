//! The `strongroom` command end to end: what works, and that every failure exits
//! non-zero with a one-line reason and leaves no output file behind.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn strongroom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .current_dir(dir)
        .args(args)
        .env("ORG_PASS", "correct horse battery staple")
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = strongroom(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns its one-line error.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = strongroom(dir, args);
    assert!(!out.status.success(), "{args:?} should have failed");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("strongroom: error: "), "{stderr}");
    stderr
}

fn no_leftovers(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !name.ends_with(".tmp"),
            "temporary file left behind: {name}"
        );
    }
}

#[test]
fn encrypt_decrypt_round_trip_and_key_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(d.join("data.csv"), &data).unwrap();
    ok(d, &["crypto", "keygen", "--out", "dek.key"]);
    let mode = std::fs::metadata(d.join("dek.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    ok(
        d,
        &[
            "crypto",
            "encrypt",
            "--key",
            "dek.key",
            "--in",
            "data.csv",
            "--out",
            "data.enc",
            "--chunk-size",
            "4096",
        ],
    );
    let sealed = std::fs::read(d.join("data.enc")).unwrap();
    assert_ne!(&sealed[..], &data[..]);
    ok(
        d,
        &[
            "crypto", "decrypt", "--key", "dek.key", "--in", "data.enc", "--out", "data.out",
        ],
    );
    assert_eq!(std::fs::read(d.join("data.out")).unwrap(), data);
    no_leftovers(d);
}

#[test]
fn damaged_object_or_wrong_key_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), vec![7u8; 200_000]).unwrap();
    ok(d, &["crypto", "keygen", "--out", "dek.key"]);
    ok(d, &["crypto", "keygen", "--out", "other.key"]);
    ok(
        d,
        &[
            "crypto", "encrypt", "--key", "dek.key", "--in", "data.csv", "--out", "data.enc",
        ],
    );
    let sealed = std::fs::read(d.join("data.enc")).unwrap();

    // An altered byte in the second chunk: the first chunk authenticated, but nothing
    // may be left behind.
    let mut altered = sealed.clone();
    altered[80 + 65_560 + 100] ^= 1;
    std::fs::write(d.join("altered.enc"), &altered).unwrap();
    let error = fails(
        d,
        &[
            "crypto",
            "decrypt",
            "--key",
            "dek.key",
            "--in",
            "altered.enc",
            "--out",
            "out",
        ],
    );
    assert!(error.contains("chunk 1"), "{error}");
    assert!(!d.join("out").exists());

    // Truncated: the final chunk is missing.
    std::fs::write(d.join("cut.enc"), &sealed[..80 + 2 * 65_560]).unwrap();
    let error = fails(
        d,
        &[
            "crypto", "decrypt", "--key", "dek.key", "--in", "cut.enc", "--out", "out",
        ],
    );
    assert!(error.contains("truncated"), "{error}");
    assert!(!d.join("out").exists());

    let error = fails(
        d,
        &[
            "crypto",
            "decrypt",
            "--key",
            "other.key",
            "--in",
            "data.enc",
            "--out",
            "out",
        ],
    );
    assert!(error.contains("wrong key"), "{error}");
    assert!(!d.join("out").exists());

    // A key file that is not one, and a missing input.
    std::fs::write(d.join("bad.key"), "hello").unwrap();
    let error = fails(
        d,
        &[
            "crypto", "encrypt", "--key", "bad.key", "--in", "data.csv", "--out", "out",
        ],
    );
    assert!(error.contains("bad.key"), "{error}");
    let error = fails(
        d,
        &[
            "crypto",
            "encrypt",
            "--key",
            "dek.key",
            "--in",
            "missing.csv",
            "--out",
            "out",
        ],
    );
    assert!(error.contains("missing.csv"), "{error}");
    assert!(!d.join("out").exists());
    no_leftovers(d);
}

#[test]
fn existing_outputs_are_never_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), b"a,b\n1,2\n").unwrap();
    ok(d, &["crypto", "keygen", "--out", "dek.key"]);
    let key = std::fs::read(d.join("dek.key")).unwrap();
    fails(d, &["crypto", "keygen", "--out", "dek.key"]);
    assert_eq!(std::fs::read(d.join("dek.key")).unwrap(), key);

    std::fs::write(d.join("data.enc"), b"precious").unwrap();
    let error = fails(
        d,
        &[
            "crypto", "encrypt", "--key", "dek.key", "--in", "data.csv", "--out", "data.enc",
        ],
    );
    assert!(error.contains("already exists"), "{error}");
    assert_eq!(std::fs::read(d.join("data.enc")).unwrap(), b"precious");
    ok(
        d,
        &[
            "crypto", "encrypt", "--key", "dek.key", "--in", "data.csv", "--out", "data.enc",
            "--force",
        ],
    );
    assert_ne!(std::fs::read(d.join("data.enc")).unwrap(), b"precious");
    no_leftovers(d);
}

#[test]
fn members_sign_and_verify_files_against_their_org() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["org", "init", "--msp", "Org1MSP", "--dir", "org1"]);
    ok(
        d,
        &[
            "org",
            "init",
            "--msp",
            "Org2MSP",
            "--dir",
            "org2",
            "--passphrase-env",
            "ORG_PASS",
        ],
    );
    let out = ok(
        d,
        &[
            "member", "enroll", "--ca", "org1", "--name", "alice", "--role", "analyst", "--out",
            "alice",
        ],
    );
    assert!(
        out.contains("alice") && out.contains("analyst") && out.contains("Org1MSP"),
        "{out}"
    );
    // An encrypted CA needs its passphrase.
    let error = fails(
        d,
        &[
            "member", "enroll", "--ca", "org2", "--name", "bob", "--role", "owner", "--out", "bob",
        ],
    );
    assert!(error.contains("passphrase"), "{error}");
    ok(
        d,
        &[
            "member",
            "enroll",
            "--ca",
            "org2",
            "--ca-passphrase-env",
            "ORG_PASS",
            "--name",
            "bob",
            "--role",
            "owner",
            "--out",
            "bob",
        ],
    );
    let error = fails(
        d,
        &[
            "member", "enroll", "--ca", "org1", "--name", "carol", "--role", "janitor", "--out",
            "carol",
        ],
    );
    assert!(error.contains("janitor"), "{error}");

    std::fs::write(d.join("report.txt"), b"allele counts").unwrap();
    ok(
        d,
        &[
            "crypto",
            "sign",
            "--credentials",
            "alice",
            "--name",
            "alice",
            "--in",
            "report.txt",
            "--out",
            "report.sig",
        ],
    );
    let out = ok(
        d,
        &[
            "crypto",
            "verify",
            "--in",
            "report.txt",
            "--signature",
            "report.sig",
            "--trust",
            "Org1MSP=org1/ca.pem",
        ],
    );
    assert!(out.contains("alice (analyst, Org1MSP)"), "{out}");

    // Trusting only Org2, or checking Org1's signer against Org2's CA: refused.
    let error = fails(
        d,
        &[
            "crypto",
            "verify",
            "--in",
            "report.txt",
            "--signature",
            "report.sig",
            "--trust",
            "Org2MSP=org2/ca.pem",
        ],
    );
    assert!(error.contains("not valid"), "{error}");
    let error = fails(
        d,
        &[
            "crypto",
            "verify",
            "--in",
            "report.txt",
            "--signature",
            "report.sig",
            "--trust",
            "Org1MSP=org2/ca.pem",
        ],
    );
    assert!(error.contains("not valid"), "{error}");
    // A changed file.
    std::fs::write(d.join("report.txt"), b"allele counts!").unwrap();
    let error = fails(
        d,
        &[
            "crypto",
            "verify",
            "--in",
            "report.txt",
            "--signature",
            "report.sig",
            "--trust",
            "Org1MSP=org1/ca.pem",
        ],
    );
    assert!(error.contains("does not match"), "{error}");

    let sha = ok(
        d,
        &["crypto", "hash", "--algorithm", "sha3-256", "report.txt"],
    );
    let expected = strongroom_crypto::provider::default_provider()
        .hash(
            strongroom_crypto::provider::HashAlgorithm::Sha3_256,
            b"allele counts!",
        )
        .unwrap();
    assert_eq!(sha, format!("{}  report.txt\n", hex::encode(expected)));
    no_leftovers(d);
}

#[test]
fn usage_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let error = fails(dir.path(), &["crypto", "encrypt", "--key"]);
    assert!(error.contains("--key"), "{error}");
    fails(dir.path(), &["no-such-command"]);
}

#[test]
fn every_command_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["--help"][..],
        &["crypto", "encrypt", "--help"],
        &["crypto", "decrypt", "--help"],
        &["crypto", "keygen", "--help"],
        &["crypto", "hash", "--help"],
        &["crypto", "sign", "--help"],
        &["crypto", "verify", "--help"],
        &["org", "init", "--help"],
        &["member", "enroll", "--help"],
        &["bench", "crypto", "--help"],
    ] {
        let out = ok(dir.path(), command);
        assert!(out.contains("Usage:"), "{command:?}: {out}");
        assert!(out.lines().count() > 4, "{command:?}: {out}");
    }
}
