//! Reading an input's rows, batch by batch, and contributing them to groups.

use std::cell::Cell;

use crate::{Error, Group, columns, host, inputs};

/// The size of the buffer that [`for_each_row`] starts with. It grows to fit a row that
/// needs more.
pub const INITIAL_BUFFER_LEN: usize = 64 * 1024;

thread_local! {
    /// Whether a [`for_each_row`] is running, to refuse a nested one.
    static READING: Cell<bool> = const { Cell::new(false) };
}

/// Calls `f` on each row of input `input` (numbered from 0, in the task's order), in
/// order, and stops at the first error `f` returns.
///
/// Rows arrive in batches through one buffer that starts at [`INITIAL_BUFFER_LEN`]
/// bytes and grows only when a row needs more. A [`Row`] is only valid inside `f`,
/// since the next batch ends it; for the same reason `for_each_row` cannot be called
/// from inside `f` ([`Error::NestedRead`]).
///
/// Fails with [`Error::NoSuchInput`] if `input` is not below [`inputs`], with
/// [`Error::MalformedBatch`] or [`Error::InvalidRead`] if the host breaks the ABI, with
/// [`Error::OutOfMemory`] if a row does not fit in memory, or with `f`'s error.
pub fn for_each_row<F>(input: usize, mut f: F) -> Result<(), Error>
where
    F: FnMut(&Row<'_>) -> Result<(), Error>,
{
    if input >= inputs() {
        return Err(Error::NoSuchInput);
    }
    let input = i32::try_from(input).map_err(|_| Error::NoSuchInput)?;
    let _reading = Reading::start()?;
    let columns = columns();
    let mut buf = Vec::new();
    grow(&mut buf, INITIAL_BUFFER_LEN)?;
    loop {
        let written = host::read(input, &mut buf);
        if written == 0 {
            return Ok(());
        }
        match usize::try_from(written) {
            Ok(len) => {
                let batch = buf.get(..len).ok_or(Error::InvalidRead)?;
                parse_batch(batch, columns, &mut f)?;
            }
            Err(_) => {
                let needed =
                    usize::try_from(written.unsigned_abs()).map_err(|_| Error::OutOfMemory)?;
                if needed <= buf.len() {
                    return Err(Error::InvalidRead);
                }
                if i32::try_from(needed).is_err() {
                    return Err(Error::OutOfMemory);
                }
                grow(&mut buf, needed)?;
            }
        }
    }
}

/// One row of the current batch, as [`for_each_row`] shows it.
#[derive(Debug)]
pub struct Row<'a> {
    index: usize,
    fields: &'a [&'a str],
}

impl<'a> Row<'a> {
    /// Field `column` of the row (a declared column, numbered from 0), exactly as the
    /// CSV cell holds it: not trimmed, and empty for an empty cell. `None` past the last
    /// declared column.
    pub fn field(&self, column: usize) -> Option<&'a str> {
        self.fields.get(column).copied()
    }

    /// The row's number within its batch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Counts this row toward `group`. A row counts at most once per group, however
    /// often it contributes, and toward one group only: the groups partition the rows.
    pub fn contribute(&self, group: &Group) {
        // Cannot saturate: a batch is at most `i32::MAX` bytes, and each row of a
        // nonempty batch takes at least 4. Were it to, the host would refuse the row.
        let row = i32::try_from(self.index).unwrap_or(i32::MAX);
        host::contribute(row, group.as_bytes());
    }
}

/// Calls `f` on each row of `batch`, whose rows have `columns` fields each.
///
/// A field is a `u32` little-endian length and that many bytes of UTF-8. A batch that
/// ends inside a row, a length past its end, a field that is not UTF-8, or a nonempty
/// batch of rows without columns is [`Error::MalformedBatch`]; rows before the flaw
/// have already gone to `f`.
fn parse_batch<F>(batch: &[u8], columns: usize, f: &mut F) -> Result<(), Error>
where
    F: FnMut(&Row<'_>) -> Result<(), Error>,
{
    if batch.is_empty() {
        return Ok(());
    }
    // A row of no fields takes no bytes (`read` cannot return one), and each field
    // takes at least 4: refuse more columns than fit before allocating for them.
    if columns == 0 || columns > batch.len() / 4 {
        return Err(Error::MalformedBatch);
    }
    let mut fields = Vec::new();
    fields
        .try_reserve_exact(columns)
        .map_err(|_| Error::OutOfMemory)?;
    let mut rest = batch;
    let mut index = 0;
    while !rest.is_empty() {
        fields.clear();
        for _ in 0..columns {
            let (field, tail) = split_field(rest)?;
            fields.push(field);
            rest = tail;
        }
        f(&Row {
            index,
            fields: &fields,
        })?;
        index += 1;
    }
    Ok(())
}

/// Splits the first field off `bytes`: its text and the bytes after it.
fn split_field(bytes: &[u8]) -> Result<(&str, &[u8]), Error> {
    let (len, rest) = bytes.split_first_chunk().ok_or(Error::MalformedBatch)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| Error::MalformedBatch)?;
    let (field, rest) = rest.split_at_checked(len).ok_or(Error::MalformedBatch)?;
    let field = std::str::from_utf8(field).map_err(|_| Error::MalformedBatch)?;
    Ok((field, rest))
}

/// Grows `buf` to `len` zeroed bytes, failing instead of aborting if memory runs out.
fn grow(buf: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    let more = len.saturating_sub(buf.len());
    buf.try_reserve_exact(more)
        .map_err(|_| Error::OutOfMemory)?;
    buf.resize(len.max(buf.len()), 0);
    Ok(())
}

/// Marks a [`for_each_row`] as running until dropped.
struct Reading;

impl Reading {
    fn start() -> Result<Self, Error> {
        if READING.replace(true) {
            return Err(Error::NestedRead);
        }
        Ok(Self)
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        READING.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes rows as the host does.
    fn encode(rows: &[&[&str]]) -> Vec<u8> {
        let mut batch = Vec::new();
        for row in rows {
            for field in *row {
                batch.extend_from_slice(&u32::try_from(field.len()).unwrap().to_le_bytes());
                batch.extend_from_slice(field.as_bytes());
            }
        }
        batch
    }

    /// The rows of `batch`, with their indexes, or the error.
    fn parse(batch: &[u8], columns: usize) -> Result<Vec<(usize, Vec<String>)>, Error> {
        let mut rows = Vec::new();
        parse_batch(batch, columns, &mut |row: &Row<'_>| {
            let fields = (0..columns)
                .map(|i| row.field(i).unwrap().to_owned())
                .collect();
            assert_eq!(row.field(columns), None);
            rows.push((row.index(), fields));
            Ok(())
        })?;
        Ok(rows)
    }

    #[test]
    fn parses_rows_in_order() {
        let batch = encode(&[&["a", "1"], &["", "é"], &["c", ""]]);
        assert_eq!(
            parse(&batch, 2).unwrap(),
            [
                (0, vec!["a".to_owned(), "1".to_owned()]),
                (1, vec![String::new(), "é".to_owned()]),
                (2, vec!["c".to_owned(), String::new()]),
            ]
        );
    }

    #[test]
    fn fields_are_not_trimmed() {
        let batch = encode(&[&[" x ", "\t"]]);
        assert_eq!(parse(&batch, 2).unwrap()[0].1, [" x ", "\t"]);
    }

    #[test]
    fn an_empty_batch_has_no_rows() {
        assert_eq!(parse(&[], 3).unwrap(), []);
        assert_eq!(parse(&[], 0).unwrap(), []);
    }

    #[test]
    fn a_batch_ending_inside_a_row_is_malformed() {
        let batch = encode(&[&["a", "1"], &["b"]]);
        assert_eq!(parse(&batch, 2), Err(Error::MalformedBatch));
    }

    #[test]
    fn a_batch_ending_inside_a_length_is_malformed() {
        let mut batch = encode(&[&["a"]]);
        batch.extend_from_slice(&[1, 0]);
        assert_eq!(parse(&batch, 1), Err(Error::MalformedBatch));
    }

    #[test]
    fn a_length_past_the_end_is_malformed() {
        for len in [4, u32::MAX] {
            let mut batch = len.to_le_bytes().to_vec();
            batch.extend_from_slice(b"abc");
            assert_eq!(parse(&batch, 1), Err(Error::MalformedBatch));
        }
    }

    #[test]
    fn a_field_that_is_not_utf8_is_malformed() {
        let batch = [2, 0, 0, 0, 0xc3, 0x28];
        assert_eq!(parse(&batch, 1), Err(Error::MalformedBatch));
    }

    #[test]
    fn bytes_without_columns_are_malformed() {
        assert_eq!(parse(&[0, 0, 0, 0], 0), Err(Error::MalformedBatch));
    }

    #[test]
    fn more_columns_than_the_batch_can_hold_are_malformed() {
        let batch = encode(&[&["a", "b"]]);
        assert_eq!(parse(&batch, 3), Err(Error::MalformedBatch));
        assert_eq!(parse(&batch, usize::MAX), Err(Error::MalformedBatch));
    }

    #[test]
    fn the_callbacks_error_stops_the_batch() {
        let batch = encode(&[&["a"], &["b"], &["c"]]);
        let mut seen = 0;
        let result = parse_batch(&batch, 1, &mut |row: &Row<'_>| {
            seen += 1;
            if row.field(0) == Some("b") {
                Err(Error::Algorithm(7))
            } else {
                Ok(())
            }
        });
        assert_eq!(result, Err(Error::Algorithm(7)));
        assert_eq!(seen, 2);
    }

    #[test]
    fn grow_zero_fills_and_never_shrinks() {
        let mut buf = vec![1, 2, 3];
        grow(&mut buf, 5).unwrap();
        assert_eq!(buf, [1, 2, 3, 0, 0]);
        grow(&mut buf, 2).unwrap();
        assert_eq!(buf.len(), 5);
    }
}
