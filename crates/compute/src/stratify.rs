//! `stratify`: how many distinct patients have a condition, by gender, race, ethnicity
//! and age band, with small-cell suppression.
//!
//! # Method
//!
//! Synthea's `patients.csv` (columns [`PATIENT_COLUMNS`]) is read first and kept in
//! memory (one small entry per patient); `conditions.csv` (columns
//! [`CONDITION_COLUMNS`] plus `CODE` or `DESCRIPTION`) is then streamed and joined on
//! `PATIENT = Id`. A patient counts once, however many matching rows they have. Their
//! age band is their age in completed years on the earliest `START` of a matching row
//! (first onset): 0-17, 18-34, 35-49, 50-64 or 65+.
//!
//! Every row of both files is checked, matching or not (except conditions rows outside
//! their row window, see below): field count, dates, UTF-8 of the columns read, unique
//! patient `Id`s, every `PATIENT` present in the patients file, no `START` before the
//! patient's `BIRTHDATE`. Columns the analysis does not
//! read are never decoded (so the result does not depend on them), except for the
//! field count of each row.
//!
//! # Rows
//!
//! The rows of each dimension are fixed by this definition, never taken from the data,
//! so that a rare value cannot be revealed by its name (nor its existence by an extra
//! row): gender [`GENDER_ROWS`], race [`RACE_ROWS`] and ethnicity [`ETHNICITY_ROWS`]
//! are the values Synthea documents and generates, then one `other` row that counts
//! every value outside them (an empty field, a misspelling, a local code); age bands
//! are always the five bands above. A patient whose `RACE` is Synthea's own `other`
//! counts in that row too. A row with no matching patient has a count of 0, which is
//! below `k` and so suppressed like any small count.
//!
//! # Row windows
//!
//! With [`RowWindows`] (through [`run_windowed`](crate::run_windowed)), a conditions row
//! outside its window is skipped once its field count and time are checked, before any
//! other check; a patient whose row is outside its window (if the patients file has the
//! window's column) is checked but no part of the population, and their condition rows
//! are checked, then skipped.
//!
//! # Suppression
//!
//! With threshold `k` (default [`DEFAULT_K`]):
//! 1. if the total is below `k`, the total and every cell are suppressed;
//! 2. otherwise each cell whose count is below `k` is suppressed (primary suppression);
//! 3. if exactly one cell of a dimension is suppressed, it could be recovered as the
//!    total minus the other cells, so the smallest remaining cell of that dimension
//!    (the first in row order on a tie) is suppressed too (complementary suppression).
//!
//! Because the `other` row is fixed and usually 0 (so suppressed), a dimension whose
//! remaining rows all reach `k` loses its smallest one to complementary suppression (on
//! the Synthea sample, `M` is withheld along with gender `other`). That is the price of
//! not telling whether anyone falls outside the vocabulary.
//!
//! Not stopped: this protects each one-dimensional table against exact recovery, not
//! against interval inference. Knowing that a suppressed cell is below `k` and a
//! complementary one is at least `k` bounds both (with two suppressed cells summing to
//! `s`, the small one is at most `s - k`), which can pin a cell down when `s` is close
//! to `k`. Nor does it stop differencing between several analyses over overlapping
//! populations or conditions; limiting which analyses run is the permission layer's job.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::{ComputeError, Problem};
use crate::input::{CsvInput, Labeled};
#[cfg(doc)]
use crate::window::RowWindows;

/// The default small-cell threshold: counts below 11 are suppressed.
pub const DEFAULT_K: u32 = 11;

/// The columns of the patients file that [`stratify`] reads.
pub const PATIENT_COLUMNS: [&str; 5] = ["Id", "BIRTHDATE", "RACE", "ETHNICITY", "GENDER"];

/// The columns of the conditions file that [`stratify`] always reads; it also reads
/// the column of its [`ConditionMatch`].
pub const CONDITION_COLUMNS: [&str; 2] = ["START", "PATIENT"];

/// The gender rows, in order: Synthea's `GENDER` values, then `other` for any other.
pub const GENDER_ROWS: [&str; 3] = ["F", "M", OTHER];

/// The race rows, in order: Synthea's `RACE` values (US Census races), then `other`
/// for Synthea's own `other` and any value outside the list.
pub const RACE_ROWS: [&str; 6] = ["asian", "black", "hawaiian", "native", "white", OTHER];

/// The ethnicity rows, in order: Synthea's `ETHNICITY` values, then `other` for any
/// other.
pub const ETHNICITY_ROWS: [&str; 3] = ["hispanic", "nonhispanic", OTHER];

/// The last row of the gender, race and ethnicity dimensions: the patients whose value
/// is not one of the rows before it.
pub const OTHER: &str = "other";

/// The age bands, in row order. A patient's band is their age in completed years on
/// the first `START` of the condition.
pub const AGE_BANDS: [&str; 5] = ["0-17", "18-34", "35-49", "50-64", "65+"];

/// Which rows of `conditions.csv` are the condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionMatch {
    /// Rows whose SNOMED-CT `CODE` is exactly this (for example `"444814009"`).
    Code(String),
    /// Rows whose `DESCRIPTION` is exactly this (for example
    /// `"Viral sinusitis (disorder)"`).
    Description(String),
}

impl ConditionMatch {
    /// The conditions column compared: `CODE` or `DESCRIPTION`.
    pub fn column(&self) -> &'static str {
        match self {
            Self::Code(_) => "CODE",
            Self::Description(_) => "DESCRIPTION",
        }
    }

    /// The value compared with.
    pub fn value(&self) -> &str {
        match self {
            Self::Code(v) | Self::Description(v) => v,
        }
    }
}

impl fmt::Display for ConditionMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {:?}", self.column(), self.value())
    }
}

/// What to stratify and how strongly to suppress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StratifyParams {
    condition: ConditionMatch,
    k: u32,
}

impl StratifyParams {
    /// Stratifies `condition` with the default threshold [`DEFAULT_K`].
    pub fn new(condition: ConditionMatch) -> Self {
        Self {
            condition,
            k: DEFAULT_K,
        }
    }

    /// Sets the threshold from the dataset owner's `owner_k` and the requester's
    /// optional `requested` value. The requester may only raise it:
    /// the result is `max(owner_k, requested)`.
    ///
    /// ```
    /// use strongroom_compute::{ConditionMatch, StratifyParams};
    ///
    /// let p = StratifyParams::new(ConditionMatch::Code("444814009".into()));
    /// assert_eq!(p.clone().with_requested_k(11, Some(5)).k(), 11);
    /// assert_eq!(p.clone().with_requested_k(11, Some(20)).k(), 20);
    /// assert_eq!(p.with_requested_k(15, None).k(), 15);
    /// ```
    #[must_use]
    pub fn with_requested_k(mut self, owner_k: u32, requested: Option<u32>) -> Self {
        self.k = owner_k.max(requested.unwrap_or(owner_k));
        self
    }

    /// The condition counted.
    pub fn condition(&self) -> &ConditionMatch {
        &self.condition
    }

    /// The threshold: counts below it are suppressed.
    pub fn k(&self) -> u32 {
        self.k
    }
}

/// One published count, or the fact that it was withheld. A suppressed cell carries
/// no number, so a suppressed count cannot be read from the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    /// The number of distinct patients (at least `k`).
    Count(u64),
    /// Withheld: below `k`, or withheld so that another small cell cannot be
    /// recovered.
    Suppressed,
}

impl Cell {
    /// The count, or `None` if suppressed.
    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            Self::Suppressed => None,
        }
    }

    /// Whether this cell is withheld.
    pub fn is_suppressed(self) -> bool {
        self == Self::Suppressed
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Suppressed => f.write_str("suppressed"),
        }
    }
}

/// One row of a dimension: a value and its number of patients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The row's label, from the fixed vocabulary ([`GENDER_ROWS`], [`RACE_ROWS`],
    /// [`ETHNICITY_ROWS`], [`AGE_BANDS`]); never a value taken from the data.
    pub value: String,
    /// The number of distinct patients with the condition and this value.
    pub count: Cell,
}

/// The result of [`stratify`]: one table per dimension plus the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stratification {
    /// The condition counted.
    pub condition: ConditionMatch,
    /// The suppression threshold applied.
    pub k: u32,
    /// The number of distinct patients with the condition.
    pub total: Cell,
    /// By `GENDER`.
    pub gender: Vec<Row>,
    /// By `RACE`.
    pub race: Vec<Row>,
    /// By `ETHNICITY`.
    pub ethnicity: Vec<Row>,
    /// By age band at first onset ([`AGE_BANDS`]).
    pub age_band: Vec<Row>,
}

impl Stratification {
    /// The dimensions as `(name, rows)`, in table order.
    pub fn dimensions(&self) -> [(&'static str, &[Row]); 4] {
        [
            ("gender", &self.gender),
            ("race", &self.race),
            ("ethnicity", &self.ethnicity),
            ("age_band", &self.age_band),
        ]
    }

    /// Renders the result as a text table.
    pub fn render_table(&self) -> String {
        self.to_string()
    }
}

/// The dimensions as `(name, labels of their rows)`, in table order: what every
/// [`Stratification`] lists, whatever the data.
pub const DIMENSIONS: [(&str, &[&str]); 4] = [
    ("gender", &GENDER_ROWS),
    ("race", &RACE_ROWS),
    ("ethnicity", &ETHNICITY_ROWS),
    ("age_band", &AGE_BANDS),
];

impl fmt::Display for Stratification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "patients with {} (k = {})", self.condition, self.k)?;
        let width = self
            .dimensions()
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|r| r.value.len().max(11)))
            .max()
            .unwrap_or(11);
        writeln!(f, "{:<10} {:<width$} patients", "dimension", "value")?;
        writeln!(f, "{:<10} {:<width$} {}", "total", "", self.total)?;
        for (name, rows) in self.dimensions() {
            for row in rows {
                writeln!(f, "{name:<10} {:<width$} {}", row.value, row.count)?;
            }
        }
        Ok(())
    }
}

/// Counts the distinct patients of `patients` (Synthea `patients.csv`) who have the
/// condition of `params` in `conditions` (Synthea `conditions.csv`), by gender, race,
/// ethnicity and age band, with small-cell suppression. See the [module
/// docs](self) for the method.
///
/// Errors name the inputs `patients.csv` and `conditions.csv`; use
/// [`stratify_labeled`] to name them otherwise.
///
/// ```
/// use strongroom_compute::{Cell, ConditionMatch, StratifyParams, stratify};
///
/// let patients = "Id,BIRTHDATE,RACE,ETHNICITY,GENDER\np1,1980-01-01,white,nonhispanic,F\n";
/// let conditions = "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n\
///                   2001-05-01,,p1,e1,444814009,Viral sinusitis (disorder)\n";
/// let params = StratifyParams::new(ConditionMatch::Code("444814009".into()))
///     .with_requested_k(1, None);
/// let s = stratify(patients.as_bytes(), conditions.as_bytes(), &params)?;
/// assert_eq!(s.total, Cell::Count(1));
/// assert_eq!(s.age_band[1].value, "18-34");
/// assert_eq!(s.age_band[1].count, Cell::Count(1));
/// # Ok::<(), strongroom_compute::ComputeError>(())
/// ```
pub fn stratify(
    patients: impl Read,
    conditions: impl Read,
    params: &StratifyParams,
) -> Result<Stratification, ComputeError> {
    stratify_labeled(
        Labeled::new("patients.csv", patients),
        Labeled::new("conditions.csv", conditions),
        params,
    )
}

/// [`stratify`] over labeled inputs.
pub fn stratify_labeled(
    patients: Labeled<impl Read>,
    conditions: Labeled<impl Read>,
    params: &StratifyParams,
) -> Result<Stratification, ComputeError> {
    let mut patients = CsvInput::open(patients)?;
    let mut conditions = CsvInput::open(conditions)?;
    stratify_csv(&mut patients, &mut conditions, params)
}

/// [`stratify`] over opened inputs (with their row windows, if any).
pub(crate) fn stratify_csv(
    patients: &mut CsvInput<impl Read>,
    conditions: &mut CsvInput<impl Read>,
    params: &StratifyParams,
) -> Result<Stratification, ComputeError> {
    let population = Population::read(patients)?;
    let first_onset = first_onsets(&population, conditions, &params.condition)?;
    Ok(population.tabulate(&first_onset, params))
}

/// A patient's attributes, as row indices of their dimensions.
struct Patient {
    birth: Date,
    gender: usize,
    race: usize,
    ethnicity: usize,
    /// Whether the patient's row is inside the row windows (always, without one).
    inside: bool,
}

/// The patients file, indexed by `Id`.
struct Population {
    index: HashMap<Box<[u8]>, usize>,
    patients: Vec<Patient>,
}

impl Population {
    fn read<R: Read>(csv: &mut CsvInput<R>) -> Result<Self, ComputeError> {
        let [id, birth, race, ethnicity, gender] = PATIENT_COLUMNS.map(|c| csv.required(c));
        let (id, birth, race, ethnicity, gender) = (id?, birth?, race?, ethnicity?, gender?);
        let mut this = Self {
            index: HashMap::new(),
            patients: Vec::new(),
        };
        while let Some(inside) = csv.advance_marking()? {
            let patient = Patient {
                birth: csv.date(birth)?,
                gender: row_of(csv, gender, &GENDER_ROWS)?,
                race: row_of(csv, race, &RACE_ROWS)?,
                ethnicity: row_of(csv, ethnicity, &ETHNICITY_ROWS)?,
                inside,
            };
            csv.str(id)?;
            let next = this.patients.len();
            if this.index.insert(csv.bytes(id).into(), next).is_some() {
                return Err(csv.malformed(Problem::DuplicateId {
                    column: csv.column_name(id).to_owned(),
                }));
            }
            this.patients.push(patient);
        }
        Ok(this)
    }

    /// Counts and suppresses.
    fn tabulate(&self, first_onset: &[Option<Date>], params: &StratifyParams) -> Stratification {
        let mut gender = [0u64; GENDER_ROWS.len()];
        let mut race = [0u64; RACE_ROWS.len()];
        let mut ethnicity = [0u64; ETHNICITY_ROWS.len()];
        let mut age_band = [0u64; AGE_BANDS.len()];
        let mut total = 0u64;
        for (patient, onset) in self.patients.iter().zip(first_onset) {
            let Some(onset) = onset else { continue };
            if !patient.inside {
                continue;
            }
            total += 1;
            gender[patient.gender] += 1;
            race[patient.race] += 1;
            ethnicity[patient.ethnicity] += 1;
            // Onsets before birth were rejected while reading.
            let age = patient.birth.age_on(*onset).unwrap_or(0);
            age_band[band(age)] += 1;
        }
        let k = u64::from(params.k);
        Stratification {
            condition: params.condition.clone(),
            k: params.k,
            total: if total < k {
                Cell::Suppressed
            } else {
                Cell::Count(total)
            },
            gender: dimension(&GENDER_ROWS, &gender, total, k),
            race: dimension(&RACE_ROWS, &race, total, k),
            ethnicity: dimension(&ETHNICITY_ROWS, &ethnicity, total, k),
            age_band: dimension(&AGE_BANDS, &age_band, total, k),
        }
    }
}

/// Streams the conditions file and returns, for each patient, the earliest `START`
/// of a matching row.
fn first_onsets<R: Read>(
    population: &Population,
    csv: &mut CsvInput<R>,
    condition: &ConditionMatch,
) -> Result<Vec<Option<Date>>, ComputeError> {
    let [start, patient] = CONDITION_COLUMNS.map(|c| csv.required(c));
    let (start, patient) = (start?, patient?);
    let matched = csv.required(condition.column())?;
    let target = condition.value().as_bytes();
    let mut first_onset = vec![None; population.patients.len()];
    while csv.advance()? {
        let date = csv.date(start)?;
        // A hit in the index means the bytes equal a key that was checked as UTF-8.
        let Some(&who) = population.index.get(csv.bytes(patient)) else {
            csv.str(patient)?;
            return Err(csv.malformed(Problem::UnknownPatient {
                column: csv.column_name(patient).to_owned(),
            }));
        };
        if date < population.patients[who].birth {
            return Err(csv.malformed(Problem::StartBeforeBirth {
                column: csv.column_name(start).to_owned(),
            }));
        }
        let value = csv.bytes(matched);
        if value == target && population.patients[who].inside {
            let onset: &mut Option<Date> = &mut first_onset[who];
            if onset.is_none_or(|d| date < d) {
                *onset = Some(date);
            }
        } else {
            csv.str(matched)?;
        }
    }
    Ok(first_onset)
}

/// The index into [`AGE_BANDS`] of an age in completed years.
fn band(age: u32) -> usize {
    match age {
        0..=17 => 0,
        18..=34 => 1,
        35..=49 => 2,
        50..=64 => 3,
        _ => 4,
    }
}

/// The row of `rows` that the field at `column` falls in: its position if it is one of
/// the labels before the last, else the last (`other`). A value outside the vocabulary
/// is still checked to be UTF-8.
fn row_of<R: Read>(csv: &CsvInput<R>, column: usize, rows: &[&str]) -> Result<usize, ComputeError> {
    let value = csv.bytes(column);
    let last = rows.len() - 1;
    match rows[..last].iter().position(|r| r.as_bytes() == value) {
        Some(row) => Ok(row),
        None => csv.str(column).map(|_| last),
    }
}

/// One suppressed dimension, in the order of its fixed `labels`.
fn dimension(labels: &[&str], counts: &[u64], total: u64, k: u64) -> Vec<Row> {
    labels
        .iter()
        .zip(suppress(counts, total, k))
        .map(|(label, count)| Row {
            value: (*label).to_owned(),
            count,
        })
        .collect()
}

/// Applies the suppression rules of the module docs to one dimension's counts (in
/// row order) given the dimension's total.
pub(crate) fn suppress(counts: &[u64], total: u64, k: u64) -> Vec<Cell> {
    if total < k {
        return vec![Cell::Suppressed; counts.len()];
    }
    let mut cells: Vec<Cell> = counts
        .iter()
        .map(|&n| {
            if n < k {
                Cell::Suppressed
            } else {
                Cell::Count(n)
            }
        })
        .collect();
    if cells.iter().filter(|c| c.is_suppressed()).count() == 1 {
        // The first smallest published cell (min_by_key keeps the first minimum).
        let smallest = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.count().map(|n| (i, n)))
            .min_by_key(|&(_, n)| n);
        if let Some((i, _)) = smallest {
            cells[i] = Cell::Suppressed;
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    use Cell::{Count, Suppressed};

    #[test]
    fn small_total_suppresses_everything() {
        assert_eq!(suppress(&[6, 4], 10, 11), vec![Suppressed, Suppressed]);
    }

    #[test]
    fn single_small_cell_takes_the_next_smallest_with_it() {
        assert_eq!(
            suppress(&[100, 5, 40, 40], 185, 11),
            vec![Count(100), Suppressed, Suppressed, Count(40)]
        );
    }

    #[test]
    fn two_small_cells_need_no_complement() {
        assert_eq!(
            suppress(&[100, 5, 0, 40], 145, 11),
            vec![Count(100), Suppressed, Suppressed, Count(40)]
        );
    }

    #[test]
    fn no_small_cell_publishes_everything() {
        assert_eq!(suppress(&[11, 12], 23, 11), vec![Count(11), Count(12)]);
        assert_eq!(suppress(&[3], 3, 1), vec![Count(3)]);
    }

    #[test]
    fn bands_have_the_documented_edges() {
        let edges = [
            (0, 0),
            (17, 0),
            (18, 1),
            (34, 1),
            (35, 2),
            (49, 2),
            (50, 3),
            (64, 3),
            (65, 4),
            (120, 4),
        ];
        for (age, expected) in edges {
            assert_eq!(band(age), expected, "age {age}");
        }
    }

    #[test]
    fn requester_cannot_lower_k() {
        let p = StratifyParams::new(ConditionMatch::Code("1".into()));
        assert_eq!(p.k(), DEFAULT_K);
        assert_eq!(p.clone().with_requested_k(11, Some(0)).k(), 11);
        assert_eq!(p.clone().with_requested_k(11, Some(10)).k(), 11);
        assert_eq!(p.clone().with_requested_k(11, Some(12)).k(), 12);
        assert_eq!(p.with_requested_k(5, None).k(), 5);
    }
}
