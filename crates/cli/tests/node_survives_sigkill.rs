//! A node SIGKILLed mid-work and restarted on the same data directory loses nothing it
//! acknowledged and keeps nothing half-done: an upload cut short leaves no object and
//! no dataset, and a task its analyzer had claimed stays claimed, so the analyzer
//! resumes it and the requester reads the result. The ledger verifies afterwards.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use common::{
    Member, NodeProcess, Org, access_request, error_line, failed, output, task_request, text,
    verify_ledger, wait_for_exit, wait_until,
};

/// Size of the upload cut short by SIGKILL (a sparse file: a CSV header, then zeros).
const INTERRUPTED_UPLOAD_BYTES: u64 = 300 * 1024 * 1024;

/// Size of the CSV a task analyses while the node is killed.
const ANALYSED_CSV_BYTES: u64 = 128 * 1024 * 1024;

fn ids(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| text(&item["id"]).to_owned())
        .collect()
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            // A file may be renamed away between the listing and this call.
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(relative.to_owned(), metadata.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The node's complete objects. The local object store stages a multipart upload as
/// `LOCATION#N` and renames it to `LOCATION` when the last part arrived.
fn complete_objects(node_dir: &Path) -> BTreeSet<String> {
    files_under(&node_dir.join("objects"))
        .into_keys()
        .filter(|name| !name.contains('#'))
        .collect()
}

/// The object locations of every dataset of the member's organization.
fn registered_locations(node: &NodeProcess, owner: &Member) -> BTreeSet<String> {
    let mut locations = BTreeSet::new();
    for id in ids(&node.json(owner, &["data", "list"])) {
        let view = node.json(owner, &["data", "show", &id]);
        for file in view["files"].as_array().unwrap() {
            locations.insert(text(&file["location"]).to_owned());
        }
    }
    locations
}

/// A child `strongroom` process as `member`, its output going to files.
fn spawn_cli(node: &NodeProcess, member: &Member, args: &[&str], logs: &Path) -> Child {
    std::fs::create_dir_all(logs).unwrap();
    node.command(member, args)
        .stdin(Stdio::null())
        .stdout(File::create(logs.join("stdout")).unwrap())
        .stderr(File::create(logs.join("stderr")).unwrap())
        .spawn()
        .unwrap()
}

fn read_log(logs: &Path, name: &str) -> String {
    std::fs::read_to_string(logs.join(name)).unwrap()
}

/// A real CSV of at least `bytes` bytes with columns `Id,VALUE,NOTE`; returns the
/// `describe` result of `VALUE`, counted while writing.
fn write_large_csv(path: &Path, bytes: u64) -> Value {
    let note = "x".repeat(100);
    let mut out = BufWriter::new(File::create(path).unwrap());
    let header = b"Id,VALUE,NOTE\n";
    out.write_all(header).unwrap();
    let mut written = header.len() as u64;
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    let mut rows = 0u64;
    while written < bytes {
        let value = if rows.is_multiple_of(3) {
            format!("v{}", rows % 10)
        } else {
            "common".to_owned()
        };
        let line = format!("{rows},{value},{note}\n");
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        *tally.entry(value).or_default() += 1;
        rows += 1;
    }
    out.flush().unwrap();
    let (top, freq) = tally.iter().max_by_key(|(_, n)| **n).unwrap();
    // Each value is held by far more than k = 11 rows: every figure is released.
    assert!(tally.values().all(|&n| n >= 11), "{tally:?}");
    json!({"name": "describe", "result": {
        "column": "VALUE",
        "k": 11,
        "count": rows,
        "unique": tally.len(),
        "common_values": tally.len(),
        "top": top,
        "freq": freq,
        "suppressed": [],
    }})
}

struct Consortium {
    _temp: tempfile::TempDir,
    base: PathBuf,
    org1: Org,
    org2: Org,
    alice: Member,
    analyzer: Member,
    bob: Member,
}

impl Consortium {
    /// Org1MSP: alice (owner), analyzer (executor); Org2MSP: bob (analyst).
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().to_path_buf();
        let org1 = Org::init(&base, "Org1MSP");
        let org2 = Org::init(&base, "Org2MSP");
        Self {
            alice: org1.enroll("alice", "owner"),
            analyzer: org1.enroll("analyzer", "executor"),
            bob: org2.enroll("bob", "analyst"),
            _temp: temp,
            base,
            org1,
            org2,
        }
    }

    fn node_dir(&self) -> PathBuf {
        self.base.join("node")
    }

    fn start_node(&self) -> NodeProcess {
        NodeProcess::start(&self.node_dir(), &[&self.org1, &self.org2])
    }

    /// `data put --json` of `files` as alice; returns the dataset id.
    fn put(&self, node: &NodeProcess, name: &str, files: &[&Path]) -> String {
        let mut args = vec![
            "data",
            "put",
            "--name",
            name,
            "--purpose",
            "research",
            "--quiet",
        ];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        let put = node.json(&self.alice, &args);
        text(&put["id"]).to_owned()
    }
}

#[test]
fn upload_cut_by_sigkill_leaves_no_object_and_acknowledged_state_survives() {
    let c = Consortium::new();
    let node_dir = c.node_dir();
    let node = c.start_node();

    // Acknowledged before the kill: the built-ins and one dataset.
    let algorithms = ids(&node.json(&c.bob, &["algorithm", "register-builtins"]));
    assert_eq!(
        algorithms.len(),
        strongroom_analyzer::builtin::BUILTINS.len()
    );
    let small = c.base.join("small.csv");
    std::fs::write(&small, "Id,DESCRIPTION\n1,a\n2,b\n").unwrap();
    let kept = c.put(&node, "acknowledged", &[&small]);
    let objects_before = complete_objects(&node_dir);
    assert_eq!(objects_before, registered_locations(&node, &c.alice));

    // A large upload, cut by SIGKILL once the node has staged some of it.
    let big = c.base.join("big.csv");
    {
        let mut file = File::create(&big).unwrap();
        file.write_all(b"Id,VALUE\n").unwrap();
        file.set_len(INTERRUPTED_UPLOAD_BYTES).unwrap();
    }
    let big_arg = big.to_str().unwrap();
    let logs = c.base.join("interrupted-put");
    let mut upload = spawn_cli(
        &node,
        &c.alice,
        &[
            "data",
            "put",
            "--name",
            "cut",
            "--purpose",
            "research",
            "--quiet",
            big_arg,
        ],
        &logs,
    );
    let staged = wait_until("part of the upload staged on the node", || {
        if let Some(status) = upload.try_wait().unwrap() {
            panic!(
                "the upload ended ({status}) before the node was killed: {}",
                read_log(&logs, "stderr")
            );
        }
        let fresh: Vec<String> = files_under(&node_dir.join("objects"))
            .into_iter()
            .filter(|(name, size)| *size > 0 && !objects_before.contains(name))
            .map(|(name, _)| name)
            .collect();
        (!fresh.is_empty()).then_some(fresh)
    });
    node.sigkill();
    let status = wait_for_exit("the interrupted data put", &mut upload);
    assert!(
        !status.success(),
        "the upload cannot succeed without a node"
    );
    let stderr = read_log(&logs, "stderr");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("strongroom: error: cannot upload ") && l.contains("big.csv")),
        "{stderr}"
    );
    assert_eq!(read_log(&logs, "stdout"), "", "nothing was registered");
    for name in &staged {
        assert!(
            name.contains('#'),
            "{name} was complete while the upload was still in flight"
        );
    }

    // Restarted: everything acknowledged is there, the cut upload is not.
    let node = c.start_node();
    assert_eq!(ids(&node.json(&c.bob, &["algorithm", "list"])), algorithms);
    assert_eq!(
        ids(&node.json(&c.alice, &["data", "list"])),
        BTreeSet::from([kept.clone()])
    );
    assert_eq!(complete_objects(&node_dir), objects_before);
    let leftovers: Vec<String> = files_under(&node_dir.join("objects"))
        .into_keys()
        .filter(|name| name.contains('#'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the restart did not remove the cut upload's staging files: {leftovers:?}"
    );
    for name in &staged {
        let location = name.split('#').next().unwrap();
        assert!(
            !node_dir.join("objects").join(location).exists(),
            "the cut upload left an object at {location}"
        );
    }

    // The same file uploads and registers in full now.
    let again = c.put(&node, "uploaded again", &[&big]);
    assert_eq!(
        ids(&node.json(&c.alice, &["data", "list"])),
        BTreeSet::from([kept, again.clone()])
    );
    let view = node.json(&c.alice, &["data", "show", &again]);
    assert_eq!(
        view["files"][0]["size_bytes"],
        json!(INTERRUPTED_UPLOAD_BYTES)
    );
    assert_eq!(
        complete_objects(&node_dir),
        registered_locations(&node, &c.alice)
    );

    let status = node.stop();
    assert!(status.success(), "the node stopped with {status}");
    verify_ledger(&node_dir, None);
}

#[test]
fn task_claimed_before_sigkill_is_resumed_by_its_analyzer_after_restart() {
    let c = Consortium::new();
    let node_dir = c.node_dir();
    let csv = c.base.join("large.csv");
    let expected = write_large_csv(&csv, ANALYSED_CSV_BYTES);
    let node = c.start_node();

    node.json(&c.bob, &["algorithm", "register-builtins"]);
    let dataset = c.put(&node, "large", &[&csv]);
    let request = node.json(&c.bob, &access_request(&dataset, "research", &["describe"]));
    node.json(&c.alice, &["access", "approve", text(&request["id"])]);
    let task = node.json(
        &c.bob,
        &task_request(
            &dataset,
            "describe",
            r#"{"file":"large.csv","column":"VALUE"}"#,
        ),
    );
    assert_eq!(task["status"], "approved", "{task}");
    let task = text(&task["id"]).to_owned();

    // The analyzer claims the task and starts fetching its input; the node dies.
    let work = c.base.join("analyzer-work");
    let logs = c.base.join("first-analyzer");
    let mut analyzer = spawn_cli(
        &node,
        &c.analyzer,
        &[
            "analyzer",
            "run",
            "--once",
            "--work-dir",
            work.to_str().unwrap(),
        ],
        &logs,
    );
    // Its scratch directory exists once the claim is committed (the analyzer creates
    // it when the node answered the claim), before the input is fetched.
    wait_until("the analyzer to claim the task", || {
        if let Some(status) = analyzer.try_wait().unwrap() {
            panic!(
                "the analyzer ended ({status}) before the node was killed: {}{}",
                read_log(&logs, "stdout"),
                read_log(&logs, "stderr")
            );
        }
        work.join(&task).is_dir().then_some(())
    });
    node.sigkill();
    let status = wait_for_exit("the analyzer without its node", &mut analyzer);
    let stdout = read_log(&logs, "stdout");
    let stderr = read_log(&logs, "stderr");
    assert!(
        !status.success(),
        "the analyzer finished before the node was killed (make the input larger): {stdout}"
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["task"], json!(task), "{stdout}");
    assert_eq!(lines[0]["status"], "deferred", "{stdout}");
    assert_eq!(
        lines[0]["sequence"],
        Value::Null,
        "no result was written: {stdout}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("strongroom: error: 1 task(s) could not be handled now"),
        "{stderr}"
    );
    assert!(
        !work.join(&task).exists(),
        "the decrypted input outlived the interrupted task"
    );

    // Restarted: the claim survived and no result exists yet.
    let node = c.start_node();
    let view = node.json(&c.bob, &["task", "show", &task]);
    assert_eq!(view["status"], "running", "{view}");
    assert_eq!(
        view["claimant"],
        json!({"msp_id": "Org1MSP", "name": "analyzer"})
    );
    assert_eq!(view["result"], Value::Null, "{view}");
    let stderr = failed(
        "result get before the analyzer resumed",
        &output(&mut node.command(&c.bob, &["result", "get", &task])),
    );
    assert!(
        error_line(&stderr).ends_with(&format!("task {task} is running; it has no result yet")),
        "{stderr}"
    );

    // The same analyzer resumes the task it claimed; bob reads the result.
    let executed = node.run_analyzer_once(&c.analyzer, &work);
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["task"], json!(task));
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");
    assert!(!work.join(&task).exists());
    assert_eq!(node.task_status(&c.bob, &task), "succeeded");
    assert_eq!(node.json(&c.bob, &["result", "get", &task]), expected);

    let status = node.stop();
    assert!(status.success(), "the node stopped with {status}");
    verify_ledger(&node_dir, None);
}
