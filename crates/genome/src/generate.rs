//! A seeded synthetic VCF generator, for demos and benchmarks: the same parameters
//! give the same bytes.
//!
//! The file is VCFv4.3 with `##contig` lines and `##FORMAT` GT; samples `S0001`,
//! `S0002`, ...; sites spread over three contigs at increasing positions; per site an
//! allele frequency drawn from a skewed distribution (`0.5 u^3`, so most sites are
//! rare), genotypes drawn in Hardy-Weinberg equilibrium (two independent alleles),
//! about 2% multi-allelic sites (two ALTs), and missing genotypes (`./.`) at
//! [`GenerateParams::missing_rate`]. At [`GenerateParams::associated`] sites, evenly
//! spaced, the ALT frequency is 0.1-0.3 among controls and twice that plus 0.05 among
//! cases, so that an association test finds them.
//!
//! ```
//! use strongroom_genome::generate::{GenerateParams, write_vcf};
//! use strongroom_genome::{VcfReader, count_alleles};
//!
//! let params = GenerateParams { associated: 1, ..GenerateParams::new(7, 20, 10) };
//! let mut vcf = Vec::new();
//! let generated = write_vcf(&params, &mut vcf)?;
//! assert_eq!((generated.records, generated.associated.len()), (20, 1));
//! let mut reader = VcfReader::new(&vcf[..])?;
//! assert_eq!(count_alleles(&mut reader).count(), 20);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufWriter, Write};

use crate::{counts::SiteKey, rng::Rng};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateParams {
    /// The seed: the same parameters give the same bytes.
    pub seed: u64,
    /// Records (sites).
    pub sites: u64,
    /// Samples.
    pub samples: usize,
    /// Sites whose ALT frequency differs between cases and controls.
    pub associated: u64,
    /// The share of samples that are cases, spread evenly over the sample columns
    /// (so every contiguous share of samples has about this share of cases).
    pub case_fraction: f64,
    /// The probability that a genotype is missing (`./.`).
    pub missing_rate: f64,
}

impl GenerateParams {
    /// `sites` sites of `samples` samples, none associated, half cases, 1% missing.
    pub fn new(seed: u64, sites: u64, samples: usize) -> Self {
        Self {
            seed,
            sites,
            samples,
            associated: 0,
            case_fraction: 0.5,
            missing_rate: 0.01,
        }
    }

    /// Whether sample `index` (0-based column) is a case.
    pub fn is_case(&self, index: usize) -> bool {
        let f = self.case_fraction.clamp(0.0, 1.0);
        ((index + 1) as f64 * f).floor() > (index as f64 * f).floor()
    }
}

/// What was generated.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// Records written.
    pub records: u64,
    /// Bytes of VCF text written (before any compression).
    pub bytes: u64,
    /// The associated sites, in file order.
    pub associated: Vec<SiteKey>,
}

/// The name of sample `index` (0-based): `S0001`, `S0002`, ...
pub fn sample_name(index: usize) -> String {
    format!("S{:04}", index + 1)
}

/// The contigs used, with the length each is declared with.
const CONTIGS: [&str; 3] = ["1", "2", "3"];
/// The largest gap between consecutive positions.
const MAX_GAP: u64 = 200;
/// The share of multi-allelic sites, in 1/1000.
const MULTIALLELIC_PER_MILLE: u64 = 20;
const BASES: [u8; 4] = *b"ACGT";

/// Writes the VCF as plain text to `out`.
pub fn write_vcf(params: &GenerateParams, out: impl Write) -> io::Result<Generated> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let generated = generate(params, &mut out)?;
    out.flush()?;
    Ok(generated)
}

/// Writes the VCF compressed with BGZF (as `bgzip` would) to `out`.
pub fn write_vcf_bgzf(params: &GenerateParams, out: impl Write) -> io::Result<Generated> {
    let mut writer = noodles_bgzf::io::Writer::new(out);
    let generated = {
        let mut buffered = BufWriter::with_capacity(1 << 20, &mut writer);
        let generated = generate(params, &mut buffered)?;
        buffered.flush()?;
        generated
    };
    writer.finish()?;
    Ok(generated)
}

/// Writes the phenotype CSV of the generated samples (`sample,status`, see
/// [`crate::Phenotypes`]): every sample, case or control by
/// [`GenerateParams::is_case`].
pub fn write_phenotypes(params: &GenerateParams, out: impl Write) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    out.write_all(b"sample,status\n")?;
    for i in 0..params.samples {
        let status = if params.is_case(i) { "case" } else { "control" };
        writeln!(out, "{},{status}", sample_name(i))?;
    }
    out.flush()
}

/// Whether site `index` is associated: `associated` sites evenly spaced.
fn is_associated(params: &GenerateParams, index: u64) -> bool {
    if params.associated == 0 || params.sites == 0 {
        return false;
    }
    let stride = (params.sites / params.associated.min(params.sites)).max(1);
    index % stride == stride / 2 && index / stride < params.associated
}

/// A probability as a threshold on 24 random bits.
fn threshold(p: f64) -> u32 {
    (p.clamp(0.0, 1.0) * f64::from(1u32 << 24)) as u32
}

fn generate(params: &GenerateParams, out: &mut impl Write) -> io::Result<Generated> {
    let mut rng = Rng::new(params.seed);
    let mut bytes = 0u64;
    let mut line = Vec::with_capacity(64 + 4 * params.samples);
    let per_contig = params.sites.div_ceil(CONTIGS.len() as u64).max(1);

    line.extend_from_slice(b"##fileformat=VCFv4.3\n");
    line.extend_from_slice(
        format!(
            "##source=strongroom-genome synthetic generator (seed {})\n",
            params.seed
        )
        .as_bytes(),
    );
    for contig in CONTIGS {
        let length = per_contig * MAX_GAP + 1;
        line.extend_from_slice(format!("##contig=<ID={contig},length={length}>\n").as_bytes());
    }
    line.extend_from_slice(b"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    line.extend_from_slice(b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for i in 0..params.samples {
        line.push(b'\t');
        line.extend_from_slice(sample_name(i).as_bytes());
    }
    line.push(b'\n');
    out.write_all(&line)?;
    bytes += line.len() as u64;

    let cases: Vec<bool> = (0..params.samples).map(|i| params.is_case(i)).collect();
    let missing = (params.missing_rate.clamp(0.0, 1.0) * 65536.0) as u64;
    let mut associated = Vec::new();
    let mut position = 0u64;
    let mut contig = usize::MAX;
    let mut number = itoa_buffer();
    for index in 0..params.sites {
        let this_contig = (index / per_contig) as usize;
        if this_contig != contig {
            contig = this_contig;
            position = 0;
        }
        position += 1 + rng.below(MAX_GAP);
        let chromosome = CONTIGS[contig.min(CONTIGS.len() - 1)];
        let reference = BASES[rng.below(4) as usize];
        let alt1 = BASES[(BASES.iter().position(|&b| b == reference).unwrap_or(0)
            + 1
            + rng.below(3) as usize)
            % 4];
        let is_assoc = is_associated(params, index);
        let multi = !is_assoc && rng.below(1000) < MULTIALLELIC_PER_MILLE;
        let alt2 = BASES
            .iter()
            .copied()
            .find(|&b| b != reference && b != alt1)
            .unwrap_or(b'N');
        // ALT frequencies for controls and for cases, as 24-bit thresholds:
        // allele 1 when u < t1, allele 2 when t1 <= u < t2.
        let (control, case) = if is_assoc {
            let p = 0.1 + 0.2 * rng.unit();
            let p_case = (2.0 * p + 0.05).min(0.95);
            (
                (threshold(p), threshold(p)),
                (threshold(p_case), threshold(p_case)),
            )
        } else if multi {
            let p1 = 0.25 * rng.unit().powi(3);
            let p2 = 0.25 * rng.unit().powi(3);
            let t = (threshold(p1), threshold(p1 + p2));
            (t, t)
        } else {
            let p = 0.5 * rng.unit().powi(3);
            let t = (threshold(p), threshold(p));
            (t, t)
        };

        line.clear();
        line.extend_from_slice(chromosome.as_bytes());
        line.push(b'\t');
        line.extend_from_slice(format_u64(&mut number, position));
        line.extend_from_slice(b"\t.\t");
        line.push(reference);
        line.push(b'\t');
        line.push(alt1);
        if multi {
            line.push(b',');
            line.push(alt2);
        }
        line.extend_from_slice(b"\t.\t.\t.\tGT");
        for &is_case in &cases {
            let (t1, t2) = if is_case { case } else { control };
            let r = rng.next_u64();
            if r & 0xffff < missing {
                line.extend_from_slice(b"\t./.");
                continue;
            }
            let allele = |u: u32| -> u8 {
                if u < t1 {
                    b'1'
                } else if u < t2 {
                    b'2'
                } else {
                    b'0'
                }
            };
            let a = allele(((r >> 16) & 0xff_ffff) as u32);
            let b = allele((r >> 40) as u32);
            line.extend_from_slice(&[b'\t', a, b'/', b]);
        }
        line.push(b'\n');
        out.write_all(&line)?;
        bytes += line.len() as u64;
        if is_assoc {
            associated.push(SiteKey {
                chromosome: chromosome.to_owned(),
                position,
                reference: char::from(reference).to_string(),
                alternates: vec![char::from(alt1).to_string()],
            });
        }
    }
    Ok(Generated {
        records: params.sites,
        bytes,
        associated,
    })
}

/// A buffer for [`format_u64`].
fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// The decimal digits of `n`, without allocating.
fn format_u64(buffer: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut i = buffer.len();
    loop {
        i -= 1;
        buffer[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buffer[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_spreads_cases() {
        let mut b = itoa_buffer();
        assert_eq!(format_u64(&mut b, 0), b"0");
        assert_eq!(
            format_u64(&mut b, 18_446_744_073_709_551_615),
            b"18446744073709551615"
        );
        let params = GenerateParams::new(1, 10, 10);
        assert_eq!((0..10).filter(|&i| params.is_case(i)).count(), 5);
        let params = GenerateParams {
            associated: 4,
            ..GenerateParams::new(1, 100, 10)
        };
        assert_eq!((0..100).filter(|&i| is_associated(&params, i)).count(), 4);
    }
}
