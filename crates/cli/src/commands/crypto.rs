//! `strongroom crypto …`: file-level cryptography.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{self, ObjectOptions};
use strongroom_crypto::provider::{HashAlgorithm, Hasher};
use strongroom_identity::{Member, SignedEnvelope, TrustStore, read_certificate};

use super::identity::passphrase_from_env;

use crate::output::{AtomicFile, write_new};

/// File-level cryptography.
#[derive(Debug, Subcommand)]
pub enum CryptoCommand {
    /// Decrypt an encrypted object. The output appears only if the whole object
    /// authenticated: a truncated, reordered or altered object leaves no output file.
    Decrypt(Transform),
    /// Encrypt a file of any size into the strongroom encrypted object format
    /// (chunked AES-256-GCM; see docs/formats/encrypted-object.md), streaming.
    Encrypt(EncryptArgs),
    /// Print the digest of a file (streaming, any size).
    Hash(HashArgs),
    /// Write a fresh 256-bit data key to a new file, readable only by its owner (0600).
    Keygen(KeygenArgs),
    /// Sign a file as a member: writes a signature envelope (ECDSA P-256, low-S) over
    /// the file's SHA-256 digest, carrying the member's certificate.
    Sign(SignArgs),
    /// Verify a file's signature envelope against org CAs; prints who signed it, under
    /// which MSP id and role.
    Verify(VerifyArgs),
}

/// Arguments of `crypto hash`.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// The hash algorithm.
    #[arg(long, value_enum, default_value_t = HashChoice::Sha256)]
    algorithm: HashChoice,
    /// The file to hash.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

/// Hash algorithms offered on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HashChoice {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA3-256.
    #[value(name = "sha3-256")]
    Sha3_256,
    /// SHA3-384.
    #[value(name = "sha3-384")]
    Sha3_384,
}

impl From<HashChoice> for HashAlgorithm {
    fn from(choice: HashChoice) -> Self {
        match choice {
            HashChoice::Sha256 => HashAlgorithm::Sha256,
            HashChoice::Sha384 => HashAlgorithm::Sha384,
            HashChoice::Sha3_256 => HashAlgorithm::Sha3_256,
            HashChoice::Sha3_384 => HashAlgorithm::Sha3_384,
        }
    }
}

/// Arguments of `crypto sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Directory holding the member's `NAME.pem` and `NAME.key.pem`.
    #[arg(long, value_name = "DIR")]
    credentials: PathBuf,
    /// The member's name.
    #[arg(long)]
    name: String,
    /// Environment variable holding the key's passphrase, if it is encrypted.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// The file to sign.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The signature file to write; it must not exist unless --force.
    #[arg(long = "out", value_name = "FILE")]
    output: PathBuf,
    /// Overwrite the signature file if it exists.
    #[arg(long)]
    force: bool,
}

/// Arguments of `crypto verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed file.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The signature file (from `strongroom crypto sign`).
    #[arg(long, value_name = "FILE")]
    signature: PathBuf,
    /// A trusted org CA, as MSP=CA.pem (repeat for several orgs).
    #[arg(long = "trust", value_name = "MSP=CA.pem", required = true)]
    trust: Vec<String>,
}

/// Input, output and key of a streaming transform.
#[derive(Debug, Args)]
pub struct Transform {
    /// The data key file (from `strongroom crypto keygen`).
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The file to read.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The file to write; it must not exist unless --force.
    #[arg(long = "out", value_name = "FILE")]
    output: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

/// Arguments of `crypto encrypt`.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    transform: Transform,
    /// Plaintext bytes per chunk (16 bytes to 16 MiB).
    #[arg(long, default_value_t = object::DEFAULT_CHUNK_SIZE, value_name = "BYTES")]
    chunk_size: u32,
}

/// Arguments of `crypto keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key file to create; an existing file is never overwritten.
    #[arg(long = "out", value_name = "KEYFILE")]
    output: PathBuf,
}

/// Runs one `crypto` subcommand.
pub fn run(command: CryptoCommand) -> Result<()> {
    match command {
        CryptoCommand::Decrypt(args) => decrypt(&args),
        CryptoCommand::Encrypt(args) => encrypt(&args),
        CryptoCommand::Hash(args) => hash(&args),
        CryptoCommand::Keygen(args) => keygen(&args),
        CryptoCommand::Sign(args) => sign(&args),
        CryptoCommand::Verify(args) => verify(&args),
    }
}

/// What a file signature signs: this context, then the file's SHA-256 digest.
const FILE_SIGNATURE_CONTEXT: &[u8] = b"strongroom/file-signature/v1\0";

fn digest_file(path: &Path, algorithm: HashAlgorithm) -> Result<Vec<u8>> {
    let mut input = open_input(path)?;
    let mut hasher = Hasher::new(algorithm);
    std::io::copy(&mut input, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hasher.finish())
}

fn file_signature_payload(path: &Path) -> Result<Vec<u8>> {
    let mut payload = FILE_SIGNATURE_CONTEXT.to_vec();
    payload.extend_from_slice(&digest_file(path, HashAlgorithm::Sha256)?);
    Ok(payload)
}

fn hash(args: &HashArgs) -> Result<()> {
    let digest = digest_file(&args.input, args.algorithm.into())?;
    println!("{}  {}", hex::encode(digest), args.input.display());
    Ok(())
}

fn sign(args: &SignArgs) -> Result<()> {
    let passphrase = passphrase_from_env(args.passphrase_env.as_deref())?;
    let member = Member::load(
        &args.credentials,
        &args.name,
        passphrase.as_deref().map(String::as_str),
    )
    .with_context(|| {
        format!(
            "cannot load member {} from {}",
            args.name,
            args.credentials.display()
        )
    })?;
    let envelope = member
        .sign(file_signature_payload(&args.input)?)
        .context("cannot sign")?;
    let bytes = envelope.to_bytes().context("cannot encode the signature")?;
    let mut output = AtomicFile::create(&args.output, args.force)?;
    {
        let mut writer = output.writer();
        writer.write_all(&bytes)?;
        writer.flush()?;
    }
    output.commit()?;
    println!(
        "signed {} as {} ({}, {})",
        args.input.display(),
        member.name(),
        member.role(),
        member.msp_id()
    );
    Ok(())
}

fn verify(args: &VerifyArgs) -> Result<()> {
    let mut trust = TrustStore::new();
    for entry in &args.trust {
        let Some((msp, path)) = entry.split_once('=') else {
            bail!("--trust {entry:?} must be MSP=CA.pem");
        };
        let root = read_certificate(Path::new(path))
            .with_context(|| format!("cannot read the CA of {msp}"))?;
        trust.insert(msp, root);
    }
    let bytes = std::fs::read(&args.signature)
        .with_context(|| format!("cannot read {}", args.signature.display()))?;
    let envelope = SignedEnvelope::from_bytes(&bytes)
        .with_context(|| format!("{} is not a signature envelope", args.signature.display()))?;
    let signer = envelope
        .verify(&trust, time::OffsetDateTime::now_utc())
        .with_context(|| format!("signature {} is not valid", args.signature.display()))?;
    let expected = file_signature_payload(&args.input)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        &envelope.payload[..],
        &expected[..],
    )) {
        bail!(
            "signature {} does not match {}: the file was changed or the signature is for another file",
            args.signature.display(),
            args.input.display()
        );
    }
    println!(
        "valid signature by {} ({}, {})",
        signer.name, signer.role, signer.msp_id
    );
    Ok(())
}

/// Reads a data key file.
pub fn read_key(path: &Path) -> Result<DataKey> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read key file {}", path.display()))?,
    );
    DataKey::from_text(&text).with_context(|| format!("{} is not a valid key file", path.display()))
}

fn open_input(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::with_capacity(256 * 1024, file))
}

fn encrypt(args: &EncryptArgs) -> Result<()> {
    let t = &args.transform;
    let key = read_key(&t.key)?;
    let input = open_input(&t.input)?;
    let mut output = AtomicFile::create(&t.output, t.force)?;
    let options = ObjectOptions {
        chunk_size: args.chunk_size,
    };
    {
        let mut writer = output.writer();
        object::encrypt(&key, options, input, &mut writer)
            .with_context(|| format!("cannot encrypt {}", t.input.display()))?;
        writer.flush()?;
    }
    output.commit()
}

fn decrypt(args: &Transform) -> Result<()> {
    let key = read_key(&args.key)?;
    let input = open_input(&args.input)?;
    let mut output = AtomicFile::create(&args.output, args.force)?;
    {
        let mut writer = output.writer();
        object::decrypt(&key, input, &mut writer)
            .with_context(|| format!("cannot decrypt {}", args.input.display()))?;
        writer.flush()?;
    }
    output.commit()
}

fn keygen(args: &KeygenArgs) -> Result<()> {
    let key = DataKey::generate();
    write_new(&args.output, key.to_text().as_bytes(), 0o600)?;
    println!("wrote data key {} to {}", key.id(), args.output.display());
    Ok(())
}
