//! `strongroom attest …`: verification of TEE attestation evidence against a policy,
//! offline (the collateral is given as files).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use strongroom_tee::{
    Collateral, DcapCollateral, Evidence, PlatformKind, Policy, SIM_WARNING, SnpCollateral,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Attestation evidence.
#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// Verify evidence with its collateral and judge it by a policy file. Prints the
    /// verified claims as JSON; exits non-zero with the reason when refused.
    Verify(AttestVerifyArgs),
}

/// The platforms `--platform` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    /// Intel SGX (DCAP quote).
    Sgx,
    /// Simulated, INSECURE (strongroom sim evidence).
    Sim,
    /// AMD SEV-SNP (1184-byte attestation report).
    Snp,
    /// Intel TDX (DCAP quote).
    Tdx,
}

impl From<PlatformArg> for PlatformKind {
    fn from(platform: PlatformArg) -> Self {
        match platform {
            PlatformArg::Sgx => Self::Sgx,
            PlatformArg::Sim => Self::Sim,
            PlatformArg::Snp => Self::Snp,
            PlatformArg::Tdx => Self::Tdx,
        }
    }
}

/// Arguments of `attest verify`.
#[derive(Debug, Args)]
pub struct AttestVerifyArgs {
    /// The evidence: a DCAP quote (SGX, TDX), an SEV-SNP report, or sim evidence.
    #[arg(long, value_name = "FILE")]
    evidence: PathBuf,
    /// The collateral: DCAP collateral JSON for SGX and TDX, the chip's VCEK
    /// certificate (DER or PEM) for SEV-SNP; none for sim.
    #[arg(long, value_name = "FILE")]
    collateral: Option<PathBuf>,
    /// The policy (TOML): allowed platforms and measurements, TCB statuses, debug and
    /// simulation. See docs/formats/attestation-policy.md.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// Verify as of this time (RFC 3339, e.g. 2025-06-25T00:00:00Z, or Unix seconds)
    /// instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// The platform of the evidence; recognized from the bytes when not given.
    #[arg(long, value_enum)]
    platform: Option<PlatformArg>,
    /// SEV-SNP only: the AMD ASK and ARK (PEM) to use instead of the built-in Milan,
    /// Genoa and Turin roots. Its ARK becomes the trust anchor.
    #[arg(long, value_name = "FILE")]
    chain: Option<PathBuf>,
}

/// Runs one `attest` subcommand.
pub fn run(command: AttestCommand) -> Result<()> {
    match command {
        AttestCommand::Verify(args) => verify(&args),
    }
}

/// Parses RFC 3339 or Unix seconds.
fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text
            .parse()
            .map_err(|_| format!("{text} is too large for Unix seconds"))?;
        return OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|e| format!("{text} is not a valid Unix time: {e}"));
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("{text:?} is neither RFC 3339 nor Unix seconds: {e}"))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn collateral(args: &AttestVerifyArgs, platform: PlatformKind) -> Result<Collateral> {
    if args.chain.is_some() && platform != PlatformKind::Snp {
        bail!("--chain is for snp evidence, not {platform}");
    }
    let needed = |what: &str| -> Result<&PathBuf> {
        args.collateral
            .as_ref()
            .ok_or_else(|| anyhow!("{platform} evidence needs --collateral ({what})"))
    };
    Ok(match platform {
        PlatformKind::Sgx | PlatformKind::Tdx => {
            let path = needed("DCAP collateral JSON")?;
            DcapCollateral::from_json(&read(path)?)
                .with_context(|| format!("{} is not DCAP collateral", path.display()))?
                .into()
        }
        PlatformKind::Snp => {
            let path = needed("the chip's VCEK certificate")?;
            let mut collateral = SnpCollateral::from_vcek(&read(path)?)
                .with_context(|| format!("{} is not a VCEK", path.display()))?;
            if let Some(chain) = &args.chain {
                collateral = collateral
                    .with_chain(&read(chain)?)
                    .with_context(|| format!("{} is not an AMD chain", chain.display()))?;
            }
            collateral.into()
        }
        PlatformKind::Sim => {
            if args.collateral.is_some() {
                bail!("sim evidence takes no --collateral");
            }
            Collateral::None
        }
    })
}

fn verify(args: &AttestVerifyArgs) -> Result<()> {
    let policy = Policy::load(&args.policy)
        .with_context(|| format!("policy {} is not valid", args.policy.display()))?;
    let bytes = read(&args.evidence)?;
    let evidence = match args.platform {
        Some(platform) => Evidence::new(platform.into(), bytes),
        None => Evidence::detect(bytes).with_context(|| {
            format!(
                "cannot tell the platform of {} (pass --platform)",
                args.evidence.display()
            )
        })?,
    };
    let platform = evidence.platform();
    if platform == PlatformKind::Sim {
        eprintln!(
            "strongroom: warning: {SIM_WARNING}: sim evidence is signed by a software key, not by TEE hardware"
        );
    }
    let collateral = collateral(args, platform)?;
    let at = args.at.unwrap_or_else(|| {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(0).unwrap_or(now)
    });
    let claims =
        strongroom_tee::verify(&evidence, &collateral, &policy, at).with_context(|| {
            format!(
                "{platform} evidence {} is not accepted",
                args.evidence.display()
            )
        })?;
    println!("{}", serde_json::to_string_pretty(&claims)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn times_are_rfc3339_or_unix_seconds() {
        assert_eq!(
            parse_time("2025-06-25T00:00:00Z").unwrap(),
            parse_time("1750809600").unwrap()
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("99999999999999999999").is_err());
        assert!(parse_time("").is_err());
    }
}
