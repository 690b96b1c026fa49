//! Groups: the rows of the output table, named by a list of labels.

use crate::Error;

/// The most labels a group may have.
pub const MAX_LABELS: usize = 8;

/// The longest a label may be, in bytes of UTF-8.
pub const MAX_LABEL_LEN: usize = 256;

/// A group of the output table, encoded once for the host.
///
/// The encoding is a `u32` count followed by, for each label, a `u32` length and that
/// many bytes of UTF-8, all little-endian. Two groups are the same group if their
/// encodings are equal, so `["a", "b"]` and `["b", "a"]` are different groups.
///
/// A label taken from the data is released only with a group count of at least `k`
/// (the release rule in `docs/formats/algorithm-abi.md`); a label the algorithm fixes,
/// such as `"all"`, names no one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    encoded: Vec<u8>,
}

impl Group {
    /// The group with these labels, in this order.
    ///
    /// Fails with [`Error::GroupTooLarge`] for more than [`MAX_LABELS`] labels, with
    /// [`Error::LabelTooLong`] for a label longer than [`MAX_LABEL_LEN`] bytes.
    pub fn new(labels: &[&str]) -> Result<Self, Error> {
        Self::of(labels)
    }

    /// The group with the labels that `labels` yields, in that order.
    ///
    /// Fails as [`Group::new`] does. Reads at most `MAX_LABELS + 1` items.
    pub fn of<I>(labels: I) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&[0; 4]);
        let mut count: u32 = 0;
        for label in labels {
            if count as usize == MAX_LABELS {
                return Err(Error::GroupTooLarge);
            }
            let label = label.as_ref().as_bytes();
            let len = match u32::try_from(label.len()) {
                Ok(len) if label.len() <= MAX_LABEL_LEN => len,
                _ => return Err(Error::LabelTooLong),
            };
            encoded
                .try_reserve(4 + label.len())
                .map_err(|_| Error::OutOfMemory)?;
            encoded.extend_from_slice(&len.to_le_bytes());
            encoded.extend_from_slice(label);
            count += 1;
        }
        if let Some(head) = encoded.first_chunk_mut() {
            *head = count.to_le_bytes();
        }
        Ok(Self { encoded })
    }

    /// The group's encoding, as the host receives it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_count_then_length_prefixed_labels() {
        let group = Group::new(&["ab", "", "é"]).unwrap();
        assert_eq!(
            group.as_bytes(),
            [
                3, 0, 0, 0, //
                2, 0, 0, 0, b'a', b'b', //
                0, 0, 0, 0, //
                2, 0, 0, 0, 0xc3, 0xa9,
            ]
        );
    }

    #[test]
    fn the_empty_group_is_a_zero_count() {
        assert_eq!(Group::new(&[]).unwrap().as_bytes(), [0, 0, 0, 0]);
    }

    #[test]
    fn of_matches_new() {
        let labels = vec![String::from("x"), String::from("y")];
        assert_eq!(
            Group::of(&labels).unwrap(),
            Group::new(&["x", "y"]).unwrap()
        );
    }

    #[test]
    fn order_matters() {
        assert_ne!(Group::new(&["a", "b"]), Group::new(&["b", "a"]));
    }

    #[test]
    fn at_most_eight_labels() {
        assert!(Group::new(&["l"; MAX_LABELS]).is_ok());
        assert_eq!(
            Group::new(&["l"; MAX_LABELS + 1]),
            Err(Error::GroupTooLarge)
        );
        // An endless iterator is not read to its end.
        assert_eq!(Group::of(std::iter::repeat("l")), Err(Error::GroupTooLarge));
    }

    #[test]
    fn labels_of_at_most_256_bytes() {
        let longest = "a".repeat(MAX_LABEL_LEN);
        assert!(Group::new(&[&longest]).is_ok());
        let too_long = "a".repeat(MAX_LABEL_LEN + 1);
        assert_eq!(Group::new(&[&too_long]), Err(Error::LabelTooLong));
    }
}
