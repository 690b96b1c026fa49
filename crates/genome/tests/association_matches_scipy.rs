//! The case/control statistics of `AlleleTable` against SciPy 1.17
//! (`scipy.stats.chi2_contingency(correction=False)`, `scipy.stats.fisher_exact`) on
//! seeded random tables and edge ones: zeros, tiny counts, counts of 10^6.

mod common;

use common::python::{Cases, close, reference};
use strongroom_genome::{AlleleTable, AssociationTest};

/// Seeded random tables of several scales, plus edge cases.
fn tables() -> Vec<[u64; 4]> {
    let mut out = vec![
        [0, 0, 0, 0],
        [0, 5, 0, 7],
        [3, 0, 4, 0],
        [0, 10, 10, 0],
        [1, 0, 0, 1],
        [8, 2, 1, 5],
        [5, 5, 5, 5],
        [10, 10, 10, 11],
        [1_000_000, 1_000_000, 1_000_000, 1_000_000],
        [1_000_000, 999_000, 1_001_000, 1_000_000],
        [1_000_000, 2, 3, 1_000_000],
        [0, 1_000_000, 7, 999_993],
        [500_000, 500_000, 499_000, 501_000],
    ];
    let mut rng = Cases(16);
    for scale in [5, 20, 100, 1_000, 10_000, 1_000_000] {
        for _ in 0..60 {
            out.push([
                rng.below(scale),
                rng.below(scale),
                rng.below(scale),
                rng.below(scale),
            ]);
        }
    }
    // Near-null tables with large counts (p near 1) and symmetric ones (ties).
    for _ in 0..40 {
        let n = 1 + rng.below(5_000);
        let d = rng.below(60);
        out.push([n, n + d, n + rng.below(60), n]);
        let m = 1 + rng.below(40);
        out.push([m, m + d % 7, m + d % 7, m]);
    }
    out
}

fn table([a, b, c, d]: [u64; 4]) -> AlleleTable {
    AlleleTable {
        case_alt: a,
        case_other: b,
        control_alt: c,
        control_other: d,
    }
}

fn cases(tables: &[[u64; 4]]) -> Vec<Vec<u64>> {
    tables.iter().map(|t| t.to_vec()).collect()
}

#[test]
fn fisher_p_values_match_scipy() {
    let tables = tables();
    let scipy = reference("fisher", &cases(&tables));
    for (t, s) in tables.iter().zip(&scipy) {
        let ours = table(*t).fisher_exact();
        let theirs = s[1].unwrap_or_else(|| panic!("{t:?}: no p"));
        assert!(
            close(ours, theirs, 1e-9, 1e-300),
            "{t:?}: Fisher p {ours:e}, SciPy {theirs:e}"
        );
    }
}

#[test]
fn chi_square_statistics_and_p_values_match_scipy() {
    let tables = tables();
    let scipy = reference("chi2", &cases(&tables));
    for (t, s) in tables.iter().zip(&scipy) {
        let ours = table(*t).chi_square();
        match (ours, s[0], s[1]) {
            (None, None, None) => {}
            (Some((statistic, p)), Some(their_statistic), Some(their_p)) => {
                // SciPy sums (O - E)^2 / E in floats, which loses digits when O is
                // close to E at large counts; ours computes ad - bc exactly. The
                // statistic is compared within 1e-9 relative or 1e-9 absolute.
                assert!(
                    close(statistic, their_statistic, 1e-9, 1e-9),
                    "{t:?}: chi-square {statistic:e}, SciPy {their_statistic:e}"
                );
                assert!(
                    close(p, their_p, 1e-9, 1e-300),
                    "{t:?}: chi-square p {p:e}, SciPy {their_p:e}"
                );
                let expected = table(*t).expected();
                for (e, theirs) in expected.iter().zip(&s[2..]) {
                    let theirs = theirs.unwrap_or_else(|| panic!("{t:?}: expected"));
                    assert!(
                        close(*e, theirs, 1e-12, 0.0),
                        "{t:?}: expected {e} vs {theirs}"
                    );
                }
            }
            other => panic!("{t:?}: ours {ours:?}, SciPy {other:?}"),
        }
    }
}

/// SciPy's odds ratio is a*d / (b*c) (inf or NaN with a zero cell); ours is `None`
/// whenever a cell is zero.
#[test]
fn odds_ratios_match_scipy() {
    let tables = tables();
    let scipy = reference("fisher", &cases(&tables));
    for (t, s) in tables.iter().zip(&scipy) {
        let ours = table(*t).odds_ratio();
        if t.contains(&0) {
            assert_eq!(ours, None, "{t:?}");
            continue;
        }
        let theirs = s[0].unwrap_or_else(|| panic!("{t:?}: no odds ratio"));
        let ours = ours.unwrap_or_else(|| panic!("{t:?}: no odds ratio"));
        assert!(close(ours, theirs, 1e-12, 0.0), "{t:?}: {ours} vs {theirs}");
    }
}

/// `test()` uses Fisher exactly when an expected count (SciPy's) is below 5, and then
/// reports Fisher's p-value; chi-square's otherwise.
#[test]
fn the_test_is_fisher_exactly_when_an_expected_count_is_below_5() {
    let tables = tables();
    let chi2 = reference("chi2", &cases(&tables));
    let fisher = reference("fisher", &cases(&tables));
    let mut both = [0; 2];
    for ((t, c), f) in tables.iter().zip(&chi2).zip(&fisher) {
        let result = table(*t).test();
        let small = c.len() < 6 || c[2..].iter().any(|e| e.is_none_or(|e| e < 5.0));
        if small {
            both[0] += 1;
            assert_eq!(result.test, AssociationTest::FisherExact, "{t:?}");
            let theirs = f[1].unwrap_or(f64::NAN);
            assert!(close(result.p_value, theirs, 1e-9, 1e-300), "{t:?}");
            assert_eq!(result.chi_square, None);
        } else {
            both[1] += 1;
            assert_eq!(result.test, AssociationTest::ChiSquare, "{t:?}");
            let theirs = c[1].unwrap_or(f64::NAN);
            assert!(close(result.p_value, theirs, 1e-9, 1e-300), "{t:?}");
        }
    }
    assert!(
        both[0] > 20 && both[1] > 20,
        "both tests exercised: {both:?}"
    );
}
