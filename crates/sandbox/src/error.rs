//! What can go wrong loading or running an algorithm.

use strongroom_compute::ComputeError;

/// Why an algorithm was not loaded or did not produce a table. Every variant names
/// what was wrong; none carries a value from the data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The module's SHA-256 is not the approved measurement: it is not the code the
    /// owners approved, and it is not compiled.
    #[error("the module's SHA-256 is {actual}, not the approved measurement {expected}")]
    MeasurementMismatch {
        /// The approved measurement (hex).
        expected: String,
        /// The module's SHA-256 (hex).
        actual: String,
    },
    /// The bytes are not a valid WebAssembly module, or it does not compile.
    #[error("not a valid WebAssembly module: {0}")]
    InvalidModule(String),
    /// The module imports something the sandbox does not provide.
    #[error("the module imports {module}.{name}: {reason}")]
    Import {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The module lacks an export the ABI requires, or has it with the wrong type.
    #[error("the module's export {name:?}: {reason}")]
    Export {
        /// The export's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A limit outside its allowed range.
    #[error("limit {name}: {reason}")]
    BadLimit {
        /// The limit's name (`fuel`, `memory_bytes`).
        name: &'static str,
        /// Its allowed range.
        reason: String,
    },
    /// The module used all its fuel.
    #[error("the algorithm ran out of fuel (limit {limit})")]
    OutOfFuel {
        /// The fuel it had.
        limit: u64,
    },
    /// The module tried to grow its memory (or declared a memory) past the limit.
    #[error("the algorithm exceeded its memory limit of {limit} bytes")]
    OutOfMemory {
        /// The memory limit, in bytes.
        limit: u64,
    },
    /// The module called the host wrongly (a pointer outside memory, a malformed
    /// group, a row out of order, a limit of the table exceeded).
    #[error("the algorithm's call to {call} was refused: {reason}")]
    Misuse {
        /// The host function called.
        call: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An input could not be read (malformed CSV, a window that cannot be applied, a
    /// read error of the decrypting stream).
    #[error(transparent)]
    Input(#[from] ComputeError),
    /// `run` returned a nonzero code: the algorithm reports its own failure.
    #[error("the algorithm returned error code {code}")]
    Failed {
        /// The code `run` returned.
        code: i32,
    },
    /// The module trapped (unreachable, division by zero, out-of-bounds access, stack
    /// overflow).
    #[error("the algorithm trapped: {0}")]
    Trap(String),
    /// The engine could not be set up.
    #[error("the WebAssembly engine: {0}")]
    Engine(String),
}
