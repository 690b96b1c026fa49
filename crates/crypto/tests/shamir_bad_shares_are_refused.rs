//! What is not a share, or not shares of one split, is refused with an error naming
//! what is wrong; a share whose value was changed combines into a wrong secret, which a
//! caller that checks the result against a digest detects.
#![allow(clippy::unwrap_used)]

use sha2::{Digest, Sha256};
use strongroom_crypto::shamir::{self, CombineError, Share, ShareDecodeError, SplitError};
use subtle::ConstantTimeEq;

#[test]
fn malformed_share_encodings_are_refused_naming_the_field() {
    let cases: [(&[u8], ShareDecodeError, &str); 6] = [
        (&[], ShareDecodeError::Length(0), "share length"),
        (&[0x01, 2, 1], ShareDecodeError::Length(3), "share length"),
        (
            &[0x02, 2, 1, 7],
            ShareDecodeError::Format(0x02),
            "share format",
        ),
        (
            &[0x01, 0, 1, 7],
            ShareDecodeError::Threshold,
            "share threshold",
        ),
        (&[0x01, 2, 0, 7], ShareDecodeError::Index, "share index"),
        (
            &[0x01; 3 + shamir::MAX_SECRET_LEN + 1],
            ShareDecodeError::Length(3 + shamir::MAX_SECRET_LEN + 1),
            "share length",
        ),
    ];
    for (bytes, expected, field) in cases {
        let error = Share::from_bytes(bytes).unwrap_err();
        assert_eq!(error, expected);
        assert!(error.to_string().starts_with(field), "{error}");
    }
}

#[test]
fn duplicate_indices_are_refused() {
    let shares = shamir::split(b"secret", 2, 3).unwrap();
    let twice = [shares[1].clone(), shares[1].clone()];
    assert_eq!(
        shamir::combine(&twice),
        Err(CombineError::DuplicateIndex(2))
    );
}

#[test]
fn shares_of_different_splits_are_refused() {
    let two = shamir::split(b"secret", 2, 3).unwrap();
    let three = shamir::split(b"secret", 3, 3).unwrap();
    let longer = shamir::split(b"another secret", 2, 3).unwrap();
    assert_eq!(
        shamir::combine(&[two[0].clone(), three[1].clone()]),
        Err(CombineError::Mismatch("thresholds"))
    );
    assert_eq!(
        shamir::combine(&[two[0].clone(), longer[1].clone()]),
        Err(CombineError::Mismatch("lengths"))
    );
}

#[test]
fn invalid_split_parameters_are_refused() {
    assert_eq!(
        shamir::split(b"s", 0, 3),
        Err(SplitError::Threshold {
            threshold: 0,
            shares: 3
        })
    );
    assert_eq!(
        shamir::split(b"s", 4, 3),
        Err(SplitError::Threshold {
            threshold: 4,
            shares: 3
        })
    );
    assert_eq!(shamir::split(b"s", 1, 0), Err(SplitError::Shares(0)));
    assert_eq!(shamir::split(b"s", 2, 256), Err(SplitError::Shares(256)));
    assert_eq!(shamir::split(b"", 1, 1), Err(SplitError::SecretLength(0)));
    let long = vec![0u8; shamir::MAX_SECRET_LEN + 1];
    assert_eq!(
        shamir::split(&long, 1, 1),
        Err(SplitError::SecretLength(long.len()))
    );
    // The largest split works.
    let max = shamir::split(b"s", 255, 255).unwrap();
    assert_eq!(&shamir::combine(&max).unwrap()[..], b"s");
}

#[test]
fn a_changed_share_byte_gives_a_wrong_secret_that_a_digest_check_detects() {
    let secret = b"the service secrets".to_vec();
    let digest = Sha256::digest(&secret);
    let check = |candidate: &[u8]| bool::from(Sha256::digest(candidate).ct_eq(&digest));
    let shares = shamir::split(&secret, 2, 3).unwrap();
    assert!(check(&shamir::combine(&shares[..2]).unwrap()));
    for position in 0..secret.len() {
        let mut bytes = shares[0].to_bytes();
        bytes[3 + position] ^= 0x01;
        let changed = Share::from_bytes(&bytes).unwrap();
        let combined = shamir::combine(&[changed, shares[1].clone()]).unwrap();
        assert_ne!(&combined[..], &secret[..], "byte {position}");
        // Only the changed position differs: the caller cannot see which share is bad
        // from the result, but its check fails.
        assert_eq!(
            combined.iter().zip(&secret).filter(|(a, b)| a != b).count(),
            1
        );
        assert!(!check(&combined), "byte {position}");
    }
}
