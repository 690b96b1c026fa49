//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The Synthea 1K sample of `shared/data` (beside the repository), or `None` with a
/// skip notice if it is absent. Under CI (`CI` set) its absence is a failure.
pub fn synthea_dir() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/synthea/apr2020_1k");
    if dir.join("conditions.csv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test data missing: {} (shared/data must sit beside the repository)",
        dir.display()
    );
    eprintln!("skipping: test data not found at {}", dir.display());
    None
}
