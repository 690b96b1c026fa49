//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

pub mod consortium;

use strongroom_contract::KvContract;
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, ExecuteContext, Organization,
    PublicKeys, RecordKind,
};
use strongroom_identity::{Member, OrgCa, Role, Validity};
use strongroom_ledger::{Entry, EntryKind, MerkleTree};
use strongroom_tee::{
    CodeIdentity, MeasurementPattern, Platform, PlatformKind, Policy, SimPlatform,
};
use time::{Duration, OffsetDateTime};

pub const HOST_SECRET: [u8; 32] = [0x42; 32];

pub struct World {
    pub now_ms: u64,
    pub org1: OrgCa,
    pub org2: OrgCa,
    pub org3: OrgCa,
    pub alice: Member,
    pub bob: Member,
    pub admin: Member,
    pub carol: Member,
    pub constitution: Constitution,
}

pub fn world() -> World {
    let now = OffsetDateTime::now_utc();
    let year = Validity::new(now - Duration::days(30), now + Duration::days(365)).unwrap();
    let org1 = OrgCa::new("Org1MSP", year).unwrap();
    let org2 = OrgCa::new("Org2MSP", year).unwrap();
    let org3 = OrgCa::new("Org3MSP", year).unwrap();
    let alice = org1.enroll_member("alice", Role::Owner, year).unwrap();
    let admin = org1.enroll_member("root", Role::Admin, year).unwrap();
    let bob = org2.enroll_member("bob", Role::Analyst, year).unwrap();
    let carol = org3.enroll_member("carol", Role::Analyst, year).unwrap();
    let constitution = Constitution {
        organizations: vec![
            Organization::from_der("Org1MSP", org1.cert_der()).unwrap(),
            Organization::from_der("Org2MSP", org2.cert_der()).unwrap(),
        ],
        threshold: Default::default(),
        node_policy: Some(node_policy(&[&code()])),
        worker_policy: None,
    };
    World {
        now_ms: u64::try_from(now.unix_timestamp()).unwrap() * 1000,
        org1,
        org2,
        org3,
        alice,
        bob,
        admin,
        carol,
        constitution,
    }
}

/// The code identity of the "allowed" core build.
pub fn code() -> CodeIdentity {
    CodeIdentity::new("strongroom-enclave", "test", "allowed")
}

/// INSECURE SIMULATION platform for tests.
pub fn platform(code: &CodeIdentity) -> SimPlatform {
    SimPlatform::new(code, &HOST_SECRET).unwrap()
}

/// A policy that admits the sim measurement of `code()`.
pub fn sim_policy() -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(platform(&code()).measurement().unwrap()),
    )
}

/// A node policy (TOML) that admits simulated evidence of exactly these builds.
pub fn node_policy(codes: &[&CodeIdentity]) -> String {
    let mut text = String::from("allow_simulated = true\n");
    for code in codes {
        let measurement = platform(code).measurement().unwrap().to_hex();
        text.push_str(&format!(
            "\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{measurement}\"\n"
        ));
    }
    text
}

/// A core running `code`. The host's policy is one that refuses everything: joiners
/// are judged by the node policy on the ledger, not by it.
pub fn core_with(code: &CodeIdentity) -> Enclave {
    Enclave::new(Box::new(platform(code)), Box::new(KvContract))
}

pub fn core() -> Enclave {
    core_with(&code())
}

/// A ledger built the way the host builds it, signature entries signed by a core.
pub struct Ledger {
    pub entries: Vec<Entry>,
    tree: MerkleTree,
    /// The cluster's voters the host passes with each entry (default: nodes 1 to 3).
    pub voters: Vec<u64>,
    /// The cluster's learners (default: node 4).
    pub learners: Vec<u64>,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            tree: MerkleTree::default(),
            voters: vec![1, 2, 3],
            learners: vec![4],
        }
    }
}

impl Ledger {
    pub fn next_ctx(&self, timestamp_ms: u64) -> ExecuteContext {
        let sequence = self.entries.len() as u64 + 1;
        ExecuteContext {
            log_index: sequence,
            timestamp_ms,
            sequence,
            prev_hash: self.entries.last().map_or([0; 32], |e| e.hash().unwrap()),
            voters: self.voters.clone(),
            learners: self.learners.clone(),
        }
    }

    pub fn push(&mut self, ctx: &ExecuteContext, kind: RecordKind, payload: Vec<u8>) -> Entry {
        let entry = Entry::new(
            ctx.sequence,
            ctx.prev_hash,
            kind.entry_kind(),
            ctx.timestamp_ms,
            payload,
        );
        self.tree.push_entry_hash(&entry.hash().unwrap());
        self.entries.push(entry.clone());
        entry
    }

    /// Appends a signature entry over everything so far, signed by `core`.
    pub fn sign(&mut self, core: &mut Enclave, timestamp_ms: u64) {
        let ctx = self.next_ctx(timestamp_ms);
        let response = core.handle(EnclaveRequest::SignRoot {
            tree_size: self.tree.size(),
            root: self.tree.root(),
        });
        let EnclaveResponse::RootSigned { signed_root } = response else {
            panic!("sign root: {response:?}")
        };
        let entry = Entry::new(
            ctx.sequence,
            ctx.prev_hash,
            EntryKind::Signature,
            timestamp_ms,
            signed_root,
        );
        self.tree.push_entry_hash(&entry.hash().unwrap());
        self.entries.push(entry);
    }
}

pub struct Executed {
    pub kind: RecordKind,
    pub ledger_payload: Vec<u8>,
    pub response: Vec<u8>,
}

pub fn execute(core: &mut Enclave, ctx: &ExecuteContext, payload: &[u8]) -> Executed {
    match core.handle(EnclaveRequest::Execute {
        ctx: ctx.clone(),
        payload: payload.to_vec(),
    }) {
        EnclaveResponse::Executed {
            kind,
            ledger_payload,
            response,
        } => Executed {
            kind,
            ledger_payload,
            response,
        },
        other => panic!("execute: {other:?}"),
    }
}

pub fn digest(core: &mut Enclave) -> [u8; 32] {
    match core.handle(EnclaveRequest::StateDigest) {
        EnclaveResponse::StateDigest { digest } => digest,
        other => panic!("digest: {other:?}"),
    }
}

pub struct Genesis {
    pub ledger_payload: Vec<u8>,
    pub public_keys: PublicKeys,
    pub sealed: Vec<u8>,
}

pub fn genesis(core: &mut Enclave, constitution: &Constitution) -> Genesis {
    match core.handle(EnclaveRequest::Genesis {
        constitution: constitution.clone(),
    }) {
        EnclaveResponse::Genesis {
            ledger_payload,
            public_keys,
            sealed,
        } => Genesis {
            ledger_payload,
            public_keys,
            sealed,
        },
        other => panic!("genesis: {other:?}"),
    }
}

/// A core after genesis, its genesis entry executed and recorded.
pub fn started(world: &World) -> (Enclave, Ledger, Genesis) {
    let mut core = core();
    let genesis = genesis(&mut core, &world.constitution);
    let mut ledger = Ledger::default();
    let ctx = ledger.next_ctx(world.now_ms);
    let executed = execute(&mut core, &ctx, &genesis.ledger_payload);
    assert_eq!(executed.kind, RecordKind::Genesis);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    (core, ledger, genesis)
}

/// Executes `payload` on `core` at the next position and records it.
pub fn commit(
    core: &mut Enclave,
    ledger: &mut Ledger,
    timestamp_ms: u64,
    payload: &[u8],
) -> Executed {
    let ctx = ledger.next_ctx(timestamp_ms);
    let executed = execute(core, &ctx, payload);
    ledger.push(&ctx, executed.kind, executed.ledger_payload.clone());
    executed
}

pub fn error(response: EnclaveResponse) -> strongroom_enclave::EnclaveError {
    match response {
        EnclaveResponse::Error { error } => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Joins `joiner` to the service held by `member` (both must succeed).
pub fn join(member: &mut Enclave, joiner: &mut Enclave) -> Vec<u8> {
    let EnclaveResponse::JoinPrepared {
        evidence,
        joiner_key,
    } = joiner.handle(EnclaveRequest::PrepareJoin)
    else {
        panic!("prepare join")
    };
    let response = member.handle(EnclaveRequest::JoinRequest {
        evidence,
        collateral: strongroom_enclave::JoinCollateral::None,
        joiner_key,
    });
    let EnclaveResponse::SecretsWrapped { wrapped } = response else {
        panic!("join request: {response:?}")
    };
    match joiner.handle(EnclaveRequest::Join { wrapped }) {
        EnclaveResponse::Joined { sealed, .. } => sealed,
        other => panic!("join: {other:?}"),
    }
}
