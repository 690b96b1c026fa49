//! Bad input at the command line against a running node: each mistake gets one clear
//! error line that names what was wrong, and the node's state (datasets, requests,
//! tasks, ledger head) is the same afterwards. A second node on the same data
//! directory is refused while the first keeps serving.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;

use common::{
    NodeProcess, Org, access_request, error_line, failed, output, strongroom, task_request,
};

/// What a member can see of the node's state, as JSON text, plus the ledger head.
fn snapshot(node: &NodeProcess, members: &[&common::Member]) -> Vec<String> {
    let mut seen = Vec::new();
    for member in members {
        for args in [
            &["data", "list"][..],
            &["access", "list"],
            &["task", "list"],
            &["algorithm", "list"],
        ] {
            seen.push(node.json(member, args).to_string());
        }
    }
    seen
}

/// Every file under the node's object store.
fn objects(node_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![node_dir.join("objects")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn mistakes_get_clear_errors_and_change_nothing() {
    let base = tempfile::tempdir().unwrap();
    let org1 = Org::init(base.path(), "Org1MSP");
    let org2 = Org::init(base.path(), "Org2MSP");
    let alice = org1.enroll("alice", "owner");
    let bob = org2.enroll("bob", "analyst");
    let node_dir = base.path().join("node");
    let node = NodeProcess::start(&node_dir, &[&org1, &org2]);

    node.json(&bob, &["algorithm", "register-builtins"]);
    let csv = base.path().join("conditions.csv");
    std::fs::write(&csv, "PATIENT,CODE,DESCRIPTION\np1,1,Flu\n").unwrap();
    let mut put = node.command(
        &alice,
        &[
            "data",
            "put",
            "--name",
            "c",
            "--purpose",
            "research",
            "--quiet",
        ],
    );
    let put: Value = serde_json::from_slice(&output(put.arg(&csv)).stdout).unwrap();
    let dataset = put["id"].as_str().unwrap().to_owned();
    let before = snapshot(&node, &[&alice, &bob]);
    let objects_before = objects(&node_dir);

    // A file that does not exist: named in the error, nothing uploaded or registered.
    let missing = base.path().join("no-such.csv");
    let mut command = node.command(
        &alice,
        &["data", "put", "--name", "x", "--purpose", "research"],
    );
    let stderr = failed("data put of a missing file", &output(command.arg(&missing)));
    assert!(error_line(&stderr).contains("no-such.csv"), "{stderr}");

    // A CSV without a header line.
    let headless = base.path().join("headless.csv");
    std::fs::write(&headless, "no newline at all").unwrap();
    let mut command = node.command(
        &alice,
        &["data", "put", "--name", "x", "--purpose", "research"],
    );
    let stderr = failed(
        "data put of a headless CSV",
        &output(command.arg(&headless)),
    );
    assert!(error_line(&stderr).contains("no header line"), "{stderr}");

    // A VCF whose second record names an allele it does not have: the error names the
    // file and the line, and nothing is uploaded.
    let vcf = base.path().join("cohort.vcf");
    std::fs::write(
        &vcf,
        "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\n\
         1\t100\t.\tA\tG\t.\t.\t.\tGT\t0/1\n1\t200\t.\tA\tG\t.\t.\t.\tGT\t0/3\n",
    )
    .unwrap();
    let mut command = node.command(
        &alice,
        &[
            "data",
            "put",
            "--kind",
            "vcf",
            "--name",
            "x",
            "--purpose",
            "research",
        ],
    );
    let stderr = failed("data put of a malformed VCF", &output(command.arg(&vcf)));
    assert!(
        error_line(&stderr)
            .contains("cohort.vcf: not a valid VCF or BCF: line 4: sample 1: GT names allele 3"),
        "{stderr}"
    );

    // Parameters that are not JSON, and parameters with an unknown field.
    let stderr = node.refused(&bob, &task_request(&dataset, "describe", "{file:"));
    assert!(
        error_line(&stderr).contains("--parameters is not JSON"),
        "{stderr}"
    );
    let stderr = node.refused(
        &bob,
        &task_request(
            &dataset,
            "describe",
            r#"{"file":"conditions.csv","column":"CODE","colour":"red"}"#,
        ),
    );
    assert!(
        error_line(&stderr).contains("unknown field `colour`"),
        "{stderr}"
    );

    // A purpose the data subjects did not consent to: refused by the contract.
    let stderr = node.refused(&bob, &access_request(&dataset, "marketing", &["describe"]));
    assert!(error_line(&stderr).contains("marketing"), "{stderr}");

    // An analyst cannot register data; an owner cannot approve what does not exist.
    let mut command = node.command(
        &bob,
        &["data", "put", "--name", "x", "--purpose", "research"],
    );
    let stderr = failed("data put by an analyst", &output(command.arg(&csv)));
    assert!(
        error_line(&stderr).starts_with("strongroom: error: "),
        "{stderr}"
    );
    node.refused(&alice, &["access", "approve", "req-0000000000000000"]);

    // `catalog search` as bob with connection flags of our own.
    let catalog_search = |flags: &[&str], cert: &std::path::Path| {
        output(
            strongroom(["catalog", "search", "--node", &node.url])
                .args(flags)
                .arg("--node-cert")
                .arg(cert)
                .arg("--identity")
                .arg(&bob.identity)
                .args(["--member", &bob.name]),
        )
    };
    // No policy: nothing is sent to a node whose evidence was not checked.
    let out = catalog_search(&[], &node.cert());
    let stderr = failed("a command without a policy", &out);
    assert!(
        error_line(&stderr).contains("no attestation policy"),
        "{stderr}"
    );
    // A wrong pinned certificate: the TLS handshake fails, clearly.
    let out = catalog_search(&["--allow-insecure-simulation"], &org1.dir.join("ca.pem"));
    let stderr = failed("a command pinning the wrong certificate", &out);
    assert!(
        error_line(&stderr).contains("cannot connect to"),
        "{stderr}"
    );

    // A second node on the same data directory is refused, naming the directory.
    let out = output(
        strongroom(["node", "start", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&node_dir),
    );
    let stderr = failed("a second node on one data directory", &out);
    let line = error_line(&stderr);
    assert!(
        line.contains(node_dir.to_str().unwrap()) && line.contains("another"),
        "{stderr}"
    );

    assert_eq!(
        snapshot(&node, &[&alice, &bob]),
        before,
        "a mistake changed the state"
    );
    assert_eq!(
        objects(&node_dir),
        objects_before,
        "a mistake stored an object"
    );
    let status = node.stop();
    assert!(status.success(), "the node stopped with {status}");
}
