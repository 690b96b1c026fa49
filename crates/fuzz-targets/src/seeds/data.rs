//! Seeds of the data plane: encrypted objects, attestation evidence and policy, and the
//! analyses' CSV input.

use strongroom_compute::synthetic::SplitMix64;
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{HEADER_LEN, ObjectOptions, encrypt};
use strongroom_tee::Platform;

use super::Seeds;
use crate::fixture::{self, OBJECT_KEY, samples};

pub(super) fn object_seeds(out: &mut Seeds) {
    let key = DataKey::from_bytes(OBJECT_KEY);
    let plaintext: Vec<u8> = (0..100u8).collect();
    for (name, chunk_size, len) in [("empty", 16, 0), ("one-chunk", 64, 40), ("chunks", 16, 100)] {
        let mut sealed = Vec::new();
        if encrypt(
            &key,
            ObjectOptions { chunk_size },
            &plaintext[..len],
            &mut sealed,
        )
        .is_err()
        {
            continue;
        }
        out.add("object", format!("whole-{name}"), {
            let mut seed = vec![0];
            seed.extend_from_slice(&sealed);
            seed
        });
        if chunk_size == 16 {
            out.add("object", format!("after-header-{name}"), {
                let mut seed = vec![128];
                seed.extend_from_slice(&sealed[HEADER_LEN.min(sealed.len())..]);
                seed
            });
        }
    }
    for (name, mode, alter) in [("kept", 192, 0), ("flipped", 200, 13), ("cut", 255, 20)] {
        let mut seed = vec![mode];
        seed.extend_from_slice(&plaintext[..50]);
        seed.push(alter);
        out.add("object", format!("plaintext-{name}"), seed);
    }
}

pub(super) fn attestation_seeds(out: &mut Seeds) {
    let platform = fixture::sim_platform();
    if let Ok(evidence) = platform.evidence(&[0x42; 64]) {
        out.add("sim_evidence", "sim", evidence.into_bytes());
    }
    // Copies of the third-party samples: written as `seed-sample-*`, which git
    // ignores (shared/data is not copied into the repository).
    let samples = samples::get();
    out.add("dcap_quote", "sample-sgx_quote", samples.sgx_quote.clone());
    out.add("dcap_quote", "sample-tdx_quote", samples.tdx_quote.clone());
    out.add(
        "dcap_collateral",
        "sample-sgx_quote_collateral",
        samples.sgx_collateral.clone(),
    );
    out.add(
        "dcap_collateral",
        "sample-tdx_quote_collateral",
        samples.tdx_collateral.clone(),
    );
    out.add(
        "snp_report",
        "sample-report_milan",
        samples.snp_report.clone(),
    );
    out.add("snp_collateral", "sample-vcek_milan", {
        let mut seed = vec![0];
        seed.extend_from_slice(&samples.snp_vcek);
        seed
    });
    out.add("snp_collateral", "sample-milan_chain", {
        let mut seed = vec![1];
        seed.extend_from_slice(&samples.snp_ask);
        seed.extend_from_slice(&samples.snp_ark);
        seed
    });
    if let Some(seed) = pccs_seed(&samples.tdx_collateral) {
        out.add("pccs_answers", "sample-tdx_quote_collateral", seed);
    }
    out.add(
        "pccs_answers",
        "shape",
        crate::attestation::pccs_frame([
            &[0x30, 0x03, 0x02, 0x01, 0x01],
            b"-----BEGIN%20CERTIFICATE-----%0AAA%3D%3D%0A-----END%20CERTIFICATE-----%0A",
            br#"{"tcbInfo":{"id":"TDX","version":3},"signature":"00ff"}"#,
            b"-----BEGIN%20CERTIFICATE-----%0A",
            br#"{"enclaveIdentity":{"id":"TD_QE"},"signature":"abcd"}"#,
            b"%2D%2D%2D%2D%2DBEGIN CERTIFICATE-----",
            b"3003020101",
        ]),
    );
    out.add(
        "attestation_policy",
        "documented",
        concat!(
            "allow_simulated = false\n",
            "allow_debug = false\n",
            "accepted_tcb_status = [\"UpToDate\", \"SWHardeningNeeded\"]\n",
            "\n",
            "[[allow]]\n",
            "platform = \"tdx\"\n",
            "measurement = \"91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7\"\n",
            "\n",
            "[[allow]]\n",
            "platform = \"snp\"\n",
            "measurement = \"*\"\n",
        ),
    );
    out.add(
        "attestation_policy",
        "sim",
        "allow_simulated = true\n\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"*\"\n",
    );
}

pub(super) fn compute_seeds(out: &mut Seeds) {
    // Synthea-like rows, a few of them the condition (code 44054006, "Diabetes").
    let mut rng = SplitMix64::new(7);
    let mut patients = String::from("Id,BIRTHDATE,DEATHDATE,RACE,ETHNICITY,GENDER\n");
    let mut conditions = String::from("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n");
    for i in 0..24u64 {
        let year = 1930 + rng.below(80);
        let gender = if rng.below(2) == 0 { "F" } else { "M" };
        let race = ["white", "black", "asian"][rng.below(3) as usize];
        let death = if i % 7 == 0 { "2020-01-02" } else { "" };
        patients.push_str(&format!(
            "p{i},{year}-0{}-1{},{death},{race},nonhispanic,{gender}\n",
            1 + rng.below(9),
            rng.below(10)
        ));
        let (code, description) = if i % 3 == 0 {
            ("44054006", "Diabetes")
        } else {
            ("444814009", "Viral sinusitis (disorder)")
        };
        conditions.push_str(&format!(
            "2015-03-0{},,p{i},e{i},{code},{description}\n",
            1 + rng.below(9)
        ));
    }
    for (name, mode) in [
        ("describe-code", 0u8),
        ("describe-birthdate", 4),
        ("describe-gender", 6),
    ] {
        let mut seed = vec![mode];
        let file = if mode == 0 { &conditions } else { &patients };
        seed.extend_from_slice(file.as_bytes());
        out.add("compute_csv", name, seed);
    }
    for (name, mode) in [
        ("stratify-code", 1u8 | (2 << 2)),
        ("stratify-description", 3 | (5 << 2)),
    ] {
        let mut seed = vec![mode];
        seed.extend_from_slice(patients.as_bytes());
        seed.push(0);
        seed.extend_from_slice(conditions.as_bytes());
        out.add("compute_csv", name, seed);
    }
}

/// `algorithm_abi`: groups and names that decode, and CSV bodies whose fields are group
/// encodings (released at k = 1 and withheld at k = 20) or garbage.
pub(super) fn algorithm_seeds(out: &mut Seeds) {
    use strongroom_sandbox::abi::encode_group;
    let mut group = vec![0];
    group.extend(encode_group(&["female", "65+"]));
    out.add("algorithm_abi", "group", group);
    out.add("algorithm_abi", "name", b"\0mean_2".to_vec());
    out.add("algorithm_abi", "empty-group", [0, 0, 0, 0, 0].to_vec());
    let mut rows = Vec::new();
    for label in ["white", "white", "black", "asian", "white"] {
        rows.extend(encode_group(&[label]));
        rows.push(b'\n');
    }
    for k in [1u8, 20] {
        let mut seed = vec![k];
        seed.extend(&rows);
        out.add("algorithm_abi", format!("rows-k{k}"), seed);
    }
    out.add(
        "algorithm_abi",
        "garbage-rows",
        b"\x01x\ny,z\n\"q\n".to_vec(),
    );
}

pub(super) fn shamir_seeds(out: &mut Seeds) {
    // Seeded, so that the seeds are the same at each regeneration.
    let secret = b"the service secrets";
    for (threshold, shares) in [(1, 1), (2, 3)] {
        let Ok(split) =
            strongroom_crypto::shamir::split_with_seed(&[7; 32], secret, threshold, shares)
        else {
            continue;
        };
        let Some(first) = split.first() else {
            continue;
        };
        out.add("shamir_share", format!("one-of-{threshold}-of-{shares}"), {
            let mut seed = vec![0];
            seed.extend_from_slice(&first.to_bytes());
            seed
        });
        if shares == 3 {
            // Mode 5 cuts the rest into three pieces: the three shares.
            let mut seed = vec![5];
            for share in &split {
                seed.extend_from_slice(&share.to_bytes());
            }
            out.add("shamir_share", format!("all-{threshold}-of-{shares}"), seed);
            // Mode 1: a recovery share's plaintext (format, the public keys' and the
            // secrets' hashes, version 1, 3 members) around the first share.
            let mut seed = vec![1, 0x01];
            seed.extend_from_slice(&[0xaa; 32]);
            seed.extend_from_slice(&[0xbb; 32]);
            seed.extend_from_slice(&1u64.to_be_bytes());
            seed.push(3);
            seed.extend_from_slice(&first.to_bytes());
            out.add("shamir_share", "recovery-share", seed);
        }
    }
}

/// `genome_vcf`: VCF text with multi-allelic, haploid, polyploid, phased and missing
/// genotypes, a sites-only file, and the same first file given to the BCF reader;
/// `genome_analysis`: the first file with a phenotype table, for both analyses.
pub(super) fn genome_seeds(out: &mut Seeds) {
    let genotyped = concat!(
        "##fileformat=VCFv4.3\n",
        "##contig=<ID=1>\n",
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n",
        "1\t100\t.\tA\tG,T\t.\t.\t.\tGT\t0/1\t2|.\t./.\n",
        "1\t200\trs1\tC\tG\t50\tPASS\t.\tGT\t1\t0/1/1\t0|0\n",
        "2\t300\t.\tG\t.\t.\t.\t.\tGT\t0/0\t.\t0\n",
    );
    let sites_only = concat!(
        "##fileformat=VCFv4.2\n",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
        "X\t5\t.\tT\tC\t.\t.\tAC=1;AN=2\n",
    );
    for (name, mode, text) in [
        ("vcf-genotyped", 0u8, genotyped),
        ("vcf-sites-only", 2, sites_only),
        ("bcf-of-text", 1, genotyped),
    ] {
        let mut seed = vec![mode];
        seed.extend_from_slice(text.as_bytes());
        out.add("genome_vcf", name, seed);
    }
    // `genome_analysis`: mode, the VCF's length (u32 big-endian), the VCF, then a
    // phenotype table naming two of its samples.
    let phenotypes = "sample,status\na,case\nb,control\nzz,case\n";
    for (name, mode) in [("allele-frequency-k1", 0u8), ("association-k2", 3)] {
        let mut seed = vec![mode];
        seed.extend_from_slice(&(genotyped.len() as u32).to_be_bytes());
        seed.extend_from_slice(genotyped.as_bytes());
        seed.extend_from_slice(phenotypes.as_bytes());
        out.add("genome_analysis", name, seed);
    }
}

/// The answers a PCCS gives for the items of collateral JSON, framed for
/// `pccs_answers`: bodies as a PCCS sends them, issuer chains percent-encoded.
fn pccs_seed(collateral_json: &[u8]) -> Option<Vec<u8>> {
    let fields: serde_json::Value = serde_json::from_slice(collateral_json).ok()?;
    let text = |key: &str| fields.get(key)?.as_str().map(str::to_owned);
    let bytes = |key: &str| hex::decode(text(key)?).ok();
    let encode = |pem: String| strongroom_tee::pccs::percent_encode(&pem).into_bytes();
    let signed = |name: &str, body: &str, signature: &str| -> Option<Vec<u8>> {
        Some(
            format!(
                r#"{{"{name}":{},"signature":"{}"}}"#,
                text(body)?,
                text(signature)?
            )
            .into_bytes(),
        )
    };
    let parts = [
        bytes("pck_crl")?,
        encode(text("pck_crl_issuer_chain")?),
        signed("tcbInfo", "tcb_info", "tcb_info_signature")?,
        encode(text("tcb_info_issuer_chain")?),
        signed("enclaveIdentity", "qe_identity", "qe_identity_signature")?,
        encode(text("qe_identity_issuer_chain")?),
        text("root_ca_crl")?.into_bytes(),
    ];
    Some(crate::attestation::pccs_frame(
        parts.each_ref().map(Vec::as_slice),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use strongroom_tee::{DcapVerifier, PlatformKind};

    use crate::attestation::{pccs_answers_of, pccs_parts};
    use crate::fixture::{attestation_time, samples};

    #[test]
    fn the_sample_pccs_seed_assembles_into_collateral_the_sample_quote_verifies_under() {
        let seed = super::pccs_seed(&samples::get().tdx_collateral).unwrap();
        let answers = pccs_answers_of(pccs_parts(&seed));
        let (collateral, _) = answers.assemble().unwrap();
        DcapVerifier::new()
            .verify_quote(
                PlatformKind::Tdx,
                &samples::get().tdx_quote,
                &collateral,
                attestation_time(),
            )
            .unwrap();
    }
}
