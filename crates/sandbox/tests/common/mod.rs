//! Helpers shared by the sandbox's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use strongroom_compute::{ColumnRows, Labeled, RowWindows};
use strongroom_sandbox::{Algorithm, Input, Sandbox};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example algorithm `name` (`count_by_group`, `sum_by_group`, `two_by_two`),
/// built once per test process by `scripts/build-algorithms.sh`.
pub fn example(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = std::process::Command::new("bash")
            .arg(root().join("scripts/build-algorithms.sh"))
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "scripts/build-algorithms.sh failed");
    });
    let path = root().join(format!(
        "target/algorithms/wasm32-unknown-unknown/release/{name}.wasm"
    ));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The SHA-256 of `wasm`: the measurement an approval names.
pub fn measurement(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

/// Loads `wasm` as approved.
pub fn load(sandbox: &Sandbox, wasm: &[u8]) -> Algorithm {
    sandbox.load(wasm, &measurement(wasm)).unwrap()
}

/// An input over CSV text, showing `columns`, with `windows`.
pub fn input(label: &str, csv: String, columns: &[&str], windows: &RowWindows) -> Input {
    let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(csv.into_bytes()));
    ColumnRows::open(Labeled::new(label, reader), &columns, windows).unwrap()
}

/// The Synthea 1K sample of `shared/data` (beside the repository), or `None` with a
/// skip notice if it is absent. Under CI (`CI` set) its absence is a failure.
pub fn synthea(file: &str) -> Option<String> {
    let path = root().join("../shared/data/synthea/apr2020_1k").join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "test data missing: {} ({e})",
                path.display()
            );
            eprintln!("skipping: test data not found at {}", path.display());
            None
        }
    }
}

/// Splits a CSV text into `n` CSV texts by row (row `i` to part `i % n`), each with the
/// header: `n` hospitals each holding a share of the records.
pub fn split(csv: &str, n: usize) -> Vec<String> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let mut parts: Vec<String> = (0..n).map(|_| format!("{header}\n")).collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_bytes());
    let mut writers: Vec<csv::Writer<Vec<u8>>> = (0..n)
        .map(|_| csv::Writer::from_writer(Vec::new()))
        .collect();
    for (i, record) in reader.records().enumerate() {
        writers[i % n].write_record(&record.unwrap()).unwrap();
    }
    for (part, writer) in parts.iter_mut().zip(writers) {
        part.push_str(&String::from_utf8(writer.into_inner().unwrap()).unwrap());
    }
    parts
}

/// The records of a CSV text as maps from column to value: the tests' own reading,
/// independent of the sandbox and of `strongroom-compute`.
pub fn records(csv: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}
