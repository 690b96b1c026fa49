//! `strongroom observe`: an organization without a TEE keeps a copy of the
//! consortium's ledger fetched from the nodes' peer listeners with its own node
//! certificate, every entry verified under the attested service key. Its copy is the
//! nodes' ledger, it resumes where it stopped, it holds no secret, and a caller
//! without a consortium node certificate is refused. With `--listen` it serves its copy
//! as the nodes do: another observer following it alone ends with the same verified
//! ledger, a certificate of another CA is served nothing, and no other peer route
//! answers.
#![allow(clippy::unwrap_used)]

mod cluster;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use cluster::{DEADLINE, Devnet, connect, ledger_report, propose};
use strongroom_node::peer::{CallError, HttpsPeers, LEDGER_PATH, NodeCredential, PeerTrust};

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
        "--san",
        "127.0.0.1",
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

/// The arguments of `strongroom observe` into `dir` with `certificate`, fetching from
/// `peers`, trusting the devnet's organizations.
fn observe_args(devnet: &Devnet, dir: &Path, certificate: &Path, peers: &[String]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "observe".into(),
        "--dir".into(),
        dir.display().to_string(),
        "--certificate".into(),
        certificate.display().to_string(),
        "--node".into(),
        devnet.nodes[devnet.nodes.len() - 1].api.clone(),
        "--allow-insecure-simulation".into(),
    ];
    for peer in peers {
        args.extend(["--peer".into(), peer.clone()]);
    }
    for (k, org) in devnet.orgs.iter().enumerate() {
        args.extend([
            "--org".into(),
            format!("Org{}MSP={}", k + 1, org.join("ca.pem").display()),
        ]);
    }
    args
}

/// `strongroom observe --once` into `dir` with `certificate`, from the nodes.
fn observe_once(devnet: &Devnet, dir: &Path, certificate: &Path) -> Output {
    let nodes: Vec<String> = devnet.nodes.iter().map(|n| n.peer.clone()).collect();
    observe_once_from(devnet, dir, certificate, &nodes)
}

/// `strongroom observe --once` into `dir` with `certificate`, from `peers`.
fn observe_once_from(devnet: &Devnet, dir: &Path, certificate: &Path, peers: &[String]) -> Output {
    let mut args = observe_args(devnet, dir, certificate, peers);
    args.push("--once".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    strongroom(&args)
}

/// A `strongroom observe --listen 127.0.0.1:0` following the devnet's nodes, killed
/// when dropped.
struct ServingObserver {
    child: Child,
    lines: Receiver<String>,
    stderr: PathBuf,
    /// Where it serves its copy.
    addr: String,
}

impl ServingObserver {
    fn start(devnet: &Devnet, dir: &Path, certificate: &Path) -> Self {
        let nodes: Vec<String> = devnet.nodes.iter().map(|n| n.peer.clone()).collect();
        let mut args = observe_args(devnet, dir, certificate, &nodes);
        args.extend(["--listen", "127.0.0.1:0", "--interval-ms", "100"].map(String::from));
        let stderr = dir.with_extension("stderr");
        let mut child = Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut observer = Self {
            child,
            lines,
            stderr,
            addr: String::new(),
        };
        let line = observer.next_line("its listen address");
        observer.addr = line
            .strip_prefix("serving the verified ledger to peers at ")
            .unwrap_or_else(|| panic!("the first line names the listen address: {line}"))
            .to_owned();
        observer
    }

    /// The next line it prints, within the deadline.
    fn next_line(&self, awaited: &str) -> String {
        self.lines.recv_timeout(DEADLINE).unwrap_or_else(|e| {
            panic!(
                "the observer printed no {awaited} ({e}): {}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            )
        })
    }

    /// Waits until it reports holding entry `head`.
    fn wait_for_head(&self, head: u64) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            let line = self.next_line(&format!("ledger head {head}"));
            let held = line
                .strip_prefix("ledger head ")
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse::<u64>().ok());
            if held.is_some_and(|held| held >= head) {
                return;
            }
        }
        panic!("the observer did not reach entry {head}");
    }
}

impl Drop for ServingObserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

#[test]
fn an_observer_serves_its_verified_copy_to_another_observer() {
    let base = tempfile::tempdir().unwrap();
    let mut devnet = Devnet::up(&base.path().join("devnet"), 1, 1);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first_certificate = enroll(&devnet, &devnet.orgs[0], "observer-a");
    let second_certificate = enroll(&devnet, &devnet.orgs[0], "observer-b");
    let first_dir = base.path().join("observer-a");
    let second_dir = base.path().join("observer-b");

    let first = ServingObserver::start(&devnet, &first_dir, &first_certificate);
    let from_first = [first.addr.clone()];
    for round in 0..2 {
        write(&devnet, &runtime, 5);
        devnet.wait_caught_up();
        let head = devnet.gauge(0, "strongroom_ledger_sequence").unwrap();
        first.wait_for_head(head);
        let out = observe_once_from(&devnet, &second_dir, &second_certificate, &from_first);
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        // The nodes may append a signature entry after `head` was read; the observer
        // then serves it too.
        let reached: u64 = said
            .split("ledger head ")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("round {round}: no ledger head in {said}"));
        assert!(
            reached >= head,
            "round {round}: following the observer alone reached the nodes' head {head}: {said}"
        );
    }

    // A consortium node certificate reaches the ledger route, and only that route.
    let orgs = vec![(
        "Org1MSP".to_owned(),
        strongroom_identity::read_certificate(&devnet.orgs[0].join("ca.pem")).unwrap(),
    )];
    let credential = NodeCredential::load(&second_certificate).unwrap();
    let peers = HttpsPeers::new(&credential, &Arc::new(PeerTrust::new(orgs)), None).unwrap();
    runtime.block_on(async {
        let range = br#"{"from": 1, "to": 1}"#.to_vec();
        assert!(
            !peers
                .post(&first.addr, LEDGER_PATH, range)
                .await
                .unwrap()
                .is_empty()
        );
        for path in [
            strongroom_consensus::APPEND_PATH,
            strongroom_consensus::VOTE_PATH,
            strongroom_node::cluster::JOIN_PATH,
            strongroom_node::cluster::FORWARD_PATH,
        ] {
            match peers.post(&first.addr, path, b"{}".to_vec()).await {
                Err(CallError::Refused(refusal)) => {
                    assert_eq!(refusal.status, 404, "{path} is not served by an observer");
                }
                other => panic!("{path} on an observer: {other:?}"),
            }
        }
    });

    drop(first);
    devnet.stop_all();
    let nodes = ledger_report(&devnet.nodes[0].data_dir);
    assert_eq!(
        ledger_report(&first_dir),
        nodes,
        "the serving observer holds the nodes' ledger"
    );
    assert_eq!(
        ledger_report(&second_dir),
        nodes,
        "the observer that followed it holds the nodes' ledger"
    );
}

#[test]
fn an_observer_serves_nothing_to_a_certificate_of_another_ca() {
    let base = tempfile::tempdir().unwrap();
    let devnet = Devnet::up(&base.path().join("devnet"), 1, 1);
    let certificate = enroll(&devnet, &devnet.orgs[0], "observer");
    let serving = ServingObserver::start(&devnet, &base.path().join("observer"), &certificate);
    serving.wait_for_head(1);

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
    let outsider = enroll(&devnet, &outsider_ca, "outsider");
    let out = observe_once_from(
        &devnet,
        &base.path().join("outsider-copy"),
        &outsider,
        std::slice::from_ref(&serving.addr),
    );
    assert!(
        !out.status.success(),
        "the observer accepted an outsider's certificate"
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
