//! Field validation. Every failure is `ContractError::Invalid("<field>: <what>")` and
//! depends on the invocation only, never on the state, so it tells nothing about what
//! exists.

use std::collections::HashSet;
use std::hash::Hash;

use crate::ContractError;

/// Longest description.
pub(crate) const MAX_DESCRIPTION: usize = 4 * 1024;
/// Longest name.
pub(crate) const MAX_NAME: usize = 256;
/// Longest reason.
pub(crate) const MAX_REASON: usize = 1024;
/// Most labels on a dataset.
pub(crate) const MAX_LABELS: usize = 32;
/// Most consent purposes.
pub(crate) const MAX_PURPOSES: usize = 32;
/// Most files in a dataset.
pub(crate) const MAX_FILES: usize = 64;
/// Most columns in a list.
pub(crate) const MAX_COLUMNS: usize = 1024;
/// Most columns over all files of a dataset (before merging repeats).
pub(crate) const MAX_DATASET_COLUMNS: usize = 4096;
/// Most contig names over the genome summaries of a dataset's files.
pub(crate) const MAX_DATASET_CONTIGS: usize = 4096;
/// Longest column name.
pub(crate) const MAX_COLUMN: usize = 128;
/// Most wrapped keys.
pub(crate) const MAX_WRAPPED_KEYS: usize = 16;
/// Largest wrapped key, decoded.
pub(crate) const MAX_WRAPPED_KEY: usize = 4 * 1024;
/// Most algorithms in a permission request.
pub(crate) const MAX_ALGORITHMS: usize = 32;
/// Most ports per direction.
pub(crate) const MAX_PORTS: usize = 16;
/// Most task inputs.
pub(crate) const MAX_INPUTS: usize = 64;
/// Most result recipients.
pub(crate) const MAX_RECIPIENTS: usize = 16;
/// Largest parameters object, serialized.
pub(crate) const MAX_PARAMETERS: usize = 16 * 1024;
/// Largest result ciphertext, decoded.
pub(crate) const MAX_CIPHERTEXT: usize = 512 * 1024;
/// Longest evidence reference.
pub(crate) const MAX_EVIDENCE_REF: usize = 512;

/// An `Invalid` error for `field`.
pub(crate) fn invalid(field: &str, what: impl std::fmt::Display) -> ContractError {
    ContractError::Invalid(format!("{field}: {what}"))
}

/// A text of `min..=max` bytes without control characters (tabs and newlines allowed
/// when `multiline`).
pub(crate) fn text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<(), ContractError> {
    if value.len() < min {
        return Err(if min == 1 {
            invalid(field, "must not be empty")
        } else {
            invalid(field, format!("must be at least {min} bytes"))
        });
    }
    if value.len() > max {
        return Err(invalid(
            field,
            format!("is {} bytes, at most {max} allowed", value.len()),
        ));
    }
    let bad = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r'));
    if value.chars().any(bad) {
        return Err(invalid(field, "contains a control character"));
    }
    Ok(())
}

/// A label or purpose: 1 to 64 of `a-z 0-9 - _ . :`.
pub(crate) fn label(field: &str, value: &str) -> Result<(), ContractError> {
    if value.is_empty() || value.len() > 64 {
        return Err(invalid(field, "must be 1 to 64 bytes"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.:".contains(&b))
    {
        return Err(invalid(
            field,
            format!("{value:?} may hold only a-z, 0-9, '-', '_', '.' and ':'"),
        ));
    }
    Ok(())
}

/// An organization's MSP id, as a filter: 1 to 64 of `A-Z a-z 0-9 - _ .` (no
/// separator of the index's keys).
pub(crate) fn msp_id(field: &str, value: &str) -> Result<(), ContractError> {
    if value.is_empty()
        || value.len() > 64
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(invalid(
            field,
            "must be an MSP id: 1 to 64 of A-Z, a-z, 0-9, '-', '_' and '.'",
        ));
    }
    Ok(())
}

/// A list of `min..=max` items.
pub(crate) fn count(field: &str, len: usize, min: usize, max: usize) -> Result<(), ContractError> {
    if len < min {
        return Err(if min == 1 {
            invalid(field, "must not be empty")
        } else {
            invalid(field, format!("needs at least {min} items"))
        });
    }
    if len > max {
        return Err(invalid(
            field,
            format!("has {len} items, at most {max} allowed"),
        ));
    }
    Ok(())
}

/// No item repeats (the first repeat, in order, is named). Linear in the items.
pub(crate) fn unique<T: Eq + Hash + std::fmt::Debug>(
    field: &str,
    items: &[T],
) -> Result<(), ContractError> {
    let mut seen = HashSet::with_capacity(items.len());
    for item in items {
        if !seen.insert(item) {
            return Err(invalid(field, format!("{item:?} appears twice")));
        }
    }
    Ok(())
}

/// Lowercase hex of exactly `bytes` bytes.
pub(crate) fn hex_exact(field: &str, value: &str, bytes: usize) -> Result<(), ContractError> {
    if value.len() != bytes * 2 || !is_lower_hex(value) {
        return Err(invalid(
            field,
            format!("expected {} lowercase hex digits", bytes * 2),
        ));
    }
    Ok(())
}

/// Lowercase hex of 1 to `max` bytes; answers the decoded length.
pub(crate) fn hex_bounded(field: &str, value: &str, max: usize) -> Result<usize, ContractError> {
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if !value.len().is_multiple_of(2) || !is_lower_hex(value) {
        return Err(invalid(
            field,
            "expected lowercase hex digits, an even number of them",
        ));
    }
    let len = value.len() / 2;
    if len > max {
        return Err(invalid(
            field,
            format!("is {len} bytes, at most {max} allowed"),
        ));
    }
    Ok(len)
}

fn is_lower_hex(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An id the contract made: `<prefix>-` and 16 lowercase hex digits.
pub(crate) fn id(field: &str, value: &str, prefix: &str) -> Result<(), ContractError> {
    let ok = value
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| hex.len() == super::store::ID_HEX_LEN && is_lower_hex(hex));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("expected an id of the form {prefix}-<16 lowercase hex digits>"),
        ))
    }
}

/// A page size: `default` when absent, 1 to `max` otherwise.
pub(crate) fn limit(
    value: Option<u32>,
    default: usize,
    max: usize,
) -> Result<usize, ContractError> {
    match value {
        None => Ok(default),
        Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
        Some(_) => Err(invalid("limit", format!("must be 1 to {max}"))),
    }
}

/// The words of a text for the catalog: lowercase runs of ASCII letters and digits of
/// 2 to 32 characters (longer runs are cut at 32), each once, in order.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if run.len() < 2 {
            continue;
        }
        let word: String = run
            .chars()
            .take(32)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_checks_case_and_length() {
        assert!(hex_exact("f", &"ab".repeat(32), 32).is_ok());
        assert!(hex_exact("f", &"AB".repeat(32), 32).is_err());
        assert!(hex_exact("f", &"ab".repeat(31), 32).is_err());
        assert_eq!(hex_bounded("f", "00ff", 4), Ok(2));
        assert!(hex_bounded("f", "0", 4).is_err());
        assert!(hex_bounded("f", "0000000000", 4).is_err());
    }

    #[test]
    fn ids_need_their_prefix() {
        assert!(id("dataset", "ds-0011223344556677", "ds").is_ok());
        assert!(id("dataset", "task-0011223344556677", "ds").is_err());
        assert!(id("dataset", "ds-00112233445566", "ds").is_err());
        assert_eq!(
            id("dataset", "x", "ds"),
            Err(ContractError::Invalid(
                "dataset: expected an id of the form ds-<16 lowercase hex digits>".into()
            ))
        );
    }

    #[test]
    fn words_are_lowercase_unique_and_at_least_two_long() {
        assert_eq!(
            words("Breast-cancer BRCA1 a cancer"),
            vec!["breast", "cancer", "brca1"]
        );
    }
}
