//! The files of one name of several inputs (say each hospital's `patients.csv`), read
//! as one CSV file: the first whole, each next one without its header line, which must
//! be the first's. A task over several datasets thus runs over the union of their rows,
//! as it would over one dataset holding them all.

use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};

type Source = Box<dyn Read + Send>;

/// Reads `readers` as one CSV: each header after the first must equal it (ignoring its
/// line ending) and is skipped; a newline is added after a file whose last line lacks
/// one, so no two rows run together. `name` is the file's name, for errors.
pub(crate) fn concat_csv(name: &str, readers: Vec<Source>) -> io::Result<Source> {
    let mut readers = readers.into_iter();
    let Some(first) = readers.next() else {
        return Ok(Box::new(io::empty()));
    };
    let mut first = BufReader::with_capacity(1 << 16, first);
    let mut header = Vec::new();
    first.read_until(b'\n', &mut header)?;
    let expected = trim_line_end(&header).to_vec();
    let mut out: Source = Box::new(Terminated::new(Cursor::new(header).chain(first)));
    for (i, next) in readers.enumerate() {
        let mut next = BufReader::with_capacity(1 << 16, next);
        let mut line = Vec::new();
        next.read_until(b'\n', &mut line)?;
        if trim_line_end(&line) != expected.as_slice() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{name} of input #{} has another header than that of input #1: the inputs cannot be read as one table",
                    i + 2
                ),
            ));
        }
        out = Box::new(Chain2(out.chain(Terminated::new(next))));
    }
    Ok(out)
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A reader that ends with a newline if it ended with anything else.
struct Terminated<R> {
    inner: R,
    last: Option<u8>,
    done: bool,
}

impl<R> Terminated<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            last: None,
            done: false,
        }
    }
}

impl<R: Read> Read for Terminated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
            return Ok(n);
        }
        self.done = true;
        match self.last {
            Some(b'\n') | None => Ok(0),
            Some(_) => {
                buf[0] = b'\n';
                Ok(1)
            }
        }
    }
}

/// A boxed chain (so the chain's type does not grow with each input).
struct Chain2(Chain<Source, Terminated<BufReader<Source>>>);

impl Read for Chain2 {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn read(parts: &[&str]) -> io::Result<String> {
        let readers = parts
            .iter()
            .map(|p| Box::new(Cursor::new(p.as_bytes().to_vec())) as Source)
            .collect();
        let mut out = String::new();
        concat_csv("patients.csv", readers)?.read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn later_headers_are_skipped_and_rows_never_run_together() {
        assert_eq!(
            read(&["Id,X\n1,a\n", "Id,X\r\n2,b", "Id,X\n3,c\n"]).unwrap(),
            "Id,X\n1,a\n2,b\n3,c\n"
        );
    }

    #[test]
    fn one_input_reads_as_itself() {
        assert_eq!(read(&["Id,X\n1,a"]).unwrap(), "Id,X\n1,a\n");
    }

    #[test]
    fn another_header_is_an_error_naming_the_input() {
        let error = read(&["Id,X\n1,a\n", "Id,Y\n2,b\n"]).unwrap_err();
        assert!(error.to_string().contains("input #2"), "{error}");
    }
}
