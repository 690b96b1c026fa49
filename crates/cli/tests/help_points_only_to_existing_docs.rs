//! Every `docs/...` path the `strongroom` command's `--help` mentions, on any
//! subcommand at any depth, exists in the repository; and so does every one the README,
//! the crates' sources and the docs themselves mention.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{output, strongroom, succeeded};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `docs/...` paths in `text`: `docs/` then path characters, ending in a letter
/// or digit (so that a sentence's full stop is not part of it).
fn doc_paths(text: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for (at, _) in text.match_indices("docs/") {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == '_')
        {
            continue;
        }
        let rest = &text[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        if path.len() > "docs/".len() {
            paths.insert(path.to_owned());
        }
    }
    paths
}

/// The subcommands a `--help` lists under "Commands:".
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A name is indented by two; a description's continuation by more.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn help_points_only_to_existing_docs() {
    let mut pending = vec![Vec::<String>::new()];
    let mut visited = 0;
    let mut mentioned = BTreeSet::new();
    while let Some(path) = pending.pop() {
        let out = output(&mut strongroom(path.iter().chain([&"--help".to_owned()])));
        let help = succeeded(&format!("strongroom {} --help", path.join(" ")), &out);
        visited += 1;
        for doc in doc_paths(&help) {
            assert!(
                repository().join(&doc).exists(),
                "`strongroom {} --help` points to {doc}, which does not exist",
                path.join(" ")
            );
            mentioned.insert(doc);
        }
        for sub in subcommands(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            pending.push(deeper);
        }
    }
    // The walk reached the leaves (node start, attest verify, ...) and found the
    // documents the help is known to name.
    assert!(visited > 30, "only {visited} help pages");
    for known in [
        "docs/formats/attestation-policy.md",
        "docs/formats/encrypted-object.md",
    ] {
        assert!(mentioned.contains(known), "{mentioned:?}");
    }
}

#[test]
fn readme_sources_and_docs_point_only_to_existing_docs() {
    let root = repository();
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("crates"), root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "md" || e == "json" || e == "toml")
            {
                files.push(path);
            }
        }
    }
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for doc in doc_paths(&text) {
            if !root.join(&doc).exists() {
                missing.push(format!("{} mentions {doc}", file.display()));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn doc_paths_are_found_whole() {
    let found = doc_paths(
        "See docs/api.md. Policy (TOML, see `docs/formats/attestation-policy.md`) or \
         https://example.invalid/docs/x.md and mydocs/y.md; docs/ alone.",
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["docs/api.md", "docs/formats/attestation-policy.md"]
    );
}
