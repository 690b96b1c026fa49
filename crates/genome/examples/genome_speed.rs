//! Times the crate's hot paths on one core, in release:
//!
//! ```text
//! cargo run --release -p strongroom-genome --example genome_speed -- generate OUT.vcf SITES SAMPLES [SEED]
//! cargo run --release -p strongroom-genome --example genome_speed -- count FILE.vcf
//! cargo run --release -p strongroom-genome --example genome_speed -- tally FILE.vcf [PHENOTYPES.csv]
//! ```
//!
//! `generate` prints MB/s of VCF text written; `count` and `tally` print records/s.

use std::{fs::File, time::Instant};

use strongroom_genome::{
    Phenotypes, VcfReader, count_alleles,
    generate::{GenerateParams, write_phenotypes, write_vcf},
    tally_sites,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: genome_speed generate OUT SITES SAMPLES [SEED] | count FILE | tally FILE [PHENOTYPES]";
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or(usage);
    let start = Instant::now();
    match arg(0)? {
        "generate" => {
            let params = GenerateParams {
                associated: 10,
                ..GenerateParams::new(
                    args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(1),
                    arg(2)?.parse()?,
                    arg(3)?.parse()?,
                )
            };
            let generated = write_vcf(&params, File::create(arg(1)?)?)?;
            let seconds = start.elapsed().as_secs_f64();
            write_phenotypes(
                &params,
                File::create(format!("{}.phenotypes.csv", arg(1)?))?,
            )?;
            println!(
                "generate: {} records, {} bytes in {seconds:.3} s: {:.0} MB/s",
                generated.records,
                generated.bytes,
                generated.bytes as f64 / seconds / 1e6
            );
        }
        "count" => {
            let mut reader = VcfReader::open(arg(1)?)?;
            let mut records = 0u64;
            for site in count_alleles(&mut reader) {
                site?;
                records += 1;
            }
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "count_alleles: {records} records in {seconds:.3} s: {:.0} records/s",
                records as f64 / seconds
            );
        }
        "tally" => {
            let phenotypes = args.get(2).map(Phenotypes::open).transpose()?;
            let mut reader = VcfReader::open(arg(1)?)?;
            let mut records = 0u64;
            for site in tally_sites(&mut reader, phenotypes.as_ref()) {
                site?;
                records += 1;
            }
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "tally_sites: {records} records in {seconds:.3} s: {:.0} records/s",
                records as f64 / seconds
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
