//! The sandbox for WebAssembly algorithms (ABI: `docs/formats/algorithm-abi.md`).
//!
//! A researcher's algorithm is a core WebAssembly module. Its measurement is the
//! SHA-256 of its bytes; [`Sandbox::load`] compiles it only if that equals the
//! approved measurement, and only if it imports nothing but the ABI's five functions
//! (no filesystem, network, clock or randomness). [`Sandbox::run`] gives it the
//! declared columns of each input's rows (inside the task's row window), meters its
//! fuel and memory ([`Limits`]), and builds the aggregate table it emits. The host,
//! not the module, counts how many distinct rows contributed to each group, and
//! releases a group only if at least `k` did ([`Table`]): a module cannot release a
//! cell below the threshold, nor name a group after a rare value.
//!
//! ```
//! use strongroom_compute::{ColumnRows, Labeled, RowWindows};
//! use strongroom_sandbox::{Limits, Sandbox};
//!
//! // Every row contributes to the group named by its first declared column.
//! let wat = r#"(module
//!   (import "strongroom" "read" (func $read (param i32 i32 i32) (result i32)))
//!   (import "strongroom" "contribute" (func $contribute (param i32 i32 i32)))
//!   (memory (export "memory") 1)
//!   (func (export "run") (result i32)
//!     (local $n i32) (local $at i32) (local $row i32) (local $len i32)
//!     (block $done (loop $batches
//!       (local.set $n (call $read (i32.const 0) (i32.const 1024) (i32.const 4096)))
//!       (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
//!       (local.set $at (i32.const 1024)) (local.set $row (i32.const 0))
//!       (loop $rows
//!         ;; group = count 1, then the field as it is (length and bytes)
//!         (local.set $len (i32.load (local.get $at)))
//!         (i32.store (i32.sub (local.get $at) (i32.const 4)) (i32.const 1))
//!         (call $contribute (local.get $row)
//!           (i32.sub (local.get $at) (i32.const 4)) (i32.add (local.get $len) (i32.const 8)))
//!         (local.set $at (i32.add (local.get $at) (i32.add (local.get $len) (i32.const 4))))
//!         (local.set $row (i32.add (local.get $row) (i32.const 1)))
//!         (br_if $rows (i32.lt_s (local.get $at) (i32.add (i32.const 1024) (local.get $n)))))
//!       (br $batches)))
//!     (i32.const 0)))"#;
//! let wasm = wat::parse_str(wat)?;
//! let measurement: [u8; 32] = sha2::Sha256::digest(&wasm).into();
//! # use sha2::Digest;
//! let sandbox = Sandbox::new()?;
//! let algorithm = sandbox.load(&wasm, &measurement)?;
//! let csv = "RACE\nwhite\nwhite\nasian\nwhite\n";
//! let input = ColumnRows::open(
//!     Labeled::new("patients.csv", Box::new(csv.as_bytes()) as Box<dyn std::io::Read + Send>),
//!     &["RACE".to_owned()],
//!     &RowWindows::default(),
//! )?;
//! let table = sandbox.run(&algorithm, vec![input], 2, &Limits::default())?;
//! assert_eq!(table.rows.len(), 1);
//! assert_eq!(table.rows[0].labels, ["white"]);
//! assert_eq!(table.rows[0].count, 3);
//! assert_eq!(table.withheld_groups, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod abi;
mod algorithm;
mod error;
mod host;
mod limits;
mod table;

pub use algorithm::{Algorithm, Sandbox};
pub use error::SandboxError;
pub use host::Input;
pub use limits::Limits;
pub use table::{Table, TableRow};
