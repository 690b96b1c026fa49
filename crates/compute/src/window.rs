//! Row windows: a grant's time range over a dataset's time column, applied to the rows
//! of the input files before an analysis sees them.
//!
//! A [`RowWindow`] keeps the rows whose time column `t` satisfies
//! `from_ms <= t < to_ms` (milliseconds since the Unix epoch, half-open). Times are
//! `YYYY-MM-DD` dates, read as midnight UTC, or RFC 3339 date-times as Synthea writes
//! them (`2015-03-01T10:00:00Z`); see [`timestamp_ms`]. A time field that does not
//! parse, an empty one included, fails the analysis with
//! [`Problem::BadTime`](crate::Problem::BadTime) naming the file, line and column: a row
//! whose time is unknown is neither kept nor silently dropped.
//!
//! [`RowWindows`] says which windows govern which files: a task's inputs each carry
//! their own grant's window, over their own files. A window applies to each governed
//! file whose header has its column; files without the column are read whole (a
//! patients file, say, when the window is over the conditions' `START`). If no file the
//! analysis reads has the column of a window, the window cannot be applied and the
//! analysis fails with [`ComputeError::WindowNotApplicable`] rather than run unwindowed.
//!
//! Not stopped: a window restricts the rows of the files that have its column, and
//! only those. A file of the same dataset without it (Synthea's patients file, for a
//! window over the conditions' `START`) is read whole: stratify counts only the patients
//! joined to windowed condition rows, but reads their attributes from that file whatever
//! their time. An analysis of such a file alone fails, as the window cannot be applied.
//! Nor does a window stop differencing between analyses over overlapping windows.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::date;
use crate::error::ComputeError;

/// The rows of a file whose time `column` falls in `from_ms <= t < to_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowWindow {
    /// The time column.
    pub column: String,
    /// Start (inclusive), ms since the Unix epoch.
    pub from_ms: u64,
    /// End (exclusive), ms since the Unix epoch.
    pub to_ms: u64,
}

impl RowWindow {
    /// The window `from_ms <= t < to_ms` over `column`.
    pub fn new(column: impl Into<String>, from_ms: u64, to_ms: u64) -> Self {
        Self {
            column: column.into(),
            from_ms,
            to_ms,
        }
    }

    /// Whether a time (ms since the epoch, negative before 1970) is in the window.
    pub fn contains(&self, time_ms: i64) -> bool {
        let t = i128::from(time_ms);
        i128::from(self.from_ms) <= t && t < i128::from(self.to_ms)
    }
}

/// Parses a time as a row window reads it: milliseconds since the Unix epoch (negative
/// before 1970), from a `YYYY-MM-DD` date (midnight UTC) or an RFC 3339 date-time; `None`
/// if it is neither.
///
/// ```
/// use strongroom_compute::timestamp_ms;
///
/// assert_eq!(timestamp_ms("2015-01-01"), Some(1_420_070_400_000));
/// assert_eq!(timestamp_ms("2015-01-01T01:00:00+01:00"), Some(1_420_070_400_000));
/// assert_eq!(timestamp_ms("01/01/2015"), None);
/// ```
pub fn timestamp_ms(s: &str) -> Option<i64> {
    date::timestamp_ms(s.as_bytes())
}

/// Which [`RowWindow`]s govern which files of an analysis. Empty by default: every row
/// of every file is read.
///
/// ```
/// use strongroom_compute::{RowWindow, RowWindows};
///
/// let mut windows = RowWindows::default();
/// // The grant of the dataset holding these two files.
/// let window = RowWindow::new("START", 1_420_070_400_000, 1_546_300_800_000);
/// windows.add(window, ["patients.csv", "conditions.csv"]);
/// assert!(!windows.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowWindows {
    scoped: Vec<Scoped>,
}

/// One window and the files it governs (`None`: every file).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Scoped {
    window: RowWindow,
    files: Option<BTreeSet<String>>,
}

impl RowWindows {
    /// One window governing every file the analysis reads.
    pub fn everywhere(window: RowWindow) -> Self {
        Self {
            scoped: vec![Scoped {
                window,
                files: None,
            }],
        }
    }

    /// Adds a window governing `files` (by the names the analysis uses). A file governed
    /// by several windows keeps only the rows in all of them.
    pub fn add<S: Into<String>>(&mut self, window: RowWindow, files: impl IntoIterator<Item = S>) {
        self.scoped.push(Scoped {
            window,
            files: Some(files.into_iter().map(Into::into).collect()),
        });
    }

    /// Whether no window is set.
    pub fn is_empty(&self) -> bool {
        self.scoped.is_empty()
    }

    /// The windows governing `file`, with their ids (for [`Self::check_applied`]).
    pub(crate) fn governing<'a>(
        &'a self,
        file: &'a str,
    ) -> impl Iterator<Item = (usize, &'a RowWindow)> + 'a {
        self.scoped.iter().enumerate().filter_map(move |(id, s)| {
            let governs = s.files.as_ref().is_none_or(|files| files.contains(file));
            governs.then_some((id, &s.window))
        })
    }

    /// Fails unless every window governing `file` was applied to it (`applied`: the ids
    /// of the windows applied).
    pub(crate) fn check_applied_to(
        &self,
        applied: &[usize],
        file: &str,
    ) -> Result<(), ComputeError> {
        match self.governing(file).find(|(id, _)| !applied.contains(id)) {
            Some((_, window)) => Err(ComputeError::WindowNotApplicable {
                column: window.column.clone(),
                files: vec![file.to_owned()],
            }),
            None => Ok(()),
        }
    }

    /// Fails unless every window applied to at least one of the files read: `applied`
    /// lists the ids of the windows applied to each file, `read` the files' names.
    pub(crate) fn check_applied(
        &self,
        applied: &[usize],
        read: &[&str],
    ) -> Result<(), ComputeError> {
        for (id, scoped) in self.scoped.iter().enumerate() {
            if applied.contains(&id) {
                continue;
            }
            let files = read
                .iter()
                .filter(|f| {
                    scoped
                        .files
                        .as_ref()
                        .is_none_or(|files| files.contains(**f))
                })
                .map(|f| (*f).to_owned())
                .collect();
            return Err(ComputeError::WindowNotApplicable {
                column: scoped.window.column.clone(),
                files,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_is_half_open_and_handles_times_before_1970() {
        let w = RowWindow::new("t", 10, 20);
        assert!(!w.contains(9));
        assert!(w.contains(10));
        assert!(w.contains(19));
        assert!(!w.contains(20));
        assert!(!w.contains(-5));
        assert!(!RowWindow::new("t", 0, u64::MAX).contains(i64::MIN));
        assert!(RowWindow::new("t", 0, u64::MAX).contains(i64::MAX));
    }

    #[test]
    fn windows_govern_only_their_files() {
        let mut windows = RowWindows::default();
        windows.add(RowWindow::new("START", 0, 1), ["c.csv"]);
        windows.add(RowWindow::new("DATE", 0, 1), ["d.csv", "c.csv"]);
        let ids = |f: &str| windows.governing(f).map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids("c.csv"), [0, 1]);
        assert_eq!(ids("d.csv"), [1]);
        assert!(ids("p.csv").is_empty());
        let all = RowWindows::everywhere(RowWindow::new("START", 0, 1));
        assert_eq!(all.governing("anything").count(), 1);
    }

    #[test]
    fn a_window_applied_nowhere_is_reported_with_the_files_read() {
        let mut windows = RowWindows::default();
        windows.add(RowWindow::new("START", 0, 1), ["c.csv", "p.csv"]);
        assert!(windows.check_applied(&[0], &["p.csv"]).is_ok());
        let err = windows.check_applied(&[], &["p.csv", "x.csv"]).unwrap_err();
        let ComputeError::WindowNotApplicable { column, files } = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (column.as_str(), files),
            ("START", vec!["p.csv".to_owned()])
        );
    }
}
