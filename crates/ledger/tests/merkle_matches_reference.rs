#![allow(clippy::unwrap_used)]
//! The incremental Merkle tree matches RFC 6962 known answers and a naive recursive
//! implementation; every inclusion proof verifies and wrong ones do not.

use sha2::{Digest, Sha256};
use strongroom_ledger::{Hash, InclusionProof, MerkleTree, leaf_hash, node_hash};

fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

const CT_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// RFC 6962 reference roots (certificate-transparency merkle_tree_test) for sizes 1..=8.
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn roots_match_rfc6962_known_answers() {
    let mut tree = MerkleTree::new();
    for input in CT_INPUTS {
        tree.push_leaf(leaf_hash(&hex::decode(input).unwrap()));
    }
    for (i, root) in CT_ROOTS.iter().enumerate() {
        assert_eq!(
            tree.root_at(i as u64 + 1).unwrap(),
            h(root),
            "size {}",
            i + 1
        );
    }
}

#[test]
fn inclusion_proofs_match_rfc6962_known_answers() {
    let mut tree = MerkleTree::new();
    for input in CT_INPUTS {
        tree.push_leaf(leaf_hash(&hex::decode(input).unwrap()));
    }
    let cases: [(u64, [&str; 3]); 2] = [
        (
            0,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (index, path) in cases {
        let proof = tree.prove(index, 8).unwrap();
        assert_eq!(proof.path, path.map(h).to_vec(), "leaf {index}");
    }
}

#[test]
fn every_proof_verifies_in_trees_of_size_1_to_70() {
    let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut tree = MerkleTree::new();
    for (n, leaf) in leaves.iter().enumerate() {
        tree.push_leaf(*leaf);
        let size = n as u64 + 1;
        assert_eq!(tree.root(), naive_root(&leaves[..=n]), "size {size}");
    }
    for size in 1..=70u64 {
        let root = tree.root_at(size).unwrap();
        assert_eq!(root, naive_root(&leaves[..size as usize]));
        for index in 0..size {
            let leaf = leaves[index as usize];
            let proof = tree.prove(index, size).unwrap();
            proof.verify(&leaf, &root).unwrap();
            // Another leaf, index or size fails.
            let other = leaf_hash(b"not a leaf");
            assert!(proof.verify(&other, &root).is_err());
            if size > 1 {
                let wrong_index = InclusionProof {
                    leaf_index: (index + 1) % size,
                    ..proof.clone()
                };
                assert!(wrong_index.verify(&leaf, &root).is_err(), "{index}/{size}");
            }
            // The proof does not verify against the root of the next size (the
            // signed root binds the size; the path alone need not).
            if size < 70 {
                let bigger = InclusionProof {
                    tree_size: size + 1,
                    ..proof.clone()
                };
                let next_root = tree.root_at(size + 1).unwrap();
                assert!(bigger.verify(&leaf, &next_root).is_err(), "{index}/{size}");
                assert!(proof.verify(&leaf, &next_root).is_err(), "{index}/{size}");
            }
            let out_of_range = InclusionProof {
                leaf_index: size,
                ..proof.clone()
            };
            assert!(out_of_range.verify(&leaf, &root).is_err());
            if !proof.path.is_empty() {
                let mut flipped = proof.clone();
                flipped.path[0][0] ^= 1;
                assert!(flipped.verify(&leaf, &root).is_err());
                let mut short = proof.clone();
                short.path.pop();
                assert!(short.verify(&leaf, &root).is_err());
            }
        }
    }
    assert!(tree.root_at(71).is_err());
    assert!(tree.prove(3, 71).is_err());
}
