//! A second core receives the service secrets only if its evidence verifies under the
//! node policy the consortium recorded on the ledger (at genesis, or replaced by a
//! governance vote) and binds the key the secrets are wrapped to: an allowed
//! measurement joins; another measurement, simulated evidence under a policy without
//! `allow_simulated`, tampered evidence, stale evidence, or evidence for another key do
//! not, and nobody joins while the consortium has no node policy. The host's own policy
//! plays no part. A refused join changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    Genesis, Ledger, World, code, commit, core, core_with, digest, error, execute, genesis, join,
    node_policy, world,
};
use strongroom_enclave::governance::{ProposalStatus, ProposalView, Threshold};
use strongroom_enclave::request::{PreparedRequest, Purpose, Reply};
use strongroom_enclave::{
    Constitution, Enclave, EnclaveError, EnclaveRequest, EnclaveResponse, EvidenceMessage,
    JoinCollateral, RecordKind,
};
use strongroom_tee::CodeIdentity;

const NO_NODE_POLICY: &str = "the consortium has set no node policy: no node may join until \
                              governance sets one (set_node_policy)";

fn patched() -> CodeIdentity {
    CodeIdentity::new("strongroom-enclave", "test", "patched")
}

fn prepare(joiner: &mut Enclave) -> (EvidenceMessage, Vec<u8>) {
    match joiner.handle(EnclaveRequest::PrepareJoin) {
        EnclaveResponse::JoinPrepared {
            evidence,
            joiner_key,
        } => (evidence, joiner_key),
        other => panic!("prepare: {other:?}"),
    }
}

fn request(
    member: &mut Enclave,
    evidence: EvidenceMessage,
    joiner_key: Vec<u8>,
) -> EnclaveResponse {
    member.handle(EnclaveRequest::JoinRequest {
        evidence,
        collateral: JoinCollateral::None,
        joiner_key,
    })
}

/// A member core that executed the genesis of `constitution`.
fn member(w: &World, constitution: &Constitution) -> (Enclave, Ledger, Genesis) {
    let mut core = core();
    let g = genesis(&mut core, constitution);
    let mut ledger = Ledger::default();
    let ctx = ledger.next_ctx(w.now_ms);
    let executed = execute(&mut core, &ctx, &g.ledger_payload);
    assert_eq!(executed.kind, RecordKind::Genesis);
    ledger.push(&ctx, executed.kind, executed.ledger_payload);
    (core, ledger, g)
}

/// `w`'s constitution with another node policy.
fn with_node_policy(w: &World, policy: Option<String>) -> Constitution {
    Constitution {
        node_policy: policy,
        ..w.constitution.clone()
    }
}

/// Asserts that `joiner`'s join request is refused by `member` with an attestation
/// error containing `reason`, and that neither core changed.
fn assert_refused(member: &mut Enclave, joiner: &mut Enclave, reason: &str) {
    let before = digest(member);
    let (evidence, key) = prepare(joiner);
    let refused = error(request(member, evidence, key));
    assert!(
        matches!(&refused, EnclaveError::Attestation(r) if r.contains(reason)),
        "{refused:?}"
    );
    assert_eq!(digest(member), before, "a refused join changed the state");
    assert_eq!(
        error(joiner.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
}

#[test]
fn allowed_measurement_joins_and_holds_the_same_keys() {
    let w = world();
    let (mut a, _, g) = member(&w, &w.constitution);
    let mut b = core();
    // Before joining, the joiner has nothing.
    assert_eq!(
        error(b.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
    join(&mut a, &mut b);
    let EnclaveResponse::PublicKeys { public_keys } = b.handle(EnclaveRequest::PublicKeys) else {
        panic!("public keys")
    };
    assert_eq!(public_keys, g.public_keys);
    // The key-release key comes from the ledger secret: a data key wrapped for one
    // replica's release opens at every replica.
    let key_release_key = |core: &mut Enclave| {
        let EnclaveResponse::Evidence {
            key_release_key, ..
        } = core.handle(EnclaveRequest::Evidence { nonce: vec![7; 16] })
        else {
            panic!("evidence")
        };
        key_release_key
    };
    let released_at_a = key_release_key(&mut a);
    assert_eq!(released_at_a.len(), 32);
    assert_eq!(released_at_a, key_release_key(&mut b));
    // Another consortium's core (another ledger secret) has another one.
    let mut other = core();
    genesis(&mut other, &w.constitution);
    assert_ne!(released_at_a, key_release_key(&mut other));
    // Joining twice is refused.
    assert_eq!(
        error(b.handle(EnclaveRequest::PrepareJoin)),
        EnclaveError::AlreadyInitialized
    );
}

#[test]
fn a_measurement_the_node_policy_does_not_list_is_refused_and_nothing_changes() {
    let w = world();
    let (mut a, _, _) = member(&w, &w.constitution);
    let mut other = core_with(&patched());
    assert_refused(&mut a, &mut other, "no [[allow]] entry");
}

#[test]
fn simulated_evidence_needs_allow_simulated() {
    let w = world();
    // Same allowed measurement, but the node policy refuses the simulation.
    let strict = node_policy(&[&code()]).replace("allow_simulated = true", "");
    let (mut a, _, _) = member(&w, &with_node_policy(&w, Some(strict)));
    assert_refused(&mut a, &mut core(), "");

    // And an empty node policy refuses everything.
    let (mut c, _, _) = member(&w, &with_node_policy(&w, Some(String::new())));
    assert_refused(&mut c, &mut core(), "");
}

#[test]
fn without_a_node_policy_no_node_joins() {
    let w = world();
    let (mut a, _, _) = member(&w, &with_node_policy(&w, None));
    assert_refused(&mut a, &mut core(), NO_NODE_POLICY);
    let constitution = governance_constitution(&w, &mut a);
    assert!(constitution.node_policy.is_none(), "{constitution:?}");
}

#[test]
fn a_core_that_applied_no_entry_admits_no_joiner() {
    // The node policy is on the ledger: before the genesis entry is applied, the core
    // cannot know it, whatever the constitution it made says.
    let w = world();
    let mut a = core();
    genesis(&mut a, &w.constitution);
    let mut b = core();
    let (evidence, key) = prepare(&mut b);
    assert!(matches!(
        error(request(&mut a, evidence, key)),
        EnclaveError::OutOfOrder(_)
    ));
}

#[test]
fn a_node_policy_that_does_not_parse_is_refused_at_genesis() {
    let w = world();
    let mut a = core();
    let refused = error(a.handle(EnclaveRequest::Genesis {
        constitution: with_node_policy(&w, Some("allow_simulated = maybe".into())),
    }));
    assert!(
        matches!(&refused, EnclaveError::InvalidConstitution(r) if r.starts_with("node_policy:")),
        "{refused:?}"
    );
    assert_eq!(
        error(a.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
}

#[test]
fn tampered_evidence_is_refused() {
    let w = world();
    let (mut a, _, _) = member(&w, &w.constitution);
    let mut b = core();
    let (mut evidence, key) = prepare(&mut b);
    // Flip one hex digit of the report data inside the sim evidence document.
    let text = String::from_utf8(evidence.bytes.clone()).unwrap();
    let start = text.find("\"report_data\": \"").unwrap() + "\"report_data\": \"".len();
    let mut bytes = evidence.bytes.clone();
    bytes[start] = if bytes[start] == b'0' { b'1' } else { b'0' };
    evidence.bytes = bytes;
    let refused = error(request(&mut a, evidence, key));
    assert!(
        matches!(refused, EnclaveError::Attestation(_)),
        "{refused:?}"
    );
}

#[test]
fn stale_evidence_is_refused() {
    let w = world();
    let (mut a, _, _) = member(&w, &w.constitution);
    let mut b = core();
    // Evidence of an earlier preparation, presented with the joiner's current key.
    let (stale, stale_key) = prepare(&mut b);
    let (_, key) = prepare(&mut b);
    let refused = error(request(&mut a, stale.clone(), key));
    assert!(
        matches!(&refused, EnclaveError::Attestation(reason) if reason.contains("joiner key")),
        "{refused:?}"
    );
    // Presented with its own (replaced) key, it gets secrets the joiner cannot open.
    let EnclaveResponse::SecretsWrapped { wrapped } = request(&mut a, stale, stale_key) else {
        panic!("wrap")
    };
    assert!(matches!(
        error(b.handle(EnclaveRequest::Join { wrapped })),
        EnclaveError::InvalidRequest(_)
    ));
    assert_eq!(
        error(b.handle(EnclaveRequest::PublicKeys)),
        EnclaveError::NoSecrets
    );
}

#[test]
fn evidence_must_bind_the_joiner_key() {
    let w = world();
    let (mut a, _, _) = member(&w, &w.constitution);
    let mut b = core();
    let mut mallory = core();
    let (evidence, _) = prepare(&mut b);
    let (_, mallory_key) = prepare(&mut mallory);
    // Valid evidence of an allowed core, presented with someone else's key.
    let refused = error(request(&mut a, evidence, mallory_key));
    assert!(
        matches!(&refused, EnclaveError::Attestation(reason) if reason.contains("joiner key")),
        "{refused:?}"
    );

    // Secrets wrapped for `b` do not open on another core.
    let (evidence, key) = prepare(&mut b);
    let EnclaveResponse::SecretsWrapped { wrapped } = request(&mut a, evidence, key) else {
        panic!("wrap")
    };
    let mut c = core();
    prepare(&mut c);
    assert!(matches!(
        error(c.handle(EnclaveRequest::Join {
            wrapped: wrapped.clone()
        })),
        EnclaveError::InvalidRequest(_)
    ));
    assert!(matches!(
        b.handle(EnclaveRequest::Join { wrapped }),
        EnclaveResponse::Joined { .. }
    ));
}

#[test]
fn the_node_policy_a_vote_enacts_decides_later_joins() {
    let w = world();
    // One organization's vote carries a proposal, so the admin's proposal is enacted.
    let constitution = Constitution {
        threshold: Threshold::AtLeast { organizations: 1 },
        ..w.constitution.clone()
    };
    let (mut a, mut ledger, g) = member(&w, &constitution);
    assert_refused(&mut a, &mut core_with(&patched()), "no [[allow]] entry");

    // The consortium replaces the node policy: the patched build only.
    let policy = node_policy(&[&patched()]);
    let propose = PreparedRequest::governance(
        &g.public_keys.transaction_key,
        &w.admin,
        Purpose::Transaction,
        serde_json::json!({
            "op": "propose",
            "change": {"change": "set_node_policy", "policy": policy},
        })
        .to_string(),
    )
    .unwrap();
    let executed = commit(&mut a, &mut ledger, w.now_ms + 1, &propose.payload);
    let Reply::Accept(reply) = propose.open_response(&executed.response).unwrap() else {
        panic!("proposal refused")
    };
    let view: ProposalView = serde_json::from_slice(&reply).unwrap();
    assert_eq!(view.status, ProposalStatus::Enacted, "{view:?}");
    assert_eq!(
        governance_constitution(&w, &mut a).node_policy,
        Some(policy)
    );

    // The joiner refused before is accepted; the build accepted before is refused.
    join(&mut a, &mut core_with(&patched()));
    assert_refused(&mut a, &mut core(), "no [[allow]] entry");
}

/// The constitution as a member reads it.
fn governance_constitution(
    w: &World,
    core: &mut Enclave,
) -> strongroom_enclave::governance::ConstitutionView {
    let EnclaveResponse::PublicKeys { public_keys } = core.handle(EnclaveRequest::PublicKeys)
    else {
        panic!("public keys")
    };
    let query = PreparedRequest::governance(
        &public_keys.transaction_key,
        &w.alice,
        Purpose::Query,
        br#"{"op":"constitution"}"#.to_vec(),
    )
    .unwrap();
    let EnclaveResponse::Answer { response } = core.handle(EnclaveRequest::Query {
        envelope: query.payload.clone(),
        host_time_ms: 0,
    }) else {
        panic!("query")
    };
    let Reply::Accept(bytes) = query.open_response(&response).unwrap() else {
        panic!("constitution refused")
    };
    serde_json::from_slice(&bytes).unwrap()
}
