//! Synthetic Synthea-shaped `patients.csv` and `conditions.csv`, generated from a
//! seed, for tests, benchmarks and demos.
//!
//! The files have exactly the headers of Synthea's CSV export (all 25 patient columns
//! and 6 condition columns) and plausible values: birth dates 1920 to early 2020,
//! gender `M`/`F`, races `white`, `black`, `asian`, `native`, `other`, ethnicities
//! `hispanic`/`nonhispanic`, about seven conditions per patient drawn from
//! [`CONDITIONS`] (real SNOMED-CT codes with their descriptions), UUID-shaped ids and
//! some empty optional fields. No row is copied from real or third-party data: every
//! value comes from a small PRNG ([`SplitMix64`]) seeded by the caller, so the same
//! seed and size give identical bytes.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::date::Date;
use crate::error::ComputeError;

/// The header line of Synthea's `patients.csv`.
pub const PATIENTS_HEADER: &str = "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,LAST,SUFFIX,MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE";

/// The header line of Synthea's `conditions.csv`.
pub const CONDITIONS_HEADER: &str = "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION";

/// A condition the generator draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The SNOMED-CT code.
    pub code: &'static str,
    /// Synthea's description of the code.
    pub description: &'static str,
    /// The relative frequency of this condition among generated rows.
    pub weight: u32,
    /// How long it lasts in days (a `STOP` date is written), or 0 if chronic (no
    /// `STOP`).
    pub days: u32,
    /// Whether only women get it (pregnancy-related conditions).
    pub female_only: bool,
}

const fn c(code: &'static str, description: &'static str, weight: u32, days: u32) -> Condition {
    Condition {
        code,
        description,
        weight,
        days,
        female_only: false,
    }
}

const fn f(code: &'static str, description: &'static str, weight: u32, days: u32) -> Condition {
    Condition {
        female_only: true,
        ..c(code, description, weight, days)
    }
}

/// The conditions generated: 30 SNOMED-CT codes common in Synthea output, weighted
/// roughly as they occur there.
pub const CONDITIONS: [Condition; 30] = [
    c("444814009", "Viral sinusitis (disorder)", 1250, 14),
    c("195662009", "Acute viral pharyngitis (disorder)", 650, 10),
    c("10509002", "Acute bronchitis (disorder)", 560, 21),
    f("72892002", "Normal pregnancy", 520, 270),
    c(
        "162864005",
        "Body mass index 30+ - obesity (finding)",
        450,
        0,
    ),
    c("15777000", "Prediabetes", 320, 0),
    c("59621000", "Hypertension", 300, 0),
    c("271737000", "Anemia (disorder)", 300, 0),
    c("40055000", "Chronic sinusitis (disorder)", 240, 0),
    f("19169002", "Miscarriage in first trimester", 220, 30),
    c("65363002", "Otitis media", 200, 14),
    c("43878008", "Streptococcal sore throat (disorder)", 160, 10),
    c("55822004", "Hyperlipidemia", 140, 0),
    c("44465007", "Sprain of ankle", 130, 28),
    c("68496003", "Polyp of colon", 80, 0),
    c(
        "62106007",
        "Concussion with no loss of consciousness",
        80,
        42,
    ),
    c("44054006", "Diabetes", 76, 0),
    c("302870006", "Hypertriglyceridemia (disorder)", 74, 0),
    c("237602007", "Metabolic syndrome X (disorder)", 74, 0),
    c("75498004", "Acute bacterial sinusitis (disorder)", 70, 14),
    c("36971009", "Sinusitis (disorder)", 66, 14),
    c("239873007", "Osteoarthritis of knee", 65, 0),
    c("53741008", "Coronary Heart Disease", 61, 0),
    c("196416002", "Impacted molars", 57, 60),
    c("64859006", "Osteoporosis (disorder)", 57, 0),
    c(
        "88805009",
        "Chronic congestive heart failure (disorder)",
        57,
        0,
    ),
    c("70704007", "Sprain of wrist", 56, 28),
    c("39848009", "Whiplash injury to neck", 55, 42),
    c("82423001", "Chronic pain", 55, 0),
    c("74400008", "Appendicitis", 50, 7),
];

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticSummary {
    /// The path of the patients file (`DIR/patients.csv`).
    pub patients_path: PathBuf,
    /// The path of the conditions file (`DIR/conditions.csv`).
    pub conditions_path: PathBuf,
    /// The number of patient rows.
    pub patients: usize,
    /// The number of condition rows.
    pub conditions: usize,
}

/// Writes `patients.csv` (with `patients` rows) and `conditions.csv` into `dir`
/// (created if missing), deterministically from `seed`.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let summary = strongroom_compute::synthetic::generate(dir.path(), 50, 7)?;
/// let d = strongroom_compute::describe(std::fs::File::open(&summary.conditions_path)?, "CODE", 11)?;
/// assert_eq!(d.count, Some(summary.conditions as u64));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn generate(dir: &Path, patients: usize, seed: u64) -> Result<SyntheticSummary, ComputeError> {
    let write_error = |path: &Path| {
        let file = path.display().to_string();
        move |source: io::Error| ComputeError::Write { file, source }
    };
    fs::create_dir_all(dir).map_err(write_error(dir))?;
    let patients_path = dir.join("patients.csv");
    let conditions_path = dir.join("conditions.csv");
    let mut p_out =
        BufWriter::new(File::create(&patients_path).map_err(write_error(&patients_path))?);
    let mut c_out =
        BufWriter::new(File::create(&conditions_path).map_err(write_error(&conditions_path))?);
    let mut generator = Generator::new(seed);
    writeln!(p_out, "{PATIENTS_HEADER}").map_err(write_error(&patients_path))?;
    writeln!(c_out, "{CONDITIONS_HEADER}").map_err(write_error(&conditions_path))?;
    let mut conditions = 0;
    let mut line = String::new();
    let mut rows = Vec::new();
    for _ in 0..patients {
        line.clear();
        rows.clear();
        generator.patient(&mut line, &mut rows);
        p_out
            .write_all(line.as_bytes())
            .map_err(write_error(&patients_path))?;
        for row in &rows {
            c_out
                .write_all(row.as_bytes())
                .map_err(write_error(&conditions_path))?;
        }
        conditions += rows.len();
    }
    p_out.flush().map_err(write_error(&patients_path))?;
    c_out.flush().map_err(write_error(&conditions_path))?;
    Ok(SyntheticSummary {
        patients_path,
        conditions_path,
        patients,
        conditions,
    })
}

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): tiny, fast, and good
/// enough for test data. Not for cryptography.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` if `n` is 0), by multiply-high (bias below 2^-32 for
    /// the small `n` used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `true` with probability `percent`/100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A uniformly chosen element of a non-empty slice.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FIRST_F: [&str; 12] = [
    "Ada", "Beatriz", "Chloe", "Dana", "Elena", "Fatima", "Grace", "Hana", "Ines", "Joy", "Keiko",
    "Lena",
];
const FIRST_M: [&str; 12] = [
    "Aaron", "Bruno", "Carlos", "David", "Emil", "Felix", "Gustav", "Hugo", "Ivan", "Jonas",
    "Kofi", "Luis",
];
const LAST: [&str; 12] = [
    "Abbott",
    "Brennan",
    "Castillo",
    "Dunn",
    "Eriksen",
    "Fischer",
    "Gallo",
    "Hartmann",
    "Ibarra",
    "Jensen",
    "Kowalski",
    "Lindqvist",
];
const STREETS: [&str; 8] = [
    "Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Chestnut", "Spruce",
];
const STREET_KINDS: [&str; 4] = ["Street", "Road", "Way", "Avenue"];
/// Massachusetts places with their county and a ZIP code prefix.
const PLACES: [(&str, &str, &str); 8] = [
    ("Boston", "Suffolk County", "021"),
    ("Worcester", "Worcester County", "016"),
    ("Springfield", "Hampden County", "011"),
    ("Lowell", "Middlesex County", "018"),
    ("Cambridge", "Middlesex County", "021"),
    ("Quincy", "Norfolk County", "021"),
    ("Pittsfield", "Berkshire County", "012"),
    ("Barnstable", "Barnstable County", "026"),
];
/// (race, percent): cumulative weights of the generated population.
const RACES: [(&str, u64); 5] = [
    ("white", 81),
    ("black", 9),
    ("asian", 8),
    ("native", 1),
    ("other", 1),
];

struct Generator {
    rng: SplitMix64,
    weight_total: u64,
    first_day: i64,
    last_birth_day: i64,
    end_day: i64,
}

impl Generator {
    fn new(seed: u64) -> Self {
        let day = |y, m, d| Date::from_ymd(y, m, d).map_or(0, Date::to_days);
        Self {
            rng: SplitMix64::new(seed),
            weight_total: CONDITIONS.iter().map(|c| u64::from(c.weight)).sum(),
            first_day: day(1920, 1, 1),
            last_birth_day: day(2020, 3, 31),
            end_day: day(2020, 4, 30),
        }
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        format_uuid(a, b)
    }

    fn day_between(&mut self, from: i64, to: i64) -> i64 {
        from + self.rng.below((to - from + 1).max(1) as u64) as i64
    }

    fn date(days: i64) -> String {
        Date::from_days(days).map_or_else(String::new, |d| d.to_string())
    }

    /// Appends one patient line to `line` and their condition lines to `rows`.
    fn patient(&mut self, line: &mut String, rows: &mut Vec<String>) {
        let rng = &mut self.rng;
        let id = format_uuid(rng.next_u64(), rng.next_u64());
        let female = rng.percent(50);
        let birth =
            self.first_day + rng.below((self.last_birth_day - self.first_day + 1) as u64) as i64;
        let death = rng
            .percent(12)
            .then(|| birth + rng.below((self.end_day - birth + 1) as u64) as i64);
        let end = death.unwrap_or(self.end_day);
        let age_at_end = (end - birth) / 365;
        let race = {
            let mut roll = rng.below(100);
            RACES
                .iter()
                .find(|(_, p)| {
                    let hit = roll < *p;
                    roll = roll.saturating_sub(*p);
                    hit
                })
                .map_or("other", |(r, _)| r)
        };
        let ethnicity = if rng.percent(10) {
            "hispanic"
        } else {
            "nonhispanic"
        };
        let adult = age_at_end >= 18;
        let married = adult && rng.percent(55);
        let first = format!(
            "{}{}",
            rng.pick(if female { &FIRST_F } else { &FIRST_M }),
            rng.below(1000)
        );
        let last = format!("{}{}", rng.pick(&LAST), rng.below(1000));
        let maiden = if female && married {
            format!("{}{}", rng.pick(&LAST), rng.below(1000))
        } else {
            String::new()
        };
        let prefix = match (adult, female, married) {
            (false, _, _) => "",
            (true, false, _) => "Mr.",
            (true, true, true) => "Mrs.",
            (true, true, false) => "Ms.",
        };
        let suffix = if adult && rng.percent(3) { "PhD" } else { "" };
        let ssn = format!("999-{:02}-{:04}", rng.below(100), rng.below(10_000));
        let drivers = if age_at_end >= 16 && rng.percent(85) {
            format!("S999{:05}", rng.below(100_000))
        } else {
            String::new()
        };
        let passport = if adult && rng.percent(70) {
            format!("X{:08}X", rng.below(100_000_000))
        } else {
            String::new()
        };
        let (birth_city, _, _) = rng.pick(&PLACES);
        let (city, county, zip) = rng.pick(&PLACES);
        let address = format!(
            "{} {} {}",
            1 + rng.below(999),
            rng.pick(&STREETS),
            rng.pick(&STREET_KINDS)
        );
        let zip = format!("{zip}{:02}", rng.below(100));
        // Micro-degrees, formatted as integers so the bytes never depend on float
        // formatting.
        let lat = 41_300_000 + rng.below(1_500_000);
        let lon = 70_000_000 + rng.below(3_300_000);
        let expenses = rng.below(200_000_000);
        let coverage = rng.below(1_000_000);
        let marital = match (adult, married) {
            (false, _) => "",
            (true, true) => "M",
            (true, false) => "S",
        };
        let death = death.map_or_else(String::new, Self::date);
        let fields: [&str; 25] = [
            &id,
            &Self::date(birth),
            &death,
            &ssn,
            &drivers,
            &passport,
            prefix,
            &first,
            &last,
            suffix,
            &maiden,
            marital,
            race,
            ethnicity,
            if female { "F" } else { "M" },
            &format!("{birth_city}  Massachusetts  US"),
            &address,
            city,
            "Massachusetts",
            county,
            &zip,
            &format!("{}.{:06}", lat / 1_000_000, lat % 1_000_000),
            &format!("-{}.{:06}", lon / 1_000_000, lon % 1_000_000),
            &format!("{}.{:02}", expenses / 100, expenses % 100),
            &format!("{}.{:02}", coverage / 100, coverage % 100),
        ];
        line.push_str(&fields.join(","));
        line.push('\n');

        let count = self.rng.below(15);
        for _ in 0..count {
            let condition = self.condition();
            if condition.female_only && !female {
                continue;
            }
            // Records cover about the last 30 years of a life, as an export of an
            // electronic health record does, rather than a whole century.
            let start = self.day_between(birth.max(end - 30 * 365), end);
            let stop = if condition.days == 0 {
                String::new()
            } else {
                Self::date((start + i64::from(condition.days)).min(end))
            };
            let encounter = self.uuid();
            rows.push(format!(
                "{},{stop},{id},{encounter},{},{}\n",
                Self::date(start),
                condition.code,
                condition.description
            ));
        }
    }

    fn condition(&mut self) -> &'static Condition {
        let mut roll = self.rng.below(self.weight_total);
        for condition in &CONDITIONS {
            let weight = u64::from(condition.weight);
            if roll < weight {
                return condition;
            }
            roll -= weight;
        }
        &CONDITIONS[0]
    }
}

fn format_uuid(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        8 | (b >> 62),
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_output() {
        // First outputs for seed 1234567 of the reference C implementation.
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn uuids_have_the_v4_shape() {
        let mut g = Generator::new(1);
        for _ in 0..100 {
            let id = g.uuid();
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'));
            assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        }
    }

    #[test]
    fn headers_have_synthea_column_counts() {
        assert_eq!(PATIENTS_HEADER.split(',').count(), 25);
        assert_eq!(CONDITIONS_HEADER.split(',').count(), 6);
    }
}
