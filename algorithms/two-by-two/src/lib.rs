//! A 2x2 table of exposure by outcome.
//!
//! - **Expects:** at least 2 declared columns. Column 0 is the exposure, column 1 the
//!   outcome; each is present when its cell is nonempty, whatever it holds.
//! - **Contributes:** each row of each input to exactly one of four groups, labelled by
//!   the algorithm and never by the data: `[exposed, case]` (a), `[exposed, control]`
//!   (b), `[unexposed, case]` (c) or `[unexposed, control]` (d). The four counts are
//!   the groups' counts, which the host keeps and releases.
//! - **Emits:** no cells. The odds ratio (a·d)/(b·c) follows from the released counts
//!   ([`odds_ratio`]); emitting it, or a total, would let a reader derive a quadrant
//!   that the host withheld for having fewer than `k` rows.
//! - **Fails:** with [`Error::MissingColumn`] (6) if fewer than 2 columns are declared.

use strongroom_algorithm::{Error, Group, columns, for_each_row, inputs};

strongroom_algorithm::entry!(two_by_two);

/// The algorithm.
pub fn two_by_two() -> Result<(), Error> {
    if columns() < 2 {
        return Err(Error::MissingColumn);
    }
    let group = |quadrant: Quadrant| Group::new(&quadrant.labels());
    let a = group(Quadrant::ExposedCase)?;
    let b = group(Quadrant::ExposedControl)?;
    let c = group(Quadrant::UnexposedCase)?;
    let d = group(Quadrant::UnexposedControl)?;
    for input in 0..inputs() {
        for_each_row(input, |row| {
            let (Some(exposure), Some(outcome)) = (row.field(0), row.field(1)) else {
                return Err(Error::MissingColumn);
            };
            row.contribute(match Quadrant::of(exposure, outcome) {
                Quadrant::ExposedCase => &a,
                Quadrant::ExposedControl => &b,
                Quadrant::UnexposedCase => &c,
                Quadrant::UnexposedControl => &d,
            });
            Ok(())
        })?;
    }
    Ok(())
}

/// The four cells of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quadrant {
    /// a: exposure and outcome present.
    ExposedCase,
    /// b: exposure present, outcome absent.
    ExposedControl,
    /// c: exposure absent, outcome present.
    UnexposedCase,
    /// d: exposure and outcome absent.
    UnexposedControl,
}

impl Quadrant {
    /// The quadrants, in the order a, b, c, d.
    pub const ALL: [Self; 4] = [
        Self::ExposedCase,
        Self::ExposedControl,
        Self::UnexposedCase,
        Self::UnexposedControl,
    ];

    /// The quadrant of a row with these cells: each is present when nonempty.
    pub fn of(exposure: &str, outcome: &str) -> Self {
        match (!exposure.is_empty(), !outcome.is_empty()) {
            (true, true) => Self::ExposedCase,
            (true, false) => Self::ExposedControl,
            (false, true) => Self::UnexposedCase,
            (false, false) => Self::UnexposedControl,
        }
    }

    /// The quadrant's group labels, fixed by the algorithm.
    pub fn labels(self) -> [&'static str; 2] {
        match self {
            Self::ExposedCase => ["exposed", "case"],
            Self::ExposedControl => ["exposed", "control"],
            Self::UnexposedCase => ["unexposed", "case"],
            Self::UnexposedControl => ["unexposed", "control"],
        }
    }
}

/// The odds ratio (a·d)/(b·c) of released counts, for the reader of the result; `None`
/// when b·c is 0.
pub fn odds_ratio(a: u64, b: u64, c: u64, d: u64) -> Option<f64> {
    let [a, b, c, d] = [a, b, c, d].map(|n| n as f64);
    let denominator = b * c;
    if denominator <= 0.0 {
        return None;
    }
    let ratio = a * d / denominator;
    ratio.is_finite().then_some(ratio)
}

#[cfg(test)]
mod tests {
    use strongroom_algorithm::testing::{self, Failure};

    use super::*;

    #[test]
    fn quadrants_depend_only_on_emptiness() {
        assert_eq!(Quadrant::of("yes", "1"), Quadrant::ExposedCase);
        assert_eq!(Quadrant::of("no", ""), Quadrant::ExposedControl);
        assert_eq!(Quadrant::of("", " "), Quadrant::UnexposedCase);
        assert_eq!(Quadrant::of("", ""), Quadrant::UnexposedControl);
        assert_eq!(Quadrant::ExposedControl.labels(), ["exposed", "control"]);
        assert_eq!(Quadrant::UnexposedCase.labels(), ["unexposed", "case"]);
    }

    #[test]
    fn odds_ratio_of_counts() {
        assert_eq!(odds_ratio(10, 5, 2, 8), Some(8.0));
        assert_eq!(odds_ratio(0, 5, 2, 8), Some(0.0));
        assert_eq!(odds_ratio(10, 0, 2, 8), None);
        assert_eq!(odds_ratio(10, 5, 0, 8), None);
        assert!(odds_ratio(u64::MAX, 1, 1, u64::MAX).is_some_and(f64::is_finite));
    }

    #[test]
    fn each_row_counts_in_exactly_one_quadrant() {
        let first: &[&[&str]] = &[&["y", "y"], &["y", "y"], &["y", ""], &["", "y"]];
        let second: &[&[&str]] = &[&["", ""], &["", ""], &["y", "y"], &["", ""]];
        let table = testing::run(2, &[first, second], two_by_two).unwrap();
        let count = |labels: &[&str]| {
            let labels: Vec<String> = labels.iter().map(|&l| l.to_owned()).collect();
            table.get(&labels).map(|tally| tally.count)
        };
        assert_eq!(count(&["exposed", "case"]), Some(3));
        assert_eq!(count(&["exposed", "control"]), Some(1));
        assert_eq!(count(&["unexposed", "case"]), Some(1));
        assert_eq!(count(&["unexposed", "control"]), Some(3));
        assert_eq!(table.len(), 4);
        assert!(table.values().all(|tally| tally.cells.is_empty()));
        // Labels come from the algorithm only.
        assert!(table.keys().flatten().all(|label| label != "y"));
    }

    #[test]
    fn needs_two_columns() {
        let result = testing::run(1, &[], two_by_two);
        assert_eq!(result, Err(Failure::Error(Error::MissingColumn)));
    }
}
