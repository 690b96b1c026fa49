//! The task executor of strongroom: what an owner-side analyzer and an attested TEE
//! worker do, as a library with typed errors; the CLI only parses flags and calls it.
//! Both share the steps below; they differ in where the data keys come from (the
//! organization's data key, or the keys the core releases to a [`Worker`]'s attested
//! one-time key) and in which tasks they take (owner-side tasks of their organization,
//! or TEE-mode tasks their organization is a party to).
//!
//! An [`Analyzer`] pass lists its organization's approved owner-side tasks, leaves
//! unclaimed those whose algorithm it cannot run (a built-in it does not know, a
//! WebAssembly module it lacks), claims the others, and for each:
//! 1. settles which file of which input the algorithm reads and each input's row
//!    window ([`enforce::row_windows`]), before anything is fetched;
//! 2. fetches each file's **ciphertext** through the object access of its claim,
//!    checks it against the hash the dataset registered, and decrypts it only as the
//!    algorithm reads it: no plaintext is written anywhere;
//! 3. runs the built-in analysis, or the WebAssembly module in the sandbox (compiled
//!    only if its SHA-256 is the approved measurement);
//! 4. checks the output against the release rule ([`enforce::check_result`],
//!    [`enforce::check_table`]) and seals it to each recipient;
//! 5. writes the outcome, or the reason it failed, to the ledger.
//!
//! Errors say what happens next: [`AnalyzerError::Task`] fails the task for good, the
//! others leave it for the next pass.

pub mod builtin;
mod concat;
pub mod enforce;
mod error;
mod inputs;
mod noise;
pub mod output;
mod pass;
mod run;
mod worker;

pub use error::AnalyzerError;
pub use pass::{Analyzer, Executed};
pub use run::{module_path, runnable};
pub use worker::{Worker, worker_identity};
