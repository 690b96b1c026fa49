//! A 2x2 table of exposure by outcome, and its odds ratio.
//!
//! - **Expects:** at least 2 declared columns. Column 0 is the exposure, column 1 the
//!   outcome; each is present when its cell is nonempty, whatever it holds.
//! - **Contributes:** each row of each input to one of four groups, labelled by the
//!   algorithm and never by the data: `[exposed, case]` (a), `[exposed, control]` (b),
//!   `[unexposed, case]` (c) or `[unexposed, control]` (d); and to the group `[all]`.
//!   The four counts are the groups' counts, which the host keeps and releases.
//! - **Emits:** on `[all]`, `odds_ratio` = (a·d)/(b·c), only when b·c > 0 (see
//!   [`Counts::odds_ratio`]).
//! - **Fails:** with [`Error::MissingColumn`] (6) if fewer than 2 columns are declared.
//!
//! The host withholds each group of fewer than `k` rows, but `[all]` is the sum of the
//! four others: when one of them is withheld and the other three and `[all]` are
//! released, its count is their difference. The odds ratio gives it away likewise.

use strongroom_algorithm::{Error, Group, columns, emit, for_each_row, inputs};

strongroom_algorithm::entry!(two_by_two);

/// The algorithm.
pub fn two_by_two() -> Result<(), Error> {
    if columns() < 2 {
        return Err(Error::MissingColumn);
    }
    let groups = Groups::new()?;
    let mut counts = Counts::default();
    for input in 0..inputs() {
        for_each_row(input, |row| {
            let (Some(exposure), Some(outcome)) = (row.field(0), row.field(1)) else {
                return Err(Error::MissingColumn);
            };
            let quadrant = Quadrant::of(exposure, outcome);
            counts.add(quadrant);
            row.contribute(groups.quadrant(quadrant));
            row.contribute(&groups.all);
            Ok(())
        })?;
    }
    if let Some(odds_ratio) = counts.odds_ratio() {
        emit(&groups.all, "odds_ratio", odds_ratio)?;
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

/// How many rows fell in each quadrant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Exposed cases.
    pub a: u64,
    /// Exposed controls.
    pub b: u64,
    /// Unexposed cases.
    pub c: u64,
    /// Unexposed controls.
    pub d: u64,
}

impl Counts {
    /// Counts one more row in `quadrant`.
    pub fn add(&mut self, quadrant: Quadrant) {
        let count = match quadrant {
            Quadrant::ExposedCase => &mut self.a,
            Quadrant::ExposedControl => &mut self.b,
            Quadrant::UnexposedCase => &mut self.c,
            Quadrant::UnexposedControl => &mut self.d,
        };
        *count += 1;
    }

    /// The odds ratio (a·d)/(b·c), or `None` when b·c is 0 or the ratio is not finite.
    /// It is 0 when a·d is 0.
    pub fn odds_ratio(&self) -> Option<f64> {
        let [a, b, c, d] = [self.a, self.b, self.c, self.d].map(|n| n as f64);
        let denominator = b * c;
        if denominator <= 0.0 {
            return None;
        }
        let ratio = a * d / denominator;
        ratio.is_finite().then_some(ratio)
    }
}

/// The five groups, encoded once.
struct Groups {
    all: Group,
    quadrants: [Group; 4],
}

impl Groups {
    fn new() -> Result<Self, Error> {
        use Quadrant::*;
        let group = |quadrant: Quadrant| Group::new(&quadrant.labels());
        Ok(Self {
            all: Group::new(&["all"])?,
            quadrants: [
                group(ExposedCase)?,
                group(ExposedControl)?,
                group(UnexposedCase)?,
                group(UnexposedControl)?,
            ],
        })
    }

    fn quadrant(&self, quadrant: Quadrant) -> &Group {
        let [a, b, c, d] = &self.quadrants;
        match quadrant {
            Quadrant::ExposedCase => a,
            Quadrant::ExposedControl => b,
            Quadrant::UnexposedCase => c,
            Quadrant::UnexposedControl => d,
        }
    }
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
    fn odds_ratio() {
        let counts = |a, b, c, d| Counts { a, b, c, d };
        assert_eq!(counts(10, 5, 2, 8).odds_ratio(), Some(8.0));
        assert_eq!(counts(0, 5, 2, 8).odds_ratio(), Some(0.0));
        assert_eq!(counts(10, 0, 2, 8).odds_ratio(), None);
        assert_eq!(counts(10, 5, 0, 8).odds_ratio(), None);
        assert_eq!(counts(0, 0, 0, 0).odds_ratio(), None);
        let huge = u64::MAX;
        assert!(
            counts(huge, 1, 1, huge)
                .odds_ratio()
                .is_some_and(f64::is_finite)
        );
    }

    #[test]
    fn counts_quadrants_and_all_and_emits_the_odds_ratio() {
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
        assert_eq!(count(&["all"]), Some(8));
        assert_eq!(table.len(), 5);
        let all = &table[&vec!["all".to_owned()]];
        assert_eq!(all.cells.len(), 1);
        assert_eq!(all.cells["odds_ratio"], 9.0);
        // Labels come from the algorithm only.
        assert!(table.keys().flatten().all(|label| label != "y"));
    }

    #[test]
    fn no_odds_ratio_without_controls() {
        let rows: &[&[&str]] = &[&["y", "y"], &["", "y"]];
        let table = testing::run(2, &[rows], two_by_two).unwrap();
        assert!(table[&vec!["all".to_owned()]].cells.is_empty());
    }

    #[test]
    fn needs_two_columns() {
        let result = testing::run(1, &[], two_by_two);
        assert_eq!(result, Err(Failure::Error(Error::MissingColumn)));
    }
}
