//! `strongroom crypto …`: file-level cryptography.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use strongroom_crypto::key::DataKey;
use strongroom_crypto::object::{self, ObjectOptions};

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
    /// Write a fresh 256-bit data key to a new file, readable only by its owner (0600).
    Keygen(KeygenArgs),
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
        CryptoCommand::Keygen(args) => keygen(&args),
    }
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
