//! `strongroom ledger verify` and `verify-receipt` check a real redb ledger and its
//! receipts with no node running, and name the first bad entry.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use redb::ReadableTable;
use strongroom_crypto::provider::{EcdsaCurve, SigningKey, default_provider};
use strongroom_ledger::{Appender, EntryKind, LedgerStore, Receipt, SignatureSchedule};

fn strongroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(args)
        .output()
        .unwrap()
}

/// Genesis, 20 transactions and signatures every 4 entries; returns the appender.
fn build(path: &Path, key: SigningKey) -> Appender {
    let store = LedgerStore::open(path).unwrap();
    let schedule = SignatureSchedule {
        max_entries: 4,
        max_interval_ms: 1_000_000,
    };
    let mut appender = Appender::new(key, schedule);
    let mut entries = appender
        .append(EntryKind::Genesis, b"genesis".to_vec(), 1)
        .unwrap();
    for i in 0..20u64 {
        entries.extend(
            appender
                .append(
                    EntryKind::Transaction,
                    format!("tx {i}").into_bytes(),
                    2 + i,
                )
                .unwrap(),
        );
    }
    entries.push(appender.sign_now(100).unwrap());
    store.append_batch(&entries).unwrap();
    appender
}

fn write_spki(path: &Path, key: &SigningKey) {
    std::fs::write(path, key.verifying_key().to_spki_der().unwrap()).unwrap();
}

#[test]
fn intact_ledger_and_receipt_verify_and_tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let provider = default_provider();
    let key = provider.generate_signing_key(EcdsaCurve::P256).unwrap();
    let other = provider.generate_signing_key(EcdsaCurve::P256).unwrap();
    write_spki(&d.join("service.der"), &key);
    write_spki(&d.join("other.der"), &other);
    let appender = build(&d.join("ledger.redb"), key);

    let out = strongroom(&[
        "ledger",
        "verify",
        d.to_str().unwrap(),
        "--service-key",
        d.join("service.der").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("ledger ok: "), "{stdout}");

    // Signed by someone else than the pinned service key: refused.
    let out = strongroom(&[
        "ledger",
        "verify",
        d.to_str().unwrap(),
        "--service-key",
        d.join("other.der").to_str().unwrap(),
    ]);
    assert!(!out.status.success());

    // A receipt for entry 7, verified offline.
    let store = LedgerStore::open(d.join("ledger.redb")).unwrap();
    let receipt = Receipt::from_store(&store, appender.tree(), 7).unwrap();
    drop(store);
    std::fs::write(d.join("r7.json"), receipt.encode().unwrap()).unwrap();
    let out = strongroom(&[
        "ledger",
        "verify-receipt",
        d.join("r7.json").to_str().unwrap(),
        "--service-key",
        d.join("service.der").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("entry 7"));
    let out = strongroom(&[
        "ledger",
        "verify-receipt",
        d.join("r7.json").to_str().unwrap(),
        "--service-key",
        d.join("other.der").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    // A receipt whose entry was changed.
    let mut changed = receipt.clone();
    let mut entry = hex::decode(&changed.entry).unwrap();
    let last = entry.len() - 1;
    entry[last] ^= 1;
    changed.entry = hex::encode(entry);
    std::fs::write(d.join("bad.json"), changed.encode().unwrap()).unwrap();
    let out = strongroom(&[
        "ledger",
        "verify-receipt",
        d.join("bad.json").to_str().unwrap(),
    ]);
    assert!(!out.status.success());

    // Flip one byte of entry 9 on disk: verification names entry 9.
    {
        let db = redb::Database::open(d.join("ledger.redb")).unwrap();
        let table: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("entries");
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(table).unwrap();
            let mut value = t.get(9).unwrap().unwrap().value().to_vec();
            let last = value.len() - 1;
            value[last] ^= 0x20;
            t.insert(9, value.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let out = strongroom(&["ledger", "verify", d.join("ledger.redb").to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("entry 9:"), "{stderr}");
}

#[test]
fn missing_ledger_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let out = strongroom(&["ledger", "verify", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("no ledger"));
    assert!(!dir.path().join("ledger.redb").exists());
}

#[test]
fn a_node_ledger_exports_and_the_export_verifies_offline() {
    use strongroom_consensus::{ChainApplier, ConsensusNode, NodeConfig};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = default_provider()
        .generate_signing_key(EcdsaCurve::P256)
        .unwrap();
    write_spki(&d.join("service.der"), &key);
    // A real node writes the ledger: genesis and 30 transactions through openraft.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = ConsensusNode::start_single(
            NodeConfig::single(d.join("node")),
            key,
            ChainApplier::default(),
        )
        .await
        .unwrap();
        for i in 0..30 {
            node.propose(format!("tx {i}").into_bytes()).await.unwrap();
        }
        node.shutdown().await.unwrap();
    });
    let node = d.join("node").to_string_lossy().into_owned();
    let export = d.join("ledger.export");
    let export_arg = export.to_string_lossy().into_owned();
    let service = d.join("service.der").to_string_lossy().into_owned();

    let out = strongroom(&["ledger", "verify", &node, "--service-key", &service]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = strongroom(&["ledger", "export", &node, "--out", &export_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = strongroom(&["ledger", "verify", &export_arg, "--service-key", &service]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ledger ok: "));

    // Exporting again without --force leaves the existing export alone.
    let before = std::fs::read(&export).unwrap();
    let out = strongroom(&["ledger", "export", &node, "--out", &export_arg]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&export).unwrap(), before);

    // A truncated export is refused, naming where it ends.
    let cut = d.join("cut.export");
    std::fs::write(&cut, &before[..before.len() - 5]).unwrap();
    let out = strongroom(&[
        "ledger",
        "verify",
        &cut.to_string_lossy(),
        "--service-key",
        &service,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncated in the record after entry"),
        "{stderr}"
    );
}

#[test]
fn receipts_carry_the_service_certificate_and_it_must_certify_the_signer() {
    use strongroom_identity::{Validity, service_certificate};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let provider = default_provider();
    let key = provider.generate_signing_key(EcdsaCurve::P256).unwrap();
    let other = provider.generate_signing_key(EcdsaCurve::P256).unwrap();
    let validity = Validity::starting_now(time::Duration::days(30)).unwrap();
    let cert = service_certificate(&key.to_pkcs8_der().unwrap(), "consortium", validity).unwrap();
    let other_cert =
        service_certificate(&other.to_pkcs8_der().unwrap(), "impostor", validity).unwrap();
    let pem = |der: &[u8]| {
        pkcs8::Document::try_from(der)
            .unwrap()
            .to_pem("CERTIFICATE", pkcs8::LineEnding::LF)
            .unwrap()
    };
    std::fs::write(d.join("service.pem"), pem(&cert)).unwrap();
    std::fs::write(d.join("impostor.pem"), pem(&other_cert)).unwrap();

    // Entry timestamps must fall inside the certificate's validity: use now.
    let now_ms = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap() * 1000;
    let store = LedgerStore::open(d.join("ledger.redb")).unwrap();
    let schedule = SignatureSchedule {
        max_entries: 4,
        max_interval_ms: 1_000_000,
    };
    let mut appender = Appender::new(key, schedule);
    let mut entries = appender
        .append(EntryKind::Genesis, b"genesis".to_vec(), now_ms)
        .unwrap();
    for i in 0..6u64 {
        entries.extend(
            appender
                .append(EntryKind::Transaction, vec![i as u8; 10], now_ms + i)
                .unwrap(),
        );
    }
    entries.push(appender.sign_now(now_ms + 10).unwrap());
    store.append_batch(&entries).unwrap();
    let receipt = Receipt::from_store(&store, appender.tree(), 3).unwrap();
    drop(store);

    let good = d.join("good.json");
    std::fs::write(
        &good,
        receipt.clone().with_certificate(&cert).encode().unwrap(),
    )
    .unwrap();
    let out = strongroom(&["ledger", "verify-receipt", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("signed by service \"consortium\""));

    // Pinned by the service certificate.
    let service_pem = d.join("service.pem").to_string_lossy().into_owned();
    let pinned = ["--service-cert", service_pem.as_str()];
    let out = strongroom(
        &[
            &["ledger", "verify-receipt", good.to_str().unwrap()][..],
            &pinned,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = strongroom(&[&["ledger", "verify", d.to_str().unwrap()][..], &pinned].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Pinned to another service: refused.
    let impostor_pem = d.join("impostor.pem").to_string_lossy().into_owned();
    let impostor = ["--service-cert", impostor_pem.as_str()];
    let out = strongroom(
        &[
            &["ledger", "verify-receipt", good.to_str().unwrap()][..],
            &impostor,
        ]
        .concat(),
    );
    assert!(!out.status.success());

    // A certificate of another key attached to the receipt: refused, saying so.
    let swapped = d.join("swapped.json");
    std::fs::write(
        &swapped,
        receipt.with_certificate(&other_cert).encode().unwrap(),
    )
    .unwrap();
    let out = strongroom(&["ledger", "verify-receipt", swapped.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not certify the key that signed the root"),
        "{stderr}"
    );
}
