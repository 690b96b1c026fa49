//! The three example algorithms, compiled to WebAssembly and run in the sandbox over
//! the real Synthea sample split among three hospitals, release exactly what the test
//! computes itself over the union of the records (its own CSV reading, no code of the
//! sandbox or of `strongroom-compute`), minus the groups of fewer than `k` rows.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use strongroom_compute::{RowWindow, RowWindows};
use strongroom_sandbox::{Limits, Sandbox, Table};

const K: u32 = 11;

/// What the test expects for a table: released groups with their counts, and how
/// many groups are withheld, from its own counts of every group.
fn expect(counts: &BTreeMap<Vec<String>, u64>, table: &Table) {
    let released: BTreeMap<Vec<String>, u64> = counts
        .iter()
        .filter(|(_, n)| **n >= u64::from(K))
        .map(|(labels, n)| (labels.clone(), *n))
        .collect();
    let got: BTreeMap<Vec<String>, u64> = table
        .rows
        .iter()
        .map(|row| (row.labels.clone(), row.count))
        .collect();
    assert_eq!(got, released);
    let withheld = counts.len() - released.len();
    assert_eq!(table.withheld_groups, withheld as u64);
    assert_eq!(table.k, K);
}

/// Runs example `name` over `csv` split among three hospitals, showing `columns`.
fn run_split(name: &str, csv: &str, columns: &[&str], windows: &RowWindows) -> Table {
    let sandbox = Sandbox::new().unwrap();
    let algorithm = common::load(&sandbox, &common::example(name));
    let inputs = common::split(csv, 3)
        .into_iter()
        .enumerate()
        .map(|(i, part)| common::input(&format!("hospital-{i}.csv"), part, columns, windows))
        .collect();
    sandbox
        .run(&algorithm, inputs, K, &Limits::default())
        .unwrap()
}

#[test]
fn count_by_group_over_three_hospitals_equals_the_count_over_the_union() {
    let Some(csv) = common::synthea("patients.csv") else {
        return;
    };
    let mut counts = BTreeMap::new();
    for record in common::records(&csv) {
        *counts.entry(vec![record["RACE"].clone()]).or_insert(0) += 1;
    }
    let table = run_split("count_by_group", &csv, &["RACE"], &RowWindows::default());
    expect(&counts, &table);
    assert!(table.rows.iter().all(|row| row.cells.is_empty()));
    assert!(
        table.withheld_groups > 0,
        "the sample has a rare race: {counts:?}"
    );
}

#[test]
fn count_by_group_releases_nothing_of_an_identifier_column() {
    let Some(csv) = common::synthea("patients.csv") else {
        return;
    };
    let ssns: std::collections::BTreeSet<String> = common::records(&csv)
        .into_iter()
        .map(|record| record["SSN"].clone())
        .collect();
    let table = run_split("count_by_group", &csv, &["SSN"], &RowWindows::default());
    assert!(table.rows.is_empty(), "released {:?}", table.rows.first());
    // One group per distinct SSN (the sample has two patients sharing one).
    assert_eq!(table.withheld_groups, ssns.len() as u64);
}

#[test]
fn sum_by_group_matches_sums_and_means_computed_here() {
    let Some(csv) = common::synthea("patients.csv") else {
        return;
    };
    let mut sums: BTreeMap<Vec<String>, (u64, f64)> = BTreeMap::new();
    for record in common::records(&csv) {
        let value: f64 = record["HEALTHCARE_EXPENSES"].parse().unwrap();
        let entry = sums
            .entry(vec![record["GENDER"].clone()])
            .or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += value;
    }
    let columns = ["GENDER", "HEALTHCARE_EXPENSES"];
    let table = run_split("sum_by_group", &csv, &columns, &RowWindows::default());
    let counts = sums.iter().map(|(l, (n, _))| (l.clone(), *n)).collect();
    expect(&counts, &table);
    for row in &table.rows {
        let (n, sum) = sums[&row.labels];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(row.cells["sum"], sum), "{row:?} vs {sum}");
        assert!(close(row.cells["mean"], sum / n as f64), "{row:?}");
        assert_eq!(row.cells.len(), 2, "{row:?}");
    }
}

#[test]
fn two_by_two_counts_match_and_its_labels_are_the_algorithm_s() {
    let Some(csv) = common::synthea("patients.csv") else {
        return;
    };
    let mut counts = BTreeMap::new();
    for record in common::records(&csv) {
        let exposure = if record["DRIVERS"].is_empty() {
            "unexposed"
        } else {
            "exposed"
        };
        let outcome = if record["DEATHDATE"].is_empty() {
            "control"
        } else {
            "case"
        };
        *counts
            .entry(vec![exposure.to_owned(), outcome.to_owned()])
            .or_insert(0) += 1;
    }
    let columns = ["DRIVERS", "DEATHDATE"];
    let table = run_split("two_by_two", &csv, &columns, &RowWindows::default());
    expect(&counts, &table);
    assert!(table.rows.iter().all(|row| row.cells.is_empty()));
}

#[test]
fn a_row_window_limits_the_rows_the_algorithm_sees() {
    let Some(csv) = common::synthea("conditions.csv") else {
        return;
    };
    // 2015-01-01 <= START < 2019-01-01, as ISO dates compare.
    let mut counts = BTreeMap::new();
    for record in common::records(&csv) {
        let start = record["START"].as_str();
        if ("2015-01-01".."2019-01-01").contains(&start) {
            *counts
                .entry(vec![record["DESCRIPTION"].clone()])
                .or_insert(0) += 1;
        }
    }
    let window = RowWindow::new("START", 1_420_070_400_000, 1_546_300_800_000);
    let table = run_split(
        "count_by_group",
        &csv,
        &["DESCRIPTION"],
        &RowWindows::everywhere(window),
    );
    expect(&counts, &table);
    let all = common::records(&csv).len() as u64;
    let seen: u64 = counts.values().sum();
    assert!(seen < all, "the window keeps {seen} of {all} rows");
}
