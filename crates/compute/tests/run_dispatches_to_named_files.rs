//! `run` opens exactly the files an analysis names, labels errors with those names,
//! and its output serializes and renders as a table.
#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Read};

use strongroom_compute::{Analysis, AnalysisOutput, ComputeError, ConditionMatch, Problem, run};

const PATIENTS: &str = "Id,BIRTHDATE,RACE,ETHNICITY,GENDER\np1,1980-01-01,white,nonhispanic,F\n";
const CONDITIONS: &str = "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n2010-01-01,,p1,e1,1,One\n";

fn opener(
    opened: &mut Vec<String>,
) -> impl FnMut(&str) -> Result<Box<dyn Read>, ComputeError> + '_ {
    move |name: &str| {
        opened.push(name.to_owned());
        let text = match name {
            "pat.csv" => PATIENTS,
            "cond.csv" => CONDITIONS,
            "broken.csv" => "START,PATIENT,CODE\n2010-01-01,p1\n",
            _ => {
                return Err(ComputeError::Open {
                    file: name.into(),
                    reason: "not shared with you".into(),
                });
            }
        };
        Ok(Box::new(Cursor::new(text.as_bytes().to_vec())))
    }
}

#[test]
fn describe_runs_on_the_named_file() {
    let mut opened = Vec::new();
    let analysis: Analysis =
        serde_json::from_str(r#"{"name": "describe", "file": "cond.csv", "column": "CODE"}"#)
            .unwrap();
    let output = run(&analysis, 1, &mut opener(&mut opened)).unwrap();
    assert_eq!(opened, ["cond.csv"]);
    let AnalysisOutput::Describe(d) = &output else {
        panic!("{output:?}")
    };
    assert_eq!((d.count, d.top.as_deref()), (Some(1), Some("1")));
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["name"], "describe");
    assert_eq!(json["result"]["unique"], 1);
    assert_eq!(json["result"]["suppressed"], serde_json::json!([]));
    // At the owner's usual k = 11, the one row's figures are all withheld, and the JSON
    // says so rather than carrying a number.
    let output = run(&analysis, 11, &mut opener(&mut opened)).unwrap();
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["result"]["count"], serde_json::Value::Null);
    assert_eq!(json["result"]["top"], serde_json::Value::Null);
    assert_eq!(json["result"]["suppressed"], serde_json::json!(["count"]));
    assert!(output.render_table().starts_with("column  CODE\n"));
}

#[test]
fn stratify_runs_on_both_named_files() {
    let mut opened = Vec::new();
    let analysis = Analysis::Stratify {
        patients_file: "pat.csv".into(),
        conditions_file: "cond.csv".into(),
        condition: ConditionMatch::Code("1".into()),
        k: None,
    };
    let json = serde_json::to_string(&analysis).unwrap();
    assert_eq!(serde_json::from_str::<Analysis>(&json).unwrap(), analysis);
    let output = run(&analysis, 1, &mut opener(&mut opened)).unwrap();
    assert_eq!(opened, ["pat.csv", "cond.csv"]);
    let AnalysisOutput::Stratify(s) = &output else {
        panic!("{output:?}")
    };
    assert_eq!(s.total.count(), Some(1));
    let table = output.render_table();
    assert!(
        table.contains("patients with CODE = \"1\" (k = 1)"),
        "{table}"
    );
    let back: AnalysisOutput =
        serde_json::from_str(&serde_json::to_string(&output).unwrap()).unwrap();
    assert_eq!(back, output);
}

#[test]
fn errors_carry_the_analysis_file_names() {
    let mut opened = Vec::new();
    let analysis = Analysis::Stratify {
        patients_file: "pat.csv".into(),
        conditions_file: "broken.csv".into(),
        condition: ConditionMatch::Code("1".into()),
        k: None,
    };
    let err = run(&analysis, 11, &mut opener(&mut opened)).unwrap_err();
    let ComputeError::Malformed(m) = err else {
        panic!("{err:?}")
    };
    assert_eq!(m.file, "broken.csv");
    assert_eq!(m.line, 2);
    assert_eq!(
        m.problem,
        Problem::FieldCount {
            expected: 3,
            found: 2
        }
    );

    let analysis = Analysis::Describe {
        file: "secret.csv".into(),
        column: "X".into(),
    };
    let err = run(&analysis, 11, &mut opener(&mut opened)).unwrap_err();
    assert!(matches!(err, ComputeError::Open { ref file, .. } if file == "secret.csv"));
}
