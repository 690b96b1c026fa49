//! Every TOML example of `docs/formats/attestation-policy.md` is a policy
//! `Policy::from_toml` accepts, so the format page cannot drift from the parser
//! without a test failing; and the defaults it states are the parser's.
#![allow(clippy::unwrap_used)]

use strongroom_tee::{Policy, TcbStatus};

fn page() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/formats/attestation-policy.md"
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_toml_example_of_the_format_page_parses() {
    let page = page();
    let mut examples = 0;
    let mut rest = page.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + "```toml\n".len()..];
        let end = body.find("```").unwrap();
        let policy = Policy::from_toml(&body[..end])
            .unwrap_or_else(|e| panic!("example {examples} does not parse: {e}"));
        assert!(!policy.allow_simulated() && !policy.allow_debug());
        examples += 1;
        rest = &body[end..];
    }
    assert!(examples >= 1, "the page has no TOML example");
}

#[test]
fn the_defaults_the_page_states_are_the_parsers() {
    let page = page();
    let empty = Policy::from_toml("").unwrap();
    assert_eq!(empty, Policy::default());
    for row in [
        "| `allow_simulated` | boolean | `false` |",
        "| `allow_debug` | boolean | `false` |",
        "| `accepted_tcb_status` | array of strings | `[\"UpToDate\"]` |",
        "| `allow` | array of tables (`[[allow]]`) | empty |",
    ] {
        assert!(page.contains(row), "the page lost the row {row}");
    }
    assert!(!empty.allow_simulated() && !empty.allow_debug());
    assert_eq!(empty.accepted_tcb_status(), [TcbStatus::UpToDate]);
    assert!(empty.allowed().is_empty());
    // Every status the parser knows is named on the page.
    for status in TcbStatus::ALL {
        assert!(page.contains(&format!("`{}`", status.name())), "{status}");
    }
}
