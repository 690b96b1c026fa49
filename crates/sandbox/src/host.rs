//! The host side of a run: the state a module's imports work on, and the imports.

use std::io::Read;

use strongroom_compute::{ColumnRows, ComputeError};
use wasmtime::{Caller, Linker, Memory, ResourceLimiter};

use crate::abi;
use crate::table::Groups;

/// An input as the sandbox reads it: the declared columns of a dataset's rows inside
/// the task's window, from a plaintext stream the caller decrypts on the fly.
pub type Input = ColumnRows<Box<dyn Read + Send>>;

/// Why the host stopped the module; the run reports it instead of the trap.
pub(crate) enum Fault {
    Misuse { call: &'static str, reason: String },
    Input(ComputeError),
    Memory,
}

/// The batch a successful `read` returned.
struct Batch {
    rows: u32,
    /// The serial number (over the whole run) of the batch's row 0.
    first: u64,
    /// The last row contributed and the group it went to, for the order check and
    /// the partition check.
    last: Option<(u32, usize)>,
}

/// Everything a run's imports touch.
pub(crate) struct Host {
    inputs: Vec<Input>,
    /// Per input: a row read but not yet written, because the module's buffer was full.
    pending: Vec<Option<Vec<u8>>>,
    /// The row being written (reused from row to row).
    row: Vec<u8>,
    done: Vec<bool>,
    batch: Option<Batch>,
    next_serial: u64,
    pub(crate) groups: Groups,
    pub(crate) memory: Option<Memory>,
    memory_limit: usize,
    pub(crate) fault: Option<Fault>,
}

impl Host {
    pub(crate) fn new(inputs: Vec<Input>, memory_limit: u64) -> Self {
        let n = inputs.len();
        Self {
            inputs,
            pending: vec![None; n],
            row: Vec::new(),
            done: vec![false; n],
            batch: None,
            next_serial: 0,
            groups: Groups::default(),
            memory: None,
            memory_limit: usize::try_from(memory_limit).unwrap_or(usize::MAX),
            fault: None,
        }
    }

    fn width(&self) -> usize {
        self.inputs.first().map_or(0, Input::width)
    }

    /// Records why the module is stopped and returns the trap that stops it.
    fn stop(&mut self, fault: Fault) -> wasmtime::Error {
        let message = match &fault {
            Fault::Misuse { call, reason } => format!("{call}: {reason}"),
            Fault::Input(e) => e.to_string(),
            Fault::Memory => "memory limit".to_owned(),
        };
        self.fault = Some(fault);
        wasmtime::Error::msg(message)
    }

    fn misuse(&mut self, call: &'static str, reason: impl Into<String>) -> wasmtime::Error {
        self.stop(Fault::Misuse {
            call,
            reason: reason.into(),
        })
    }

    /// Encodes the next row of `input` into `self.row`; `false` at its end.
    fn next_row(&mut self, input: usize) -> Result<bool, ComputeError> {
        if let Some(row) = self.pending[input].take() {
            self.row = row;
            return Ok(true);
        }
        if self.done[input] {
            return Ok(false);
        }
        let rows = &mut self.inputs[input];
        if !rows.advance()? {
            self.done[input] = true;
            return Ok(false);
        }
        self.row.clear();
        for i in 0..rows.width() {
            abi::encode_field(rows.field(i)?, &mut self.row);
        }
        Ok(true)
    }
}

impl ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(self.stop(Fault::Memory));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A table is a module's own function pointers; it holds no data.
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }
}

/// The range `[ptr, ptr + len)` of a memory of `size` bytes, if it lies inside.
/// Addresses and lengths are unsigned 32-bit numbers, as in WebAssembly's memory
/// instructions, whatever the `i32` type of the parameter.
fn span(ptr: i32, len: i32, size: usize) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(u32::from_ne_bytes(ptr.to_ne_bytes())).ok()?;
    let len = usize::try_from(u32::from_ne_bytes(len.to_ne_bytes())).ok()?;
    let end = start.checked_add(len)?;
    (end <= size).then_some(start..end)
}

/// The module's memory, or a misuse if the module has none (checked at load, so
/// only reachable from a start function, which runs before it is recorded).
fn memory(caller: &mut Caller<'_, Host>, call: &'static str) -> wasmtime::Result<Memory> {
    match caller.data().memory {
        Some(memory) => Ok(memory),
        None => Err(caller
            .data_mut()
            .misuse(call, "called before the module's memory is set up")),
    }
}

/// The names of the imports, with their types, as the ABI defines them.
pub(crate) fn link(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    let m = abi::IMPORT_MODULE;
    linker.func_wrap(m, "inputs", |caller: Caller<'_, Host>| -> i32 {
        i32::try_from(caller.data().inputs.len()).unwrap_or(i32::MAX)
    })?;
    linker.func_wrap(m, "columns", |caller: Caller<'_, Host>| -> i32 {
        i32::try_from(caller.data().width()).unwrap_or(i32::MAX)
    })?;
    linker.func_wrap(m, "read", read)?;
    linker.func_wrap(m, "contribute", contribute)?;
    linker.func_wrap(m, "emit", emit)?;
    Ok(())
}

/// `read(input, ptr, cap) -> i32`: see the ABI.
fn read(mut caller: Caller<'_, Host>, input: i32, ptr: i32, cap: i32) -> wasmtime::Result<i32> {
    const CALL: &str = "read";
    let memory = memory(&mut caller, CALL)?;
    let (bytes, host) = memory.data_and_store_mut(&mut caller);
    let Some(input) = usize::try_from(input)
        .ok()
        .filter(|i| *i < host.inputs.len())
    else {
        return Err(host.misuse(
            CALL,
            format!("no input {input}; the task has {}", host.inputs.len()),
        ));
    };
    let Some(range) = span(ptr, cap, bytes.len()) else {
        return Err(host.misuse(CALL, format!("the buffer {ptr} + {cap} is outside memory")));
    };
    host.batch = None;
    // A batch's size is returned as an i32: the rest of a larger buffer goes unused.
    let usable = range.len().min(i32::MAX as usize);
    let buffer = &mut bytes[range.start..range.start + usable];
    let mut written = 0usize;
    let mut rows = 0u32;
    loop {
        match host.next_row(input) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(host.stop(Fault::Input(e))),
        }
        let len = host.row.len();
        if len > buffer.len() - written {
            let row = std::mem::take(&mut host.row);
            host.pending[input] = Some(row);
            if rows == 0 {
                return i32::try_from(len).map(|needed| -needed).map_err(|_| {
                    host.misuse(CALL, format!("a row of {len} bytes cannot be passed"))
                });
            }
            break;
        }
        buffer[written..written + len].copy_from_slice(&host.row);
        written += len;
        rows += 1;
        if rows == u32::MAX {
            break;
        }
    }
    if rows > 0 {
        host.batch = Some(Batch {
            rows,
            first: host.next_serial,
            last: None,
        });
        host.next_serial += u64::from(rows);
    }
    // `written` fits: it is at most `usable`.
    Ok(i32::try_from(written).unwrap_or(i32::MAX))
}

/// `contribute(row, group_ptr, group_len)`: see the ABI.
fn contribute(
    mut caller: Caller<'_, Host>,
    row: i32,
    group_ptr: i32,
    group_len: i32,
) -> wasmtime::Result<()> {
    const CALL: &str = "contribute";
    let memory = memory(&mut caller, CALL)?;
    let (bytes, host) = memory.data_and_store_mut(&mut caller);
    let Some(batch) = host.batch.as_mut() else {
        return Err(host.misuse(
            CALL,
            "there is no current batch (read returned no rows, or was not called)",
        ));
    };
    let Some(row) = u32::try_from(row).ok().filter(|r| *r < batch.rows) else {
        let rows = batch.rows;
        return Err(host.misuse(
            CALL,
            format!("row {row} is not in the current batch of {rows} rows"),
        ));
    };
    let previous = batch.last;
    if let Some((last, _)) = previous
        && row < last
    {
        return Err(host.misuse(
            CALL,
            format!("row {row} after row {last}: contributions follow row order"),
        ));
    }
    let serial = batch.first + u64::from(row);
    let Some(range) = span(group_ptr, group_len, bytes.len()) else {
        return Err(host.misuse(
            CALL,
            format!("the group {group_ptr} + {group_len} is outside memory"),
        ));
    };
    let group = match host.groups.find_or_add(&bytes[range]) {
        Ok(group) => group,
        Err(reason) => return Err(host.misuse(CALL, reason)),
    };
    if let Some((last, other)) = previous
        && last == row
        && other != group
    {
        return Err(host.misuse(
            CALL,
            format!("row {row} already counts toward another group: the groups partition the rows"),
        ));
    }
    host.groups.count(group, serial);
    if let Some(batch) = host.batch.as_mut() {
        batch.last = Some((row, group));
    }
    Ok(())
}

/// `emit(group_ptr, group_len, name_ptr, name_len, value)`: see the ABI.
fn emit(
    mut caller: Caller<'_, Host>,
    group_ptr: i32,
    group_len: i32,
    name_ptr: i32,
    name_len: i32,
    value: f64,
) -> wasmtime::Result<()> {
    const CALL: &str = "emit";
    let memory = memory(&mut caller, CALL)?;
    let (bytes, host) = memory.data_and_store_mut(&mut caller);
    let (Some(group), Some(name)) = (
        span(group_ptr, group_len, bytes.len()),
        span(name_ptr, name_len, bytes.len()),
    ) else {
        return Err(host.misuse(CALL, "the group or the name is outside memory"));
    };
    let name = match abi::check_name(&bytes[name]) {
        Ok(name) => name,
        Err(reason) => return Err(host.misuse(CALL, reason)),
    };
    if let Err(reason) = host.groups.emit(&bytes[group], name, value) {
        return Err(host.misuse(CALL, reason));
    }
    Ok(())
}
