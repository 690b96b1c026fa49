//! Case/control association at one ALT allele: the 2x2 table of allele counts, its
//! odds ratio, the chi-square test (1 degree of freedom, no continuity correction)
//! and Fisher's exact test, as `scipy.stats.chi2_contingency(table, correction=False)`
//! and `scipy.stats.fisher_exact(table)` (SciPy 1.17) compute them.

use crate::{counts::SiteCounts, special::chi_square_1_upper_tail};

/// Tables with an expected cell count below this are tested with Fisher's exact test.
pub const MIN_EXPECTED_FOR_CHI_SQUARE: f64 = 5.0;

/// Relative tolerance under which a table's probability counts as equal to the
/// observed one in Fisher's test: SciPy's (`1 + 1e-14` since SciPy 1.8; R uses 1e-7).
const FISHER_TIE: f64 = 1e-14;

/// The 2x2 table of allele counts at one ALT: rows case and control, columns that ALT
/// and every other allele (REF and the other ALTs).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct AlleleTable {
    /// Copies of the ALT among cases.
    pub case_alt: u64,
    /// Copies of other alleles among cases.
    pub case_other: u64,
    /// Copies of the ALT among controls.
    pub control_alt: u64,
    /// Copies of other alleles among controls.
    pub control_other: u64,
}

/// Which test gave an [`Association`]'s p-value.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum AssociationTest {
    /// Pearson's chi-square with 1 degree of freedom, no continuity correction.
    ChiSquare,
    /// Fisher's exact test, two-sided.
    FisherExact,
}

/// The result of [`AlleleTable::test`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Association {
    /// The test used: Fisher's when an expected cell count is below
    /// [`MIN_EXPECTED_FOR_CHI_SQUARE`], chi-square otherwise.
    pub test: AssociationTest,
    /// Its two-sided p-value.
    pub p_value: f64,
    /// The chi-square statistic when the chi-square test was used.
    pub chi_square: Option<f64>,
    /// The sample odds ratio ([`AlleleTable::odds_ratio`]).
    pub odds_ratio: Option<f64>,
}

impl AlleleTable {
    /// The table of ALT `alt` (0 for the first ALT) from the case and control counts
    /// of one site; `None` when the site has no such ALT.
    pub fn new(case: &SiteCounts, control: &SiteCounts, alt: usize) -> Option<Self> {
        let case_alt = *case.ac.get(alt)?;
        let control_alt = *control.ac.get(alt)?;
        Some(Self {
            case_alt,
            case_other: case.an.saturating_sub(case_alt),
            control_alt,
            control_other: control.an.saturating_sub(control_alt),
        })
    }

    fn total(&self) -> u64 {
        self.case_alt + self.case_other + self.control_alt + self.control_other
    }

    /// The sample odds ratio `(case_alt * control_other) / (case_other * control_alt)`;
    /// `None` when any cell is zero (no correction such as Haldane's is applied: the
    /// caller decides how to report an unbounded or zero estimate).
    pub fn odds_ratio(&self) -> Option<f64> {
        if [
            self.case_alt,
            self.case_other,
            self.control_alt,
            self.control_other,
        ]
        .contains(&0)
        {
            return None;
        }
        Some(
            (self.case_alt as f64 * self.control_other as f64)
                / (self.case_other as f64 * self.control_alt as f64),
        )
    }

    /// Expected cell counts under independence, in the order case_alt, case_other,
    /// control_alt, control_other; all 0 for an empty table.
    pub fn expected(&self) -> [f64; 4] {
        let n = self.total() as f64;
        if n == 0.0 {
            return [0.0; 4];
        }
        let case = (self.case_alt + self.case_other) as f64;
        let control = (self.control_alt + self.control_other) as f64;
        let alt = (self.case_alt + self.control_alt) as f64;
        let other = (self.case_other + self.control_other) as f64;
        [
            case * alt / n,
            case * other / n,
            control * alt / n,
            control * other / n,
        ]
    }

    /// Pearson's chi-square statistic (1 degree of freedom, no continuity correction)
    /// and its p-value; `None` when a row or column total is zero (an expected count
    /// is then zero and SciPy raises an error).
    ///
    /// The statistic is `N (ad - bc)^2 / (row1 row2 col1 col2)`, with `ad - bc`
    /// computed exactly in integers; the p-value is `erfc(sqrt(x / 2))`.
    pub fn chi_square(&self) -> Option<(f64, f64)> {
        let (a, b, c, d) = (
            i128::from(self.case_alt),
            i128::from(self.case_other),
            i128::from(self.control_alt),
            i128::from(self.control_other),
        );
        let margins = [a + b, c + d, a + c, b + d];
        if margins.contains(&0) {
            return None;
        }
        let n = (a + b + c + d) as f64;
        let diff = (a * d - b * c) as f64;
        let statistic = n * diff * diff
            / margins[0] as f64
            / margins[1] as f64
            / margins[2] as f64
            / margins[3] as f64;
        Some((statistic, chi_square_1_upper_tail(statistic)))
    }

    /// Fisher's exact test, two-sided, as `scipy.stats.fisher_exact` computes it: the
    /// sum of the hypergeometric probabilities (margins fixed) of every table no more
    /// likely than the observed one, within a relative tolerance of 1e-14, capped at
    /// 1; exactly 1 when the observed table is (within that tolerance) the most likely
    /// one or a row or column total is zero.
    ///
    /// Probabilities are computed relative to the most likely table by the ratio of
    /// consecutive terms, which keeps ~1e-13 relative accuracy at counts of 10^6
    /// (differences of log-factorials would lose digits there) and gives symmetric
    /// tables bit-identical probabilities, so that their ties are found.
    pub fn fisher_exact(&self) -> f64 {
        let (x, n1) = (self.case_alt, self.case_alt + self.case_other);
        let n2 = self.control_alt + self.control_other;
        let k = self.case_alt + self.control_alt;
        let total = n1 + n2;
        if n1 == 0 || n2 == 0 || k == 0 || k == total {
            return 1.0;
        }
        // x (case_alt) ranges over [low, high]; P(x) is hypergeometric(total, n1, k).
        let low = k.saturating_sub(n2);
        let high = k.min(n1);
        // SciPy's mode.
        let mode = (((k + 1) as f64 * (n1 + 1) as f64) / (total + 2) as f64) as u64;
        let mode = mode.clamp(low, high);
        // P(i + 1) / P(i) = (n1 - i)(k - i) / ((i + 1)(n2 - k + i + 1)).
        let up = |i: u64| {
            ((n1 - i) as f64 * (k - i) as f64) / ((i + 1) as f64 * (n2 + i + 1 - k) as f64)
        };
        // P(i - 1) / P(i) = i (n2 - k + i) / ((n1 - i + 1)(k - i + 1)).
        let down =
            |i: u64| (i as f64 * (n2 + i - k) as f64) / ((n1 - i + 1) as f64 * (k - i + 1) as f64);
        // Relative probability of x, walking from the mode.
        let relative = |target: u64| {
            let mut w = 1.0f64;
            let mut i = mode;
            while i < target && w > 0.0 {
                w *= up(i);
                i += 1;
            }
            while i > target && w > 0.0 {
                w *= down(i);
                i -= 1;
            }
            w
        };
        let observed = relative(x);
        if (1.0 - observed).abs() <= FISHER_TIE {
            return 1.0;
        }
        let threshold = observed * (1.0 + FISHER_TIE);
        let mut sum = 1.0f64;
        let mut selected = if 1.0 <= threshold { 1.0 } else { 0.0 };
        let mut w = 1.0f64;
        let mut i = mode;
        while i < high {
            w *= up(i);
            i += 1;
            if w == 0.0 {
                break;
            }
            sum += w;
            if w <= threshold {
                selected += w;
            }
        }
        let mut w = 1.0f64;
        let mut i = mode;
        while i > low {
            w *= down(i);
            i -= 1;
            if w == 0.0 {
                break;
            }
            sum += w;
            if w <= threshold {
                selected += w;
            }
        }
        (selected / sum).min(1.0)
    }

    /// The association test: Fisher's exact test when any expected cell count is
    /// below 5, the chi-square test otherwise; with the odds ratio.
    pub fn test(&self) -> Association {
        let small = self
            .expected()
            .iter()
            .any(|&e| e < MIN_EXPECTED_FOR_CHI_SQUARE);
        let chi_square = if small { None } else { self.chi_square() };
        match chi_square {
            Some((statistic, p_value)) => Association {
                test: AssociationTest::ChiSquare,
                p_value,
                chi_square: Some(statistic),
                odds_ratio: self.odds_ratio(),
            },
            None => Association {
                test: AssociationTest::FisherExact,
                p_value: self.fisher_exact(),
                chi_square: None,
                odds_ratio: self.odds_ratio(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(case_alt: u64, case_other: u64, control_alt: u64, control_other: u64) -> AlleleTable {
        AlleleTable {
            case_alt,
            case_other,
            control_alt,
            control_other,
        }
    }

    /// SciPy's documented example: `fisher_exact([[8, 2], [1, 5]])` is 0.0349650...
    /// (= 5/143, summing the hypergeometric terms by hand).
    #[test]
    fn fisher_documented_example() {
        let p = table(8, 2, 1, 5).fisher_exact();
        assert!((p - 5.0 / 143.0).abs() < 1e-15, "{p}");
        assert_eq!(table(8, 2, 1, 5).odds_ratio(), Some(20.0));
        assert_eq!(table(0, 0, 3, 4).fisher_exact(), 1.0);
    }

    #[test]
    fn small_expected_counts_use_fisher() {
        assert_eq!(table(8, 2, 1, 5).test().test, AssociationTest::FisherExact);
        let large = table(100, 900, 50, 950).test();
        assert_eq!(large.test, AssociationTest::ChiSquare);
        assert!(large.p_value < 1e-4);
    }
}
