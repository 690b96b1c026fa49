//! Shared by the tests: the shared VCFs, running bcftools, reading its output.

#![allow(dead_code)]

use std::{
    collections::HashSet,
    fs,
    io::{Read, Write},
    path::PathBuf,
    process::Command,
};

use strongroom_genome::{Site, VcfReader, count_alleles};

pub mod python;

/// `../shared/data/vcf/<relative>`.
pub fn shared_vcf(relative: &str) -> PathBuf {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/vcf"
    ))
    .join(relative);
    assert!(
        path.exists(),
        "VCF test data missing: {} (see shared/data/README.md)",
        path.display()
    );
    path
}

/// The decompressed text of a VCF (plain or gzip/BGZF).
pub fn vcf_text(path: &PathBuf) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    } else {
        text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    text
}

/// Our sites for VCF bytes.
pub fn our_sites(bytes: &[u8]) -> Vec<Site> {
    let mut reader = VcfReader::new(bytes).unwrap_or_else(|e| panic!("header: {e}"));
    count_alleles(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Declares, before `#CHROM`, every contig, FILTER, INFO and FORMAT key the records
/// use and the header does not: bcftools 1.16's plugins stop with "Unchecked error"
/// on undeclared ones. Declarations change no genotype, hence no count.
pub fn declare_undeclared(text: &str) -> String {
    let mut declared: HashSet<(String, String)> = HashSet::new();
    let mut header = Vec::new();
    let mut records = Vec::new();
    for line in text.lines() {
        if let Some(meta) = line.strip_prefix("##") {
            for kind in ["contig", "FILTER", "INFO", "FORMAT"] {
                if let Some(rest) = meta.strip_prefix(&format!("{kind}=<ID=")) {
                    let id = rest.split([',', '>']).next().unwrap_or_default();
                    declared.insert((kind.to_owned(), id.to_owned()));
                }
            }
            header.push(line);
        } else if line.starts_with('#') {
            header.push(line);
        } else if !line.is_empty() {
            records.push(line);
        }
    }
    let mut extra = Vec::new();
    let mut declare = |kind: &str, id: &str, line: String| {
        if declared.insert((kind.to_owned(), id.to_owned())) {
            extra.push(line);
        }
    };
    for record in &records {
        let fields: Vec<&str> = record.split('\t').collect();
        if let Some(chrom) = fields.first() {
            declare("contig", chrom, format!("##contig=<ID={chrom}>"));
        }
        if let Some(filters) = fields.get(6) {
            for f in filters.split(';').filter(|f| *f != "." && *f != "PASS") {
                declare("FILTER", f, format!("##FILTER=<ID={f},Description=\"\">"));
            }
        }
        if let Some(info) = fields.get(7) {
            for entry in info.split(';').filter(|e| *e != "." && !e.is_empty()) {
                let (key, kind) = match entry.split_once('=') {
                    Some((key, _)) => (key, "Number=.,Type=String"),
                    None => (entry, "Number=0,Type=Flag"),
                };
                declare(
                    "INFO",
                    key,
                    format!("##INFO=<ID={key},{kind},Description=\"\">"),
                );
            }
        }
        if let Some(format) = fields.get(8) {
            for key in format.split(':') {
                let kind = if key == "GT" {
                    "Number=1,Type=String"
                } else {
                    "Number=.,Type=String"
                };
                declare(
                    "FORMAT",
                    key,
                    format!("##FORMAT=<ID={key},{kind},Description=\"\">"),
                );
            }
        }
    }
    let mut out = String::new();
    for line in &header {
        if line.starts_with("#CHROM") {
            for e in &extra {
                out.push_str(e);
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    for record in records {
        out.push_str(record);
        out.push('\n');
    }
    out
}

/// The BCF `bcftools view -Ob` writes of VCF text (after [`declare_undeclared`]).
pub fn bcftools_to_bcf(text: &str) -> tempfile::NamedTempFile {
    bcftools_to_bcf_as(text, "-Ob")
}

/// The BCF `bcftools view OUTPUT_TYPE` writes of VCF text (after
/// [`declare_undeclared`]): `-Ob` compressed, `-Ou` uncompressed.
pub fn bcftools_to_bcf_as(text: &str, output_type: &str) -> tempfile::NamedTempFile {
    let mut vcf = tempfile::Builder::new()
        .suffix(".vcf")
        .tempfile()
        .unwrap_or_else(|e| panic!("temporary file: {e}"));
    vcf.write_all(declare_undeclared(text).as_bytes())
        .unwrap_or_else(|e| panic!("temporary file: {e}"));
    let bcf = tempfile::Builder::new()
        .suffix(".bcf")
        .tempfile()
        .unwrap_or_else(|e| panic!("temporary file: {e}"));
    let output = Command::new("bcftools")
        .args(["view", "--no-version", output_type, "-o"])
        .arg(bcf.path())
        .arg(vcf.path())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run bcftools ({e}): these tests compare with it; install it \
                 (`apt-get install -y bcftools`, as `bash scripts/test.sh` does)"
            )
        });
    assert!(
        output.status.success(),
        "bcftools view {output_type} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    bcf
}

/// One record of bcftools' output: its INFO field.
pub struct BcftoolsRecord {
    /// CHROM, POS, REF, ALT as printed.
    pub site: String,
    /// INFO as printed.
    pub info: String,
}

impl BcftoolsRecord {
    /// The value of INFO key `key`, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.info
            .split(';')
            .find_map(|e| e.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
    }
}

/// Runs `bcftools +fill-tags FILE -- -t AN,AC,AF` on VCF text (after
/// [`declare_undeclared`]) and returns its records. Fails, never skips, when bcftools
/// is missing.
pub fn bcftools_fill_tags(text: &str) -> Vec<BcftoolsRecord> {
    bcftools_fill_tags_with(text, "AN,AC,AF")
}

/// Runs `bcftools +fill-tags FILE -- -t TAGS` on VCF text, as [`bcftools_fill_tags`].
pub fn bcftools_fill_tags_with(text: &str, tags: &str) -> Vec<BcftoolsRecord> {
    let mut file = tempfile::Builder::new()
        .suffix(".vcf")
        .tempfile()
        .unwrap_or_else(|e| panic!("temporary file: {e}"));
    file.write_all(declare_undeclared(text).as_bytes())
        .unwrap_or_else(|e| panic!("temporary file: {e}"));
    let output = Command::new("bcftools")
        .arg("+fill-tags")
        .arg(file.path())
        .args(["--", "-t", tags])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run bcftools ({e}): these tests compare with it; install it \
                 (`apt-get install -y bcftools`, as `bash scripts/test.sh` does)"
            )
        });
    assert!(
        output.status.success(),
        "bcftools +fill-tags failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 8, "bcftools printed a short record: {l}");
            BcftoolsRecord {
                site: format!("{}:{}:{}:{}", f[0], f[1], f[3], f[4]),
                info: f[7].to_owned(),
            }
        })
        .collect()
}

/// The INFO field of each record of VCF text.
pub fn input_infos(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').nth(7).unwrap_or_default().to_owned())
        .collect()
}

/// Parses a comma-separated list of integers printed by bcftools.
fn integers(list: &str, what: &str) -> Vec<u64> {
    list.split(',')
        .map(|v| v.parse().unwrap_or_else(|e| panic!("{what}={list}: {e}")))
        .collect()
}

/// Asserts that our counts equal bcftools' per record: AN and AC identical, AF within
/// 1e-12 of bcftools' AC / AN and within bcftools' printing precision (a 32-bit float
/// printed with 6 significant digits) of its AF. Returns the number of sites compared.
pub fn assert_same_counts(
    ours: &[(String, Site)],
    theirs: &[BcftoolsRecord],
    infos: &[String],
    name: &str,
) -> usize {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{name}: record count differs from bcftools"
    );
    for (i, ((site_name, site), bcf)) in ours.iter().zip(theirs).enumerate() {
        let at = format!("{name} record {} ({site_name}, line {})", i + 1, site.line);
        assert_eq!(*site_name, bcf.site, "{at}: bcftools printed another site");
        if !site.genotyped {
            assert_eq!(site.counts.an, 0, "{at}");
            assert!(site.counts.ac.iter().all(|&ac| ac == 0), "{at}");
            // bcftools counts nothing here: it keeps the file's own AN and AC (and
            // recomputes AF from them).
            let input = BcftoolsRecord {
                site: String::new(),
                info: infos[i].clone(),
            };
            for tag in ["AN", "AC"] {
                assert_eq!(
                    bcf.tag(tag),
                    input.tag(tag),
                    "{at}: bcftools changed {tag} without GT"
                );
            }
            continue;
        }
        let an: u64 = bcf
            .tag("AN")
            .unwrap_or_else(|| panic!("{at}: no AN from bcftools"))
            .parse()
            .unwrap_or_else(|e| panic!("{at}: AN: {e}"));
        assert_eq!(site.counts.an, an, "{at}: AN");
        if site.key.alternates.is_empty() {
            assert_eq!(bcf.tag("AC"), None, "{at}: bcftools wrote AC for ALT .");
            continue;
        }
        let ac = integers(bcf.tag("AC").unwrap_or_else(|| panic!("{at}: no AC")), "AC");
        assert_eq!(site.counts.ac, ac, "{at}: AC");
        let af = bcf.tag("AF").unwrap_or_else(|| panic!("{at}: no AF"));
        match site.counts.af() {
            None => assert_eq!(af, ".", "{at}: AF when AN = 0"),
            Some(ours) => {
                let printed: Vec<f64> = af
                    .split(',')
                    .map(|v| v.parse().unwrap_or_else(|e| panic!("{at}: AF={af}: {e}")))
                    .collect();
                assert_eq!(ours.len(), printed.len(), "{at}: AF count");
                for ((o, p), c) in ours.iter().zip(&printed).zip(&ac) {
                    let exact = *c as f64 / an as f64;
                    assert!((o - exact).abs() <= 1e-12, "{at}: AF {o} vs AC/AN {exact}");
                    assert!(
                        (o - p).abs() <= 1e-5 * o.max(1e-300) + 1e-12,
                        "{at}: AF {o} vs bcftools {p}"
                    );
                }
            }
        }
    }
    ours.len()
}

/// `CHROM:POS:REF:ALT` as bcftools prints it.
pub fn site_name(site: &Site) -> String {
    let alt = if site.key.alternates.is_empty() {
        ".".to_owned()
    } else {
        site.key.alternates.join(",")
    };
    format!(
        "{}:{}:{}:{}",
        site.key.chromosome, site.key.position, site.key.reference, alt
    )
}
