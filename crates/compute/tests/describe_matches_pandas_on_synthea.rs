//! `describe` on the real Synthea 1K sample gives the figures pandas gave in the
//! Fortanix CCM example: count 8376 / unique 129 / top Viral sinusitis (disorder) /
//! freq 1248, for every figure it releases at k = 11.
//!
//! The new release rule withholds `unique` here: 37 of the 129 descriptions (and
//! codes) are held by fewer than 11 rows, so pandas' 129 counts rare values. What is
//! released instead is `common_values`, 92 (counted independently with Python's csv
//! module: descriptions held by at least 11 rows). Count, top and freq are unchanged.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;

use strongroom_compute::{ComputeError, Labeled, Withheld, describe, describe_labeled};

/// The owner's default threshold.
const K: u32 = 11;

#[test]
fn description_column_matches_pandas() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let d = describe(
        File::open(dir.join("conditions.csv")).unwrap(),
        "DESCRIPTION",
        K,
    )
    .unwrap();
    assert_eq!(d.column, "DESCRIPTION");
    assert_eq!(d.count, Some(8376));
    assert_eq!(d.top.as_deref(), Some("Viral sinusitis (disorder)"));
    assert_eq!(d.freq, Some(1248));
    // pandas' unique (129) counts 37 rare descriptions: withheld, banded instead.
    assert_eq!(d.unique, None);
    assert_eq!(d.common_values, Some(92));
    assert_eq!(d.suppressed, [Withheld::Unique]);
    let table = d.render_table();
    assert!(table.contains("unique  suppressed\n"), "{table}");
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
    let d = describe(File::open(dir.join("conditions.csv")).unwrap(), "CODE", K).unwrap();
    assert_eq!(
        (d.count, d.common_values, d.freq),
        (Some(8376), Some(92), Some(1248))
    );
    assert_eq!(d.top.as_deref(), Some("444814009"));
}

#[test]
fn column_with_empty_values_counts_only_non_empty() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    // 171 of the 1171 patients are deceased; DEATHDATE is empty for the others.
    let d = describe(
        File::open(dir.join("patients.csv")).unwrap(),
        "DEATHDATE",
        K,
    )
    .unwrap();
    assert_eq!(d.count, Some(171));
    // Each death date is held by one patient: none is released.
    assert_eq!((d.top, d.freq, d.unique), (None, None, None));
    assert_eq!(d.common_values, Some(0));
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
    let err = describe_labeled(input, "DESCRIPTON", K).unwrap_err();
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
