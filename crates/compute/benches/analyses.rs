//! Throughput of `describe` and `stratify` on synthetic Synthea-shaped data.
//!
//! `cargo bench -p strongroom-compute --bench analyses` generates 100,000 patients
//! and prints MB/s (input bytes per second, best of three runs). Run by `cargo test`
//! (no `--bench` argument) it does one quick pass over 1,000 patients, as a smoke test.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::time::{Duration, Instant};

use strongroom_compute::{ConditionMatch, StratifyParams, describe, stratify, synthetic};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (patients, runs) = if full { (100_000, 3) } else { (1_000, 1) };
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let summary = synthetic::generate(dir.path(), patients, 2020).unwrap();
    let p_bytes = std::fs::metadata(&summary.patients_path).unwrap().len();
    let c_bytes = std::fs::metadata(&summary.conditions_path).unwrap().len();
    println!(
        "generated {} patients ({:.1} MB) and {} conditions ({:.1} MB) in {:.2?}",
        summary.patients,
        p_bytes as f64 / 1e6,
        summary.conditions,
        c_bytes as f64 / 1e6,
        started.elapsed()
    );

    let best = |f: &dyn Fn()| {
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO)
    };
    let report = |name: &str, bytes: u64, t: Duration| {
        println!(
            "{name:<40} {:>8.1} ms {:>8.1} MB/s",
            t.as_secs_f64() * 1e3,
            bytes as f64 / 1e6 / t.as_secs_f64()
        );
    };

    let t = best(&|| {
        let d = describe(
            File::open(&summary.conditions_path).unwrap(),
            "DESCRIPTION",
            11,
        )
        .unwrap();
        assert_eq!(d.count, Some(summary.conditions as u64));
    });
    report("describe conditions.csv DESCRIPTION", c_bytes, t);

    let t = best(&|| {
        // Every Id is held once: at k = 1 every figure is released.
        let d = describe(File::open(&summary.patients_path).unwrap(), "Id", 1).unwrap();
        assert_eq!(d.unique, Some(summary.patients as u64));
    });
    report("describe patients.csv Id (all distinct)", p_bytes, t);

    let params = StratifyParams::new(ConditionMatch::Code("444814009".into()));
    let t = best(&|| {
        let s = stratify(
            File::open(&summary.patients_path).unwrap(),
            File::open(&summary.conditions_path).unwrap(),
            &params,
        )
        .unwrap();
        assert!(s.total.count().is_some());
    });
    report("stratify 444814009 (both files)", p_bytes + c_bytes, t);
}
