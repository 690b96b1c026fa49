//! A consortium whose only node lost its sealed secrets (the machine's sealing key is
//! gone: `service-secrets.json` and the sim platform's `sim-host-secret` deleted, the
//! ledger files kept) recovers from two of its three recovery members' shares, fetched
//! while the service ran: the node started with `--recover` serves only the recovery
//! routes until the second share, then goes on as usual on the same address, with the
//! earlier data, and the ledger verifies.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    NodeProcess, Org, error_line, failed, output, strongroom, text, verify_ledger, wait_until,
};

#[test]
fn a_consortium_that_lost_its_node_recovers_from_member_shares() {
    let base = tempfile::tempdir().unwrap();
    let base = base.path();
    let orgs: Vec<Org> = (1..=3)
        .map(|i| Org::init(base, &format!("Org{i}MSP")))
        .collect();
    let admins: Vec<_> = orgs
        .iter()
        .map(|org| org.enroll("admin", "admin"))
        .collect();
    let owner = orgs[0].enroll("olivia", "owner");
    let all: Vec<&Org> = orgs.iter().collect();
    let data_dir = base.join("node");
    let node = NodeProcess::start(&data_dir, &all);

    // Every admin publishes its member key; a majority names them recovery members,
    // any two of the three.
    for admin in admins.iter().chain([&owner]) {
        node.json(admin, &["org", "data-key", "publish"]);
    }
    let mut propose = vec!["governance", "propose", "set-recovery", "--threshold", "2"];
    for member in ["Org1MSP/admin", "Org2MSP/admin", "Org3MSP/admin"] {
        propose.extend(["--recovery-member", member]);
    }
    let proposal = node.json(&admins[0], &propose);
    assert_eq!(text(&proposal["status"]), "open", "{proposal}");
    let id = text(&proposal["id"]).to_owned();
    let decided = node.json(&admins[1], &["governance", "vote", &id, "--approve"]);
    assert_eq!(text(&decided["status"]), "enacted", "{decided}");

    // Some data.
    let csv = base.join("visits.csv");
    std::fs::write(&csv, "WARD\nA\nB\nA\n").unwrap();
    let put = node.json(
        &owner,
        &[
            "data",
            "put",
            "--name",
            "Visits",
            "--purpose",
            "research",
            "--quiet",
            csv.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();

    // Each admin keeps its share, encrypted to its member key; the owner has none.
    let shares: Vec<_> = (0..3)
        .map(|i| base.join(format!("share-{i}.json")))
        .collect();
    for (i, (admin, file)) in admins.iter().zip(&shares).enumerate() {
        let fetched = node.json(
            admin,
            &[
                "recovery",
                "share",
                "fetch",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            (fetched["index"].as_u64(), fetched["threshold"].as_u64()),
            (Some(i as u64 + 1), Some(2))
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    let none = base.join("owner-share.json");
    let stderr = node.refused(
        &owner,
        &[
            "recovery",
            "share",
            "fetch",
            "--out",
            none.to_str().unwrap(),
        ],
    );
    assert!(
        error_line(&stderr).contains("not found or not allowed"),
        "{stderr}"
    );
    assert!(!none.exists());

    // The machine is gone: its sealed secrets and its platform's sealing key with it.
    assert!(node.stop().success());
    for file in ["service-secrets.json", "sim-host-secret"] {
        std::fs::remove_file(data_dir.join(file)).unwrap();
    }

    // Without --recover the node does not found a new service over the ledger.
    let mut start = strongroom(["node", "start", "--data-dir"]);
    start.arg(&data_dir).args(["--listen", "127.0.0.1:0"]);
    let stderr = failed("node start without --recover", &output(&mut start));
    assert!(error_line(&stderr).contains("--recover"), "{stderr}");
    assert!(
        !data_dir.join("sim-host-secret").exists(),
        "a refused start wrote nothing"
    );

    let node = NodeProcess::start_with(&data_dir, &all, &["--recover"]);
    let recovering = |what: &str| {
        let stderr = node.refused(&admins[1], &["governance", "constitution"]);
        assert!(
            error_line(&stderr).contains("recovering"),
            "{what}: {stderr}"
        );
    };
    recovering("before any share");

    // One share: held, and the node still serves recovery only.
    let held = node.json(
        &admins[0],
        &[
            "recovery",
            "share",
            "submit",
            "--file",
            shares[0].to_str().unwrap(),
        ],
    );
    assert_eq!(held["recovered"], false, "{held}");
    assert_eq!(
        (held["held"].as_u64(), held["threshold"].as_u64()),
        (Some(1), Some(2))
    );
    let stderr = node.refused(
        &admins[0],
        &[
            "recovery",
            "share",
            "submit",
            "--file",
            shares[0].to_str().unwrap(),
        ],
    );
    assert!(error_line(&stderr).contains("held already"), "{stderr}");
    recovering("after one share");

    // The second: recovered, and the node goes on serving on the same address.
    let done = node.json(
        &admins[2],
        &[
            "recovery",
            "share",
            "submit",
            "--file",
            shares[2].to_str().unwrap(),
        ],
    );
    assert_eq!(done["recovered"], true, "{done}");
    let shown = wait_until("the recovered node to serve the API", || {
        let out = output(&mut node.command(&owner, &["data", "show", &dataset]));
        out.status
            .success()
            .then(|| serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap())
    });
    assert_eq!(text(&shown["summary"]["name"]), "Visits", "{shown}");
    let constitution = node.json(&admins[1], &["governance", "constitution"]);
    assert_eq!(constitution["recovery"]["threshold"], 2, "{constitution}");
    // It writes again.
    node.json(&owner, &["org", "data-key", "publish"]);
    assert!(data_dir.join("service-secrets.json").is_file());

    assert!(node.stop().success());
    let report = verify_ledger(&data_dir, None);
    assert!(report.contains("ledger ok"), "{report}");

    // The recovered secrets are sealed to the new machine: a plain start opens them.
    let node = NodeProcess::start(&data_dir, &all);
    let shown = node.json(&owner, &["data", "show", &dataset]);
    assert_eq!(text(&shown["summary"]["name"]), "Visits");
    assert!(node.stop().success());
}
