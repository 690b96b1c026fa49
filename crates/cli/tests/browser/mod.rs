//! A real browser for the console's tests: Debian's Chromium, headless, driven through
//! ChromeDriver (WebDriver) with fantoccini; axe-core for accessibility; a console
//! process per member; a screenshot per step under `target/console-screenshots/`.
//!
//! `scripts/test.sh` installs Chromium and ChromeDriver and fetches axe-core, and
//! names them in `STRONGROOM_CHROMEDRIVER`, `STRONGROOM_CHROMIUM` and `STRONGROOM_AXE`.
#![allow(dead_code)]

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{Member, NodeProcess, strongroom, wait_until};

/// How long a page may take to become ready in a test (not a speed target).
const READY: Duration = Duration::from_secs(30);

fn tool(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} is missing ({variable}): `bash scripts/test.sh` installs it",
        path.display()
    );
    path
}

/// The axe-core script (`STRONGROOM_AXE`, fetched by `scripts/test.sh`).
fn axe_script() -> String {
    let path = std::env::var_os("STRONGROOM_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("STRONGROOM_AXE is not set: `bash scripts/test.sh` fetches axe-core and sets it")
        });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read axe-core at {}: {e}", path.display()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where a test's screenshots go: `target/console-screenshots/TEST/`.
pub fn screenshot_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/console-screenshots")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One page's render, as the page measured it (route start to all drawn).
#[derive(Clone, Debug)]
pub struct Render {
    pub route: String,
    pub ms: f64,
}

/// A headless Chromium with its ChromeDriver; both stop on drop.
pub struct Browser {
    driver: Child,
    pub client: Client,
    shots: PathBuf,
    step: usize,
    name: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver and a fresh headless Chromium profile; `name` prefixes the
    /// screenshots.
    pub async fn start(name: &str, shots: &Path) -> Self {
        let chromedriver = tool("STRONGROOM_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = tool("STRONGROOM_CHROMIUM", "/usr/bin/chromium");
        let port = free_port();
        let log = shots.join(format!("{name}-chromedriver.log"));
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session with Chromium: {e}"),
            }
        };
        Self {
            driver,
            client,
            shots: shots.to_path_buf(),
            step: 0,
            name: name.to_owned(),
            _profile: profile,
        }
    }

    /// Opens `url` and waits for the page to be ready.
    pub async fn open(&mut self, url: &str) -> Render {
        self.client.goto(url).await.unwrap();
        self.ready().await
    }

    /// Goes to the console's route `hash` (`#/inbox`) and waits for it to be ready.
    pub async fn route(&mut self, hash: &str) -> Render {
        self.client
            .execute(
                "document.getElementById('page').dataset.ready = '0'; \
                 if (location.hash === arguments[0]) { window.dispatchEvent(new HashChangeEvent('hashchange')); } \
                 else { location.hash = arguments[0]; }",
                vec![json!(hash)],
            )
            .await
            .unwrap();
        let render = self.ready().await;
        assert_eq!(
            render.route, hash,
            "the page rendered is the route asked for"
        );
        render
    }

    /// Waits until `#page` says it is ready; answers the page's own render timing.
    pub async fn ready(&self) -> Render {
        let started = Instant::now();
        loop {
            let state = self
                .client
                .execute(
                    "const p = document.getElementById('page'); \
                     return p && p.dataset.ready === '1' ? (window.strongroomRender || null) : null;",
                    vec![],
                )
                .await
                .unwrap();
            if let Some(route) = state.get("route").and_then(Value::as_str) {
                return Render {
                    route: route.to_owned(),
                    ms: state["ms"].as_f64().unwrap_or(f64::NAN),
                };
            }
            assert!(started.elapsed() < READY, "the page never became ready");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits for an element.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(READY)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// All elements matching `css` now.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// The text of an element (waited for).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Types `text` into a field (waited for), replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks an element (waited for).
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks `button`, then signs what the console shows: checks the preview holds
    /// `expect_op`, confirms, and answers the ledger entry it recorded.
    pub async fn sign(&mut self, button: &str, expect_op: &str) -> u64 {
        self.preview(button, expect_op).await;
        self.confirm(expect_op).await
    }

    /// Clicks `button` and checks that the console shows the `expect_op` transaction
    /// it will sign.
    pub async fn preview(&mut self, button: &str, expect_op: &str) {
        self.click(button).await;
        let shown = self.text("#sign-json").await;
        assert!(
            shown.contains(&format!("\"op\": \"{expect_op}\""))
                || shown.contains(&format!("\"op\":\"{expect_op}\"")),
            "the preview shows the {expect_op} transaction that will be signed: {shown}"
        );
        self.shot(&format!("sign-{expect_op}")).await;
    }

    /// Confirms the preview shown; answers the ledger entry it recorded.
    pub async fn confirm(&mut self, expect_op: &str) -> u64 {
        self.click("#sign-confirm").await;
        let entry = self.find("#signed-entry").await;
        let sequence = wait_until_async(|| async {
            entry
                .attr("data-sequence")
                .await
                .ok()
                .flatten()
                .and_then(|s| s.parse::<u64>().ok())
        })
        .await;
        let text = entry.text().await.unwrap();
        assert!(
            text.contains(&format!("ledger entry {sequence}")) && text.contains("receipt verified"),
            "the signed entry names its ledger entry and a verified receipt: {text}"
        );
        self.ready().await;
        self.shot(&format!("signed-{expect_op}")).await;
        sequence
    }

    /// Saves a screenshot as the next step.
    pub async fn shot(&mut self, what: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        let path = self
            .shots
            .join(format!("{}-{:02}-{what}.png", self.name, self.step));
        std::fs::write(path, png).unwrap();
    }

    /// Runs axe-core on the page; answers its serious and critical violations.
    pub async fn serious_violations(&self) -> Vec<String> {
        let script = axe_script();
        self.client.execute(&script, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document, {resultTypes: ['violations']}) \
                   .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
                     .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))) \
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        result
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `fetch(path)` from the page, with the console's header: `(status, body)`.
    pub async fn fetch(&self, path: &str, header: bool) -> (u16, String) {
        let value = self
            .client
            .execute_async(
                "const [path, header, done] = arguments; \
                 fetch(path, {headers: header ? {'X-Strongroom-Console': '1'} : {}, credentials: 'same-origin'}) \
                   .then(async r => done([r.status, await r.text()])) \
                   .catch(e => done([0, String(e)]));",
                vec![json!(path), json!(header)],
            )
            .await
            .unwrap();
        (
            value[0].as_u64().unwrap_or(0) as u16,
            value[1].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn wait_until_async<T, F: std::future::Future<Output = Option<T>>>(
    mut probe: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < READY, "timed out");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A `strongroom console` process for a member; killed on drop.
pub struct ConsoleProcess {
    child: Child,
    /// The one-time login URL it printed.
    pub login_url: String,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    stderr_log: PathBuf,
}

impl ConsoleProcess {
    /// Starts `strongroom console` for `member` at `node` with `extra` node arguments
    /// (the node's connection arguments by default).
    pub fn start(node: &NodeProcess, member: &Member, logs: &Path) -> Self {
        let args: Vec<String> = node
            .connection_args()
            .into_iter()
            .filter(|a| a != "--json")
            .collect();
        Self::start_with(member, &args, logs)
    }

    /// Starts `strongroom console` for `member` with the node arguments `node_args`.
    pub fn start_with(member: &Member, node_args: &[String], logs: &Path) -> Self {
        let stdout_log = logs.join(format!("console-{}.stdout", member.name));
        let stderr_log = logs.join(format!("console-{}.stderr", member.name));
        let child = strongroom(["console"])
            .args(node_args)
            .arg("--identity")
            .arg(&member.identity)
            .args(["--member", &member.name])
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_log).unwrap())
            .stderr(File::create(&stderr_log).unwrap())
            .spawn()
            .unwrap();
        let mut console = Self {
            child,
            login_url: String::new(),
            origin: String::new(),
            stderr_log,
        };
        let url = wait_until("the console's login URL", || {
            if let Some(status) = console.child.try_wait().unwrap() {
                panic!("the console exited ({status}): {}", console.stderr());
            }
            let stdout = std::fs::read_to_string(&stdout_log).unwrap();
            stdout
                .lines()
                .find_map(|l| l.strip_prefix("open "))
                .map(str::to_owned)
        });
        let origin = url.split("/login").next().unwrap().to_owned();
        console.login_url = url;
        console.origin = origin;
        console
    }

    /// What the console wrote on stderr.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
