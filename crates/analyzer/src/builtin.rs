//! The built-in analyses: their names, measurements, and the analysis a task's
//! parameters describe.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use strongroom_compute::Analysis;
use strongroom_genome::analysis::{GENOME_BUILTINS, GenomeAnalysis};

use crate::AnalyzerError;
use crate::error::task;

/// The built-in analyses this analyzer runs: name and description. The first two
/// read tables ([`task_analysis`]), the others genomes ([`genome_analysis`]).
pub const BUILTINS: [(&str, &str); 6] = [
    (
        "describe",
        "count, unique, top and freq of one column of a CSV file, figures resting on fewer than k records withheld",
    ),
    (
        "stratify",
        "patients with a condition by gender, race, ethnicity and age band (Synthea patients.csv + conditions.csv), counts below k suppressed",
    ),
    GENOME_BUILTINS[0],
    GENOME_BUILTINS[1],
    GENOME_BUILTINS[2],
    GENOME_BUILTINS[3],
];

/// Whether the built-in `name` is registered as differentially private: its tasks
/// name an ε, which the contract charges to each input's privacy budget.
pub fn is_private(name: &str) -> bool {
    matches!(name, "private_allele_frequency" | "private_association")
}

/// Whether `name` is a genome built-in (its inputs are VCF datasets).
pub fn is_genome(name: &str) -> bool {
    GENOME_BUILTINS.iter().any(|(n, _)| *n == name)
}

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
    serde_json::from_value(named(algorithm, parameters)?).map_err(|e| {
        task(format!(
            "the parameters do not describe a {algorithm} analysis: {e}"
        ))
    })
}

/// The task's parameters without `min_cell_size` and with the algorithm's `name`.
fn named(
    algorithm: &str,
    parameters: &serde_json::Value,
) -> Result<serde_json::Value, AnalyzerError> {
    let mut object = parameters
        .as_object()
        .cloned()
        .ok_or_else(|| task("the parameters are not a JSON object"))?;
    object.remove("min_cell_size");
    object.insert(
        "name".into(),
        serde_json::Value::String(algorithm.to_owned()),
    );
    Ok(serde_json::Value::Object(object))
}

/// The genome analysis a genome built-in task asks for ([`is_genome`]): the
/// algorithm's name plus the task's parameters, checked.
pub fn genome_analysis(
    algorithm: &str,
    parameters: &serde_json::Value,
) -> Result<GenomeAnalysis, AnalyzerError> {
    let analysis: GenomeAnalysis =
        serde_json::from_value(named(algorithm, parameters)?).map_err(|e| {
            task(format!(
                "the parameters do not describe a {algorithm} analysis: {e}"
            ))
        })?;
    analysis
        .validate()
        .map_err(|e| task(format!("the {algorithm} parameters: {e}")))?;
    Ok(analysis)
}

/// The column names a built-in task reads, whichever kind of data it reads (what the
/// task must declare).
pub fn task_columns(
    algorithm: &str,
    parameters: &serde_json::Value,
) -> Result<Vec<String>, AnalyzerError> {
    if is_genome(algorithm) {
        let set: BTreeSet<String> = genome_analysis(algorithm, parameters)?
            .columns()
            .into_iter()
            .map(|c| c.column)
            .collect();
        Ok(set.into_iter().collect())
    } else {
        Ok(analysis_columns(&task_analysis(algorithm, parameters)?))
    }
}

/// The column names an analysis reads (what a task must declare).
pub fn analysis_columns(analysis: &Analysis) -> Vec<String> {
    let set: BTreeSet<String> = analysis.columns().into_iter().map(|c| c.column).collect();
    set.into_iter().collect()
}
