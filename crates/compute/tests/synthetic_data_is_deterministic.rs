//! Synthetic data: the same seed gives the same bytes, the files have Synthea's exact
//! headers and plausible values, and both analyses run on them.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};

use strongroom_compute::synthetic::{self, CONDITIONS, CONDITIONS_HEADER, PATIENTS_HEADER};
use strongroom_compute::{Cell, ConditionMatch, StratifyParams, describe, stratify};

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = synthetic::generate(a.path(), 300, 99).unwrap();
    let sb = synthetic::generate(b.path(), 300, 99).unwrap();
    synthetic::generate(c.path(), 300, 100).unwrap();
    assert_eq!((sa.patients, sa.conditions), (sb.patients, sb.conditions));
    for name in ["patients.csv", "conditions.csv"] {
        let bytes_a = fs::read(a.path().join(name)).unwrap();
        assert_eq!(bytes_a, fs::read(b.path().join(name)).unwrap(), "{name}");
        assert_ne!(bytes_a, fs::read(c.path().join(name)).unwrap(), "{name}");
    }
    // 0 to 14 rows per patient, men skip pregnancy rows: about 7 on average.
    assert!(
        (300 * 5..300 * 9).contains(&sa.conditions),
        "{}",
        sa.conditions
    );
}

#[test]
fn headers_are_synthea_headers() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(dir.path(), 3, 1).unwrap();
    let first_line = |path: &std::path::Path| {
        BufReader::new(File::open(path).unwrap())
            .lines()
            .next()
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        first_line(&dir.path().join("patients.csv")),
        PATIENTS_HEADER
    );
    assert_eq!(
        first_line(&dir.path().join("conditions.csv")),
        CONDITIONS_HEADER
    );
    if let Some(real) = common::synthea_dir() {
        assert_eq!(first_line(&real.join("patients.csv")), PATIENTS_HEADER);
        assert_eq!(first_line(&real.join("conditions.csv")), CONDITIONS_HEADER);
    }
}

#[test]
fn values_are_plausible() {
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic::generate(dir.path(), 2_000, 5).unwrap();
    let values = |file: &str, column: usize| -> Vec<String> {
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(column).unwrap().to_owned())
            .collect()
    };
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    let births = values("patients.csv", 1);
    assert!(
        births
            .iter()
            .all(|b| ("1920-01-01"..="2020-12-31").contains(&b.as_str()))
    );
    assert_eq!(
        set(&values("patients.csv", 14)),
        set(&["F".into(), "M".into()])
    );
    assert_eq!(
        set(&values("patients.csv", 12)),
        ["asian", "black", "native", "other", "white"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        set(&values("patients.csv", 13)),
        ["hispanic", "nonhispanic"].map(String::from).into()
    );
    // Some optional fields are empty (DEATHDATE for the living), some are not.
    let deaths = values("patients.csv", 2);
    assert!(deaths.iter().any(String::is_empty) && deaths.iter().any(|d| !d.is_empty()));
    // Every row is well-formed: 25 and 6 fields.
    let text = fs::read_to_string(&s.patients_path).unwrap();
    assert!(text.lines().all(|l| l.split(',').count() == 25));
    let text = fs::read_to_string(&s.conditions_path).unwrap();
    assert!(text.lines().all(|l| l.split(',').count() == 6));

    // k = 1 releases every figure: this checks the generator, not the release rule.
    let ids = describe(File::open(&s.patients_path).unwrap(), "Id", 1).unwrap();
    assert_eq!(ids.unique, Some(2_000));
    let id = ids.top.unwrap();
    assert_eq!(
        id.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );

    let codes = describe(File::open(&s.conditions_path).unwrap(), "CODE", 1).unwrap();
    assert_eq!(codes.count, Some(s.conditions as u64));
    assert_eq!(codes.unique, Some(CONDITIONS.len() as u64));
    assert_eq!(codes.top.as_deref(), Some("444814009"));
}

#[test]
fn stratification_of_2000_patients_has_suppressed_and_published_cells() {
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic::generate(dir.path(), 2_000, 2024).unwrap();
    let strat = stratify(
        File::open(&s.patients_path).unwrap(),
        File::open(&s.conditions_path).unwrap(),
        &StratifyParams::new(ConditionMatch::Description("Diabetes".into())),
    )
    .unwrap();
    println!("{strat}");
    let cells: Vec<Cell> = strat
        .dimensions()
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|r| r.count))
        .collect();
    assert!(cells.iter().any(|c| c.is_suppressed()), "{strat}");
    assert!(cells.iter().any(|c| !c.is_suppressed()), "{strat}");
    assert!(
        strat.total.count().is_some_and(|n| n > 50 && n < 1_000),
        "{strat}"
    );
    // Published cells are at least k.
    assert!(cells.iter().filter_map(|c| c.count()).all(|n| n >= 11));
}
