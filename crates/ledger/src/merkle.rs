//! The Merkle tree over entry hashes, as in RFC 9162 §2.1 (RFC 6962 §2.1).
//!
//! Leaf hash `SHA-256(0x00 || data)`, node hash `SHA-256(0x01 || left || right)`, and
//! a tree of `n` leaves splits at the largest power of two smaller than `n`.

use sha2::{Digest, Sha256};

use crate::entry::Hash;

/// The root of the empty tree, `SHA-256("")`.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// `SHA-256(0x00 || data)`; in the ledger, `data` is an entry hash.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Why a Merkle operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The audit path does not lead from the leaf to the root.
    #[error("inclusion proof does not verify")]
    InvalidProof,
    /// The requested tree size is larger than the tree.
    #[error("tree size {requested} exceeds the {available} leaves appended so far")]
    SizeOutOfRange {
        /// The requested size.
        requested: u64,
        /// Leaves in the tree.
        available: u64,
    },
}

/// An inclusion proof (audit path) of one leaf in a tree of a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf index, from 0.
    pub leaf_index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The sibling hashes, from the leaf upwards.
    pub path: Vec<Hash>,
}

impl InclusionProof {
    /// Recomputes the root from `leaf` (a leaf hash) following RFC 9162 §2.1.3.2.
    pub fn root_from_leaf(&self, leaf: &Hash) -> Result<Hash, MerkleError> {
        if self.leaf_index >= self.tree_size {
            return Err(MerkleError::IndexOutOfRange {
                index: self.leaf_index,
                size: self.tree_size,
            });
        }
        let mut fn_ = self.leaf_index;
        let mut sn = self.tree_size - 1;
        let mut r = *leaf;
        for p in &self.path {
            if sn == 0 {
                return Err(MerkleError::InvalidProof);
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = node_hash(p, &r);
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        if sn != 0 {
            return Err(MerkleError::InvalidProof);
        }
        Ok(r)
    }

    /// Checks that `leaf` (a leaf hash) is at `leaf_index` in the tree with `root`.
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> Result<(), MerkleError> {
        if &self.root_from_leaf(leaf)? == root {
            Ok(())
        } else {
            Err(MerkleError::InvalidProof)
        }
    }
}

/// An append-only Merkle tree.
///
/// It keeps every complete subtree of power-of-two size (the leaf hashes and the
/// perfect inner nodes, about `2n` hashes), so appending costs `O(log n)` and the root
/// of any earlier size, or an inclusion proof, costs `O(log² n)` hash lookups and at
/// most `O(log n)` hash computations per subtree.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// `levels[l][i]` is the root of the perfect subtree of `2^l` leaves starting at
    /// leaf `i * 2^l`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    pub fn push_leaf(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut node = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(node);
            if row.len() % 2 == 1 {
                return;
            }
            node = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
            level += 1;
        }
    }

    /// Appends the leaf of an entry hash.
    pub fn push_entry_hash(&mut self, entry_hash: &Hash) {
        self.push_leaf(leaf_hash(entry_hash));
    }

    /// The root over all leaves.
    pub fn root(&self) -> Hash {
        self.subtree(0, self.size())
    }

    /// The root of the tree made of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        self.check_size(size)?;
        Ok(self.subtree(0, size))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn prove(&self, index: u64, size: u64) -> Result<InclusionProof, MerkleError> {
        self.check_size(size)?;
        if index >= size {
            return Err(MerkleError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            path,
        })
    }

    fn check_size(&self, size: u64) -> Result<(), MerkleError> {
        if size > self.size() {
            return Err(MerkleError::SizeOutOfRange {
                requested: size,
                available: self.size(),
            });
        }
        Ok(())
    }

    /// PATH(m, D[start:start+size]), appended leaf-first.
    fn path(&self, m: u64, start: u64, size: u64, out: &mut Vec<Hash>) {
        if size <= 1 {
            return;
        }
        let k = split(size);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree(start + k, size - k));
        } else {
            self.path(m - k, start + k, size - k, out);
            out.push(self.subtree(start, k));
        }
    }

    /// MTH(D[start:start+size]); callers keep `start + size <= self.size()`.
    fn subtree(&self, start: u64, size: u64) -> Hash {
        if size == 0 {
            return EMPTY_ROOT;
        }
        if size.is_power_of_two() && start.is_multiple_of(size) {
            let level = size.trailing_zeros() as usize;
            // Every perfect aligned subtree inside the tree has been stored by push_leaf.
            if let Some(hash) = self
                .levels
                .get(level)
                .and_then(|row| row.get((start >> level) as usize))
            {
                return *hash;
            }
        }
        let k = split(size);
        node_hash(&self.subtree(start, k), &self.subtree(start + k, size - k))
    }
}

/// The largest power of two smaller than `n` (for `n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_largest_power_of_two_below() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(9), 8);
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let expected: Hash = Sha256::digest(b"").into();
        assert_eq!(EMPTY_ROOT, expected);
        assert_eq!(MerkleTree::new().root(), EMPTY_ROOT);
    }
}
