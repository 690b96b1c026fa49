//! The release rule "small cells suppressed", checked on an analysis's output before it
//! leaves the executor.
//!
//! The analyses apply the rule themselves ([`describe`](crate::describe()) and
//! [`stratify`](crate::stratify()) document how); [`check_release`] verifies it again on
//! the output alone, as a last gate that a future analysis, or a bug in one, cannot
//! walk past. For threshold `k`:
//! - every released count is at least `k` (a withheld one carries no number);
//! - every released value string is held by at least `k` records (`describe`'s `top`
//!   comes with its `freq`);
//! - a released distinct count is backed: `k` times it is at most the released count;
//! - categories come only from the fixed vocabulary ([`DIMENSIONS`]), all of them, in
//!   order;
//! - no dimension of a published total has a single withheld cell (it would be the
//!   total minus the others), and a withheld total withholds every cell;
//! - the threshold the analysis applied is at least `k`.
//!
//! Not stopped: the check sees the output only. It cannot tell a wrong count from a
//! right one (that `top` really is held by `freq` records), only that nothing released
//! claims fewer than `k` records; correctness is the analyses' tests' job.

use crate::analysis::AnalysisOutput;
use crate::describe::Describe;
use crate::stratify::{Cell, DIMENSIONS, Stratification};

/// Why an output may not be released under "small cells suppressed". Messages name the
/// figure, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseViolation {
    /// A released count is below `k`.
    #[error("{figure}: a released count is below k = {k}")]
    CountBelowK {
        /// The figure (`describe count`, `stratify race row asian`, ...).
        figure: String,
        /// The threshold.
        k: u32,
    },
    /// Figures contradict each other (a `top` without a `freq`, a figure released
    /// while the count it rests on is withheld, a distinct count larger than the records
    /// can hold at `k` each).
    #[error("{figure}: {problem}")]
    Inconsistent {
        /// The figure.
        figure: String,
        /// What contradicts it.
        problem: &'static str,
    },
    /// Exactly one cell of a dimension is withheld while the total is published: it is
    /// the total minus the others.
    #[error("stratify {dimension}: a single withheld cell can be recovered from the total")]
    LoneSuppressedCell {
        /// The dimension.
        dimension: String,
    },
    /// The analysis applied a threshold below the one required.
    #[error("the analysis applied k = {applied}, below the required k = {k}")]
    ThresholdBelowK {
        /// The threshold the output says it applied.
        applied: u32,
        /// The threshold required.
        k: u32,
    },
    /// A dimension's rows are not the fixed vocabulary (a category named from the data,
    /// a missing or extra row, another order).
    #[error("stratify {dimension}: row {row} is not the fixed vocabulary's")]
    UnlistedCategory {
        /// The dimension.
        dimension: String,
        /// The 0-based row (the number of rows expected, for a missing or extra row).
        row: usize,
    },
    /// A released value is held by fewer than `k` records.
    #[error("{figure}: a released value is held by fewer than k = {k} records")]
    ValueBelowK {
        /// The figure.
        figure: String,
        /// The threshold.
        k: u32,
    },
}

/// Checks `output` against "small cells suppressed" with threshold `k` (see the
/// [module docs](self)); the first violation found is returned.
///
/// ```
/// use strongroom_compute::{AnalysisOutput, ReleaseViolation, check_release, describe};
///
/// let d = describe("SSN\n999-76-6866\n999-76-6866\n".as_bytes(), "SSN", 11)?;
/// assert_eq!(d.top, None);
/// check_release(&AnalysisOutput::Describe(d.clone()), 11)?;
///
/// // An output that releases a value two records hold fails at k = 11.
/// let mut leaky = d;
/// (leaky.count, leaky.top, leaky.freq) = (Some(11), Some("999-76-6866".into()), Some(2));
/// let err = check_release(&AnalysisOutput::Describe(leaky), 11).unwrap_err();
/// assert!(matches!(err, ReleaseViolation::ValueBelowK { .. }));
/// assert!(!err.to_string().contains("999"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_release(output: &AnalysisOutput, k: u32) -> Result<(), ReleaseViolation> {
    match output {
        AnalysisOutput::Describe(d) => check_describe(d, k),
        AnalysisOutput::Stratify(s) => check_stratify(s, k),
    }
}

fn check_describe(d: &Describe, k: u32) -> Result<(), ReleaseViolation> {
    if d.k < k {
        return Err(ReleaseViolation::ThresholdBelowK { applied: d.k, k });
    }
    let t = u64::from(k);
    let small = |figure: &str| ReleaseViolation::CountBelowK {
        figure: format!("describe {figure}"),
        k,
    };
    let inconsistent = |figure: &str, problem| ReleaseViolation::Inconsistent {
        figure: format!("describe {figure}"),
        problem,
    };
    let Some(count) = d.count else {
        let released = [
            ("unique", d.unique.is_some()),
            ("common_values", d.common_values.is_some()),
            ("top", d.top.is_some()),
            ("freq", d.freq.is_some()),
        ];
        return match released.iter().find(|(_, some)| *some) {
            Some((figure, _)) => Err(inconsistent(figure, "released while count is withheld")),
            None => Ok(()),
        };
    };
    if count < t {
        return Err(small("count"));
    }
    match (&d.top, d.freq) {
        (Some(_), None) => return Err(inconsistent("top", "released without its freq")),
        (None, Some(_)) => return Err(inconsistent("freq", "released without its top")),
        (Some(_), Some(freq)) if freq < t => {
            return Err(ReleaseViolation::ValueBelowK {
                figure: "describe top".into(),
                k,
            });
        }
        (_, Some(freq)) if freq > count => {
            return Err(inconsistent("freq", "larger than count"));
        }
        _ => {}
    }
    for (figure, distinct) in [("unique", d.unique), ("common_values", d.common_values)] {
        // Each distinct value released as held by at least k records needs k of them.
        if distinct.is_some_and(|n| n.saturating_mul(t) > count) {
            return Err(inconsistent(
                figure,
                "more values held by k records each than there are records",
            ));
        }
    }
    if d.unique.is_some() && d.unique != d.common_values {
        return Err(inconsistent(
            "unique",
            "released while some value is below k",
        ));
    }
    Ok(())
}

fn check_stratify(s: &Stratification, k: u32) -> Result<(), ReleaseViolation> {
    if s.k < k {
        return Err(ReleaseViolation::ThresholdBelowK { applied: s.k, k });
    }
    let t = u64::from(k);
    if s.total.count().is_some_and(|n| n < t) {
        return Err(ReleaseViolation::CountBelowK {
            figure: "stratify total".into(),
            k,
        });
    }
    for ((dimension, rows), (_, labels)) in s.dimensions().into_iter().zip(DIMENSIONS) {
        for row in 0..rows.len().max(labels.len()) {
            let listed = match (rows.get(row), labels.get(row)) {
                (Some(r), Some(label)) => r.value == *label,
                _ => false,
            };
            if !listed {
                return Err(ReleaseViolation::UnlistedCategory {
                    dimension: dimension.into(),
                    row,
                });
            }
        }
        for (row, label) in rows.iter().zip(labels) {
            if row.count.count().is_some_and(|n| n < t) {
                return Err(ReleaseViolation::CountBelowK {
                    figure: format!("stratify {dimension} row {label}"),
                    k,
                });
            }
        }
        let withheld = rows.iter().filter(|r| r.count.is_suppressed()).count();
        match s.total {
            Cell::Suppressed if withheld < rows.len() => {
                return Err(ReleaseViolation::Inconsistent {
                    figure: format!("stratify {dimension}"),
                    problem: "a cell is released while the total is withheld",
                });
            }
            Cell::Count(_) if withheld == 1 => {
                return Err(ReleaseViolation::LoneSuppressedCell {
                    dimension: dimension.into(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}
