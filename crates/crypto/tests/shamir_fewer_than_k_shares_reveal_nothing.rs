//! Fewer than `k` shares of a Shamir split say nothing about the secret: for a 1-byte
//! secret and any `k - 1` shares, every one of the 256 values is the constant term of
//! exactly one polynomial of degree `k - 1` through them (so, with uniform
//! coefficients, every value is equally likely); and combining `k - 1` shares is
//! refused.
#![allow(clippy::unwrap_used)]

use strongroom_crypto::shamir::{self, CombineError, Share};

/// Every subset of `0..n` with `k` elements, as index lists.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..1 << n)
        .filter(|mask| mask.count_ones() as usize == k)
        .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
        .collect()
}

/// For `given` (k - 1 shares of a 1-byte secret, threshold k) and an index `x` none
/// of them has: for each candidate secret, the values a k-th share at `x` must have for
/// the k shares to combine into that candidate. Each list has exactly one value when
/// every candidate has exactly one consistent polynomial.
fn completions(given: &[Share], x: u8) -> Vec<Vec<u8>> {
    let threshold = given[0].threshold();
    let mut out = vec![Vec::new(); 256];
    for y in 0..=255u8 {
        let extra = Share::from_bytes(&[0x01, threshold, x, y]).unwrap();
        let mut shares = given.to_vec();
        shares.push(extra);
        let secret = shamir::combine(&shares).unwrap();
        out[usize::from(secret[0])].push(y);
    }
    out
}

#[test]
fn k_minus_one_shares_leave_all_256_secret_values_possible() {
    for secret in [0u8, 0x5a, 0xff] {
        let random = shamir::split(&[secret], 3, 5).unwrap();
        let seeded = shamir::split_with_seed(&[3; 32], &[secret], 3, 5).unwrap();
        for shares in [random, seeded] {
            for subset in subsets(5, 2) {
                let given: Vec<Share> = subset.iter().map(|&i| shares[i].clone()).collect();
                // An index outside the split, so that the k-th point is not a real share.
                let by_candidate = completions(&given, 200);
                for (candidate, ys) in by_candidate.iter().enumerate() {
                    assert_eq!(
                        ys.len(),
                        1,
                        "secret {candidate} from shares {subset:?}: {} polynomials",
                        ys.len()
                    );
                }
            }
        }
    }
}

#[test]
fn combining_k_minus_one_shares_is_refused() {
    let shares = shamir::split(b"secret", 3, 5).unwrap();
    for subset in subsets(5, 2) {
        let given: Vec<Share> = subset.iter().map(|&i| shares[i].clone()).collect();
        assert_eq!(
            shamir::combine(&given),
            Err(CombineError::TooFew {
                needed: 3,
                given: 2
            })
        );
    }
    assert_eq!(
        shamir::combine(&[]),
        Err(CombineError::TooFew {
            needed: 1,
            given: 0
        })
    );
}
