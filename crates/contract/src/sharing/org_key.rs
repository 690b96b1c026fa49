//! Member keys and shares of an organization's data key: how an owner provisions the
//! key its organization's analyzer needs, instead of copying a key file by hand.
//!
//! - `publish_member_key`: a member publishes its own X25519 public key.
//! - `share_org_key`: an owner or admin stores the organization's data key wrapped
//!   (HPKE, by the client) to the published key of another member of the same
//!   organization, replacing that member's earlier share. The contract never sees the
//!   key itself.
//! - `get_member_key`: the members of that organization only.
//! - `get_org_key_share`: the member it was shared with only.
//!
//! Members of another organization get `NotFoundOrDenied` for both queries, whether or
//! not anything exists: a key or a share tells them nothing.

use serde::{Deserialize, Serialize};

use super::api::{PublishMemberKey, ShareOrgKey};
use super::check::{self, invalid};
use super::store::{ADMIN, OWNER, encode, load, member_key, party};
use super::view::{MemberKeyView, OrgKeyShareView, Party};
use super::{Tx, reply};
use crate::{Caller, ContractError, State};

/// Largest wrapped organization key accepted, in bytes.
const MAX_WRAPPED: usize = 4096;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct MemberKeyRecord {
    public_key: String,
    published_at_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ShareRecord {
    wrapped_key: String,
    public_key: String,
    by: Party,
    shared_at_ms: u64,
}

fn key_key(msp_id: &str, name: &str) -> Vec<u8> {
    format!("mk/{}", member_key(msp_id, name)).into_bytes()
}

fn share_key(msp_id: &str, name: &str) -> Vec<u8> {
    format!("oks/{}", member_key(msp_id, name)).into_bytes()
}

/// `publish_member_key`: any member, its own key.
pub(crate) fn publish(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &PublishMemberKey,
) -> Result<Vec<u8>, ContractError> {
    check::hex_exact("public_key", &inv.public_key, 32)?;
    let caller = tx.caller();
    let record = MemberKeyRecord {
        public_key: inv.public_key.clone(),
        published_at_ms: tx.now,
    };
    state.put(key_key(&caller.msp_id, &caller.name), encode(&record)?);
    reply(&view_key(caller, &caller.name, record))
}

fn view_key(caller: &Caller, name: &str, record: MemberKeyRecord) -> MemberKeyView {
    MemberKeyView {
        member: Party {
            msp_id: caller.msp_id.clone(),
            name: name.to_owned(),
        },
        public_key: record.public_key,
        published_at_ms: record.published_at_ms,
    }
}

/// `share_org_key`: an owner or admin, to a member of its own organization that
/// published a key.
pub(crate) fn share(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &ShareOrgKey,
) -> Result<Vec<u8>, ContractError> {
    check::text("to", &inv.to, 1, check::MAX_NAME, false)?;
    let size = check::hex_bounded("wrapped_key", &inv.wrapped_key, MAX_WRAPPED)?;
    if size == 0 {
        return Err(invalid("wrapped_key", "must not be empty"));
    }
    let caller = tx.caller();
    if !matches!(caller.role.as_str(), OWNER | ADMIN) {
        return Err(ContractError::NotFoundOrDenied);
    }
    let Some(target) = load::<MemberKeyRecord>(state, &key_key(&caller.msp_id, &inv.to))? else {
        return Err(ContractError::Refused(format!(
            "{} of {} has published no member key (it runs `org data-key publish` first)",
            inv.to, caller.msp_id
        )));
    };
    if inv.public_key != target.public_key {
        return Err(ContractError::Refused(format!(
            "the key was wrapped to {}, but {} of {} has since published {}",
            inv.public_key, inv.to, caller.msp_id, target.public_key
        )));
    }
    let record = ShareRecord {
        wrapped_key: inv.wrapped_key.clone(),
        public_key: target.public_key,
        by: party(caller),
        shared_at_ms: tx.now,
    };
    state.put(share_key(&caller.msp_id, &inv.to), encode(&record)?);
    reply(&view_share(&caller.msp_id, &inv.to, record))
}

fn view_share(msp_id: &str, name: &str, record: ShareRecord) -> OrgKeyShareView {
    OrgKeyShareView {
        to: Party {
            msp_id: msp_id.to_owned(),
            name: name.to_owned(),
        },
        public_key: record.public_key,
        wrapped_key: record.wrapped_key,
        by: record.by,
        shared_at_ms: record.shared_at_ms,
    }
}

/// The key `name` of `msp_id` published, as bytes; `None` if it published none (or
/// its record does not decode, which the contract never writes).
pub(crate) fn published(state: &dyn State, msp_id: &str, name: &str) -> Option<[u8; 32]> {
    let record = load::<MemberKeyRecord>(state, &key_key(msp_id, name)).ok()??;
    let mut key = [0u8; 32];
    hex::decode_to_slice(&record.public_key, &mut key).ok()?;
    Some(key)
}

/// `get_member_key`: a member of the same organization.
pub(crate) fn get_key(
    caller: &Caller,
    state: &dyn State,
    name: &str,
) -> Result<Vec<u8>, ContractError> {
    check::text("name", name, 1, check::MAX_NAME, false)?;
    let record = load::<MemberKeyRecord>(state, &key_key(&caller.msp_id, name))?
        .ok_or(ContractError::NotFoundOrDenied)?;
    reply(&view_key(caller, name, record))
}

/// `get_org_key_share`: the member it was shared with.
pub(crate) fn get_share(caller: &Caller, state: &dyn State) -> Result<Vec<u8>, ContractError> {
    let record = load::<ShareRecord>(state, &share_key(&caller.msp_id, &caller.name))?
        .ok_or(ContractError::NotFoundOrDenied)?;
    reply(&view_share(&caller.msp_id, &caller.name, record))
}
