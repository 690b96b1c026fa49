//! `describe`: count, distinct count and most frequent value of one column, like
//! pandas' `DataFrame.describe()` on an object column.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::ComputeError;
use crate::input::{CsvInput, Labeled};

/// The summary of one column of a CSV dataset.
///
/// Empty fields are missing values (pandas reads them as `NaN`): they count towards
/// neither `count` nor `unique`. Values are compared byte for byte, without trimming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Describe {
    /// The column described.
    pub column: String,
    /// The number of non-empty values.
    pub count: u64,
    /// The number of distinct non-empty values.
    pub unique: u64,
    /// The most frequent value; `None` if the column has no non-empty value.
    ///
    /// Ties go to the value that reached the maximum count first in file order (the
    /// one whose last counted occurrence comes first).
    pub top: Option<String>,
    /// How often `top` occurs (0 when `top` is `None`).
    pub freq: u64,
}

impl Describe {
    /// Renders the summary as a two-column text table, in pandas' row order.
    pub fn render_table(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<8}{}", "column", self.column)?;
        writeln!(f, "{:<8}{}", "count", self.count)?;
        writeln!(f, "{:<8}{}", "unique", self.unique)?;
        writeln!(f, "{:<8}{}", "top", self.top.as_deref().unwrap_or("(none)"))?;
        writeln!(f, "{:<8}{}", "freq", self.freq)
    }
}

/// Describes `column` of the CSV dataset read from `input` (with a header row).
///
/// Errors name the input `input`; use [`describe_labeled`] to give it a name.
///
/// ```
/// let csv = "PATIENT,DESCRIPTION\np1,Otitis media\np2,Viral sinusitis (disorder)\np3,Otitis media\np4,\n";
/// let d = strongroom_compute::describe(csv.as_bytes(), "DESCRIPTION")?;
/// assert_eq!((d.count, d.unique, d.freq), (3, 2, 2));
/// assert_eq!(d.top.as_deref(), Some("Otitis media"));
/// # Ok::<(), strongroom_compute::ComputeError>(())
/// ```
pub fn describe(input: impl Read, column: &str) -> Result<Describe, ComputeError> {
    describe_labeled(Labeled::new("input", input), column)
}

/// Describes `column` of a labeled CSV input; see [`describe`].
///
/// Memory grows with the number of distinct values of the column, not with the input.
pub fn describe_labeled(input: Labeled<impl Read>, column: &str) -> Result<Describe, ComputeError> {
    let mut csv = CsvInput::open(input)?;
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
    Ok(Describe {
        column: column.to_owned(),
        count,
        unique: values.len() as u64,
        top: top.map(|id| values[id].to_string()),
        freq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_value_that_reached_the_maximum_first() {
        // a reaches 2 on line 4, b reaches 2 on line 5: a wins.
        let d = describe("x\nb\na\na\nb\n".as_bytes(), "x").unwrap();
        assert_eq!(d.top.as_deref(), Some("a"));
        // b reaches 2 first here.
        let d = describe("x\nb\nb\na\na\n".as_bytes(), "x").unwrap();
        assert_eq!(d.top.as_deref(), Some("b"));
    }

    #[test]
    fn empty_column_has_no_top() {
        let d = describe("x,y\n,1\n,2\n".as_bytes(), "x").unwrap();
        assert_eq!((d.count, d.unique, d.top, d.freq), (0, 0, None, 0));
    }

    #[test]
    fn table_lists_pandas_rows() {
        let d = describe("x\na\n".as_bytes(), "x").unwrap();
        assert_eq!(
            d.render_table(),
            "column  x\ncount   1\nunique  1\ntop     a\nfreq    1\n"
        );
    }

    #[test]
    fn byte_order_mark_is_not_part_of_the_first_column() {
        let d = describe("\u{feff}x,y\na,1\n".as_bytes(), "x").unwrap();
        assert_eq!(d.count, 1);
    }
}
