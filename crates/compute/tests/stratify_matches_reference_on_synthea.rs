//! `stratify` on the real Synthea 1K sample matches counts computed independently
//! (with Python's csv module) for SNOMED 444814009, viral sinusitis: 743 distinct
//! patients; F 407, M 336; asian 61, black 64, native 9, white 609 (other 0);
//! hispanic 76, nonhispanic 667; age at first onset 0-17: 186, 18-34: 154,
//! 35-49: 157, 50-64: 147, 65+: 99.
//!
//! With the fixed vocabulary every dimension but age has an `other` row, 0 here and so
//! suppressed; where it is the only small cell (gender, ethnicity), the smallest
//! published row goes with it (M 336, hispanic 76), so that `other` cannot be computed
//! from the total.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;

use strongroom_compute::{Cell, ConditionMatch, Row, StratifyParams, stratify};

fn rows(pairs: &[(&str, Cell)]) -> Vec<Row> {
    pairs
        .iter()
        .map(|&(value, count)| Row {
            value: value.into(),
            count,
        })
        .collect()
}

fn run(condition: ConditionMatch) -> Option<strongroom_compute::Stratification> {
    let dir = common::synthea_dir()?;
    let s = stratify(
        File::open(dir.join("patients.csv")).unwrap(),
        File::open(dir.join("conditions.csv")).unwrap(),
        &StratifyParams::new(condition),
    )
    .unwrap();
    Some(s)
}

#[test]
fn viral_sinusitis_by_code() {
    let Some(s) = run(ConditionMatch::Code("444814009".into())) else {
        return;
    };
    println!("{s}");
    use Cell::{Count, Suppressed};
    assert_eq!(s.k, 11);
    assert_eq!(s.total, Count(743));
    // other (0) is the only small cell: M, the smallest published, goes with it.
    assert_eq!(
        s.gender,
        rows(&[("F", Count(407)), ("M", Suppressed), ("other", Suppressed)])
    );
    // hawaiian (0), native (9) and other (0) are below k: several suppressed cells, so
    // no complementary suppression is needed.
    assert_eq!(
        s.race,
        rows(&[
            ("asian", Count(61)),
            ("black", Count(64)),
            ("hawaiian", Suppressed),
            ("native", Suppressed),
            ("white", Count(609)),
            ("other", Suppressed),
        ])
    );
    assert_eq!(
        s.ethnicity,
        rows(&[
            ("hispanic", Suppressed),
            ("nonhispanic", Count(667)),
            ("other", Suppressed)
        ])
    );
    assert_eq!(
        s.age_band,
        rows(&[
            ("0-17", Count(186)),
            ("18-34", Count(154)),
            ("35-49", Count(157)),
            ("50-64", Count(147)),
            ("65+", Count(99)),
        ])
    );
}

#[test]
fn matching_by_description_gives_the_same_counts() {
    let Some(by_code) = run(ConditionMatch::Code("444814009".into())) else {
        return;
    };
    let by_description = run(ConditionMatch::Description(
        "Viral sinusitis (disorder)".into(),
    ))
    .unwrap();
    assert_eq!(by_code.dimensions(), by_description.dimensions());
    assert_eq!(by_code.total, by_description.total);
}

#[test]
fn absent_condition_suppresses_everything() {
    let Some(s) = run(ConditionMatch::Code("0".into())) else {
        return;
    };
    assert_eq!(s.total, Cell::Suppressed);
    for (_, rows) in s.dimensions() {
        assert!(rows.iter().all(|r| r.count == Cell::Suppressed));
    }
}
