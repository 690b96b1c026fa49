//! The canonical task definition and its hash, the "runtime configuration hash" a TEE
//! worker binds in its evidence to be given a task's keys.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::api::{ExecutionMode, Recipient, TimeRange};
use super::view::TaskView;

/// Everything that decides what a task computes and who can read its output. Its
/// [`config_hash`](Self::config_hash) is the task config hash.
///
/// The hash is SHA-256 of [`canonical_json`](Self::canonical_json): the JSON of this
/// struct with every object's keys sorted (bytewise), no whitespace, strings escaped and
/// numbers written as `serde_json` writes them. A worker recomputes it from the
/// [`TaskView`] it is given ([`TaskDefinition::of_task`]) and puts it in the first 32
/// bytes of its report data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDefinition {
    /// The definition format (1).
    pub version: u32,
    /// The inputs, in task order.
    pub inputs: Vec<DefinitionInput>,
    /// The algorithm id.
    pub algorithm: String,
    /// The algorithm's measurement (hex).
    pub algorithm_measurement: String,
    /// The parameters object.
    pub parameters: Value,
    /// The columns the algorithm reads.
    pub columns: Vec<String>,
    /// Who may decrypt the result.
    pub recipients: Vec<Recipient>,
    /// Where the task runs.
    pub mode: ExecutionMode,
    /// The ε spent, in millionths.
    pub epsilon_micro: Option<u64>,
    /// The small-cell suppression threshold.
    pub min_cell_size: u32,
}

/// One input of a [`TaskDefinition`]: the data, pinned by its encrypted files' digests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionInput {
    /// The dataset id.
    pub dataset: String,
    /// SHA-256 of each encrypted file (hex), in the dataset's file order.
    pub ciphertext_sha256: Vec<String>,
    /// The row time range the executor must restrict to.
    pub rows: Option<TimeRange>,
}

impl TaskDefinition {
    /// The current definition format.
    pub const VERSION: u32 = 1;

    /// The definition of a task, from what its parties see of it.
    pub fn of_task(task: &TaskView) -> Self {
        Self {
            version: Self::VERSION,
            inputs: task
                .inputs
                .iter()
                .map(|input| DefinitionInput {
                    dataset: input.dataset.clone(),
                    ciphertext_sha256: input
                        .files
                        .iter()
                        .map(|f| f.ciphertext_sha256.clone())
                        .collect(),
                    rows: input.rows,
                })
                .collect(),
            algorithm: task.algorithm.id.clone(),
            algorithm_measurement: task.algorithm.measurement.clone(),
            parameters: task.parameters.clone(),
            columns: task.columns.clone(),
            recipients: task.recipients.clone(),
            mode: task.mode,
            epsilon_micro: task.epsilon_micro,
            min_cell_size: task.min_cell_size,
        }
    }

    /// The canonical JSON text the config hash is taken over.
    pub fn canonical_json(&self) -> Result<String, serde_json::Error> {
        let mut out = Vec::with_capacity(2048);
        self.write_canonical_json(&mut out)?;
        String::from_utf8(out).map_err(serde::ser::Error::custom)
    }

    /// The task config hash: SHA-256 of [`canonical_json`](Self::canonical_json).
    pub fn config_hash(&self) -> Result<[u8; 32], serde_json::Error> {
        let mut out = Vec::with_capacity(2048);
        self.write_canonical_json(&mut out)?;
        Ok(Sha256::digest(&out).into())
    }

    fn write_canonical_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        DefinitionParts {
            version: self.version,
            inputs: &self.inputs,
            algorithm: &self.algorithm,
            algorithm_measurement: &self.algorithm_measurement,
            parameters: &self.parameters,
            columns: &self.columns,
            recipients: &self.recipients,
            mode: self.mode,
            epsilon_micro: self.epsilon_micro,
            min_cell_size: self.min_cell_size,
        }
        .write_canonical_json(out)
    }
}

/// A [`TaskDefinition`] made of borrowed parts, so that the contract hashes a task's
/// definition without copying the request into one.
pub(crate) struct DefinitionParts<'a> {
    /// See [`TaskDefinition::version`].
    pub version: u32,
    /// See [`TaskDefinition::inputs`].
    pub inputs: &'a [DefinitionInput],
    /// See [`TaskDefinition::algorithm`].
    pub algorithm: &'a str,
    /// See [`TaskDefinition::algorithm_measurement`].
    pub algorithm_measurement: &'a str,
    /// See [`TaskDefinition::parameters`].
    pub parameters: &'a Value,
    /// See [`TaskDefinition::columns`].
    pub columns: &'a [String],
    /// See [`TaskDefinition::recipients`].
    pub recipients: &'a [Recipient],
    /// See [`TaskDefinition::mode`].
    pub mode: ExecutionMode,
    /// See [`TaskDefinition::epsilon_micro`].
    pub epsilon_micro: Option<u64>,
    /// See [`TaskDefinition::min_cell_size`].
    pub min_cell_size: u32,
}

impl DefinitionParts<'_> {
    /// The config hash of the definition (as [`TaskDefinition::config_hash`]).
    pub fn config_hash(&self) -> Result<[u8; 32], serde_json::Error> {
        let mut out = Vec::with_capacity(2048);
        self.write_canonical_json(&mut out)?;
        Ok(Sha256::digest(&out).into())
    }

    /// Writes the canonical JSON directly, field names in sorted order: the same bytes
    /// as writing the struct's [`serde_json::Value`] with every object's keys sorted
    /// (see the tests), without building that value.
    fn write_canonical_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"{\"algorithm\":");
        serde_json::to_writer(&mut *out, self.algorithm)?;
        out.extend_from_slice(b",\"algorithm_measurement\":");
        serde_json::to_writer(&mut *out, self.algorithm_measurement)?;
        out.extend_from_slice(b",\"columns\":");
        serde_json::to_writer(&mut *out, self.columns)?;
        out.extend_from_slice(b",\"epsilon_micro\":");
        serde_json::to_writer(&mut *out, &self.epsilon_micro)?;
        out.extend_from_slice(b",\"inputs\":[");
        for (i, input) in self.inputs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"ciphertext_sha256\":");
            serde_json::to_writer(&mut *out, &input.ciphertext_sha256)?;
            out.extend_from_slice(b",\"dataset\":");
            serde_json::to_writer(&mut *out, &input.dataset)?;
            out.extend_from_slice(b",\"rows\":");
            match input.rows {
                // TimeRange's fields are already in sorted order.
                Some(rows) => serde_json::to_writer(&mut *out, &rows)?,
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"min_cell_size\":");
        serde_json::to_writer(&mut *out, &self.min_cell_size)?;
        out.extend_from_slice(b",\"mode\":");
        serde_json::to_writer(&mut *out, &self.mode)?;
        out.extend_from_slice(b",\"parameters\":");
        write_canonical(self.parameters, out)?;
        out.extend_from_slice(b",\"recipients\":[");
        for (i, r) in self.recipients.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"msp_id\":");
            serde_json::to_writer(&mut *out, &r.msp_id)?;
            out.extend_from_slice(b",\"name\":");
            serde_json::to_writer(&mut *out, &r.name)?;
            out.extend_from_slice(b",\"public_key\":");
            serde_json::to_writer(&mut *out, &r.public_key)?;
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"version\":");
        serde_json::to_writer(&mut *out, &self.version)?;
        out.push(b'}');
        Ok(())
    }
}

/// Writes `value` with every object's keys sorted (bytewise), no whitespace.
fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_canonical(value, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    /// The definition of canonical JSON, the slow way: the struct's JSON value with
    /// every object's keys sorted.
    fn canonical_by_value(definition: &TaskDefinition) -> String {
        fn write(value: &Value, out: &mut String) {
            match value {
                Value::Object(map) => {
                    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                    out.push('{');
                    for (i, (key, value)) in entries.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&Value::String(key.clone()).to_string());
                        out.push(':');
                        write(value, out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write(item, out);
                    }
                    out.push(']');
                }
                scalar => out.push_str(&scalar.to_string()),
            }
        }
        let mut out = String::new();
        write(&serde_json::to_value(definition).unwrap(), &mut out);
        out
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let mut out = Vec::new();
        let value: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":"\u00e9\n"}],"a":2.5}"#).unwrap();
        write_canonical(&value, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":2.5,\"b\":[{\"a\":\"\u{e9}\\n\",\"z\":1}]}"
        );
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_]{0,8}",
            any::<String>(),
            Just("\"\\\u{0}\u{1f}\u{7f}\u{2028}é😀".to_owned()),
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(text(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn definition() -> impl Strategy<Value = TaskDefinition> {
        let input = (
            text(),
            prop::collection::vec(text(), 0..3),
            prop::option::of((any::<u64>(), any::<u64>())),
        )
            .prop_map(|(dataset, ciphertext_sha256, rows)| DefinitionInput {
                dataset,
                ciphertext_sha256,
                rows: rows.map(|(from_ms, to_ms)| TimeRange { from_ms, to_ms }),
            });
        let recipient = (text(), text(), text()).prop_map(|(msp_id, name, public_key)| Recipient {
            msp_id,
            name,
            public_key,
        });
        (
            (
                any::<u32>(),
                prop::collection::vec(input, 0..3),
                text(),
                text(),
            ),
            (
                json(),
                prop::collection::vec(text(), 0..3),
                prop::collection::vec(recipient, 0..3),
                any::<bool>(),
                prop::option::of(any::<u64>()),
                any::<u32>(),
            ),
        )
            .prop_map(
                |(
                    (version, inputs, algorithm, algorithm_measurement),
                    (parameters, columns, recipients, tee, epsilon_micro, min_cell_size),
                )| TaskDefinition {
                    version,
                    inputs,
                    algorithm,
                    algorithm_measurement,
                    parameters,
                    columns,
                    recipients,
                    mode: if tee {
                        ExecutionMode::Tee
                    } else {
                        ExecutionMode::OwnerSide
                    },
                    epsilon_micro,
                    min_cell_size,
                },
            )
    }

    proptest! {
        #[test]
        fn canonical_json_is_the_sorted_json_value(definition in definition()) {
            let slow = canonical_by_value(&definition);
            prop_assert_eq!(definition.canonical_json().unwrap(), slow.clone());
            prop_assert_eq!(
                definition.config_hash().unwrap(),
                <[u8; 32]>::from(Sha256::digest(slow.as_bytes()))
            );
        }
    }
}
