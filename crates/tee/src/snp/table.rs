//! The SEV-SNP certificate table a host hands its guest with an extended report
//! (configfs-tsm's `auxblob`): where a node finds its chip's VCEK.

use super::AmdCertificate;
use crate::error::CollateralError;

/// The GUID of the VCEK in a GHCB certificate table.
const GUID_VCEK: [u8; 16] = guid("63da758d-e664-4564-adc5-f4b93be8accd");
/// The GUID of the ASK.
const GUID_ASK: [u8; 16] = guid("4ab7b379-bbac-4fe4-a02f-05aef327c782");
/// The GUID of the ARK.
const GUID_ARK: [u8; 16] = guid("c0b406a4-a803-4952-9743-3fb6014cd0ae");
/// A table entry: GUID (16 bytes), offset and length (u32 little-endian each).
const TABLE_ENTRY_LEN: usize = 24;

/// The 16 bytes of a GUID in the order it is written (as crate `sev` and the GHCB
/// specification store them).
const fn guid(text: &str) -> [u8; 16] {
    let text = text.as_bytes();
    let mut out = [0u8; 16];
    let mut i = 0;
    let mut n = 0;
    while i < text.len() {
        if text[i] != b'-' {
            let digit = match text[i] {
                b'0'..=b'9' => text[i] - b'0',
                b'a'..=b'f' => text[i] - b'a' + 10,
                _ => panic!("GUID constant is not lowercase hex"),
            };
            out[n / 2] |= digit << (4 * (1 - n % 2));
            n += 1;
        }
        i += 1;
    }
    out
}

/// The certificates of an SEV-SNP certificate table: what the host hands a guest with
/// an extended report (the GHCB certificate table; configfs-tsm's `auxblob`).
///
/// The table is a list of 24-byte entries (GUID, offset, length; offsets from the
/// table's start) ended by an all-zero entry, then the certificates (DER). The VCEK
/// (`63da758d-e664-4564-adc5-f4b93be8accd`) is required; the ASK
/// (`4ab7b379-bbac-4fe4-a02f-05aef327c782`) and ARK
/// (`c0b406a4-a803-4952-9743-3fb6014cd0ae`) are read when present; other entries are
/// skipped. Each certificate read must parse as X.509.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnpCertificateTable {
    /// The VCEK, DER.
    pub vcek: Vec<u8>,
    /// The ASK, DER, if the table has one.
    pub ask: Option<Vec<u8>>,
    /// The ARK, DER, if the table has one.
    pub ark: Option<Vec<u8>>,
}

impl SnpCertificateTable {
    /// Reads a certificate table; the error names what is wrong.
    pub fn parse(table: &[u8]) -> Result<Self, CollateralError> {
        let bad = |reason: String| CollateralError::CertificateTable(reason);
        let (mut vcek, mut ask, mut ark) = (None, None, None);
        let mut index = 0usize;
        loop {
            let start = index * TABLE_ENTRY_LEN;
            let entry = table.get(start..start + TABLE_ENTRY_LEN).ok_or_else(|| {
                bad(format!(
                    "entry {index} ends past the table's {} bytes (no all-zero entry ends it)",
                    table.len()
                ))
            })?;
            if entry.iter().all(|b| *b == 0) {
                break;
            }
            let (guid, rest) = entry.split_at(16);
            let word = |bytes: &[u8]| {
                let mut le = [0u8; 4];
                le.copy_from_slice(bytes);
                u32::from_le_bytes(le) as usize
            };
            let (offset, length) = (word(&rest[..4]), word(&rest[4..]));
            let slot = match <[u8; 16]>::try_from(guid).ok() {
                Some(GUID_VCEK) => Some(("VCEK", &mut vcek)),
                Some(GUID_ASK) => Some(("ASK", &mut ask)),
                Some(GUID_ARK) => Some(("ARK", &mut ark)),
                _ => None,
            };
            if let Some((what, slot)) = slot {
                if slot.is_some() {
                    return Err(bad(format!("entry {index}: a second {what}")));
                }
                let der = offset
                    .checked_add(length)
                    .and_then(|end| table.get(offset..end))
                    .filter(|der| !der.is_empty())
                    .ok_or_else(|| {
                        bad(format!(
                            "entry {index} ({what}): offset {offset} and length {length} are not \
                             inside the table's {} bytes",
                            table.len()
                        ))
                    })?;
                AmdCertificate::from_der(what, der.to_vec())?;
                *slot = Some(der.to_vec());
            }
            index += 1;
        }
        let vcek = vcek.ok_or_else(|| {
            bad("no VCEK entry (GUID 63da758d-e664-4564-adc5-f4b93be8accd)".to_string())
        })?;
        Ok(Self { vcek, ask, ark })
    }
}
