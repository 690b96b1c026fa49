//! An in-process host, to run an algorithm natively in its tests (not built for wasm32).
//!
//! [`run`] installs a host on the current thread, calls the algorithm, and returns the
//! table it built: each group's count and cells. The host checks what
//! `docs/formats/algorithm-abi.md` says the sandbox checks (groups, names, values, row
//! order, limits) and, where the sandbox would stop the module, ignores every later
//! call and reports [`Failure::Stop`]. It serves at most [`BATCH_ROWS`] rows per batch,
//! so that small tests cross batch boundaries. It does not apply the release rule:
//! every group is in the table, whatever its count.
//!
//! ```
//! use strongroom_algorithm::{Error, Group, for_each_row, testing};
//!
//! fn all_rows() -> Result<(), Error> {
//!     let all = Group::new(&["all"])?;
//!     for_each_row(0, |row| Ok(row.contribute(&all)))
//! }
//!
//! let table = testing::run(1, &[&[&["a"], &["b"]]], all_rows).unwrap();
//! assert_eq!(table[&vec!["all".to_owned()]].count, 2);
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::{Error, MAX_LABEL_LEN, MAX_LABELS};

/// The most rows in one batch.
pub const BATCH_ROWS: usize = 3;

/// The most cells a group may have.
const MAX_CELLS: usize = 16;

/// The most groups a table may have.
const MAX_GROUPS: usize = 10_000;

/// The table an algorithm built: each group, by its labels.
pub type Table = BTreeMap<Vec<String>, Tally>;

/// What the table holds for one group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// How many distinct rows contributed to the group, over all inputs.
    pub count: usize,
    /// The cells the algorithm set, by name.
    pub cells: BTreeMap<String, f64>,
}

/// Why a run produced no table.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Failure {
    /// `run` returned this error (the module would return its code).
    Error(Error),
    /// The sandbox would have stopped the module, for this reason.
    Stop(String),
}

/// Runs `algorithm` against `inputs`, whose rows have `columns` fields each, and returns
/// the table it built.
pub fn run<F>(columns: usize, inputs: &[&[&[&str]]], algorithm: F) -> Result<Table, Failure>
where
    F: FnOnce() -> Result<(), Error>,
{
    let host = Host::new(columns, inputs)?;
    let installed = Installed::install(host);
    let result = algorithm();
    let host = installed.uninstall();
    if let Some(reason) = host.stopped {
        return Err(Failure::Stop(reason));
    }
    result.map_err(Failure::Error)?;
    Ok(host.table())
}

thread_local! {
    /// The host that [`run`] installed on this thread, if any.
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// Calls `f` on this thread's host, if [`run`] installed one.
pub(crate) fn with_host<R>(f: impl FnOnce(&mut Host) -> R) -> Option<R> {
    HOST.with_borrow_mut(|host| host.as_mut().map(f))
}

/// Keeps a host installed until uninstalled or dropped (say, by a failing assertion).
struct Installed;

impl Installed {
    fn install(host: Host) -> Self {
        HOST.set(Some(host));
        Self
    }

    fn uninstall(self) -> Host {
        let host = HOST.take();
        drop(self);
        host.unwrap_or_default()
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        HOST.set(None);
    }
}

/// The host's state during a run.
#[derive(Default)]
pub(crate) struct Host {
    columns: usize,
    /// Each input's rows, encoded as `read` writes them.
    inputs: Vec<Vec<Vec<u8>>>,
    /// Each input's next row.
    next: Vec<usize>,
    batch: Option<Batch>,
    /// Each group by its encoding: its labels, contributing rows and cells.
    groups: BTreeMap<Vec<u8>, Entry>,
    stopped: Option<String>,
}

/// The current batch.
struct Batch {
    input: usize,
    first: usize,
    rows: usize,
    /// The last row that contributed and its group, to check their order and that
    /// groups partition the rows.
    last: Option<(usize, Vec<u8>)>,
}

/// One group of the table being built.
#[derive(Default)]
struct Entry {
    labels: Vec<String>,
    /// (input, row within the input)
    rows: BTreeSet<(usize, usize)>,
    cells: BTreeMap<String, f64>,
}

impl Host {
    fn new(columns: usize, inputs: &[&[&[&str]]]) -> Result<Self, Failure> {
        let mut encoded = Vec::new();
        for (i, rows) in inputs.iter().enumerate() {
            let mut input = Vec::new();
            for row in rows.iter() {
                if row.len() != columns {
                    let reason = format!("test input {i} has a row of {} fields", row.len());
                    return Err(Failure::Stop(reason));
                }
                let mut bytes = Vec::new();
                for field in row.iter() {
                    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
                    bytes.extend_from_slice(&len.to_le_bytes());
                    bytes.extend_from_slice(field.as_bytes());
                }
                input.push(bytes);
            }
            encoded.push(input);
        }
        Ok(Self {
            columns,
            next: vec![0; encoded.len()],
            inputs: encoded,
            ..Self::default()
        })
    }

    pub(crate) fn inputs(&self) -> i32 {
        i32::try_from(self.inputs.len()).unwrap_or(i32::MAX)
    }

    pub(crate) fn columns(&self) -> i32 {
        i32::try_from(self.columns).unwrap_or(i32::MAX)
    }

    pub(crate) fn read(&mut self, input: i32, buf: &mut [u8]) -> i32 {
        self.batch = None;
        if self.stopped.is_some() {
            return 0;
        }
        let Some((index, rows)) = usize::try_from(input)
            .ok()
            .and_then(|index| Some((index, self.inputs.get(index)?)))
        else {
            self.stop(format!("read: no input {input}"));
            return 0;
        };
        let first = self.next.get(index).copied().unwrap_or_default();
        let mut written = 0;
        let mut count = 0;
        for row in rows.iter().skip(first).take(BATCH_ROWS) {
            let Some(place) = buf.get_mut(written..written + row.len()) else {
                if count == 0 {
                    return -i32::try_from(row.len()).unwrap_or(i32::MAX);
                }
                break;
            };
            place.copy_from_slice(row);
            written += row.len();
            count += 1;
        }
        if count == 0 {
            return 0;
        }
        if let Some(next) = self.next.get_mut(index) {
            *next = first + count;
        }
        self.batch = Some(Batch {
            input: index,
            first,
            rows: count,
            last: None,
        });
        i32::try_from(written).unwrap_or(i32::MAX)
    }

    pub(crate) fn contribute(&mut self, row: i32, group: &[u8]) {
        if self.stopped.is_some() {
            return;
        }
        let labels = match decode_group(group) {
            Ok(labels) => labels,
            Err(reason) => return self.stop(format!("contribute: {reason}")),
        };
        let Some(batch) = self.batch.as_mut() else {
            return self.stop("contribute: no current batch".to_owned());
        };
        let row = match usize::try_from(row) {
            Ok(row) if row < batch.rows => row,
            _ => return self.stop(format!("contribute: row {row} is out of range")),
        };
        match &batch.last {
            Some((last, _)) if row < *last => {
                return self.stop(format!("contribute: row {row} is out of order"));
            }
            Some((last, other)) if row == *last && other.as_slice() != group => {
                return self.stop(format!(
                    "contribute: row {row} already counts toward another group"
                ));
            }
            _ => {}
        }
        batch.last = Some((row, group.to_vec()));
        let key = (batch.input, batch.first + row);
        if let Some(entry) = self.entry(group, labels) {
            entry.rows.insert(key);
        }
    }

    pub(crate) fn emit(&mut self, group: &[u8], name: &[u8], value: f64) {
        if self.stopped.is_some() {
            return;
        }
        let labels = match decode_group(group) {
            Ok(labels) => labels,
            Err(reason) => return self.stop(format!("emit: {reason}")),
        };
        let name = match std::str::from_utf8(name) {
            Ok(name) if crate::cell::check_cell_name(name).is_ok() => name.to_owned(),
            _ => return self.stop("emit: invalid cell name".to_owned()),
        };
        if !value.is_finite() {
            return self.stop(format!("emit: cell {name} is not finite"));
        }
        let Some(entry) = self.entry(group, labels) else {
            return;
        };
        let reason = if entry.cells.contains_key(&name) {
            format!("emit: cell {name} is set twice")
        } else if entry.cells.len() == MAX_CELLS {
            format!("emit: more than {MAX_CELLS} cells")
        } else {
            entry.cells.insert(name, value);
            return;
        };
        self.stop(reason);
    }

    /// The entry of `group`, made if new, or `None` if that exceeds the table's limit.
    fn entry(&mut self, group: &[u8], labels: Vec<String>) -> Option<&mut Entry> {
        if !self.groups.contains_key(group) && self.groups.len() == MAX_GROUPS {
            self.stop(format!("more than {MAX_GROUPS} groups"));
            return None;
        }
        let entry = self.groups.entry(group.to_vec()).or_default();
        entry.labels = labels;
        Some(entry)
    }

    /// Stops the module: the first reason is the one reported.
    fn stop(&mut self, reason: String) {
        self.stopped.get_or_insert(reason);
    }

    fn table(self) -> Table {
        self.groups
            .into_values()
            .map(|entry| {
                (
                    entry.labels,
                    Tally {
                        count: entry.rows.len(),
                        cells: entry.cells,
                    },
                )
            })
            .collect()
    }
}

/// The labels of an encoded group, or why it is malformed.
fn decode_group(mut bytes: &[u8]) -> Result<Vec<String>, String> {
    let take_u32 = |bytes: &mut &[u8]| -> Result<usize, String> {
        let (n, rest) = bytes.split_first_chunk().ok_or("group is truncated")?;
        *bytes = rest;
        usize::try_from(u32::from_le_bytes(*n)).map_err(|e| e.to_string())
    };
    let count = take_u32(&mut bytes)?;
    if count > MAX_LABELS {
        return Err(format!("group has {count} labels"));
    }
    let mut labels = Vec::new();
    for _ in 0..count {
        let len = take_u32(&mut bytes)?;
        if len > MAX_LABEL_LEN {
            return Err(format!("label of {len} bytes"));
        }
        let (label, rest) = bytes.split_at_checked(len).ok_or("group is truncated")?;
        let label = std::str::from_utf8(label).map_err(|_| "label is not UTF-8")?;
        labels.push(label.to_owned());
        bytes = rest;
    }
    if !bytes.is_empty() {
        return Err("group has trailing bytes".to_owned());
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Group, emit, for_each_row, inputs};

    fn labels(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|&label| label.to_owned()).collect()
    }

    #[test]
    fn counts_distinct_rows_over_all_inputs_and_batches() {
        let rows: &[&[&str]] = &[&["a"], &["b"], &["c"], &["d"], &["e"]];
        let table = run(1, &[rows, rows], || {
            let all = Group::new(&["all"])?;
            for input in 0..inputs() {
                for_each_row(input, |row| {
                    // Twice: a row counts once per group.
                    row.contribute(&all);
                    row.contribute(&all);
                    Ok(())
                })?;
            }
            emit(&all, "inputs", 2.0)
        })
        .unwrap();
        let all = &table[&labels(&["all"])];
        assert_eq!(all.count, 10);
        assert_eq!(all.cells["inputs"], 2.0);
    }

    #[test]
    fn a_row_larger_than_the_buffer_grows_it() {
        let long = "x".repeat(crate::INITIAL_BUFFER_LEN * 2);
        let rows: &[&[&str]] = &[&["short"], &[&long], &["short"]];
        let mut lens = Vec::new();
        run(1, &[rows], || {
            for_each_row(0, |row| {
                lens.push(row.field(0).map(str::len));
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(lens, [Some(5), Some(long.len()), Some(5)]);
    }

    #[test]
    fn an_error_from_the_callback_is_the_runs_error() {
        let rows: &[&[&str]] = &[&["a"]];
        let result = run(1, &[rows], || for_each_row(0, |_| Err(Error::Algorithm(3))));
        assert_eq!(result, Err(Failure::Error(Error::Algorithm(3))));
    }

    #[test]
    fn no_such_input() {
        let result = run(1, &[], || for_each_row(0, |_| Ok(())));
        assert_eq!(result, Err(Failure::Error(Error::NoSuchInput)));
    }

    #[test]
    fn nested_reads_are_refused() {
        let rows: &[&[&str]] = &[&["a"]];
        let result = run(1, &[rows, rows], || {
            for_each_row(0, |_| for_each_row(1, |_| Ok(())))
        });
        assert_eq!(result, Err(Failure::Error(Error::NestedRead)));
        // The guard is released after a failure.
        assert_eq!(
            run(1, &[rows], || for_each_row(0, |_| Ok(()))),
            Ok(Table::new())
        );
    }

    #[test]
    fn a_repeated_cell_stops_the_module() {
        let result = run(0, &[], || {
            let all = Group::new(&["all"])?;
            emit(&all, "mean", 1.0)?;
            emit(&all, "mean", 2.0)
        });
        assert_eq!(
            result,
            Err(Failure::Stop("emit: cell mean is set twice".to_owned()))
        );
    }

    #[test]
    fn decodes_what_group_encodes() {
        let group = Group::new(&["a", "", "é"]).unwrap();
        assert_eq!(
            decode_group(group.as_bytes()).unwrap(),
            labels(&["a", "", "é"])
        );
        assert!(decode_group(&[1, 0, 0, 0]).is_err());
        assert!(decode_group(&[0, 0, 0, 0, 0]).is_err());
        assert!(decode_group(&[9, 0, 0, 0]).is_err());
    }
}
