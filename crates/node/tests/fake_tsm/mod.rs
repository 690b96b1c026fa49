//! A stand-in for configfs-tsm under `tsm_root`: the kernel's semantics on real files,
//! answering each inblob with a real TDX quote or SNP report (see the users' docs).
#![allow(dead_code, clippy::unwrap_used)]

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use strongroom_api_types::Attestation;
use strongroom_crypto::provider::{SigningKey, default_provider};
use strongroom_enclave::{PublicKeys, evidence_report_data};
use strongroom_node::RunningNode;
use strongroom_tee::{Measurement, TsmFilesystem};

/// Where a TDX v4 quote carries its report data.
pub const TDX_REPORT_DATA_OFFSET: usize = 568;
/// Where an SNP report carries its report data, its measurement, and its signature
/// (over the bytes before it).
pub const SNP_REPORT_DATA_OFFSET: usize = 0x50;
pub const SNP_MEASUREMENT_OFFSET: usize = 0x90;
pub const SNP_SIGNATURE_OFFSET: usize = 0x2a0;
pub const SNP_SIGNATURE_COMPONENT_LEN: usize = 72;

pub fn shared_sample(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/attestation")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "attestation test data missing: cannot read {} ({e}); see shared/data/README.md",
            path.display()
        )
    })
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/snp-test-chain")
            .join(name),
    )
    .unwrap()
}

/// An inblob written and the outblob that answered it.
pub type Answer = (Vec<u8>, Vec<u8>);

/// A stand-in for configfs-tsm: real files in a directory, the kernel's semantics on
/// top (a report entry per mkdir, the outblob answering the inblob, `generation`
/// counting writes); SNP outblobs are signed with the test VCEK.
#[derive(Clone)]
pub struct FakeKernel {
    provider: &'static str,
    template: Vec<u8>,
    report_data_offset: usize,
    vcek: Option<Arc<SigningKey>>,
    /// What each report entry's `auxblob` holds, if the kernel provides one.
    auxblob: Option<Vec<u8>>,
    /// Every inblob and the outblob that answered it, in order.
    answered: Arc<Mutex<Vec<Answer>>>,
}

impl std::fmt::Debug for FakeKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeKernel")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl FakeKernel {
    pub fn tdx() -> Self {
        Self {
            provider: "tdx_guest",
            template: shared_sample("dcap-qvl/tdx_quote"),
            report_data_offset: TDX_REPORT_DATA_OFFSET,
            vcek: None,
            auxblob: None,
            answered: Arc::default(),
        }
    }

    pub fn snp() -> Self {
        let key = SigningKey::from_pkcs8_der(&fixture("vcek.key.der")).unwrap();
        Self {
            provider: "sev_guest",
            template: shared_sample("virtee-sev/report_milan.bin"),
            report_data_offset: SNP_REPORT_DATA_OFFSET,
            vcek: Some(Arc::new(key)),
            auxblob: None,
            answered: Arc::default(),
        }
    }

    /// The kernel also provides `auxblob` (on SNP: the host's certificate table).
    pub fn with_auxblob(self, auxblob: Vec<u8>) -> Self {
        Self {
            auxblob: Some(auxblob),
            ..self
        }
    }

    fn outblob(&self, inblob: &[u8]) -> Vec<u8> {
        let mut outblob = self.template.clone();
        outblob[self.report_data_offset..][..64].copy_from_slice(inblob);
        if let Some(vcek) = &self.vcek {
            sign_snp_report(vcek, &mut outblob);
        }
        outblob
    }

    pub fn last_answer(&self) -> Answer {
        self.answered.lock().unwrap().last().cloned().unwrap()
    }
}

/// Signs an SNP report as the firmware does: ECDSA P-384 SHA-384 over the bytes before
/// the signature, R and S little-endian in 72-byte fields.
pub fn sign_snp_report(vcek: &SigningKey, report: &mut [u8]) {
    let der = default_provider()
        .ecdsa_sign(vcek, &report[..SNP_SIGNATURE_OFFSET])
        .unwrap();
    let (r, s) = der_signature_scalars(&der);
    let field = &mut report[SNP_SIGNATURE_OFFSET..];
    field[..2 * SNP_SIGNATURE_COMPONENT_LEN].fill(0);
    for (component, scalar) in [r, s].iter().enumerate() {
        let out = &mut field[component * SNP_SIGNATURE_COMPONENT_LEN..];
        for (i, byte) in scalar.iter().rev().enumerate() {
            out[i] = *byte;
        }
    }
}

/// R and S of a DER ECDSA signature, big-endian, without leading zeros.
pub fn der_signature_scalars(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    // SEQUENCE { INTEGER r, INTEGER s }, short lengths for P-384.
    assert_eq!(der[0], 0x30);
    let integer = |at: usize| {
        assert_eq!(der[at], 0x02);
        let len = usize::from(der[at + 1]);
        let bytes = &der[at + 2..at + 2 + len];
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        (bytes[start..].to_vec(), at + 2 + len)
    };
    let (r, next) = integer(2);
    let (s, _) = integer(next);
    (r, s)
}

impl TsmFilesystem for FakeKernel {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)?;
        std::fs::write(path.join("provider"), format!("{}\n", self.provider))?;
        std::fs::write(path.join("generation"), "0\n")?;
        if let Some(auxblob) = &self.auxblob {
            std::fs::write(path.join("auxblob"), auxblob)?;
        }
        std::fs::write(path.join("outblob"), &self.template)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        std::fs::write(path, contents)?;
        let entry = path.parent().ok_or(io::ErrorKind::InvalidInput)?;
        if path.file_name().is_some_and(|name| name == "inblob") {
            let outblob = self.outblob(contents);
            std::fs::write(entry.join("outblob"), &outblob)?;
            self.answered
                .lock()
                .unwrap()
                .push((contents.to_vec(), outblob));
        }
        let generation = entry.join("generation");
        let current: u64 = std::fs::read_to_string(&generation)?
            .trim()
            .parse()
            .map_err(|_| io::ErrorKind::InvalidData)?;
        std::fs::write(generation, format!("{}\n", current + 1))
    }
}

pub fn snp_template_measurement() -> Measurement {
    let report = shared_sample("virtee-sev/report_milan.bin");
    Measurement::new(report[SNP_MEASUREMENT_OFFSET..][..48].to_vec())
}

/// The GUIDs of a GHCB certificate table's VCEK, ASK and ARK entries.
pub const VCEK_GUID: &str = "63da758d-e664-4564-adc5-f4b93be8accd";
pub const ASK_GUID: &str = "4ab7b379-bbac-4fe4-a02f-05aef327c782";
pub const ARK_GUID: &str = "c0b406a4-a803-4952-9743-3fb6014cd0ae";

pub fn der_of_pem(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    strongroom_api_types::b64::decode(&body).unwrap()
}

/// The certificate table a host hands an SNP guest: entries (GUID, offset, length)
/// ended by a zero entry, then the certificates (DER).
pub fn certificate_table(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let header = (entries.len() + 1) * 24;
    let (mut head, mut body) = (Vec::new(), Vec::new());
    for (guid, der) in entries {
        head.extend(hex::decode(guid.replace('-', "")).unwrap());
        head.extend(u32::try_from(header + body.len()).unwrap().to_le_bytes());
        head.extend(u32::try_from(der.len()).unwrap().to_le_bytes());
        body.extend_from_slice(der);
    }
    head.extend([0u8; 24]);
    [head, body].concat()
}

/// The test chain's table: its VCEK, ASK and ARK.
pub fn test_chain_table() -> Vec<u8> {
    certificate_table(&[
        (VCEK_GUID, der_of_pem(&fixture("vcek.pem"))),
        (ASK_GUID, der_of_pem(&fixture("ask.pem"))),
        (ARK_GUID, der_of_pem(&fixture("ark.pem"))),
    ])
}

/// Where an SGX v3 quote carries its report data (header 48 + report body 320).
pub const SGX_REPORT_DATA_OFFSET: usize = 368;
/// Gramine's MRENCLAVE sealing key in the stand-in.
pub const FAKE_SGX_SEAL_KEY: [u8; 16] = [0x5a; 16];

/// A stand-in for Gramine's `/dev/attestation`: real files in a directory, Gramine's
/// semantics on top (`quote` answers the last `user_report_data` written, with the
/// real SGX quote of the shared data, its report data replaced).
#[derive(Clone, Debug)]
pub struct FakeGramine {
    template: Vec<u8>,
    /// Every `user_report_data` written and the quote that answered it, in order.
    answered: Arc<Mutex<Vec<Answer>>>,
}

impl FakeGramine {
    /// Gramine under DCAP attestation, with a sealing key; writes its files under `root`.
    pub fn dcap(root: &Path) -> Self {
        std::fs::write(root.join("attestation_type"), "dcap").unwrap();
        std::fs::create_dir_all(root.join("keys")).unwrap();
        std::fs::write(root.join("keys/_sgx_mrenclave"), FAKE_SGX_SEAL_KEY).unwrap();
        Self {
            template: shared_sample("dcap-qvl/sgx_quote"),
            answered: Arc::default(),
        }
    }

    pub fn last_answer(&self) -> Answer {
        self.answered.lock().unwrap().last().cloned().unwrap()
    }
}

impl TsmFilesystem for FakeGramine {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        std::fs::write(path, contents)?;
        if path
            .file_name()
            .is_some_and(|name| name == "user_report_data")
        {
            let mut quote = self.template.clone();
            quote[SGX_REPORT_DATA_OFFSET..][..64].copy_from_slice(contents);
            let dir = path.parent().ok_or(io::ErrorKind::InvalidInput)?;
            std::fs::write(dir.join("quote"), &quote)?;
            self.answered
                .lock()
                .unwrap()
                .push((contents.to_vec(), quote));
        }
        Ok(())
    }
}

/// `GET /v1/attestation` over a fresh nonce, as a client sends it.
pub async fn attestation(running: &RunningNode, nonce: [u8; 32]) -> Attestation {
    let http = crate::common::raw_http(running.cert_pem(), b"h2");
    let url = format!(
        "https://localhost:{}/v1/attestation?nonce={}",
        running.addr().port(),
        hex::encode(nonce)
    );
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// The report data the node's evidence must bind for `attestation`.
pub fn expected_report_data(attestation: &Attestation, nonce: &[u8]) -> [u8; 64] {
    let keys = PublicKeys {
        signing_key: hex::decode(&attestation.signing_key).unwrap(),
        transaction_key: hex::decode(&attestation.transaction_key).unwrap(),
    };
    let endpoint: [u8; 32] = hex::decode(&attestation.endpoint_key_sha256)
        .unwrap()
        .try_into()
        .unwrap();
    evidence_report_data(
        &keys,
        &hex::decode(&attestation.key_release_key).unwrap(),
        &endpoint,
        nonce,
    )
}
