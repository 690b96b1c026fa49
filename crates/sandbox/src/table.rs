//! The aggregate table a module builds, and the release rule the host applies to it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::abi;

/// The released result of a run: groups that at least `k` rows contributed to, in
/// label order, and how many groups were withheld.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The threshold applied: the largest minimum cell size of the inputs.
    pub k: u32,
    /// The released groups, ordered by their labels.
    pub rows: Vec<TableRow>,
    /// How many groups had fewer than `k` contributing rows (not which).
    pub withheld_groups: u64,
}

/// One released group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRow {
    /// The group's labels, as the module named them.
    pub labels: Vec<String>,
    /// The distinct rows that contributed to the group, over all inputs (at least `k`).
    pub count: u64,
    /// The module's named cells.
    pub cells: BTreeMap<String, f64>,
}

impl Table {
    /// The table as plain text: one line per group, labels then count then cells.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            out.push_str(&row.labels.join(" | "));
            out.push_str(&format!("\tcount={}", row.count));
            for (name, value) in &row.cells {
                out.push_str(&format!("\t{name}={value}"));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "(k = {}; {} group(s) withheld)\n",
            self.k, self.withheld_groups
        ));
        out
    }
}

/// A group being built.
struct Group {
    labels: Vec<String>,
    count: u64,
    /// The serial number of the last row counted, so a row counts once.
    last_row: Option<u64>,
    cells: BTreeMap<String, f64>,
}

/// The groups of a run so far.
#[derive(Default)]
pub(crate) struct Groups {
    index: HashMap<Box<[u8]>, usize>,
    groups: Vec<Group>,
}

impl Groups {
    /// The index of the group encoded as `bytes`, added if new.
    pub(crate) fn find_or_add(&mut self, bytes: &[u8]) -> Result<usize, String> {
        if let Some(&at) = self.index.get(bytes) {
            return Ok(at);
        }
        let labels = abi::decode_group(bytes)?;
        if self.groups.len() >= abi::MAX_GROUPS {
            return Err(format!("more than {} groups", abi::MAX_GROUPS));
        }
        let at = self.groups.len();
        self.groups.push(Group {
            labels,
            count: 0,
            last_row: None,
            cells: BTreeMap::new(),
        });
        self.index.insert(bytes.into(), at);
        Ok(at)
    }

    /// Counts row `serial` toward group `at` (from [`Self::find_or_add`]), once.
    /// Serials only grow between calls for one group (the caller enforces the order).
    pub(crate) fn count(&mut self, at: usize, serial: u64) {
        if let Some(group) = self.groups.get_mut(at)
            && group.last_row != Some(serial)
        {
            group.last_row = Some(serial);
            group.count += 1;
        }
    }

    /// Sets cell `name` of the group `bytes`.
    pub(crate) fn emit(&mut self, bytes: &[u8], name: &str, value: f64) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("cell {name:?}: the value is not finite"));
        }
        let at = self.find_or_add(bytes)?;
        let group = &mut self.groups[at];
        if group.cells.contains_key(name) {
            return Err(format!("cell {name:?} is set twice in one group"));
        }
        if group.cells.len() >= abi::MAX_CELLS {
            return Err(format!("more than {} cells in one group", abi::MAX_CELLS));
        }
        group.cells.insert(name.to_owned(), value);
        Ok(())
    }

    /// Applies the release rule: a group is released, labels, count and cells
    /// together, only if at least `k` rows (and at least one) contributed to it.
    pub(crate) fn release(self, k: u32) -> Table {
        let threshold = u64::from(k.max(1));
        let mut rows = Vec::new();
        let mut withheld_groups = 0;
        for group in self.groups {
            if group.count >= threshold {
                rows.push(TableRow {
                    labels: group.labels,
                    count: group.count,
                    cells: group.cells,
                });
            } else {
                withheld_groups += 1;
            }
        }
        rows.sort_by(|a, b| a.labels.cmp(&b.labels));
        Table {
            k,
            rows,
            withheld_groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_groups_of_at_least_k_rows_are_released() {
        let mut groups = Groups::default();
        let common = abi::encode_group(&["common"]);
        let rare = abi::encode_group(&["rare"]);
        let at = groups.find_or_add(&common).unwrap();
        for serial in 0..3 {
            groups.count(at, serial);
            // A row contributing twice counts once.
            groups.count(at, serial);
        }
        let at = groups.find_or_add(&rare).unwrap();
        groups.count(at, 3);
        groups.emit(&rare, "mean", 1.0).unwrap();
        groups
            .emit(&abi::encode_group(&["ghost"]), "sum", 9.0)
            .unwrap();
        let table = groups.release(3);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].labels, ["common"]);
        assert_eq!(table.rows[0].count, 3);
        assert_eq!(table.withheld_groups, 2);
    }

    #[test]
    fn k_zero_still_withholds_groups_nobody_contributed_to() {
        let mut groups = Groups::default();
        groups
            .emit(&abi::encode_group(&["ghost"]), "sum", 9.0)
            .unwrap();
        let table = groups.release(0);
        assert!(table.rows.is_empty());
        assert_eq!(table.withheld_groups, 1);
    }

    #[test]
    fn cells_are_set_once_and_finite() {
        let mut groups = Groups::default();
        let g = abi::encode_group(&["g"]);
        groups.emit(&g, "sum", 1.0).unwrap();
        assert!(groups.emit(&g, "sum", 2.0).unwrap_err().contains("twice"));
        assert!(
            groups
                .emit(&g, "mean", f64::NAN)
                .unwrap_err()
                .contains("finite")
        );
    }
}
