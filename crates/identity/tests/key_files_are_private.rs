//! Credentials on disk are private (0600), optionally encrypted, never overwritten or
//! half-written, and anything wrong with them is refused with a clear error.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use strongroom_identity::{CredentialError, Member, OrgCa, Role, verify_member};
use time::OffsetDateTime;

use common::{org, year};

#[allow(clippy::unwrap_used)] // test helper
fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[allow(clippy::unwrap_used)] // test helper
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn saved_files_have_mode_0600_and_load_back() {
    let now = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().unwrap();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Analyst, year(now)).unwrap();
    alice.save(dir.path(), None).unwrap();
    ca.save(dir.path(), None).unwrap();

    // Exactly the four files, no temporary leftovers.
    assert_eq!(
        entries(dir.path()),
        ["alice.key.pem", "alice.pem", "ca.key.pem", "ca.pem"]
    );
    for name in entries(dir.path()) {
        assert_eq!(mode(&dir.path().join(&name)), 0o600, "{name}");
    }
    let key_pem = fs::read_to_string(dir.path().join("alice.key.pem")).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));

    let loaded = Member::load(dir.path(), "alice", None).unwrap();
    assert_eq!(loaded.cert_der(), alice.cert_der());
    assert_eq!(loaded.public_key(), alice.public_key());
    assert_eq!(loaded.role(), Role::Analyst);
    let loaded_ca = OrgCa::load(dir.path(), None).unwrap();
    assert_eq!(loaded_ca.cert_der(), ca.cert_der());
    assert_eq!(loaded_ca.msp_id(), "Org1MSP");
}

#[test]
fn encrypted_keys_round_trip_and_stay_usable() {
    let now = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().unwrap();
    let ca = org("Org1MSP", now);
    ca.save(dir.path(), Some("correct horse")).unwrap();

    let key_pem = fs::read_to_string(dir.path().join("ca.key.pem")).unwrap();
    assert!(key_pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(!key_pem.contains("BEGIN PRIVATE KEY"));

    let loaded = OrgCa::load(dir.path(), Some("correct horse")).unwrap();
    assert_eq!(loaded.cert_der(), ca.cert_der());
    // The reloaded CA issues certificates that chain to the original root.
    let bob = loaded.enroll_member("bob", Role::Owner, year(now)).unwrap();
    verify_member(bob.cert_der(), ca.cert_der(), "Org1MSP", now).unwrap();

    bob.save(dir.path(), Some("s3cret")).unwrap();
    let bob_again = Member::load(dir.path(), "bob", Some("s3cret")).unwrap();
    assert_eq!(bob_again.public_key(), bob.public_key());
}

#[test]
fn wrong_or_missing_passphrase_is_a_clear_error() {
    let now = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().unwrap();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    alice.save(dir.path(), Some("right")).unwrap();

    let err = Member::load(dir.path(), "alice", Some("wrong")).unwrap_err();
    assert!(
        matches!(err, CredentialError::WrongPassphrase { ref path } if path.ends_with("alice.key.pem")),
        "{err:?}"
    );
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert!(matches!(
        Member::load(dir.path(), "alice", None),
        Err(CredentialError::PassphraseRequired { .. })
    ));

    let plain = tempfile::tempdir().unwrap();
    alice.save(plain.path(), None).unwrap();
    assert!(matches!(
        Member::load(plain.path(), "alice", Some("right")),
        Err(CredentialError::NotEncrypted { .. })
    ));
    assert!(matches!(
        alice.save(tempfile::tempdir().unwrap().path(), Some("")),
        Err(CredentialError::EmptyPassphrase)
    ));
}

#[test]
fn existing_files_are_never_overwritten() {
    let now = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().unwrap();
    let ca = org("Org1MSP", now);
    ca.save(dir.path(), None).unwrap();
    let cert_before = fs::read(dir.path().join("ca.pem")).unwrap();
    let key_before = fs::read(dir.path().join("ca.key.pem")).unwrap();

    let other = org("Org1MSP", now);
    let err = other.save(dir.path(), None).unwrap_err();
    assert!(
        matches!(err, CredentialError::AlreadyExists { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(fs::read(dir.path().join("ca.pem")).unwrap(), cert_before);
    assert_eq!(fs::read(dir.path().join("ca.key.pem")).unwrap(), key_before);

    // Only the key file exists: refused, and no certificate file appears either.
    let half = tempfile::tempdir().unwrap();
    fs::write(half.path().join("alice.key.pem"), b"occupied").unwrap();
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    assert!(matches!(
        alice.save(half.path(), None),
        Err(CredentialError::AlreadyExists { ref path }) if path.ends_with("alice.key.pem")
    ));
    assert_eq!(entries(half.path()), ["alice.key.pem"]);
    assert_eq!(
        fs::read(half.path().join("alice.key.pem")).unwrap(),
        b"occupied"
    );
}

#[test]
fn key_readable_by_others_is_refused() {
    let now = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().unwrap();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    alice.save(dir.path(), None).unwrap();
    let key_path = dir.path().join("alice.key.pem");

    for loose in [0o644, 0o640, 0o604, 0o660] {
        fs::set_permissions(&key_path, fs::Permissions::from_mode(loose)).unwrap();
        let err = Member::load(dir.path(), "alice", None).unwrap_err();
        assert!(
            matches!(err, CredentialError::InsecurePermissions { mode, .. } if mode == loose),
            "{loose:o}: {err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o400)).unwrap();
    Member::load(dir.path(), "alice", None).unwrap();
}

#[test]
fn truncated_or_garbage_files_are_malformed() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();

    for encrypted in [None, Some("pw")] {
        let dir = tempfile::tempdir().unwrap();
        alice.save(dir.path(), encrypted).unwrap();
        let key_path = dir.path().join("alice.key.pem");
        let good = fs::read(&key_path).unwrap();
        for bad in [
            good[..good.len() / 2].to_vec(),
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
            b"hello".to_vec(),
            Vec::new(),
        ] {
            fs::write(&key_path, &bad).unwrap();
            let err = Member::load(dir.path(), "alice", encrypted).unwrap_err();
            assert!(
                matches!(err, CredentialError::Malformed { ref path, .. } if path == &key_path),
                "{:?}: {err:?}",
                String::from_utf8_lossy(&bad)
            );
        }
        // A truncated certificate next to a good key.
        fs::write(&key_path, &good).unwrap();
        let cert_path = dir.path().join("alice.pem");
        let cert = fs::read(&cert_path).unwrap();
        fs::write(&cert_path, &cert[..cert.len() - 40]).unwrap();
        assert!(matches!(
            Member::load(dir.path(), "alice", encrypted),
            Err(CredentialError::Malformed { ref path, .. }) if path == &cert_path
        ));
    }
}

#[test]
fn key_from_another_member_is_refused() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    let bob = ca.enroll_member("bob", Role::Owner, year(now)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    alice.save(dir.path(), None).unwrap();
    bob.save(dir.path(), None).unwrap();
    fs::remove_file(dir.path().join("alice.key.pem")).unwrap();
    fs::copy(
        dir.path().join("bob.key.pem"),
        dir.path().join("alice.key.pem"),
    )
    .unwrap();
    assert!(matches!(
        Member::load(dir.path(), "alice", None),
        Err(CredentialError::CertificateMismatch)
    ));
    // Names that would escape the directory are refused before touching the disk.
    assert!(matches!(
        Member::load(dir.path(), "../alice", None),
        Err(CredentialError::InvalidName(_))
    ));
}

#[test]
fn node_credentials_round_trip_with_tls_ready_key() {
    let now = OffsetDateTime::now_utc();
    let ca = org("Org1MSP", now);
    let node = ca
        .enroll_node(
            "node1",
            &[strongroom_identity::SubjectAltName::Dns(
                "node1.org1.example".to_owned(),
            )],
            year(now),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    node.save(dir.path(), None).unwrap();
    assert_eq!(mode(&dir.path().join("node1.key.pem")), 0o600);
    let loaded = strongroom_identity::Node::load(dir.path(), "node1", None).unwrap();
    assert_eq!(loaded.cert_der(), node.cert_der());
    assert_eq!(
        *loaded.private_key_pkcs8_der().unwrap(),
        *node.private_key_pkcs8_der().unwrap()
    );
    // A member's files are not a node's.
    let alice = ca.enroll_member("alice", Role::Owner, year(now)).unwrap();
    alice.save(dir.path(), None).unwrap();
    assert!(matches!(
        strongroom_identity::Node::load(dir.path(), "alice", None),
        Err(CredentialError::InvalidCertificate { .. })
    ));
}
