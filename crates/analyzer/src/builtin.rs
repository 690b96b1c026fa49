//! The built-in analyses: their names, measurements, and the analysis a task's
//! parameters describe.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use strongroom_compute::Analysis;

use crate::AnalyzerError;
use crate::error::task;

/// The built-in analyses this analyzer runs: name and description.
pub const BUILTINS: [(&str, &str); 2] = [
    (
        "describe",
        "count, unique, top and freq of one column of a CSV file, figures resting on fewer than k records withheld",
    ),
    (
        "stratify",
        "patients with a condition by gender, race, ethnicity and age band (Synthea patients.csv + conditions.csv), counts below k suppressed",
    ),
];

/// The measurement a built-in is registered with: SHA-256 of
/// `strongroom/builtin/v1/NAME`. Analyzers run only built-ins registered with this.
pub fn builtin_measurement(name: &str) -> String {
    hex::encode(Sha256::digest(format!("strongroom/builtin/v1/{name}")))
}

/// The analysis a built-in task asks for: the algorithm's name plus the task's
/// parameters (without `min_cell_size`, which the contract already folded into the
/// task's threshold).
pub fn task_analysis(
    algorithm: &str,
    parameters: &serde_json::Value,
) -> Result<Analysis, AnalyzerError> {
    let mut object = parameters
        .as_object()
        .cloned()
        .ok_or_else(|| task("the parameters are not a JSON object"))?;
    object.remove("min_cell_size");
    object.insert(
        "name".into(),
        serde_json::Value::String(algorithm.to_owned()),
    );
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
        task(format!(
            "the parameters do not describe a {algorithm} analysis: {e}"
        ))
    })
}

/// The column names an analysis reads (what a task must declare).
pub fn analysis_columns(analysis: &Analysis) -> Vec<String> {
    let set: BTreeSet<String> = analysis.columns().into_iter().map(|c| c.column).collect();
    set.into_iter().collect()
}
