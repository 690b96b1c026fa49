//! Differentially private counts for a WebAssembly algorithm registered as such: the
//! Laplace mechanism on each group's count, then the threshold on the noisy counts.
//!
//! Each row counts toward exactly one group (the sandbox stops a module that names a
//! second), so adding or removing one row changes one count by one: the L1 sensitivity
//! of the released counts is 1, and Laplace noise of scale 1/ε makes them ε-private for
//! the rows of each input (whose budget the contract charged ε). A group is released if
//! its noisy count, rounded and at least 0, reaches the threshold `k`: which groups
//! appear is decided by the noisy counts, never the true ones. Modules that emit cells
//! get no noise they could be calibrated for, so a private task of such a module fails.
//!
//! Not stopped: the floating-point attacks on textbook Laplace sampling (Mironov 2012)
//! are mitigated only by rounding the result to an integer; a snapping or discrete
//! mechanism would remove them.

use strongroom_crypto::provider::default_provider;
use strongroom_sandbox::{Table, TableRow};

use crate::AnalyzerError;
use crate::error::task;

/// A uniform sample in (0, 1) from the provider's random number generator.
fn uniform() -> Result<f64, AnalyzerError> {
    let mut bytes = [0u8; 8];
    default_provider()
        .fill_random(&mut bytes)
        .map_err(|e| AnalyzerError::Local(format!("random: {e}")))?;
    // 53 random bits, centred in their interval: never 0, never 1.
    let bits = u64::from_be_bytes(bytes) >> 11;
    Ok((bits as f64 + 0.5) / (1u64 << 53) as f64)
}

/// A sample of the Laplace distribution of scale `b`.
pub(crate) fn laplace(b: f64) -> Result<f64, AnalyzerError> {
    let u = uniform()? - 0.5;
    Ok(-b * u.signum() * (1.0 - 2.0 * u.abs()).ln())
}

/// `table` (every group, released at threshold 1) with ε-private counts, released at
/// threshold `k`. `epsilon` is the task's ε (positive).
pub(crate) fn private_counts(table: Table, epsilon: f64, k: u32) -> Result<Table, AnalyzerError> {
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(task(
            "a differentially private task needs a positive epsilon",
        ));
    }
    if table.rows.iter().any(|r| !r.cells.is_empty()) {
        return Err(task(
            "a differentially private WebAssembly algorithm may release counts only: this module emitted cells, which no noise is calibrated for; nothing was released",
        ));
    }
    let threshold = u64::from(k.max(1));
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut withheld = table.withheld_groups;
    for row in table.rows {
        let noisy = (row.count as f64 + laplace(1.0 / epsilon)?).round();
        let noisy = if noisy < 0.0 { 0 } else { noisy as u64 };
        if noisy >= threshold {
            rows.push(TableRow {
                labels: row.labels,
                count: noisy,
                cells: row.cells,
            });
        } else {
            withheld += 1;
        }
    }
    Ok(Table {
        k,
        rows,
        withheld_groups: withheld,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use super::*;

    fn table(counts: &[u64]) -> Table {
        Table {
            k: 1,
            rows: counts
                .iter()
                .enumerate()
                .map(|(i, &count)| TableRow {
                    labels: vec![format!("g{i:05}")],
                    count,
                    cells: BTreeMap::new(),
                })
                .collect(),
            withheld_groups: 0,
        }
    }

    #[test]
    fn the_noise_has_the_laplace_mean_absolute_deviation_of_one_over_epsilon() {
        for epsilon in [0.5, 2.0] {
            let noisy = private_counts(table(&[1000; 4000]), epsilon, 1).unwrap();
            let deviation: f64 = noisy
                .rows
                .iter()
                .map(|r| (r.count as f64 - 1000.0).abs())
                .sum::<f64>()
                / noisy.rows.len() as f64;
            // Rounding adds about 1/12 ε² to the variance; the mean stays near 1/ε.
            let expected = 1.0 / epsilon;
            assert!(
                (deviation - expected).abs() < 0.15 * expected + 0.1,
                "ε = {epsilon}: mean |noise| {deviation}, expected about {expected}"
            );
        }
    }

    #[test]
    fn a_huge_epsilon_releases_the_true_counts() {
        let noisy = private_counts(table(&[5, 17, 300]), 1e9, 1).unwrap();
        let counts: Vec<u64> = noisy.rows.iter().map(|r| r.count).collect();
        assert_eq!(counts, [5, 17, 300]);
    }

    #[test]
    fn the_threshold_applies_to_the_noisy_counts() {
        let noisy = private_counts(table(&[0, 3, 1000]), 1e9, 11).unwrap();
        assert_eq!(noisy.rows.len(), 1);
        assert_eq!(noisy.withheld_groups, 2);
        assert_eq!(noisy.k, 11);
    }

    #[test]
    fn a_module_that_emits_cells_gets_no_private_release() {
        let mut t = table(&[100]);
        t.rows[0].cells.insert("sum".into(), 4.0);
        let error = private_counts(t, 1.0, 1).unwrap_err();
        assert!(error.to_string().contains("counts only"), "{error}");
    }

    #[test]
    fn epsilon_must_be_positive() {
        for epsilon in [0.0, -1.0, f64::NAN] {
            assert!(private_counts(table(&[1]), epsilon, 1).is_err());
        }
    }
}
