//! The TEE platform a node's core runs on, from the `platform` setting.
//!
//! | `platform` | producer (crate `tee`) | reads | seals the service secrets |
//! |---|---|---|---|
//! | `sim` (default) | [`SimPlatform`], **INSECURE SIMULATION** | `sim-host-secret` in the data directory | yes |
//! | `sgx` | [`GramineSgx`] | `attestation_root` (default `/dev/attestation`) | yes (MRENCLAVE-bound key) |
//! | `tdx`, `snp` | [`ConfigfsTsm`] | `tsm_root` (default `/sys/kernel/config/tsm/report`) | no |
//!
//! On a platform without sealing the service secrets live only in the core's memory:
//! nothing sealed is written, and a restart on a data directory that holds a ledger
//! resumes only by attested join to a peer (`join`) or by recovery from members'
//! shares (`recover`); the node refuses any other restart, saying so, before anything
//! is written.
//!
//! The producer is built once the data directory is locked, and asked for its
//! measurement at once, so that a missing or foreign TEE interface stops the node
//! with an error naming the path instead of failing the first attestation.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use strongroom_api_types::EvidenceCollateral;
use strongroom_crypto::provider::default_provider;
use strongroom_tee::{
    CodeIdentity, CollateralError, ConfigfsTsm, DcapCollateral, GramineSgx, HostFilesystem,
    Platform, PlatformKind, SimPlatform, SnpCertificateTable, SnpCollateral, TsmFilesystem,
};
use zeroize::Zeroizing;

use crate::data_dir::write_private_atomic;
use crate::error::NodeError;
use crate::pccs::Pccs;
use crate::secrets::SECRETS_FILE;
use crate::settings::NodeSettings;

const SIM_SECRET_FILE: &str = "sim-host-secret";

/// How a node reaches its TEE's interfaces. The default reads the host's files named
/// in the settings; [`TeeAccess::with_tsm_filesystem`] sends the file operations of
/// the TEE interface through another [`TsmFilesystem`] (an embedder's, or a test's
/// stand-in): configfs-tsm under `tsm_root` for `platform = "tdx"` or `"snp"`,
/// Gramine's pseudo-files under `attestation_root` for `"sgx"`. The producer, the
/// evidence path and the checks on what it answers are the same either way.
#[derive(Clone, Debug, Default)]
pub struct TeeAccess {
    tsm: Option<Arc<dyn TsmFilesystem>>,
}

impl TeeAccess {
    /// configfs-tsm through `filesystem` instead of the host's file system.
    pub fn with_tsm_filesystem(filesystem: Arc<dyn TsmFilesystem>) -> Self {
        Self {
            tsm: Some(filesystem),
        }
    }

    fn tsm(&self) -> Box<dyn TsmFilesystem> {
        match &self.tsm {
            Some(filesystem) => Box::new(Shared(filesystem.clone())),
            None => Box::new(HostFilesystem),
        }
    }
}

/// One [`TsmFilesystem`] shared by the producers of a recovery and of the node after it.
struct Shared(Arc<dyn TsmFilesystem>);

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TsmFilesystem for Shared {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.0.create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.0.remove_dir(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.0.read(path)
    }

    fn write(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        self.0.write(path, contents)
    }
}

/// The platform the settings name (checked by [`NodeSettings::validate`]).
pub(crate) fn kind(settings: &NodeSettings) -> Result<PlatformKind, NodeError> {
    settings
        .platform
        .parse::<PlatformKind>()
        .map_err(|_| NodeError::Config {
            reason: format!(
                "platform: {:?} is none of sim, sgx, snp, tdx",
                settings.platform
            ),
        })
}

/// Whether `kind` has a sealing key the node uses: the simulation and SGX (Gramine's
/// MRENCLAVE-bound key) do; configfs-tsm offers none for TDX or SNP.
pub(crate) fn has_sealing_key(kind: PlatformKind) -> bool {
    matches!(kind, PlatformKind::Sim | PlatformKind::Sgx)
}

/// Refuses a restart that cannot get the service secrets back: on a platform without
/// a sealing key, a data directory that holds a ledger resumes only by attested join
/// to a peer or by recovery from members' shares. Nothing is written before this check.
pub(crate) fn refuse_restart_without_seal(
    dir: &Path,
    settings: &NodeSettings,
    kind: PlatformKind,
) -> Result<(), NodeError> {
    if has_sealing_key(kind) || !crate::recovery::holds_ledger(dir) || settings.join.is_some() {
        return Ok(());
    }
    Err(NodeError::Config {
        reason: format!("{}", NoSealRestart { kind, dir }),
    })
}

/// What an operator restarting a node without sealing is told.
struct NoSealRestart<'a> {
    kind: PlatformKind,
    dir: &'a Path,
}

impl fmt::Display for NoSealRestart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "platform {kind} has no sealing key, so the service secrets were kept only in the \
             core's memory and {dir} holds a ledger but no secrets: this node can only resume by \
             attested join to a peer (set join, --join, to a member's peer address) or by \
             recovery from members' shares (set recover, --recover)",
            kind = self.kind,
            dir = self.dir.display()
        )
    }
}

/// Builds the producer of `settings.platform` and checks that it answers; the data
/// directory `dir` is locked already (the simulation keeps its host secret there).
pub(crate) fn open(
    settings: &NodeSettings,
    dir: &Path,
    access: &TeeAccess,
) -> Result<Box<dyn Platform>, NodeError> {
    let kind = kind(settings)?;
    let platform: Box<dyn Platform> = match kind {
        PlatformKind::Sim => {
            let host_secret = sim_host_secret(dir)?;
            // INSECURE SIMULATION: the default, labelled so in evidence and on the API.
            Box::new(
                SimPlatform::new(&CodeIdentity::of_this_build(), &host_secret)
                    .map_err(|e| NodeError::Enclave(e.to_string()))?,
            )
        }
        PlatformKind::Sgx => {
            readable_dir("attestation_root", &settings.attestation_root)?;
            Box::new(GramineSgx::with_filesystem(
                &settings.attestation_root,
                access.tsm(),
            ))
        }
        PlatformKind::Snp | PlatformKind::Tdx => {
            readable_dir("tsm_root", &settings.tsm_root)?;
            Box::new(
                ConfigfsTsm::with_filesystem(kind, &settings.tsm_root, access.tsm()).map_err(
                    |e| NodeError::Config {
                        reason: format!("platform: {e}"),
                    },
                )?,
            )
        }
    };
    let measurement = platform.measurement().map_err(|e| NodeError::Config {
        reason: format!("platform {kind}: the TEE does not produce evidence: {e}"),
    })?;
    if kind != PlatformKind::Sim {
        tracing::info!(
            platform = %kind,
            measurement = %measurement,
            "{} of this node (what the node policy must allow)",
            kind.measurement_name()
        );
    }
    if !has_sealing_key(kind) {
        tracing::warn!(
            platform = %kind,
            "this platform has no sealing key: the service secrets stay only in the core's \
             memory and nothing sealed is written ({SECRETS_FILE}); a restart resumes only by \
             attested join to a peer (join) or by recovery from members' shares (recover)"
        );
    }
    Ok(platform)
}

/// The collateral this node serves with its evidence from start, and the PCCS that
/// keeps it fresh: fetched from a PCCS (`pccs_url`, `tdx` and `sgx`) or from AMD KDS
/// (`kds_url`, `snp`), else read by [`collateral`]. `evidence` makes one piece of
/// evidence (any report data), asked only to fetch: a quote names its platform's FMSPC,
/// a report its chip and TCB.
pub(crate) async fn collateral_at_start(
    settings: &NodeSettings,
    access: &TeeAccess,
    evidence: impl FnOnce() -> Result<Vec<u8>, NodeError>,
) -> Result<(Option<EvidenceCollateral>, Option<Pccs>), NodeError> {
    if let Some(base) = &settings.pccs_url {
        let pccs = Pccs::for_quote(settings, base, &evidence()?)?;
        return Ok((Some(pccs.fetch_at_start().await?), Some(pccs)));
    }
    if let Some(base) = &settings.kds_url {
        let vcek = crate::kds::vcek(settings, base, &evidence()?).await?;
        return Ok((Some(vcek), None));
    }
    Ok((collateral(settings, access)?, None))
}

/// One piece of `platform`'s evidence, over zero report data, to fetch collateral for.
pub(crate) fn some_evidence(platform: &dyn Platform) -> Result<Vec<u8>, NodeError> {
    platform
        .evidence(&[0; 64])
        .map(|evidence| evidence.as_bytes().to_vec())
        .map_err(|e| NodeError::Config {
            reason: format!("platform: the TEE made no evidence to fetch its collateral for: {e}"),
        })
}

/// The collateral that verifies this node's evidence (setting `collateral`), read
/// and checked once at start: the file for `tdx`, `sgx` (DCAP collateral JSON) and
/// `snp` (the VCEK); without one, on `snp`, the VCEK of configfs-tsm's `auxblob`.
/// None for `sim`, and where there is none to be had (logged: clients and peers
/// then cannot verify this node). A file or `auxblob` that is not what the platform
/// needs stops the node, naming it and what is wrong.
pub(crate) fn collateral(
    settings: &NodeSettings,
    access: &TeeAccess,
) -> Result<Option<EvidenceCollateral>, NodeError> {
    let kind = kind(settings)?;
    let config = |reason: String| NodeError::Config { reason };
    if let Some(path) = &settings.collateral {
        let bytes = std::fs::read(path)
            .map_err(|e| config(format!("collateral: cannot read {}: {e}", path.display())))?;
        let bad = |e: CollateralError| {
            config(format!(
                "collateral: {} is not {kind} collateral: {e}",
                path.display()
            ))
        };
        let collateral = match kind {
            PlatformKind::Sim => {
                return Err(config(format!(
                    "collateral: platform sim takes none ({} given)",
                    path.display()
                )));
            }
            PlatformKind::Sgx | PlatformKind::Tdx => {
                DcapCollateral::from_json(&bytes).map_err(bad)?;
                EvidenceCollateral::Dcap(bytes)
            }
            PlatformKind::Snp => {
                SnpCollateral::from_vcek(&bytes).map_err(bad)?;
                EvidenceCollateral::Snp(bytes)
            }
        };
        tracing::info!(platform = %kind, file = %path.display(), "collateral served with this node's evidence");
        return Ok(Some(collateral));
    }
    let from_auxblob = match kind {
        PlatformKind::Sim => return Ok(None),
        PlatformKind::Snp => {
            let tsm = ConfigfsTsm::with_filesystem(kind, &settings.tsm_root, access.tsm())
                .map_err(|e| config(format!("platform: {e}")))?;
            let auxblob = tsm
                .auxblob()
                .map_err(|e| config(format!("platform snp: cannot read the auxblob: {e}")))?;
            match auxblob {
                Some(table) => {
                    let table = SnpCertificateTable::parse(&table).map_err(|e| {
                        config(format!(
                            "platform snp: the auxblob under {} is not the certificate \
                             table of a VCEK: {e} (set collateral, --collateral, to the \
                             chip's VCEK instead)",
                            settings.tsm_root.display()
                        ))
                    })?;
                    tracing::info!(
                        ask = table.ask.is_some(),
                        ark = table.ark.is_some(),
                        "the VCEK of configfs-tsm's auxblob is served with this node's evidence"
                    );
                    Some(EvidenceCollateral::Snp(table.vcek))
                }
                None => None,
            }
        }
        PlatformKind::Sgx | PlatformKind::Tdx => None,
    };
    if from_auxblob.is_none() {
        tracing::warn!(
            platform = %kind,
            "no collateral for this node's evidence (set collateral, --collateral{}): \
             clients and joining peers cannot verify it",
            if kind == PlatformKind::Snp {
                "; the host supplies no auxblob"
            } else {
                ""
            }
        );
    }
    Ok(from_auxblob)
}

/// Checks that `path` (the setting `what`) is a directory this process can read.
fn readable_dir(what: &str, path: &Path) -> Result<(), NodeError> {
    std::fs::read_dir(path)
        .map(drop)
        .map_err(|e| NodeError::Config {
            reason: format!(
                "{what}: cannot read {}: {e} (is this node running inside the TEE, with the \
                 interface mounted there?)",
                path.display()
            ),
        })
}

/// The host secret the simulation seals with, made on first use.
pub(crate) fn sim_host_secret(dir: &Path) -> Result<Zeroizing<Vec<u8>>, NodeError> {
    let path = dir.join(SIM_SECRET_FILE);
    if path.exists() {
        let secret = Zeroizing::new(std::fs::read(&path).map_err(|e| file_err(&path, e))?);
        if secret.len() != 32 {
            return Err(file_err(&path, "must hold exactly 32 bytes"));
        }
        return Ok(secret);
    }
    let mut secret = Zeroizing::new(vec![0u8; 32]);
    default_provider()
        .fill_random(&mut secret)
        .map_err(|e| NodeError::Enclave(format!("randomness: {e}")))?;
    write_private_atomic(&path, &secret)?;
    Ok(secret)
}

fn file_err(path: &Path, e: impl fmt::Display) -> NodeError {
    NodeError::File {
        path: PathBuf::from(path),
        reason: e.to_string(),
    }
}
