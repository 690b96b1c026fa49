//! Who may drive a `strongroom console`: only the holder of its one-time login URL,
//! from the console's own origin; and a console whose node fails its attestation
//! policy serves nothing but why.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use browser::{Browser, ConsoleProcess, screenshot_dir};
use common::{NodeProcess, Org};
use reqwest::StatusCode;
use reqwest::header::{HOST, ORIGIN, SET_COOKIE};

/// A client that neither follows redirects nor keeps cookies: each request carries
/// exactly what the test gives it.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One node, one member, one console.
fn setup(base: &std::path::Path) -> (NodeProcess, ConsoleProcess) {
    let org1 = Org::init(base, "Org1MSP");
    let alice = org1.enroll("alice", "owner");
    let node = NodeProcess::start(&base.join("node"), &[&org1]);
    let console = ConsoleProcess::start(&node, &alice, base);
    (node, console)
}

/// Logs in with the one-time URL; answers the session cookie (`name=value`).
async fn log_in(console: &ConsoleProcess) -> String {
    let response = http().get(&console.login_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_login_token_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let (_node, console) = setup(temp.path());
    let origin = &console.origin;
    let client = http();

    for path in ["/", "/js/main.js", "/api/node"] {
        let response = client
            .get(format!("{origin}{path}"))
            .header("X-Strongroom-Console", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let wrong = client
        .get(format!("{origin}/login?token={}", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "a wrong token");
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let cookie = log_in(&console).await;
    let again = client.get(&console.login_url).send().await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::FORBIDDEN,
        "the token works once"
    );
    assert!(again.headers().get(SET_COOKIE).is_none());

    let page = client
        .get(format!("{origin}/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let node = client
        .get(format!("{origin}/api/node"))
        .header("Cookie", &cookie)
        .header("X-Strongroom-Console", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(node.status(), StatusCode::OK, "the session reaches the API");
    let guessed = client
        .get(format!("{origin}/api/node"))
        .header("Cookie", format!("strongroom_console={}", "ab".repeat(32)))
        .header("X-Strongroom-Console", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        guessed.status(),
        StatusCode::UNAUTHORIZED,
        "a guessed session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_api_rejects_cross_origin_requests() {
    let shots = screenshot_dir("cross-origin");
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let alice = org1.enroll("alice", "owner");
    let mallory = org1.enroll("mallory", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1]);
    let console = ConsoleProcess::start(&node, &alice, base);
    let other = ConsoleProcess::start(&node, &mallory, base);
    let origin = &console.origin;
    let cookie = log_in(&console).await;

    // A foreign Origin, a foreign Host, or no console header: refused before anything.
    let prepare = |headers: &[(reqwest::header::HeaderName, &str)]| {
        let mut request = http()
            .post(format!("{origin}/api/prepare"))
            .header("Cookie", &cookie)
            .header("Content-Type", "application/json")
            .body(r#"{"action":{"kind":"invoke","invocation":{"op":"withdraw_consent","id":"ds-0000000000000001"}}}"#);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        async move { request.send().await.unwrap().status() }
    };
    let header = reqwest::header::HeaderName::from_static("x-strongroom-console");
    assert_eq!(
        prepare(&[(header.clone(), "1"), (ORIGIN, "http://evil.example")]).await,
        StatusCode::FORBIDDEN,
        "a foreign Origin"
    );
    assert_eq!(
        prepare(&[(header.clone(), "1"), (HOST, "evil.example")]).await,
        StatusCode::MISDIRECTED_REQUEST,
        "a foreign Host"
    );
    assert_eq!(
        prepare(&[]).await,
        StatusCode::FORBIDDEN,
        "no console header"
    );

    // In a real browser: a page of another origin (the other member's console, logged
    // in) cannot call this console's API, with or without the console's header.
    let mut browser = Browser::start("other-origin", &shots).await;
    browser.open(&other.login_url).await;
    for header in [true, false] {
        let answer = browser
            .client
            .execute_async(
                "const [url, header, done] = arguments; \
                 fetch(url, {method: 'POST', credentials: 'include', \
                   headers: header ? {'X-Strongroom-Console': '1', 'Content-Type': 'application/json'} \
                                   : {'Content-Type': 'text/plain'}, \
                   body: '{}'}) \
                   .then(r => done('answered ' + r.status)).catch(e => done('blocked: ' + e));",
                vec![
                    serde_json::json!(format!("{origin}/api/prepare")),
                    serde_json::json!(header),
                ],
            )
            .await
            .unwrap();
        let answer = answer.as_str().unwrap();
        assert!(
            answer.starts_with("blocked"),
            "a cross-origin call (console header: {header}) is blocked: {answer}"
        );
    }
    browser.shot("other-origin").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_refuses_a_node_whose_attestation_fails_and_shows_why() {
    let shots = screenshot_dir("refused-node");
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let alice = org1.enroll("alice", "owner");
    let node = NodeProcess::start(&base.join("node"), &[&org1]);
    // A policy that accepts simulated nodes, but only of another measurement.
    let policy = base.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "allow_simulated = true\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{}\"\n",
            "00".repeat(32)
        ),
    )
    .unwrap();
    let args = vec![
        "--node".to_owned(),
        node.url.clone(),
        "--policy".to_owned(),
        policy.display().to_string(),
    ];
    let console = ConsoleProcess::start_with(&alice, &args, base);
    assert!(
        console.stderr().contains("NOT trusted"),
        "the console says so where it starts: {}",
        console.stderr()
    );

    let mut browser = Browser::start("refused", &shots).await;
    browser.open(&console.login_url).await;
    let verdict = browser.text("#attestation-verdict").await;
    assert!(verdict.contains("refused"), "{verdict}");
    let why = browser.text("#attestation-refused").await;
    assert!(
        why.contains("refused by policy: no [[allow]] entry admits platform sim"),
        "the console shows why: {why}"
    );
    browser.shot("refused").await;
    let answer = browser
        .client
        .execute_async(
            "const done = arguments[0]; \
             fetch('/api/query', {method: 'POST', headers: {'X-Strongroom-Console': '1', \
               'Content-Type': 'application/json'}, \
               body: JSON.stringify({query: {op: 'search_catalog'}})}) \
               .then(async r => done([r.status, await r.text()]));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        answer[0], 503,
        "nothing is asked of an untrusted node: {answer}"
    );
    assert!(
        answer[1].as_str().unwrap().contains("not trusted"),
        "{answer}"
    );
    browser.close().await;
}
