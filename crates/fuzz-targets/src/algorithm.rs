//! The host side of the algorithm ABI, which a requester's module reaches: the
//! group and cell-name decoders alone, and a whole run of a fixed module that passes
//! whatever the data holds as group encodings and cell names.

use std::io::Read;
use std::sync::OnceLock;

use strongroom_compute::{ColumnRows, Labeled, RowWindows};
use strongroom_sandbox::{Algorithm, Limits, Sandbox, abi};

/// Reads every batch of input 0 and, for each row, passes its single field's bytes as
/// they are (not encoded) to `contribute` as a group; at the end, emits cell `v` on the
/// last row's field taken as a group.
const MODULE: &str = r#"(module
  (import "strongroom" "read" (func $read (param i32 i32 i32) (result i32)))
  (import "strongroom" "contribute" (func $contribute (param i32 i32 i32)))
  (import "strongroom" "emit" (func $emit (param i32 i32 i32 i32 f64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "v")
  (func (export "run") (result i32)
    (local $n i32) (local $at i32) (local $row i32) (local $len i32)
    (local $last i32) (local $lastlen i32)
    (block $done (loop $batches
      (local.set $n (call $read (i32.const 0) (i32.const 1024) (i32.const 16384)))
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $at (i32.const 1024)) (local.set $row (i32.const 0))
      (loop $rows
        (local.set $len (i32.load (local.get $at)))
        (call $contribute (local.get $row)
          (i32.add (local.get $at) (i32.const 4)) (local.get $len))
        (local.set $last (i32.add (local.get $at) (i32.const 4)))
        (local.set $lastlen (local.get $len))
        (local.set $at (i32.add (local.get $at) (i32.add (local.get $len) (i32.const 4))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $at) (i32.add (i32.const 1024) (local.get $n)))))
      (br $batches)))
    (if (i32.gt_s (local.get $last) (i32.const 0))
      (then (call $emit (local.get $last) (local.get $lastlen) (i32.const 0) (i32.const 1)
        (f64.const 1))))
    (i32.const 0)))"#;

fn compiled() -> Option<&'static (Sandbox, Algorithm)> {
    static COMPILED: OnceLock<Option<(Sandbox, Algorithm)>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let wasm = wat::parse_str(MODULE).ok()?;
            let measurement: [u8; 32] = {
                use sha2::Digest;
                sha2::Sha256::digest(&wasm).into()
            };
            let sandbox = Sandbox::new().ok()?;
            let algorithm = sandbox.load(&wasm, &measurement).ok()?;
            Some((sandbox, algorithm))
        })
        .as_ref()
}

/// Mode byte `0`: the rest is a group encoding and a cell name; a group that decodes
/// encodes back to the same bytes, a name that passes is those bytes and not the
/// host's `count`. Otherwise: the rest is a one-column CSV body, run through the fixed
/// module above with `k` = the mode byte; a released table keeps the rule.
pub fn algorithm_abi(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 0 {
        if let Ok(labels) = abi::decode_group(rest) {
            assert_eq!(abi::encode_group(&labels), rest, "groups have one encoding");
        }
        if let Ok(name) = abi::check_name(rest) {
            assert_eq!(name.as_bytes(), rest);
            assert_ne!(name, abi::COUNT);
        }
        return;
    }
    let Some((sandbox, algorithm)) = compiled() else {
        panic!("the fixed module does not load");
    };
    let mut csv = b"A\n".to_vec();
    csv.extend_from_slice(rest);
    let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(csv));
    let Ok(input) = ColumnRows::open(
        Labeled::new("fuzz.csv", reader),
        &["A".to_owned()],
        &RowWindows::default(),
    ) else {
        return;
    };
    let limits = Limits::new(10_000_000, Limits::MIN_MEMORY_BYTES * 4).ok();
    let Some(limits) = limits else {
        return;
    };
    let k = u32::from(mode);
    if let Ok(table) = sandbox.run(algorithm, vec![input], k, &limits) {
        for row in &table.rows {
            assert!(
                row.count >= u64::from(k.max(1)),
                "a group below k was released"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds reach the release: a table comes out at k = 1 and is withheld at 20.
    #[test]
    fn the_fixed_module_releases_groups_taken_from_the_data() {
        let (sandbox, algorithm) = compiled().expect("the module loads");
        let mut csv = b"A\n".to_vec();
        for label in ["white", "white", "asian"] {
            csv.extend(abi::encode_group(&[label]));
            csv.push(b'\n');
        }
        let run = |k| {
            let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(csv.clone()));
            let input = ColumnRows::open(
                Labeled::new("t.csv", reader),
                &["A".to_owned()],
                &RowWindows::default(),
            )
            .expect("input");
            sandbox
                .run(algorithm, vec![input], k, &Limits::default())
                .expect("run")
        };
        let table = run(2);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].labels, ["white"]);
        assert_eq!(table.withheld_groups, 1);
        assert!(run(20).rows.is_empty());
    }
}
