//! The byte encodings of the ABI (`docs/formats/algorithm-abi.md`): rows the host
//! writes, groups and cell names the module passes. Pure functions, so that what a
//! module can send is checked in one place.

/// The module every import comes from.
pub const IMPORT_MODULE: &str = "strongroom";
/// The most labels a group has.
pub const MAX_LABELS: usize = 8;
/// The most bytes a label has.
pub const MAX_LABEL_BYTES: usize = 256;
/// The most bytes an encoded group has.
pub const MAX_GROUP_BYTES: usize = 4 + MAX_LABELS * (4 + MAX_LABEL_BYTES);
/// The most bytes a cell name has.
pub const MAX_NAME_BYTES: usize = 64;
/// The most cells a group has.
pub const MAX_CELLS: usize = 16;
/// The most groups a table has.
pub const MAX_GROUPS: usize = 10_000;
/// The cell name the host reserves for a group's count.
pub const COUNT: &str = "count";

/// Appends one field of a row as the host writes it: a little-endian `u32` length and
/// the field's bytes.
pub fn encode_field(field: &str, out: &mut Vec<u8>) {
    // A CSV field longer than 4 GiB cannot be read into memory in the first place;
    // the caller bounds rows by the module's buffer, far below that.
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(field.as_bytes());
}

/// Encodes a group of `labels` as a module passes it.
pub fn encode_group<S: AsRef<str>>(labels: &[S]) -> Vec<u8> {
    let mut out = Vec::new();
    let count = u32::try_from(labels.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_le_bytes());
    for label in labels {
        let label = label.as_ref();
        let len = u32::try_from(label.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(label.as_bytes());
    }
    out
}

fn take_u32(bytes: &mut &[u8]) -> Option<u32> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    *bytes = rest;
    Some(u32::from_le_bytes(*head))
}

/// Decodes a group, checking it against the ABI's limits; the error says what is
/// wrong, never what a label holds.
pub fn decode_group(mut bytes: &[u8]) -> Result<Vec<String>, String> {
    if bytes.len() > MAX_GROUP_BYTES {
        return Err(format!(
            "a group of {} bytes; at most {MAX_GROUP_BYTES}",
            bytes.len()
        ));
    }
    let count = take_u32(&mut bytes).ok_or("a group shorter than its 4-byte label count")?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > MAX_LABELS {
        return Err(format!("a group of {count} labels; at most {MAX_LABELS}"));
    }
    let mut labels = Vec::with_capacity(count);
    for i in 0..count {
        let len = take_u32(&mut bytes).ok_or_else(|| format!("label {i}: no length"))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > MAX_LABEL_BYTES {
            return Err(format!("label {i}: {len} bytes; at most {MAX_LABEL_BYTES}"));
        }
        let Some((label, rest)) = bytes.split_at_checked(len) else {
            return Err(format!("label {i}: {len} bytes announced, fewer present"));
        };
        let label = std::str::from_utf8(label).map_err(|_| format!("label {i}: not UTF-8"))?;
        labels.push(label.to_owned());
        bytes = rest;
    }
    if !bytes.is_empty() {
        return Err(format!("{} bytes after the last label", bytes.len()));
    }
    Ok(labels)
}

/// Checks a cell name: 1 to 64 bytes of `[a-z0-9_]`, not `count`.
pub fn check_name(name: &[u8]) -> Result<&str, String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "a cell name of {} bytes; 1 to {MAX_NAME_BYTES}",
            name.len()
        ));
    }
    if !name
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
    {
        return Err("a cell name outside [a-z0-9_]".into());
    }
    let name = std::str::from_utf8(name).map_err(|_| "a cell name that is not UTF-8")?;
    if name == COUNT {
        return Err("the cell name \"count\" is the host's".into());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_round_trip() {
        for labels in [vec![], vec!["a"], vec!["", "female", "65+"]] {
            assert_eq!(
                decode_group(&encode_group(&labels)).as_deref(),
                Ok(&labels.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..])
            );
        }
    }

    #[test]
    fn malformed_groups_are_named() {
        let cases: [(&[u8], &str); 5] = [
            (&[1, 0], "shorter than"),
            (&[9, 0, 0, 0], "9 labels"),
            (&[1, 0, 0, 0, 5, 0, 0, 0, b'a'], "fewer present"),
            (&[1, 0, 0, 0, 1, 0, 0, 0, 0xff], "not UTF-8"),
            (&[0, 0, 0, 0, 7], "1 bytes after"),
        ];
        for (bytes, needle) in cases {
            let error = decode_group(bytes).unwrap_err();
            assert!(error.contains(needle), "{bytes:?}: {error}");
        }
        let long = encode_group(&["x".repeat(MAX_LABEL_BYTES + 1)]);
        assert!(decode_group(&long).unwrap_err().contains("257 bytes"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name(b"mean_2"), Ok("mean_2"));
        for bad in [&b""[..], b"Mean", b"count", b"a-b", &[b'a'; 65]] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
