//! Why a run failed, and the code that `run` returns for it.

use std::fmt;

/// Why an algorithm's run failed.
///
/// [`entry!`](crate::entry) turns it into the code that `run` returns, which the host
/// reports as "the algorithm returned error code N". Each variant's code is listed on
/// it; codes never change meaning, and a new variant gets a new number. The SDK's own
/// codes are `1..=999`; [`Error::Algorithm`] codes are `1000 + n`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A failure defined by the algorithm itself: `Algorithm(n)` has code `1000 + n`,
    /// so it can never be mistaken for one of the SDK's codes.
    Algorithm(u16),
    /// Code 1: a group has more than [`MAX_LABELS`](crate::MAX_LABELS) labels.
    GroupTooLarge,
    /// Code 2: a cell name is not 1 to 64 bytes of `[a-z0-9_]`, or is `count`.
    InvalidCellName,
    /// Code 3: the host's `read` answered outside the ABI: more bytes than the buffer
    /// holds, or "too small" for a buffer that was large enough.
    InvalidRead,
    /// Code 4: a label is longer than [`MAX_LABEL_LEN`](crate::MAX_LABEL_LEN) bytes.
    LabelTooLong,
    /// Code 5: a batch of rows does not parse: a field's length runs past the batch,
    /// a field is not UTF-8, or the batch ends inside a row.
    MalformedBatch,
    /// Code 6: the task declares fewer columns than the algorithm needs.
    MissingColumn,
    /// Code 7: [`for_each_row`](crate::for_each_row) was called from inside another
    /// one's callback, which would end the batch whose rows are being contributed.
    NestedRead,
    /// Code 8: a cell value is NaN or infinite.
    NonFiniteValue,
    /// Code 9: an input number is not below [`inputs`](crate::inputs).
    NoSuchInput,
    /// Code 10: memory for a row or a group could not be allocated, or a single row is
    /// larger than a buffer can be (2 GiB).
    OutOfMemory,
}

impl Error {
    /// The code that `run` returns for this error; never 0.
    pub const fn code(&self) -> i32 {
        match self {
            Self::Algorithm(n) => 1000 + *n as i32,
            Self::GroupTooLarge => 1,
            Self::InvalidCellName => 2,
            Self::InvalidRead => 3,
            Self::LabelTooLong => 4,
            Self::MalformedBatch => 5,
            Self::MissingColumn => 6,
            Self::NestedRead => 7,
            Self::NonFiniteValue => 8,
            Self::NoSuchInput => 9,
            Self::OutOfMemory => 10,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self {
            Self::Algorithm(n) => return write!(f, "algorithm-defined error {n}"),
            Self::GroupTooLarge => "a group has too many labels",
            Self::InvalidCellName => "a cell name is invalid or reserved",
            Self::InvalidRead => "the host's read broke the ABI",
            Self::LabelTooLong => "a label is too long",
            Self::MalformedBatch => "a batch of rows is malformed",
            Self::MissingColumn => "the task declares too few columns",
            Self::NestedRead => "rows were read while reading rows",
            Self::NonFiniteValue => "a cell value is not finite",
            Self::NoSuchInput => "no such input",
            Self::OutOfMemory => "out of memory",
        };
        f.write_str(reason)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_nonzero_and_distinct() {
        let all = [
            Error::Algorithm(0),
            Error::Algorithm(u16::MAX),
            Error::GroupTooLarge,
            Error::InvalidCellName,
            Error::InvalidRead,
            Error::LabelTooLong,
            Error::MalformedBatch,
            Error::MissingColumn,
            Error::NestedRead,
            Error::NonFiniteValue,
            Error::NoSuchInput,
            Error::OutOfMemory,
        ];
        let mut codes: Vec<i32> = all.iter().map(Error::code).collect();
        assert!(codes.iter().all(|&code| code != 0));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn algorithm_codes_follow_the_sdk_codes() {
        assert_eq!(Error::Algorithm(0).code(), 1000);
        assert_eq!(Error::Algorithm(1).code(), 1001);
        assert_eq!(Error::Algorithm(u16::MAX).code(), 66535);
    }
}
