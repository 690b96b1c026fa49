//! Streaming CSV input with header lookup, field-count checks and line numbers.

use std::io::{self, Read};

use csv::{ByteRecord, ReaderBuilder};

use crate::date::{self, Date};
use crate::error::{ComputeError, MalformedInput, Problem};
use crate::window::{RowWindow, RowWindows};

/// A readable stream with the label that errors use to name it (a file name, say).
#[derive(Debug)]
pub struct Labeled<R> {
    /// The name that errors give this input.
    pub label: String,
    /// The plaintext CSV stream.
    pub reader: R,
}

impl<R: Read> Labeled<R> {
    /// Labels `reader` as `label`.
    pub fn new(label: impl Into<String>, reader: R) -> Self {
        Self {
            label: label.into(),
            reader,
        }
    }
}

/// A CSV stream being read one record at a time into a reused [`ByteRecord`], keeping
/// only the rows inside its row windows.
pub(crate) struct CsvInput<R> {
    reader: csv::Reader<R>,
    file: String,
    header: Vec<String>,
    record: ByteRecord,
    line: u64,
    /// The windows applied to this file: their ids and the index of their column.
    windows: Vec<(usize, usize, RowWindow)>,
}

impl<R: Read> CsvInput<R> {
    /// Reads the header row. Fails on an empty input or a header that is not UTF-8.
    pub(crate) fn open(input: Labeled<R>) -> Result<Self, ComputeError> {
        Self::open_windowed(input, &RowWindows::default())
    }

    /// Reads the header row and applies each window of `windows` governing this input
    /// whose column the header has.
    pub(crate) fn open_windowed(
        input: Labeled<R>,
        windows: &RowWindows,
    ) -> Result<Self, ComputeError> {
        let mut reader = ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(input.reader);
        let file = input.label;
        let raw = match reader.byte_headers() {
            Ok(raw) => raw.clone(),
            Err(e) => return Err(csv_error(&file, 1, e)),
        };
        let mut this = Self {
            reader,
            file,
            header: Vec::with_capacity(raw.len()),
            record: ByteRecord::new(),
            line: 1,
            windows: Vec::new(),
        };
        if raw.is_empty() {
            return Err(this.malformed(Problem::EmptyInput));
        }
        for field in &raw {
            match std::str::from_utf8(field) {
                Ok(name) => this.header.push(name.to_owned()),
                Err(_) => {
                    return Err(this.malformed(Problem::InvalidUtf8 {
                        column: "header".into(),
                    }));
                }
            }
        }
        for (id, window) in windows.governing(&this.file) {
            if let Some(index) = this.header.iter().position(|c| *c == window.column) {
                this.windows.push((id, index, window.clone()));
            }
        }
        Ok(this)
    }

    /// The ids of the windows applied to this input.
    pub(crate) fn applied_windows(&self) -> impl Iterator<Item = usize> + '_ {
        self.windows.iter().map(|(id, _, _)| *id)
    }

    /// The header's column names, in file order.
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    /// The index of a column the analysis requires (the first one of that name).
    pub(crate) fn required(&self, column: &str) -> Result<usize, ComputeError> {
        self.header.iter().position(|c| c == column).ok_or_else(|| {
            MalformedInput {
                file: self.file.clone(),
                line: 1,
                problem: Problem::MissingColumn {
                    column: column.to_owned(),
                    available: self.header.clone(),
                },
            }
            .into()
        })
    }

    /// Reads the next record inside the row windows; `false` at the end of the input.
    /// Fails if a record does not have as many fields as the header, or if its time
    /// does not parse.
    pub(crate) fn advance(&mut self) -> Result<bool, ComputeError> {
        while let Some(inside) = self.advance_marking()? {
            if inside {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads the next record, inside the row windows or not: `Some(true)` if inside,
    /// `None` at the end of the input. Fails as [`Self::advance`] does.
    pub(crate) fn advance_marking(&mut self) -> Result<Option<bool>, ComputeError> {
        if !self.next_record()? {
            return Ok(None);
        }
        // Every window's time is checked, even once one has excluded the row.
        let mut inside = true;
        for (_, index, window) in &self.windows {
            let Some(time) = date::timestamp_ms(self.bytes(*index)) else {
                return Err(self.malformed(Problem::BadTime {
                    column: self.header[*index].clone(),
                }));
            };
            inside &= window.contains(time);
        }
        Ok(Some(inside))
    }

    /// Reads the next record; `false` at the end of the input. Fails if the record
    /// does not have as many fields as the header.
    fn next_record(&mut self) -> Result<bool, ComputeError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(false),
            Ok(true) => {
                if let Some(pos) = self.record.position() {
                    self.line = pos.line();
                }
                if self.record.len() != self.header.len() {
                    return Err(self.malformed(Problem::FieldCount {
                        expected: self.header.len(),
                        found: self.record.len(),
                    }));
                }
                Ok(true)
            }
            Err(e) => {
                let line = self.reader.position().line();
                Err(csv_error(&self.file, line, e))
            }
        }
    }

    /// The raw bytes of field `index` of the current record.
    pub(crate) fn bytes(&self, index: usize) -> &[u8] {
        self.record.get(index).unwrap_or_default()
    }

    /// Field `index` of the current record as UTF-8.
    pub(crate) fn str(&self, index: usize) -> Result<&str, ComputeError> {
        std::str::from_utf8(self.bytes(index)).map_err(|_| {
            self.malformed(Problem::InvalidUtf8 {
                column: self.header[index].clone(),
            })
        })
    }

    /// Field `index` of the current record as a `YYYY-MM-DD` date.
    pub(crate) fn date(&self, index: usize) -> Result<Date, ComputeError> {
        Date::parse(self.bytes(index)).ok_or_else(|| {
            self.malformed(Problem::BadDate {
                column: self.header[index].clone(),
            })
        })
    }

    /// The column name at `index`.
    pub(crate) fn column_name(&self, index: usize) -> &str {
        &self.header[index]
    }

    /// An error about the current record (or the header, before the first record).
    pub(crate) fn malformed(&self, problem: Problem) -> ComputeError {
        MalformedInput {
            file: self.file.clone(),
            line: self.line,
            problem,
        }
        .into()
    }

    /// The caller's label of this input.
    pub(crate) fn label(&self) -> &str {
        &self.file
    }
}

fn csv_error(file: &str, line: u64, e: csv::Error) -> ComputeError {
    let source = match e.into_kind() {
        csv::ErrorKind::Io(source) => source,
        other => io::Error::other(format!("{other:?}")),
    };
    ComputeError::Read {
        file: file.to_owned(),
        line,
        source,
    }
}
