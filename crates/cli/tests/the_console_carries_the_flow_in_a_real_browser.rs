//! The demo's flow done through `strongroom console` by three members in three
//! consoles, each driven in headless Chromium: the owner registers the Synthea
//! patients (uploaded from the browser) with consent, the analyst finds them and asks,
//! the owner approves the request and then the task, the owner's analyzer runs it,
//! and the analyst reads the table and its chart; the unrelated member's console sees
//! nothing of it. Every page passes axe-core without a serious violation; every step
//! leaves a screenshot under `target/console-screenshots/`.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use std::collections::BTreeMap;

use browser::{Browser, ConsoleProcess, Render, screenshot_dir};
use common::{NodeProcess, Org, bogus_id, synthea_patients, text};

/// The condition stratified: viral sinusitis (SNOMED-CT 444814009).
const CONDITION_CODE: &str = "444814009";

/// Every page a member sees, checked with axe-core; violations by route.
async fn check_accessibility(
    browser: &Browser,
    route: &str,
    found: &mut BTreeMap<String, Vec<String>>,
) {
    let violations = browser.serious_violations().await;
    if !violations.is_empty() {
        found.insert(route.to_owned(), violations);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_carry_the_demo_flow_through_their_consoles() {
    let shots = screenshot_dir("demo-flow");
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let org3 = Org::init(base, "Org3MSP");
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");
    let eve = org3.enroll("eve", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1, &org2, &org3]);
    // The built-in analyses, registered as the CLI does (the console requests them).
    node.json(&bob, &["algorithm", "register-builtins"]);

    let alice_console = ConsoleProcess::start(&node, &alice, base);
    let bob_console = ConsoleProcess::start(&node, &bob, base);
    let eve_console = ConsoleProcess::start(&node, &eve, base);
    let mut owner = Browser::start("1-owner", &shots).await;
    let mut analyst = Browser::start("2-analyst", &shots).await;
    let mut unrelated = Browser::start("3-unrelated", &shots).await;
    let mut renders: Vec<(String, Render)> = Vec::new();
    let mut violations = BTreeMap::new();

    // Each logs in with its one-time URL and sees the node's attestation first.
    for (who, browser, console) in [
        ("owner", &mut owner, &alice_console),
        ("analyst", &mut analyst, &bob_console),
        ("unrelated", &mut unrelated, &eve_console),
    ] {
        let render = browser.open(&console.login_url).await;
        assert_eq!(render.route, "#/node", "{who} lands on the node page");
        let banner = browser.text("#insecure-banner").await;
        assert!(banner.contains("INSECURE SIMULATION"), "{who}: {banner}");
        let verdict = browser.text("#attestation-verdict").await;
        assert!(verdict.contains("accepted"), "{who}: {verdict}");
        assert_eq!(browser.text("#attestation-platform").await, "sim");
        browser.shot("node").await;
        check_accessibility(browser, &format!("{who} #/node"), &mut violations).await;
        renders.push((who.into(), render));
    }

    // The owner uploads and registers the Synthea patients from the browser.
    let patients = synthea_patients().canonicalize().unwrap();
    let conditions = patients.with_file_name("conditions.csv");
    let render = owner.route("#/my-datasets").await;
    renders.push(("owner".into(), render));
    check_accessibility(&owner, "owner #/my-datasets", &mut violations).await;
    owner.fill("#register-name", "Synthea patients").await;
    owner
        .fill("#register-description", "Patients of the Synthea sample")
        .await;
    owner.fill("#register-labels", "synthea").await;
    owner.fill("#register-purposes", "research").await;
    owner.fill("#register-min-cell", "5").await;
    owner
        .find("#register-file")
        .await
        .send_keys(&format!("{}\n{}", patients.display(), conditions.display()))
        .await
        .unwrap();
    owner.shot("register-form").await;
    owner.preview("#register-submit", "register_dataset").await;
    let progress = owner
        .client
        .execute(
            "const p = document.getElementById('upload-progress'); return [p.value, p.max];",
            vec![],
        )
        .await
        .unwrap();
    let size =
        std::fs::metadata(&patients).unwrap().len() + std::fs::metadata(&conditions).unwrap().len();
    assert_eq!(
        progress,
        serde_json::json!([size, size]),
        "the upload's progress bar reached the files' size"
    );
    owner.confirm("register_dataset").await;
    owner.route("#/my-datasets").await;
    let rows = owner.all("#my-datasets tr[data-dataset]").await;
    assert_eq!(rows.len(), 1, "the owner lists its one dataset");
    let dataset = rows[0].attr("data-dataset").await.unwrap().unwrap();
    assert!(dataset.starts_with("ds-"), "{dataset}");

    // The analyst finds it in the catalog and asks for access.
    let render = analyst.route("#/catalog").await;
    renders.push(("analyst".into(), render));
    analyst.fill("#catalog-text", "synthea patients").await;
    analyst.click("#catalog-search").await;
    analyst.ready().await;
    analyst
        .find(&format!("#catalog-results tr[data-dataset='{dataset}']"))
        .await;
    analyst.shot("catalog").await;
    check_accessibility(&analyst, "analyst #/catalog", &mut violations).await;
    let render = analyst.route(&format!("#/datasets/{dataset}")).await;
    renders.push(("analyst".into(), render));
    check_accessibility(&analyst, "analyst #/datasets/ID", &mut violations).await;
    analyst.fill("#request-purpose", "research").await;
    // The grant leaves stratify out: a stratification then awaits the owner.
    analyst
        .client
        .execute(
            "const label = [...document.querySelectorAll('label')] \
               .find(l => l.textContent.startsWith('stratify (')); \
             const box = document.getElementById(label.htmlFor); \
             if (box.checked) { box.click(); }",
            vec![],
        )
        .await
        .unwrap();
    analyst.sign("#request-access", "request_permission").await;

    // The owner sees the request with its scope and approves it.
    let render = owner.route("#/inbox").await;
    renders.push(("owner".into(), render));
    let request_row = owner.find("#inbox-requests [data-request]").await;
    let scope = request_row.text().await.unwrap();
    assert!(
        scope.contains("research") && scope.contains("Org2MSP"),
        "{scope}"
    );
    owner.shot("inbox-request").await;
    check_accessibility(&owner, "owner #/inbox", &mut violations).await;
    owner
        .sign(
            "#inbox-requests [data-request] button[data-action='approve']",
            "approve_permission",
        )
        .await;

    // The analyst requests a description of the patients' genders (covered by the
    // grant), and a stratification by condition (not covered: it awaits the owner).
    let mut tasks = Vec::new();
    for (algorithm, parameters) in [
        (
            "describe",
            r#"{"file":"patients.csv","column":"GENDER"}"#.to_owned(),
        ),
        (
            "stratify",
            format!(
                r#"{{"patients_file":"patients.csv","conditions_file":"conditions.csv","condition":{{"code":"{CONDITION_CODE}"}}}}"#
            ),
        ),
    ] {
        let render = analyst.route("#/requests").await;
        renders.push(("analyst".into(), render));
        analyst.fill("#task-inputs", &dataset).await;
        analyst
            .find("#task-algorithm")
            .await
            .select_by_label(algorithm)
            .await
            .unwrap();
        analyst.fill("#task-parameters", &parameters).await;
        check_accessibility(&analyst, "analyst #/requests", &mut violations).await;
        analyst.sign("#task-submit", "request_task").await;
        analyst.route("#/requests").await;
        let rows = analyst.all("#my-tasks [data-task]").await;
        let mut ids = Vec::new();
        for row in rows {
            ids.push(row.attr("data-task").await.unwrap().unwrap());
        }
        let new = ids
            .into_iter()
            .find(|id| !tasks.contains(id))
            .expect("the new task is listed");
        tasks.push(new);
    }
    let (task, uncovered) = (tasks[0].clone(), tasks[1].clone());

    // The owner sees the uncovered task's exact scope, and approves it.
    owner.route("#/inbox").await;
    assert!(
        owner
            .all(&format!("#inbox-tasks [data-task='{task}']"))
            .await
            .is_empty(),
        "the task the grant covers awaits no one"
    );
    let task_scope = owner
        .text(&format!("#inbox-tasks [data-task='{uncovered}']"))
        .await;
    for shown in ["stratify", CONDITION_CODE, "Org2MSP", &dataset] {
        assert!(
            task_scope.contains(shown),
            "the task's scope shows {shown}: {task_scope}"
        );
    }
    owner.shot("inbox-task").await;
    owner
        .sign(
            &format!("#inbox-tasks [data-task='{uncovered}'] button[data-action='approve']"),
            "approve_task",
        )
        .await;

    // The owner's analyzer runs it at the owner's site.
    let handled = node.run_analyzer_once(&analyzer, &base.join("work"));
    for id in [&task, &uncovered] {
        assert!(
            handled.iter().any(|h| h["task"] == serde_json::json!(id)),
            "the analyzer ran {id}: {handled:?}"
        );
    }

    // The analyst follows the timeline and reads the result.
    let render = analyst.route(&format!("#/tasks/{task}")).await;
    renders.push(("analyst".into(), render));
    for step in ["requested", "approved", "claimed", "result"] {
        analyst
            .find(&format!("#timeline li[data-step='{step}']"))
            .await;
    }
    analyst.shot("timeline").await;
    check_accessibility(&analyst, "analyst #/tasks/ID", &mut violations).await;
    let render = analyst.route(&format!("#/results/{task}")).await;
    renders.push(("analyst".into(), render));
    let table = analyst.text("#result-table").await;
    let patients_count = std::fs::read_to_string(&patients).unwrap().lines().count() - 1;
    assert!(
        table.contains("GENDER") && table.contains(&patients_count.to_string()),
        "the result table shows the {patients_count} genders described: {table}"
    );
    analyst.shot("result").await;
    check_accessibility(&analyst, "analyst #/results/ID", &mut violations).await;
    let (status, csv) = analyst
        .fetch(&format!("/api/results/{task}?format=csv"), false)
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.lines().count() >= 3,
        "a header and a row per gender: {csv}"
    );

    let render = analyst.route(&format!("#/results/{uncovered}")).await;
    renders.push(("analyst".into(), render));
    let bars = analyst.all("#result-chart rect").await;
    let rows = analyst.all("#result-table tbody tr").await;
    assert!(
        !bars.is_empty() && bars.len() <= rows.len(),
        "the stratification's counts by group are drawn as bars: {} bars, {} rows",
        bars.len(),
        rows.len()
    );
    analyst.shot("result-chart").await;
    check_accessibility(&analyst, "analyst #/results/ID (chart)", &mut violations).await;
    let (status, json) = analyst
        .fetch(&format!("/api/results/{uncovered}?format=json"), false)
        .await;
    assert_eq!(status, 200, "{json}");
    assert!(json.contains("stratif"), "{json}");

    // The owner audits the dataset and checks a receipt in the console.
    let render = owner.route(&format!("#/audit/{dataset}")).await;
    renders.push(("owner".into(), render));
    let first = owner.find("#audit-events button[data-receipt]").await;
    let sequence = first.attr("data-receipt").await.unwrap().unwrap();
    first.click().await.unwrap();
    let checked = owner.find(&format!("#receipt-{sequence}")).await;
    let checked = wait_for_text(&checked).await;
    assert!(checked.starts_with("verified"), "{checked}");
    owner.shot("audit").await;
    check_accessibility(&owner, "owner #/audit/ID", &mut violations).await;
    let render = owner.route("#/governance").await;
    renders.push(("owner".into(), render));
    owner.find("#constitution").await;
    check_accessibility(&owner, "owner #/governance", &mut violations).await;

    // The unrelated member sees nothing: its answers for the real task and dataset are
    // those for ids that name nothing.
    for (route, other) in [
        (
            format!("#/tasks/{task}"),
            format!("#/tasks/{}", bogus_id(&task)),
        ),
        (
            format!("#/results/{task}"),
            format!("#/results/{}", bogus_id(&task)),
        ),
        (
            format!("#/audit/{dataset}"),
            format!("#/audit/{}", bogus_id(&dataset)),
        ),
    ] {
        unrelated.route(&route).await;
        let real = unrelated.text("#page [role='alert']").await;
        unrelated.shot("refused").await;
        unrelated.route(&other).await;
        let none = unrelated.text("#page [role='alert']").await;
        assert_eq!(
            real.replace(&task, "ID").replace(&dataset, "ID"),
            none.replace(&bogus_id(&task), "ID")
                .replace(&bogus_id(&dataset), "ID"),
            "{route} reads as something that does not exist"
        );
    }
    for route in ["#/inbox", "#/requests"] {
        unrelated.route(route).await;
        let page = unrelated.text("#page").await;
        assert!(
            !page.contains(&task) && !page.contains(&dataset),
            "{route} shows the unrelated member nothing of the others: {page}"
        );
        unrelated.shot(&route[2..]).await;
        check_accessibility(&unrelated, &format!("unrelated {route}"), &mut violations).await;
    }

    assert!(
        violations.is_empty(),
        "axe-core serious violations: {violations:#?}"
    );
    for (who, render) in &renders {
        println!("render {who} {} {:.1} ms", render.route, render.ms);
    }
    let _ = text;
    owner.close().await;
    analyst.close().await;
    unrelated.close().await;
}

async fn wait_for_text(element: &fantoccini::elements::Element) -> String {
    for _ in 0..400 {
        let text = element.text().await.unwrap();
        if !text.is_empty() && !text.contains("Checking") {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the receipt check never answered");
}
