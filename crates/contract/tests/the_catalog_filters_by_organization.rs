//! Catalog search with `organization` returns exactly that organization's consented,
//! active datasets (alone or with the other filters), page by page; an organization
//! with none gives an empty page; a malformed MSP id is refused naming the field; a
//! dataset whose consent is withdrawn leaves its organization's list.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{World, algorithm, caller};
use serde_json::{Value, json};
use strongroom_contract::sharing::{CatalogPage, DatasetView};
use strongroom_contract::{Caller, ContractError};

/// A member of an organization that owns nothing: sees what any member sees.
fn reader() -> Caller {
    caller("Org9MSP", "reader", "analyst")
}

/// Every page of `query` (which must carry `limit`), checking each page's size, the
/// id order across pages and that no id comes twice; answers the ids and the number
/// of pages.
fn all_pages(w: &World, mut query: Value) -> (Vec<String>, usize) {
    let limit = query["limit"].as_u64().unwrap() as usize;
    let mut ids: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        let page: CatalogPage = w.q(&reader(), &query);
        pages += 1;
        assert!(page.items.len() <= limit, "{query}: a page over the limit");
        ids.extend(page.items.into_iter().map(|d| d.id));
        match page.next {
            Some(next) => {
                assert_eq!(
                    Some(&next),
                    ids.last(),
                    "{query}: next is not the page's last id"
                );
                query["after"] = json!(next);
            }
            None => break,
        }
        assert!(pages < 1_000, "{query}: pages never end");
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids, "{query}: ids out of order or repeated");
    (ids, pages)
}

fn search(organization: &str, extra: Value) -> Value {
    let mut query = json!({"op": "search_catalog", "organization": organization});
    common::merge(&mut query, extra);
    query
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

/// A world with two organizations' datasets, and the ids of the active ones, sorted.
struct Two {
    w: World,
    /// Org1's (11).
    org1: Vec<String>,
    /// Org1's described with "alpha" (6).
    org1_alpha: Vec<String>,
    /// Org2's (6).
    org2: Vec<String>,
    /// Org2's described with "alpha" (2).
    org2_alpha: Vec<String>,
}

/// Org1 and Org2 each register datasets, some described with "alpha"; Org1 also has
/// a withdrawn dataset and one whose consent has ended, both described with "alpha".
fn two_organizations() -> Two {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let bob = caller("Org2MSP", "bob", "owner");
    let (mut org1, mut org1_alpha, mut org2, mut org2_alpha) = (vec![], vec![], vec![], vec![]);
    for i in 0..11usize {
        let word = if i % 2 == 0 { "alpha" } else { "beta" };
        let id = w.register(
            &alice,
            &format!("one{i}"),
            json!({"description": format!("{word} cohort of the first hospital")}),
        );
        if word == "alpha" {
            org1_alpha.push(id.clone());
        }
        org1.push(id);
    }
    for i in 0..6usize {
        let word = if i % 3 == 0 { "alpha" } else { "gamma" };
        let id = w.register(
            &bob,
            &format!("two{i}"),
            json!({"description": format!("{word} cohort of the second hospital")}),
        );
        if word == "alpha" {
            org2_alpha.push(id.clone());
        }
        org2.push(id);
    }
    // Not consented any more: in neither list.
    let withdrawn = w.register(
        &alice,
        "withdrawn",
        json!({"description": "alpha cohort withdrawn"}),
    );
    w.ok::<DatasetView>(&alice, &json!({"op": "withdraw_consent", "id": withdrawn}));
    let end = w.time_ms + 5_000;
    w.register(
        &alice,
        "expired",
        json!({
            "description": "alpha cohort whose consent ends",
            "consent": {"purposes": ["research"], "expires_at_ms": end},
        }),
    );
    w.advance(10_000);
    w.create(&bob, &algorithm("tick", false)); // any transaction records the time
    for ids in [&mut org1, &mut org1_alpha, &mut org2, &mut org2_alpha] {
        ids.sort();
    }
    Two {
        w,
        org1,
        org1_alpha,
        org2,
        org2_alpha,
    }
}

#[test]
fn an_organization_filter_pages_through_exactly_its_consented_datasets() {
    let t = two_organizations();
    // The whole catalog holds both organizations' active datasets, and nothing else.
    let (everything, _) = all_pages(&t.w, json!({"op": "search_catalog", "limit": 100}));
    assert_eq!(
        set(&everything),
        set(&t.org1).union(&set(&t.org2)).cloned().collect()
    );

    // Org1: 11 datasets over pages of 4 (4 + 4 + 3), in id order.
    let (ids, pages) = all_pages(&t.w, search("Org1MSP", json!({"limit": 4})));
    assert_eq!(ids, t.org1);
    assert_eq!(pages, 3);
    // The first page by itself: exactly the first 4 ids, and `next` is the 4th.
    let first: CatalogPage = t.w.q(&reader(), &search("Org1MSP", json!({"limit": 4})));
    let first_ids: Vec<String> = first.items.iter().map(|d| d.id.clone()).collect();
    assert_eq!(first_ids, t.org1[..4]);
    assert_eq!(first.next.as_deref(), Some(t.org1[3].as_str()));
    assert!(first.items.iter().all(|d| d.owner_msp == "Org1MSP"));
    // Exactly one full page: no `next`.
    let (ids, pages) = all_pages(&t.w, search("Org1MSP", json!({"limit": 11})));
    assert_eq!((ids, pages), (t.org1.clone(), 1));
    // One short of it: a second page with the last.
    let (ids, pages) = all_pages(&t.w, search("Org1MSP", json!({"limit": 10})));
    assert_eq!((ids, pages), (t.org1.clone(), 2));

    // Org2, one per page.
    let (ids, pages) = all_pages(&t.w, search("Org2MSP", json!({"limit": 1})));
    assert_eq!(ids, t.org2);
    assert_eq!(pages, t.org2.len());

    // With a text filter: only that organization's datasets with the word, although
    // the other organization, the withdrawn and the expired dataset have it too.
    let (ids, pages) = all_pages(
        &t.w,
        search("Org1MSP", json!({"text": "ALPHA", "limit": 2})),
    );
    assert_eq!(ids, t.org1_alpha);
    assert_eq!(pages, t.org1_alpha.len().div_ceil(2));
    let (ids, _) = all_pages(
        &t.w,
        search("Org2MSP", json!({"text": "alpha", "limit": 1})),
    );
    assert_eq!(ids, t.org2_alpha);
    // A word only the other organization uses: nothing.
    let (ids, pages) = all_pages(
        &t.w,
        search("Org1MSP", json!({"text": "gamma", "limit": 5})),
    );
    assert!(ids.is_empty());
    assert_eq!(pages, 1);
    // With kind and labels too (every test dataset is a csv labelled "clinical").
    let (ids, _) = all_pages(
        &t.w,
        search(
            "Org2MSP",
            json!({"kind": "csv", "labels": ["clinical"], "text": "cohort", "limit": 4}),
        ),
    );
    assert_eq!(ids, t.org2);
    let (ids, _) = all_pages(&t.w, search("Org2MSP", json!({"kind": "vcf", "limit": 4})));
    assert!(ids.is_empty());

    // The organization's own members see the same list (with their budget).
    let alice = caller("Org1MSP", "alice", "owner");
    let page: CatalogPage = t.w.q(&alice, &search("Org1MSP", json!({"limit": 100})));
    let own: Vec<String> = page.items.iter().map(|d| d.id.clone()).collect();
    assert_eq!(own, t.org1);
    assert_eq!(page.next, None);

    // MSP ids are compared exactly: another case is another organization.
    let (ids, _) = all_pages(&t.w, search("org1msp", json!({"limit": 10})));
    assert!(ids.is_empty());
}

#[test]
fn an_organization_with_no_datasets_gives_an_empty_page() {
    let t = two_organizations();
    // A member organization that registered nothing, one nobody has heard of, and
    // the longest well-formed MSP id.
    for organization in ["Org9MSP", "NobodyMSP", &"m".repeat(64)] {
        for extra in [json!({}), json!({"limit": 1}), json!({"text": "alpha"})] {
            let page: CatalogPage = t.w.q(&reader(), &search(organization, extra.clone()));
            assert!(page.items.is_empty(), "{organization} {extra}");
            assert_eq!(page.next, None, "{organization} {extra}");
        }
    }
    // An empty world too.
    let w = World::new();
    let page: CatalogPage = w.q(&reader(), &search("Org1MSP", json!({})));
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
}

#[test]
fn a_malformed_organization_is_refused_naming_the_field_and_changes_nothing() {
    let mut t = two_organizations();
    let before = t.w.digest();
    let (org1_before, _) = all_pages(&t.w, search("Org1MSP", json!({"limit": 4})));
    let too_long = "m".repeat(65);
    for organization in [
        "",
        "a/b",
        too_long.as_str(),
        "Org1MSP/",
        "co/Org1MSP",
        "Org1 MSP",
        "Org1MSP\u{0}",
        "Örg1MSP",
    ] {
        for extra in [json!({}), json!({"text": "alpha", "limit": 2})] {
            let query = search(organization, extra);
            match t.w.query(&reader(), &query) {
                Err(ContractError::Invalid(message)) => assert!(
                    message.starts_with("organization:"),
                    "{query}: {message:?} does not name the field organization"
                ),
                other => panic!("{query}: expected Invalid(organization: …), got {other:?}"),
            }
        }
    }
    // A query writes nothing, and a search sent as a transaction is no transaction.
    assert!(
        t.w.exec(&reader(), &search("a/b", json!({}))).is_err(),
        "a search was accepted as a transaction"
    );
    assert_eq!(t.w.digest(), before, "a refused search changed the state");
    // The catalog answers as before.
    let (org1_after, _) = all_pages(&t.w, search("Org1MSP", json!({"limit": 4})));
    assert_eq!(org1_after, org1_before);
    assert_eq!(org1_after, t.org1);
}

#[test]
fn a_withdrawn_dataset_leaves_its_organizations_list() {
    let mut t = two_organizations();
    let alice = caller("Org1MSP", "alice", "owner");
    let gone = t.org1_alpha[1].clone();
    let (ids, _) = all_pages(&t.w, search("Org1MSP", json!({"limit": 3})));
    assert!(ids.contains(&gone));

    t.w.ok::<DatasetView>(&alice, &json!({"op": "withdraw_consent", "id": gone}));

    let without =
        |ids: &[String]| -> Vec<String> { ids.iter().filter(|id| **id != gone).cloned().collect() };
    let (ids, pages) = all_pages(&t.w, search("Org1MSP", json!({"limit": 3})));
    assert_eq!(ids, without(&t.org1));
    assert_eq!(pages, 4, "10 datasets over pages of 3");
    let (ids, _) = all_pages(
        &t.w,
        search("Org1MSP", json!({"text": "alpha", "limit": 2})),
    );
    assert_eq!(ids, without(&t.org1_alpha));
    // Paging from the withdrawn id itself (a `next` handed out before) goes on after it.
    let (ids, _) = all_pages(&t.w, search("Org1MSP", json!({"limit": 3, "after": gone})));
    let later: Vec<String> = t.org1.iter().filter(|id| **id > gone).cloned().collect();
    assert_eq!(ids, later);
    // The other organization's list is untouched.
    let (ids, _) = all_pages(&t.w, search("Org2MSP", json!({"limit": 3})));
    assert_eq!(ids, t.org2);

    // Withdrawing the rest empties the list.
    for id in without(&t.org1) {
        t.w.ok::<DatasetView>(&alice, &json!({"op": "withdraw_consent", "id": id}));
    }
    let page: CatalogPage = t.w.q(&reader(), &search("Org1MSP", json!({})));
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
    let (ids, _) = all_pages(&t.w, search("Org2MSP", json!({"limit": 3})));
    assert_eq!(ids, t.org2);
}
