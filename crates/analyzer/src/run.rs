//! Running a task's algorithm over its fetched inputs: a built-in analysis, or a
//! WebAssembly module in the sandbox. Either returns the result's plaintext, checked
//! against the release rule, or fails the task.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use strongroom_client::Client;
use strongroom_compute::{AnalysisOutput, ColumnRows, ComputeError, Labeled};
use strongroom_contract::sharing::{AlgorithmKind, TaskAlgorithm, TaskInput, TaskView};
use strongroom_genome::analysis::{GenomeIndex, GenomeInput, GenomeOutput, Privacy, check_release};
use strongroom_identity::Member;
use strongroom_sandbox::{Limits, Sandbox, Table};

use crate::builtin::{
    BUILTINS, builtin_measurement, genome_analysis, is_genome, task_analysis, task_columns,
};
use crate::concat::concat_csv;
use crate::error::task;
use crate::inputs::{Fetched, Keys, fetch};
use crate::output::WasmOutput;
use crate::{AnalyzerError, enforce};

/// The parameters of a WebAssembly task.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WasmParameters {
    /// The file of each input the module reads (every input has one of this name).
    file: String,
    /// Fuel and memory; the sandbox's defaults if absent.
    #[serde(default)]
    limits: Option<Limits>,
    /// Already folded into the task's threshold by the contract.
    #[serde(default, rename = "min_cell_size")]
    _min_cell_size: Option<u32>,
}

/// The module file of a WebAssembly algorithm in `modules`: `MEASUREMENT.wasm`.
pub fn module_path(modules: &Path, algorithm: &TaskAlgorithm) -> std::path::PathBuf {
    modules.join(format!("{}.wasm", algorithm.measurement))
}

/// Whether this analyzer can run `algorithm` at all (before it claims a task): a
/// built-in it knows under its measurement, or a module present in `modules`.
pub fn runnable(algorithm: &TaskAlgorithm, modules: Option<&Path>) -> Result<(), String> {
    match algorithm.kind {
        AlgorithmKind::Builtin => {
            if BUILTINS.iter().any(|(name, _)| *name == algorithm.name)
                && algorithm.measurement == builtin_measurement(&algorithm.name)
            {
                Ok(())
            } else {
                Err(format!(
                    "algorithm {} ({}) is not a built-in this analyzer runs",
                    algorithm.name, algorithm.id
                ))
            }
        }
        AlgorithmKind::Wasm => {
            let Some(modules) = modules else {
                return Err(format!(
                    "algorithm {} ({}) is a WebAssembly module and this analyzer has no module directory",
                    algorithm.name, algorithm.id
                ));
            };
            let path = module_path(modules, algorithm);
            if path.is_file() {
                Ok(())
            } else {
                Err(format!(
                    "algorithm {} ({}): no module {} here",
                    algorithm.name,
                    algorithm.id,
                    path.display()
                ))
            }
        }
    }
}

/// Fetches a task's inputs into `scratch` and runs its algorithm; returns the result's
/// plaintext.
pub(crate) async fn run_task(
    client: &Client,
    executor: &Member,
    keys: &Keys<'_>,
    modules: Option<&Path>,
    scratch: &Path,
    view: &TaskView,
) -> Result<Vec<u8>, AnalyzerError> {
    runnable(&view.algorithm, modules).map_err(task)?;
    match view.algorithm.kind {
        AlgorithmKind::Builtin => builtin(client, executor, keys, scratch, view).await,
        AlgorithmKind::Wasm => {
            let modules = modules.ok_or_else(|| task("no module directory"))?;
            wasm(client, executor, keys, modules, scratch, view).await
        }
    }
}

async fn builtin(
    client: &Client,
    executor: &Member,
    keys: &Keys<'_>,
    scratch: &Path,
    view: &TaskView,
) -> Result<Vec<u8>, AnalyzerError> {
    for column in task_columns(&view.algorithm.name, &view.parameters)? {
        if !view.columns.contains(&column) {
            return Err(task(format!(
                "the analysis reads column {column}, which the task does not declare"
            )));
        }
    }
    if is_genome(&view.algorithm.name) {
        return genome(client, executor, keys, scratch, view).await;
    }
    let analysis = task_analysis(&view.algorithm.name, &view.parameters)?;
    let wanted: std::collections::BTreeSet<String> =
        analysis.columns().into_iter().map(|c| c.file).collect();
    // Which inputs hold each file read (several, for a task over several datasets: it
    // runs over the union of their rows), and the row windows of those inputs' grants,
    // settled before anything is fetched.
    let mut sources = Vec::new();
    for name in &wanted {
        let found: Vec<_> = view
            .inputs
            .iter()
            .flat_map(|input| input.files.iter().map(move |file| (input, file)))
            .filter(|(_, file)| &file.name == name)
            .collect();
        if found.is_empty() {
            return Err(task(format!(
                "no input of the task has a file named {name}"
            )));
        }
        if found.len() > 1 && found.iter().any(|(input, _)| input.rows.is_some()) {
            return Err(task(format!(
                "several inputs have a file named {name} and a grant limits the rows of one: its window cannot be applied to their union"
            )));
        }
        for (input, file) in found {
            keys.may_read(input, executor, name)?;
            sources.push((input, file));
        }
    }
    let mut read_inputs: Vec<&TaskInput> = Vec::new();
    for (input, _) in &sources {
        if !read_inputs.iter().any(|i| i.dataset == input.dataset) {
            read_inputs.push(input);
        }
    }
    let windows = enforce::row_windows(read_inputs)?;
    let mut fetched: BTreeMap<String, Vec<Fetched>> = BTreeMap::new();
    for (input, file) in sources {
        let got = fetch(client, executor, keys, scratch, view, input, file).await?;
        fetched.entry(file.name.clone()).or_default().push(got);
    }
    let k = view.min_cell_size;
    let output: AnalysisOutput = tokio::task::spawn_blocking(move || {
        let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
            let files = fetched.get(name).ok_or_else(|| ComputeError::Open {
                file: name.into(),
                reason: "not an input of the task".into(),
            })?;
            let opened = |e: std::io::Error| ComputeError::Open {
                file: name.into(),
                reason: e.to_string(),
            };
            let readers = files
                .iter()
                .map(Fetched::open)
                .collect::<Result<Vec<_>, _>>()
                .map_err(opened)?;
            let reader = match readers.len() {
                1 => readers
                    .into_iter()
                    .next()
                    .ok_or_else(|| opened(std::io::ErrorKind::NotFound.into()))?,
                _ => concat_csv(name, readers).map_err(opened)?,
            };
            Ok(reader as Box<dyn Read>)
        };
        strongroom_compute::run_windowed(&analysis, k, &windows, &mut open)
    })
    .await
    .map_err(|e| task(format!("the analysis crashed: {e}")))?
    .map_err(|e| task(e.to_string()))?;
    // The last gate: nothing leaves unless it keeps the algorithm's release rule.
    enforce::check_result(&view.algorithm, &output, k)?;
    serde_json::to_vec(&output).map_err(|e| task(format!("cannot encode the result: {e}")))
}

/// A genome built-in: every input holds the analysis's VCF file (and, for
/// association, its phenotype table); each input is read on its own and the counts
/// summed site by site.
async fn genome(
    client: &Client,
    executor: &Member,
    keys: &Keys<'_>,
    scratch: &Path,
    view: &TaskView,
) -> Result<Vec<u8>, AnalyzerError> {
    let analysis = genome_analysis(&view.algorithm.name, &view.parameters)?;
    // Settled for every input before anything is fetched.
    let mut plan = Vec::new();
    for input in &view.inputs {
        keys.may_read(input, executor, &format!("dataset {}", input.dataset))?;
        if input.rows.is_some() {
            return Err(task(format!(
                "the grant on dataset {} limits rows to a time window, which a genome analysis cannot apply",
                input.dataset
            )));
        }
        let file = |name: &str| {
            input.files.iter().find(|f| f.name == name).ok_or_else(|| {
                task(format!(
                    "dataset {} has no file named {name}",
                    input.dataset
                ))
            })
        };
        let vcf = file(analysis.vcf_file())?;
        let phenotypes = analysis.phenotype_file().map(file).transpose()?;
        // With a region, the VCF's tabix or CSI index, if the dataset has one beside it.
        let index = match analysis.region() {
            None => None,
            Some(_) => ["tbi", "csi"].iter().find_map(|suffix| {
                let name = format!("{}.{suffix}", analysis.vcf_file());
                input.files.iter().find(|f| f.name == name)
            }),
        };
        plan.push((input, vcf, phenotypes, index));
    }
    let mut fetched = Vec::new();
    for (input, vcf, phenotypes, index) in plan {
        let vcf = fetch(client, executor, keys, scratch, view, input, vcf).await?;
        let phenotypes = match phenotypes {
            Some(file) => Some(fetch(client, executor, keys, scratch, view, input, file).await?),
            None => None,
        };
        let index = match index {
            Some(file) => Some(fetch(client, executor, keys, scratch, view, input, file).await?),
            None => None,
        };
        fetched.push((vcf, phenotypes, index));
    }
    let k = view.min_cell_size;
    // Noise only for a task whose algorithm is registered as differentially private,
    // so that the contract charged its ε to every input's budget.
    let private = match (
        analysis.is_private(),
        view.algorithm.differentially_private,
        view.epsilon_micro,
    ) {
        (false, _, _) => None,
        (true, true, Some(micro)) => Some(micro as f64 / 1e6),
        (true, _, _) => {
            return Err(task(format!(
                "{} adds noise only under an algorithm registered as differentially private, with the task's epsilon_micro",
                analysis.name()
            )));
        }
    };
    let output = tokio::task::spawn_blocking(move || -> Result<GenomeOutput, AnalyzerError> {
        let opened = |file: &Fetched| -> Result<Box<dyn Read>, AnalyzerError> {
            let reader = file
                .open()
                .map_err(|e| task(format!("dataset {} ({}): {e}", file.dataset, file.name)))?;
            Ok(reader)
        };
        let mut inputs = Vec::new();
        for (vcf, phenotypes, index) in &fetched {
            let index = match index {
                None => None,
                Some(file) => Some(GenomeIndex {
                    file: file.name.clone(),
                    index: opened(file)?,
                    vcf: vcf.open_seekable().map_err(|e| {
                        task(format!("dataset {} ({}): {e}", vcf.dataset, vcf.name))
                    })?,
                }),
            };
            inputs.push(GenomeInput {
                label: vcf.dataset.clone(),
                vcf: opened(vcf)?,
                phenotypes: phenotypes.as_ref().map(opened).transpose()?,
                index,
            });
        }
        let output = match private {
            None => strongroom_genome::analysis::run(&analysis, k, inputs),
            Some(epsilon) => {
                let mut laplace =
                    |scale: f64| crate::noise::laplace(scale).map_err(|e| e.to_string());
                strongroom_genome::analysis::run_private(
                    &analysis,
                    k,
                    inputs,
                    Privacy {
                        epsilon,
                        laplace: &mut laplace,
                    },
                )
            }
        };
        output.map_err(|e| task(e.to_string()))
    })
    .await
    .map_err(|e| task(format!("the analysis crashed: {e}")))??;
    // The last gate, independent of the code that applied the rule.
    check_release(&output, k).map_err(|violation| {
        task(format!(
            "the result breaks the release rule (small cells suppressed, k = {k}); nothing was released: {violation}"
        ))
    })?;
    serde_json::to_vec(&output).map_err(|e| task(format!("cannot encode the result: {e}")))
}

async fn wasm(
    client: &Client,
    executor: &Member,
    keys: &Keys<'_>,
    modules: &Path,
    scratch: &Path,
    view: &TaskView,
) -> Result<Vec<u8>, AnalyzerError> {
    let parameters: WasmParameters = serde_json::from_value(view.parameters.clone())
        .map_err(|e| task(format!("the parameters of a WebAssembly task: {e}")))?;
    let limits = parameters.limits.unwrap_or_default();
    let path = module_path(modules, &view.algorithm);
    let module = std::fs::read(&path)
        .map_err(|e| AnalyzerError::Local(format!("{}: {e}", path.display())))?;
    let mut measurement = [0u8; 32];
    hex::decode_to_slice(&view.algorithm.measurement, &mut measurement)
        .map_err(|_| task("the algorithm's measurement is not 32 bytes of hex"))?;
    // Every input, in the task's order, with its own grant's window; all settled
    // before anything is fetched.
    let mut plan = Vec::new();
    for input in &view.inputs {
        keys.may_read(input, executor, &format!("dataset {}", input.dataset))?;
        let file = input
            .files
            .iter()
            .find(|f| f.name == parameters.file)
            .ok_or_else(|| {
                task(format!(
                    "dataset {} has no file named {}",
                    input.dataset, parameters.file
                ))
            })?;
        let windows = enforce::row_windows([input])?;
        plan.push((input, file, windows));
    }
    let mut fetched: Vec<(Fetched, strongroom_compute::RowWindows)> = Vec::new();
    for (input, file, windows) in plan {
        let got = fetch(client, executor, keys, scratch, view, input, file).await?;
        fetched.push((got, windows));
    }
    let columns = view.columns.clone();
    let k = view.min_cell_size;
    // A private algorithm's groups are all counted here, then released on their noisy
    // counts (see the noise module); any other's at `k` by the sandbox.
    let epsilon = match (view.algorithm.differentially_private, view.epsilon_micro) {
        (false, _) => None,
        (true, Some(micro)) => Some(micro as f64 / 1e6),
        (true, None) => return Err(task("a differentially private task without epsilon_micro")),
    };
    let run_k = if epsilon.is_some() { 1 } else { k };
    let table: Table = tokio::task::spawn_blocking(move || -> Result<Table, AnalyzerError> {
        let sandbox = Sandbox::new().map_err(|e| AnalyzerError::Local(e.to_string()))?;
        // The module is compiled only if it is the approved code.
        let algorithm = sandbox
            .load(&module, &measurement)
            .map_err(|e| task(e.to_string()))?;
        let mut inputs = Vec::new();
        for (file, windows) in &fetched {
            let reader = file
                .open()
                .map_err(|e| task(format!("dataset {}: {e}", file.dataset)))?;
            let rows = ColumnRows::open(Labeled::new(file.name.clone(), reader), &columns, windows)
                .map_err(|e| task(format!("dataset {}: {e}", file.dataset)))?;
            inputs.push(rows);
        }
        sandbox
            .run(&algorithm, inputs, run_k, &limits)
            .map_err(|e| task(e.to_string()))
    })
    .await
    .map_err(|e| task(format!("the algorithm crashed: {e}")))??;
    let table = match epsilon {
        Some(epsilon) => crate::noise::private_counts(table, epsilon, k)?,
        None => table,
    };
    // The rule was applied; check it again before anything leaves.
    enforce::check_table(&table, k)?;
    serde_json::to_vec(&WasmOutput::WasmTable(table))
        .map_err(|e| task(format!("cannot encode the result: {e}")))
}
