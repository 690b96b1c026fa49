//! Seeds of the contract's JSON: invocations and queries by each caller.

use super::Seeds;
use crate::fixture;

/// One query of each kind, on the contract fixture's ids.
pub(super) fn contract_queries() -> Vec<String> {
    let ids = &fixture::contract().ids;
    let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
    vec![
        r#"{"op":"search_catalog","kind":"csv"}"#.to_owned(),
        format!(r#"{{"op":"get_dataset","id":"{}"}}"#, id(0)),
        format!(r#"{{"op":"get_algorithm","id":"{}"}}"#, id(1)),
        format!(r#"{{"op":"get_request","id":"{}"}}"#, id(2)),
        format!(r#"{{"op":"get_task","id":"{}"}}"#, id(4)),
        format!(r#"{{"op":"read_result","task":"{}"}}"#, id(4)),
        format!(r#"{{"op":"audit_trail","dataset":"{}","limit":5}}"#, id(0)),
        r#"{"op":"list_algorithms","limit":2}"#.to_owned(),
        r#"{"op":"list_my_requests"}"#.to_owned(),
        r#"{"op":"list_my_tasks","after":"task-0"}"#.to_owned(),
    ]
}

pub(super) fn contract_seeds(out: &mut Seeds) {
    let fixture = fixture::contract();
    let ids = &fixture.ids;
    let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
    let mut invocations: Vec<(u8, String)> = fixture::contract_setup_invocations()
        .into_iter()
        .map(|(who, json)| (who as u8, fixture::substitute(json, ids, &fixture.location)))
        .collect();
    invocations.extend([
        (0, format!(r#"{{"op":"approve_task","task":"{}"}}"#, id(4))),
        (3, format!(r#"{{"op":"claim_task","task":"{}"}}"#, id(4))),
        (0, format!(r#"{{"op":"reject_task","task":"{}","reason":"no"}}"#, id(4))),
        (0, format!(r#"{{"op":"revoke_grant","grant":"{}"}}"#, id(3))),
        (
            0,
            format!(
                r#"{{"op":"update_dataset","id":"{}","labels":["genomics"],"description":"new"}}"#,
                id(0)
            ),
        ),
        (0, format!(r#"{{"op":"withdraw_consent","id":"{}"}}"#, id(0))),
        (
            3,
            format!(
                r#"{{"op":"write_result","task":"{}","outcome":{{"status":"failed","reason":"bad row 7"}}}}"#,
                id(4)
            ),
        ),
        (
            3,
            format!(
                r#"{{"op":"write_result","task":"{}","outcome":{{"status":"succeeded","ciphertext":"00ff","ciphertext_sha256":"{}","evidence_ref":"sha256:e"}}}}"#,
                id(4),
                "cd".repeat(32)
            ),
        ),
        (
            1,
            format!(
                r#"{{"op":"reject_permission","request":"{}","reason":"no"}}"#,
                id(2)
            ),
        ),
        // "op" last: the tagged parse, not the direct one.
        (0, format!(r#"{{"id":"{}","op":"withdraw_consent"}}"#, id(0))),
    ]);
    for (i, (who, json)) in invocations.iter().enumerate() {
        let mut seed = vec![*who];
        seed.extend_from_slice(json.as_bytes());
        out.add("invocation", format!("invocation-{i}"), seed);
    }
    for (i, query) in contract_queries().iter().enumerate() {
        let mut seed = vec![0b1000 | (i % 6) as u8];
        seed.extend_from_slice(query.as_bytes());
        out.add("invocation", format!("query-{i}"), seed);
    }
}
