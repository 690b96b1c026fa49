//! The guest side of strongroom's WebAssembly algorithm ABI (version 1): safe Rust over
//! the host's imports, for algorithms built for `wasm32-unknown-unknown`.
//!
//! An algorithm reads each input's rows with [`for_each_row`], counts rows toward
//! [`Group`]s with [`Row::contribute`], sets numeric cells of groups with [`emit`], and
//! exports its entry point with [`entry!`]. The host keeps each group's count and
//! releases a group (labels, count and cells) only if at least `k` rows contributed to
//! it. The ABI is specified in `docs/formats/algorithm-abi.md`.
//!
//! # Quick start
//!
//! A crate with `crate-type = ["cdylib", "rlib"]` that counts the rows of every input
//! by the value of their first declared column:
//!
//! ```
//! use strongroom_algorithm::{Error, Group, for_each_row, inputs};
//!
//! strongroom_algorithm::entry!(count);
//!
//! fn count() -> Result<(), Error> {
//!     for input in 0..inputs() {
//!         for_each_row(input, |row| {
//!             let label = row.field(0).ok_or(Error::MissingColumn)?;
//!             row.contribute(&Group::new(&[label])?);
//!             Ok(())
//!         })?;
//!     }
//!     Ok(())
//! }
//! # let rows: &[&[&str]] = &[&["a"], &["b"], &["a"]];
//! # let table = strongroom_algorithm::testing::run(1, &[rows], count).unwrap();
//! # assert_eq!(table[&vec!["a".to_owned()]].count, 2);
//! ```
//!
//! # Failing
//!
//! Every fallible function returns [`Error`], and `run` returns the error's
//! [code](Error::code). Nothing the host supplies makes the SDK panic: a malformed batch
//! is [`Error::MalformedBatch`], a row too large for memory [`Error::OutOfMemory`].
//! Mistakes the host can see (a cell set twice, too many groups) stop the module with
//! the host's own message.
//!
//! # Native builds
//!
//! On other targets there is no host: the functions behave as a host with no inputs and
//! no columns, unless a test installs the in-process host of [`testing`] to run an
//! algorithm against rows of its own.

mod cell;
mod error;
mod group;
// The ABI's imports: the only module with unsafe code.
#[allow(unsafe_code)]
mod host;
mod rows;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use cell::{MAX_CELL_NAME_LEN, emit};
pub use error::Error;
pub use group::{Group, MAX_LABEL_LEN, MAX_LABELS};
pub use rows::{INITIAL_BUFFER_LEN, Row, for_each_row};

/// How many inputs the task has: one per dataset, in the task's order. Inputs are
/// numbered from 0.
pub fn inputs() -> usize {
    // A negative answer would break the ABI; it means no input can be read.
    usize::try_from(host::inputs()).unwrap_or(0)
}

/// How many declared columns each row has, the same for every input.
pub fn columns() -> usize {
    // A negative answer would break the ABI; rows would then be malformed.
    usize::try_from(host::columns()).unwrap_or(0)
}

/// Exports the module's entry point, `run: () -> i32`, calling `$algorithm`, a
/// `fn() -> Result<(), Error>`: `run` returns 0 on success and the error's
/// [code](Error::code) on failure.
///
/// Use it once per module, at the top level of the crate.
#[macro_export]
macro_rules! entry {
    ($algorithm:path) => {
        /// The module's entry point (algorithm ABI version 1): 0 on success, otherwise
        /// the error's code.
        // Exporting a symbol by name is unsafe only if it clashes with another; `run`
        // is the one symbol the ABI asks of a module.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn run() -> i32 {
            match $algorithm() {
                ::core::result::Result::Ok(()) => 0,
                ::core::result::Result::Err(error) => $crate::Error::code(&error),
            }
        }
    };
}
