//! Object locations: the contract hands them out, unguessable, each reserved for one
//! organization (`reserve_locations`), and a dataset's registration takes each for good.
//!
//! A location is `data/` and 32 lowercase hex digits: the first 16 bytes of SHA-256
//! over [`DOMAIN`], the transaction's secret entropy, its sequence number (8 bytes
//! big-endian) and the location's index in the reservation (4 bytes big-endian). Only
//! the cores know the entropy, so nobody can name a location before the contract hands
//! it out; the sequence number and index keep the locations of one ledger apart.
//!
//! A reservation lasts [`RESERVATION_TTL_MS`] of ledger time. Until then an owner of the
//! organization may upload into it (see [`object`](super::object)); a registration that
//! names it before then takes it: from then on it belongs to the dataset and accepts no
//! upload, so an object is never rewritten.

use sha2::{Digest, Sha256};

use super::api::{DatasetFile, ReserveLocations};
use super::check::{self, invalid};
use super::store::{LocationRecord, OWNER, Writes, encode, load, party};
use super::view::Reserved;
use super::{Tx, reply};
use crate::{Caller, ContractError, State};

/// How long a reservation lasts, in ms of ledger time: 24 hours.
pub const RESERVATION_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The domain separator of location derivation.
const DOMAIN: &[u8] = b"strongroom/location/v1";
/// What every location starts with.
const PREFIX: &str = "data/";
/// Hex digits after the prefix.
const HEX_LEN: usize = 32;
/// Most locations one reservation hands out (a dataset has at most this many files).
const MAX_RESERVE: u32 = check::MAX_FILES as u32;

/// The key of a location's record.
fn key(location: &str) -> Vec<u8> {
    format!("loc/{location}").into_bytes()
}

/// Checks a location's form (`Invalid` naming `field` otherwise): the check depends on
/// the text only, never on the state.
pub(crate) fn check(field: &str, location: &str) -> Result<(), ContractError> {
    let well_formed = location.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == HEX_LEN
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "expected a location the contract reserved: {PREFIX}<{HEX_LEN} lowercase hex digits>"
            ),
        ))
    }
}

/// The location at `index` of the reservation made by the transaction at `sequence`.
pub(crate) fn derive(entropy: &[u8; 32], sequence: u64, index: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(entropy);
    hasher.update(sequence.to_be_bytes());
    hasher.update(index.to_be_bytes());
    let digest = hasher.finalize();
    format!("{PREFIX}{}", hex::encode(&digest[..HEX_LEN / 2]))
}

/// Loads a location's record.
pub(crate) fn load_record(
    state: &dyn State,
    location: &str,
) -> Result<Option<LocationRecord>, ContractError> {
    load(state, &key(location))
}

/// Whether `caller` may upload into the location of `record` at ledger time `now`: an
/// owner of the organization it is reserved for, before the reservation ends, while no
/// dataset has registered it.
pub(crate) fn may_upload(record: &LocationRecord, caller: &Caller, now: u64) -> bool {
    record.owner_msp == caller.msp_id
        && caller.role == OWNER
        && record.dataset.is_none()
        && now < record.expires_at_ms
}

/// `reserve_locations`: an owner, for its organization.
pub(crate) fn reserve(
    tx: &Tx<'_>,
    state: &mut dyn State,
    inv: &ReserveLocations,
) -> Result<Vec<u8>, ContractError> {
    if !(1..=MAX_RESERVE).contains(&inv.count) {
        return Err(invalid("count", format!("must be 1 to {MAX_RESERVE}")));
    }
    let caller = tx.caller();
    if caller.role != OWNER {
        return Err(ContractError::NotFoundOrDenied);
    }
    let expires_at_ms = tx.now.saturating_add(RESERVATION_TTL_MS);
    let mut records = Vec::with_capacity(inv.count as usize);
    for index in 0..inv.count {
        let location = derive(&tx.ctx.entropy, tx.ctx.sequence, index);
        // 128 bits of a hash over the secret entropy and the sequence: a collision is
        // not expected, but a location is never handed out twice.
        if state.get_ref(&key(&location)).is_some() {
            return Err(ContractError::Refused(format!(
                "location {location} is taken: try again"
            )));
        }
        let record = LocationRecord {
            owner_msp: caller.msp_id.clone(),
            reserved_by: party(caller),
            expires_at_ms,
            dataset: None,
        };
        records.push((location, encode(&record)?));
    }
    let locations = records.iter().map(|(l, _)| l.clone()).collect();
    for (location, bytes) in records {
        state.put(key(&location), bytes);
    }
    reply(&Reserved {
        locations,
        expires_at_ms,
    })
}

/// Checks the files' locations' form and that none repeats (`Invalid`; state not read).
pub(crate) fn check_files(files: &[DatasetFile]) -> Result<(), ContractError> {
    for (i, file) in files.iter().enumerate() {
        check(&format!("files[{i}].location"), &file.location)?;
    }
    let locations: Vec<&str> = files.iter().map(|f| f.location.as_str()).collect();
    check::unique("files.location", &locations)
}

/// The writes that give every file's location to the dataset `id` being registered by
/// the transaction's caller: each must be reserved for the caller's organization, not
/// yet registered, and its reservation not ended. A location reserved for another
/// organization, never reserved, or already registered is refused with one and the same
/// message, so that nobody learns whether another organization's location exists.
pub(crate) fn take_for_dataset(
    tx: &Tx<'_>,
    state: &dyn State,
    files: &[DatasetFile],
    id: &str,
) -> Result<Writes, ContractError> {
    let caller = tx.caller();
    let mut writes = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let location = &file.location;
        let record = load_record(state, location)?
            .filter(|r| r.owner_msp == caller.msp_id && r.dataset.is_none());
        let Some(mut record) = record else {
            return Err(ContractError::Refused(format!(
                "files[{i}].location: {location} is not a free location reserved for your \
                 organization: reserve locations with reserve_locations and upload into them"
            )));
        };
        if record.expires_at_ms <= tx.now {
            return Err(ContractError::Refused(format!(
                "files[{i}].location: the reservation of {location} expired at {} (ledger \
                 time): reserve new locations and upload again",
                record.expires_at_ms
            )));
        }
        record.dataset = Some(id.to_owned());
        writes.push((key(location), encode(&record)?));
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_locations_are_well_formed() {
        let location = derive(&[7; 32], 42, 3);
        assert!(check("l", &location).is_ok(), "{location}");
        assert_eq!(location.len(), PREFIX.len() + HEX_LEN);
    }

    #[test]
    fn derived_locations_depend_on_entropy_sequence_and_index() {
        let base = derive(&[7; 32], 42, 3);
        assert_ne!(base, derive(&[8; 32], 42, 3));
        assert_ne!(base, derive(&[7; 32], 43, 3));
        assert_ne!(base, derive(&[7; 32], 42, 4));
        assert_eq!(base, derive(&[7; 32], 42, 3));
    }

    #[test]
    fn a_derived_location_is_the_hash_the_docs_describe() {
        let mut input = b"strongroom/location/v1".to_vec();
        input.extend_from_slice(&[1; 32]);
        input.extend_from_slice(&5u64.to_be_bytes());
        input.extend_from_slice(&2u32.to_be_bytes());
        let digest = Sha256::digest(&input);
        assert_eq!(
            derive(&[1; 32], 5, 2),
            format!("data/{}", hex::encode(&digest[..16]))
        );
    }

    #[test]
    fn malformed_locations_are_invalid() {
        for bad in [
            "",
            "data/",
            "s3://bucket/x",
            "datasets/0123456789abcdef0123456789abcdef",
            "data/0123456789ABCDEF0123456789abcdef",
            "data/0123456789abcdef0123456789abcde",
            "data/0123456789abcdef0123456789abcdef0",
            "data/0123456789abcdef0123456789abcdeg",
            "data/../123456789abcdef0123456789abcdef",
        ] {
            assert!(
                matches!(check("l", bad), Err(ContractError::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
