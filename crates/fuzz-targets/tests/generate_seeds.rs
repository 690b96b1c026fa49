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

#[test]
#[ignore = "writes fuzz/corpus; run by hand after a format change"]
fn write_seeds() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
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
