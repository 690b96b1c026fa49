//! A result's output as a table, a bar chart where one reads better, and CSV.
//!
//! Outputs differ by algorithm (a stratification, a description, allele frequencies, a
//! WebAssembly module's table), so the table is found by shape: the longest list of
//! records in the output, each record flattened (`a.b` for nested fields, lists joined
//! by `; `). An output without such a list is shown as its fields and their values.

use serde::Serialize;
use serde_json::{Map, Value};

/// Most bars a chart shows; a longer table reads better as a table.
const MAX_BARS: usize = 60;

/// A table: column names, and rows of cells as text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Shaped {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// Bars: one per row, labelled by the row's first text column, sized by its count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Chart {
    pub(crate) title: String,
    pub(crate) labels: Vec<String>,
    pub(crate) values: Vec<f64>,
}

/// The output as a table, if it holds anything.
pub(crate) fn of_output(output: &Value) -> Option<Shaped> {
    if let Some(records) = longest_records(output) {
        let mut columns: Vec<String> = Vec::new();
        let flat: Vec<Map<String, Value>> = records
            .iter()
            .map(|record| {
                let mut out = Map::new();
                flatten("", record, &mut out);
                for key in out.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
                out
            })
            .collect();
        let rows = flat
            .iter()
            .map(|record| {
                columns
                    .iter()
                    .map(|c| record.get(c).map(cell).unwrap_or_default())
                    .collect()
            })
            .collect();
        return Some(Shaped { columns, rows });
    }
    let mut out = Map::new();
    flatten("", output, &mut out);
    if out.is_empty() {
        return None;
    }
    Some(Shaped {
        columns: vec!["field".into(), "value".into()],
        rows: out.iter().map(|(k, v)| vec![k.clone(), cell(v)]).collect(),
    })
}

/// The longest array of objects anywhere in `value`.
fn longest_records(value: &Value) -> Option<&Vec<Value>> {
    let mut best: Option<&Vec<Value>> = None;
    fn walk<'a>(value: &'a Value, best: &mut Option<&'a Vec<Value>>) {
        match value {
            Value::Array(items) => {
                if !items.is_empty()
                    && items.iter().all(Value::is_object)
                    && best.is_none_or(|b| items.len() > b.len())
                {
                    *best = Some(items);
                }
                for item in items {
                    walk(item, best);
                }
            }
            Value::Object(fields) => {
                for field in fields.values() {
                    walk(field, best);
                }
            }
            _ => {}
        }
    }
    walk(value, &mut best);
    best
}

fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, field, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            // A nested list of records is shown as its size; the longest list is the
            // table itself.
            out.insert(
                prefix.to_owned(),
                Value::String(format!("{} items", items.len())),
            );
        }
        other => {
            out.insert(
                if prefix.is_empty() {
                    "value".to_owned()
                } else {
                    prefix.to_owned()
                },
                other.clone(),
            );
        }
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// A bar chart of the table: counts by group, when the table has a text column and a
/// numeric `count` (or, failing that, its first numeric column) and few rows.
pub(crate) fn chart(table: &Shaped) -> Option<Chart> {
    if table.rows.is_empty() || table.rows.len() > MAX_BARS {
        return None;
    }
    let numeric = |c: usize| {
        table
            .rows
            .iter()
            .all(|r| r.get(c).is_some_and(|v| v.parse::<f64>().is_ok()))
    };
    let value_column = table
        .columns
        .iter()
        .position(|c| c == "count" || c.ends_with(".count"))
        .filter(|&c| numeric(c))
        .or_else(|| (0..table.columns.len()).find(|&c| numeric(c)))?;
    let label_columns: Vec<usize> = (0..table.columns.len())
        .filter(|&c| c != value_column && !numeric(c))
        .collect();
    if label_columns.is_empty() {
        return None;
    }
    let labels = table
        .rows
        .iter()
        .map(|r| {
            label_columns
                .iter()
                .filter_map(|&c| r.get(c).filter(|v| !v.is_empty()).cloned())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    let values = table
        .rows
        .iter()
        .map(|r| {
            r.get(value_column)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        })
        .collect();
    Some(Chart {
        title: format!("{} by group", table.columns[value_column]),
        labels,
        values,
    })
}

/// The table as CSV (RFC 4180 quoting).
pub(crate) fn csv(table: &Shaped) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    for line in std::iter::once(&table.columns).chain(&table.rows) {
        out.push_str(&line.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn the_longest_list_of_records_is_the_table() {
        let output = json!({
            "name": "stratify",
            "result": {
                "k": 5,
                "dimensions": [{"name": "GENDER"}],
                "rows": [
                    {"labels": ["F"], "count": 12, "mean": {"age": 40.5}},
                    {"labels": ["M"], "count": 9, "mean": {"age": 38.0}},
                ],
            }
        });
        let table = of_output(&output).unwrap();
        assert_eq!(table.columns, ["labels", "count", "mean.age"]);
        assert_eq!(table.rows, [["F", "12", "40.5"], ["M", "9", "38.0"]]);
    }

    #[test]
    fn counts_by_group_chart_as_bars() {
        let table = Shaped {
            columns: vec!["labels".into(), "count".into(), "mean".into()],
            rows: vec![
                vec!["F".into(), "12".into(), "1.5".into()],
                vec!["M".into(), "9".into(), "2".into()],
            ],
        };
        let chart = chart(&table).unwrap();
        assert_eq!(chart.labels, ["F", "M"]);
        assert_eq!(chart.values, [12.0, 9.0]);
    }

    #[test]
    fn an_output_without_records_is_its_fields() {
        let table = of_output(&json!({"rows": 3, "columns": {"AGE": {"min": 1}}})).unwrap();
        assert_eq!(table.columns, ["field", "value"]);
        assert_eq!(table.rows, [["rows", "3"], ["columns.AGE.min", "1"]]);
        assert!(chart(&table).is_none());
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let table = Shaped {
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec!["x,y".into(), "say \"hi\"".into()]],
        };
        assert_eq!(csv(&table), "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
    }
}
