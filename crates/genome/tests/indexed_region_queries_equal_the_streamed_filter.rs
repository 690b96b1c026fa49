//! A region read through a tabix or CSI index (as `bcftools index -t` / `-c` write
//! them) gives exactly the tallies of streaming every record and keeping those in the
//! region, for whole contigs, windows, empty windows and contigs the index lacks; an
//! analysis over inputs with an index equals it over the same inputs without; a
//! malformed index is an error naming it; a BCF with an index is streamed.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use strongroom_genome::analysis::{GenomeAnalysis, GenomeIndex, GenomeInput, Region, run};
use strongroom_genome::generate::{GenerateParams, write_phenotypes, write_vcf_bgzf};
use strongroom_genome::{
    GenomeReader, IndexedVcf, Phenotypes, ReadError, SiteKey, SiteTally, Tally, VcfIndex,
};

const REGIONS: [&str; 9] = [
    "1",
    "2",
    "3:20000-90000",
    "1:1-1",
    "2:12345-12345",
    "1:300000000-300000100",
    "1:1-1000000000",
    "4",
    "chrX:1-100",
];

fn params() -> GenerateParams {
    GenerateParams {
        seed: 1616,
        sites: 6_000,
        samples: 40,
        associated: 10,
        case_fraction: 0.5,
        missing_rate: 0.02,
    }
}

fn bcftools(args: &[&str], file: &Path) {
    let output = Command::new("bcftools")
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run bcftools ({e}): install it (`apt-get install -y bcftools`, as \
                 `bash scripts/test.sh` does)"
            )
        });
    assert!(
        output.status.success(),
        "bcftools {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A generated BGZF VCF and one bcftools recompressed, each with a `.tbi` and a
/// `.csi` beside it; and the phenotype table.
struct Files {
    _dir: tempfile::TempDir,
    vcfs: Vec<PathBuf>,
    phenotypes: Vec<u8>,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ours = dir.path().join("ours.vcf.gz");
    let file = fs::File::create(&ours).unwrap_or_else(|e| panic!("{e}"));
    write_vcf_bgzf(&params(), file).unwrap_or_else(|e| panic!("{e}"));
    let theirs = dir.path().join("bcftools.vcf.gz");
    bcftools(
        &[
            "view",
            "--no-version",
            "-Oz",
            "-o",
            theirs.to_str().unwrap_or_default(),
        ],
        &ours,
    );
    for vcf in [&ours, &theirs] {
        bcftools(&["index", "-t"], vcf);
        bcftools(&["index", "-c"], vcf);
    }
    let mut phenotypes = Vec::new();
    write_phenotypes(&params(), &mut phenotypes).unwrap_or_else(|e| panic!("{e}"));
    Files {
        _dir: dir,
        vcfs: vec![ours, theirs],
        phenotypes,
    }
}

fn index_of(vcf: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", vcf.display()))
}

fn comparable(site: SiteTally) -> (SiteKey, bool, Tally) {
    (site.key, site.genotyped, site.tally)
}

fn streamed(vcf: &Path, region: &Region, phenotypes: &Phenotypes) -> Vec<(SiteKey, bool, Tally)> {
    let mut reader = GenomeReader::open(vcf).unwrap_or_else(|e| panic!("{e}"));
    reader
        .tallies(Some(phenotypes))
        .map(|site| site.unwrap_or_else(|e| panic!("{e}")))
        .filter(|site| region.contains(&site.key.chromosome, site.key.position))
        .map(comparable)
        .collect()
}

fn indexed(
    vcf: &Path,
    index: &Path,
    region: &Region,
    phenotypes: &Phenotypes,
) -> Result<Vec<(SiteKey, bool, Tally)>, ReadError> {
    let name = index.display().to_string();
    let index = VcfIndex::read(&name, fs::File::open(index).map_err(|e| panic!("{e}"))?)?;
    let mut reader = IndexedVcf::new(fs::File::open(vcf).map_err(|e| panic!("{e}"))?, index)?;
    reader
        .query(region, Some(phenotypes))?
        .map(|site| site.map(comparable))
        .collect()
}

#[test]
fn indexed_tallies_equal_the_streamed_and_filtered_tallies() {
    let files = files();
    let phenotypes = Phenotypes::read(&files.phenotypes[..]).unwrap_or_else(|e| panic!("{e}"));
    for vcf in &files.vcfs {
        let mut seen = 0;
        for text in REGIONS {
            let region: Region = text.parse().unwrap_or_else(|e| panic!("{e}"));
            let expected = streamed(vcf, &region, &phenotypes);
            seen += expected.len();
            for suffix in ["tbi", "csi"] {
                let got = indexed(vcf, &index_of(vcf, suffix), &region, &phenotypes)
                    .unwrap_or_else(|e| panic!("{text} through .{suffix}: {e}"));
                assert_eq!(
                    got.len(),
                    expected.len(),
                    "{} {text} .{suffix}",
                    vcf.display()
                );
                assert!(got == expected, "{} {text} .{suffix}", vcf.display());
            }
        }
        // The regions are not all empty: whole contigs hold a third of the sites each.
        assert!(seen > 4_000, "{seen}");
    }
}

fn open(path: &Path) -> Box<dyn Read> {
    Box::new(fs::File::open(path).unwrap_or_else(|e| panic!("{e}")))
}

fn inputs<'a>(files: &'a Files, vcf: &Path, index: Option<&str>) -> Vec<GenomeInput<'a>> {
    (0..2)
        .map(|i| GenomeInput {
            label: format!("ds-{i}"),
            vcf: open(vcf),
            phenotypes: Some(Box::new(&files.phenotypes[..]) as Box<dyn Read>),
            index: index.map(|suffix| GenomeIndex {
                file: format!("cohort.vcf.gz.{suffix}"),
                index: open(&index_of(vcf, suffix)),
                vcf: Box::new(fs::File::open(vcf).unwrap_or_else(|e| panic!("{e}"))),
            }),
        })
        .collect()
}

#[test]
fn analyses_with_an_index_equal_them_without() {
    let files = files();
    let vcf = &files.vcfs[0];
    for name in ["allele_frequency", "association"] {
        for region in ["2", "3:20000-90000", "4", "1:300000000-300000100"] {
            let analysis: GenomeAnalysis = serde_json::from_str(&format!(
                r#"{{"name":"{name}","vcf_file":"cohort.vcf.gz","phenotype_file":"p.csv","region":"{region}","k":1}}"#
            ).replace(
                if name == "allele_frequency" { r#","phenotype_file":"p.csv""# } else { "\u{0}" },
                "",
            ))
            .unwrap_or_else(|e| panic!("{e}"));
            let without =
                run(&analysis, 1, inputs(&files, vcf, None)).unwrap_or_else(|e| panic!("{e}"));
            for suffix in ["tbi", "csi"] {
                let with = run(&analysis, 1, inputs(&files, vcf, Some(suffix)))
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(with, without, "{name} {region} .{suffix}");
            }
        }
    }
}

#[test]
fn a_malformed_index_is_an_error_naming_it() {
    let files = files();
    let vcf = &files.vcfs[0];
    let mut inputs = inputs(&files, vcf, Some("tbi"));
    let mut damaged = fs::read(index_of(vcf, "tbi")).unwrap_or_else(|e| panic!("{e}"));
    damaged.truncate(damaged.len() / 2);
    if let Some(index) = inputs[1].index.as_mut() {
        index.index = Box::new(std::io::Cursor::new(damaged));
    }
    let analysis: GenomeAnalysis = serde_json::from_str(
        r#"{"name":"allele_frequency","vcf_file":"cohort.vcf.gz","region":"1"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let error = run(&analysis, 1, inputs).err().map(|e| e.to_string());
    let error = error.unwrap_or_default();
    assert!(
        error.contains("ds-1") && error.contains("cohort.vcf.gz.tbi"),
        "{error}"
    );
    let garbage = VcfIndex::read("x.csi", &b"not an index"[..]).err();
    assert!(
        matches!(&garbage, Some(ReadError::Index { file, .. }) if file == "x.csi"),
        "{garbage:?}"
    );
}

#[test]
fn a_bcf_with_an_index_is_streamed() {
    let files = files();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bcf = dir.path().join("cohort.bcf");
    bcftools(
        &[
            "view",
            "--no-version",
            "-Ob",
            "-o",
            bcf.to_str().unwrap_or_default(),
        ],
        &files.vcfs[0],
    );
    bcftools(&["index", "-c"], &bcf);
    let analysis: GenomeAnalysis = serde_json::from_str(
        r#"{"name":"allele_frequency","vcf_file":"cohort.vcf.gz","region":"2:1-50000"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let without =
        run(&analysis, 1, inputs(&files, &files.vcfs[0], None)).unwrap_or_else(|e| panic!("{e}"));
    let with =
        run(&analysis, 1, inputs(&files, &bcf, Some("csi"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(with, without);
}

#[test]
fn a_record_at_position_zero_is_found_as_when_streaming() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = dir.path().join("p0.vcf");
    fs::write(
        &text,
        concat!(
            "##fileformat=VCFv4.3\n##contig=<ID=1>\n",
            "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n",
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\n",
            "1\t0\t.\tA\tG\t.\t.\t.\tGT\t0/1\n",
            "1\t5\t.\tA\tG\t.\t.\t.\tGT\t1/1\n",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vcf = dir.path().join("p0.vcf.gz");
    bcftools(
        &[
            "view",
            "--no-version",
            "-Oz",
            "-o",
            vcf.to_str().unwrap_or_default(),
        ],
        &text,
    );
    bcftools(&["index", "-t"], &vcf);
    bcftools(&["index", "-c"], &vcf);
    let phenotypes =
        Phenotypes::read(&b"sample,status\na,case\n"[..]).unwrap_or_else(|e| panic!("{e}"));
    for text in ["1", "1:1-5", "1:5-5"] {
        let region: Region = text.parse().unwrap_or_else(|e| panic!("{e}"));
        let expected = streamed(&vcf, &region, &phenotypes);
        for suffix in ["tbi", "csi"] {
            let got = indexed(&vcf, &index_of(&vcf, suffix), &region, &phenotypes)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                got == expected,
                "{text} .{suffix}: {} against {}",
                got.len(),
                expected.len()
            );
        }
    }
}
