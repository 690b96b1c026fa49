//! Simulated evidence is accepted only under `allow_simulated = true`, is labelled
//! INSECURE SIMULATION everywhere, binds its report data and measurement under its
//! signature, and sim sealing is bound to the measurement and the host secret.
#![allow(clippy::unwrap_used)]

use strongroom_tee::{
    AttestError, CodeIdentity, Collateral, Evidence, MeasurementPattern, Platform, PlatformError,
    PlatformKind, Policy, PolicyError, SIM_WARNING, SimError, SimPlatform, verify,
};
use time::OffsetDateTime;

const HOST_SECRET: [u8; 32] = [0x42; 32];

fn platform() -> SimPlatform {
    SimPlatform::new(&CodeIdentity::of_this_build(), &HOST_SECRET).unwrap()
}

fn allowing(platform: &SimPlatform) -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(platform.measurement().unwrap()),
    )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn sim_evidence_is_refused_without_allow_simulated() {
    let platform = platform();
    let evidence = platform.evidence(&[9u8; 64]).unwrap();
    // Even an [[allow]] entry for sim does not admit it.
    let policy = Policy::new().with_allowed(PlatformKind::Sim, MeasurementPattern::Any);
    let error = verify(&evidence, &Collateral::None, &policy, now()).unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Policy(PolicyError::SimulationNotAllowed)
        ),
        "{error}"
    );
    assert!(error.to_string().contains("INSECURE SIMULATION"), "{error}");
    assert!(error.to_string().contains("allow_simulated"), "{error}");
}

#[test]
fn sim_evidence_is_accepted_with_allow_simulated_and_labelled_insecure() {
    let platform = platform();
    let evidence = platform.evidence(&[9u8; 64]).unwrap();
    assert_eq!(evidence.platform(), PlatformKind::Sim);
    assert!(String::from_utf8_lossy(evidence.as_bytes()).contains(SIM_WARNING));
    assert_eq!(
        Evidence::detect(evidence.as_bytes().to_vec())
            .unwrap()
            .platform(),
        PlatformKind::Sim
    );

    let claims = verify(&evidence, &Collateral::None, &allowing(&platform), now()).unwrap();
    assert_eq!(claims.platform, PlatformKind::Sim);
    assert!(claims.insecure);
    assert_eq!(claims.report_data, [9u8; 64]);
    assert_eq!(
        claims.measurement,
        CodeIdentity::of_this_build().measurement()
    );
    assert!(
        claims.to_string().starts_with("INSECURE SIMULATION: "),
        "{claims}"
    );
    let json = serde_json::to_value(&claims).unwrap();
    assert_eq!(json["insecure"], true);
    assert_eq!(json["warning"], SIM_WARNING);
    assert_eq!(json["platform"], "sim");
}

#[test]
fn sim_measurement_must_still_be_allowed() {
    let platform = platform();
    let evidence = platform.evidence(&[0u8; 64]).unwrap();
    let other = CodeIdentity::new("strongroom-node", "0.1.0", "other-build").measurement();
    let policy = Policy::new()
        .with_allow_simulated(true)
        .with_allowed(PlatformKind::Sim, MeasurementPattern::Exact(other));
    let error = verify(&evidence, &Collateral::None, &policy, now()).unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Policy(PolicyError::MeasurementNotAllowed { .. })
        ),
        "{error}"
    );
}

#[test]
fn sim_measurement_is_the_code_identity_hash() {
    let a = CodeIdentity::new("strongroom-node", "0.1.0", "abc123");
    assert_eq!(a.measurement(), a.clone().measurement());
    assert_eq!(a.measurement().as_bytes().len(), 32);
    for other in [
        CodeIdentity::new("strongroom-node", "0.1.0", "abc124"),
        CodeIdentity::new("strongroom-node", "0.1.1", "abc123"),
        CodeIdentity::new("strongroom-nodf", "0.1.0", "abc123"),
        // Length prefixes: moving a character between fields changes the id.
        CodeIdentity::new("strongroom-node0", ".1.0", "abc123"),
    ] {
        assert_ne!(a.measurement(), other.measurement(), "{other:?}");
    }
    let sim = SimPlatform::new(&a, &HOST_SECRET).unwrap();
    assert_eq!(sim.measurement().unwrap(), a.measurement());
}

#[test]
fn altered_sim_evidence_is_rejected() {
    let platform = platform();
    let evidence = platform.evidence(&[1u8; 64]).unwrap();
    let mut document: serde_json::Value = serde_json::from_slice(evidence.as_bytes()).unwrap();
    let policy = allowing(&platform).with_allowed(PlatformKind::Sim, MeasurementPattern::Any);
    for (field, value) in [
        ("report_data", hex::encode([2u8; 64])),
        ("measurement", hex::encode([3u8; 32])),
    ] {
        let mut altered = document.clone();
        altered[field] = serde_json::Value::String(value);
        let evidence = Evidence::new(PlatformKind::Sim, serde_json::to_vec(&altered).unwrap());
        let error = verify(&evidence, &Collateral::None, &policy, now()).unwrap_err();
        assert!(
            matches!(error, AttestError::Sim(SimError::BadSignature)),
            "{field}: {error}"
        );
    }
    // Another sim key re-signing is possible (that is why sim is insecure), but a
    // foreign key with the original signature is not.
    document["public_key"] = serde_json::Value::String(hex::encode(
        SimPlatform::new(&CodeIdentity::of_this_build(), &HOST_SECRET)
            .unwrap()
            .public_key(),
    ));
    let evidence = Evidence::new(PlatformKind::Sim, serde_json::to_vec(&document).unwrap());
    assert!(verify(&evidence, &Collateral::None, &policy, now()).is_err());
}

#[test]
fn sim_evidence_documents_are_strict() {
    let platform = platform();
    let policy = allowing(&platform);
    let evidence = platform.evidence(&[1u8; 64]).unwrap();
    let mut document: serde_json::Value = serde_json::from_slice(evidence.as_bytes()).unwrap();
    document["extra"] = serde_json::Value::Bool(true);
    let error = verify(
        &Evidence::new(PlatformKind::Sim, serde_json::to_vec(&document).unwrap()),
        &Collateral::None,
        &policy,
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(error, AttestError::Sim(SimError::Malformed(_))),
        "{error}"
    );
    assert!(error.to_string().contains("extra"), "{error}");
}

#[test]
fn sealing_is_bound_to_measurement_and_host_secret() {
    let identity = CodeIdentity::new("strongroom-node", "0.1.0", "abc123");
    let platform = SimPlatform::new(&identity, &HOST_SECRET).unwrap();
    let sealed = platform.seal(b"ledger secret", b"node-1").unwrap();
    assert!(!sealed.windows(13).any(|w| w == b"ledger secret"));
    // The same build on the same host (a restart: new signing key) unseals.
    let restarted = SimPlatform::new(&identity, &HOST_SECRET).unwrap();
    assert_eq!(
        restarted.unseal(&sealed, b"node-1").unwrap(),
        b"ledger secret"
    );

    let other_build = SimPlatform::new(
        &CodeIdentity::new("strongroom-node", "0.1.0", "abc124"),
        &HOST_SECRET,
    )
    .unwrap();
    let other_host = SimPlatform::new(&identity, &[0x43; 32]).unwrap();
    let mut altered = sealed.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    for (what, result) in [
        ("other build", other_build.unseal(&sealed, b"node-1")),
        ("other host", other_host.unseal(&sealed, b"node-1")),
        ("other aad", platform.unseal(&sealed, b"node-2")),
        ("altered", platform.unseal(&altered, b"node-1")),
        ("truncated", platform.unseal(&sealed[..10], b"node-1")),
    ] {
        assert!(
            matches!(result, Err(PlatformError::Unseal(_))),
            "{what}: {result:?}"
        );
    }
}

#[test]
fn a_short_host_secret_is_refused() {
    let error = SimPlatform::new(&CodeIdentity::of_this_build(), &[1u8; 16]).unwrap_err();
    assert!(error.to_string().contains("at least 32 bytes"), "{error}");
}
