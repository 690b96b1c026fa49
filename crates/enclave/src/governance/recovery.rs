//! The recovery configuration (`set_recovery`): who holds shares of the service
//! secrets and how many of them recover the secrets. Kept at `cfg/recovery` as JSON;
//! the shares themselves are never stored (see [`crate::recovery`]).

use serde::{Deserialize, Serialize};
use strongroom_contract::{ContractError, State};

use super::{RecoveryView, invalid, json, load, organization_key, valid_msp_id};

/// The core-state key of the recovery configuration.
pub(crate) const RECOVERY_KEY: &[u8] = b"cfg/recovery";
/// The longest member name (as the contract's names).
const MAX_NAME: usize = 256;

/// The member keys the contract holds: `(MSP id, name)` to the X25519 key that member
/// published, if any.
pub(crate) type MemberKeys<'a> = &'a dyn Fn(&str, &str) -> Option<[u8; 32]>;

/// What `cfg/recovery` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecoveryConfig {
    pub(crate) threshold: u32,
    pub(crate) members: Vec<String>,
    pub(crate) version: u64,
}

impl RecoveryConfig {
    /// The share index (from 1) of `msp_id/name`, if the configuration names it.
    pub(crate) fn index_of(&self, msp_id: &str, name: &str) -> Option<usize> {
        self.members
            .iter()
            .position(|m| parse_member(m) == Some((msp_id, name)))
            .map(|position| position + 1)
    }
}

/// `MSP/name`: an MSP id as governance takes it and a name of 1 to 256 bytes without
/// control characters.
pub(crate) fn parse_member(member: &str) -> Option<(&str, &str)> {
    let (msp_id, name) = member.split_once('/')?;
    let name_ok = (1..=MAX_NAME).contains(&name.len()) && !name.chars().any(char::is_control);
    (valid_msp_id(msp_id) && name_ok).then_some((msp_id, name))
}

/// Checks a `set_recovery` change's fields.
pub(crate) fn check(threshold: u32, members: &[String]) -> Result<(), ContractError> {
    if members.is_empty() || members.len() > 255 {
        return Err(invalid(
            "change.members",
            format!("{} members; name 1 to 255", members.len()),
        ));
    }
    for (i, member) in members.iter().enumerate() {
        let field = format!("change.members[{i}]");
        if parse_member(member).is_none() {
            return Err(invalid(
                &field,
                format!(
                    "{member:?} is not MSP/name (an MSP id of 1 to 64 ASCII letters, digits, \
                     '.', '-' and '_', a '/', a name of 1 to 256 bytes)"
                ),
            ));
        }
        if members[..i].contains(member) {
            return Err(invalid(&field, format!("{member} is listed twice")));
        }
    }
    if threshold == 0 || usize::try_from(threshold).unwrap_or(usize::MAX) > members.len() {
        return Err(invalid(
            "change.threshold",
            format!(
                "{threshold} must be 1 to the number of members ({})",
                members.len()
            ),
        ));
    }
    Ok(())
}

/// Whether every member belongs to an organization of the consortium and has
/// published a member key (at the proposal and again when it is enacted).
pub(crate) fn applicable(
    state: &dyn State,
    members: &[String],
    member_keys: MemberKeys<'_>,
) -> Result<(), String> {
    for (i, member) in members.iter().enumerate() {
        let Some((msp_id, name)) = parse_member(member) else {
            return Err(format!("change.members[{i}]: {member:?} is not MSP/name"));
        };
        if state.get_ref(&organization_key(msp_id)).is_none() {
            return Err(format!(
                "change.members[{i}]: {msp_id} is not an organization of the consortium"
            ));
        }
        if member_keys(msp_id, name).is_none() {
            return Err(format!(
                "change.members[{i}]: {member} has published no member key (shares are \
                 encrypted to it: the member runs `strongroom org data-key publish` first)"
            ));
        }
    }
    Ok(())
}

/// The recovery configuration now, if any.
pub(crate) fn config(state: &dyn State) -> Result<Option<RecoveryConfig>, ContractError> {
    load(state, RECOVERY_KEY)
}

/// Replaces the configuration; its version is one more than the one it replaces.
pub(crate) fn enact(
    state: &mut dyn State,
    threshold: u32,
    members: &[String],
) -> Result<(), ContractError> {
    let version = config(state)?.map_or(1, |old| old.version.saturating_add(1));
    let record = RecoveryConfig {
        threshold,
        members: members.to_vec(),
        version,
    };
    state.put(RECOVERY_KEY.to_vec(), json(&record)?);
    Ok(())
}

/// The configuration as [`super::ConstitutionView`] shows it.
pub(crate) fn view(state: &dyn State) -> Result<Option<RecoveryView>, ContractError> {
    Ok(config(state)?.map(|c| RecoveryView {
        threshold: c.threshold,
        members: c.members,
        version: c.version,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn members_are_msp_slash_name() {
        assert_eq!(parse_member("Org1MSP/alice"), Some(("Org1MSP", "alice")));
        assert_eq!(parse_member("Org1MSP/a/b"), Some(("Org1MSP", "a/b")));
        for bad in [
            "Org1MSP",
            "/alice",
            "Org1MSP/",
            "Org 1/alice",
            "Org1MSP/a\nb",
        ] {
            assert_eq!(parse_member(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_changes_name_their_field() {
        let members = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let cases = [
            (2, members(&[]), "change.members:"),
            (1, members(&["Org1MSP/a", "nobody"]), "change.members[1]:"),
            (
                1,
                members(&["Org1MSP/a", "Org1MSP/a"]),
                "change.members[1]:",
            ),
            (0, members(&["Org1MSP/a"]), "change.threshold:"),
            (2, members(&["Org1MSP/a"]), "change.threshold:"),
        ];
        for (threshold, members, field) in cases {
            let error = check(threshold, &members).unwrap_err().to_string();
            assert!(error.contains(field), "{error}");
        }
        check(2, &members(&["Org1MSP/a", "Org2MSP/a"])).unwrap();
    }
}
