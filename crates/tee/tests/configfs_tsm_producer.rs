//! The configfs-tsm producer follows the kernel ABI: a fresh report entry per
//! request, `inblob` in and `outblob` out, `generation` checked to detect a
//! concurrent writer, the outblob's report data checked, the entry removed. A fake
//! kernel over a temporary directory stands in for `/sys/kernel/config/tsm/report`,
//! returning the real TDX quote and SNP report as outblobs.
#![allow(clippy::unwrap_used)]

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use strongroom_tee::{
    ConfigfsTsm, MeasurementPattern, Platform, PlatformError, PlatformKind, Policy, TcbStatus,
    TsmFilesystem, verify,
};

/// How the fake kernel misbehaves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Behaviour {
    /// Like the kernel: the outblob answers the inblob, generation counts writes.
    Honest,
    /// Another process writes the same entry's inblob right after us.
    ConcurrentWriter,
    /// The outblob does not follow the inblob.
    StaleOutblob,
}

/// A stand-in for configfs-tsm: real files in a directory, kernel semantics on top.
#[derive(Clone, Debug)]
struct FakeKernel {
    provider: &'static str,
    /// The outblob, into which the inblob is copied at `report_data_offset`.
    template: Vec<u8>,
    report_data_offset: usize,
    behaviour: Behaviour,
    inblobs: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeKernel {
    fn new(provider: &'static str, template: Vec<u8>, report_data_offset: usize) -> Self {
        Self {
            provider,
            template,
            report_data_offset,
            behaviour: Behaviour::Honest,
            inblobs: Arc::default(),
        }
    }

    fn behaving(mut self, behaviour: Behaviour) -> Self {
        self.behaviour = behaviour;
        self
    }

    fn bump_generation(entry: &Path, by: u64) -> io::Result<()> {
        let path = entry.join("generation");
        let current: u64 = std::fs::read_to_string(&path)?.trim().parse().unwrap();
        std::fs::write(path, format!("{}\n", current + by))
    }
}

impl TsmFilesystem for FakeKernel {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)?;
        std::fs::write(path.join("provider"), format!("{}\n", self.provider))?;
        std::fs::write(path.join("generation"), "0\n")?;
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
        let entry = path.parent().unwrap();
        if path.file_name().unwrap() == "inblob" {
            self.inblobs.lock().unwrap().push(contents.to_vec());
            if self.behaviour != Behaviour::StaleOutblob {
                let mut outblob = self.template.clone();
                outblob[self.report_data_offset..self.report_data_offset + 64]
                    .copy_from_slice(contents);
                std::fs::write(entry.join("outblob"), outblob)?;
            }
        }
        let bumps = if self.behaviour == Behaviour::ConcurrentWriter {
            2
        } else {
            1
        };
        Self::bump_generation(entry, bumps)
    }
}

fn tdx_kernel() -> FakeKernel {
    FakeKernel::new(
        "tdx_guest",
        sample("dcap-qvl/tdx_quote"),
        TDX_V4_REPORT_DATA_OFFSET,
    )
}

fn snp_kernel() -> FakeKernel {
    FakeKernel::new(
        "sev_guest",
        sample("virtee-sev/report_milan.bin"),
        SNP_REPORT_DATA_OFFSET,
    )
}

fn producer(kind: PlatformKind, root: &Path, kernel: &FakeKernel) -> ConfigfsTsm {
    ConfigfsTsm::with_filesystem(kind, root, Box::new(kernel.clone())).unwrap()
}

fn entries(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[test]
fn tdx_evidence_comes_from_outblob_and_verifies() {
    let root = tempfile::tempdir().unwrap();
    let kernel = tdx_kernel();
    let tdx = producer(PlatformKind::Tdx, root.path(), &kernel);
    let report_data = report_data(TDX_REPORT_DATA);

    let evidence = tdx.evidence(&report_data).unwrap();
    assert_eq!(evidence.platform(), PlatformKind::Tdx);
    assert_eq!(evidence.as_bytes(), sample("dcap-qvl/tdx_quote"));
    assert_eq!(*kernel.inblobs.lock().unwrap(), vec![report_data.to_vec()]);
    assert!(
        entries(root.path()).is_empty(),
        "the report entry is removed"
    );

    let policy = Policy::new().with_allowed(PlatformKind::Tdx, MeasurementPattern::Any);
    let claims = verify(&evidence, &tdx_collateral().into(), &policy, in_window()).unwrap();
    assert_eq!(claims.measurement.to_hex(), TDX_MRTD);
    assert_eq!(claims.tcb_status, Some(TcbStatus::UpToDate));
}

#[test]
fn tdx_measurement_is_the_mrtd() {
    let root = tempfile::tempdir().unwrap();
    let tdx = producer(PlatformKind::Tdx, root.path(), &tdx_kernel());
    assert_eq!(tdx.measurement().unwrap().to_hex(), TDX_MRTD);
    assert_eq!(tdx.kind(), PlatformKind::Tdx);
}

#[test]
fn snp_evidence_comes_from_outblob_and_verifies() {
    let root = tempfile::tempdir().unwrap();
    let kernel = snp_kernel();
    let snp = producer(PlatformKind::Snp, root.path(), &kernel);
    let evidence = snp.evidence(&report_data(SNP_REPORT_DATA)).unwrap();
    assert_eq!(evidence.platform(), PlatformKind::Snp);
    assert_eq!(evidence.as_bytes(), sample("virtee-sev/report_milan.bin"));
    assert_eq!(snp.measurement().unwrap().to_hex(), SNP_MEASUREMENT);

    let policy = Policy::new().with_allowed(PlatformKind::Snp, MeasurementPattern::Any);
    let claims = verify(&evidence, &snp_collateral().into(), &policy, in_window()).unwrap();
    assert_eq!(claims.measurement.to_hex(), SNP_MEASUREMENT);
    assert!(entries(root.path()).is_empty());
}

#[test]
fn other_report_data_gives_evidence_that_no_longer_verifies() {
    // The fake binds whatever is written; the real signature covers the original.
    let root = tempfile::tempdir().unwrap();
    let tdx = producer(PlatformKind::Tdx, root.path(), &tdx_kernel());
    let evidence = tdx.evidence(&[7u8; 64]).unwrap();
    assert_eq!(
        &evidence.as_bytes()[TDX_V4_REPORT_DATA_OFFSET..][..64],
        &[7u8; 64]
    );
    let policy = Policy::new().with_allowed(PlatformKind::Tdx, MeasurementPattern::Any);
    assert!(verify(&evidence, &tdx_collateral().into(), &policy, in_window()).is_err());
}

#[test]
fn a_concurrent_writer_is_detected_by_the_generation() {
    let root = tempfile::tempdir().unwrap();
    let kernel = tdx_kernel().behaving(Behaviour::ConcurrentWriter);
    let tdx = producer(PlatformKind::Tdx, root.path(), &kernel);
    let error = tdx.evidence(&report_data(TDX_REPORT_DATA)).unwrap_err();
    assert!(
        matches!(
            error,
            PlatformError::GenerationMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("written concurrently"),
        "{error}"
    );
    assert!(entries(root.path()).is_empty(), "removed on failure too");
}

#[test]
fn an_outblob_without_our_report_data_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let kernel = snp_kernel().behaving(Behaviour::StaleOutblob);
    let snp = producer(PlatformKind::Snp, root.path(), &kernel);
    let error = snp.evidence(&[1u8; 64]).unwrap_err();
    assert!(
        matches!(error, PlatformError::ReportDataMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("outblob"), "{error}");
}

#[test]
fn a_provider_of_another_platform_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let snp = producer(PlatformKind::Snp, root.path(), &tdx_kernel());
    let error = snp.evidence(&[0u8; 64]).unwrap_err();
    assert!(
        matches!(&error, PlatformError::UnexpectedProvider { found, expected: "sev_guest", .. } if found == "tdx_guest"),
        "{error}"
    );
}

#[test]
fn without_configfs_tsm_the_error_names_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-tsm-here");
    let tdx = ConfigfsTsm::with_root(PlatformKind::Tdx, &missing).unwrap();
    let error = tdx.evidence(&[0u8; 64]).unwrap_err();
    assert!(matches!(error, PlatformError::Io { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("create the configfs-tsm report entry"),
        "{message}"
    );
    assert!(message.contains("no-tsm-here"), "{message}");
}

#[test]
fn the_host_filesystem_removes_its_entry_when_attributes_are_missing() {
    // A plain directory is not configfs: mkdir creates no attributes.
    let root = tempfile::tempdir().unwrap();
    let tdx = ConfigfsTsm::with_root(PlatformKind::Tdx, root.path()).unwrap();
    let error = tdx.evidence(&[0u8; 64]).unwrap_err();
    assert!(error.to_string().contains("provider"), "{error}");
    assert!(entries(root.path()).is_empty());
}

#[test]
fn configfs_tsm_has_no_sealing_and_no_sgx_or_sim() {
    let root = tempfile::tempdir().unwrap();
    let tdx = producer(PlatformKind::Tdx, root.path(), &tdx_kernel());
    assert!(matches!(
        tdx.seal(b"x", b""),
        Err(PlatformError::SealingUnsupported { .. })
    ));
    assert!(matches!(
        tdx.unseal(b"x", b""),
        Err(PlatformError::SealingUnsupported { .. })
    ));
    for kind in [PlatformKind::Sgx, PlatformKind::Sim] {
        assert!(ConfigfsTsm::with_root(kind, root.path()).is_err(), "{kind}");
    }
}
