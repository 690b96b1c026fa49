//! A real S3-compatible server for tests: moto's server mode (`python3 -m moto.server`,
//! installed by `scripts/test.sh` from `scripts/requirements-s3-tests.txt`), started
//! on a free loopback port and stopped on drop. Without moto a test fails and says how
//! to install it; it never skips.
//!
//! The helper also speaks to the server directly, unsigned (moto checks no signature
//! until [`Moto::enforce_auth`]): to make buckets, list what a bucket holds and which
//! multipart uploads are open, and to make an IAM user whose policy allows only part
//! of a bucket.
//!
//! Shared by the tests of `strongroom-store` and `strongroom-cli` (`#[path]`).
// Each test binary uses part of these.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The pinned requirements file CI installs moto from.
pub const REQUIREMENTS: &str = "scripts/requirements-s3-tests.txt";
/// The access key tests use while moto checks no signatures.
pub const ACCESS_KEY_ID: &str = "testing";
/// Its secret.
pub const SECRET_ACCESS_KEY: &str = "testing";

/// A running moto server; killed on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT` (or `https://` with [`Moto::start_tls`]).
    pub endpoint: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
    requests: Arc<AtomicUsize>,
}

/// A user made by [`Moto::user_allowed_only`].
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: String,
}

fn python() -> String {
    std::env::var("STRONGROOM_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Fails the test unless moto's server mode can be imported.
fn require_moto() {
    let probe = Command::new(python())
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdin(Stdio::null())
        .output();
    let installed = probe.as_ref().is_ok_and(|out| out.status.success());
    assert!(
        installed,
        "moto's S3 server is not installed, and the S3 tests need it (they never skip): \
         install it with `python3 -m pip install -r {REQUIREMENTS}` from the repository root \
         (scripts/test.sh does this); {}",
        match &probe {
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            Err(e) => format!("cannot run {}: {e}", python()),
        }
    );
}

impl Moto {
    /// Starts `python3 -m moto.server` on 127.0.0.1, port chosen by the server.
    pub fn start() -> Self {
        Self::spawn(&[])
    }

    /// Starts moto serving HTTPS with `cert` and `key` (PEM files).
    pub fn start_tls(cert: &Path, key: &Path) -> Self {
        let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
        Self::spawn(&["-c", cert, "-k", key])
    }

    fn spawn(extra: &[&str]) -> Self {
        require_moto();
        let mut child = Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} -m moto.server: {e}", python()));
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        let requests = Arc::new(AtomicUsize::new(0));
        let served = Arc::clone(&requests);
        // Reads the listening line, then keeps draining (moto logs every request, as
        // `127.0.0.1 - - [date] "GET /bucket HTTP/1.1" 200 -`).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("Running on http") {
                    let _ = tx.send(line[at + "Running on ".len()..].trim().to_owned());
                }
                if line.contains("] \"") && line.contains(" HTTP/1.") {
                    served.fetch_add(1, Ordering::SeqCst);
                }
                let mut lines = lines.lock().unwrap();
                lines.push(line);
                let excess = lines.len().saturating_sub(200);
                lines.drain(..excess);
            }
        });
        let endpoint = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(endpoint) => endpoint,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "moto did not start within 60 s: {}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        let addr = endpoint
            .split_once("://")
            .map(|(_, a)| a.trim_end_matches('/').to_owned())
            .unwrap();
        Self {
            child,
            endpoint,
            addr,
            log,
            requests,
        }
    }

    /// How many requests moto has logged as answered (after a moment for its log to
    /// arrive).
    pub fn requests_served(&self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        self.requests.load(Ordering::SeqCst)
    }

    /// What moto logged last.
    pub fn log_tail(&self) -> String {
        let lines = self.log.lock().unwrap();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// An unsigned HTTP/1.0 request to the server (plain HTTP only); returns the status
    /// and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP answer from moto: {answer:?}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, b)| b.to_owned());
        (status, body)
    }

    /// Makes a bucket.
    pub fn create_bucket(&self, bucket: &str) {
        let (status, body) = self.request("PUT", &format!("/{bucket}"), &[], b"");
        assert_eq!(status, 200, "create bucket {bucket}: {body}");
    }

    /// Every key in `bucket` (up to 1000), sorted.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{bucket}?list-type=2"), &[], b"");
        assert_eq!(status, 200, "list {bucket}: {body}");
        let mut keys = elements(&body, "Key");
        keys.sort();
        keys
    }

    /// The multipart uploads open in `bucket` (started, neither completed nor aborted).
    pub fn open_multipart_uploads(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{bucket}?uploads"), &[], b"");
        assert_eq!(status, 200, "list uploads of {bucket}: {body}");
        elements(&body, "Key")
    }

    /// Stores `body` at `key`, directly (not through a `DatasetStore`).
    pub fn put_raw(&self, bucket: &str, key: &str, body: &[u8]) {
        let (status, answer) = self.request("PUT", &format!("/{bucket}/{key}"), &[], body);
        assert_eq!(status, 200, "put {bucket}/{key}: {answer}");
    }

    /// An IAM query-API call (unsigned: moto routes it by the credential scope).
    fn iam(&self, params: &[(&str, &str)]) -> String {
        let body: Vec<String> = params
            .iter()
            .chain(&[("Version", "2010-05-08")])
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let (status, answer) = self.request(
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/iam/aws4_request, \
                     SignedHeaders=host, Signature=0",
                ),
            ],
            body.join("&").as_bytes(),
        );
        assert_eq!(status, 200, "IAM {params:?}: {answer}");
        answer
    }

    /// Makes an IAM user whose only permission is `s3:*` on `bucket` itself and on the
    /// keys under `bucket/prefix/`; returns its access key.
    pub fn user_allowed_only(&self, name: &str, bucket: &str, prefix: &str) -> Credentials {
        self.iam(&[("Action", "CreateUser"), ("UserName", name)]);
        let key = self.iam(&[("Action", "CreateAccessKey"), ("UserName", name)]);
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/{prefix}/*"]}}]}}"#
        );
        self.iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "only-its-prefix"),
            ("PolicyDocument", &policy),
        ]);
        Credentials {
            access_key_id: elements(&key, "AccessKeyId").remove(0),
            secret_access_key: elements(&key, "SecretAccessKey").remove(0),
        }
    }

    /// From now on moto checks every request's signature and IAM permissions (so the
    /// unsigned helpers above stop working).
    pub fn enforce_auth(&self) {
        let (status, body) = self.request("POST", "/moto-api/reset-auth", &[], b"0");
        assert_eq!(status, 200, "reset-auth: {body}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The texts of every `<name>…</name>` element of an XML answer.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once(close.as_str()).map(|(v, _)| v.to_owned()))
        .collect()
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
