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
        let value = serde_json::to_value(self)?;
        let mut out = String::new();
        write_canonical(&value, &mut out);
        Ok(out)
    }

    /// The task config hash: SHA-256 of [`canonical_json`](Self::canonical_json).
    pub fn config_hash(&self) -> Result<[u8; 32], serde_json::Error> {
        Ok(Sha256::digest(self.canonical_json()?.as_bytes()).into())
    }
}

fn write_canonical(value: &Value, out: &mut String) {
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
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let mut out = String::new();
        let value: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":"\u00e9\n"}],"a":2.5}"#).unwrap();
        write_canonical(&value, &mut out);
        assert_eq!(out, "{\"a\":2.5,\"b\":[{\"a\":\"\u{e9}\\n\",\"z\":1}]}");
    }
}
