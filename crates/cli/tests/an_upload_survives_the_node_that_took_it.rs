//! A dataset uploaded through one node of a devnet stays usable when that node is
//! down, because the nodes keep their objects in one shared S3 bucket (a real moto
//! server, `../../store/tests/moto/mod.rs`): the owner uploads through node 2, node 2
//! is SIGKILLed, and through the other nodes the analyst is granted access and
//! requests a task, the owner's analyzer fetches the object and runs it, and the
//! analyst reads the result.
#![allow(clippy::unwrap_used)]

mod cluster;
mod common;
#[path = "../../store/tests/moto/mod.rs"]
mod moto;

use std::collections::BTreeSet;

use serde_json::Value;

use cluster::Devnet;
use common::{Member, Org, access_request, output, strongroom, succeeded, task_request, text};
use moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};

const BUCKET: &str = "strongroom-devnet";
const PREFIX: &str = "consortium";

/// Runs `args` as `member` through node `i`; asserts success and returns its JSON.
fn json(devnet: &Devnet, i: usize, member: &Member, args: &[&str]) -> Value {
    let out = output(
        strongroom(args)
            .args(devnet.connection_args(i))
            .arg("--identity")
            .arg(&member.identity)
            .args(["--member", &member.name]),
    );
    let stdout = succeeded(
        &format!("{} {args:?} through node {}", member.name, i + 1),
        &out,
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}

#[test]
fn a_dataset_uploaded_through_a_node_is_analysed_after_that_node_is_killed() {
    let moto = Moto::start();
    moto.create_bucket(BUCKET);
    let base = tempfile::tempdir().unwrap();
    let object_store = format!("s3://{BUCKET}/{PREFIX}");
    let mut devnet = Devnet::up_with_env(
        &base.path().join("devnet"),
        3,
        3,
        &[
            "--object-store",
            &object_store,
            "--s3-endpoint",
            &moto.endpoint,
            "--s3-allow-http",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ],
    );
    devnet.wait_for_leader();
    let org = |k: usize| Org {
        msp: format!("Org{}MSP", k + 1),
        dir: devnet.orgs[k].clone(),
    };
    let (org1, org2) = (org(0), org(1));
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");

    // A table whose description is known: 30 A, 20 B.
    let data = base.path().join("conditions.csv");
    let mut csv = String::from("PATIENT,DESCRIPTION\n");
    for i in 0..50 {
        csv.push_str(&format!("p{i},{}\n", if i < 30 { "A" } else { "B" }));
    }
    std::fs::write(&data, csv).unwrap();

    // Alice uploads through node 2 (index 1): the object lands in the shared bucket,
    // none in node 2's data directory.
    let put = json(
        &devnet,
        1,
        &alice,
        &[
            "data",
            "put",
            "--name",
            "Conditions",
            "--description",
            "conditions by patient",
            "--purpose",
            "research",
            "--quiet",
            data.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    let locations: BTreeSet<String> = put["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{PREFIX}/{}", text(&f["location"])))
        .collect();
    assert_eq!(locations.len(), 1, "{put}");
    let keys: BTreeSet<String> = moto.keys(BUCKET).into_iter().collect();
    assert_eq!(
        keys, locations,
        "the bucket holds the uploaded objects, only"
    );
    let local = devnet.nodes[1].data_dir.join("objects");
    assert!(
        std::fs::read_dir(&local).map_or(true, |mut d| d.next().is_none()),
        "node 2 kept an object in {}",
        local.display()
    );

    // Node 2 dies; nodes 1 and 3 still form a majority.
    devnet.sigkill(1);
    let leader = devnet.wait_for_leader();
    assert_ne!(leader, 1);

    // Bob asks through node 3, Alice grants through node 1, Bob requests the task
    // through node 3: the grant covers it.
    json(&devnet, 2, &bob, &["algorithm", "register-builtins"]);
    let request = json(
        &devnet,
        2,
        &bob,
        &access_request(&dataset, "research", &["describe"]),
    );
    let request = text(&request["id"]).to_owned();
    json(&devnet, 0, &alice, &["access", "approve", &request]);
    let task = json(
        &devnet,
        2,
        &bob,
        &task_request(
            &dataset,
            "describe",
            r#"{"file":"conditions.csv","column":"DESCRIPTION"}"#,
        ),
    );
    assert_eq!(task["status"], "approved", "{task}");
    let task = text(&task["id"]).to_owned();

    // Org1's analyzer, through node 1, fetches the object node 2 took, and runs it.
    let work = base.path().join("analyzer-work");
    let work = work.to_str().unwrap();
    let out = output(
        strongroom(["analyzer", "run", "--once", "--work-dir", work])
            .args(devnet.connection_args(0))
            .arg("--identity")
            .arg(&analyzer.identity)
            .args(["--member", &analyzer.name]),
    );
    let executed: Vec<Value> = succeeded("analyzer run --once through node 1", &out)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["task"], task.as_str(), "{executed:?}");
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");

    // Bob reads the result through node 3.
    let result = json(&devnet, 2, &bob, &["result", "get", &task]);
    assert_eq!(result["name"], "describe", "{result}");
    let described = &result["result"];
    assert_eq!(described["count"], 50, "{result}");
    assert_eq!(described["top"], "A", "{result}");
    assert_eq!(described["freq"], 30, "{result}");
}
