//! Counts the rows of every input by the value of their first declared column.
//!
//! - **Expects:** at least 1 declared column. Column 0 is the label, exactly as the cell
//!   holds it (an empty cell is the label `""`).
//! - **Contributes:** each row of each input to the group `[column 0]`.
//! - **Emits:** no cells. The host releases each group's count, for groups of at least
//!   `k` rows.
//! - **Fails:** with the SDK's codes only: [`Error::MissingColumn`] (6) without a
//!   declared column, [`Error::LabelTooLong`] (4) for a value longer than 256 bytes.

use strongroom_algorithm::{Error, Group, columns, for_each_row, inputs};

strongroom_algorithm::entry!(count_by_group);

/// The algorithm.
pub fn count_by_group() -> Result<(), Error> {
    if columns() < 1 {
        return Err(Error::MissingColumn);
    }
    for input in 0..inputs() {
        for_each_row(input, |row| {
            let label = row.field(0).ok_or(Error::MissingColumn)?;
            row.contribute(&Group::new(&[label])?);
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use strongroom_algorithm::testing::{self, Failure};

    use super::*;

    #[test]
    fn counts_each_value_over_all_inputs() {
        let first: &[&[&str]] = &[&["a", "1"], &["b", "2"], &["a", ""], &["", "4"]];
        let second: &[&[&str]] = &[&["a", "5"], &["c", "6"]];
        let table = testing::run(2, &[first, second], count_by_group).unwrap();
        let counts: Vec<(Vec<String>, usize, usize)> = table
            .into_iter()
            .map(|(labels, tally)| (labels, tally.count, tally.cells.len()))
            .collect();
        let expected = [("", 1), ("a", 3), ("b", 1), ("c", 1)]
            .map(|(label, count)| (vec![label.to_owned()], count, 0));
        assert_eq!(counts, expected);
    }

    #[test]
    fn needs_a_column() {
        let result = testing::run(0, &[], count_by_group);
        assert_eq!(result, Err(Failure::Error(Error::MissingColumn)));
    }

    #[test]
    fn a_label_too_long_fails_the_run() {
        let long = "x".repeat(257);
        let rows: &[&[&str]] = &[&[&long]];
        let result = testing::run(1, &[rows], count_by_group);
        assert_eq!(result, Err(Failure::Error(Error::LabelTooLong)));
    }
}
