//! Three founding organizations, each with an admin and an analyst, sending governance
//! through a core (the harness of the governance tests).

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use strongroom_enclave::governance::{ConstitutionView, ProposalView};
use strongroom_enclave::request::{Body, PreparedRequest, Purpose, Reply};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveRequest, EnclaveResponse, Organization, RecordKind,
};
use strongroom_identity::{Member, OrgCa, Role, Validity};
use time::{Duration, OffsetDateTime};

use super::{Ledger, commit, core, execute, genesis};

pub struct Consortium {
    pub admins: Vec<Rc<Member>>,
    pub analysts: Vec<Rc<Member>>,
    pub core: Enclave,
    pub ledger: Ledger,
    pub key: Vec<u8>,
    pub t: u64,
}

impl Consortium {
    /// The consortium, its genesis applied with the cluster `voters` and `learners`
    /// passed with every entry.
    pub fn with_cluster(voters: &[u64], learners: &[u64]) -> Self {
        let now = OffsetDateTime::now_utc();
        let year = Validity::new(now - Duration::days(1), now + Duration::days(365)).unwrap();
        let orgs: Vec<OrgCa> = (1..=3)
            .map(|i| OrgCa::new(&format!("Org{i}MSP"), year).unwrap())
            .collect();
        let enroll = |name: &str, role: Role| -> Vec<Rc<Member>> {
            orgs.iter()
                .map(|ca| Rc::new(ca.enroll_member(name, role, year).unwrap()))
                .collect()
        };
        let (admins, analysts) = (enroll("admin", Role::Admin), enroll("ana", Role::Analyst));
        let constitution = Constitution {
            organizations: orgs
                .iter()
                .map(|ca| Organization::from_der(ca.msp_id(), ca.cert_der()).unwrap())
                .collect(),
            threshold: Default::default(),
            node_policy: Some(super::node_policy(&[&super::code()])),
            worker_policy: None,
        };
        let mut core = core();
        let g = genesis(&mut core, &constitution);
        let mut ledger = Ledger {
            voters: voters.to_vec(),
            learners: learners.to_vec(),
            ..Ledger::default()
        };
        let t = u64::try_from(now.unix_timestamp()).unwrap() * 1000;
        let ctx = ledger.next_ctx(t);
        let executed = execute(&mut core, &ctx, &g.ledger_payload);
        ledger.push(&ctx, executed.kind, executed.ledger_payload);
        Self {
            admins,
            analysts,
            core,
            ledger,
            key: g.public_keys.transaction_key,
            t,
        }
    }

    /// Commits a governance invocation of `member`; its reply.
    pub fn govern(&mut self, member: &Member, invocation: &Value) -> Reply {
        self.t += 1;
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Transaction,
            Body::Governance(invocation.to_string().into_bytes()),
            self.t + 60_000,
        )
        .unwrap();
        let executed = commit(&mut self.core, &mut self.ledger, self.t, &request.payload);
        assert_eq!(executed.kind, RecordKind::Governance);
        request.open_response(&executed.response).unwrap()
    }

    /// Commits a governance invocation that must be accepted; the proposal after it.
    pub fn proposal(&mut self, member: &Member, invocation: &Value) -> ProposalView {
        match self.govern(member, invocation) {
            Reply::Accept(bytes) => serde_json::from_slice(&bytes).unwrap(),
            other => panic!("{invocation}: {other:?}"),
        }
    }

    /// Proposes `change` as Org1's admin, and has Org2's admin vote for it.
    pub fn carry(&mut self, change: Value) -> ProposalView {
        let (first, second) = (self.admins[0].clone(), self.admins[1].clone());
        let proposal = self.proposal(&first, &json!({"op": "propose", "change": change}));
        self.proposal(&second, &vote(&proposal.id, true))
    }

    /// Asks a governance query that must be answered, as `member`.
    pub fn ask<T: DeserializeOwned>(&mut self, member: &Member, query: &Value) -> T {
        let request = PreparedRequest::valid_until(
            &self.key,
            member,
            Purpose::Query,
            Body::Governance(query.to_string().into_bytes()),
            self.t + 60_000,
        )
        .unwrap();
        let EnclaveResponse::Answer { response } = self.core.handle(EnclaveRequest::Query {
            envelope: request.payload.clone(),
            host_time_ms: 0,
        }) else {
            panic!("query")
        };
        match request.open_response(&response).unwrap() {
            Reply::Accept(bytes) => serde_json::from_slice(&bytes).unwrap(),
            other => panic!("{query}: {other:?}"),
        }
    }

    /// The constitution, as Org1's analyst reads it.
    pub fn constitution(&mut self) -> ConstitutionView {
        let analyst = self.analysts[0].clone();
        self.ask(&analyst, &json!({"op": "constitution"}))
    }
}

pub fn vote(id: &str, approve: bool) -> Value {
    json!({"op": "vote", "proposal": id, "approve": approve})
}

/// The reason of a refusal.
pub fn refused(reply: Reply) -> String {
    match reply {
        Reply::Refuse(reason) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
