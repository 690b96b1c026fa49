//! Credentials on disk: a certificate (`<stem>.pem`) and its private key
//! (`<stem>.key.pem`).
//!
//! - Keys are PKCS#8 PEM (`PRIVATE KEY`), or, with a passphrase, PKCS#8 encrypted with
//!   PBES2 = scrypt (N = 2^17, r = 8, p = 1) + AES-256-CBC (`ENCRYPTED PRIVATE KEY`).
//!   On load, only that scheme is accepted, with N at most 2^18, r at most 8 and p = 1,
//!   so a crafted file cannot make us allocate gigabytes.
//! - Every file is created with mode 0600 (`create_new`, so never through an existing
//!   file or link) under a temporary name in the same directory, written, synced, then
//!   linked to its final name with `link(2)`, which fails if the name exists: a rename
//!   that never replaces. Nothing is ever overwritten, and no partial file appears under
//!   a final name. If the second file of a pair cannot be placed, the first is removed.
//! - A key file whose mode grants any access to group or others is refused, as is a
//!   non-regular file. The mode is read from the opened file, not the path.
//! - Key bytes and PEM text are held in [`Zeroizing`] buffers and wiped after use. The
//!   passphrase is borrowed and never copied; callers should hold it in a
//!   [`Zeroizing`] string themselves.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use p256::ecdsa::SigningKey;
use p256::pkcs8::der::Document;
use p256::pkcs8::{
    DecodePrivateKey, EncodePrivateKey, EncryptedPrivateKeyInfo, LineEnding, SecretDocument,
};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

/// Largest certificate or key file read, in bytes.
pub const MAX_FILE_LEN: u64 = 64 * 1024;

/// Largest scrypt cost N accepted in an encrypted key file.
pub const MAX_SCRYPT_COST: u64 = 1 << 18;

/// Errors from saving, loading, importing or exporting credentials (certificate + key).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// A file to be written already exists; nothing was written.
    #[error("{path} already exists; refusing to overwrite it (nothing was written)")]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The private key does not belong to the certificate's public key.
    #[error("the private key does not match the certificate's public key")]
    CertificateMismatch,
    /// An empty passphrase was given; pass `None` for an unencrypted key.
    #[error("empty passphrase; pass no passphrase to store the key unencrypted")]
    EmptyPassphrase,
    /// The key could not be encoded (PKCS#8, PEM or encryption).
    #[error("private key could not be encoded: {reason}")]
    Encode {
        /// What the encoder reported.
        reason: String,
    },
    /// A key file can be read or written by group or others; it was not read.
    #[error(
        "{path} has mode {mode:04o}; private key files must not be accessible to group or others (chmod 600)"
    )]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The certificate does not describe this kind of credential (missing or unexpected
    /// O, CN or OU, or unparseable).
    #[error("certificate does not fit this credential: {reason}")]
    InvalidCertificate {
        /// What was wrong.
        reason: String,
    },
    /// The name is not usable as an MSP id, member name or node name (and file name).
    #[error("invalid name {0:?}")]
    InvalidName(String),
    /// A file could not be opened, read, written or linked.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file is not the PEM it should be (truncated, garbage, wrong label, bad DER).
    #[error("{path} is malformed: {reason}")]
    Malformed {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A passphrase was given but the key file is not encrypted.
    #[error("{path} is not encrypted, but a passphrase was given")]
    NotEncrypted {
        /// The key file.
        path: PathBuf,
    },
    /// The key file is encrypted and no passphrase was given.
    #[error("{path} is encrypted; a passphrase is required")]
    PassphraseRequired {
        /// The key file.
        path: PathBuf,
    },
    /// The key file is encrypted with a scheme or parameters this crate does not accept.
    #[error("{path} uses unsupported encryption: {reason}")]
    UnsupportedEncryption {
        /// The key file.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// Decryption failed: the passphrase is wrong (or the encrypted key was altered;
    /// the two cannot be told apart).
    #[error("wrong passphrase for {path} (or the encrypted key is corrupted)")]
    WrongPassphrase {
        /// The key file.
        path: PathBuf,
    },
}

/// The file names of a credential pair.
pub(crate) fn pair_paths(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key.pem")),
    )
}

/// Writes `<stem>.pem` and `<stem>.key.pem` in `dir`; both or neither.
pub(crate) fn save_pair(
    dir: &Path,
    stem: &str,
    cert_der: &[u8],
    key: &SigningKey,
    passphrase: Option<&str>,
) -> Result<(), CredentialError> {
    let (cert_path, key_path) = pair_paths(dir, stem);
    for path in [&cert_path, &key_path] {
        if fs::symlink_metadata(path).is_ok() {
            return Err(CredentialError::AlreadyExists { path: path.clone() });
        }
    }
    let cert_pem = Document::try_from(cert_der)
        .and_then(|doc| doc.to_pem("CERTIFICATE", LineEnding::LF))
        .map_err(|e| CredentialError::InvalidCertificate {
            reason: e.to_string(),
        })?;
    let key_pem = encode_key_pem(key, passphrase)?;

    write_new(&key_path, key_pem.as_bytes())?;
    if let Err(error) = write_new(&cert_path, cert_pem.as_bytes()) {
        // We created the key file just now; take it back so nothing is left half-done.
        let _ = fs::remove_file(&key_path);
        return Err(error);
    }
    sync_dir(dir)
}

/// Reads `<stem>.pem` and `<stem>.key.pem` from `dir`.
pub(crate) fn load_pair(
    dir: &Path,
    stem: &str,
    passphrase: Option<&str>,
) -> Result<(Vec<u8>, SigningKey), CredentialError> {
    let (cert_path, key_path) = pair_paths(dir, stem);
    let key_pem = read_limited(&key_path, true)?;
    let key = decode_key_pem(&key_path, &key_pem, passphrase)?;
    Ok((read_certificate(&cert_path)?, key))
}

/// Reads a PEM certificate file (such as an org's `ca.pem`) and returns its DER bytes.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, CredentialError> {
    let cert_pem = read_limited(path, false)?;
    let (label, cert) = Document::from_pem(&cert_pem).map_err(|e| CredentialError::Malformed {
        path: path.to_owned(),
        reason: format!("not a PEM certificate: {e}"),
    })?;
    if label != "CERTIFICATE" {
        return Err(CredentialError::Malformed {
            path: path.to_owned(),
            reason: format!("PEM label is {label:?}, expected \"CERTIFICATE\""),
        });
    }
    Ok(cert.as_bytes().to_vec())
}

/// The key as unencrypted PKCS#8 DER.
pub(crate) fn pkcs8_der(key: &SigningKey) -> Result<Zeroizing<Vec<u8>>, CredentialError> {
    let doc = key.to_pkcs8_der().map_err(|e| CredentialError::Encode {
        reason: e.to_string(),
    })?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

/// Checks that `key` is the private half of `public_key`.
pub(crate) fn check_key_matches(
    key: &SigningKey,
    public_key: &p256::PublicKey,
) -> Result<(), CredentialError> {
    if p256::PublicKey::from(key.verifying_key()) == *public_key {
        Ok(())
    } else {
        Err(CredentialError::CertificateMismatch)
    }
}

fn encode_key_pem(
    key: &SigningKey,
    passphrase: Option<&str>,
) -> Result<Zeroizing<String>, CredentialError> {
    let encoded = match passphrase {
        None => key.to_pkcs8_pem(LineEnding::LF),
        Some("") => return Err(CredentialError::EmptyPassphrase),
        Some(passphrase) => key.to_pkcs8_encrypted_pem(OsRng, passphrase, LineEnding::LF),
    };
    encoded.map_err(|e| CredentialError::Encode {
        reason: e.to_string(),
    })
}

fn decode_key_pem(
    path: &Path,
    pem: &str,
    passphrase: Option<&str>,
) -> Result<SigningKey, CredentialError> {
    let malformed = |reason: String| CredentialError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let (label, doc) =
        SecretDocument::from_pem(pem).map_err(|e| malformed(format!("not a PEM key: {e}")))?;
    match (label, passphrase) {
        ("PRIVATE KEY", None) => SigningKey::from_pkcs8_der(doc.as_bytes())
            .map_err(|e| malformed(format!("not a PKCS#8 P-256 key: {e}"))),
        ("PRIVATE KEY", Some(_)) => Err(CredentialError::NotEncrypted {
            path: path.to_owned(),
        }),
        ("ENCRYPTED PRIVATE KEY", None) => Err(CredentialError::PassphraseRequired {
            path: path.to_owned(),
        }),
        ("ENCRYPTED PRIVATE KEY", Some(passphrase)) => {
            let info = EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
                .map_err(|e| malformed(format!("not an encrypted PKCS#8 key: {e}")))?;
            check_encryption(path, &info)?;
            let wrong = || CredentialError::WrongPassphrase {
                path: path.to_owned(),
            };
            // With the parameters accepted above, decryption fails only for a wrong
            // passphrase or altered ciphertext; a wrong passphrase can also (rarely)
            // yield valid padding around garbage, which then fails to parse.
            let plain = info.decrypt(passphrase).map_err(|_| wrong())?;
            SigningKey::from_pkcs8_der(plain.as_bytes()).map_err(|_| wrong())
        }
        (other, _) => Err(malformed(format!(
            "PEM label is {other:?}, expected \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\""
        ))),
    }
}

fn check_encryption(
    path: &Path,
    info: &EncryptedPrivateKeyInfo<'_>,
) -> Result<(), CredentialError> {
    use p256::pkcs8::pkcs5::{self, pbes2};

    let unsupported = |reason: &str| CredentialError::UnsupportedEncryption {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let pkcs5::EncryptionScheme::Pbes2(params) = &info.encryption_algorithm else {
        return Err(unsupported(
            "PBES1; only PBES2 with scrypt and AES-256-CBC is accepted",
        ));
    };
    let pbes2::Kdf::Scrypt(scrypt) = &params.kdf else {
        return Err(unsupported("PBKDF2; only scrypt is accepted"));
    };
    if !matches!(params.encryption, pbes2::EncryptionScheme::Aes256Cbc { .. }) {
        return Err(unsupported("cipher other than AES-256-CBC"));
    }
    if scrypt.cost_parameter > MAX_SCRYPT_COST
        || scrypt.block_size > 8
        || scrypt.parallelization != 1
    {
        return Err(unsupported("scrypt parameters above N=2^18, r=8, p=1"));
    }
    Ok(())
}

/// Reads a whole (small) file as UTF-8; for key files, first checks that it is a regular
/// file that only its owner can access.
fn read_limited(path: &Path, private: bool) -> Result<Zeroizing<String>, CredentialError> {
    let io_error = |source| CredentialError::Io {
        path: path.to_owned(),
        source,
    };
    let malformed = |reason: &str| CredentialError::Malformed {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let file = File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(malformed("not a regular file"));
    }
    let mode = metadata.permissions().mode() & 0o7777;
    if private && mode & 0o077 != 0 {
        return Err(CredentialError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(malformed("larger than 64 KiB"));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed("not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Creates `path` with `contents` and mode 0600, never replacing an existing file.
fn write_new(path: &Path, contents: &[u8]) -> Result<(), CredentialError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(CredentialError::Io {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "no file name"),
        });
    };
    let temp = dir.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        OsRng.next_u64()
    ));
    let io_error = |source| CredentialError::Io {
        path: temp.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(io_error)?;
    // From here on the temporary name is ours alone (create_new): remove it whatever
    // happens.
    let result = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error)
        .and_then(|()| {
            fs::hard_link(&temp, path).map_err(|source| {
                if source.kind() == io::ErrorKind::AlreadyExists {
                    CredentialError::AlreadyExists {
                        path: path.to_owned(),
                    }
                } else {
                    CredentialError::Io {
                        path: path.to_owned(),
                        source,
                    }
                }
            })
        });
    drop(file);
    let _ = fs::remove_file(&temp);
    result
}

fn sync_dir(dir: &Path) -> Result<(), CredentialError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| CredentialError::Io {
            path: dir.to_owned(),
            source,
        })
}
