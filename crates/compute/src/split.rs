//! Splitting a Synthea export by patient into several sites' exports: each patient, and
//! every condition of that patient, goes to exactly one part (patients dealt round
//! robin in file order), so that the union of the parts is the export.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};

use crate::error::{ComputeError, MalformedInput, Problem};

/// The files a split reads and writes.
pub const PATIENTS: &str = "patients.csv";
/// The conditions file.
pub const CONDITIONS: &str = "conditions.csv";

/// One part of a split: its directory and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The directory holding its `patients.csv` and `conditions.csv`.
    pub dir: PathBuf,
    /// Its patients.
    pub patients: u64,
    /// Its conditions.
    pub conditions: u64,
}

fn open(path: &Path) -> Result<csv::Reader<BufReader<File>>, ComputeError> {
    let file = File::open(path).map_err(|e| ComputeError::Open {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(csv::ReaderBuilder::new().from_reader(BufReader::new(file)))
}

fn create(path: &Path) -> Result<csv::Writer<BufWriter<File>>, ComputeError> {
    let file = File::create(path).map_err(|source| ComputeError::Write {
        file: path.display().to_string(),
        source,
    })?;
    Ok(csv::Writer::from_writer(BufWriter::new(file)))
}

fn column(
    reader: &mut csv::Reader<BufReader<File>>,
    path: &Path,
    name: &str,
) -> Result<(csv::StringRecord, usize), ComputeError> {
    let header = reader.headers().map_err(|e| read_err(path, 1, e))?.clone();
    let index = header.iter().position(|h| h == name).ok_or_else(|| {
        ComputeError::from(MalformedInput {
            file: path.display().to_string(),
            line: 1,
            problem: Problem::MissingColumn {
                column: name.into(),
                available: header.iter().map(str::to_owned).collect(),
            },
        })
    })?;
    Ok((header, index))
}

fn read_err(path: &Path, line: u64, e: csv::Error) -> ComputeError {
    ComputeError::Read {
        file: path.display().to_string(),
        line,
        source: io::Error::other(e.to_string()),
    }
}

fn write_err(path: &Path, e: csv::Error) -> ComputeError {
    ComputeError::Write {
        file: path.display().to_string(),
        source: io::Error::other(e.to_string()),
    }
}

/// Splits the export in `dir` into `parts` exports, `out/part-1` … `out/part-N`
/// (created). A condition whose patient is not in `patients.csv` is an error naming
/// its line; nothing is dropped silently.
pub fn split_by_patient(dir: &Path, parts: usize, out: &Path) -> Result<Vec<Part>, ComputeError> {
    let parts = parts.max(1);
    let mut result = Vec::with_capacity(parts);
    for i in 1..=parts {
        let part = out.join(format!("part-{i}"));
        std::fs::create_dir_all(&part).map_err(|source| ComputeError::Write {
            file: part.display().to_string(),
            source,
        })?;
        result.push(Part {
            dir: part,
            patients: 0,
            conditions: 0,
        });
    }
    let patients_path = dir.join(PATIENTS);
    let mut reader = open(&patients_path)?;
    let (header, id) = column(&mut reader, &patients_path, "Id")?;
    let mut writers = Vec::with_capacity(parts);
    for part in &result {
        let path = part.dir.join(PATIENTS);
        let mut writer = create(&path)?;
        writer
            .write_record(&header)
            .map_err(|e| write_err(&path, e))?;
        writers.push((writer, path));
    }
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = record.map_err(|e| read_err(&patients_path, line, e))?;
        let target = n % parts;
        if let Some(patient) = record.get(id) {
            owner.insert(patient.to_owned(), target);
        }
        let (writer, path) = &mut writers[target];
        writer
            .write_record(&record)
            .map_err(|e| write_err(path, e))?;
        result[target].patients += 1;
    }
    for (mut writer, path) in writers {
        writer.flush().map_err(|source| ComputeError::Write {
            file: path.display().to_string(),
            source,
        })?;
    }
    let conditions_path = dir.join(CONDITIONS);
    let mut reader = open(&conditions_path)?;
    let (header, patient) = column(&mut reader, &conditions_path, "PATIENT")?;
    let mut writers = Vec::with_capacity(parts);
    for part in &result {
        let path = part.dir.join(CONDITIONS);
        let mut writer = create(&path)?;
        writer
            .write_record(&header)
            .map_err(|e| write_err(&path, e))?;
        writers.push((writer, path));
    }
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = record.map_err(|e| read_err(&conditions_path, line, e))?;
        let target = record
            .get(patient)
            .and_then(|p| owner.get(p))
            .copied()
            .ok_or_else(|| {
                ComputeError::from(MalformedInput {
                    file: conditions_path.display().to_string(),
                    line,
                    problem: Problem::UnknownPatient {
                        column: "PATIENT".into(),
                    },
                })
            })?;
        let (writer, path) = &mut writers[target];
        writer
            .write_record(&record)
            .map_err(|e| write_err(path, e))?;
        result[target].conditions += 1;
    }
    for (mut writer, path) in writers {
        writer.flush().map_err(|source| ComputeError::Write {
            file: path.display().to_string(),
            source,
        })?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_parts_together_hold_every_row_once_and_each_patient_with_its_conditions() {
        let dir = tempfile::tempdir().unwrap();
        crate::synthetic::generate(dir.path(), 200, 7).unwrap();
        let parts = split_by_patient(dir.path(), 3, &dir.path().join("split")).unwrap();
        let all_patients = lines(&dir.path().join(PATIENTS));
        let all_conditions = lines(&dir.path().join(CONDITIONS));
        let mut patients: Vec<String> = Vec::new();
        let mut conditions: Vec<String> = Vec::new();
        for part in &parts {
            let p = lines(&part.dir.join(PATIENTS));
            let c = lines(&part.dir.join(CONDITIONS));
            assert_eq!(p[0], all_patients[0]);
            assert_eq!(p.len() as u64 - 1, part.patients);
            assert_eq!(c.len() as u64 - 1, part.conditions);
            assert!(part.patients > 0);
            // Every condition of this part belongs to one of its patients.
            let ids: Vec<&str> = p[1..]
                .iter()
                .map(|l| l.split(',').next().unwrap())
                .collect();
            for line in &c[1..] {
                let fields: Vec<&str> = line.split(',').collect();
                assert!(fields.iter().any(|f| ids.contains(f)), "{line}");
            }
            patients.extend(p.into_iter().skip(1));
            conditions.extend(c.into_iter().skip(1));
        }
        let mut expected_p = all_patients[1..].to_vec();
        let mut expected_c = all_conditions[1..].to_vec();
        for v in [
            &mut patients,
            &mut conditions,
            &mut expected_p,
            &mut expected_c,
        ] {
            v.sort();
        }
        assert_eq!(patients, expected_p);
        assert_eq!(conditions, expected_c);
    }

    #[test]
    fn a_condition_of_an_unknown_patient_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PATIENTS), "Id,BIRTHDATE\np1,2000-01-01\n").unwrap();
        std::fs::write(
            dir.path().join(CONDITIONS),
            "START,PATIENT,CODE\n2020-01-01,p1,1\n2020-01-02,p9,2\n",
        )
        .unwrap();
        let error = split_by_patient(dir.path(), 2, &dir.path().join("out")).unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
        assert!(error.to_string().contains("patient not found"), "{error}");
    }
}
