//! `describe` on the real Synthea 1K sample gives the figures pandas gave in the
//! Fortanix CCM example: count 8376 / unique 129 / top Viral sinusitis (disorder) /
//! freq 1248.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;

use strongroom_compute::{ComputeError, Labeled, describe, describe_labeled};

#[test]
fn description_column_matches_pandas() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let d = describe(
        File::open(dir.join("conditions.csv")).unwrap(),
        "DESCRIPTION",
    )
    .unwrap();
    assert_eq!(d.column, "DESCRIPTION");
    assert_eq!(d.count, 8376);
    assert_eq!(d.unique, 129);
    assert_eq!(d.top.as_deref(), Some("Viral sinusitis (disorder)"));
    assert_eq!(d.freq, 1248);
    let table = d.render_table();
    assert!(
        table.contains("top     Viral sinusitis (disorder)\n"),
        "{table}"
    );
}

#[test]
fn code_column_has_one_code_per_description() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let d = describe(File::open(dir.join("conditions.csv")).unwrap(), "CODE").unwrap();
    assert_eq!((d.count, d.unique, d.freq), (8376, 129, 1248));
    assert_eq!(d.top.as_deref(), Some("444814009"));
}

#[test]
fn column_with_empty_values_counts_only_non_empty() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    // 171 of the 1171 patients are deceased; DEATHDATE is empty for the others.
    let d = describe(File::open(dir.join("patients.csv")).unwrap(), "DEATHDATE").unwrap();
    assert_eq!(d.count, 171);
}

#[test]
fn unknown_column_is_named_with_the_header() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let input = Labeled::new(
        "conditions.csv",
        File::open(dir.join("conditions.csv")).unwrap(),
    );
    let err = describe_labeled(input, "DESCRIPTON").unwrap_err();
    let ComputeError::UnknownColumn {
        file,
        column,
        available,
    } = &err
    else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(file, "conditions.csv");
    assert_eq!(column, "DESCRIPTON");
    assert_eq!(
        available,
        &[
            "START",
            "STOP",
            "PATIENT",
            "ENCOUNTER",
            "CODE",
            "DESCRIPTION"
        ]
    );
    let message = err.to_string();
    assert!(
        message.contains("DESCRIPTON") && message.contains("\"DESCRIPTION\""),
        "{message}"
    );
}
