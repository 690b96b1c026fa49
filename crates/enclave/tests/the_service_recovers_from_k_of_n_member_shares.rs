//! A service whose every core is gone recovers from `k` of the `n` shares its recovery
//! members fetched: a fresh core on another platform, given `k` shares wrapped to its
//! one-time recovery key, holds the same secrets and replays the ledger to the same
//! state; with fewer shares it holds nothing; a share of another service, or an
//! altered or repeated one, is refused and changes nothing. Shares are answered only
//! to the members the recovery configuration names, and that configuration names only
//! members who published a key.
#![allow(clippy::unwrap_used)]

mod common;

use std::rc::Rc;

use common::{Ledger, commit, digest, error, execute};
use serde_json::{Value, json};
use strongroom_contract::sharing::SharingContract;
use strongroom_crypto::hpke::{KemId, PrivateKey};
use strongroom_enclave::governance::{
    ConstitutionView, ProposalStatus, ProposalView, RecoveryShareView, RecoveryView,
};
use strongroom_enclave::recovery::{RecoveryShare, public_keys_sha256, recovery_report_data};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose, Reply};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveError, EnclaveRequest, EnclaveResponse, Organization, PublicKeys,
};
use strongroom_identity::{Member, OrgCa, Role, Validity};
use strongroom_tee::{Collateral, Evidence, SimPlatform};
use time::{Duration, OffsetDateTime};

/// Three organizations with an admin (a recovery member) and an analyst each, on a core
/// running the data-sharing contract.
struct Service {
    admins: Vec<Rc<Member>>,
    member_keys: Vec<PrivateKey>,
    analyst: Rc<Member>,
    core: Enclave,
    ledger: Ledger,
    public_keys: PublicKeys,
    orgs: Vec<OrgCa>,
    t: u64,
}

fn sharing_core(host_secret: u8) -> Enclave {
    // INSECURE SIMULATION platform; another host secret is another machine.
    let platform = SimPlatform::new(&common::code(), &[host_secret; 32]).unwrap();
    Enclave::new(Box::new(platform), Box::new(SharingContract))
}

impl Service {
    fn new() -> Self {
        let now = OffsetDateTime::now_utc();
        let year = Validity::new(now - Duration::days(1), now + Duration::days(365)).unwrap();
        let orgs: Vec<OrgCa> = (1..=3)
            .map(|i| OrgCa::new(&format!("Org{i}MSP"), year).unwrap())
            .collect();
        let admins = orgs
            .iter()
            .map(|ca| Rc::new(ca.enroll_member("admin", Role::Admin, year).unwrap()))
            .collect();
        let analyst = Rc::new(orgs[0].enroll_member("ana", Role::Analyst, year).unwrap());
        let constitution = Constitution {
            organizations: orgs
                .iter()
                .map(|ca| Organization::from_der(ca.msp_id(), ca.cert_der()).unwrap())
                .collect(),
            threshold: Default::default(),
            node_policy: Some(common::node_policy(&[&common::code()])),
            worker_policy: None,
        };
        let mut core = sharing_core(0x42);
        let genesis = common::genesis(&mut core, &constitution);
        let mut ledger = Ledger::default();
        let t = u64::try_from(now.unix_timestamp()).unwrap() * 1000;
        let ctx = ledger.next_ctx(t);
        let executed = execute(&mut core, &ctx, &genesis.ledger_payload);
        ledger.push(&ctx, executed.kind, executed.ledger_payload);
        Self {
            admins,
            member_keys: (0..3)
                .map(|_| PrivateKey::generate(KemId::DhKemX25519HkdfSha256))
                .collect(),
            analyst,
            core,
            ledger,
            public_keys: genesis.public_keys,
            orgs,
            t,
        }
    }

    fn commit(&mut self, member: &Member, body: Body) -> Reply {
        self.t += 1;
        let request = PreparedRequest::valid_until(
            &self.public_keys.transaction_key,
            member,
            Purpose::Transaction,
            body,
            self.t + 60_000,
        )
        .unwrap();
        let executed = commit(&mut self.core, &mut self.ledger, self.t, &request.payload);
        request.open_response(&executed.response).unwrap()
    }

    fn govern(&mut self, member: &Member, invocation: &Value) -> Reply {
        self.commit(
            member,
            Body::Governance(invocation.to_string().into_bytes()),
        )
    }

    fn proposal(&mut self, member: &Member, invocation: &Value) -> ProposalView {
        match self.govern(member, invocation) {
            Reply::Accept(bytes) => serde_json::from_slice(&bytes).unwrap(),
            other => panic!("{invocation}: {other:?}"),
        }
    }

    /// Admin `i` publishes its member key.
    fn publish(&mut self, i: usize) {
        let key = hex::encode(self.member_keys[i].public_key().to_bytes());
        let invocation = json!({"op": "publish_member_key", "public_key": key});
        let admin = self.admins[i].clone();
        let reply = self.commit(&admin, Body::Contract(invocation.to_string().into_bytes()));
        assert!(matches!(reply, Reply::Accept(_)), "{reply:?}");
    }

    /// Every admin publishes its key; `threshold` of the three admins recover.
    fn with_recovery(threshold: u32) -> Self {
        let mut service = Self::new();
        (0..3).for_each(|i| service.publish(i));
        let (first, second) = (service.admins[0].clone(), service.admins[1].clone());
        let proposal = service.proposal(&first, &set_recovery(threshold, &MEMBERS));
        let decided = service.proposal(&second, &vote(&proposal.id));
        assert_eq!(decided.status, ProposalStatus::Enacted, "{decided:?}");
        service
    }

    fn ask(core: &mut Enclave, keys: &PublicKeys, member: &Member, query: &Value) -> Reply {
        let request = PreparedRequest::governance(
            &keys.transaction_key,
            member,
            Purpose::Query,
            query.to_string(),
        )
        .unwrap();
        match core.handle(EnclaveRequest::Query {
            envelope: request.payload.clone(),
            host_time_ms: 0,
        }) {
            EnclaveResponse::Answer { response } => request.open_response(&response).unwrap(),
            other => panic!("query: {other:?}"),
        }
    }

    /// Admin `i` asks for its share and opens it with its member key.
    fn share(&mut self, i: usize) -> RecoveryShare {
        let admin = self.admins[i].clone();
        let reply = Self::ask(
            &mut self.core,
            &self.public_keys,
            &admin,
            &json!({"op": "get_recovery_share"}),
        );
        let Reply::Accept(bytes) = reply else {
            panic!("share: {reply:?}")
        };
        let view: RecoveryShareView = serde_json::from_slice(&bytes).unwrap();
        let member = format!("{}/admin", self.orgs[i].msp_id());
        assert_eq!(
            (view.member.as_str(), view.index),
            (member.as_str(), i as u32 + 1)
        );
        let share = RecoveryShare::open(
            &self.member_keys[i],
            &member,
            &hex::decode(&view.wrapped_share).unwrap(),
        )
        .unwrap();
        assert_eq!(
            share.public_keys_sha256(),
            &public_keys_sha256(&self.public_keys)
        );
        share
    }
}

const MEMBERS: [&str; 3] = ["Org1MSP/admin", "Org2MSP/admin", "Org3MSP/admin"];

fn set_recovery(threshold: u32, members: &[&str]) -> Value {
    json!({"op": "propose", "change": {
        "change": "set_recovery", "threshold": threshold, "members": members,
    }})
}

fn vote(id: &str) -> Value {
    json!({"op": "vote", "proposal": id, "approve": true})
}

fn refused(reply: Reply) -> String {
    match reply {
        Reply::Refuse(reason) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A fresh core recovering `keys`; its recovery key, checked against its evidence.
fn recovering(keys: &PublicKeys) -> (Enclave, Vec<u8>) {
    let mut core = sharing_core(0x77);
    let response = core.handle(EnclaveRequest::PrepareRecovery {
        public_keys: keys.clone(),
    });
    let EnclaveResponse::RecoveryPrepared {
        evidence,
        recovery_key,
        public_keys,
        endpoint,
    } = response
    else {
        panic!("prepare recovery: {response:?}")
    };
    assert_eq!(&public_keys, keys);
    let claims = strongroom_tee::verify(
        &Evidence::from(&evidence),
        &Collateral::None,
        &common::sim_policy(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(
        claims.report_data,
        recovery_report_data(&recovery_key, keys, &endpoint, &[])
    );
    (core, recovery_key)
}

fn submit(core: &mut Enclave, wrapped: Vec<u8>) -> EnclaveResponse {
    core.handle(EnclaveRequest::SubmitRecoveryShare { wrapped })
}

fn held(response: EnclaveResponse) -> (u32, u32) {
    match response {
        EnclaveResponse::RecoveryShareHeld { held, threshold } => (held, threshold),
        other => panic!("expected a held share, got {other:?}"),
    }
}

/// `core` has no secrets: it executes, answers and signs nothing.
fn assert_without_secrets(core: &mut Enclave, service: &Service) {
    let payload = service.ledger.entries[1].payload.clone();
    let ctx = service.ledger.next_ctx(service.t + 1);
    for request in [
        EnclaveRequest::Execute { ctx, payload },
        EnclaveRequest::Query {
            envelope: vec![1; 64],
            host_time_ms: 0,
        },
        EnclaveRequest::PublicKeys,
        EnclaveRequest::Snapshot,
    ] {
        assert_eq!(error(core.handle(request)), EnclaveError::NoSecrets);
    }
}

#[test]
fn k_of_n_shares_recover_a_fresh_core_to_the_same_keys_and_state() {
    let mut service = Service::with_recovery(2);
    // Some state after the configuration: it must replay on the recovered core.
    service.publish(0);
    let shares: Vec<RecoveryShare> = (0..3).map(|i| service.share(i)).collect();
    assert!(
        shares
            .iter()
            .all(|s| (s.threshold(), s.members(), s.version()) == (2, 3, 1))
    );
    let expected_digest = digest(&mut service.core);

    // Any two of the three.
    for (a, b) in [(0, 1), (0, 2), (2, 1)] {
        let (mut fresh, recovery_key) = recovering(&service.public_keys);
        let first = shares[a].wrap_to_core(&recovery_key).unwrap();
        assert_eq!(held(submit(&mut fresh, first)), (1, 2));
        let second = shares[b].wrap_to_core(&recovery_key).unwrap();
        let EnclaveResponse::Recovered {
            public_keys,
            threshold: 2,
            sealed,
        } = submit(&mut fresh, second)
        else {
            panic!("not recovered by shares {a} and {b}")
        };
        assert_eq!(public_keys, service.public_keys);
        for entry in &service.ledger.entries {
            let response = fresh.handle(EnclaveRequest::from(entry));
            assert!(
                matches!(response, EnclaveResponse::Replayed { .. }),
                "{response:?}"
            );
        }
        assert_eq!(digest(&mut fresh), expected_digest);
        // The secrets were sealed to the new platform: the host stores and unseals them.
        let mut restarted = sharing_core(0x77);
        let unsealed = restarted.handle(EnclaveRequest::Unseal { sealed });
        assert_eq!(
            unsealed,
            EnclaveResponse::PublicKeys {
                public_keys: service.public_keys.clone()
            }
        );
    }
}

#[test]
fn every_replica_computes_the_same_shares() {
    let mut service = Service::with_recovery(2);
    let mut replica = sharing_core(0x42);
    common::join(&mut service.core, &mut replica);
    for entry in &service.ledger.entries {
        replica.handle(EnclaveRequest::from(entry));
    }
    for i in 0..3 {
        let from_leader = service.share(i);
        std::mem::swap(&mut service.core, &mut replica);
        let from_replica = service.share(i);
        std::mem::swap(&mut service.core, &mut replica);
        assert_eq!(from_leader, from_replica, "share {i}");
    }
}

#[test]
fn fewer_than_k_shares_leave_the_core_without_secrets() {
    let mut service = Service::with_recovery(3);
    let shares: Vec<RecoveryShare> = (0..3).map(|i| service.share(i)).collect();
    let (mut fresh, recovery_key) = recovering(&service.public_keys);
    assert_without_secrets(&mut fresh, &service);
    for (i, share) in shares.iter().take(2).enumerate() {
        let wrapped = share.wrap_to_core(&recovery_key).unwrap();
        assert_eq!(held(submit(&mut fresh, wrapped)), (i as u32 + 1, 3));
        assert_without_secrets(&mut fresh, &service);
    }
}

#[test]
fn a_share_of_another_service_or_an_altered_or_repeated_share_is_refused_and_changes_nothing() {
    let mut service = Service::with_recovery(2);
    let mut other = Service::with_recovery(2);
    let mine = [service.share(0), service.share(1)];
    let foreign = other.share(1);
    let (mut fresh, key) = recovering(&service.public_keys);
    assert_eq!(
        held(submit(&mut fresh, mine[0].wrap_to_core(&key).unwrap())),
        (1, 2)
    );

    let refusal = |response| match error(response) {
        EnclaveError::InvalidShare(reason) => reason,
        other => panic!("expected a refused share, got {other:?}"),
    };
    let reason = refusal(submit(&mut fresh, foreign.wrap_to_core(&key).unwrap()));
    assert!(reason.contains("another service"), "{reason}");
    let mut altered = mine[1].wrap_to_core(&key).unwrap();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    let reason = refusal(submit(&mut fresh, altered));
    assert!(reason.contains("does not open"), "{reason}");
    let reason = refusal(submit(&mut fresh, mine[0].wrap_to_core(&key).unwrap()));
    assert!(reason.contains("held already"), "{reason}");
    // Wrapped to another recovery key: not for this core.
    let (_, other_key) = recovering(&service.public_keys);
    let reason = refusal(submit(
        &mut fresh,
        mine[1].wrap_to_core(&other_key).unwrap(),
    ));
    assert!(reason.contains("does not open"), "{reason}");
    assert_without_secrets(&mut fresh, &service);

    // Still exactly the one share held: the next good one completes the recovery.
    let response = submit(&mut fresh, mine[1].wrap_to_core(&key).unwrap());
    assert!(
        matches!(response, EnclaveResponse::Recovered { .. }),
        "{response:?}"
    );
}

#[test]
fn a_member_the_configuration_does_not_name_gets_the_non_party_answer() {
    let mut service = Service::new();
    let analyst = service.analyst.clone();
    let query = json!({"op": "get_recovery_share"});
    let before = Service::ask(&mut service.core, &service.public_keys, &analyst, &query);
    let admin = service.admins[0].clone();
    let no_configuration = Service::ask(&mut service.core, &service.public_keys, &admin, &query);
    (0..3).for_each(|i| service.publish(i));
    let first = service.admins[0].clone();
    let second = service.admins[1].clone();
    // Only Org2's and Org3's admins: Org1's admin is not named.
    let proposal = service.proposal(&first, &set_recovery(1, &MEMBERS[1..]));
    service.proposal(&second, &vote(&proposal.id));
    for member in [&analyst, &admin] {
        let after = Service::ask(&mut service.core, &service.public_keys, member, &query);
        assert_eq!(refused(after.clone()), "not found or not allowed");
        assert_eq!(after, before);
        assert_eq!(after, no_configuration);
    }
    // The constitution shows who can recover, to every member.
    let Reply::Accept(bytes) = Service::ask(
        &mut service.core,
        &service.public_keys,
        &analyst,
        &json!({"op": "constitution"}),
    ) else {
        panic!("constitution")
    };
    let constitution: ConstitutionView = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        constitution.recovery,
        Some(RecoveryView {
            threshold: 1,
            members: vec!["Org2MSP/admin".into(), "Org3MSP/admin".into()],
            version: 1,
        })
    );
}

#[test]
fn set_recovery_naming_a_member_without_a_published_key_is_refused_naming_the_field() {
    let mut service = Service::new();
    service.publish(0);
    service.publish(2);
    let admin = service.admins[0].clone();
    let reason = refused(service.govern(&admin, &set_recovery(2, &MEMBERS)));
    assert!(reason.contains("change.members[1]"), "{reason}");
    assert!(
        reason.contains("Org2MSP/admin has published no member key"),
        "{reason}"
    );
    for (threshold, members, field) in [
        (0, &MEMBERS[..], "change.threshold"),
        (4, &MEMBERS[..], "change.threshold"),
        (1, &["Org1MSP/admin", "Org1MSP"][..], "change.members[1]"),
        (1, &["Org9MSP/admin"][..], "change.members[0]"),
    ] {
        let reason = refused(service.govern(&admin, &set_recovery(threshold, members)));
        assert!(reason.contains(field), "{field}: {reason}");
    }
    // No configuration was recorded.
    let constitution = Service::ask(
        &mut service.core,
        &service.public_keys,
        &admin,
        &json!({"op": "constitution"}),
    );
    let Reply::Accept(bytes) = constitution else {
        panic!("constitution")
    };
    let view: ConstitutionView = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(view.recovery, None);
}

#[test]
fn set_recovery_is_checked_again_when_enacted() {
    let mut service = Service::new();
    (0..3).for_each(|i| service.publish(i));
    let (first, second) = (service.admins[0].clone(), service.admins[1].clone());
    let recovery = service.proposal(&first, &set_recovery(2, &MEMBERS));
    // Org3 leaves before the recovery configuration naming its admin passes.
    let removal = service.proposal(
        &first,
        &json!({"op": "propose", "change": {"change": "remove_organization", "msp_id": "Org3MSP"}}),
    );
    let removed = service.proposal(&second, &vote(&removal.id));
    assert_eq!(removed.status, ProposalStatus::Enacted);
    let decided = service.proposal(&second, &vote(&recovery.id));
    assert_eq!(decided.status, ProposalStatus::Failed);
    let outcome = decided.outcome.unwrap();
    assert!(outcome.contains("change.members[2]"), "{outcome}");
    assert!(
        outcome.contains("Org3MSP is not an organization"),
        "{outcome}"
    );
}
