//! A malformed record is an error naming its line, never a panic or a partial count.

use strongroom_genome::{ReadError, RecordProblem, VcfReader, count_alleles, summarize};

/// A header of 6 lines with samples a, b, c; records start on line 7.
const HEADER: &str = "##fileformat=VCFv4.2\n##contig=<ID=1>\n\
##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n";

const GOOD: &str = "1\t10\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\t./.\n";

/// The error reading `HEADER`, two good records, then `bad` (so on line 9).
fn error_on_line_9(bad: &str) -> ReadError {
    let vcf = format!("{HEADER}{GOOD}{GOOD}{bad}{GOOD}");
    let mut reader = VcfReader::new(vcf.as_bytes()).unwrap_or_else(|e| panic!("header: {e}"));
    let results: Vec<_> = count_alleles(&mut reader).collect();
    assert_eq!(results.len(), 3, "counting stops at the first error");
    let error = match results.into_iter().nth(2) {
        Some(Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(error.line(), 9, "{error}");
    assert!(error.to_string().starts_with("line 9: "), "{error}");
    // summarize reports the same.
    let summary_error = summarize(vcf.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("summarize accepted it"));
    assert_eq!(summary_error.line(), 9, "{summary_error}");
    error
}

#[test]
fn a_truncated_record_names_its_line() {
    let error = error_on_line_9("1\t30\t.\tA\n");
    assert!(
        matches!(
            error,
            ReadError::Record {
                problem: RecordProblem::Fields(_),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_truncated_last_record_names_its_line() {
    let vcf = format!("{HEADER}{GOOD}{GOOD}1\t30\t.\tA\tG");
    let error = summarize(vcf.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(error.line(), 9, "{error}");
}

#[test]
fn a_bad_genotype_names_its_line() {
    let error = error_on_line_9("1\t30\t.\tA\tG\t.\t.\t.\tGT\t0/1\tx/1\t0/0\n");
    assert!(
        matches!(
            error,
            ReadError::Record {
                problem: RecordProblem::Genotype { sample: 2 },
                ..
            }
        ),
        "{error}"
    );
    assert!(
        !error.to_string().contains("x/1"),
        "errors never quote genotypes: {error}"
    );
}

#[test]
fn an_allele_index_beyond_alt_names_its_line() {
    let error = error_on_line_9("1\t30\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/2\t0/0\n");
    assert!(
        matches!(
            error,
            ReadError::Record {
                problem: RecordProblem::AlleleIndex {
                    sample: 2,
                    allele: 2,
                    alleles: 2
                },
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn fewer_sample_columns_than_the_header_names_its_line() {
    let error = error_on_line_9("1\t30\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/0\n");
    assert!(
        matches!(
            error,
            ReadError::Record {
                problem: RecordProblem::SampleCount {
                    expected: 3,
                    found: 2
                },
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn an_invalid_position_names_its_line() {
    error_on_line_9("1\tten\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/0\t0/0\n");
}

#[test]
fn a_bad_header_line_is_named() {
    let vcf = "##fileformat=VCFv4.2\n##INFO=<ID=DP,Number=1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    let error = summarize(vcf.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(error.line(), 2, "{error}");
    assert!(matches!(error, ReadError::Header { .. }), "{error}");
}

#[test]
fn a_file_that_is_not_a_vcf_is_refused() {
    let error = summarize(&b"patient_id,age\n1,42\n"[..])
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(error.line(), 1, "{error}");
}
