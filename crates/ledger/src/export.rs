//! Streaming export of a ledger, and verification of an export with no store at all.
//!
//! An export is `EXPORT_MAGIC` followed by one record per entry:
//! `sequence u64 || length u32 || stored value` (the value as the store keeps it:
//! `entry_hash [32] || encoded entry`), integers big-endian. It is read and written in
//! chunks, so any ledger exports and verifies in constant memory.

use std::io::{self, Read, Write};
use std::ops::RangeInclusive;

use strongroom_crypto::provider::VerifyingKey;

use crate::entry::{HEADER_LEN, MAX_PAYLOAD_LEN};
use crate::store::{LedgerStore, StoreError};
use crate::verify::{LedgerSummary, LedgerVerifier, VerifyError};

/// The first bytes of an export.
pub const EXPORT_MAGIC: &[u8; 16] = b"strongroom-ledgx";

/// Entries read per read transaction while exporting.
const CHUNK: u64 = 1024;

/// Why an export could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing the stream failed.
    #[error("export stream: {0}")]
    Io(#[from] io::Error),
    /// The stream is not an export.
    #[error("not a strongroom ledger export (bad magic)")]
    NotAnExport,
    /// A record is cut short (the export was truncated).
    #[error("export truncated in the record after entry {after}")]
    Truncated {
        /// The last complete entry.
        after: u64,
    },
    /// A record declares a length no entry can have.
    #[error("export record for entry {sequence} declares {len} bytes")]
    BadLength {
        /// The record's sequence number.
        sequence: u64,
        /// The declared length.
        len: u32,
    },
    /// The entries do not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

impl LedgerStore {
    /// Writes the entries in `range` to `out` as an export, reading the store in
    /// chunks; returns how many entries were written. An export of a whole ledger
    /// starts at 1 (only those verify on their own).
    pub fn export(
        &self,
        range: RangeInclusive<u64>,
        out: &mut impl Write,
    ) -> Result<u64, ExportError> {
        out.write_all(EXPORT_MAGIC)?;
        let (mut start, end) = range.into_inner();
        let end = end.min(self.last_key()?.unwrap_or(0));
        let mut written = 0;
        while start <= end {
            let last = start.saturating_add(CHUNK - 1).min(end);
            let chunk = self.raw_range(start..=last)?;
            for raw in &chunk {
                let len = u32::try_from(raw.value.len()).map_err(|_| StoreError::Corrupt {
                    sequence: raw.key,
                    reason: "stored value longer than 4 GiB".into(),
                })?;
                out.write_all(&raw.key.to_be_bytes())?;
                out.write_all(&len.to_be_bytes())?;
                out.write_all(&raw.value)?;
                written += 1;
            }
            if last == u64::MAX {
                break;
            }
            start = last + 1;
        }
        out.flush()?;
        Ok(written)
    }
}

/// Verifies an export of a whole ledger (from entry 1) as [`crate::verify_ledger`]
/// verifies a store: hashes, links, sequence numbers, every signed root. Reads the
/// stream once, in constant memory.
pub fn verify_export(
    input: &mut impl Read,
    trusted: Option<&VerifyingKey>,
) -> Result<LedgerSummary, ExportError> {
    let mut magic = [0u8; EXPORT_MAGIC.len()];
    input
        .read_exact(&mut magic)
        .map_err(|_| ExportError::NotAnExport)?;
    if &magic != EXPORT_MAGIC {
        return Err(ExportError::NotAnExport);
    }
    let mut verifier = LedgerVerifier::new(trusted.cloned());
    let max = (32 + HEADER_LEN + MAX_PAYLOAD_LEN) as u32;
    let mut value = Vec::new();
    loop {
        let after = verifier.next_sequence() - 1;
        let mut head = [0u8; 12];
        match read_full(input, &mut head)? {
            0 => break,
            12 => {}
            _ => return Err(ExportError::Truncated { after }),
        }
        let (seq, len) = head.split_at(8);
        let sequence = u64::from_be_bytes(seq.try_into().unwrap_or_default());
        let len = u32::from_be_bytes(len.try_into().unwrap_or_default());
        if len > max {
            return Err(ExportError::BadLength { sequence, len });
        }
        value.resize(len as usize, 0);
        if read_full(input, &mut value)? != value.len() {
            return Err(ExportError::Truncated { after });
        }
        verifier.push_stored(sequence, &value)?;
    }
    Ok(verifier.finish(None)?)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
