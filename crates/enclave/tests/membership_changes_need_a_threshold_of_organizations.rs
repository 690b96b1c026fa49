//! Adding or removing an organization, revoking a member's certificate and changing the
//! threshold take effect only when a threshold of organizations (by default a
//! majority, one vote per organization, cast by its admin) votes for them; proposals
//! expire; and from the ledger time of a revocation or removal on, the member's or
//! organization's requests are refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, commit, core, digest, execute, genesis};
use serde_json::{Value, json};
use std::rc::Rc;
use strongroom_enclave::governance::{
    ConstitutionView, ProposalList, ProposalStatus, ProposalView,
};
use strongroom_enclave::request::{PreparedRequest, Purpose, Reply};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, Organization, RecordKind,
};
use strongroom_identity::{Member, OrgCa, Role, Validity, fingerprint};

use time::{Duration, OffsetDateTime};

const DAY_MS: u64 = 24 * 3600 * 1000;

/// Three founding organizations with an admin and an analyst each, and a fourth
/// organization outside the consortium.
struct Consortium {
    orgs: Vec<OrgCa>,
    admins: Vec<Rc<Member>>,
    analysts: Vec<Rc<Member>>,
    outsider_ca: OrgCa,
    outsider: Rc<Member>,
    core: Enclave,
    ledger: Ledger,
    key: Vec<u8>,
    t: u64,
}

impl Consortium {
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
        let analysts = orgs
            .iter()
            .map(|ca| Rc::new(ca.enroll_member("ana", Role::Analyst, year).unwrap()))
            .collect();
        let outsider_ca = OrgCa::new("Org4MSP", year).unwrap();
        let outsider = Rc::new(
            outsider_ca
                .enroll_member("olivia", Role::Analyst, year)
                .unwrap(),
        );
        let constitution = Constitution {
            organizations: orgs
                .iter()
                .map(|ca| Organization::from_der(ca.msp_id(), ca.cert_der()).unwrap())
                .collect(),
            threshold: Default::default(),
            node_policy: Some(common::node_policy(&[&common::code()])),
            worker_policy: None,
        };
        let mut core = core();
        let g = genesis(&mut core, &constitution);
        let mut ledger = Ledger::default();
        let t = u64::try_from(now.unix_timestamp()).unwrap() * 1000;
        let ctx = ledger.next_ctx(t);
        let executed = execute(&mut core, &ctx, &g.ledger_payload);
        ledger.push(&ctx, executed.kind, executed.ledger_payload);
        Self {
            orgs,
            admins,
            analysts,
            outsider_ca,
            outsider,
            core,
            ledger,
            key: g.public_keys.transaction_key,
            t,
        }
    }

    /// Commits a governance invocation of `member` `after_ms` later; its reply.
    fn govern_after(&mut self, after_ms: u64, member: &Member, invocation: &Value) -> Reply {
        self.t += after_ms;
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Transaction,
            strongroom_enclave::request::Body::Governance(invocation.to_string().into_bytes()),
            self.t + 60_000,
        )
        .unwrap();
        let executed = commit(&mut self.core, &mut self.ledger, self.t, &request.payload);
        assert_eq!(executed.kind, RecordKind::Governance);
        request.open_response(&executed.response).unwrap()
    }

    fn govern(&mut self, member: &Member, invocation: &Value) -> Reply {
        self.govern_after(1, member, invocation)
    }

    fn proposal(&mut self, member: &Member, invocation: &Value) -> ProposalView {
        match self.govern(member, invocation) {
            Reply::Accept(bytes) => serde_json::from_slice(&bytes).unwrap(),
            other => panic!("{invocation}: {other:?}"),
        }
    }

    /// Commits a contract transaction of `member`; its reply.
    fn transact(&mut self, member: &Member, invocation: &str) -> Reply {
        self.t += 1;
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Transaction,
            strongroom_enclave::request::Body::Contract(invocation.as_bytes().to_vec()),
            self.t + 60_000,
        )
        .unwrap();
        let executed = commit(&mut self.core, &mut self.ledger, self.t, &request.payload);
        request.open_response(&executed.response).unwrap()
    }

    fn ask(&mut self, member: &Member, query: &Value) -> Reply {
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Query,
            strongroom_enclave::request::Body::Governance(query.to_string().into_bytes()),
            self.t + 60_000,
        )
        .unwrap();
        let EnclaveResponse::Answer { response } = self.core.handle(EnclaveRequest::Query {
            envelope: request.payload.clone(),
            host_time_ms: 0,
        }) else {
            panic!("query")
        };
        request.open_response(&response).unwrap()
    }
}

fn add_outsider(c: &Consortium) -> Value {
    json!({"op": "propose", "change": {
        "change": "add_organization",
        "msp_id": "Org4MSP",
        "ca_cert_pem": Organization::from_der("Org4MSP", c.outsider_ca.cert_der()).unwrap().ca_cert_pem,
    }})
}

fn vote(id: &str, approve: bool) -> Value {
    json!({"op": "vote", "proposal": id, "approve": approve})
}

fn refused(reply: Reply) -> String {
    match reply {
        Reply::Refuse(reason) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_lone_admin_cannot_add_an_organization() {
    let mut c = Consortium::new();
    let admin = c.admins[0].clone();
    let proposal = c.proposal(&admin, &add_outsider(&c));
    assert_eq!(proposal.status, ProposalStatus::Open);
    assert_eq!((proposal.votes.len(), proposal.required), (1, 2));
    let outsider = c.outsider.clone();
    let reason = refused(c.transact(&outsider, "put k=v"));
    assert!(reason.contains("unknown MSP \"Org4MSP\""), "{reason}");
}

#[test]
fn the_majority_adds_an_organization() {
    let mut c = Consortium::new();
    let (first, second) = (c.admins[0].clone(), c.admins[1].clone());
    let proposal = c.proposal(&first, &add_outsider(&c));
    let decided = c.proposal(&second, &vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    let outsider = c.outsider.clone();
    assert_eq!(
        c.transact(&outsider, "put k=v"),
        Reply::Accept(b"ok".to_vec())
    );
}

#[test]
fn only_admins_propose_and_vote() {
    let mut c = Consortium::new();
    let analyst = c.analysts[0].clone();
    let reason = refused(c.govern(&analyst, &add_outsider(&c)));
    assert!(
        reason.contains("only an organization's admin may propose"),
        "{reason}"
    );
    let admin = c.admins[0].clone();
    let proposal = c.proposal(&admin, &add_outsider(&c));
    let analyst = c.analysts[1].clone();
    let reason = refused(c.govern(&analyst, &vote(&proposal.id, true)));
    assert!(
        reason.contains("only an organization's admin may vote"),
        "{reason}"
    );
}

#[test]
fn an_organization_has_one_vote_however_often_it_votes() {
    let mut c = Consortium::new();
    let admin = c.admins[0].clone();
    let proposal = c.proposal(&admin, &add_outsider(&c));
    let again = c.proposal(&admin, &vote(&proposal.id, true));
    assert_eq!(again.status, ProposalStatus::Open);
    assert_eq!(again.votes.len(), 1);
}

#[test]
fn a_revoked_member_is_refused_from_the_revocation_on() {
    let mut c = Consortium::new();
    let victim = c.analysts[2].clone();
    assert_eq!(
        c.transact(&victim, "put k=1"),
        Reply::Accept(b"ok".to_vec())
    );
    let revoke = json!({"op": "propose", "change": {
        "change": "revoke_member",
        "certificate_sha256": hex::encode(fingerprint(victim.cert_der())),
    }});
    let (first, second) = (c.admins[0].clone(), c.admins[1].clone());
    let proposal = c.proposal(&first, &revoke);
    assert_eq!(
        c.transact(&victim, "put k=2"),
        Reply::Accept(b"ok".to_vec())
    );
    let decided = c.proposal(&second, &vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    let reason = refused(c.transact(&victim, "put k=3"));
    assert!(
        reason.starts_with("signer rejected: the certificate is revoked"),
        "{reason}"
    );
    let reason = refused(c.ask(&victim, &json!({"op": "constitution"})));
    assert!(reason.contains("revoked"), "{reason}");
    // Others of the same organization are unaffected.
    let admin = c.admins[2].clone();
    assert!(matches!(
        c.ask(&admin, &json!({"op": "constitution"})),
        Reply::Accept(_)
    ));
}

#[test]
fn a_removed_organization_s_members_are_refused() {
    let mut c = Consortium::new();
    let remove =
        json!({"op": "propose", "change": {"change": "remove_organization", "msp_id": "Org2MSP"}});
    let (first, third) = (c.admins[0].clone(), c.admins[2].clone());
    let proposal = c.proposal(&first, &remove);
    let decided = c.proposal(&third, &vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    let member = c.analysts[1].clone();
    let reason = refused(c.transact(&member, "put k=v"));
    assert!(reason.contains("unknown MSP \"Org2MSP\""), "{reason}");
    let reply = c.ask(&first, &json!({"op": "constitution"}));
    let Reply::Accept(bytes) = reply else {
        panic!("{reply:?}")
    };
    let constitution: ConstitutionView = serde_json::from_slice(&bytes).unwrap();
    let ids: Vec<&str> = constitution
        .organizations
        .iter()
        .map(|o| o.msp_id.as_str())
        .collect();
    assert_eq!(ids, ["Org1MSP", "Org3MSP"]);
    assert_eq!(constitution.required, 2, "a majority of two is both");
}

#[test]
fn enough_votes_against_reject_a_proposal() {
    let mut c = Consortium::new();
    let admins = c.admins.clone();
    let proposal = c.proposal(&admins[0], &add_outsider(&c));
    let one = c.proposal(&admins[1], &vote(&proposal.id, false));
    assert_eq!(one.status, ProposalStatus::Open);
    let two = c.proposal(&admins[2], &vote(&proposal.id, false));
    assert_eq!(two.status, ProposalStatus::Rejected);
    let reason = refused(c.govern(&admins[1], &vote(&proposal.id, true)));
    assert!(reason.contains("already decided"), "{reason}");
}

#[test]
fn a_proposal_expires_and_can_no_longer_be_voted_on() {
    let mut c = Consortium::new();
    let admins = c.admins.clone();
    let proposal = c.proposal(&admins[0], &add_outsider(&c));
    let reason = refused(c.govern_after(8 * DAY_MS, &admins[1], &vote(&proposal.id, true)));
    assert!(reason.contains("expired"), "{reason}");
    let reply = c.ask(
        &admins[0],
        &json!({"op": "get_proposal", "id": proposal.id}),
    );
    let Reply::Accept(bytes) = reply else {
        panic!("{reply:?}")
    };
    let view: ProposalView = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(view.status, ProposalStatus::Expired);
}

#[test]
fn the_threshold_changes_only_by_the_same_rule_and_then_applies() {
    let mut c = Consortium::new();
    let admins = c.admins.clone();
    let all = json!({"op": "propose", "change": {
        "change": "set_threshold", "threshold": {"rule": "at_least", "organizations": 3}
    }});
    let proposal = c.proposal(&admins[0], &all);
    assert_eq!(
        proposal.status,
        ProposalStatus::Open,
        "one vote does not change it"
    );
    let decided = c.proposal(&admins[1], &vote(&proposal.id, true));
    assert_eq!(decided.status, ProposalStatus::Enacted);
    // Now two votes no longer add an organization; the third does.
    let add = c.proposal(&admins[0], &add_outsider(&c));
    let two = c.proposal(&admins[1], &vote(&add.id, true));
    assert_eq!((two.status, two.required), (ProposalStatus::Open, 3));
    let three = c.proposal(&admins[2], &vote(&add.id, true));
    assert_eq!(three.status, ProposalStatus::Enacted);
}

#[test]
fn proposals_that_cannot_apply_are_refused_with_their_reason() {
    let mut c = Consortium::new();
    let admin = c.admins[0].clone();
    for (change, words) in [
        (
            json!({"change": "remove_organization", "msp_id": "Org9MSP"}),
            "not present",
        ),
        (
            json!({"change": "set_threshold", "threshold": {"rule": "at_least", "organizations": 4}}),
            "more than the 3",
        ),
        (
            json!({"change": "add_organization", "msp_id": "Org1MSP",
                   "ca_cert_pem": Organization::from_der("Org1MSP", c.orgs[0].cert_der()).unwrap().ca_cert_pem}),
            "already present",
        ),
    ] {
        let reason = refused(c.govern(&admin, &json!({"op": "propose", "change": change})));
        assert!(reason.contains(words), "{change}: {reason}");
    }
    let reason = refused(c.govern(&admin, &json!({"op": "propose", "change": {"change": "revoke_member", "certificate_sha256": "XY"}})));
    assert!(
        reason.starts_with("invalid invocation: change.certificate_sha256"),
        "{reason}"
    );
}

#[test]
fn every_member_reads_the_proposals_and_a_replay_rebuilds_them() {
    let mut c = Consortium::new();
    let admins = c.admins.clone();
    let first = c.proposal(&admins[0], &add_outsider(&c));
    c.proposal(&admins[1], &vote(&first.id, true));
    let revoke = json!({"op": "propose", "change": {"change": "revoke_member", "certificate_sha256": "ab".repeat(32)}});
    let second = c.proposal(&admins[2], &revoke);
    let analyst = c.analysts[1].clone();
    let reply = c.ask(&analyst, &json!({"op": "list_proposals"}));
    let Reply::Accept(bytes) = reply else {
        panic!("{reply:?}")
    };
    let list: ProposalList = serde_json::from_slice(&bytes).unwrap();
    let ids: Vec<&str> = list.items.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str(), second.id.as_str()]);
    assert_eq!(list.items[0].status, ProposalStatus::Enacted);

    let written = digest(&mut c.core);
    let mut replica = core();
    let mut entries = c.ledger.entries.iter();
    // Unsealing needs this service's secrets: join the replica from the writer instead.
    common::join(&mut c.core, &mut replica);
    for entry in entries.by_ref() {
        let response = replica.handle(EnclaveRequest::from(entry));
        assert!(
            matches!(response, EnclaveResponse::Replayed { .. }),
            "{response:?}"
        );
    }
    assert_eq!(digest(&mut replica), written);
}
