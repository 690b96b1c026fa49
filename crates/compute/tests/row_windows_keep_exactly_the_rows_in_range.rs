//! A row window keeps exactly the rows whose time is in `from <= t < to`, in every file
//! that has its column, before the analysis sees them: a windowed analysis equals the
//! same analysis over rows the test filtered itself. A time that does not parse fails
//! the analysis naming file, line and column; a window no file can take fails it too.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use strongroom_compute::{
    Analysis, AnalysisOutput, ComputeError, ConditionMatch, Problem, RowWindow, RowWindows, run,
    run_windowed, synthetic, timestamp_ms,
};

/// 2015-01-01T00:00:00Z and 2019-01-01T00:00:00Z, in ms.
const FROM_2015: u64 = 1_420_070_400_000;
const TO_2019: u64 = 1_546_300_800_000;

type Files = BTreeMap<String, String>;

fn opener(files: &Files) -> impl FnMut(&str) -> Result<Box<dyn Read>, ComputeError> + '_ {
    |name: &str| {
        let text = files.get(name).ok_or_else(|| ComputeError::Open {
            file: name.into(),
            reason: "absent".into(),
        })?;
        Ok(Box::new(Cursor::new(text.clone().into_bytes())))
    }
}

fn windowed(analysis: &Analysis, k: u32, windows: &RowWindows, files: &Files) -> AnalysisOutput {
    run_windowed(analysis, k, windows, &mut opener(files)).unwrap()
}

fn windowed_err(analysis: &Analysis, windows: &RowWindows, files: &Files) -> ComputeError {
    run_windowed(analysis, 1, windows, &mut opener(files)).unwrap_err()
}

/// Keeps the header and the rows whose first field (a `YYYY-MM-DD` START) is in
/// [2015-01-01, 2019-01-01): the test's own filter, by string comparison.
fn filter_2015_to_2019(text: &str) -> String {
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let start = &line[..10];
        if ("2015-01-01".."2019-01-01").contains(&start) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn describe_of(file: &str, column: &str) -> Analysis {
    Analysis::Describe {
        file: file.into(),
        column: column.into(),
    }
}

fn stratify_of(code: &str) -> Analysis {
    Analysis::Stratify {
        patients_file: "patients.csv".into(),
        conditions_file: "conditions.csv".into(),
        condition: ConditionMatch::Code(code.into()),
        k: None,
    }
}

fn start_window() -> RowWindows {
    RowWindows::everywhere(RowWindow::new("START", FROM_2015, TO_2019))
}

/// Synthetic patients and conditions, whole and with conditions filtered by the test.
fn synthetic_files() -> (Files, Files) {
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(dir.path(), 1_500, 11).unwrap();
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    let whole: Files = [
        ("patients.csv".to_owned(), read("patients.csv")),
        ("conditions.csv".to_owned(), read("conditions.csv")),
    ]
    .into();
    let mut filtered = whole.clone();
    filtered.insert(
        "conditions.csv".into(),
        filter_2015_to_2019(&whole["conditions.csv"]),
    );
    (whole, filtered)
}

#[test]
fn windowed_describe_equals_describe_of_the_filtered_rows() {
    let (whole, filtered) = synthetic_files();
    let analysis = describe_of("conditions.csv", "DESCRIPTION");
    // k = 1 releases every figure, so any row let through would show.
    let expected = run(&analysis, 1, &mut opener(&filtered)).unwrap();
    assert_eq!(windowed(&analysis, 1, &start_window(), &whole), expected);
    assert_ne!(run(&analysis, 1, &mut opener(&whole)).unwrap(), expected);
}

#[test]
fn windowed_stratify_equals_stratify_of_the_filtered_rows() {
    let (whole, filtered) = synthetic_files();
    let analysis = stratify_of("444814009");
    let expected = run(&analysis, 1, &mut opener(&filtered)).unwrap();
    assert_eq!(windowed(&analysis, 1, &start_window(), &whole), expected);
    assert_ne!(run(&analysis, 1, &mut opener(&whole)).unwrap(), expected);
}

#[test]
fn windowed_analyses_on_synthea_equal_the_filtered_rows() {
    let Some(dir) = common::synthea_dir() else {
        return;
    };
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let whole: Files = [
        ("patients.csv".to_owned(), read("patients.csv")),
        ("conditions.csv".to_owned(), read("conditions.csv")),
    ]
    .into();
    let mut filtered = whole.clone();
    let kept = filter_2015_to_2019(&whole["conditions.csv"]);
    // 1,990 of the 8,376 condition rows start in 2015-2018 (counted with Python).
    assert_eq!(kept.lines().count(), 1 + 1_990);
    filtered.insert("conditions.csv".into(), kept);
    for analysis in [
        describe_of("conditions.csv", "DESCRIPTION"),
        stratify_of("444814009"),
    ] {
        let expected = run(&analysis, 11, &mut opener(&filtered)).unwrap();
        assert_eq!(
            windowed(&analysis, 11, &start_window(), &whole),
            expected,
            "{analysis:?}"
        );
    }
}

/// One file `t.csv` with times in column T and a value column V.
fn times(rows: &[&str]) -> Files {
    let mut text = String::from("T,V\n");
    for (n, t) in rows.iter().enumerate() {
        text.push_str(&format!("{t},v{n}\n"));
    }
    [("t.csv".to_owned(), text)].into()
}

fn count_in(window: RowWindow, files: &Files) -> Option<u64> {
    let out = windowed(
        &describe_of("t.csv", "V"),
        1,
        &RowWindows::everywhere(window),
        files,
    );
    let AnalysisOutput::Describe(d) = out else {
        panic!("{out:?}")
    };
    d.count
}

#[test]
fn window_is_half_open_at_millisecond_precision() {
    let files = times(&[
        "2015-03-01T09:59:59.999Z",
        "2015-03-01T10:00:00Z",
        "2015-03-01T10:59:59.999Z",
        "2015-03-01T11:00:00Z",
        "2015-03-01T12:00:00+01:00",
    ]);
    let from = u64::try_from(timestamp_ms("2015-03-01T10:00:00Z").unwrap()).unwrap();
    let to = from + 3_600_000;
    // 10:00:00.000 and 10:59:59.999 are in; 09:59:59.999 and 11:00:00.000 (twice,
    // once written with an offset) are out.
    assert_eq!(count_in(RowWindow::new("T", from, to), &files), Some(2));
    assert_eq!(count_in(RowWindow::new("T", from, to + 1), &files), Some(4));
    assert_eq!(count_in(RowWindow::new("T", from + 1, to), &files), Some(1));
}

#[test]
fn dates_are_read_as_midnight_utc() {
    let files = times(&["2014-12-31", "2015-01-01", "2018-12-31", "2019-01-01"]);
    let window = RowWindow::new("T", FROM_2015, TO_2019);
    assert_eq!(count_in(window, &files), Some(2));
}

#[test]
fn rows_outside_the_window_are_never_seen() {
    // Out of the window, a value that is not UTF-8 does not fail the analysis: the
    // analysis never decodes it.
    let mut files = times(&["2015-06-01", "2015-06-02"]);
    let text = files.get_mut("t.csv").unwrap();
    text.push_str("2020-01-01,");
    let mut bytes = std::mem::take(text).into_bytes();
    bytes.extend_from_slice(b"\xff\n");
    let input: Box<dyn Read> = Box::new(Cursor::new(bytes));
    let mut input = Some(input);
    let mut open = |_: &str| -> Result<Box<dyn Read>, ComputeError> {
        input.take().ok_or_else(|| ComputeError::Open {
            file: "t.csv".into(),
            reason: "opened twice".into(),
        })
    };
    let windows = RowWindows::everywhere(RowWindow::new("T", FROM_2015, TO_2019));
    let out = run_windowed(&describe_of("t.csv", "V"), 1, &windows, &mut open).unwrap();
    let AnalysisOutput::Describe(d) = out else {
        panic!("{out:?}")
    };
    assert_eq!(d.count, Some(2));
}

#[test]
fn time_that_does_not_parse_names_file_line_and_column() {
    for bad in [
        "2015-13-01",
        "",
        "01/02/2015",
        "2015-03-01T10:00:00",
        "SECRET",
    ] {
        let files = times(&["2015-06-01", "2015-06-02", bad]);
        let window = RowWindows::everywhere(RowWindow::new("T", FROM_2015, TO_2019));
        let err = windowed_err(&describe_of("t.csv", "V"), &window, &files);
        let message = err.to_string();
        let ComputeError::Malformed(m) = err else {
            panic!("{bad:?}: {err:?}")
        };
        assert_eq!(m.file, "t.csv", "{bad:?}");
        assert_eq!(m.line, 4, "{bad:?}");
        assert_eq!(
            m.problem,
            Problem::BadTime { column: "T".into() },
            "{bad:?}"
        );
        assert_eq!(
            message, "t.csv, line 4: column T: not a YYYY-MM-DD date or RFC 3339 date-time",
            "{bad:?}"
        );
    }
}

#[test]
fn window_over_a_column_no_file_read_has_cannot_be_applied() {
    let (whole, _) = synthetic_files();
    let err = windowed_err(
        &describe_of("patients.csv", "GENDER"),
        &start_window(),
        &whole,
    );
    let message = err.to_string();
    let ComputeError::WindowNotApplicable { column, files } = err else {
        panic!("{err:?}")
    };
    assert_eq!(column, "START");
    assert_eq!(files, ["patients.csv"]);
    assert!(message.contains("cannot be applied"), "{message}");
    // A column neither file of a stratification has.
    let windows = RowWindows::everywhere(RowWindow::new("UPDATED", FROM_2015, TO_2019));
    let err = windowed_err(&stratify_of("444814009"), &windows, &whole);
    assert!(
        matches!(&err, ComputeError::WindowNotApplicable { files, .. }
            if files == &["patients.csv", "conditions.csv"]),
        "{err:?}"
    );
}

#[test]
fn window_governs_only_the_files_it_names() {
    let (whole, filtered) = synthetic_files();
    // A window over another dataset's file: it cannot apply to what is read here.
    let mut windows = RowWindows::default();
    windows.add(
        RowWindow::new("START", FROM_2015, TO_2019),
        ["other-conditions.csv"],
    );
    let err = windowed_err(&describe_of("conditions.csv", "CODE"), &windows, &whole);
    assert!(
        matches!(&err, ComputeError::WindowNotApplicable { files, .. } if files.is_empty()),
        "{err:?}"
    );
    // Named, it applies.
    let mut windows = RowWindows::default();
    windows.add(
        RowWindow::new("START", FROM_2015, TO_2019),
        ["patients.csv", "conditions.csv"],
    );
    let analysis = describe_of("conditions.csv", "CODE");
    let expected = run(&analysis, 1, &mut opener(&filtered)).unwrap();
    assert_eq!(windowed(&analysis, 1, &windows, &whole), expected);
}

#[test]
fn window_applies_to_the_patients_file_too_when_it_has_the_column() {
    // Both files have UPDATED; p2's patient row is outside the window, so p2 is no
    // part of the population even though their condition row is inside it.
    let patients = "Id,BIRTHDATE,RACE,ETHNICITY,GENDER,UPDATED\n\
                    p1,1980-01-01,white,nonhispanic,F,2016-01-01\n\
                    p2,1980-01-01,white,nonhispanic,F,2020-01-01\n";
    let conditions = "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION,UPDATED\n\
                      2010-01-01,,p1,e1,1,One,2016-01-01\n\
                      2010-01-01,,p2,e2,1,One,2016-01-01\n\
                      2010-01-01,,p1,e3,1,One,2020-01-01\n";
    let files: Files = [
        ("patients.csv".to_owned(), patients.to_owned()),
        ("conditions.csv".to_owned(), conditions.to_owned()),
    ]
    .into();
    let windows = RowWindows::everywhere(RowWindow::new("UPDATED", FROM_2015, TO_2019));
    let out = windowed(&stratify_of("1"), 1, &windows, &files);
    let AnalysisOutput::Stratify(s) = out else {
        panic!("{out:?}")
    };
    assert_eq!(s.total.count(), Some(1));
}
