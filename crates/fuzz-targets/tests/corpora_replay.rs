//! Every committed fuzz input still runs through its target without a panic: each
//! file of `fuzz/corpus/<target>/` (seeds and the minimized corpus) and of
//! `fuzz/regressions/<target>/` (inputs that once crashed it), on the stable
//! toolchain and without sanitizers. One test per target, so that one failing target
//! does not hide the others.
//!
//! A missing or empty corpus directory fails (a target whose corpus was lost would
//! otherwise pass by replaying nothing). A target that never crashed has no
//! regression directory (git keeps no empty one), so that one is replayed when it
//! exists; `fuzz/regressions/` itself must exist and name only known targets.

use std::path::{Path, PathBuf};

use strongroom_fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted; fails if there are none.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run the seed generator, see fuzz/README.md)",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no input", dir.display());
    files
}

fn replay(target: &str) {
    let function = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, function)| *function)
        .unwrap_or_else(|| panic!("no target {target}"));
    let mut files = inputs(&fuzz_dir().join("corpus").join(target));
    let regressions = fuzz_dir().join("regressions").join(target);
    if regressions.exists() {
        files.extend(inputs(&regressions));
    }
    for path in files {
        let data = std::fs::read(&path).expect("a readable input");
        let outcome = std::panic::catch_unwind(|| function(&data));
        assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
    }
}

#[test]
fn regressions_name_known_targets() {
    let dir = fuzz_dir().join("regressions");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            assert!(
                TARGETS.iter().any(|(target, _)| *target == name),
                "{} is not a target's name",
                path.display()
            );
        }
    }
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        #[test]
        fn every_target_is_replayed() {
            let replayed: Vec<&str> = vec![$(stringify!($target)),*];
            let targets: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(replayed, targets);
        }
    };
}

replay_tests!(
    algorithm_abi,
    attestation_policy,
    compute_csv,
    dcap_collateral,
    dcap_quote,
    enclave_message,
    genome_analysis,
    genome_vcf,
    governance,
    invocation,
    ledger_entry,
    ledger_record,
    object,
    pccs_answers,
    raft_log,
    receipt,
    sealed_request,
    shamir_share,
    signed_envelope,
    signed_request,
    sim_evidence,
    snp_collateral,
    snp_report,
);
