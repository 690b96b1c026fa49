//! Any `k` shares of a Shamir split recover the secret, whichever `k` they are and in
//! whatever order, with random and with seeded coefficients; seeded splits are
//! reproducible.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use strongroom_crypto::shamir::{self, Share};

const SECRET: &[u8] = b"32 bytes of ledger secret, then the service keys";

/// Every subset of `0..n` with `k` elements, as index lists.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..1 << n)
        .filter(|mask| mask.count_ones() as usize == k)
        .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
        .collect()
}

fn pick(shares: &[Share], which: &[usize]) -> Vec<Share> {
    which.iter().map(|&i| shares[i].clone()).collect()
}

#[test]
fn every_k_subset_of_a_3_of_5_split_recovers_the_secret() {
    let random = shamir::split(SECRET, 3, 5).unwrap();
    let seeded = shamir::split_with_seed(&[9; 32], SECRET, 3, 5).unwrap();
    for shares in [&random, &seeded] {
        assert_eq!(shares.len(), 5);
        let subsets = subsets(5, 3);
        assert_eq!(subsets.len(), 10);
        for subset in subsets {
            let mut chosen = pick(shares, &subset);
            assert_eq!(&shamir::combine(&chosen).unwrap()[..], SECRET, "{subset:?}");
            chosen.reverse();
            assert_eq!(&shamir::combine(&chosen).unwrap()[..], SECRET, "{subset:?}");
        }
        // More than k shares: the first k are used, and they agree with the rest.
        assert_eq!(&shamir::combine(shares).unwrap()[..], SECRET);
    }
}

#[test]
fn seeded_splits_are_reproducible_and_differ_by_seed() {
    let a = shamir::split_with_seed(&[1; 32], SECRET, 2, 4).unwrap();
    let again = shamir::split_with_seed(&[1; 32], SECRET, 2, 4).unwrap();
    let other = shamir::split_with_seed(&[2; 32], SECRET, 2, 4).unwrap();
    assert_eq!(a, again);
    for (x, y) in a.iter().zip(&other) {
        assert_eq!(x.index(), y.index());
        assert_ne!(x.values(), y.values());
    }
}

#[test]
fn shares_survive_their_encoding() {
    for share in shamir::split(SECRET, 2, 3).unwrap() {
        let bytes = share.to_bytes();
        assert_eq!(bytes[..3], [0x01, 2, share.index()]);
        assert_eq!(bytes.len(), 3 + SECRET.len());
        assert_eq!(Share::from_bytes(&bytes).unwrap(), share);
    }
}

#[test]
fn a_threshold_of_one_gives_every_member_the_secret() {
    for share in shamir::split(SECRET, 1, 3).unwrap() {
        assert_eq!(share.values(), SECRET);
        assert_eq!(&shamir::combine(&[share]).unwrap()[..], SECRET);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_k_of_n_shares_recover_any_secret(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        n in 1usize..=12,
        k_seed in any::<usize>(),
        order_seed in any::<u64>(),
        seed in any::<[u8; 32]>(),
    ) {
        let k = 1 + k_seed % n;
        let shares = shamir::split_with_seed(&seed, &secret, k, n).unwrap();
        // A pseudo-random choice of k distinct shares, in a pseudo-random order.
        let mut order: Vec<usize> = (0..n).collect();
        let mut state = order_seed | 1;
        for i in (1..n).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let chosen = pick(&shares, &order[..k]);
        prop_assert_eq!(&shamir::combine(&chosen).unwrap()[..], &secret[..]);
    }
}
