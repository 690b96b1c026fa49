//! The JSON a client sends: [`Invocation`] (transactions) and [`Query`] (reads), and the
//! structs they carry.
//!
//! Every struct refuses unknown fields. Binary values (digests, measurements, public
//! keys, wrapped keys, result ciphertext) are lowercase hex strings; the contract checks
//! their length. Identifiers are the strings the contract returned when it created the
//! thing (`ds-…`, `alg-…`, `req-…`, `grant-…`, `task-…`).

use serde::{Deserialize, Serialize};

mod dataset;
mod task;

pub use dataset::{
    CatalogSearch, Consent, DatasetFile, DatasetKind, GenomeSummary, PublishMemberKey,
    RegisterDataset, ReserveLocations, ShareOrgKey, UpdateDataset, WithdrawConsent, WrappedKey,
};
pub use task::{
    AlgorithmKind, ApprovePermission, ApproveTask, ClaimTask, ExecutionMode, Outcome, OutputRule,
    Port, Recipient, RegisterAlgorithm, RejectPermission, RejectTask, RequestPermission,
    RequestTask, RevokeGrant, Scope, TimeRange, WriteResult,
};

/// A transaction: one state-changing operation, tagged by `"op"`.
///
/// ```
/// use strongroom_contract::sharing::Invocation;
///
/// let json = r#"{"op":"approve_permission","request":"req-00112233445566ff"}"#;
/// let invocation: Invocation = serde_json::from_str(json)?;
/// assert!(matches!(invocation, Invocation::ApprovePermission(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Invocation {
    /// Turns a pending permission request into a grant (owner or admin of the
    /// dataset's organization). Answers [`Created`](super::Created) with the grant id.
    ApprovePermission(ApprovePermission),
    /// Approves a task's inputs that belong to the caller's organization (owner or
    /// admin). Answers the [`TaskView`](super::TaskView).
    ApproveTask(ApproveTask),
    /// Claims an approved task for execution (an executor of the owner organization, or
    /// an attested worker). Answers the [`TaskView`](super::TaskView), with the inputs'
    /// wrapped keys.
    ClaimTask(ClaimTask),
    /// Publishes the caller's own X25519 member key, to which an owner may share the
    /// organization's data key. Answers the [`MemberKeyView`](super::MemberKeyView).
    PublishMemberKey(PublishMemberKey),
    /// Registers an algorithm (any member). Answers [`Created`](super::Created).
    RegisterAlgorithm(RegisterAlgorithm),
    /// Registers a dataset (owner role). Answers [`Created`](super::Created).
    RegisterDataset(RegisterDataset),
    /// Rejects a pending permission request. Answers the
    /// [`RequestView`](super::RequestView).
    RejectPermission(RejectPermission),
    /// Rejects a task that has not started. Answers the [`TaskView`](super::TaskView).
    RejectTask(RejectTask),
    /// Asks the owner of a dataset for a permission (analyst role). Answers
    /// [`Created`](super::Created) with the request id.
    RequestPermission(RequestPermission),
    /// Asks for an analysis (analyst role). Answers [`Created`](super::Created) with the
    /// task id.
    RequestTask(RequestTask),
    /// Reserves fresh, unguessable object locations for the caller's organization, to
    /// upload a dataset's files into and then register them (owner role). Answers
    /// [`Reserved`](super::Reserved).
    ReserveLocations(ReserveLocations),
    /// Revokes a grant (owner or admin of the dataset's organization). Answers the
    /// [`GrantView`](super::GrantView).
    RevokeGrant(RevokeGrant),
    /// Stores the organization's data key wrapped to the published member key of a
    /// member of the same organization (owner or admin). Answers the
    /// [`OrgKeyShareView`](super::OrgKeyShareView).
    ShareOrgKey(ShareOrgKey),
    /// Changes a dataset's metadata, consent or wrapped keys (owner role of the owning
    /// organization). Answers the [`DatasetView`](super::DatasetView).
    UpdateDataset(UpdateDataset),
    /// Withdraws a dataset's consent for good (owner role of the owning organization).
    /// Answers the [`DatasetView`](super::DatasetView).
    WithdrawConsent(WithdrawConsent),
    /// Records the outcome of a running task (its claimant only). Answers the
    /// [`TaskView`](super::TaskView).
    WriteResult(WriteResult),
}

impl Invocation {
    /// Parses an invocation's JSON, with the same outcome as `serde_json::from_slice`
    /// (the same value, or the same error). When `"op"` comes first, as clients write
    /// it, the rest of the object is read straight into the operation's struct; serde's
    /// internally tagged path would first buffer the whole object in a generic tree.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        macro_rules! direct {
            ($($name:literal => $variant:ident),* $(,)?) => {
                if let Some((op, body)) = split_leading_op(bytes) {
                    let parsed = match op {
                        $($name => serde_json::from_slice(&body).map(Self::$variant),)*
                        _ => return serde_json::from_slice(bytes),
                    };
                    // An error is reported by the tagged path, with its positions.
                    if parsed.is_ok() {
                        return parsed;
                    }
                }
            };
        }
        direct! {
            "approve_permission" => ApprovePermission,
            "approve_task" => ApproveTask,
            "claim_task" => ClaimTask,
            "publish_member_key" => PublishMemberKey,
            "register_algorithm" => RegisterAlgorithm,
            "register_dataset" => RegisterDataset,
            "reject_permission" => RejectPermission,
            "reject_task" => RejectTask,
            "request_permission" => RequestPermission,
            "request_task" => RequestTask,
            "reserve_locations" => ReserveLocations,
            "revoke_grant" => RevokeGrant,
            "share_org_key" => ShareOrgKey,
            "update_dataset" => UpdateDataset,
            "withdraw_consent" => WithdrawConsent,
            "write_result" => WriteResult,
        }
        serde_json::from_slice(bytes)
    }
}

/// Splits `{"op":"<name>",<members>}` into the name and `{<members>}`, and
/// `{"op":"<name>"}` into the name and `{}` (anything after the object is kept, for the
/// parser to refuse). `None` for any other shape, such as `"op"` not first, spaces
/// around it, or an escaped name. The result is valid JSON exactly when the input is.
fn split_leading_op(bytes: &[u8]) -> Option<(&str, Vec<u8>)> {
    let rest = bytes.strip_prefix(br#"{"op":""#)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let (name, after) = rest.split_at(end);
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_lowercase() || *b == b'_') {
        return None;
    }
    let name = std::str::from_utf8(name).ok()?;
    let after = after.get(1..)?;
    let members = match after.first()? {
        b'}' => after,
        b',' => {
            let members = after.get(1..)?;
            // The next member's key must follow: `{"op":"x",}` stays invalid.
            let first = members.iter().find(|b| !b.is_ascii_whitespace())?;
            if *first != b'"' {
                return None;
            }
            members
        }
        _ => return None,
    };
    let mut body = Vec::with_capacity(members.len() + 1);
    body.push(b'{');
    body.extend_from_slice(members);
    Some((name, body))
}

/// A read-only query, tagged by `"op"`.
///
/// ```
/// use strongroom_contract::sharing::Query;
///
/// let query: Query = serde_json::from_str(r#"{"op":"get_task","id":"task-0011223344556677"}"#)?;
/// assert_eq!(query, Query::GetTask { id: "task-0011223344556677".into() });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// Every recorded event touching a dataset (its organization's admins, owners and
    /// auditors only), oldest first. Answers [`AuditTrail`](super::AuditTrail).
    AuditTrail {
        /// The dataset.
        dataset: String,
        /// Only events after this ledger sequence number (the previous page's `next`).
        #[serde(default)]
        after: Option<u64>,
        /// At most this many events (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// One algorithm (public metadata). Answers [`AlgorithmView`](super::AlgorithmView).
    GetAlgorithm {
        /// The algorithm id.
        id: String,
    },
    /// One dataset: the catalog view for any member while it is in the catalog, the full
    /// view (with wrapped keys and revision) for its organization's admins, owners and
    /// auditors. File locations and the privacy budget are shown only to the members of
    /// its organization (locations only to those who may read its objects). Answers
    /// [`DatasetView`](super::DatasetView).
    GetDataset {
        /// The dataset id.
        id: String,
    },
    /// The published member key of a member of the caller's own organization. Answers
    /// [`MemberKeyView`](super::MemberKeyView).
    GetMemberKey {
        /// The member's name.
        name: String,
    },
    /// The organization data key shared with the caller, if one was. Answers
    /// [`OrgKeyShareView`](super::OrgKeyShareView).
    GetOrgKeyShare,
    /// One permission request and its grant (the requester, and the dataset
    /// organization's admins, owners and auditors). Answers
    /// [`RequestView`](super::RequestView).
    GetRequest {
        /// The request id.
        id: String,
    },
    /// One task (its parties only). Answers [`TaskView`](super::TaskView).
    GetTask {
        /// The task id.
        id: String,
    },
    /// Registered algorithms, by id. Answers [`AlgorithmList`](super::AlgorithmList).
    ListAlgorithms {
        /// Only algorithms whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// For an analyst, the requests it made; for an owner or admin, the requests
    /// awaiting its organization's decision. Answers [`RequestList`](super::RequestList).
    ListMyRequests {
        /// Only requests whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// For an analyst, the tasks it requested; for an owner or admin, the tasks awaiting
    /// its organization's approval; for an executor, the owner-side tasks of its
    /// organization that are approved and claimable, and the tasks it claimed and has
    /// not finished. Answers [`TaskList`](super::TaskList).
    ListMyTasks {
        /// Only tasks whose id sorts after this one (the previous page's `next`).
        #[serde(default)]
        after: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// The result of a task (its recipients only). Answers
    /// [`ResultView`](super::ResultView).
    ReadResult {
        /// The task id.
        task: String,
    },
    /// The catalog: consented, active datasets (any member). Answers
    /// [`CatalogPage`](super::CatalogPage).
    SearchCatalog(CatalogSearch),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_leading_op_is_split_from_the_members() {
        let split = |json: &str| {
            split_leading_op(json.as_bytes())
                .map(|(op, body)| (op.to_owned(), String::from_utf8(body).unwrap()))
        };
        assert_eq!(
            split(r#"{"op":"approve_task","task":"task-1"}"#),
            Some(("approve_task".into(), r#"{"task":"task-1"}"#.into()))
        );
        assert_eq!(
            split(r#"{"op":"claim_task", "task":"t"} "#),
            Some(("claim_task".into(), r#"{ "task":"t"} "#.into()))
        );
        assert_eq!(split(r#"{"op":"x"}"#), Some(("x".into(), "{}".into())));
        for other in [
            r#"{"task":"t","op":"approve_task"}"#,
            r#"{ "op":"approve_task","task":"t"}"#,
            r#"{"op":"approve_task",}"#,
            r#"{"op":"approve_task", }"#,
            r#"{"op":"approve_task""task":"t"}"#,
            r#"{"op":"appro\u0076e_task","task":"t"}"#,
            r#"{"op":"Approve","task":"t"}"#,
            r#"{"op":"","task":"t"}"#,
            r#"{"op":"approve_task"#,
            r#"{"op":7}"#,
        ] {
            assert_eq!(split(other), None, "{other}");
        }
    }

    #[test]
    fn the_direct_path_reads_the_operation_struct() {
        let json = br#"{"op":"approve_task","task":"task-0011223344556677"}"#;
        let (op, body) = split_leading_op(json).unwrap();
        assert_eq!(op, "approve_task");
        let direct: ApproveTask = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            Invocation::from_json(json).unwrap(),
            Invocation::ApproveTask(direct)
        );
    }
}
