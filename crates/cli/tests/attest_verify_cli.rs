//! `strongroom attest verify` prints verified claims as JSON for real evidence the
//! policy accepts, and otherwise exits non-zero with a one-line reason; sim evidence
//! is announced as INSECURE SIMULATION on stderr.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use strongroom_tee::{CodeIdentity, Platform, SimPlatform};

const TDX_MRTD: &str = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7";
const SNP_MEASUREMENT: &str = "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f";
const IN_WINDOW: &str = "2025-06-25T00:00:00Z";

/// A real sample from the shared data directory; missing data fails the test.
fn sample(relative: &str) -> PathBuf {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/attestation"
    ))
    .join(relative);
    assert!(
        path.is_file(),
        "attestation test data missing: {} (see shared/data/README.md){}",
        path.display(),
        if std::env::var_os("CI").is_some() {
            " [CI]"
        } else {
            ""
        }
    );
    path
}

fn strongroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(args)
        .output()
        .unwrap()
}

fn succeeds(args: &[&str]) -> (serde_json::Value, String) {
    let out = strongroom(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// Runs a command that must fail; returns its one-line error.
fn fails(args: &[&str]) -> String {
    let out = strongroom(args);
    assert!(!out.status.success(), "{args:?} should have failed");
    assert!(out.stdout.is_empty(), "no claims on failure");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("strongroom: error: "), "{stderr}");
    stderr
}

fn policy(dir: &Path, name: &str, toml: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path.to_str().unwrap().to_string()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn real_tdx_quote_verifies_and_a_tampered_copy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(
        dir.path(),
        "tdx.toml",
        &format!("[[allow]]\nplatform = \"tdx\"\nmeasurement = \"{TDX_MRTD}\"\n"),
    );
    let quote = sample("dcap-qvl/tdx_quote");
    let collateral = sample("dcap-qvl/tdx_quote_collateral.json");
    let (claims, stderr) = succeeds(&[
        "attest",
        "verify",
        "--evidence",
        s(&quote),
        "--collateral",
        s(&collateral),
        "--policy",
        &policy,
        "--at",
        IN_WINDOW,
    ]);
    assert_eq!(claims["platform"], "tdx");
    assert_eq!(claims["measurement"], TDX_MRTD);
    assert_eq!(claims["tcb_status"], "UpToDate");
    assert_eq!(claims["insecure"], false);
    assert!(stderr.is_empty(), "{stderr}");

    let mut bytes = std::fs::read(&quote).unwrap();
    bytes[200] ^= 0x01;
    let tampered = dir.path().join("tdx_quote.tampered");
    std::fs::write(&tampered, bytes).unwrap();
    let error = fails(&[
        "attest",
        "verify",
        "--evidence",
        s(&tampered),
        "--collateral",
        s(&collateral),
        "--policy",
        &policy,
        "--at",
        IN_WINDOW,
        "--platform",
        "tdx",
    ]);
    assert!(error.contains("is not accepted"), "{error}");
    assert!(error.contains("signature is invalid"), "{error}");
}

#[test]
fn dcap_refusals_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let any = policy(
        dir.path(),
        "any.toml",
        "[[allow]]\nplatform = \"sgx\"\nmeasurement = \"*\"\n[[allow]]\nplatform = \"tdx\"\nmeasurement = \"*\"\n",
    );
    let error = fails(&[
        "attest",
        "verify",
        "--evidence",
        s(&sample("dcap-qvl/sgx_quote")),
        "--collateral",
        s(&sample("dcap-qvl/sgx_quote_collateral.json")),
        "--policy",
        &any,
        "--at",
        IN_WINDOW,
    ]);
    assert!(
        error.contains(
            "TCB status ConfigurationAndSWHardeningNeeded not accepted by policy (accepted: UpToDate)"
        ),
        "{error}"
    );
    // 2025-08-01 in Unix seconds: after the collateral's window.
    let error = fails(&[
        "attest",
        "verify",
        "--evidence",
        s(&sample("dcap-qvl/tdx_quote")),
        "--collateral",
        s(&sample("dcap-qvl/tdx_quote_collateral.json")),
        "--policy",
        &any,
        "--at",
        "1754006400",
    ]);
    assert!(
        error.contains("collateral expired: TCB info next update"),
        "{error}"
    );
    let error = fails(&[
        "attest",
        "verify",
        "--evidence",
        s(&sample("dcap-qvl/tdx_quote")),
        "--policy",
        &any,
    ]);
    assert!(error.contains("tdx evidence needs --collateral"), "{error}");
}

#[test]
fn real_snp_report_is_detected_and_verifies_with_builtin_or_given_chain() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy(
        dir.path(),
        "snp.toml",
        &format!("[[allow]]\nplatform = \"snp\"\nmeasurement = \"{SNP_MEASUREMENT}\"\n"),
    );
    let report = sample("virtee-sev/report_milan.bin");
    let vcek = sample("virtee-sev/vcek_milan.der");
    let chain = sample("virtee-sev/cert_chain_milan");
    for extra in [&[][..], &["--chain", s(&chain)][..]] {
        let mut args = vec![
            "attest",
            "verify",
            "--evidence",
            s(&report),
            "--collateral",
            s(&vcek),
            "--policy",
            &policy,
            "--at",
            IN_WINDOW,
        ];
        args.extend_from_slice(extra);
        let (claims, _) = succeeds(&args);
        assert_eq!(claims["platform"], "snp");
        assert_eq!(claims["measurement"], SNP_MEASUREMENT);
    }
}

#[test]
fn sim_evidence_is_announced_insecure_and_needs_allow_simulated() {
    let dir = tempfile::tempdir().unwrap();
    let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &[1u8; 32]).unwrap();
    let evidence = dir.path().join("sim.json");
    std::fs::write(&evidence, platform.evidence(&[5u8; 64]).unwrap().as_bytes()).unwrap();
    let allow = format!(
        "[[allow]]\nplatform = \"sim\"\nmeasurement = \"{}\"\n",
        platform.measurement().unwrap()
    );

    let lenient = policy(
        dir.path(),
        "sim.toml",
        &format!("allow_simulated = true\n{allow}"),
    );
    let (claims, stderr) = succeeds(&[
        "attest",
        "verify",
        "--evidence",
        s(&evidence),
        "--policy",
        &lenient,
    ]);
    assert!(stderr.contains("INSECURE SIMULATION"), "{stderr}");
    assert_eq!(claims["insecure"], true);
    assert_eq!(claims["warning"], "INSECURE SIMULATION");
    assert_eq!(claims["report_data"], hex::encode([5u8; 64]));

    let strict = policy(dir.path(), "strict.toml", &allow);
    let out = strongroom(&[
        "attest",
        "verify",
        "--evidence",
        s(&evidence),
        "--policy",
        &strict,
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "warning and error: {stderr}");
    assert!(lines[0].contains("INSECURE SIMULATION"), "{stderr}");
    assert!(lines[1].starts_with("strongroom: error: "), "{stderr}");
    assert!(lines[1].contains("allow_simulated"), "{stderr}");
}

#[test]
fn a_policy_with_an_unknown_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let bad = policy(
        dir.path(),
        "bad.toml",
        "allow_simulated = true\nalow_debug = true\n",
    );
    let error = fails(&[
        "attest",
        "verify",
        "--evidence",
        s(&sample("dcap-qvl/tdx_quote")),
        "--policy",
        &bad,
    ]);
    assert!(error.contains("alow_debug"), "{error}");
    assert!(error.contains("bad.toml"), "{error}");
}
