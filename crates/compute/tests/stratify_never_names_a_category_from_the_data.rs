//! `stratify`'s rows are fixed by its definition: a value outside Synthea's vocabulary
//! (a rare race, an unrecorded ethnicity, a free-text gender) never appears in the
//! output by name, rare or common; it is counted in the dimension's `other` row.
#![allow(clippy::unwrap_used)]

use strongroom_compute::stratify::{DIMENSIONS, OTHER};
use strongroom_compute::{
    AnalysisOutput, Cell, ConditionMatch, Stratification, StratifyParams, check_release, stratify,
};

/// Names no Synthea file uses, for the rare and the common unlisted values.
const RARE: [&str; 3] = ["Klingon-Rare", "Martian-Rare", "Xeno-Rare"];
const COMMON_RACE: &str = "Vulcan-Common";

/// 40 listed patients, 15 with an unlisted race, and 2 patients with rare values in
/// every dimension; everyone has condition 1.
fn data() -> (String, String) {
    let mut patients = String::from("Id,BIRTHDATE,RACE,ETHNICITY,GENDER\n");
    let mut conditions = String::from("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n");
    let mut add = |n: usize, race: &str, ethnicity: &str, gender: &str| {
        patients.push_str(&format!("p{n},1980-01-01,{race},{ethnicity},{gender}\n"));
        conditions.push_str(&format!("2010-06-01,,p{n},e{n},1,One\n"));
    };
    for n in 0..40 {
        add(
            n,
            "white",
            "nonhispanic",
            if n % 2 == 0 { "F" } else { "M" },
        );
    }
    for n in 40..55 {
        add(n, COMMON_RACE, "hispanic", "F");
    }
    for n in 55..57 {
        add(n, RARE[0], RARE[1], RARE[2]);
    }
    (patients, conditions)
}

fn run(k: u32) -> Stratification {
    let (p, c) = data();
    let params = StratifyParams::new(ConditionMatch::Code("1".into())).with_requested_k(k, None);
    stratify(p.as_bytes(), c.as_bytes(), &params).unwrap()
}

fn assert_names_nothing_from_the_data(s: &Stratification) {
    let json = serde_json::to_string(s).unwrap();
    let table = s.render_table();
    for name in RARE.iter().chain([&COMMON_RACE]) {
        assert!(!json.contains(name), "{name} in {json}");
        assert!(!table.contains(name), "{name} in {table}");
    }
    for ((dimension, rows), (_, labels)) in s.dimensions().into_iter().zip(DIMENSIONS) {
        let values: Vec<&str> = rows.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, labels, "{dimension}");
    }
}

#[test]
fn rare_values_are_not_named_at_the_owner_k() {
    let s = run(11);
    assert_names_nothing_from_the_data(&s);
    check_release(&AnalysisOutput::Stratify(s), 11).unwrap();
}

#[test]
fn rare_values_are_not_named_even_when_k_publishes_them() {
    // k = 1 publishes the 2 rare patients' cells, as `other` only.
    let s = run(1);
    assert_names_nothing_from_the_data(&s);
    let other = |rows: &[strongroom_compute::Row]| rows.last().unwrap().count;
    assert_eq!(other(&s.gender), Cell::Count(2));
    assert_eq!(other(&s.ethnicity), Cell::Count(2));
    assert_eq!(other(&s.race), Cell::Count(17));
}

#[test]
fn common_unlisted_values_are_counted_in_other() {
    let s = run(11);
    let other = s.race.last().unwrap();
    assert_eq!(other.value, OTHER);
    // 15 with the common unlisted race plus the 2 rare ones.
    assert_eq!(other.count, Cell::Count(17));
    assert_eq!(s.race[4].count, Cell::Count(40));
}

#[test]
fn synthea_own_other_race_is_the_other_row() {
    let mut patients = String::from("Id,BIRTHDATE,RACE,ETHNICITY,GENDER\n");
    let mut conditions = String::from("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n");
    for n in 0..12 {
        patients.push_str(&format!("p{n},1980-01-01,other,nonhispanic,F\n"));
        conditions.push_str(&format!("2010-06-01,,p{n},e{n},1,One\n"));
    }
    let params = StratifyParams::new(ConditionMatch::Code("1".into()));
    let s = stratify(patients.as_bytes(), conditions.as_bytes(), &params).unwrap();
    assert_eq!(s.race.iter().filter(|r| r.value == OTHER).count(), 1);
    assert_eq!(s.race.last().unwrap().count, Cell::Count(12));
}
