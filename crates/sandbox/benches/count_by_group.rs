//! Rows per second of the `count-by-group` example algorithm (WebAssembly, in the
//! sandbox) against the native built-in that does the same counting (`describe`, which
//! counts how many rows hold each value of a column), on the same input in the same
//! run. Target: the WebAssembly algorithm at least half the native speed.
//!
//! `cargo bench -p strongroom-sandbox --bench count_by_group` generates 100,000
//! synthetic patients and counts their conditions by `DESCRIPTION`, alternating native
//! and WebAssembly runs five times each, and prints each pair's ratio and the median.
//! Run by `cargo test` (no `--bench` argument) it does one quick pair over 1,000
//! patients, as a smoke test.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use strongroom_compute::{ColumnRows, Labeled, RowWindows, describe, synthetic};
use strongroom_sandbox::{Algorithm, Limits, Sandbox};

const COLUMN: &str = "DESCRIPTION";

fn native(path: &Path) -> (u64, Duration) {
    let started = Instant::now();
    let d = describe(BufReader::new(File::open(path).unwrap()), COLUMN, 1).unwrap();
    (d.count.unwrap(), started.elapsed())
}

fn wasm(sandbox: &Sandbox, algorithm: &Algorithm, path: &Path) -> (u64, Duration) {
    let started = Instant::now();
    let reader: Box<dyn Read + Send> = Box::new(BufReader::new(File::open(path).unwrap()));
    let input = ColumnRows::open(
        Labeled::new("conditions.csv", reader),
        &[COLUMN.to_owned()],
        &RowWindows::default(),
    )
    .unwrap();
    let limits = Limits::new(Limits::MAX_FUEL, Limits::DEFAULT_MEMORY_BYTES).unwrap();
    let table = sandbox.run(algorithm, vec![input], 1, &limits).unwrap();
    let rows = table.rows.iter().map(|r| r.count).sum();
    (rows, started.elapsed())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (patients, pairs) = if full { (100_000, 5) } else { (1_000, 1) };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = std::process::Command::new("bash")
        .arg(root.join("scripts/build-algorithms.sh"))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scripts/build-algorithms.sh failed");
    let module = std::fs::read(
        root.join("target/algorithms/wasm32-unknown-unknown/release/count_by_group.wasm"),
    )
    .unwrap();
    let sandbox = Sandbox::new().unwrap();
    let measurement: [u8; 32] = Sha256::digest(&module).into();
    let compiled = Instant::now();
    let algorithm = sandbox.load(&module, &measurement).unwrap();
    println!(
        "compiled count_by_group.wasm ({} bytes) in {:.1?}",
        module.len(),
        compiled.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let summary = synthetic::generate(dir.path(), patients, 2020).unwrap();
    let path = summary.conditions_path;
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!(
        "input: conditions.csv of {patients} synthetic patients, {} rows, {:.1} MB; column {COLUMN}",
        summary.conditions,
        bytes as f64 / 1e6
    );

    let rate = |rows: u64, t: Duration| rows as f64 / t.as_secs_f64();
    let mut ratios = Vec::new();
    for pair in 1..=pairs {
        let (native_rows, native_t) = native(&path);
        let (wasm_rows, wasm_t) = wasm(&sandbox, &algorithm, &path);
        assert_eq!(native_rows, wasm_rows, "both count every row");
        let ratio = rate(wasm_rows, wasm_t) / rate(native_rows, native_t);
        println!(
            "pair {pair}: native {:>10.0} rows/s ({:.1?}), wasm {:>10.0} rows/s ({:.1?}), wasm/native {ratio:.2}",
            rate(native_rows, native_t),
            native_t,
            rate(wasm_rows, wasm_t),
            wasm_t
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "median wasm/native: {median:.2} (target: at least 0.50) {}",
        if median >= 0.5 { "met" } else { "NOT MET" }
    );
}
