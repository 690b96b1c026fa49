//! On a platform without a sealing key (TDX and SNP through configfs-tsm answer
//! `PlatformError::SealingUnsupported`), a core still founds or joins the service: its
//! answers carry an empty `sealed` (nothing for the host to store) and the secrets stay
//! in its memory. Unsealing there is refused, naming why.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use strongroom_contract::KvContract;
use strongroom_enclave::{Enclave, EnclaveError, EnclaveRequest, EnclaveResponse};
use strongroom_tee::{Evidence, Measurement, Platform, PlatformError, PlatformKind, ReportData};

/// The test platform with its sealing key taken away, as configfs-tsm has none.
#[derive(Debug)]
struct WithoutSealing(strongroom_tee::SimPlatform);

impl WithoutSealing {
    fn refusal(&self) -> PlatformError {
        PlatformError::SealingUnsupported {
            platform: self.0.kind(),
            reason: "this test platform has no sealing key",
        }
    }
}

impl Platform for WithoutSealing {
    fn kind(&self) -> PlatformKind {
        self.0.kind()
    }

    fn measurement(&self) -> Result<Measurement, PlatformError> {
        self.0.measurement()
    }

    fn evidence(&self, report_data: &ReportData) -> Result<Evidence, PlatformError> {
        self.0.evidence(report_data)
    }

    fn seal(&self, _plaintext: &[u8], _aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        Err(self.refusal())
    }

    fn unseal(&self, _sealed: &[u8], _aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        Err(self.refusal())
    }
}

fn core_without_sealing() -> Enclave {
    Enclave::new(
        Box::new(WithoutSealing(platform(&code()))),
        Box::new(KvContract),
    )
}

fn holds_secrets(core: &mut Enclave) -> bool {
    matches!(
        core.handle(EnclaveRequest::PublicKeys),
        EnclaveResponse::PublicKeys { .. }
    )
}

#[test]
fn genesis_without_sealing_answers_nothing_sealed_and_keeps_the_secrets() {
    let world = world();
    let mut core = core_without_sealing();
    let genesis = genesis(&mut core, &world.constitution);
    assert!(genesis.sealed.is_empty(), "nothing sealed to store");
    assert!(holds_secrets(&mut core));
}

#[test]
fn a_joiner_without_sealing_answers_nothing_sealed_and_keeps_the_secrets() {
    let world = world();
    let (mut member, _ledger, _genesis) = started(&world);
    let mut joiner = core_without_sealing();
    let sealed = join(&mut member, &mut joiner);
    assert!(sealed.is_empty(), "nothing sealed to store");
    assert!(holds_secrets(&mut joiner));
}

#[test]
fn unsealing_without_sealing_is_refused_naming_why() {
    let mut core = core_without_sealing();
    let refused = error(core.handle(EnclaveRequest::Unseal {
        sealed: vec![1, 2, 3],
    }));
    assert!(
        matches!(&refused, EnclaveError::Platform(reason) if reason.contains("sealing is not available")),
        "{refused}"
    );
    assert!(!holds_secrets(&mut core));
}
