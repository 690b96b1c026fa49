//! Malformed input fails the whole analysis with an error naming the file, the line
//! and the problem; no partial result is ever returned, and no cell value is quoted.
#![allow(clippy::unwrap_used)]

use std::io::{self, Read};

use strongroom_compute::{
    ComputeError, ConditionMatch, Labeled, MalformedInput, Problem, StratifyParams, describe,
    describe_labeled, stratify, stratify_labeled,
};

const PATIENTS: &str = "Id,BIRTHDATE,RACE,ETHNICITY,GENDER\n\
                        p1,1980-01-01,white,nonhispanic,F\n\
                        p2,1990-06-15,black,hispanic,M\n";
const CONDITIONS_HEADER: &str = "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n";

fn conditions(rows: &[&str]) -> String {
    let mut s = CONDITIONS_HEADER.to_owned();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn stratify_err(patients: &[u8], conditions: &[u8]) -> ComputeError {
    let params = StratifyParams::new(ConditionMatch::Code("1".into())).with_requested_k(1, None);
    stratify(patients, conditions, &params).unwrap_err()
}

fn malformed(err: ComputeError) -> MalformedInput {
    match err {
        ComputeError::Malformed(m) => m,
        other => panic!("expected a malformed-input error, got {other:?}"),
    }
}

const GOOD: &str = "2010-01-01,,p1,e1,1,One";

#[test]
fn good_input_succeeds() {
    // The baseline the other tests break one thing of.
    let params = StratifyParams::new(ConditionMatch::Code("1".into())).with_requested_k(1, None);
    let c = conditions(&[GOOD, GOOD, "2011-01-01,,p2,e2,2,Two"]);
    let s = stratify(PATIENTS.as_bytes(), c.as_bytes(), &params).unwrap();
    assert_eq!(s.total.count(), Some(1));
}

#[test]
fn row_with_wrong_field_count_names_file_and_line() {
    // Line 1 is the header; the short row is on line 4, after good rows.
    let c = conditions(&[GOOD, GOOD, "2010-01-01,,p1,e1,1", GOOD]);
    let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
    assert_eq!(m.file, "conditions.csv");
    assert_eq!(m.line, 4);
    assert_eq!(
        m.problem,
        Problem::FieldCount {
            expected: 6,
            found: 5
        }
    );
    // Too many fields too, in the last row: the error still wins over the result.
    let c = conditions(&[GOOD, "2010-01-01,,p1,e1,1,One,extra"]);
    let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
    assert_eq!(
        (m.line, m.problem),
        (
            3,
            Problem::FieldCount {
                expected: 6,
                found: 7
            }
        )
    );
}

#[test]
fn bad_dates_fail() {
    for bad in [
        "2019-02-29",
        "2010-13-01",
        "01/02/2010",
        "",
        "2010-01-01T10:00:00Z",
    ] {
        let row = format!("{bad},,p1,e1,1,One");
        let c = conditions(&[GOOD, &row]);
        let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
        assert_eq!(m.line, 3, "{bad}");
        assert_eq!(
            m.problem,
            Problem::BadDate {
                column: "START".into()
            },
            "{bad}"
        );
    }
    // In the patients file, on an unmatched patient: every row is checked.
    let p = "Id,BIRTHDATE,RACE,ETHNICITY,GENDER\np1,1980-01-01,white,nonhispanic,F\np2,1990-6-15,white,nonhispanic,F\n";
    let m = malformed(stratify_err(p.as_bytes(), conditions(&[GOOD]).as_bytes()));
    assert_eq!(m.file, "patients.csv");
    assert_eq!(m.line, 3);
    assert_eq!(
        m.problem,
        Problem::BadDate {
            column: "BIRTHDATE".into()
        }
    );
}

#[test]
fn invalid_utf8_fails() {
    // describe: the invalid value is on line 3.
    let input: &[u8] = b"CODE,DESCRIPTION\n1,One\n2,Tw\xff\n1,One\n";
    let err = describe_labeled(Labeled::new("c.csv", input), "DESCRIPTION", 1).unwrap_err();
    let m = malformed(err);
    assert_eq!(m.file, "c.csv");
    assert_eq!(m.line, 3);
    assert_eq!(
        m.problem,
        Problem::InvalidUtf8 {
            column: "DESCRIPTION".into()
        }
    );

    // stratify: in the match column of a row that does not match.
    let mut c = conditions(&[GOOD]).into_bytes();
    c.extend_from_slice(b"2010-01-01,,p2,e2,2,T\xc3wo\n");
    c.extend_from_slice(b"2010-01-01,,p2,e2,\xe2\x82,Two\n");
    let m = malformed(stratify_err(PATIENTS.as_bytes(), &c));
    assert_eq!(
        (m.line, m.problem),
        (
            4,
            Problem::InvalidUtf8 {
                column: "CODE".into()
            }
        )
    );

    // In a header.
    let m = malformed(describe(&b"A,B\xff\n1,2\n"[..], "A", 1).unwrap_err());
    assert_eq!(
        (m.line, m.problem),
        (
            1,
            Problem::InvalidUtf8 {
                column: "header".into()
            }
        )
    );
}

#[test]
fn missing_required_column_fails_on_line_1() {
    let p = "Id,BIRTHDATE,RACE,ETHNICITY\np1,1980-01-01,white,nonhispanic\n";
    let m = malformed(stratify_err(p.as_bytes(), conditions(&[GOOD]).as_bytes()));
    assert_eq!(m.file, "patients.csv");
    assert_eq!(m.line, 1);
    let Problem::MissingColumn { column, available } = m.problem else {
        panic!("{:?}", m.problem)
    };
    assert_eq!(column, "GENDER");
    assert_eq!(available, ["Id", "BIRTHDATE", "RACE", "ETHNICITY"]);

    // The match column (here DESCRIPTION) is required too.
    let params = StratifyParams::new(ConditionMatch::Description("One".into()));
    let c = "START,PATIENT,CODE\n2010-01-01,p1,1\n";
    let m = malformed(stratify(PATIENTS.as_bytes(), c.as_bytes(), &params).unwrap_err());
    assert_eq!(m.file, "conditions.csv");
    assert!(
        matches!(m.problem, Problem::MissingColumn { ref column, .. } if column == "DESCRIPTION")
    );
}

#[test]
fn patient_missing_from_patients_file_fails() {
    let c = conditions(&[GOOD, "2010-01-01,,p3,e3,2,Two"]);
    let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
    assert_eq!((m.file.as_str(), m.line), ("conditions.csv", 3));
    assert_eq!(
        m.problem,
        Problem::UnknownPatient {
            column: "PATIENT".into()
        }
    );
}

#[test]
fn duplicate_patient_and_onset_before_birth_fail() {
    let p = format!("{PATIENTS}p1,1970-01-01,white,nonhispanic,M\n");
    let m = malformed(stratify_err(p.as_bytes(), conditions(&[GOOD]).as_bytes()));
    assert_eq!(
        (m.line, m.problem),
        (
            4,
            Problem::DuplicateId {
                column: "Id".into()
            }
        )
    );

    let c = conditions(&[GOOD, "1979-12-31,,p1,e1,2,Two"]);
    let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
    assert_eq!(
        (m.line, m.problem),
        (
            3,
            Problem::StartBeforeBirth {
                column: "START".into()
            }
        )
    );
}

#[test]
fn empty_input_fails() {
    let m = malformed(describe(&b""[..], "A", 1).unwrap_err());
    assert_eq!((m.line, m.problem), (1, Problem::EmptyInput));
}

#[test]
fn lines_count_newlines_inside_quoted_fields() {
    // The record on line 2 spans lines 2-3, so the bad date is on line 4.
    let c =
        format!("{CONDITIONS_HEADER}2010-01-01,,p1,e1,1,\"One\nmore\"\n2010-02-30,,p1,e1,1,One\n");
    let m = malformed(stratify_err(PATIENTS.as_bytes(), c.as_bytes()));
    assert_eq!(
        (m.line, m.problem),
        (
            4,
            Problem::BadDate {
                column: "START".into()
            }
        )
    );
}

#[test]
fn errors_do_not_quote_cell_values() {
    let c = conditions(&[GOOD, "SECRET-VALUE,,p1,e1,1,One"]);
    let err = stratify_err(PATIENTS.as_bytes(), c.as_bytes());
    let message = err.to_string();
    assert_eq!(
        message,
        "conditions.csv, line 3: column START: not a YYYY-MM-DD date"
    );
    let c = conditions(&[GOOD, "2010-01-01,,SECRET-PATIENT,e1,1,One"]);
    let message = stratify_err(PATIENTS.as_bytes(), c.as_bytes()).to_string();
    assert!(!message.contains("SECRET"), "{message}");
}

/// A stream that yields some bytes, then fails (as a decrypting reader does when an
/// authentication tag does not verify).
struct FailingReader {
    data: io::Cursor<Vec<u8>>,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(io::Error::new(io::ErrorKind::InvalidData, "tag mismatch")),
            n => Ok(n),
        }
    }
}

#[test]
fn read_error_midway_fails_with_the_label() {
    let data = conditions(&[GOOD; 3]).into_bytes();
    let reader = FailingReader {
        data: io::Cursor::new(data),
    };
    let params = StratifyParams::new(ConditionMatch::Code("1".into()));
    let err = stratify_labeled(
        Labeled::new("patients.csv.enc", PATIENTS.as_bytes()),
        Labeled::new("conditions.csv.enc", reader),
        &params,
    )
    .unwrap_err();
    let ComputeError::Read { file, source, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(file, "conditions.csv.enc");
    assert_eq!(source.kind(), io::ErrorKind::InvalidData);
}
