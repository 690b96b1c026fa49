//! Cells: named numbers that an algorithm sets on a group.

use crate::{Error, Group, host};

/// The longest a cell name may be, in bytes.
pub const MAX_CELL_NAME_LEN: usize = 64;

/// Sets cell `name` of `group` to `value`.
///
/// `name` is 1 to [`MAX_CELL_NAME_LEN`] bytes of `[a-z0-9_]`, other than `count` (the
/// host's own count of the group's rows): otherwise [`Error::InvalidCellName`]. `value`
/// must be finite: otherwise [`Error::NonFiniteValue`]. Nothing is sent to the host
/// when either check fails.
///
/// The host stops the module if a cell is set twice or a group gets more than 16 cells,
/// and releases a group's cells only with a group count of at least `k`: a group that
/// only has cells is never released.
pub fn emit(group: &Group, name: &str, value: f64) -> Result<(), Error> {
    check_cell_name(name)?;
    if !value.is_finite() {
        return Err(Error::NonFiniteValue);
    }
    host::emit(group.as_bytes(), name.as_bytes(), value);
    Ok(())
}

/// Checks that `name` may name a cell.
pub(crate) fn check_cell_name(name: &str) -> Result<(), Error> {
    let valid = (1..=MAX_CELL_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name != "count";
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidCellName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        for name in [
            "sum",
            "mean",
            "odds_ratio",
            "p95",
            "_",
            "counts",
            &"a".repeat(64),
        ] {
            assert_eq!(check_cell_name(name), Ok(()), "{name}");
        }
        for name in [
            "",
            "count",
            "Mean",
            "odds-ratio",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert_eq!(check_cell_name(name), Err(Error::InvalidCellName), "{name}");
        }
    }

    #[test]
    fn values_must_be_finite() {
        let group = Group::new(&["all"]).unwrap();
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(emit(&group, "mean", value), Err(Error::NonFiniteValue));
        }
    }
}
