//! The catalog index: postings per kind, label and word, so that a search reads only
//! small index entries and decodes just the datasets it returns.
//!
//! Each posting is `<prefix><dataset id>` → the consent end time (u64 big-endian,
//! `u64::MAX` for none), so expired consent is filtered without decoding anything; a
//! withdrawn dataset has no postings. `cn/<prefix>` counts a prefix's postings: a search
//! walks the smallest of its filters' posting lists and checks the others by point
//! lookups. Long lists are walked in chunks of 1,024 postings, each other list read over
//! the same range of ids, so a page never copies a whole list.

use super::api::CatalogSearch;
use super::check::{self, invalid};
use super::store::{DatasetCore, ID_HEX_LEN, be_u64, load};
use super::view::{CatalogPage, DatasetSummary};
use crate::{Caller, ContractError, State};

const ALL: &str = "ca/";
/// Length of a dataset id (`ds-` and 16 hex digits).
const DS_ID_LEN: usize = 3 + ID_HEX_LEN;
/// Most postings of the shortest list read per step: a page never copies a whole list.
const CHUNK: usize = 1024;
/// Sorts after every posting of a list (`.` follows `-` in `ds-`).
const LIST_END: &str = "ds.";
/// Most words a dataset is indexed under.
const MAX_WORDS: usize = 256;

/// The posting prefixes of a dataset.
fn prefixes(core: &DatasetCore) -> Vec<String> {
    let mut out = vec![
        ALL.to_owned(),
        format!("ck/{}/", core.kind.as_str()),
        format!("co/{}/", core.owner_msp),
    ];
    out.extend(core.labels.iter().map(|l| format!("cl/{l}/")));
    let mut text = String::new();
    for part in [&core.name, &core.description]
        .into_iter()
        .chain(&core.labels)
        .chain(&core.columns)
    {
        text.push_str(part);
        text.push(' ');
    }
    out.extend(
        check::words(&text)
            .into_iter()
            .take(MAX_WORDS)
            .map(|w| format!("ct/{w}/")),
    );
    out
}

fn count_key(prefix: &str) -> Vec<u8> {
    format!("cn/{prefix}").into_bytes()
}

fn count(state: &dyn State, prefix: &str) -> u64 {
    state.get_ref(&count_key(prefix)).map_or(0, |b| be_u64(&b))
}

fn set_count(state: &mut dyn State, prefix: &str, n: u64) {
    if n == 0 {
        state.delete(&count_key(prefix));
    } else {
        state.put(count_key(prefix), n.to_be_bytes().to_vec());
    }
}

/// Puts a dataset in the catalog.
pub(crate) fn add(state: &mut dyn State, id: &str, core: &DatasetCore) {
    let end = core.consent.expires_at_ms.unwrap_or(u64::MAX).to_be_bytes();
    for prefix in prefixes(core) {
        let n = count(state, &prefix);
        set_count(state, &prefix, n.saturating_add(1));
        state.put(format!("{prefix}{id}").into_bytes(), end.to_vec());
    }
}

/// Takes a dataset out of the catalog.
pub(crate) fn remove(state: &mut dyn State, id: &str, core: &DatasetCore) {
    for prefix in prefixes(core) {
        let n = count(state, &prefix);
        set_count(state, &prefix, n.saturating_sub(1));
        state.delete(format!("{prefix}{id}").as_bytes());
    }
}

/// Answers `caller`'s catalog search at ledger time `now`.
pub(crate) fn search(
    caller: &Caller,
    state: &dyn State,
    query: &CatalogSearch,
    now: u64,
) -> Result<CatalogPage, ContractError> {
    let limit = check::limit(query.limit, 20, 100)?;
    check::count("labels", query.labels.len(), 0, 8)?;
    for (i, label) in query.labels.iter().enumerate() {
        check::label(&format!("labels[{i}]"), label)?;
    }
    if let Some(after) = &query.after {
        check::id("after", after, "ds")?;
    }
    let mut filters: Vec<String> = Vec::new();
    if let Some(kind) = query.kind {
        filters.push(format!("ck/{}/", kind.as_str()));
    }
    filters.extend(query.labels.iter().map(|l| format!("cl/{l}/")));
    if let Some(organization) = &query.organization {
        check::msp_id("organization", organization)?;
        filters.push(format!("co/{organization}/"));
    }
    if let Some(text) = &query.text {
        check::text("text", text, 0, 256, false)?;
        let words = check::words(text);
        if words.is_empty() && !text.trim().is_empty() {
            return Err(invalid(
                "text",
                "needs a word of at least 2 letters or digits",
            ));
        }
        check::count("text", words.len(), 0, 8)
            .map_err(|_| invalid("text", "has more than 8 words"))?;
        filters.extend(words.into_iter().map(|w| format!("ct/{w}/")));
    }
    if filters.is_empty() {
        filters.push(ALL.to_owned());
    }
    // Walk the shortest list in id order. Check each other list either by merging the
    // same range of it (when it is not much longer) or by point lookups.
    let mut counted: Vec<(u64, String)> =
        filters.into_iter().map(|p| (count(state, &p), p)).collect();
    counted.sort();
    counted.dedup_by(|a, b| a.1 == b.1);
    let (driver_len, driver) = counted.remove(0);
    let chunked = driver_len > CHUNK as u64;
    let (merged, probed): (Vec<_>, Vec<_>) = counted
        .into_iter()
        .partition(|(len, _)| chunked && *len <= driver_len.saturating_mul(8));

    let mut ids: Vec<String> = Vec::new();
    let mut more = false;
    // Borrowed scans into fixed-size ids: no allocation per posting.
    let mut entries: Vec<(PostingId, u64)> = Vec::with_capacity(CHUNK);
    let mut others: Vec<Vec<PostingId>> = vec![Vec::new(); merged.len()];
    let driver_end = format!("{driver}{LIST_END}");
    // A page often fills from the first postings: start small, then double.
    let mut chunk = (limit * 4).clamp(64, CHUNK);
    let mut cursor = match &query.after {
        Some(after) => format!("{driver}{after}\u{0}"),
        None => driver.clone(),
    };
    'chunks: loop {
        entries.clear();
        state.scan(
            cursor.as_bytes(),
            Some(driver_end.as_bytes()),
            &mut |key, end| {
                if let Some(id) = posting(key) {
                    entries.push((id, be_u64(end)));
                }
                entries.len() < chunk
            },
        );
        let (Some((first, _)), Some((last, _))) = (entries.first(), entries.last()) else {
            break;
        };
        let (Ok(first), Ok(last)) = (std::str::from_utf8(first), std::str::from_utf8(last)) else {
            break;
        };
        // The other lists' postings within the chunk's ids, first to last inclusive.
        for (list, (_, prefix)) in others.iter_mut().zip(&merged) {
            list.clear();
            state.scan(
                format!("{prefix}{first}").as_bytes(),
                Some(format!("{prefix}{last}\u{0}").as_bytes()),
                &mut |key, _| {
                    if let Some(id) = posting(key) {
                        list.push(id);
                    }
                    true
                },
            );
        }
        let next_cursor = format!("{driver}{last}\u{0}");
        for (id, end) in &entries {
            if *end <= now || !others.iter().all(|list| list.binary_search(id).is_ok()) {
                continue;
            }
            let Ok(id) = std::str::from_utf8(id) else {
                continue;
            };
            if probed
                .iter()
                .all(|(_, p)| state.get_ref(format!("{p}{id}").as_bytes()).is_some())
            {
                if ids.len() == limit {
                    more = true;
                    break 'chunks;
                }
                ids.push(id.to_owned());
            }
        }
        if entries.len() < chunk {
            break;
        }
        cursor = next_cursor;
        chunk = (chunk * 2).min(CHUNK);
    }

    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(core) = load::<DatasetCore>(state, format!("d/{id}").as_bytes())? {
            items.push(summary(id, &core, caller));
        }
    }
    let next = if more { ids.last().cloned() } else { None };
    Ok(CatalogPage { items, next })
}

/// A dataset id as stored at the end of a posting key.
type PostingId = [u8; DS_ID_LEN];

/// The dataset id a posting key ends with.
fn posting(key: &[u8]) -> Option<PostingId> {
    key.get(key.len().checked_sub(DS_ID_LEN)?..)?
        .try_into()
        .ok()
}

/// A dataset's catalog entry as `caller` sees it: the privacy budget only for the
/// members of the dataset's organization.
pub(crate) fn summary(id: &str, core: &DatasetCore, caller: &Caller) -> DatasetSummary {
    let own = caller.msp_id == core.owner_msp;
    DatasetSummary {
        id: id.to_owned(),
        name: core.name.clone(),
        kind: core.kind,
        owner_msp: core.owner_msp.clone(),
        description: core.description.clone(),
        labels: core.labels.clone(),
        columns: core.columns.clone(),
        time_column: core.time_column.clone(),
        consent: core.consent.clone(),
        size_bytes: core.size_bytes,
        epsilon_budget_micro: core.epsilon_budget_micro.filter(|_| own),
        epsilon_spent_micro: own.then_some(core.epsilon_spent_micro),
        min_cell_size: core.min_cell_size,
        registered_at_ms: core.registered_at_ms,
        genomes: core.genomes.clone(),
    }
}
