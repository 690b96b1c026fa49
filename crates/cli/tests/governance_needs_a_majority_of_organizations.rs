//! `strongroom governance` against a real node process: one admin's proposal does not
//! admit an organization, a second organization's vote does; the consortium then
//! revokes a member's certificate the same way, and the member is refused from then
//! on. `list`, `show` and `constitution` report what happened.
#![allow(clippy::unwrap_used)]

mod common;

use common::{NodeProcess, Org, text};

#[test]
fn membership_changes_take_a_majority_and_revocation_refuses_the_member() {
    let base = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        Org::init(base.path(), "OrgAMSP"),
        Org::init(base.path(), "OrgBMSP"),
        Org::init(base.path(), "OrgCMSP"),
    );
    let outsider_org = Org::init(base.path(), "OrgDMSP");
    let (admin_a, admin_b, admin_c) = (
        a.enroll("root-a", "admin"),
        b.enroll("root-b", "admin"),
        c.enroll("root-c", "admin"),
    );
    let newcomer = outsider_org.enroll("dora", "analyst");
    let node = NodeProcess::start(&base.path().join("node"), &[&a, &b, &c]);

    // Not a member yet.
    let stderr = node.refused(&newcomer, &["catalog", "search"]);
    assert!(stderr.contains("unknown MSP"), "{stderr}");

    // A lone admin's proposal: open, one vote of the two a majority of three needs.
    let ca = outsider_org.dir.join("ca.pem");
    let proposal = node.json(
        &admin_a,
        &[
            "governance",
            "propose",
            "add-org",
            "--msp-id",
            "OrgDMSP",
            "--ca-cert",
            ca.to_str().unwrap(),
            "--description",
            "a new hospital",
        ],
    );
    assert_eq!(text(&proposal["status"]), "open", "{proposal}");
    assert_eq!(proposal["required"], 2);
    let id = text(&proposal["id"]).to_owned();
    let stderr = node.refused(&newcomer, &["catalog", "search"]);
    assert!(
        stderr.contains("unknown MSP"),
        "one vote admitted it: {stderr}"
    );

    // A non-admin cannot vote.
    let analyst_b = b.enroll("bea", "analyst");
    let stderr = node.refused(&analyst_b, &["governance", "vote", &id, "--approve"]);
    assert!(
        stderr.contains("only an organization's admin may vote"),
        "{stderr}"
    );

    // The second organization's vote carries it.
    let decided = node.json(&admin_b, &["governance", "vote", &id, "--approve"]);
    assert_eq!(text(&decided["status"]), "enacted", "{decided}");
    node.json(&newcomer, &["catalog", "search"]);

    let listed = node.json(&admin_c, &["governance", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let shown = node.json(&newcomer, &["governance", "show", &id]);
    assert_eq!(shown["votes"].as_array().unwrap().len(), 2, "{shown}");

    // Revoking the newcomer's certificate takes a majority of the four now: three.
    let cert = outsider_org.dir.join("dora.pem");
    let revoke = node.json(
        &admin_c,
        &[
            "governance",
            "propose",
            "revoke-member",
            "--cert",
            cert.to_str().unwrap(),
        ],
    );
    let revoke_id = text(&revoke["id"]).to_owned();
    assert_eq!(revoke["required"], 3, "{revoke}");
    let second = node.json(&admin_a, &["governance", "vote", &revoke_id, "--approve"]);
    assert_eq!(text(&second["status"]), "open", "{second}");
    node.json(&newcomer, &["catalog", "search"]);
    let decided = node.json(&admin_b, &["governance", "vote", &revoke_id, "--approve"]);
    assert_eq!(text(&decided["status"]), "enacted", "{decided}");
    let stderr = node.refused(&newcomer, &["catalog", "search"]);
    assert!(stderr.contains("revoked"), "{stderr}");

    let constitution = node.json(&admin_a, &["governance", "constitution"]);
    assert_eq!(constitution["organizations"].as_array().unwrap().len(), 4);
    assert_eq!(constitution["revoked"].as_array().unwrap().len(), 1);
}
