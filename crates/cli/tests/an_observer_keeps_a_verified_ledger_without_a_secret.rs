//! `strongroom observe`: an organization without a TEE keeps a copy of the
//! consortium's ledger fetched from the nodes' peer listeners with its own node
//! certificate, every entry verified under the attested service key. Its copy is the
//! nodes' ledger, it resumes where it stopped, it holds no secret, and a caller
//! without a consortium node certificate is refused.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cluster::{Devnet, connect, ledger_report, propose};

fn strongroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(args)
        .output()
        .unwrap()
}

/// Enrolls `name` as a node of organization `org` of `devnet`; its certificate file.
fn enroll(devnet: &Devnet, ca_dir: &Path, name: &str) -> PathBuf {
    let out_dir = devnet.dir.join(name);
    let out = strongroom(&[
        "node",
        "enroll",
        "--ca",
        ca_dir.to_str().unwrap(),
        "--name",
        name,
        "--san",
        "localhost",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out_dir.join(format!("{name}.pem"))
}

/// `strongroom observe --once` into `dir` with `certificate`.
fn observe_once(devnet: &Devnet, dir: &Path, certificate: &Path) -> Output {
    let mut args: Vec<String> = vec![
        "observe".into(),
        "--once".into(),
        "--dir".into(),
        dir.display().to_string(),
        "--certificate".into(),
        certificate.display().to_string(),
        "--node".into(),
        devnet.nodes[devnet.nodes.len() - 1].api.clone(),
        "--allow-insecure-simulation".into(),
    ];
    for node in &devnet.nodes {
        args.extend(["--peer".into(), node.peer.clone()]);
    }
    for (k, org) in devnet.orgs.iter().enumerate() {
        args.extend([
            "--org".into(),
            format!("Org{}MSP={}", k + 1, org.join("ca.pem").display()),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    strongroom(&args)
}

fn write(devnet: &Devnet, runtime: &tokio::runtime::Runtime, n: usize) {
    runtime.block_on(async {
        let client = connect(&devnet.nodes[0].api).await.unwrap();
        for i in 0..n {
            client
                .govern(&devnet.admin(0), &propose(&format!("write {i}")))
                .await
                .unwrap();
        }
    });
}

#[test]
fn the_observed_ledger_is_the_nodes_ledger_verified_and_resumed() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 3, 3);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let certificate = enroll(&devnet, &devnet.orgs[2], "observer");
    let dir = base.path().join("observer");

    write(&devnet, &runtime, 5);
    let first = observe_once(&devnet, &dir, &certificate);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    write(&devnet, &runtime, 5);
    devnet.wait_caught_up();
    let head = devnet.gauge(0, "strongroom_ledger_sequence").unwrap();
    let second = observe_once(&devnet, &dir, &certificate);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(
        said.contains(&format!("ledger head {head}:")),
        "the second run reached the nodes' head {head}: {said}"
    );

    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        ["ledger.redb"],
        "the observer holds its ledger, nothing else"
    );

    devnet.stop_all();
    let observed = ledger_report(&dir);
    let nodes = ledger_report(&devnet.nodes[0].data_dir);
    assert_eq!(observed, nodes, "the observer holds the nodes' ledger");
}

#[test]
fn a_caller_without_a_consortium_node_certificate_observes_nothing() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 1, 1);
    let outsider_ca = base.path().join("outsider");
    let out = strongroom(&[
        "org",
        "init",
        "--msp",
        "OutsiderMSP",
        "--dir",
        outsider_ca.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let certificate = enroll(&devnet, &outsider_ca, "outsider");
    let dir = base.path().join("observer");
    let out = observe_once(&devnet, &dir, &certificate);
    assert!(
        !out.status.success(),
        "an outsider's certificate was accepted"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no peer served ledger entries from 1"),
        "the refusal says no peer served: {said}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("ledger head"),
        "the outsider was served entries"
    );
}
