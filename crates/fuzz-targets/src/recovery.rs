//! The target for what a recovering core decodes of a member's share: the recovery
//! share's plaintext and the Shamir share inside it.

use strongroom_crypto::shamir::{self, Share};
use strongroom_enclave::recovery::RecoveryShare;

/// What a recovering core decodes once it opened a member's wrapped share. The first
/// byte is the mode:
///
/// - 0: the rest is one `shamir::Share` (a share that decodes re-encodes to the same
///   bytes; combined alone, it gives its values if its threshold is 1 and is refused
///   otherwise);
/// - 1: the rest is a `RecoveryShare` plaintext (one that decodes re-encodes to the
///   same bytes);
/// - `m` > 1: the rest is cut into `m % 4 + 2` pieces of equal length, each decoded as
///   a `shamir::Share`, and those that decode are combined.
pub fn shamir_share(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let decode = |bytes: &[u8]| {
        let share = Share::from_bytes(bytes).ok()?;
        assert_eq!(&share.to_bytes()[..], bytes, "a decoded share re-encodes");
        Some(share)
    };
    match mode {
        0 => {
            let Some(share) = decode(rest) else {
                return;
            };
            let combined = shamir::combine(std::slice::from_ref(&share));
            if share.threshold() == 1 {
                assert_eq!(
                    combined.ok().as_deref().map(|v| &v[..]),
                    Some(share.values()),
                    "a share of threshold 1 is the secret"
                );
            } else {
                assert!(combined.is_err(), "one share of threshold > 1 is refused");
            }
        }
        1 => {
            if let Ok(share) = RecoveryShare::from_bytes(rest) {
                assert_eq!(
                    &share.to_bytes()[..],
                    rest,
                    "a decoded recovery share re-encodes"
                );
            }
        }
        _ => {
            let pieces = usize::from(mode % 4) + 2;
            let len = rest.len() / pieces;
            if len == 0 {
                return;
            }
            let shares: Vec<Share> = rest.chunks_exact(len).filter_map(decode).collect();
            let _ = shamir::combine(&shares);
        }
    }
}
