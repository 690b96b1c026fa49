//! Loading a measured module and running it over a task's inputs.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wasmtime::{Config, Engine, ExternType, Linker, Module, Store, Trap, ValType};

use crate::abi;
use crate::host::{self, Fault, Host, Input};
use crate::{Limits, SandboxError, Table};

/// The imports the sandbox provides: name, parameter types, result types.
const IMPORTS: [(&str, &[Num], &[Num]); 5] = [
    ("inputs", &[], &[Num::I32]),
    ("columns", &[], &[Num::I32]),
    ("read", &[Num::I32, Num::I32, Num::I32], &[Num::I32]),
    ("contribute", &[Num::I32, Num::I32, Num::I32], &[]),
    (
        "emit",
        &[Num::I32, Num::I32, Num::I32, Num::I32, Num::F64],
        &[],
    ),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Num {
    I32,
    F64,
}

fn num(value: &ValType) -> Option<Num> {
    match value {
        ValType::I32 => Some(Num::I32),
        ValType::F64 => Some(Num::F64),
        _ => None,
    }
}

fn signature(ty: &wasmtime::FuncType) -> (Vec<Option<Num>>, Vec<Option<Num>>) {
    (
        ty.params().map(|v| num(&v)).collect(),
        ty.results().map(|v| num(&v)).collect(),
    )
}

fn expected(params: &[Num], results: &[Num]) -> (Vec<Option<Num>>, Vec<Option<Num>>) {
    (
        params.iter().copied().map(Some).collect(),
        results.iter().copied().map(Some).collect(),
    )
}

/// Compiles modules for the sandbox: fuel metering on, NaNs canonical, no WASI and no
/// threads (the engine is built without them). One per process is enough.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<Host>,
}

impl Sandbox {
    /// A sandbox with its engine and the ABI's imports.
    pub fn new() -> Result<Self, SandboxError> {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.cranelift_nan_canonicalization(true);
        let engine = Engine::new(&config).map_err(|e| SandboxError::Engine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        host::link(&mut linker).map_err(|e| SandboxError::Engine(e.to_string()))?;
        Ok(Self { engine, linker })
    }

    /// Checks that `wasm` is the approved module (its SHA-256 equals `measurement`,
    /// compared in constant time) before compiling it, then that it imports nothing
    /// but the ABI's functions and exports `memory` and `run`.
    pub fn load(&self, wasm: &[u8], measurement: &[u8; 32]) -> Result<Algorithm, SandboxError> {
        let actual: [u8; 32] = Sha256::digest(wasm).into();
        if !bool::from(actual.ct_eq(measurement)) {
            return Err(SandboxError::MeasurementMismatch {
                expected: hex(measurement),
                actual: hex(&actual),
            });
        }
        let module = Module::from_binary(&self.engine, wasm)
            .map_err(|e| SandboxError::InvalidModule(format!("{e:#}")))?;
        check_imports(&module)?;
        check_exports(&module)?;
        Ok(Algorithm {
            module,
            measurement: actual,
        })
    }

    /// Runs `algorithm` over `inputs` within `limits`, and releases its table under
    /// the threshold `k` (the largest minimum cell size of the inputs' datasets). The
    /// inputs all show the same declared columns. Either the whole table or an error:
    /// nothing partial.
    pub fn run(
        &self,
        algorithm: &Algorithm,
        inputs: Vec<Input>,
        k: u32,
        limits: &Limits,
    ) -> Result<Table, SandboxError> {
        if let Some(first) = inputs.first() {
            if first.width() == 0 {
                return Err(SandboxError::Misuse {
                    call: "run",
                    reason: "a task declares at least one column".into(),
                });
            }
            if let Some(other) = inputs.iter().find(|i| i.width() != first.width()) {
                return Err(SandboxError::Misuse {
                    call: "run",
                    reason: format!(
                        "input {} shows {} columns, input {} shows {}",
                        first.label(),
                        first.width(),
                        other.label(),
                        other.width()
                    ),
                });
            }
        }
        let mut store = Store::new(&self.engine, Host::new(inputs, limits.memory_bytes()));
        store.limiter(|host| host);
        store
            .set_fuel(limits.fuel())
            .map_err(|e| SandboxError::Engine(e.to_string()))?;
        let outcome = self
            .linker
            .instantiate(&mut store, &algorithm.module)
            .and_then(|instance| {
                let memory = instance
                    .get_memory(&mut store, "memory")
                    .ok_or_else(|| wasmtime::Error::msg("no memory export"))?;
                store.data_mut().memory = Some(memory);
                let run = instance.get_typed_func::<(), i32>(&mut store, "run")?;
                run.call(&mut store, ())
            });
        let host = store.into_data();
        match (outcome, host.fault) {
            (_, Some(Fault::Misuse { call, reason })) => Err(SandboxError::Misuse { call, reason }),
            (_, Some(Fault::Input(e))) => Err(SandboxError::Input(e)),
            (_, Some(Fault::Memory)) => Err(SandboxError::OutOfMemory {
                limit: limits.memory_bytes(),
            }),
            (Ok(0), None) => Ok(host.groups.release(k)),
            (Ok(code), None) => Err(SandboxError::Failed { code }),
            (Err(e), None) => Err(match e.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => SandboxError::OutOfFuel {
                    limit: limits.fuel(),
                },
                Some(trap) => SandboxError::Trap(trap.to_string()),
                None => SandboxError::Trap(format!("{e:#}")),
            }),
        }
    }
}

/// A module that is the approved code and fits the ABI, compiled.
pub struct Algorithm {
    module: Module,
    measurement: [u8; 32],
}

impl Algorithm {
    /// The module's measurement: the SHA-256 of its bytes.
    pub fn measurement(&self) -> &[u8; 32] {
        &self.measurement
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_imports(module: &Module) -> Result<(), SandboxError> {
    for import in module.imports() {
        let refuse = |reason: String| SandboxError::Import {
            module: import.module().to_owned(),
            name: import.name().to_owned(),
            reason,
        };
        let provided = || {
            let names: Vec<&str> = IMPORTS.iter().map(|(n, _, _)| *n).collect();
            format!(
                "the sandbox provides only functions {}.{{{}}}",
                abi::IMPORT_MODULE,
                names.join(",")
            )
        };
        if import.module() != abi::IMPORT_MODULE {
            return Err(refuse(provided()));
        }
        let Some((_, params, results)) = IMPORTS.iter().find(|(n, _, _)| *n == import.name())
        else {
            return Err(refuse(provided()));
        };
        let ExternType::Func(ty) = import.ty() else {
            return Err(refuse(
                "not a function; the sandbox provides only functions".into(),
            ));
        };
        if signature(&ty) != expected(params, results) {
            return Err(refuse(format!(
                "has type {ty}, not the ABI's {:?} -> {:?}",
                params, results
            )));
        }
    }
    Ok(())
}

fn check_exports(module: &Module) -> Result<(), SandboxError> {
    match module.get_export("memory") {
        Some(ExternType::Memory(memory)) if !memory.is_64() && !memory.is_shared() => {}
        Some(_) => {
            return Err(SandboxError::Export {
                name: "memory",
                reason: "not a 32-bit, unshared memory".into(),
            });
        }
        None => {
            return Err(SandboxError::Export {
                name: "memory",
                reason: "missing".into(),
            });
        }
    }
    match module.get_export("run") {
        Some(ExternType::Func(ty)) if signature(&ty) == expected(&[], &[Num::I32]) => Ok(()),
        Some(_) => Err(SandboxError::Export {
            name: "run",
            reason: "not a function () -> i32".into(),
        }),
        None => Err(SandboxError::Export {
            name: "run",
            reason: "missing".into(),
        }),
    }
}
