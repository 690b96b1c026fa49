//! Counts below k never appear in a result, a lone small cell cannot be recovered
//! from the total, and a requester can raise k but never lower it.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use strongroom_compute::{
    Analysis, AnalysisOutput, Cell, ComputeError, ConditionMatch, Row, Stratification,
    StratifyParams, run, stratify,
};

use Cell::{Count, Suppressed};

/// A population where everyone has condition 1 (started in 2010): white women born
/// 1980-01-01, with ethnicities in the given numbers, plus `healthy` black men without
/// it.
fn dataset(ethnicities: &[(&str, usize)], healthy: usize) -> (String, String) {
    let mut patients = String::from("Id,BIRTHDATE,RACE,ETHNICITY,GENDER\n");
    let mut conditions = String::from("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n");
    let mut n = 0;
    for &(ethnicity, count) in ethnicities {
        for _ in 0..count {
            n += 1;
            patients.push_str(&format!("p{n},1980-01-01,white,{ethnicity},F\n"));
            // Two rows per patient: distinct patients are counted, not rows.
            for start in ["2010-06-01", "2012-06-01"] {
                conditions.push_str(&format!("{start},,p{n},e{n},1,Condition one\n"));
            }
        }
    }
    for _ in 0..healthy {
        n += 1;
        patients.push_str(&format!("p{n},1950-01-01,black,hispanic,M\n"));
        conditions.push_str(&format!("2010-06-01,,p{n},e{n},2,Condition two\n"));
    }
    (patients, conditions)
}

/// 20 hispanic, 12 non-hispanic and 3 with an ethnicity outside the vocabulary.
fn mixed() -> (String, String) {
    dataset(
        &[("hispanic", 20), ("nonhispanic", 12), ("unrecorded", 3)],
        5,
    )
}

fn stratify_k(data: &(String, String), k: u32) -> Stratification {
    let params = StratifyParams::new(ConditionMatch::Code("1".into())).with_requested_k(k, None);
    stratify(data.0.as_bytes(), data.1.as_bytes(), &params).unwrap()
}

fn row(value: &str, count: Cell) -> Row {
    Row {
        value: value.into(),
        count,
    }
}

#[test]
fn cells_below_k_are_suppressed_and_distinct_patients_counted() {
    let s = stratify_k(&mixed(), 11);
    assert_eq!(s.total, Count(35));
    // other (3) is primary; nonhispanic (12, the smallest published) is complementary,
    // so other cannot be computed as 35 - 20 - 12.
    assert_eq!(
        s.ethnicity,
        vec![
            row("hispanic", Count(20)),
            row("nonhispanic", Suppressed),
            row("other", Suppressed)
        ]
    );
    // Every matching patient is a white woman; the other rows are 0, below k.
    assert_eq!(
        s.gender,
        vec![
            row("F", Count(35)),
            row("M", Suppressed),
            row("other", Suppressed)
        ]
    );
    assert_eq!(s.race[4], row("white", Count(35)));
    assert!(
        s.race
            .iter()
            .filter(|r| r.value != "white")
            .all(|r| r.count == Suppressed)
    );
    // Onset 2010 at age 30 (the 2012 rows are later onsets of the same patients).
    assert_eq!(s.age_band[2], row("35-49", Suppressed));
    assert_eq!(s.age_band[1], row("18-34", Count(35)));
}

#[test]
fn lower_k_publishes_what_higher_k_hides() {
    let s = stratify_k(&mixed(), 3);
    assert_eq!(
        s.ethnicity,
        vec![
            row("hispanic", Count(20)),
            row("nonhispanic", Count(12)),
            row("other", Count(3))
        ]
    );
}

#[test]
fn total_below_k_suppresses_everything() {
    let data = dataset(&[("hispanic", 10)], 50);
    let s = stratify_k(&data, 11);
    assert_eq!(s.total, Suppressed);
    for (name, rows) in s.dimensions() {
        assert!(
            rows.iter().all(|r| r.count == Suppressed),
            "{name}: {rows:?}"
        );
    }
}

#[test]
fn suppressed_cells_carry_no_number_in_json_or_table() {
    let s = stratify_k(&mixed(), 11);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json["ethnicity"][2],
        serde_json::json!({"value": "other", "count": "suppressed"})
    );
    assert_eq!(
        json["ethnicity"][0],
        serde_json::json!({"value": "hispanic", "count": {"count": 20}})
    );
    let table = s.render_table();
    let other_line = table
        .lines()
        .find(|l| l.starts_with("ethnicity") && l.contains("other"))
        .unwrap();
    assert!(other_line.ends_with("suppressed"), "{other_line}");
    assert!(!other_line.contains('3'), "{other_line}");
}

#[test]
fn requester_can_raise_k_but_not_lower_it() {
    let data = mixed();
    let ethnicity_of = |requested: Option<u32>| {
        let analysis = Analysis::Stratify {
            patients_file: "patients.csv".into(),
            conditions_file: "conditions.csv".into(),
            condition: ConditionMatch::Code("1".into()),
            k: requested,
        };
        let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
            let text = if name == "patients.csv" {
                &data.0
            } else {
                &data.1
            };
            Ok(Box::new(std::io::Cursor::new(text.clone().into_bytes())))
        };
        let AnalysisOutput::Stratify(s) = run(&analysis, 11, &mut open).unwrap() else {
            panic!("not a stratification")
        };
        (s.k, s.ethnicity)
    };
    // Asking for k = 1 (publish everything) is ignored: the owner's 11 holds.
    let (k, ethnicity) = ethnicity_of(Some(1));
    assert_eq!(k, 11);
    assert_eq!(ethnicity[2], row("other", Suppressed));
    // Asking for 21 raises it: hispanic (20) is now suppressed too.
    let (k, ethnicity) = ethnicity_of(Some(21));
    assert_eq!(k, 21);
    assert_eq!(ethnicity[0], row("hispanic", Suppressed));
    assert_eq!(ethnicity_of(None).0, 11);
}

#[test]
fn with_requested_k_is_the_maximum_of_owner_and_requester() {
    let base = StratifyParams::new(ConditionMatch::Code("1".into()));
    for owner in [0, 1, 5, 11, 30] {
        for requested in [
            None,
            Some(0),
            Some(1),
            Some(10),
            Some(11),
            Some(12),
            Some(100),
        ] {
            let k = base.clone().with_requested_k(owner, requested).k();
            assert!(k >= owner, "owner {owner}, requested {requested:?}: {k}");
            assert_eq!(k, requested.map_or(owner, |r| r.max(owner)));
        }
    }
}
