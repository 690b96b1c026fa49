//! Policy files are strict (unknown keys, bad measurements, unknown or revoked TCB
//! statuses are errors that name what is wrong), and the policy judges real claims:
//! allow-list by platform and measurement, debug, simulation and TCB status.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use strongroom_tee::{
    Claims, DcapVerifier, MeasurementPattern, PlatformKind, Policy, PolicyError, PolicyFileError,
    TcbStatus,
};

fn tdx_claims() -> Claims {
    DcapVerifier::new()
        .verify_quote(
            PlatformKind::Tdx,
            tdx_quote().as_bytes(),
            &tdx_collateral(),
            in_window(),
        )
        .unwrap()
}

fn error_of(toml: &str) -> String {
    Policy::from_toml(toml).unwrap_err().to_string()
}

#[test]
fn the_documented_example_parses() {
    let policy = Policy::from_toml(&format!(
        r#"
allow_simulated = false
allow_debug = false
accepted_tcb_status = ["UpToDate", "SWHardeningNeeded"]

[[allow]]
platform = "tdx"
measurement = "{TDX_MRTD}"

[[allow]]
platform = "snp"
measurement = "*"
"#
    ))
    .unwrap();
    assert!(!policy.allow_simulated());
    assert!(!policy.allow_debug());
    assert_eq!(
        policy.accepted_tcb_status(),
        [TcbStatus::UpToDate, TcbStatus::SWHardeningNeeded]
    );
    assert_eq!(policy.allowed().len(), 2);
    assert_eq!(policy.allowed()[1].measurement, MeasurementPattern::Any);
    policy.check(&tdx_claims()).unwrap();
}

#[test]
fn defaults_are_strict() {
    let policy = Policy::from_toml("").unwrap();
    assert!(!policy.allow_simulated());
    assert!(!policy.allow_debug());
    assert_eq!(policy.accepted_tcb_status(), [TcbStatus::UpToDate]);
    // Nothing allowed: genuine, up-to-date evidence is refused.
    assert!(matches!(
        policy.check(&tdx_claims()),
        Err(PolicyError::MeasurementNotAllowed { .. })
    ));
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let message = error_of("allow_simulated = false\nallow_simulatd = true\n");
    assert!(message.contains("allow_simulatd"), "{message}");
    assert!(message.contains("line 2"), "{message}");

    let message =
        error_of("[[allow]]\nplatform = \"tdx\"\nmeasurement = \"*\"\nmrsigner = \"00\"\n");
    assert!(message.contains("mrsigner"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn bad_measurements_name_the_entry() {
    let message = error_of(&format!(
        "[[allow]]\nplatform = \"tdx\"\nmeasurement = \"{TDX_MRTD}\"\n\
         [[allow]]\nplatform = \"sgx\"\nmeasurement = \"not hex\"\n"
    ));
    assert!(
        message.starts_with("allow[1] (sgx): measurement is not hex"),
        "{message}"
    );

    // An SGX MRENCLAVE is 32 bytes; a TDX MRTD given for sgx is refused.
    let error = Policy::from_toml(&format!(
        "[[allow]]\nplatform = \"sgx\"\nmeasurement = \"{TDX_MRTD}\"\n"
    ))
    .unwrap_err();
    assert!(
        matches!(
            error,
            PolicyFileError::BadMeasurement {
                index: 0,
                platform: PlatformKind::Sgx,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("must be 32 bytes (64 hex digits)"),
        "{error}"
    );
}

#[test]
fn unknown_platforms_and_statuses_are_errors() {
    let message = error_of("[[allow]]\nplatform = \"sev\"\nmeasurement = \"*\"\n");
    assert!(message.contains("sev"), "{message}");

    let message = error_of("accepted_tcb_status = [\"UpToDate\", \"Fine\"]\n");
    assert!(message.contains("accepted_tcb_status[1]"), "{message}");
    assert!(message.contains("\"Fine\""), "{message}");

    let message = error_of("accepted_tcb_status = [\"Revoked\"]\n");
    assert!(
        message.contains("Revoked can never be accepted"),
        "{message}"
    );

    let message = error_of("allow_debug = \"yes\"\n");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn the_allow_list_matches_platform_and_measurement() {
    let claims = tdx_claims();
    let exact = |platform, hex: &str| {
        Policy::from_toml(&format!(
            "[[allow]]\nplatform = \"{platform}\"\nmeasurement = \"{hex}\"\n"
        ))
        .unwrap()
    };
    exact("tdx", TDX_MRTD).check(&claims).unwrap();
    exact("tdx", &TDX_MRTD.to_uppercase())
        .check(&claims)
        .unwrap();
    exact("tdx", "*").check(&claims).unwrap();
    // Same bytes under another platform, a one-bit change, or a wildcard for another
    // platform: refused.
    let mut flipped = hex::decode(TDX_MRTD).unwrap();
    flipped[47] ^= 1;
    for policy in [
        exact("snp", TDX_MRTD),
        exact("tdx", &hex::encode(flipped)),
        exact("snp", "*"),
    ] {
        assert!(
            matches!(
                policy.check(&claims),
                Err(PolicyError::MeasurementNotAllowed { .. })
            ),
            "{policy:?}"
        );
    }
}

#[test]
fn debug_tees_need_allow_debug() {
    let mut claims = tdx_claims();
    claims.debug = true;
    let policy = Policy::from_toml("[[allow]]\nplatform = \"tdx\"\nmeasurement = \"*\"\n").unwrap();
    let error = policy.check(&claims).unwrap_err();
    assert_eq!(
        error,
        PolicyError::DebugNotAllowed {
            platform: PlatformKind::Tdx
        }
    );
    assert!(error.to_string().contains("allow_debug"), "{error}");
    let lenient = Policy::from_toml(
        "allow_debug = true\n[[allow]]\nplatform = \"tdx\"\nmeasurement = \"*\"\n",
    )
    .unwrap();
    lenient.check(&claims).unwrap();
}

#[test]
fn tcb_status_is_enforced_for_dcap_claims() {
    let mut claims = tdx_claims();
    claims.tcb_status = Some(TcbStatus::OutOfDate);
    let policy = Policy::from_toml("[[allow]]\nplatform = \"tdx\"\nmeasurement = \"*\"\n").unwrap();
    assert_eq!(
        policy.check(&claims).unwrap_err().to_string(),
        "TCB status OutOfDate not accepted by policy (accepted: UpToDate)"
    );
    claims.tcb_status = None;
    assert!(matches!(
        policy.check(&claims),
        Err(PolicyError::TcbStatusMissing { .. })
    ));
}

#[test]
fn insecure_claims_need_allow_simulated_whatever_their_platform() {
    let mut claims = tdx_claims();
    claims.insecure = true;
    let policy = Policy::new().with_allowed(PlatformKind::Tdx, MeasurementPattern::Any);
    assert_eq!(
        policy.check(&claims),
        Err(PolicyError::SimulationNotAllowed)
    );
}
