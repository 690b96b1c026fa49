//! What each [`ProposedChange`] needs and does: its fields' checks (the invocation
//! alone), whether it applies to the state (at the proposal and again when it is
//! enacted), and its enactment.

use strongroom_contract::{ContractError, State};
use strongroom_identity::verify_root;
use strongroom_tee::Policy;

use super::{
    Env, ProposedChange, Revocation, THRESHOLD_KEY, Threshold, defaults, invalid, json, nodes,
    organization_key, organizations, pem_to_der, recovery, refused, revoked_key, time_of,
    valid_msp_id,
};
use crate::core::NODE_POLICY_KEY;
use crate::worker::WORKER_POLICY_KEY;

const MAX_CA_PEM: usize = 16 * 1024;
const MAX_POLICY: usize = 16 * 1024;

/// Checks a change's fields (the invocation alone); answers the DER of an added
/// organization's CA.
pub(super) fn check(change: &ProposedChange) -> Result<Option<Vec<u8>>, ContractError> {
    match change {
        ProposedChange::AddOrganization {
            msp_id,
            ca_cert_pem,
        } => {
            if !valid_msp_id(msp_id) {
                return Err(invalid(
                    "change.msp_id",
                    "must be 1 to 64 of ASCII letters, digits, '.', '-' and '_'",
                ));
            }
            if ca_cert_pem.len() > MAX_CA_PEM {
                return Err(invalid("change.ca_cert_pem", "is larger than 16 KiB"));
            }
            pem_to_der(ca_cert_pem)
                .map(Some)
                .map_err(|e| invalid("change.ca_cert_pem", e))
        }
        ProposedChange::AddNode { node_id } | ProposedChange::RemoveNode { node_id } => {
            nodes::check(*node_id)?;
            Ok(None)
        }
        ProposedChange::RemoveOrganization { msp_id } => {
            if valid_msp_id(msp_id) {
                Ok(None)
            } else {
                Err(invalid(
                    "change.msp_id",
                    "must be 1 to 64 of ASCII letters, digits, '.', '-' and '_'",
                ))
            }
        }
        ProposedChange::RevokeMember { certificate_sha256 } => {
            let hex_ok = certificate_sha256.len() == 64
                && certificate_sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if hex_ok {
                Ok(None)
            } else {
                Err(invalid(
                    "change.certificate_sha256",
                    "expected 64 lowercase hex digits",
                ))
            }
        }
        ProposedChange::SetDefaults {
            min_cell_size,
            epsilon_budget_micro,
            no_privacy_budget,
        } => {
            defaults::check(*min_cell_size, *epsilon_budget_micro, *no_privacy_budget)?;
            Ok(None)
        }
        ProposedChange::SetNodeAdmission { .. } => Ok(None),
        ProposedChange::SetNodePolicy { policy } | ProposedChange::SetWorkerPolicy { policy } => {
            check_policy(policy).map_err(|e| invalid("change.policy", e))?;
            Ok(None)
        }
        ProposedChange::SetRecovery { threshold, members } => {
            recovery::check(*threshold, members)?;
            Ok(None)
        }
        ProposedChange::SetThreshold { threshold } => match threshold {
            Threshold::AtLeast { organizations: 0 } => Err(invalid(
                "change.threshold.organizations",
                "must be at least 1",
            )),
            _ => Ok(None),
        },
    }
}

/// Checks a node or worker policy's text: its size and that it parses as a policy.
pub(crate) fn check_policy(policy: &str) -> Result<(), String> {
    if policy.len() > MAX_POLICY {
        return Err("is larger than 16 KiB".into());
    }
    Policy::from_toml(policy)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Whether `change` applies to the state now; why not otherwise.
pub(super) fn applicable(
    state: &dyn State,
    change: &ProposedChange,
    env: &Env<'_>,
) -> Result<(), String> {
    let present = |msp_id: &str| state.get_ref(&organization_key(msp_id)).is_some();
    match change {
        ProposedChange::AddOrganization {
            msp_id,
            ca_cert_pem,
        } => {
            if present(msp_id) {
                return Err(format!("organization {msp_id} is already present"));
            }
            let der = pem_to_der(ca_cert_pem)?;
            verify_root(&der, msp_id, time_of(env.now_ms)).map_err(|e| e.to_string())
        }
        ProposedChange::RemoveNode { node_id } => nodes::applicable(state, *node_id, &env.cluster),
        ProposedChange::RemoveOrganization { msp_id } => {
            if !present(msp_id) {
                return Err(format!("organization {msp_id} is not present"));
            }
            if organizations(state).len() <= 1 {
                return Err("the last organization cannot be removed".into());
            }
            Ok(())
        }
        ProposedChange::RevokeMember { certificate_sha256 } => {
            if state.get_ref(&revoked_key(certificate_sha256)).is_some() {
                return Err(format!(
                    "certificate {certificate_sha256} is already revoked"
                ));
            }
            Ok(())
        }
        ProposedChange::AddNode { node_id } => nodes::admissible(state, *node_id, &env.cluster),
        ProposedChange::SetDefaults { .. }
        | ProposedChange::SetNodeAdmission { .. }
        | ProposedChange::SetNodePolicy { .. } => Ok(()),
        ProposedChange::SetRecovery { members, .. } => {
            recovery::applicable(state, members, env.member_keys)
        }
        ProposedChange::SetThreshold { threshold } => match threshold {
            Threshold::AtLeast { organizations: n }
                if usize::try_from(*n).unwrap_or(usize::MAX) > organizations(state).len() =>
            {
                Err(format!(
                    "a threshold of {n} organizations is more than the {} there are",
                    organizations(state).len()
                ))
            }
            _ => Ok(()),
        },
        ProposedChange::SetWorkerPolicy { .. } => Ok(()),
    }
}

/// Makes `change`, proposal `id`, take effect.
pub(super) fn enact(
    state: &mut dyn State,
    id: &str,
    change: &ProposedChange,
    env: &Env<'_>,
) -> Result<(), ContractError> {
    match change {
        ProposedChange::AddOrganization {
            msp_id,
            ca_cert_pem,
        } => {
            let der = pem_to_der(ca_cert_pem).map_err(refused)?;
            state.put(organization_key(msp_id), der);
        }
        ProposedChange::AddNode { node_id } => nodes::admit(state, *node_id, id, env)?,
        ProposedChange::RemoveNode { node_id } => nodes::enact(state, *node_id, id, env)?,
        ProposedChange::RemoveOrganization { msp_id } => state.delete(&organization_key(msp_id)),
        ProposedChange::RevokeMember { certificate_sha256 } => state.put(
            revoked_key(certificate_sha256),
            json(&Revocation {
                revoked_at_ms: env.now_ms,
                proposal: id.to_owned(),
            })?,
        ),
        ProposedChange::SetDefaults {
            min_cell_size,
            epsilon_budget_micro,
            no_privacy_budget,
        } => defaults::enact(
            state,
            *min_cell_size,
            *epsilon_budget_micro,
            *no_privacy_budget,
        )?,
        ProposedChange::SetNodeAdmission { by_vote } => nodes::set_admission(state, *by_vote),
        ProposedChange::SetNodePolicy { policy } => {
            state.put(NODE_POLICY_KEY.to_vec(), policy.as_bytes().to_vec());
        }
        ProposedChange::SetRecovery { threshold, members } => {
            recovery::enact(state, *threshold, members)?;
        }
        ProposedChange::SetThreshold { threshold } => {
            state.put(THRESHOLD_KEY.to_vec(), json(threshold)?);
        }
        ProposedChange::SetWorkerPolicy { policy } => {
            state.put(WORKER_POLICY_KEY.to_vec(), policy.as_bytes().to_vec());
        }
    }
    Ok(())
}
