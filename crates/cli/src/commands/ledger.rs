//! `strongroom ledger …`: offline verification of a ledger, an export or a receipt,
//! and streaming export.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_consensus::LEDGER_FILE;
use strongroom_crypto::provider::{EcdsaCurve, VerifyingKey};
use strongroom_ledger::{EXPORT_MAGIC, LedgerStore, Receipt, verify_export, verify_ledger};

use crate::output::AtomicFile;

/// Offline ledger verification; needs no running node.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Walk a whole ledger: every hash link, every signature entry and the Merkle root
    /// it signs. Reports the first bad entry by sequence number.
    Verify(LedgerVerifyArgs),
    /// Check one receipt: the entry, its Merkle path and the signed root.
    VerifyReceipt(ReceiptVerifyArgs),
    /// Stream a ledger's entries to an export file, which `ledger verify` checks with
    /// no store. The node must be stopped (the store is held exclusively).
    Export(LedgerExportArgs),
}

/// Arguments of `ledger export`.
#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    /// The ledger: a node's data directory (holding ledger.redb) or the file itself.
    #[arg(value_name = "DIR|FILE")]
    path: PathBuf,
    /// The export file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// First sequence number (only exports from 1 verify on their own).
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Last sequence number (default: the last entry).
    #[arg(long)]
    to: Option<u64>,
    /// Overwrite an existing output file.
    #[arg(long)]
    force: bool,
}

/// The service key to pin signatures to.
#[derive(Debug, Args)]
pub struct ServiceKey {
    /// The service's public key (SubjectPublicKeyInfo, DER or PEM). Without it,
    /// signatures are checked against the key they name, which proves integrity but
    /// not who signed.
    #[arg(long, value_name = "FILE", conflicts_with = "service_cert")]
    service_key: Option<PathBuf>,
    /// The service's certificate (PEM): pins signatures to the key it certifies, after
    /// checking it is a valid self-signed service certificate now.
    #[arg(long, value_name = "FILE")]
    service_cert: Option<PathBuf>,
}

/// Arguments of `ledger verify`.
#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// The ledger: a node's data directory (holding ledger.redb), the store file
    /// itself, or an export written by `ledger export`.
    #[arg(value_name = "DIR|FILE")]
    path: PathBuf,
    #[command(flatten)]
    key: ServiceKey,
}

/// Arguments of `ledger verify-receipt`.
#[derive(Debug, Args)]
pub struct ReceiptVerifyArgs {
    /// The receipt (JSON).
    #[arg(value_name = "FILE")]
    receipt: PathBuf,
    #[command(flatten)]
    key: ServiceKey,
}

/// Runs one `ledger` subcommand.
pub fn run(command: LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Verify(args) => verify(&args),
        LedgerCommand::VerifyReceipt(args) => verify_receipt(&args),
        LedgerCommand::Export(args) => export(&args),
    }
}

/// The P-256 key a service certificate certifies, checked at `at`.
fn certified_key(der: &[u8], at: time::OffsetDateTime) -> Result<(String, VerifyingKey)> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let identity = strongroom_identity::verify_service_certificate(der, at)?;
    let sec1 = identity.public_key.to_encoded_point(false);
    let key = VerifyingKey::from_sec1_bytes(EcdsaCurve::P256, sec1.as_bytes())?;
    Ok((identity.name, key))
}

fn service_key(key: &ServiceKey) -> Result<Option<VerifyingKey>> {
    if let Some(path) = &key.service_cert {
        let der = strongroom_identity::read_certificate(path)?;
        let (_, key) = certified_key(&der, time::OffsetDateTime::now_utc())
            .with_context(|| format!("{} is not a valid service certificate", path.display()))?;
        return Ok(Some(key));
    }
    let Some(path) = &key.service_key else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
            let (label, document) = pkcs8::Document::from_pem(text)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{} is not a PEM file", path.display()))?;
            if label != "PUBLIC KEY" {
                bail!("{} holds a {label}, expected a PUBLIC KEY", path.display());
            }
            document.as_bytes().to_vec()
        }
        _ => bytes,
    };
    let key = VerifyingKey::from_spki_der(&der)
        .with_context(|| format!("{} is not a P-256 or P-384 public key", path.display()))?;
    Ok(Some(key))
}

fn unpinned_warning(pinned: bool) {
    if !pinned {
        eprintln!(
            "strongroom: warning: no --service-key: signatures prove integrity, not who signed"
        );
    }
}

fn ledger_file(path: &Path) -> Result<PathBuf> {
    let file = if path.is_dir() {
        path.join(LEDGER_FILE)
    } else {
        path.to_path_buf()
    };
    // Opening creates a missing store; verifying must never create anything.
    if !file.is_file() {
        bail!("no ledger at {}", file.display());
    }
    Ok(file)
}

fn is_export(file: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = Vec::with_capacity(EXPORT_MAGIC.len());
    std::fs::File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))?
        .take(EXPORT_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok(magic == EXPORT_MAGIC)
}

fn export(args: &LedgerExportArgs) -> Result<()> {
    let file = ledger_file(&args.path)?;
    let store =
        LedgerStore::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut out = AtomicFile::create(&args.out, args.force)?;
    let written = {
        let mut writer = out.writer();
        store
            .export(args.from..=args.to.unwrap_or(u64::MAX), &mut writer)
            .with_context(|| format!("cannot export {}", file.display()))?
    };
    out.commit()?;
    println!(
        "exported {written} entries of {} to {}",
        file.display(),
        args.out.display()
    );
    Ok(())
}

fn verify(args: &LedgerVerifyArgs) -> Result<()> {
    let trusted = service_key(&args.key)?;
    let file = ledger_file(&args.path)?;
    let summary = if is_export(&file)? {
        let mut input = std::io::BufReader::with_capacity(
            256 * 1024,
            std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?,
        );
        verify_export(&mut input, trusted.as_ref())
            .with_context(|| format!("ledger export {} is not valid", file.display()))?
    } else {
        let store =
            LedgerStore::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
        verify_ledger(&store, trusted.as_ref())
            .with_context(|| format!("ledger {} is not valid", file.display()))?
    };
    unpinned_warning(trusted.is_some());
    println!(
        "ledger ok: {} entries, {} signatures (last at {}), head {}, root {}",
        summary.entries,
        summary.signatures,
        summary
            .last_signature
            .map_or_else(|| "none".to_string(), |s| s.to_string()),
        hex::encode(summary.head_hash),
        hex::encode(summary.root)
    );
    Ok(())
}

pub(crate) fn verify_receipt(args: &ReceiptVerifyArgs) -> Result<()> {
    let trusted = service_key(&args.key)?;
    let json = std::fs::read_to_string(&args.receipt)
        .with_context(|| format!("cannot read {}", args.receipt.display()))?;
    let receipt = Receipt::decode(&json)
        .with_context(|| format!("{} is not a receipt", args.receipt.display()))?;
    let verified = receipt
        .verify(trusted.as_ref())
        .with_context(|| format!("receipt {} is not valid", args.receipt.display()))?;
    if let Some(der) = &verified.certificate {
        let at = time::OffsetDateTime::from_unix_timestamp(
            i64::try_from(verified.entry.header.timestamp_ms / 1000).unwrap_or(i64::MAX),
        )
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let (name, certified) = certified_key(der, at).with_context(|| {
            format!(
                "receipt {}: the attached certificate is not valid",
                args.receipt.display()
            )
        })?;
        if certified.to_spki_der()? != verified.signer.to_spki_der()? {
            bail!(
                "receipt {}: the attached certificate does not certify the key that signed the root",
                args.receipt.display()
            );
        }
        println!("signed by service {name:?} (certificate attached and checked)");
    }
    unpinned_warning(verified.signer_trusted);
    println!(
        "receipt ok: entry {} ({:?}) is in the ledger of {} entries with root {}",
        verified.entry.sequence(),
        verified.entry.header.kind,
        verified.tree_size,
        hex::encode(verified.root)
    );
    Ok(())
}
