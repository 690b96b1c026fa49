//! `Analysis::columns()` is exact: an analysis runs on files holding only the columns
//! it declares, and its result does not change when undeclared columns do.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use strongroom_compute::{
    Analysis, AnalysisOutput, ColumnRef, ComputeError, ConditionMatch, run, synthetic,
};

/// Keeps only `keep` columns of a simple (unquoted) CSV text, in header order.
fn project(text: &str, keep: &[&str]) -> String {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx: Vec<usize> = (0..header.len())
        .filter(|&i| keep.contains(&header[i]))
        .collect();
    assert_eq!(idx.len(), keep.len(), "all kept columns exist");
    let mut out = String::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        out.push_str(&idx.iter().map(|&i| fields[i]).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// Replaces every value of the columns not in `keep` with junk (same field count).
fn scramble(text: &str, keep: &[&str]) -> String {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut out = format!("{}\n", header.join(","));
    for (n, line) in lines.enumerate() {
        let fields: Vec<String> = line
            .split(',')
            .enumerate()
            .map(|(i, f)| {
                if keep.contains(&header[i]) {
                    f.to_owned()
                } else {
                    format!("x{n}")
                }
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn run_on(analysis: &Analysis, files: &BTreeMap<String, String>) -> AnalysisOutput {
    let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
        let text = files.get(name).ok_or_else(|| ComputeError::Open {
            file: name.into(),
            reason: "absent".into(),
        })?;
        Ok(Box::new(Cursor::new(text.clone().into_bytes())))
    };
    run(analysis, 11, &mut open).unwrap()
}

fn declared(analysis: &Analysis, file: &str) -> Vec<String> {
    analysis
        .columns()
        .into_iter()
        .filter(|c| c.file == file)
        .map(|c| c.column)
        .collect()
}

#[test]
fn analyses_depend_only_on_declared_columns() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(dir.path(), 400, 3).unwrap();
    let full: BTreeMap<String, String> = ["patients.csv", "conditions.csv"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read_to_string(dir.path().join(n)).unwrap(),
            )
        })
        .collect();
    let analyses = [
        Analysis::Describe {
            file: "conditions.csv".into(),
            column: "DESCRIPTION".into(),
        },
        Analysis::Stratify {
            patients_file: "patients.csv".into(),
            conditions_file: "conditions.csv".into(),
            condition: ConditionMatch::Code("444814009".into()),
            k: None,
        },
        Analysis::Stratify {
            patients_file: "patients.csv".into(),
            conditions_file: "conditions.csv".into(),
            condition: ConditionMatch::Description("Hypertension".into()),
            k: Some(15),
        },
    ];
    for analysis in &analyses {
        let expected = run_on(analysis, &full);
        let mut projected = BTreeMap::new();
        let mut scrambled = BTreeMap::new();
        for (name, text) in &full {
            let keep = declared(analysis, name);
            let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
            if keep.is_empty() {
                continue;
            }
            projected.insert(name.clone(), project(text, &keep));
            scrambled.insert(name.clone(), scramble(text, &keep));
        }
        assert_eq!(run_on(analysis, &projected), expected, "{analysis:?}");
        assert_eq!(run_on(analysis, &scrambled), expected, "{analysis:?}");
    }
}

#[test]
fn declared_columns_of_stratify() {
    let analysis = Analysis::Stratify {
        patients_file: "p.csv".into(),
        conditions_file: "c.csv".into(),
        condition: ConditionMatch::Code("1".into()),
        k: None,
    };
    let at = |file: &str, column: &str| ColumnRef {
        file: file.into(),
        column: column.into(),
    };
    assert_eq!(
        analysis.columns(),
        vec![
            at("p.csv", "Id"),
            at("p.csv", "BIRTHDATE"),
            at("p.csv", "RACE"),
            at("p.csv", "ETHNICITY"),
            at("p.csv", "GENDER"),
            at("c.csv", "START"),
            at("c.csv", "PATIENT"),
            at("c.csv", "CODE"),
        ]
    );
}
