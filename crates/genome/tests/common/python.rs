//! Running `tests/reference.py` (SciPy) on cases and reading its answers.

use std::{io::Write, process::Command};

/// Runs `reference.py KIND` on `cases` (one line of integers each) and returns, per
/// case, its output fields (`None` for `none`). Fails, never skips, without SciPy.
pub fn reference(kind: &str, cases: &[Vec<u64>]) -> Vec<Vec<Option<f64>>> {
    let mut input = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    for case in cases {
        let line: Vec<String> = case.iter().map(u64::to_string).collect();
        writeln!(input, "{}", line.join(" ")).unwrap_or_else(|e| panic!("{e}"));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference.py");
    let stdin = std::fs::File::open(input.path()).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("python3")
        .arg(script)
        .arg(kind)
        .stdin(stdin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e})"));
    assert!(
        output.status.success(),
        "reference.py {kind} failed (is SciPy installed? `python3 -m pip install -r \
         scripts/requirements-genome-tests.txt`, as scripts/test.sh does): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Vec<Option<f64>>> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|v| match v {
                    "none" => None,
                    v => Some(v.parse().unwrap_or_else(|e| panic!("{v}: {e}"))),
                })
                .collect()
        })
        .collect();
    assert_eq!(
        lines.len(),
        cases.len(),
        "reference.py {kind}: one line per case"
    );
    lines
}

/// Whether `ours` is within `relative` of `theirs` (or both below `floor`).
pub fn close(ours: f64, theirs: f64, relative: f64, floor: f64) -> bool {
    (ours - theirs).abs() <= relative * ours.abs().max(theirs.abs())
        || (ours.abs() < floor && theirs.abs() < floor)
}

/// A seeded sequence of pseudo-random numbers (SplitMix64), for test cases.
pub struct Cases(pub u64);

impl Cases {
    /// A number in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}
