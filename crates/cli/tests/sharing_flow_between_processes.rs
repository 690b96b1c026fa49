//! The demo's data-sharing flow as separate processes over real HTTPS, on the real
//! Synthea sample: three organizations and their members made with the CLI, a
//! `strongroom node start` child process, and one CLI process per step. The analyses
//! give the sample's known figures; an unrelated organization probing real ids gets
//! byte for byte what it gets for ids that name nothing; the receipt of the last
//! result verifies offline; the ledger verifies after a graceful stop.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use common::{
    NodeProcess, Org, REFUSAL, access_request, bogus_id, error_line, failed, output, strongroom,
    succeeded, task_request, text, verify_ledger, wait_until,
};

/// The condition stratified: viral sinusitis (SNOMED-CT 444814009).
const CONDITION_CODE: &str = "444814009";

/// A file of the real Synthea sample; missing data fails the test.
fn synthea_sample(file: &str) -> PathBuf {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/synthea/apr2020_1k"
    ))
    .join(file);
    assert!(
        path.is_file(),
        "Synthea test data missing: {} (see shared/data/README.md){}",
        path.display(),
        if std::env::var_os("CI").is_some() {
            " [CI]"
        } else {
            ""
        }
    );
    path
}

/// `receipt get SEQ`, retried while no signature entry covers the entry yet.
fn fetch_receipt(node: &NodeProcess, sequence: u64, receipt: &Path, service_key: &Path) {
    wait_until(&format!("a receipt of entry {sequence}"), || {
        let out = output(
            strongroom(["receipt", "get", &sequence.to_string(), "--force", "--out"])
                .arg(receipt)
                .arg("--service-key-out")
                .arg(service_key)
                .args(node.connection_args()),
        );
        if out.status.success() {
            return Some(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not_covered"), "receipt get: {stderr}");
        None
    });
}

fn verify_receipt(receipt: &Path, service_key: &Path) -> std::process::Output {
    output(
        strongroom(["receipt", "verify"])
            .arg(receipt)
            .arg("--service-key")
            .arg(service_key),
    )
}

#[test]
fn three_organizations_share_and_analyse_synthea_between_processes() {
    let patients = synthea_sample("patients.csv");
    let conditions = synthea_sample("conditions.csv");
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();

    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let org3 = Org::init(base, "Org3MSP");
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");
    let eve = org3.enroll("eve", "analyst");

    let node_dir = base.join("node");
    let node = NodeProcess::start(&node_dir, &[&org1, &org2, &org3]);

    // Built-in analyses.
    let algorithms = node.json(&bob, &["algorithm", "register-builtins"]);
    let names: Vec<&str> = algorithms
        .as_array()
        .unwrap()
        .iter()
        .map(|a| text(&a["name"]))
        .collect();
    let builtins: Vec<&str> = strongroom_analyzer::builtin::BUILTINS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(names, builtins);

    // Org1 encrypts and uploads the sample, and registers it with consent.
    let put = node.json(
        &alice,
        &[
            "data",
            "put",
            "--name",
            "Patients and conditions",
            "--description",
            "Synthea patients with their conditions",
            "--label",
            "synthea",
            "--purpose",
            "research",
            "--quiet",
            patients.to_str().unwrap(),
            conditions.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    assert!(dataset.starts_with("ds-"), "{put}");
    assert!(
        org1.dir.join("org-data-key.x25519.key").is_file(),
        "data put creates the organization's data key"
    );
    for (file, local) in put["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip([&patients, &conditions])
    {
        let plaintext = std::fs::read(local).unwrap();
        assert_eq!(file["plaintext_size"], json!(plaintext.len()), "{file}");
        // The node holds ciphertext only.
        let stored = std::fs::read(node_dir.join("objects").join(text(&file["location"]))).unwrap();
        assert_eq!(file["ciphertext_size"], json!(stored.len()), "{file}");
        assert_ne!(stored, plaintext);
        let marker = &plaintext[..plaintext.iter().position(|&b| b == b'\n').unwrap()];
        assert!(
            !stored.windows(marker.len()).any(|w| w == marker),
            "the stored object holds the plaintext header of {}",
            local.display()
        );
    }

    // The catalog is public to members: Org2 and unrelated Org3 both find it.
    for member in [&bob, &eve] {
        let found = node.json(
            member,
            &["catalog", "search", "--text", "patients conditions"],
        );
        let entry = found
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == json!(dataset))
            .unwrap_or_else(|| panic!("{} does not find {dataset}: {found}", member.name));
        assert_eq!(entry["owner_msp"], "Org1MSP");
        assert!(
            entry["columns"]
                .as_array()
                .unwrap()
                .contains(&json!("DESCRIPTION")),
            "{entry}"
        );
    }

    // Org2 asks; Org1 sees the pending request and grants it.
    let request = node.json(
        &bob,
        &access_request(&dataset, "research", &["describe", "stratify"]),
    );
    let request = text(&request["id"]).to_owned();
    assert!(request.starts_with("req-"));
    let pending = node.json(&alice, &["access", "list"]);
    let seen = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == json!(request))
        .unwrap_or_else(|| panic!("alice does not see {request}: {pending}"));
    assert_eq!(seen["status"], "pending", "{seen}");
    let grant = node.json(&alice, &["access", "approve", &request]);
    assert!(text(&grant["id"]).starts_with("grant-"), "{grant}");
    let shown = node.json(&bob, &["access", "show", &request]);
    assert_eq!(shown["status"], "approved", "{shown}");

    // Org2 asks for both analyses, covered by the grant.
    let describe = node.json(
        &bob,
        &task_request(
            &dataset,
            "describe",
            r#"{"file":"conditions.csv","column":"DESCRIPTION"}"#,
        ),
    );
    let stratify_parameters = json!({
        "patients_file": "patients.csv",
        "conditions_file": "conditions.csv",
        "condition": {"code": CONDITION_CODE},
    })
    .to_string();
    let stratify = node.json(
        &bob,
        &task_request(&dataset, "stratify", &stratify_parameters),
    );
    for task in [&describe, &stratify] {
        assert_eq!(task["status"], "approved", "{task}");
    }
    let describe = text(&describe["id"]).to_owned();
    let stratify = text(&stratify["id"]).to_owned();

    // Org1's analyzer runs both at Org1.
    let work = base.join("analyzer-work");
    let executed = node.run_analyzer_once(&analyzer, &work);
    let handled: BTreeSet<&str> = executed.iter().map(|e| text(&e["task"])).collect();
    assert_eq!(
        handled,
        BTreeSet::from([describe.as_str(), stratify.as_str()]),
        "{executed:?}"
    );
    for e in &executed {
        assert_eq!(e["status"], "succeeded", "{e}");
        assert!(
            !work.join(text(&e["task"])).exists(),
            "plaintext outlived task {}",
            e["task"]
        );
    }
    let last_result = executed
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .max()
        .unwrap();

    // Bob decrypts both results.
    assert_eq!(node.task_status(&bob, &describe), "succeeded");
    assert_eq!(
        node.json(&bob, &["result", "get", &describe]),
        // pandas' figures, but for unique (129): 37 descriptions are held by fewer
        // than k = 11 rows, so it is withheld and the 92 common ones are counted.
        json!({"name": "describe", "result": {
            "column": "DESCRIPTION",
            "k": 11,
            "count": 8376,
            "unique": null,
            "common_values": 92,
            "top": "Viral sinusitis (disorder)",
            "freq": 1248,
            "suppressed": ["unique"],
        }})
    );
    let stratified = node.json(&bob, &["result", "get", &stratify]);
    assert_eq!(stratified["name"], "stratify", "{stratified}");
    let stratification = &stratified["result"];
    assert_eq!(stratification["condition"], json!({"code": CONDITION_CODE}));
    assert_eq!(
        stratification["total"],
        json!({"count": 743}),
        "{stratified}"
    );
    // Fixed rows: gender other (0) is suppressed, and M (336) with it so that other
    // cannot be computed as the total minus F and M.
    assert_eq!(
        stratification["gender"],
        json!([
            {"value": "F", "count": {"count": 407}},
            {"value": "M", "count": "suppressed"},
            {"value": "other", "count": "suppressed"},
        ]),
        "{stratified}"
    );

    // Org3 is party to nothing: a real id gets exactly the answer of a bogus one.
    for (what, command, id) in [
        ("the task", ["task", "show"], &describe),
        ("the request", ["access", "show"], &request),
        ("the result", ["result", "get"], &describe),
    ] {
        let [verb, noun] = command;
        let real = node.refused(&eve, &[verb, noun, id]);
        let nothing = node.refused(&eve, &[verb, noun, &bogus_id(id)]);
        assert_eq!(error_line(&real), REFUSAL, "eve asking for {what}");
        assert_eq!(real, nothing, "eve can tell {what} exists");
    }
    assert_eq!(node.json(&eve, &["task", "list"]), json!([]));
    assert_eq!(node.json(&eve, &["access", "list"]), json!([]));

    // Alice owns the data but is not a recipient of the result.
    let stderr = node.refused(&alice, &["result", "get", &describe]);
    assert_eq!(error_line(&stderr), REFUSAL);

    // The receipt of the last result verifies offline against the attested key.
    let receipt = base.join("receipt.json");
    let service_key = base.join("service-key.der");
    fetch_receipt(&node, last_result, &receipt, &service_key);
    let stdout = succeeded("receipt verify", &verify_receipt(&receipt, &service_key));
    assert!(
        stdout.starts_with(&format!("receipt ok: entry {last_result} ")),
        "{stdout}"
    );
    let mut tampered: Value = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    let mut entry = text(&tampered["entry"]).to_owned();
    let flipped = if entry.ends_with('0') { "1" } else { "0" };
    entry.replace_range(entry.len() - 1.., flipped);
    tampered["entry"] = json!(entry);
    let tampered_path = base.join("tampered-receipt.json");
    std::fs::write(&tampered_path, tampered.to_string()).unwrap();
    failed(
        "receipt verify of a changed entry",
        &verify_receipt(&tampered_path, &service_key),
    );

    // A graceful stop, then the whole ledger verifies offline.
    let status = node.stop();
    assert!(status.success(), "the node stopped with {status}");
    let report = verify_ledger(&node_dir, Some(&service_key));
    let entries: u64 = report
        .strip_prefix("ledger ok: ")
        .and_then(|r| r.split_once(' '))
        .map(|(n, _)| n.parse().unwrap())
        .unwrap();
    assert!(entries >= last_result, "{report}");
}
