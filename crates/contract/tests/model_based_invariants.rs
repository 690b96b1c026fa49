//! Random operation sequences against a small reference model.
//!
//! The model predicts, for every operation by every kind of caller, whether the
//! contract accepts it and what state the requests, grants and tasks reach. After each
//! step it checks: the prediction held; every task's status is the model's; no task is
//! running or finished unless every input is covered by a grant or its owner's
//! approval; no result is readable by anyone but a recipient. At the end, replaying the
//! same sequence gives the same state digest.
#![allow(clippy::unwrap_used)]

mod common;

use common::{BAD_MEASUREMENT, GOOD_MEASUREMENT, World, algorithm, attestation, caller};
use proptest::prelude::*;
use serde_json::{Value, json};
use strongroom_contract::sharing::{Created, TaskStatus};
use strongroom_contract::{Attestation, Caller, ContractError};

#[derive(Clone, Copy, PartialEq)]
enum Evidence {
    None,
    Good,
    Bad,
}

fn actors() -> Vec<(Caller, Evidence)> {
    vec![
        (caller("Org1MSP", "o1", "owner"), Evidence::None),
        (caller("Org1MSP", "a1", "admin"), Evidence::None),
        (caller("Org2MSP", "o2", "owner"), Evidence::None),
        (caller("Org1MSP", "e1", "executor"), Evidence::None),
        (caller("Org2MSP", "e2", "executor"), Evidence::None),
        (caller("Org3MSP", "n1", "analyst"), Evidence::None),
        (caller("Org3MSP", "n2", "analyst"), Evidence::None),
        (caller("Org4MSP", "n3", "analyst"), Evidence::None),
        // Workers of Org3, whose analysts request tasks: a party to those only.
        (caller("Org3MSP", "w", "executor"), Evidence::Good),
        (caller("Org3MSP", "x", "executor"), Evidence::Bad),
        (caller("Org6MSP", "u", "auditor"), Evidence::None),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Register(usize),
    Withdraw(usize, usize),
    RequestPermission(usize, usize),
    ApprovePermission(usize, usize),
    RejectPermission(usize, usize),
    Revoke(usize, usize),
    RequestTask(usize, Vec<usize>, bool, usize),
    ApproveTask(usize, usize),
    RejectTask(usize, usize),
    Claim(usize, usize),
    Write(usize, usize, bool),
}

/// An actor: usually one of `likely` (the kind the operation is meant for), sometimes
/// anyone.
fn actor(likely: &'static [usize]) -> impl Strategy<Value = usize> + Clone {
    prop_oneof![3 => prop::sample::select(likely), 1 => 0..11usize]
}

const OWNERS: &[usize] = &[0, 1, 2];
const EXECUTORS: &[usize] = &[3, 4, 8, 9];
const ANALYSTS: &[usize] = &[5, 6, 7];

fn op() -> impl Strategy<Value = Op> {
    let i = 0..6usize;
    prop_oneof![
        1 => actor(OWNERS).prop_map(Op::Register),
        1 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::Withdraw(a, i)),
        3 => (actor(ANALYSTS), i.clone()).prop_map(|(a, i)| Op::RequestPermission(a, i)),
        3 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::ApprovePermission(a, i)),
        1 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::RejectPermission(a, i)),
        1 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::Revoke(a, i)),
        4 => (actor(ANALYSTS), prop::collection::vec(i.clone(), 1..3), any::<bool>(), actor(ANALYSTS))
            .prop_map(|(a, inputs, tee, r)| Op::RequestTask(a, inputs, tee, r)),
        4 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::ApproveTask(a, i)),
        1 => (actor(OWNERS), i.clone()).prop_map(|(a, i)| Op::RejectTask(a, i)),
        4 => (actor(EXECUTORS), i.clone()).prop_map(|(a, i)| Op::Claim(a, i)),
        3 => (actor(EXECUTORS), i, any::<bool>()).prop_map(|(a, i, ok)| Op::Write(a, i, ok)),
    ]
}

struct MDataset {
    id: String,
    org: String,
    withdrawn: bool,
}

#[derive(PartialEq)]
enum MRequestStatus {
    Pending,
    Decided,
}

struct MRequest {
    id: String,
    dataset: usize,
    requester: usize,
    status: MRequestStatus,
}

struct MGrant {
    id: String,
    dataset: usize,
    grantee: usize,
    revoked: bool,
}

struct MInput {
    dataset: usize,
    grant: Option<usize>,
    approved: bool,
}

struct MTask {
    id: String,
    inputs: Vec<MInput>,
    requester: usize,
    tee: bool,
    status: TaskStatus,
    claimant: Option<usize>,
    recipient: usize,
}

struct Model {
    actors: Vec<(Caller, Evidence)>,
    datasets: Vec<MDataset>,
    requests: Vec<MRequest>,
    grants: Vec<MGrant>,
    tasks: Vec<MTask>,
}

const MISSING: &str = "0123456789abcdef";

fn pick<T>(items: &[T], i: usize) -> Option<usize> {
    (!items.is_empty()).then(|| i % items.len())
}

impl Model {
    fn role(&self, a: usize) -> &str {
        &self.actors[a].0.role
    }
    fn msp(&self, a: usize) -> &str {
        &self.actors[a].0.msp_id
    }
    fn decider(&self, a: usize, org: &str) -> bool {
        matches!(self.role(a), "admin" | "owner") && self.msp(a) == org
    }
    fn usable(&self, t: &MTask) -> bool {
        t.inputs.iter().all(|i| {
            !self.datasets[i.dataset].withdrawn && i.grant.is_none_or(|g| !self.grants[g].revoked)
        })
    }
    fn id_or_missing(id: Option<&String>, prefix: &str) -> String {
        id.cloned().unwrap_or_else(|| format!("{prefix}-{MISSING}"))
    }
}

struct Run {
    world: World,
    model: Model,
    alg: String,
}

fn created(reply: &[u8]) -> String {
    serde_json::from_slice::<Created>(reply).unwrap().id
}

impl Run {
    fn new() -> Self {
        let mut world = World::new();
        let alg = world.create(
            &caller("Org3MSP", "n1", "analyst"),
            &algorithm("count", false),
        );
        let mut run = Self {
            world,
            model: Model {
                actors: actors(),
                datasets: Vec::new(),
                requests: Vec::new(),
                grants: Vec::new(),
                tasks: Vec::new(),
            },
            alg,
        };
        // Three datasets to start with: two of Org1, one of Org2.
        for owner in [0, 0, 2] {
            run.step(&Op::Register(owner));
        }
        run
    }

    fn attestation_for(&self, a: usize, task: Option<usize>) -> Option<Attestation> {
        let hash = match task {
            Some(t) => {
                let requester = &self.model.actors[self.model.tasks[t].requester].0;
                self.world
                    .task(requester, &self.model.tasks[t].id)
                    .config_hash
            }
            None => "00".repeat(32),
        };
        match self.model.actors[a].1 {
            Evidence::None => None,
            Evidence::Good => Some(attestation(GOOD_MEASUREMENT, &hash)),
            // Evidence bound to another task's configuration.
            Evidence::Bad => Some(attestation(BAD_MEASUREMENT, &"ee".repeat(32))),
        }
    }

    /// Runs one operation; checks the model's prediction.
    fn step(&mut self, op: &Op) {
        let m = &self.model;
        let (who, invocation, predicted, task_ref): (usize, Value, bool, Option<usize>) = match op {
            Op::Register(a) => (
                *a,
                self.world.dataset(
                    &m.actors[*a].0,
                    &format!("d{}", m.datasets.len()),
                    json!({}),
                ),
                m.role(*a) == "owner",
                None,
            ),
            Op::Withdraw(a, i) => {
                let d = pick(&m.datasets, *i);
                let ok = d.is_some_and(|d| {
                    let ds = &m.datasets[d];
                    m.role(*a) == "owner" && m.msp(*a) == ds.org && !ds.withdrawn
                });
                let id = Model::id_or_missing(d.map(|d| &m.datasets[d].id), "ds");
                (*a, json!({"op": "withdraw_consent", "id": id}), ok, None)
            }
            Op::RequestPermission(a, i) => {
                let d = pick(&m.datasets, *i);
                let ok = m.role(*a) == "analyst" && d.is_some_and(|d| !m.datasets[d].withdrawn);
                let id = Model::id_or_missing(d.map(|d| &m.datasets[d].id), "ds");
                (*a, common::permission(&id, &self.alg), ok, None)
            }
            Op::ApprovePermission(a, i) | Op::RejectPermission(a, i) => {
                let approve = matches!(op, Op::ApprovePermission(..));
                let r = pick(&m.requests, *i);
                let ok = r.is_some_and(|r| {
                    let req = &m.requests[r];
                    let ds = &m.datasets[req.dataset];
                    m.decider(*a, &ds.org)
                        && req.status == MRequestStatus::Pending
                        && (!approve || !ds.withdrawn)
                });
                let id = Model::id_or_missing(r.map(|r| &m.requests[r].id), "req");
                let op_name = if approve {
                    "approve_permission"
                } else {
                    "reject_permission"
                };
                (*a, json!({"op": op_name, "request": id}), ok, None)
            }
            Op::Revoke(a, i) => {
                let g = pick(&m.grants, *i);
                let ok = g.is_some_and(|g| {
                    let grant = &m.grants[g];
                    m.decider(*a, &m.datasets[grant.dataset].org) && !grant.revoked
                });
                let id = Model::id_or_missing(g.map(|g| &m.grants[g].id), "grant");
                (*a, json!({"op": "revoke_grant", "grant": id}), ok, None)
            }
            Op::RequestTask(a, inputs, tee, r) => {
                let mut picked: Vec<usize> = Vec::new();
                for i in inputs {
                    if let Some(d) = pick(&m.datasets, *i)
                        && !picked.contains(&d)
                    {
                        picked.push(d);
                    }
                }
                let ok = m.role(*a) == "analyst"
                    && !picked.is_empty()
                    && picked.iter().all(|d| !m.datasets[*d].withdrawn)
                    && (*tee
                        || picked
                            .iter()
                            .all(|d| m.datasets[*d].org == m.datasets[picked[0]].org));
                let mut ids: Vec<String> =
                    picked.iter().map(|d| m.datasets[*d].id.clone()).collect();
                if ids.is_empty() {
                    ids.push(format!("ds-{MISSING}"));
                }
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                let mode = if *tee { "tee" } else { "owner_side" };
                (
                    *a,
                    common::task(&refs, &self.alg, mode, &m.actors[*r].0),
                    ok,
                    None,
                )
            }
            Op::ApproveTask(a, i) | Op::RejectTask(a, i) => {
                let approve = matches!(op, Op::ApproveTask(..));
                let t = pick(&m.tasks, *i);
                let ok = t.is_some_and(|t| {
                    let task = &m.tasks[t];
                    let decider = task
                        .inputs
                        .iter()
                        .any(|i| m.decider(*a, &m.datasets[i.dataset].org));
                    if !decider {
                        return false;
                    }
                    if approve {
                        let mine: Vec<&MInput> = task
                            .inputs
                            .iter()
                            .filter(|i| {
                                m.datasets[i.dataset].org == m.msp(*a)
                                    && i.grant.is_none()
                                    && !i.approved
                            })
                            .collect();
                        task.status == TaskStatus::PendingApproval
                            && !mine.is_empty()
                            && mine.iter().all(|i| !m.datasets[i.dataset].withdrawn)
                    } else {
                        matches!(
                            task.status,
                            TaskStatus::PendingApproval | TaskStatus::Approved
                        )
                    }
                });
                let id = Model::id_or_missing(t.map(|t| &m.tasks[t].id), "task");
                let op_name = if approve {
                    "approve_task"
                } else {
                    "reject_task"
                };
                (*a, json!({"op": op_name, "task": id}), ok, None)
            }
            Op::Claim(a, i) => {
                let t = pick(&m.tasks, *i);
                let ok = t.is_some_and(|t| {
                    let task = &m.tasks[t];
                    let identity = m.role(*a) == "executor"
                        && if task.tee {
                            m.actors[*a].1 == Evidence::Good
                                && (m.msp(task.requester) == m.msp(*a)
                                    || task
                                        .inputs
                                        .iter()
                                        .any(|i| m.datasets[i.dataset].org == m.msp(*a)))
                        } else {
                            task.inputs
                                .iter()
                                .all(|i| m.datasets[i.dataset].org == m.msp(*a))
                        };
                    identity && task.status == TaskStatus::Approved && m.usable(task)
                });
                let id = Model::id_or_missing(t.map(|t| &m.tasks[t].id), "task");
                (*a, json!({"op": "claim_task", "task": id}), ok, t)
            }
            Op::Write(a, i, success) => {
                let t = pick(&m.tasks, *i);
                let ok = t.is_some_and(|t| {
                    let task = &m.tasks[t];
                    task.claimant == Some(*a) && task.status == TaskStatus::Running
                });
                let id = Model::id_or_missing(t.map(|t| &m.tasks[t].id), "task");
                let invocation = if *success {
                    common::success(&id, b"sealed")
                } else {
                    json!({"op": "write_result", "task": id, "outcome": {"status": "failed", "reason": "oom"}})
                };
                (*a, invocation, ok, t)
            }
        };
        let attestation = self.attestation_for(who, task_ref);
        let who_caller = self.model.actors[who].0.clone();
        let result = self.world.exec_as(&who_caller, attestation, &invocation);
        assert_eq!(
            result.is_ok(),
            predicted,
            "{op:?} by {who_caller:?}: model says {predicted}, contract says {result:?}"
        );
        if let Ok(reply) = result {
            self.apply(op, &reply);
        }
    }

    /// Applies an accepted operation to the model.
    fn apply(&mut self, op: &Op, reply: &[u8]) {
        let m = &mut self.model;
        match op {
            Op::Register(a) => {
                let org = m.actors[*a].0.msp_id.clone();
                m.datasets.push(MDataset {
                    id: created(reply),
                    org,
                    withdrawn: false,
                });
            }
            Op::Withdraw(_, i) => {
                let d = i % m.datasets.len();
                m.datasets[d].withdrawn = true;
            }
            Op::RequestPermission(a, i) => {
                let d = i % m.datasets.len();
                m.requests.push(MRequest {
                    id: created(reply),
                    dataset: d,
                    requester: *a,
                    status: MRequestStatus::Pending,
                });
            }
            Op::ApprovePermission(_, i) => {
                let r = i % m.requests.len();
                m.requests[r].status = MRequestStatus::Decided;
                let (dataset, grantee) = (m.requests[r].dataset, m.requests[r].requester);
                m.grants.push(MGrant {
                    id: created(reply),
                    dataset,
                    grantee,
                    revoked: false,
                });
            }
            Op::RejectPermission(_, i) => {
                let r = i % m.requests.len();
                m.requests[r].status = MRequestStatus::Decided;
            }
            Op::Revoke(_, i) => {
                let g = i % m.grants.len();
                m.grants[g].revoked = true;
            }
            Op::RequestTask(a, inputs, tee, r) => {
                let mut picked: Vec<usize> = Vec::new();
                for i in inputs {
                    let d = i % m.datasets.len();
                    if !picked.contains(&d) {
                        picked.push(d);
                    }
                }
                let inputs: Vec<MInput> = picked
                    .into_iter()
                    .map(|d| {
                        // The contract takes the covering grant with the smallest id.
                        let grant = (0..m.grants.len())
                            .filter(|g| {
                                m.grants[*g].dataset == d
                                    && m.grants[*g].grantee == *a
                                    && !m.grants[*g].revoked
                            })
                            .min_by(|x, y| m.grants[*x].id.cmp(&m.grants[*y].id));
                        MInput {
                            dataset: d,
                            grant,
                            approved: false,
                        }
                    })
                    .collect();
                let status = if inputs.iter().all(|i| i.grant.is_some()) {
                    TaskStatus::Approved
                } else {
                    TaskStatus::PendingApproval
                };
                m.tasks.push(MTask {
                    id: created(reply),
                    inputs,
                    requester: *a,
                    tee: *tee,
                    status,
                    claimant: None,
                    recipient: *r,
                });
            }
            Op::ApproveTask(a, i) => {
                let t = i % m.tasks.len();
                let org = m.actors[*a].0.msp_id.clone();
                let datasets = &m.datasets;
                let task = &mut m.tasks[t];
                for input in &mut task.inputs {
                    if datasets[input.dataset].org == org && input.grant.is_none() {
                        input.approved = true;
                    }
                }
                if task.inputs.iter().all(|i| i.grant.is_some() || i.approved) {
                    task.status = TaskStatus::Approved;
                }
            }
            Op::RejectTask(_, i) => {
                let t = i % m.tasks.len();
                m.tasks[t].status = TaskStatus::Rejected;
            }
            Op::Claim(a, i) => {
                let t = i % m.tasks.len();
                m.tasks[t].status = TaskStatus::Running;
                m.tasks[t].claimant = Some(*a);
            }
            Op::Write(_, i, success) => {
                let t = i % m.tasks.len();
                m.tasks[t].status = if *success {
                    TaskStatus::Succeeded
                } else {
                    TaskStatus::Failed
                };
            }
        }
    }

    fn check_invariants(&self) {
        let m = &self.model;
        for task in &m.tasks {
            let view = self.world.task(&m.actors[task.requester].0, &task.id);
            assert_eq!(view.status, task.status, "task {}", task.id);
            if matches!(
                view.status,
                TaskStatus::Running | TaskStatus::Succeeded | TaskStatus::Failed
            ) {
                assert!(
                    view.inputs
                        .iter()
                        .all(|i| i.grant.is_some() || i.approved_by.is_some()),
                    "task {} reached {:?} with an uncovered input",
                    task.id,
                    view.status
                );
            }
            let has_result = matches!(task.status, TaskStatus::Succeeded | TaskStatus::Failed);
            for (a, (who, _)) in m.actors.iter().enumerate() {
                let read = self
                    .world
                    .query(who, &json!({"op": "read_result", "task": task.id}));
                if a == task.recipient {
                    assert_eq!(read.is_ok(), has_result, "recipient of {}", task.id);
                } else {
                    assert_eq!(
                        read,
                        Err(ContractError::NotFoundOrDenied),
                        "{who:?} read {}",
                        task.id
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..64)) {
        let mut run = Run::new();
        for op in &ops {
            run.step(op);
            run.check_invariants();
        }
        let mut replay = Run::new();
        for op in &ops {
            replay.step(op);
        }
        prop_assert_eq!(run.world.digest(), replay.world.digest());
    }
}
