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
    if let Some(lists) = widest_records(output) {
        let grouped = lists.len() > 1;
        let mut columns: Vec<String> = Vec::new();
        if grouped {
            columns.push("table".into());
        }
        let mut flat: Vec<Map<String, Value>> = Vec::new();
        for (key, records) in lists {
            for record in records {
                let mut out = Map::new();
                if grouped {
                    out.insert("table".into(), Value::String(key.clone()));
                }
                flatten("", record, &mut out);
                for name in out.keys() {
                    if !columns.contains(name) {
                        columns.push(name.clone());
                    }
                }
                flat.push(out);
            }
        }
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

/// Lists of records, each with the field it sits under.
type Lists<'a> = Vec<(String, &'a Vec<Value>)>;

/// The lists of records in `value` that share the shape (the field names of their
/// first record) holding the most records, each with the field it sits under: a
/// stratification's tables by dimension come out as one table.
fn widest_records(value: &Value) -> Option<Lists<'_>> {
    fn walk<'a>(key: &str, value: &'a Value, found: &mut Lists<'a>) {
        match value {
            Value::Array(items) => {
                if !items.is_empty() && items.iter().all(Value::is_object) {
                    found.push((key.to_owned(), items));
                }
                for item in items {
                    walk(key, item, found);
                }
            }
            Value::Object(fields) => {
                for (name, field) in fields {
                    walk(name, field, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk("", value, &mut found);
    let shape = |records: &Vec<Value>| -> Vec<String> {
        records
            .first()
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut groups: Vec<(Vec<String>, Lists<'_>)> = Vec::new();
    for (key, records) in found {
        let this = shape(records);
        match groups.iter_mut().find(|(s, _)| *s == this) {
            Some((_, lists)) => lists.push((key, records)),
            None => groups.push((this, vec![(key, records)])),
        }
    }
    groups
        .into_iter()
        .map(|(_, lists)| lists)
        .max_by_key(|lists| lists.iter().map(|(_, r)| r.len()).sum::<usize>())
}

fn flatten(prefix: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        // A tagged scalar named as its field (`"count": {"count": 609}`, beside
        // `"count": "suppressed"`) reads as its value.
        Value::Object(fields)
            if fields.len() == 1
                && fields.iter().all(|(k, v)| {
                    prefix.rsplit('.').next() == Some(k.as_str()) && !v.is_object() && !v.is_array()
                }) =>
        {
            if let Some(only) = fields.values().next() {
                out.insert(prefix.to_owned(), only.clone());
            }
        }
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

/// A bar chart of the table: counts by group, when the table has a `count` column
/// (or one ending in `.count`) with numbers, labelled by its text columns, and few rows.
/// A withheld count (not a number) gets no bar.
pub(crate) fn chart(table: &Shaped) -> Option<Chart> {
    if table.rows.is_empty() || table.rows.len() > MAX_BARS {
        return None;
    }
    let number = |r: &Vec<String>, c: usize| r.get(c).and_then(|v| v.parse::<f64>().ok());
    let value_column = table
        .columns
        .iter()
        .position(|c| c == "count" || c.ends_with(".count"))?;
    let label_columns: Vec<usize> = (0..table.columns.len())
        .filter(|&c| c != value_column && table.rows.iter().all(|r| number(r, c).is_none()))
        .collect();
    if label_columns.is_empty() {
        return None;
    }
    let mut labels = Vec::new();
    let mut values = Vec::new();
    for row in &table.rows {
        let Some(value) = number(row, value_column) else {
            continue;
        };
        labels.push(
            label_columns
                .iter()
                .filter_map(|&c| row.get(c).filter(|v| !v.is_empty()).cloned())
                .collect::<Vec<_>>()
                .join(" | "),
        );
        values.push(value);
    }
    if values.is_empty() {
        return None;
    }
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
    fn same_shaped_lists_make_one_table_and_withheld_counts_get_no_bar() {
        let output = json!({
            "name": "stratify",
            "result": {
                "k": 5,
                "total": {"count": 40},
                "gender": [{"value": "F", "count": {"count": 21}}, {"value": "M", "count": {"count": 19}}],
                "race": [{"value": "white", "count": {"count": 30}}, {"value": "asian", "count": "suppressed"}],
            }
        });
        let table = of_output(&output).unwrap();
        assert_eq!(table.columns, ["table", "value", "count"]);
        assert_eq!(table.rows.len(), 4);
        assert_eq!(table.rows[3], ["race", "asian", "suppressed"]);
        let chart = chart(&table).unwrap();
        assert_eq!(chart.labels, ["gender | F", "gender | M", "race | white"]);
        assert_eq!(chart.values, [21.0, 19.0, 30.0]);
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
