//! How `strongroom governance` prints proposals, the history and the constitution.

use strongroom_enclave::governance::{
    ConstitutionView, HistoryEntry, ProposalView, ProposedChange, Threshold, epsilon_text,
};

use super::super::net::table;

pub(super) fn proposals_table(items: &[ProposalView]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|p| {
            let approvals = p.votes.iter().filter(|v| v.approve).count();
            let rejections = p.votes.len() - approvals;
            vec![
                p.id.clone(),
                status(p),
                change_text(&p.change),
                format!(
                    "{approvals} for, {rejections} against, {} needed",
                    p.required
                ),
                format!("{}/{}", p.proposer.msp_id, p.proposer.name),
            ]
        })
        .collect();
    table(
        &["proposal", "status", "change", "votes", "proposed by"],
        &rows,
    )
}

fn status(p: &ProposalView) -> String {
    let text = serde_json::to_value(p.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    match &p.outcome {
        Some(outcome) => format!("{text} ({outcome})"),
        None => text,
    }
}

fn change_text(change: &ProposedChange) -> String {
    change.summary()
}

fn threshold_text(threshold: Threshold) -> String {
    threshold.text()
}

pub(super) fn history_text(items: &[HistoryEntry]) -> String {
    if items.is_empty() {
        return "no change has taken effect since genesis\n".into();
    }
    let mut out = String::new();
    for entry in items {
        out.push_str(&format!(
            "ledger entry {}  {}  {}\n  proposed by {}/{}\n",
            entry.sequence,
            entry.proposal,
            entry.summary,
            entry.proposer.msp_id,
            entry.proposer.name
        ));
        for vote in &entry.votes {
            out.push_str(&format!(
                "  {} {}/{} (ledger entry {})\n",
                if vote.approve { "for    " } else { "against" },
                vote.msp_id,
                vote.name,
                vote.sequence
                    .map_or_else(|| "unrecorded".to_owned(), |s| s.to_string())
            ));
        }
    }
    out
}

pub(super) fn constitution_text(c: &ConstitutionView) -> String {
    let rows: Vec<Vec<String>> = c
        .organizations
        .iter()
        .map(|o| vec![o.msp_id.clone(), o.ca_cert_sha256.clone()])
        .collect();
    let mut out = table(&["organization", "root CA SHA-256"], &rows);
    out.push_str(&format!(
        "threshold: {} ({} votes now)\nrevoked certificates: {}\n",
        threshold_text(c.threshold),
        c.required,
        c.revoked.len()
    ));
    for revoked in &c.revoked {
        out.push_str(&format!("  {revoked}\n"));
    }
    policy_text(
        &mut out,
        "node policy",
        c.node_policy.as_deref(),
        "no node may join",
    );
    policy_text(
        &mut out,
        "worker policy",
        c.worker_policy.as_deref(),
        "no worker gets a data key",
    );
    out.push_str(&format!(
        "dataset defaults: minimum cell size {}, privacy budget {}\n",
        c.defaults.min_cell_size,
        c.defaults
            .epsilon_budget_micro
            .map_or_else(|| "none".to_owned(), |m| format!("ε {}", epsilon_text(m)))
    ));
    if c.nodes_admitted_by_vote {
        let ids: Vec<String> = c.admitted_nodes.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "node admission: by vote; admitted nodes: {}\n",
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.join(", ")
            }
        ));
    } else {
        out.push_str("node admission: each organization adds its own nodes\n");
    }
    if !c.retired_nodes.is_empty() {
        let ids: Vec<String> = c.retired_nodes.iter().map(u64::to_string).collect();
        out.push_str(&format!("retired nodes: {}\n", ids.join(", ")));
    }
    match &c.recovery {
        None => out.push_str(
            "recovery: none (if every node's secrets are lost, the ledger cannot be opened)
",
        ),
        Some(r) => out.push_str(&format!(
            "recovery: any {} of {} (configuration {})
",
            r.threshold,
            r.members.join(", "),
            r.version
        )),
    }
    out
}

/// Appends `name` and its policy's lines to `out`, or says what having none means.
fn policy_text(out: &mut String, name: &str, policy: Option<&str>, without: &str) {
    match policy {
        None => out.push_str(&format!("{name}: none ({without})\n")),
        Some(policy) => {
            out.push_str(&format!("{name}:\n"));
            for line in policy.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
}
