//! `describe`: count, distinct count and most frequent value of one column, like
//! pandas' `DataFrame.describe()` on an object column, with small cells suppressed.
//!
//! # Release rule
//!
//! With threshold `k` (the task's `min_cell_size`), a figure is released only if it
//! rests on at least `k` records; otherwise its field is `None` and [`Describe::suppressed`]
//! says which figure was withheld and why:
//! 1. **`count`** (non-empty values) is released only if it is at least `k`; below
//!    that every figure is withheld ([`Withheld::Count`]).
//! 2. **`top` and `freq`** are released only if `freq` is at least `k`: a value held by
//!    fewer than `k` records (an SSN, a name, a rare diagnosis) is never released
//!    ([`Withheld::Top`]). Ties are resolved as before (file order), so a released
//!    `top` is a value that `freq` records hold.
//! 3. **`unique`** (pandas' distinct count) is released only if *every* distinct value
//!    is held by at least `k` records ([`Withheld::Unique`]). Otherwise the number of
//!    distinct values counts rare values, each a cell below `k`, and tells how the rare
//!    records are spread (in an identifier column, one value per record).
//!    [`Describe::common_values`], the number of distinct values held by at least `k`
//!    records, is released instead (the banded form of `unique`; equal to it when
//!    `unique` is released).
//!
//! So no released figure is a count below `k` or a value fewer than `k` records hold,
//! which [`check_release`](crate::check_release) verifies on the output.
//!
//! Not stopped: the result still shows that rare values exist (`unique` withheld, or
//! `count` larger than `freq` with a single common value), though not which or how many.
//! Differencing is not stopped either: two describes over row windows that differ by one
//! record can differ by one in `count` or `common_values`, telling that record's presence
//! and that its value is, or is not, one of a common group. Limiting which analyses run
//! on which windows is the permission layer's job.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::ComputeError;
use crate::input::{CsvInput, Labeled};

/// The summary of one column of a CSV dataset, with small cells suppressed (see the
/// [module docs](self)).
///
/// Empty fields are missing values (pandas reads them as `NaN`): they count towards
/// neither `count` nor `unique`. Values are compared byte for byte, without trimming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Describe {
    /// The column described.
    pub column: String,
    /// The suppression threshold applied.
    pub k: u32,
    /// The number of non-empty values; `None` if below `k`.
    pub count: Option<u64>,
    /// The number of distinct non-empty values; `None` unless every one of them is held
    /// by at least `k` records.
    pub unique: Option<u64>,
    /// The number of distinct values held by at least `k` records; `None` when `count`
    /// is withheld.
    pub common_values: Option<u64>,
    /// The most frequent value; `None` if it is held by fewer than `k` records, or if
    /// the column has no non-empty value.
    ///
    /// Ties go to the value that reached the maximum count first in file order (the
    /// one whose last counted occurrence comes first).
    pub top: Option<String>,
    /// How often `top` occurs; `None` exactly when `top` is.
    pub freq: Option<u64>,
    /// Which figures were withheld, in field order; empty if none was.
    pub suppressed: Vec<Withheld>,
}

/// A figure of [`Describe`] withheld because it rests on fewer than `k` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Withheld {
    /// Fewer than `k` non-empty values: `count` and every other figure are withheld.
    Count,
    /// The most frequent value is held by fewer than `k` records: `top` and `freq` are
    /// withheld.
    Top,
    /// Some distinct value is held by fewer than `k` records: `unique` is withheld
    /// (`common_values` is released instead).
    Unique,
}

impl Withheld {
    /// Why the figure was withheld, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Count => "fewer than k non-empty values",
            Self::Top => "the most frequent value is held by fewer than k records",
            Self::Unique => "some value is held by fewer than k records",
        }
    }
}

impl fmt::Display for Withheld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Count => "count",
            Self::Top => "top",
            Self::Unique => "unique",
        })
    }
}

impl Describe {
    /// Renders the summary as a two-column text table, in pandas' row order.
    pub fn render_table(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn figure(value: Option<u64>) -> String {
            value.map_or_else(|| "suppressed".to_owned(), |n| n.to_string())
        }
        writeln!(f, "{:<8}{}", "column", self.column)?;
        writeln!(f, "{:<8}{}", "count", figure(self.count))?;
        writeln!(f, "{:<8}{}", "unique", figure(self.unique))?;
        writeln!(f, "{:<8}{}", "common", figure(self.common_values))?;
        let top = match &self.top {
            Some(top) => top.as_str(),
            None if self.suppressed.is_empty() => "(none)",
            None => "suppressed",
        };
        writeln!(f, "{:<8}{top}", "top")?;
        writeln!(f, "{:<8}{}", "freq", figure(self.freq))?;
        writeln!(f, "{:<8}{}", "k", self.k)?;
        for withheld in &self.suppressed {
            writeln!(f, "{:<8}{withheld} withheld: {}", "note", withheld.reason())?;
        }
        Ok(())
    }
}

/// Describes `column` of the CSV dataset read from `input` (with a header row),
/// suppressing every figure that rests on fewer than `k` records.
///
/// Errors name the input `input`; use [`describe_labeled`] to give it a name.
///
/// ```
/// let csv = "PATIENT,DESCRIPTION\np1,Otitis media\np2,Viral sinusitis (disorder)\np3,Otitis media\np4,\n";
/// let d = strongroom_compute::describe(csv.as_bytes(), "DESCRIPTION", 2)?;
/// assert_eq!((d.count, d.freq), (Some(3), Some(2)));
/// assert_eq!(d.top.as_deref(), Some("Otitis media"));
/// // Viral sinusitis is held by 1 record, below k = 2: the distinct count is withheld.
/// assert_eq!((d.unique, d.common_values), (None, Some(1)));
/// # Ok::<(), strongroom_compute::ComputeError>(())
/// ```
pub fn describe(input: impl Read, column: &str, k: u32) -> Result<Describe, ComputeError> {
    describe_labeled(Labeled::new("input", input), column, k)
}

/// Describes `column` of a labeled CSV input; see [`describe`](describe()).
///
/// Memory grows with the number of distinct values of the column, not with the input.
pub fn describe_labeled(
    input: Labeled<impl Read>,
    column: &str,
    k: u32,
) -> Result<Describe, ComputeError> {
    describe_csv(&mut CsvInput::open(input)?, column, k)
}

/// Describes `column` of an opened input (with its row windows, if any).
pub(crate) fn describe_csv<R: Read>(
    csv: &mut CsvInput<R>,
    column: &str,
    k: u32,
) -> Result<Describe, ComputeError> {
    let Some(index) = csv.header().iter().position(|c| c == column) else {
        return Err(ComputeError::UnknownColumn {
            file: csv.label().to_owned(),
            column: column.to_owned(),
            available: csv.header().to_vec(),
        });
    };
    // Values are interned: `ids` maps each distinct value to its slot in `counts`.
    let mut ids: HashMap<Box<[u8]>, usize> = HashMap::new();
    let mut values: Vec<Box<str>> = Vec::new();
    let mut counts: Vec<u64> = Vec::new();
    let mut count = 0u64;
    let mut top: Option<usize> = None;
    let mut freq = 0u64;
    while csv.advance()? {
        let bytes = csv.bytes(index);
        if bytes.is_empty() {
            continue;
        }
        count += 1;
        let id = match ids.get(bytes) {
            Some(&id) => id,
            None => {
                // Only a new value needs checking: a later value with the same bytes is
                // the same valid string.
                let value = csv.str(index)?;
                let id = values.len();
                values.push(value.into());
                counts.push(0);
                ids.insert(bytes.into(), id);
                id
            }
        };
        counts[id] += 1;
        // Strictly greater: on a tie the value that got there first stays on top.
        if counts[id] > freq {
            freq = counts[id];
            top = Some(id);
        }
    }
    let top = top.map(|id| values[id].to_string());
    Ok(release(column, k, count, &counts, top, freq))
}

/// Applies the release rule of the module docs to the raw figures.
fn release(
    column: &str,
    k: u32,
    count: u64,
    counts: &[u64],
    top: Option<String>,
    freq: u64,
) -> Describe {
    let threshold = u64::from(k);
    let mut out = Describe {
        column: column.to_owned(),
        k,
        count: None,
        unique: None,
        common_values: None,
        top: None,
        freq: None,
        suppressed: Vec::new(),
    };
    if count < threshold {
        out.suppressed.push(Withheld::Count);
        return out;
    }
    out.count = Some(count);
    let common = counts.iter().filter(|&&n| n >= threshold).count() as u64;
    out.common_values = Some(common);
    if common == counts.len() as u64 {
        out.unique = Some(common);
    } else {
        out.suppressed.push(Withheld::Unique);
    }
    match top {
        Some(top) if freq >= threshold => {
            out.top = Some(top);
            out.freq = Some(freq);
        }
        Some(_) => out.suppressed.push(Withheld::Top),
        // No non-empty value at all (count is 0, so k is 0).
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(csv: &str, k: u32) -> Describe {
        describe(csv.as_bytes(), "x", k).unwrap()
    }

    #[test]
    fn ties_go_to_the_value_that_reached_the_maximum_first() {
        // a reaches 2 on line 4, b reaches 2 on line 5: a wins.
        assert_eq!(d("x\nb\na\na\nb\n", 1).top.as_deref(), Some("a"));
        // b reaches 2 first here.
        assert_eq!(d("x\nb\nb\na\na\n", 1).top.as_deref(), Some("b"));
    }

    #[test]
    fn empty_column_has_no_top_and_withholds_its_count() {
        let out = describe("x,y\n,1\n,2\n".as_bytes(), "x", 1).unwrap();
        assert_eq!(
            (out.count, out.unique, out.top, out.freq),
            (None, None, None, None)
        );
        assert_eq!(out.suppressed, [Withheld::Count]);
        // With k = 0 nothing is withheld, and there is no top to release.
        let out = describe("x,y\n,1\n".as_bytes(), "x", 0).unwrap();
        assert_eq!((out.count, out.top, out.freq), (Some(0), None, None));
        assert!(out.suppressed.is_empty());
    }

    #[test]
    fn count_below_k_withholds_every_figure() {
        let out = d("x\na\na\na\n", 4);
        assert_eq!(out.count, None);
        assert_eq!((out.unique, out.common_values), (None, None));
        assert_eq!((out.top, out.freq), (None, None));
        assert_eq!(out.suppressed, [Withheld::Count]);
    }

    #[test]
    fn top_below_k_is_withheld_but_count_is_not() {
        // Four distinct values, each held once: an identifier column.
        let out = d("x\na\nb\nc\nd\n", 2);
        assert_eq!(out.count, Some(4));
        assert_eq!((out.top, out.freq), (None, None));
        assert_eq!((out.unique, out.common_values), (None, Some(0)));
        assert_eq!(out.suppressed, [Withheld::Unique, Withheld::Top]);
    }

    #[test]
    fn unique_is_released_only_when_every_value_reaches_k() {
        let out = d("x\na\na\nb\nb\n", 2);
        assert_eq!((out.unique, out.common_values), (Some(2), Some(2)));
        assert!(out.suppressed.is_empty());
        let out = d("x\na\na\nb\n", 2);
        assert_eq!((out.unique, out.common_values), (None, Some(1)));
        assert_eq!(out.suppressed, [Withheld::Unique]);
    }

    #[test]
    fn table_lists_pandas_rows_then_the_notes() {
        assert_eq!(
            d("x\na\n", 1).render_table(),
            "column  x\ncount   1\nunique  1\ncommon  1\ntop     a\nfreq    1\nk       1\n"
        );
        assert_eq!(
            d("x\na\nb\n", 2).render_table(),
            "column  x\ncount   2\nunique  suppressed\ncommon  0\ntop     suppressed\n\
             freq    suppressed\nk       2\n\
             note    unique withheld: some value is held by fewer than k records\n\
             note    top withheld: the most frequent value is held by fewer than k records\n"
        );
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_column() {
        let out = describe("\u{feff}x,y\na,1\n".as_bytes(), "x", 1).unwrap();
        assert_eq!(out.count, Some(1));
    }
}
