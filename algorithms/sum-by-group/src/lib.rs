//! The sum and mean of a number, by the value of a label.
//!
//! - **Expects:** at least 2 declared columns. Column 0 is the label, exactly as the cell
//!   holds it. Column 1 is a number, as [`parse_number`] reads it; an empty cell is
//!   missing, and its row is skipped.
//! - **Contributes:** each row of each input that has a number, to the group
//!   `[column 0]`, so a group's count is how many numbers it sums.
//! - **Emits:** on each group, `sum` (the numbers' sum) and `mean` (the sum over the
//!   group's count).
//! - **Fails:** with [`NOT_A_NUMBER`] (code 1001) on a nonempty cell that is not a
//!   finite number, [`Error::NonFiniteValue`] (8) if a sum overflows, and
//!   [`Error::MissingColumn`] (6) or [`Error::LabelTooLong`] (4) as the SDK does.

use std::collections::BTreeMap;

use strongroom_algorithm::{Error, Group, columns, emit, for_each_row, inputs};

strongroom_algorithm::entry!(sum_by_group);

/// A nonempty cell of column 1 is not a finite number (code 1001).
pub const NOT_A_NUMBER: Error = Error::Algorithm(1);

/// The algorithm.
pub fn sum_by_group() -> Result<(), Error> {
    if columns() < 2 {
        return Err(Error::MissingColumn);
    }
    // By label, so that groups are emitted in the same order on every run.
    let mut sums: BTreeMap<String, Sum> = BTreeMap::new();
    for input in 0..inputs() {
        for_each_row(input, |row| {
            let (Some(label), Some(cell)) = (row.field(0), row.field(1)) else {
                return Err(Error::MissingColumn);
            };
            let Some(value) = parse_number(cell)? else {
                return Ok(());
            };
            let sum = match sums.get_mut(label) {
                Some(sum) => sum,
                None => sums.entry(label.to_owned()).or_insert(Sum::new(label)?),
            };
            sum.add(value);
            row.contribute(&sum.group);
            Ok(())
        })?;
    }
    for sum in sums.values() {
        emit(&sum.group, "sum", sum.total)?;
        emit(&sum.group, "mean", sum.mean())?;
    }
    Ok(())
}

/// Reads column 1: `None` for an empty cell, otherwise the cell as a finite `f64` in
/// Rust's syntax (`12`, `-3.5`, `+.5`, `1e3`), with no surrounding spaces. Anything
/// else, including `inf`, `NaN` and numbers too large for an `f64`, is
/// [`NOT_A_NUMBER`].
pub fn parse_number(cell: &str) -> Result<Option<f64>, Error> {
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(NOT_A_NUMBER),
    }
}

/// One group's running sum.
struct Sum {
    group: Group,
    total: f64,
    rows: u64,
}

impl Sum {
    fn new(label: &str) -> Result<Self, Error> {
        Ok(Self {
            group: Group::new(&[label])?,
            total: 0.0,
            rows: 0,
        })
    }

    fn add(&mut self, value: f64) {
        self.total += value;
        self.rows += 1;
    }

    /// The mean; only called on a sum of at least one row.
    fn mean(&self) -> f64 {
        self.total / self.rows as f64
    }
}

#[cfg(test)]
mod tests {
    use strongroom_algorithm::testing::{self, Failure, Tally};

    use super::*;

    fn tally(count: usize, sum: f64, mean: f64) -> Tally {
        let cells = [("mean".to_owned(), mean), ("sum".to_owned(), sum)].into();
        Tally { count, cells }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(""), Ok(None));
        for (cell, value) in [
            ("12", 12.0),
            ("-3.5", -3.5),
            ("+.5", 0.5),
            ("1e3", 1000.0),
            ("0", 0.0),
        ] {
            assert_eq!(parse_number(cell), Ok(Some(value)), "{cell}");
        }
        for cell in [
            " ",
            " 1",
            "1 ",
            "1,5",
            "abc",
            "inf",
            "-infinity",
            "NaN",
            "1e999",
            "0x10",
        ] {
            assert_eq!(parse_number(cell), Err(NOT_A_NUMBER), "{cell}");
        }
        assert_eq!(NOT_A_NUMBER.code(), 1001);
    }

    #[test]
    fn sums_and_means_by_group_skipping_missing_numbers() {
        let first: &[&[&str]] = &[&["a", "1"], &["b", "10"], &["a", ""], &["a", "2"]];
        let second: &[&[&str]] = &[&["a", "6"], &["c", ""], &["b", "-4"]];
        let table = testing::run(2, &[first, second], sum_by_group).unwrap();
        let expected: testing::Table = [
            (vec!["a".to_owned()], tally(3, 9.0, 3.0)),
            (vec!["b".to_owned()], tally(2, 6.0, 3.0)),
        ]
        .into();
        // No group for "c": it has no number.
        assert_eq!(table, expected);
    }

    #[test]
    fn a_cell_that_is_not_a_number_fails_the_run() {
        let rows: &[&[&str]] = &[&["a", "1"], &["a", "one"]];
        let result = testing::run(2, &[rows], sum_by_group);
        assert_eq!(result, Err(Failure::Error(NOT_A_NUMBER)));
    }

    #[test]
    fn an_overflowing_sum_fails_the_run() {
        let rows: &[&[&str]] = &[&["a", "1e308"], &["a", "1e308"]];
        let result = testing::run(2, &[rows], sum_by_group);
        assert_eq!(result, Err(Failure::Error(Error::NonFiniteValue)));
    }

    #[test]
    fn needs_two_columns() {
        let rows: &[&[&str]] = &[&["a"]];
        let result = testing::run(1, &[rows], sum_by_group);
        assert_eq!(result, Err(Failure::Error(Error::MissingColumn)));
    }
}
