//! What a result's plaintext holds, and how it reads as text.

use serde::{Deserialize, Serialize};
use strongroom_compute::AnalysisOutput;
use strongroom_genome::analysis::GenomeOutput;
use strongroom_sandbox::Table;

/// The result of a WebAssembly algorithm: `{"name": "wasm_table", "result": TABLE}`,
/// tagged like a built-in's [`AnalysisOutput`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "result", rename_all = "snake_case")]
pub enum WasmOutput {
    /// The released table.
    WasmTable(Table),
}

/// A result's plaintext as a text table (a built-in's output or a WebAssembly table),
/// or as it is if it is neither.
pub fn render(plaintext: &[u8]) -> String {
    if let Ok(output) = serde_json::from_slice::<AnalysisOutput>(plaintext) {
        return output.render_table();
    }
    if let Ok(output) = serde_json::from_slice::<GenomeOutput>(plaintext) {
        return output.to_string();
    }
    if let Ok(WasmOutput::WasmTable(table)) = serde_json::from_slice::<WasmOutput>(plaintext) {
        return table.render();
    }
    String::from_utf8_lossy(plaintext).into_owned()
}
