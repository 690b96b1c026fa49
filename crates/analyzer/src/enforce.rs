//! What the analyzer enforces on a task besides running it: the row window of each
//! input's grant, and the release rule of the task's algorithm. Either failing fails
//! the task (its reason on the ledger) and releases nothing.

use strongroom_compute::{AnalysisOutput, RowWindow, RowWindows, check_release};
use strongroom_contract::sharing::{AlgorithmKind, OutputRule, TaskAlgorithm, TaskInput};

use crate::AnalyzerError;
use crate::error::task;

/// The row windows of `inputs` (those supplying the files the analysis reads): each
/// input's grant `rows` over its dataset's `time_column`, governing that input's files.
/// An input with `rows` but no time column cannot have its window applied: that is an
/// error, so the task fails rather than run over every row.
pub fn row_windows<'a>(
    inputs: impl IntoIterator<Item = &'a TaskInput>,
) -> Result<RowWindows, AnalyzerError> {
    let mut windows = RowWindows::default();
    for input in inputs {
        let Some(rows) = input.rows else { continue };
        let Some(column) = &input.time_column else {
            return Err(task(format!(
                "the grant on dataset {} limits rows to a time window, but the dataset has no time column: the window cannot be applied",
                input.dataset
            )));
        };
        windows.add(
            RowWindow::new(column.clone(), rows.from_ms, rows.to_ms),
            input.files.iter().map(|f| f.name.clone()),
        );
    }
    Ok(windows)
}

/// Whether a task's result must pass the release check "small cells suppressed": the
/// algorithm's registration states that output rule (every `aggregate_only` algorithm
/// states one), or it is a built-in (aggregates by construction, so one registered
/// without the rule is checked all the same).
pub fn requires_release_check(algorithm: &TaskAlgorithm) -> bool {
    algorithm.output_rule == Some(OutputRule::SmallCellsSuppressed)
        || algorithm.aggregate_only
        || algorithm.kind == AlgorithmKind::Builtin
}

/// Checks `output` against "small cells suppressed" with threshold `k` when the
/// algorithm requires it; the error says which figure broke the rule (never a value).
pub fn check_result(
    algorithm: &TaskAlgorithm,
    output: &AnalysisOutput,
    k: u32,
) -> Result<(), AnalyzerError> {
    if !requires_release_check(algorithm) {
        return Ok(());
    }
    check_release(output, k).map_err(|violation| {
        task(format!(
            "the result breaks the release rule (small cells suppressed, k = {k}); nothing was released: {violation}"
        ))
    })
}

/// Checks a WebAssembly algorithm's table against "small cells suppressed" with
/// threshold `k`, independently of the sandbox that built it: every released group
/// rests on at least `k` rows (and at least one).
pub fn check_table(table: &strongroom_sandbox::Table, k: u32) -> Result<(), AnalyzerError> {
    let threshold = u64::from(k.max(1));
    match table
        .rows
        .iter()
        .enumerate()
        .find(|(_, row)| row.count < threshold)
    {
        Some((at, row)) => Err(task(format!(
            "the result breaks the release rule (small cells suppressed, k = {k}); nothing was released: group #{at} rests on {} rows",
            row.count
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use strongroom_compute::{Describe, Withheld};
    use strongroom_contract::sharing::{DatasetFile, DatasetKind, TimeRange};

    use super::*;

    fn input(dataset: &str, time_column: Option<&str>, rows: Option<(u64, u64)>) -> TaskInput {
        let file = |name: &str| DatasetFile {
            name: name.into(),
            columns: vec!["START".into()],
            plaintext_sha256: "0".repeat(64),
            ciphertext_sha256: "0".repeat(64),
            size_bytes: 1,
            location: format!("datasets/{dataset}/{name}"),
            genome: None,
        };
        TaskInput {
            dataset: dataset.into(),
            owner_msp: "Org1MSP".into(),
            name: dataset.into(),
            kind: DatasetKind::Csv,
            files: vec![file("patients.csv"), file("conditions.csv")],
            time_column: time_column.map(str::to_owned),
            wrapped_keys: Vec::new(),
            grant: Some("grant-1".into()),
            rows: rows.map(|(from_ms, to_ms)| TimeRange { from_ms, to_ms }),
            approved_by: None,
            approved_at_ms: None,
        }
    }

    fn algorithm(kind: AlgorithmKind, aggregate_only: bool) -> TaskAlgorithm {
        TaskAlgorithm {
            id: "alg-1".into(),
            name: "describe".into(),
            kind,
            measurement: "00".into(),
            aggregate_only,
            differentially_private: false,
            output_rule: aggregate_only.then_some(OutputRule::SmallCellsSuppressed),
        }
    }

    /// A describe output that releases a value held by 2 records at k = 11.
    fn leaky() -> AnalysisOutput {
        AnalysisOutput::Describe(Describe {
            column: "SSN".into(),
            k: 11,
            count: Some(1171),
            unique: None,
            common_values: Some(0),
            top: Some("999-76-6866".into()),
            freq: Some(2),
            suppressed: vec![Withheld::Unique],
        })
    }

    #[test]
    fn each_input_window_governs_its_own_files() {
        let a = input("ds-a", Some("START"), Some((10, 20)));
        let b = input("ds-b", Some("START"), None);
        let windows = row_windows([&a, &b]).unwrap();
        let mut expected = RowWindows::default();
        expected.add(
            RowWindow::new("START", 10, 20),
            ["patients.csv", "conditions.csv"],
        );
        assert_eq!(windows, expected);
    }

    #[test]
    fn window_without_a_time_column_fails_the_task() {
        let a = input("ds-a", None, Some((10, 20)));
        let err = row_windows([&a]).unwrap_err().to_string();
        assert!(
            err.contains("ds-a") && err.contains("no time column"),
            "{err}"
        );
        // Without a window there is nothing to apply.
        assert!(
            row_windows([&input("ds-a", None, None)])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn aggregate_only_results_that_break_the_rule_are_refused() {
        for alg in [
            algorithm(AlgorithmKind::Builtin, true),
            algorithm(AlgorithmKind::Builtin, false),
            algorithm(AlgorithmKind::Wasm, true),
        ] {
            let err = check_result(&alg, &leaky(), 11).unwrap_err().to_string();
            assert!(err.contains("release rule"), "{err}");
            assert!(!err.contains("999"), "{err}");
        }
    }

    #[test]
    fn results_that_keep_the_rule_pass() {
        let alg = algorithm(AlgorithmKind::Builtin, true);
        let d = strongroom_compute::describe("x\na\n".as_bytes(), "x", 11).unwrap();
        check_result(&alg, &AnalysisOutput::Describe(d), 11).unwrap();
    }
}
