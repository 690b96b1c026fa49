//! Fuzz targets for every decoder a peer can reach: one function per target, each
//! `pub fn <target>(data: &[u8])`, which must never panic, whatever `data` is.
//!
//! The functions are plain library code on the stable toolchain, so that:
//!
//! - `fuzz/` (a cargo-fuzz project, outside the workspace because it needs nightly)
//!   calls each one from a `fuzz_target!`, under libFuzzer;
//! - `tests/corpora_replay.rs` replays every file of `fuzz/corpus/<target>/` and
//!   `fuzz/regressions/<target>/` through the same function in the ordinary test run,
//!   without nightly or sanitizers.
//!
//! Beyond "no panic", several targets check a property and panic when it breaks (a
//! finding like any other): canonical decoders re-encode to their input, JSON messages
//! survive a round trip, and the four ways of decrypting an object agree.
//!
//! Expensive setup (keys, certificates, a genesis'd core on the **INSECURE
//! SIMULATION** platform, a contract state) is made once per process, in
//! [`std::sync::OnceLock`]s (see [`fixture`]). Targets that drive the core restore it
//! from a snapshot before each input, so an input's outcome does not depend on the
//! inputs before it.
//!
//! [`TARGETS`] lists every target by name with its function; [`seeds`] makes the
//! valid seed inputs of each with the project's own encoders.
//!
//! # Quick start
//!
//! ```
//! // Any bytes: a target refuses them quietly, or panics on a bug.
//! strongroom_fuzz_targets::raft_log(b"\x01garbage");
//! for (name, target) in strongroom_fuzz_targets::TARGETS {
//!     target(b"");
//!     assert!(!name.is_empty());
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod algorithm;
mod attestation;
mod compute;
mod contract;
pub mod fixture;
mod genome;
mod governance;
mod ledger;
mod object;
mod raft;
mod recovery;
mod request;
pub mod seeds;

pub use algorithm::algorithm_abi;
pub use attestation::{
    attestation_policy, dcap_collateral, dcap_quote, pccs_answers, sim_evidence, snp_collateral,
    snp_report,
};
pub use compute::compute_csv;
pub use contract::invocation;
pub use genome::{genome_analysis, genome_vcf};
pub use governance::governance;
pub use ledger::{ledger_entry, ledger_record, receipt};
pub use object::object;
pub use raft::raft_log;
pub use recovery::shamir_share;
pub use request::{enclave_message, sealed_request, signed_envelope, signed_request};

/// A fuzz target: takes any bytes, must never panic.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus
/// directories.
pub const TARGETS: &[(&str, Target)] = &[
    ("algorithm_abi", algorithm_abi),
    ("attestation_policy", attestation_policy),
    ("compute_csv", compute_csv),
    ("dcap_collateral", dcap_collateral),
    ("dcap_quote", dcap_quote),
    ("enclave_message", enclave_message),
    ("genome_analysis", genome_analysis),
    ("genome_vcf", genome_vcf),
    ("governance", governance),
    ("invocation", invocation),
    ("ledger_entry", ledger_entry),
    ("ledger_record", ledger_record),
    ("object", object),
    ("pccs_answers", pccs_answers),
    ("raft_log", raft_log),
    ("receipt", receipt),
    ("sealed_request", sealed_request),
    ("shamir_share", shamir_share),
    ("signed_envelope", signed_envelope),
    ("signed_request", signed_request),
    ("sim_evidence", sim_evidence),
    ("snp_collateral", snp_collateral),
    ("snp_report", snp_report),
];
