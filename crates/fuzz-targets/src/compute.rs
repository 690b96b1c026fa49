//! The CSV input of the built-in analyses (`strongroom_compute::run`).

use std::io::{Cursor, Read};

use strongroom_compute::{Analysis, ComputeError, ConditionMatch, run};

/// Columns a `describe` is asked about.
const COLUMNS: [&str; 6] = ["CODE", "DESCRIPTION", "BIRTHDATE", "GENDER", "START", "Id"];

/// The first byte chooses the analysis: even, a `describe` of one of a few columns
/// (bits 1–3) over the rest as the file; odd, a `stratify` by condition code or
/// description (bit 1) with the owner's smallest cell (bits 2–7, at least 1) over
/// the rest split at its first 0x00 byte into `patients.csv` and `conditions.csv`. The
/// output is also rendered and serialized, as the analyzer does.
pub fn compute_csv(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (patients, conditions) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let analysis = if mode % 2 == 0 {
        Analysis::Describe {
            file: "patients.csv".into(),
            column: COLUMNS[usize::from(mode >> 1) % COLUMNS.len()].into(),
        }
    } else {
        Analysis::Stratify {
            patients_file: "patients.csv".into(),
            conditions_file: "conditions.csv".into(),
            condition: if mode & 2 == 0 {
                ConditionMatch::Code("44054006".into())
            } else {
                ConditionMatch::Description("Diabetes".into())
            },
            k: None,
        }
    };
    let describe_whole = mode % 2 == 0;
    let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
        let bytes = match name {
            "patients.csv" if describe_whole => rest,
            "patients.csv" => patients,
            "conditions.csv" => conditions,
            _ => {
                return Err(ComputeError::Open {
                    file: name.into(),
                    reason: "no such file".into(),
                });
            }
        };
        Ok(Box::new(Cursor::new(bytes.to_vec())))
    };
    let owner_k = u32::from(mode >> 2).max(1);
    if let Ok(output) = run(&analysis, owner_k, &mut open) {
        let _ = output.render_table();
        let _ = serde_json::to_vec(&output);
    }
}
