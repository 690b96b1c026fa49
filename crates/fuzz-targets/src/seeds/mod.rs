//! Valid seed inputs for every target, made with the project's own encoders (a real
//! sealed request, real ledger entries, Raft entries, an encrypted object, …), so
//! that they follow the formats when those change: regenerate them with
//!
//! ```sh
//! cargo test -p strongroom-fuzz-targets --test generate_seeds -- --ignored
//! ```
//!
//! which writes `fuzz/corpus/<target>/seed-<name>` for each. The attestation samples
//! are read from `shared/data` (see [`crate::fixture::samples`]); their seeds are
//! named `seed-sample-*` and not committed.

mod contract;
mod data;
mod ledger;
mod request;

use strongroom_enclave::request::{Body, Purpose, SignedRequest};
use zeroize::Zeroizing;

use crate::fixture::NOW_MS;

/// One seed: its target, a name (the file is `seed-<name>`) and its bytes.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The target it is for.
    pub target: &'static str,
    /// A short name, unique within the target.
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

/// Every seed of every target.
pub fn seeds() -> Vec<Seed> {
    let mut out = Seeds(Vec::new());
    request::request_seeds(&mut out);
    ledger::ledger_seeds(&mut out);
    ledger::raft_seeds(&mut out);
    data::object_seeds(&mut out);
    data::attestation_seeds(&mut out);
    contract::contract_seeds(&mut out);
    data::compute_seeds(&mut out);
    data::algorithm_seeds(&mut out);
    data::shamir_seeds(&mut out);
    data::genome_seeds(&mut out);
    out.0
}

struct Seeds(Vec<Seed>);

impl Seeds {
    fn add(&mut self, target: &'static str, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.0.push(Seed {
            target,
            name: name.into(),
            bytes: bytes.into(),
        });
    }
}

pub(super) fn request(purpose: Purpose, body: Body) -> SignedRequest {
    SignedRequest {
        purpose,
        nonce: vec![0x5e; 24],
        not_after_ms: NOW_MS + 300_000,
        response_key: Zeroizing::new([0x22; 32]),
        body,
    }
}

/// Mode byte of `sealed_request`: what the rest is, the purpose, the member, the
/// handler and the flag (see [`crate::sealed_request`]).
pub(super) fn mode(kind: u8, query: bool, member: u8, handler: u8, flag: bool) -> u8 {
    kind | (u8::from(query) << 2) | (member << 3) | (handler << 5) | (u8::from(flag) << 7)
}
