//! Every console page renders in the browser with 10,000 datasets in the catalog and
//! 1,000 tasks awaiting the owner: each page becomes ready showing what it should,
//! and the render time the page measures (route start to drawn, fetches included) is
//! printed per page (`render ROUTE MS`) for the note; speed is reported, not asserted.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use futures_util::StreamExt;
use strongroom_client::Client;
use strongroom_contract::sharing::{
    Consent, Created, DatasetFile, DatasetKind, ExecutionMode, Invocation, Query, RegisterDataset,
    RequestTask, ReserveLocations, Reserved, WrappedKey,
};
use strongroom_identity::Member;
use strongroom_tee::{CodeIdentity, MeasurementPattern, PlatformKind, Policy};

use browser::{Browser, ConsoleProcess, screenshot_dir};
use common::{NodeProcess, Org};

const DATASETS: usize = 10_000;
const TASKS: usize = 1_000;
const CONCURRENT: usize = 32;

fn sim_policy() -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(CodeIdentity::of_this_build().measurement()),
    )
}

/// A metadata-only registration (the pages never read the files).
fn registration(n: usize, location: String) -> Invocation {
    let digest = "ab".repeat(32);
    Invocation::RegisterDataset(RegisterDataset {
        name: format!("cohort {n}"),
        kind: DatasetKind::Csv,
        description: format!("synthetic cohort number {n}"),
        labels: vec!["bulk".into()],
        consent: Consent {
            purposes: vec!["research".into()],
            expires_at_ms: None,
        },
        files: vec![DatasetFile {
            name: "patients.csv".into(),
            columns: vec!["Id".into(), "GENDER".into(), "RACE".into()],
            plaintext_sha256: digest.clone(),
            ciphertext_sha256: digest,
            size_bytes: 1,
            location,
            genome: None,
        }],
        wrapped_keys: vec![WrappedKey {
            recipient: "org:Org1MSP".into(),
            key: "00".repeat(64),
        }],
        time_column: None,
        epsilon_budget_micro: None,
        min_cell_size: None,
    })
}

async fn commit_all(client: &Client, member: &Member, invocations: Vec<Invocation>) -> Vec<String> {
    futures_util::stream::iter(invocations)
        .map(|invocation| async move {
            client
                .invoke::<Created>(member, &invocation)
                .await
                .unwrap()
                .value
                .id
        })
        .buffered(CONCURRENT)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_with_10000_datasets_and_1000_tasks() {
    let shots = screenshot_dir("large-catalog");
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let alice_files = org1.enroll("alice", "owner");
    let bob_files = org2.enroll("bob", "analyst");
    // Set up at full speed: the per-member rate limit would pace it.
    let node = NodeProcess::start_with(
        &base.join("node"),
        &[&org1, &org2],
        &[
            "--member-rate-per-second",
            "1000000",
            "--member-rate-burst",
            "1000000",
        ],
    );
    node.json(&bob_files, &["algorithm", "register-builtins"]);
    let algorithms = node.json(&bob_files, &["algorithm", "list"]);
    let describe = algorithms
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "describe")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let client = Client::connect(&node.url, None, &sim_policy())
        .await
        .unwrap();
    let alice = Member::load(&alice_files.identity, "alice", None).unwrap();
    let bob = Member::load(&bob_files.identity, "bob", None).unwrap();

    let started = std::time::Instant::now();
    let mut locations = Vec::new();
    while locations.len() < DATASETS {
        let count = (DATASETS - locations.len()).min(64) as u32;
        let reserved: Reserved = client
            .invoke(
                &alice,
                &Invocation::ReserveLocations(ReserveLocations { count }),
            )
            .await
            .unwrap()
            .value;
        locations.extend(reserved.locations);
    }
    let datasets = commit_all(
        &client,
        &alice,
        locations
            .into_iter()
            .enumerate()
            .map(|(n, location)| registration(n, location))
            .collect(),
    )
    .await;
    // Tasks without a grant: each awaits the owner's approval.
    let tasks = commit_all(
        &client,
        &bob,
        (0..TASKS)
            .map(|n| {
                Invocation::RequestTask(RequestTask {
                    inputs: vec![datasets[n % 10].clone()],
                    algorithm: describe.clone(),
                    parameters: serde_json::json!({"file": "patients.csv", "column": "GENDER"}),
                    columns: vec!["GENDER".into()],
                    recipients: vec![strongroom_contract::sharing::Recipient {
                        msp_id: "Org2MSP".into(),
                        name: "bob".into(),
                        public_key: "11".repeat(32),
                    }],
                    mode: ExecutionMode::OwnerSide,
                    epsilon_micro: None,
                })
            })
            .collect(),
    )
    .await;
    println!(
        "setup: {DATASETS} datasets and {TASKS} tasks committed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let pending: strongroom_contract::sharing::TaskList = client
        .ask(
            &alice,
            &Query::ListMyTasks {
                after: None,
                limit: Some(1000),
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.items.len(), TASKS, "every task awaits the owner");

    let alice_console = ConsoleProcess::start(&node, &alice_files, base);
    let bob_console = ConsoleProcess::start(&node, &bob_files, base);
    let mut owner = Browser::start("owner", &shots).await;
    let mut analyst = Browser::start("analyst", &shots).await;
    owner.open(&alice_console.login_url).await;
    analyst.open(&bob_console.login_url).await;

    let mut renders = Vec::new();
    let dataset = &datasets[0];
    let task = &tasks[0];
    for (who, route, shows) in [
        ("owner", "#/node".to_owned(), "#attestation-verdict"),
        (
            "owner",
            "#/catalog".to_owned(),
            "#catalog-results tr[data-dataset]",
        ),
        (
            "owner",
            "#/my-datasets".to_owned(),
            "#my-datasets tr[data-dataset]",
        ),
        ("owner", "#/inbox".to_owned(), "#inbox-tasks [data-task]"),
        ("owner", format!("#/datasets/{dataset}"), "#audit-link"),
        (
            "owner",
            format!("#/audit/{dataset}"),
            "#audit-events button[data-receipt]",
        ),
        ("owner", "#/governance".to_owned(), "#constitution"),
        ("analyst", "#/requests".to_owned(), "#my-tasks [data-task]"),
        (
            "analyst",
            format!("#/tasks/{task}"),
            "#timeline li[data-step='requested']",
        ),
        (
            "analyst",
            "#/catalog".to_owned(),
            "#catalog-results tr[data-dataset]",
        ),
    ] {
        let browser = if who == "owner" {
            &mut owner
        } else {
            &mut analyst
        };
        // Twice: the first visit of a page also loads what the browser caches.
        browser.route(&route).await;
        browser.route("#/node").await;
        let render = browser.route(&route).await;
        let shown = browser.all(shows).await.len();
        assert!(shown > 0, "{who} {route} shows {shows}");
        browser
            .shot(route.trim_start_matches("#/").split('/').next().unwrap())
            .await;
        renders.push((who, route, render.ms, shown));
    }
    // Long lists page: the owner's inbox shows 50 of the 1,000 tasks, then the next 50.
    owner.route("#/inbox").await;
    let first: Vec<String> = task_ids(&owner).await;
    assert_eq!(first.len(), 50, "a page of the inbox");
    owner.click("#inbox-tasks-next").await;
    owner.ready().await;
    let second = task_ids(&owner).await;
    assert_eq!(second.len(), 50, "the next page of the inbox");
    assert!(
        second.iter().all(|id| !first.contains(id)),
        "the next page holds other tasks"
    );
    for (who, route, ms, shown) in &renders {
        println!("render {who} {route} {ms:.1} ms ({shown} items)");
    }
    owner.close().await;
    analyst.close().await;
}

async fn task_ids(browser: &Browser) -> Vec<String> {
    let mut ids = Vec::new();
    for card in browser.all("#inbox-tasks [data-task]").await {
        ids.push(card.attr("data-task").await.unwrap().unwrap());
    }
    ids
}
