//! `check_release` passes what the analyses release and refuses, with a typed error
//! naming the figure (never a value), any output that breaks "small cells suppressed":
//! a count or a value below k, a lone withheld cell, a category outside the fixed
//! vocabulary, a threshold below the required one, figures that contradict each other.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;

use strongroom_compute::{
    AnalysisOutput, Cell, ConditionMatch, Describe, ReleaseViolation, Row, Stratification,
    StratifyParams, check_release, describe, stratify, synthetic,
};

const K: u32 = 11;

/// A describe output that passes: 40 records, two values held by 20 each.
fn good_describe() -> Describe {
    let mut csv = String::from("x\n");
    for n in 0..40 {
        csv.push_str(if n % 2 == 0 { "a\n" } else { "b\n" });
    }
    describe(csv.as_bytes(), "x", K).unwrap()
}

/// A stratification that passes: synthetic data, 2,000 patients.
fn good_stratification() -> Stratification {
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic::generate(dir.path(), 2_000, 7).unwrap();
    stratify(
        File::open(&s.patients_path).unwrap(),
        File::open(&s.conditions_path).unwrap(),
        &StratifyParams::new(ConditionMatch::Code("444814009".into())),
    )
    .unwrap()
}

fn check_describe(d: Describe) -> Result<(), ReleaseViolation> {
    check_release(&AnalysisOutput::Describe(d), K)
}

fn check_stratify(s: Stratification) -> Result<(), ReleaseViolation> {
    check_release(&AnalysisOutput::Stratify(s), K)
}

#[test]
fn analyses_outputs_pass() {
    check_describe(good_describe()).unwrap();
    check_stratify(good_stratification()).unwrap();
}

#[test]
fn synthea_outputs_pass() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let s = stratify(
        File::open(dir.join("patients.csv")).unwrap(),
        File::open(dir.join("conditions.csv")).unwrap(),
        &StratifyParams::new(ConditionMatch::Code("444814009".into())),
    )
    .unwrap();
    check_stratify(s).unwrap();
    let d = describe(File::open(dir.join("patients.csv")).unwrap(), "SSN", K).unwrap();
    check_describe(d).unwrap();
}

#[test]
fn count_below_k_is_refused() {
    let mut d = good_describe();
    d.count = Some(10);
    d.common_values = Some(0);
    (d.unique, d.top, d.freq) = (None, None, None);
    assert_eq!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::CountBelowK {
            figure: "describe count".into(),
            k: K
        }
    );
}

#[test]
fn top_held_by_fewer_than_k_is_refused_without_quoting_it() {
    let mut d = good_describe();
    (d.top, d.freq) = (Some("999-76-6866".into()), Some(2));
    let err = check_describe(d).unwrap_err();
    assert_eq!(
        err,
        ReleaseViolation::ValueBelowK {
            figure: "describe top".into(),
            k: K
        }
    );
    assert!(!err.to_string().contains("999"), "{err}");
}

#[test]
fn top_without_freq_is_refused() {
    let mut d = good_describe();
    d.freq = None;
    assert!(matches!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::Inconsistent { figure, .. } if figure == "describe top"
    ));
}

#[test]
fn unique_counting_rare_values_is_refused() {
    // 40 records cannot hold 5 distinct values of at least 11 records each.
    let mut d = good_describe();
    (d.unique, d.common_values) = (Some(5), Some(5));
    assert!(matches!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::Inconsistent { figure, .. } if figure == "describe unique"
    ));
    // unique released while it differs from the common values.
    let mut d = good_describe();
    d.unique = Some(3);
    assert!(matches!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::Inconsistent { figure, .. } if figure == "describe unique"
    ));
}

#[test]
fn figures_released_under_a_withheld_count_are_refused() {
    let mut d = good_describe();
    d.count = None;
    assert!(matches!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::Inconsistent { .. }
    ));
}

#[test]
fn threshold_below_the_required_k_is_refused() {
    let mut d = good_describe();
    d.k = 5;
    assert_eq!(
        check_describe(d).unwrap_err(),
        ReleaseViolation::ThresholdBelowK { applied: 5, k: K }
    );
    let mut s = good_stratification();
    s.k = 10;
    assert_eq!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::ThresholdBelowK { applied: 10, k: K }
    );
}

#[test]
fn small_stratify_cell_is_refused() {
    let mut s = good_stratification();
    s.age_band[0].count = Cell::Count(3);
    assert_eq!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::CountBelowK {
            figure: "stratify age_band row 0-17".into(),
            k: K
        }
    );
    let mut s = good_stratification();
    s.total = Cell::Count(3);
    assert!(matches!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::CountBelowK { figure, .. } if figure == "stratify total"
    ));
}

#[test]
fn category_named_from_the_data_is_refused_without_quoting_it() {
    let mut s = good_stratification();
    s.race[1].value = "Klingon".into();
    let err = check_stratify(s).unwrap_err();
    assert_eq!(
        err,
        ReleaseViolation::UnlistedCategory {
            dimension: "race".into(),
            row: 1
        }
    );
    assert!(!err.to_string().contains("Klingon"), "{err}");
    // An extra row, even with a listed name.
    let mut s = good_stratification();
    s.gender.push(Row {
        value: "F".into(),
        count: Cell::Suppressed,
    });
    assert!(matches!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::UnlistedCategory { row: 3, .. }
    ));
}

#[test]
fn lone_withheld_cell_is_refused() {
    let mut s = good_stratification();
    // Publish every age band but one.
    for row in &mut s.age_band {
        row.count = Cell::Count(100);
    }
    s.age_band[2].count = Cell::Suppressed;
    s.total = Cell::Count(500);
    assert_eq!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::LoneSuppressedCell {
            dimension: "age_band".into()
        }
    );
}

#[test]
fn cell_released_under_a_withheld_total_is_refused() {
    let mut s = good_stratification();
    s.total = Cell::Suppressed;
    assert!(matches!(
        check_stratify(s).unwrap_err(),
        ReleaseViolation::Inconsistent { figure, .. } if figure == "stratify gender"
    ));
}
