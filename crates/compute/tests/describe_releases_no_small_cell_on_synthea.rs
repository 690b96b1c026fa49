//! `describe` on every column of the real Synthea 1K sample, at k = 11, releases no
//! count below k and no value held by fewer than k records, checked against counts
//! the test makes itself with the `csv` crate. Identifier columns (`Id`, `SSN`,
//! `PASSPORT`, ...) release no value at all. Each file is its own test and reports
//! every failing column (by name; the values stay out of the report).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use strongroom_compute::{AnalysisOutput, Describe, Withheld, check_release, describe};

const K: u32 = 11;

/// Every column's non-empty values and how many records hold each, counted with the
/// `csv` crate (byte for byte, as pandas compares strings).
fn independent_counts(path: &Path) -> (Vec<String>, Vec<HashMap<Vec<u8>, u64>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut counts = vec![HashMap::new(); header.len()];
    for record in reader.byte_records() {
        let record = record.unwrap();
        for (column, field) in record.iter().enumerate() {
            if !field.is_empty() {
                *counts[column].entry(field.to_vec()).or_insert(0) += 1;
            }
        }
    }
    (header, counts)
}

/// What is wrong with `d` given the independent counts of its column, if anything.
fn problems(d: &Describe, counts: &HashMap<Vec<u8>, u64>) -> Vec<&'static str> {
    let k = u64::from(K);
    let total: u64 = counts.values().sum();
    let common = counts.values().filter(|&&n| n >= k).count() as u64;
    let max = counts.values().copied().max().unwrap_or(0);
    let mut out = Vec::new();
    // The privacy property: nothing released rests on fewer than k records.
    if d.count.is_some_and(|n| n < k) {
        out.push("released a count below k");
    }
    if let Some(top) = &d.top
        && counts.get(top.as_bytes()).copied().unwrap_or(0) < k
    {
        out.push("released a top value held by fewer than k records");
    }
    if d.freq.is_some_and(|n| n < k) {
        out.push("released a freq below k");
    }
    if d.unique.is_some() && counts.values().any(|&n| n < k) {
        out.push("released unique while some value is held by fewer than k records");
    }
    if check_release(&AnalysisOutput::Describe(d.clone()), K).is_err() {
        out.push("fails the release check");
    }
    // And what is released is right, and withheld only when it has to be.
    if total < k {
        if d.count.is_some() || d.suppressed != [Withheld::Count] {
            out.push("a count below k is not withheld as such");
        }
        return out;
    }
    if d.count != Some(total) {
        out.push("count differs from the independent count");
    }
    if d.common_values != Some(common) {
        out.push("common_values differs from the independent count");
    }
    let all_common = common == counts.len() as u64;
    if d.unique != all_common.then_some(counts.len() as u64) {
        out.push("unique is wrong or wrongly withheld");
    }
    if max >= k {
        let top_count = d
            .top
            .as_ref()
            .and_then(|t| counts.get(t.as_bytes()).copied());
        if d.freq != Some(max) || top_count != Some(max) {
            out.push("top/freq is not a most frequent value and its count");
        }
    } else if d.top.is_some() || d.freq.is_some() || !d.suppressed.contains(&Withheld::Top) {
        out.push("a top below k is not withheld as such");
    }
    out
}

/// Describes every column of `file` and asserts no column has a problem.
fn check_every_column(file: &str) {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let path = dir.join(file);
    let (header, counts) = independent_counts(&path);
    let mut failures = Vec::new();
    for (column, counts) in header.iter().zip(&counts) {
        let d = describe(File::open(&path).unwrap(), column, K).unwrap();
        for problem in problems(&d, counts) {
            failures.push(format!("{file} column {column}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn patients_csv_releases_no_small_cell() {
    check_every_column("patients.csv");
}

#[test]
fn conditions_csv_releases_no_small_cell() {
    check_every_column("conditions.csv");
}

#[test]
fn allergies_csv_releases_no_small_cell() {
    check_every_column("allergies.csv");
}

#[test]
fn careplans_csv_releases_no_small_cell() {
    check_every_column("careplans.csv");
}

#[test]
fn immunizations_csv_releases_no_small_cell() {
    check_every_column("immunizations.csv");
}

#[test]
fn organizations_csv_releases_no_small_cell() {
    check_every_column("organizations.csv");
}

#[test]
fn providers_csv_releases_no_small_cell() {
    check_every_column("providers.csv");
}

#[test]
fn payer_transitions_csv_releases_no_small_cell() {
    check_every_column("payer_transitions.csv");
}

#[test]
fn imaging_studies_csv_releases_no_small_cell() {
    check_every_column("imaging_studies.csv");
}

#[test]
fn devices_csv_releases_no_small_cell() {
    check_every_column("devices.csv");
}

#[test]
fn payers_csv_releases_no_small_cell() {
    check_every_column("payers.csv");
}

#[test]
fn identifier_columns_release_no_value() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    // SSN: 1171 patients, one number held twice, the rest once. Before the release
    // rule, describe gave that patient's SSN as top (freq 2).
    for column in [
        "Id", "SSN", "DRIVERS", "PASSPORT", "FIRST", "ADDRESS", "LAT",
    ] {
        let d = describe(File::open(dir.join("patients.csv")).unwrap(), column, K).unwrap();
        assert_eq!((&d.top, d.freq, d.unique), (&None, None, None), "{column}");
        assert!(d.suppressed.contains(&Withheld::Top), "{column}");
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains("999-"), "{column}: {json}");
    }
}
