//! Hand-written modules at the edges of the ABI: each one is refused, or stopped, with
//! an error that names what was wrong, and never yields a table.
#![allow(clippy::unwrap_used)]

mod common;

use strongroom_compute::RowWindows;
use strongroom_sandbox::{Input, Limits, Sandbox, SandboxError, Table};

/// The ABI's imports, a one-page memory, and `body` (which defines `run`).
fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "strongroom" "inputs" (func $inputs (result i32)))
          (import "strongroom" "read" (func $read (param i32 i32 i32) (result i32)))
          (import "strongroom" "contribute" (func $contribute (param i32 i32 i32)))
          (import "strongroom" "emit" (func $emit (param i32 i32 i32 i32 f64)))
          (memory (export "memory") 1)
          ;; group ["a"] at 0 (9 bytes), group ["b"] at 16, name "sum" at 32,
          ;; name "count" at 40
          (data (i32.const 0) "\01\00\00\00\01\00\00\00a")
          (data (i32.const 16) "\01\00\00\00\01\00\00\00b")
          (data (i32.const 32) "sum")
          (data (i32.const 40) "count")
          {body})"#
    ))
    .unwrap()
}

/// Two inputs of one column, `x` and `y` rows.
fn inputs() -> Vec<Input> {
    let columns = ["A"];
    let windows = RowWindows::default();
    vec![
        common::input("one.csv", "A\nx\ny\n".into(), &columns, &windows),
        common::input("two.csv", "A\nz\n".into(), &columns, &windows),
    ]
}

fn run_with(wasm: &[u8], inputs: Vec<Input>, limits: Limits) -> Result<Table, SandboxError> {
    let sandbox = Sandbox::new().unwrap();
    let algorithm = sandbox.load(wasm, &common::measurement(wasm))?;
    sandbox.run(&algorithm, inputs, 1, &limits)
}

fn run(body: &str) -> Result<Table, SandboxError> {
    run_with(&module(body), inputs(), Limits::default())
}

/// Asserts a misuse of `call` whose reason says `needle`.
fn misuse(result: Result<Table, SandboxError>, call: &str, needle: &str) {
    match result {
        Err(SandboxError::Misuse { call: c, reason }) => {
            assert_eq!(c, call, "{reason}");
            assert!(reason.contains(needle), "{reason:?} should say {needle:?}");
        }
        other => panic!("expected a misuse of {call}, got {other:?}"),
    }
}

fn load_error(wasm: &[u8]) -> SandboxError {
    let sandbox = Sandbox::new().unwrap();
    match sandbox.load(wasm, &common::measurement(wasm)) {
        Err(e) => e,
        Ok(_) => panic!("the module was accepted"),
    }
}

#[test]
fn a_module_whose_hash_is_not_the_approved_measurement_is_not_compiled() {
    let wasm = module(r#"(func (export "run") (result i32) (i32.const 0))"#);
    let mut approved = common::measurement(&wasm);
    approved[31] ^= 1;
    let sandbox = Sandbox::new().unwrap();
    match sandbox.load(&wasm, &approved) {
        Err(SandboxError::MeasurementMismatch { expected, actual }) => {
            assert_eq!(expected.len(), 64);
            assert_ne!(expected, actual);
        }
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn bytes_that_are_not_a_module_are_refused() {
    let error = load_error(b"\0asm\x01\0\0\0garbage");
    assert!(matches!(error, SandboxError::InvalidModule(_)), "{error}");
}

#[test]
fn a_wasi_import_is_refused_naming_it() {
    let wasm = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write"
            (func (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let error = load_error(&wasm);
    let text = error.to_string();
    assert!(matches!(error, SandboxError::Import { .. }), "{text}");
    assert!(text.contains("wasi_snapshot_preview1.fd_write"), "{text}");
}

#[test]
fn clock_and_randomness_are_not_provided() {
    for (module_name, name) in [
        ("strongroom", "now"),
        ("strongroom", "random"),
        ("env", "clock"),
    ] {
        let wasm = wat::parse_str(format!(
            r#"(module
              (import "{module_name}" "{name}" (func (result i64)))
              (memory (export "memory") 1)
              (func (export "run") (result i32) (i32.const 0)))"#
        ))
        .unwrap();
        let text = load_error(&wasm).to_string();
        assert!(text.contains(&format!("{module_name}.{name}")), "{text}");
        assert!(text.contains("provides only"), "{text}");
    }
}

#[test]
fn an_import_with_the_wrong_signature_is_refused() {
    let wasm = wat::parse_str(
        r#"(module
          (import "strongroom" "read" (func (param i64) (result i32)))
          (memory (export "memory") 1)
          (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let text = load_error(&wasm).to_string();
    assert!(
        text.contains("strongroom.read") && text.contains("type"),
        "{text}"
    );
}

#[test]
fn an_imported_memory_is_refused() {
    let wasm = wat::parse_str(
        r#"(module
          (import "strongroom" "memory" (memory 1))
          (export "memory" (memory 0))
          (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let text = load_error(&wasm).to_string();
    assert!(text.contains("strongroom.memory"), "{text}");
}

#[test]
fn a_module_without_run_or_memory_is_refused() {
    let no_run = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let text = load_error(&no_run).to_string();
    assert!(
        text.contains("\"run\"") && text.contains("missing"),
        "{text}"
    );
    let no_memory =
        wat::parse_str(r#"(module (func (export "run") (result i32) (i32.const 0)))"#).unwrap();
    let text = load_error(&no_memory).to_string();
    assert!(
        text.contains("\"memory\"") && text.contains("missing"),
        "{text}"
    );
    let wrong = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "run") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let text = load_error(&wrong).to_string();
    assert!(text.contains("() -> i32"), "{text}");
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let wasm =
        module(r#"(func (export "run") (result i32) (loop $forever (br $forever)) (i32.const 0))"#);
    let limits = Limits::new(1_000_000, Limits::DEFAULT_MEMORY_BYTES).unwrap();
    match run_with(&wasm, inputs(), limits) {
        Err(e @ SandboxError::OutOfFuel { limit: 1_000_000 }) => {
            assert!(e.to_string().contains("ran out of fuel (limit 1000000)"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn growing_memory_past_the_limit_fails_the_run() {
    // One page at a time until memory.grow fails (the host stops it first).
    let wasm = module(
        r#"(func (export "run") (result i32)
             (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
             (i32.const 0))"#,
    );
    let limit = 2 << 20;
    let limits = Limits::new(Limits::DEFAULT_FUEL, limit).unwrap();
    match run_with(&wasm, inputs(), limits) {
        Err(e @ SandboxError::OutOfMemory { .. }) => {
            assert!(
                e.to_string().contains("memory limit of 2097152 bytes"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_declared_memory_above_the_limit_fails_before_the_module_runs() {
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 64) (func (export "run") (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let limits = Limits::new(Limits::DEFAULT_FUEL, 1 << 20).unwrap();
    let result = run_with(&wasm, inputs(), limits);
    assert!(
        matches!(result, Err(SandboxError::OutOfMemory { limit: 1_048_576 })),
        "{result:?}"
    );
}

#[test]
fn a_buffer_outside_memory_stops_the_module() {
    let result = run(
        r#"(func (export "run") (result i32) (drop (call $read (i32.const 0) (i32.const 65530) (i32.const 100))) (i32.const 0))"#,
    );
    misuse(result, "read", "outside memory");
}

#[test]
fn reading_an_input_the_task_lacks_stops_the_module() {
    let result = run(
        r#"(func (export "run") (result i32) (drop (call $read (i32.const 2) (i32.const 1024) (i32.const 100))) (i32.const 0))"#,
    );
    misuse(result, "read", "no input 2; the task has 2");
}

#[test]
fn a_buffer_too_small_for_a_row_gets_the_size_it_needs() {
    // `run` returns what `read` answered: -(4 + 1) for the row "x".
    let result = run(
        r#"(func (export "run") (result i32) (call $read (i32.const 0) (i32.const 1024) (i32.const 2)))"#,
    );
    assert!(
        matches!(result, Err(SandboxError::Failed { code: -5 })),
        "{result:?}"
    );
}

#[test]
fn contributing_without_a_batch_stops_the_module() {
    let result = run(
        r#"(func (export "run") (result i32) (call $contribute (i32.const 0) (i32.const 0) (i32.const 9)) (i32.const 0))"#,
    );
    misuse(result, "contribute", "no current batch");
}

#[test]
fn contributions_out_of_row_order_stop_the_module() {
    let result = run(r#"(func (export "run") (result i32)
             (drop (call $read (i32.const 0) (i32.const 1024) (i32.const 100)))
             (call $contribute (i32.const 1) (i32.const 0) (i32.const 9))
             (call $contribute (i32.const 0) (i32.const 0) (i32.const 9))
             (i32.const 0))"#);
    misuse(result, "contribute", "row 0 after row 1");
}

#[test]
fn a_row_counted_toward_a_second_group_stops_the_module() {
    let result = run(r#"(func (export "run") (result i32)
             (drop (call $read (i32.const 0) (i32.const 1024) (i32.const 100)))
             (call $contribute (i32.const 0) (i32.const 0) (i32.const 9))
             (call $contribute (i32.const 0) (i32.const 0) (i32.const 9))
             (call $contribute (i32.const 0) (i32.const 16) (i32.const 9))
             (i32.const 0))"#);
    misuse(result, "contribute", "already counts toward another group");
}

#[test]
fn a_row_outside_the_batch_stops_the_module() {
    let result = run(r#"(func (export "run") (result i32)
             (drop (call $read (i32.const 0) (i32.const 1024) (i32.const 100)))
             (call $contribute (i32.const 2) (i32.const 0) (i32.const 9))
             (i32.const 0))"#);
    misuse(
        result,
        "contribute",
        "row 2 is not in the current batch of 2 rows",
    );
}

#[test]
fn a_malformed_group_stops_the_module() {
    // Length 8 cuts the label short.
    let result = run(r#"(func (export "run") (result i32)
             (drop (call $read (i32.const 0) (i32.const 1024) (i32.const 100)))
             (call $contribute (i32.const 0) (i32.const 0) (i32.const 8))
             (i32.const 0))"#);
    misuse(result, "contribute", "fewer present");
}

#[test]
fn emitting_the_host_s_count_stops_the_module() {
    let result = run(r#"(func (export "run") (result i32)
             (call $emit (i32.const 0) (i32.const 9) (i32.const 40) (i32.const 5) (f64.const 1))
             (i32.const 0))"#);
    misuse(result, "emit", "\"count\" is the host's");
}

#[test]
fn emitting_a_value_that_is_not_finite_stops_the_module() {
    let result = run(r#"(func (export "run") (result i32)
             (call $emit (i32.const 0) (i32.const 9) (i32.const 32) (i32.const 3) (f64.div (f64.const 1) (f64.const 0)))
             (i32.const 0))"#);
    misuse(result, "emit", "not finite");
}

#[test]
fn a_nonzero_return_fails_with_its_code() {
    let result = run(r#"(func (export "run") (result i32) (i32.const 1001))"#);
    match result {
        Err(e @ SandboxError::Failed { code: 1001 }) => {
            assert_eq!(e.to_string(), "the algorithm returned error code 1001");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_trap_is_reported_as_one() {
    let result = run(r#"(func (export "run") (result i32) (unreachable))"#);
    match result {
        Err(SandboxError::Trap(reason)) => assert!(reason.contains("unreachable"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_malformed_input_row_names_its_file_and_line() {
    let wasm = common::example("count_by_group");
    let columns = ["A"];
    let windows = RowWindows::default();
    let bad = vec![common::input(
        "bad.csv",
        "A,B\nx,1\ny\n".into(),
        &columns,
        &windows,
    )];
    match run_with(&wasm, bad, Limits::default()) {
        Err(SandboxError::Input(e)) => {
            let text = e.to_string();
            assert!(
                text.contains("bad.csv") && text.contains("line 3"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn inputs_showing_different_columns_are_refused() {
    let wasm = module(r#"(func (export "run") (result i32) (i32.const 0))"#);
    let windows = RowWindows::default();
    let mixed = vec![
        common::input("one.csv", "A,B\nx,1\n".into(), &["A"], &windows),
        common::input("two.csv", "A,B\nx,1\n".into(), &["A", "B"], &windows),
    ];
    misuse(
        run_with(&wasm, mixed, Limits::default()),
        "run",
        "two.csv shows 2",
    );
}

#[test]
fn limits_out_of_range_are_refused() {
    assert!(matches!(
        Limits::new(0, 1 << 20),
        Err(SandboxError::BadLimit { name: "fuel", .. })
    ));
    assert!(matches!(
        Limits::new(1, 1000),
        Err(SandboxError::BadLimit {
            name: "memory_bytes",
            ..
        })
    ));
    assert!(serde_json::from_str::<Limits>(r#"{"fuel": 0, "memory_bytes": 1048576}"#).is_err());
    let ok: Limits = serde_json::from_str(r#"{"fuel": 5, "memory_bytes": 1048576}"#).unwrap();
    assert_eq!(ok.fuel(), 5);
}
