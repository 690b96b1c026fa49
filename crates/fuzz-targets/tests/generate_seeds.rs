//! Writes the seeds of every target to `fuzz/corpus/<target>/seed-<name>`, replacing
//! the previous seeds (files named `seed-*`) and leaving the minimized corpus alone:
//!
//! ```sh
//! cargo test -p strongroom-fuzz-targets --test generate_seeds -- --ignored
//! ```
//!
//! Run it after a format changes, then fuzz and minimize again (see fuzz/README.md).
//! The test that is not ignored checks that every seed runs through its target.

use std::path::Path;

use strongroom_fuzz_targets::TARGETS;
use strongroom_fuzz_targets::seeds::seeds;

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// The seeds copied from `shared/data` (named `seed-sample-*`, ignored by git): what
/// `fuzz/run.sh` writes before fuzzing, since a clean checkout lacks them.
#[test]
#[ignore = "writes fuzz/corpus; run by fuzz/run.sh"]
fn write_sample_seeds() {
    for seed in seeds().iter().filter(|s| s.name.starts_with("sample-")) {
        let dir = corpus().join(seed.target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{}", seed.name)), &seed.bytes).unwrap();
    }
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand after a format change"]
fn write_seeds() {
    let corpus = corpus();
    let seeds = seeds();
    for (target, _) in TARGETS {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let is_seed = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"));
            if is_seed {
                std::fs::remove_file(path).unwrap();
            }
        }
        let mine: Vec<_> = seeds.iter().filter(|s| s.target == *target).collect();
        assert!(!mine.is_empty(), "no seed for {target}");
        for seed in mine {
            std::fs::write(dir.join(format!("seed-{}", seed.name)), &seed.bytes).unwrap();
        }
    }
}

#[test]
fn every_target_has_seeds_that_run() {
    let seeds = seeds();
    for (target, function) in TARGETS {
        let mine: Vec<_> = seeds.iter().filter(|s| s.target == *target).collect();
        assert!(!mine.is_empty(), "no seed for {target}");
        for seed in mine {
            function(&seed.bytes);
        }
    }
    for seed in &seeds {
        assert!(
            TARGETS.iter().any(|(name, _)| *name == seed.target),
            "seed for unknown target {}",
            seed.target
        );
    }
}

#[test]
fn the_contract_fixture_has_one_of_everything() {
    let fixture = strongroom_fuzz_targets::fixture::contract();
    assert_eq!(
        fixture.ids.len(),
        5,
        "dataset, algorithm, request, grant, task: {:?}",
        fixture.ids
    );
    assert!(
        fixture.location.starts_with("data/"),
        "a reserved location: {:?}",
        fixture.location
    );
}
