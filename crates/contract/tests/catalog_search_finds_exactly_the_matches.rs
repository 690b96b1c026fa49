//! Catalog search over lists long enough to be walked in slices returns exactly the
//! active datasets matching every filter, page by page, each once.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{World, caller};
use serde_json::{Value, json};
use strongroom_contract::sharing::CatalogPage;

const KINDS: [&str; 3] = ["csv", "vcf", "parquet"];
const WORDS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "omega"];

/// Which registration numbers a search should find.
type Predicate = Box<dyn Fn(usize) -> bool>;

fn all_pages(w: &World, mut query: Value) -> Vec<String> {
    let reader = caller("Org9MSP", "reader", "analyst");
    let mut ids = Vec::new();
    loop {
        let page: CatalogPage = w.q(&reader, &query);
        assert!(page.items.len() <= 50);
        ids.extend(page.items.into_iter().map(|d| d.id));
        match page.next {
            Some(next) => query["after"] = json!(next),
            None => return ids,
        }
    }
}

#[test]
fn filters_intersect_and_pages_cover_every_match_once() {
    let mut w = World::new();
    let owner = caller("Org1MSP", "alice", "owner");
    let mut registered = Vec::new();
    for i in 0..1_300usize {
        let id = w.register(
            &owner,
            &format!("set{i}"),
            json!({
                "kind": KINDS[i % 3],
                "labels": [format!("l{}", i % 4), "shared".to_owned()],
                "description": format!("{} {} cohort", WORDS[i % 5], WORDS[(i / 5) % 5]),
            }),
        );
        registered.push((id, i));
    }
    // Withdraw every tenth: they must disappear from every list.
    for (id, i) in &registered {
        if i % 10 == 0 {
            w.ok::<Value>(&owner, &json!({"op": "withdraw_consent", "id": id}));
        }
    }
    let expect = |pred: &dyn Fn(usize) -> bool| -> BTreeSet<String> {
        registered
            .iter()
            .filter(|(_, i)| i % 10 != 0 && pred(*i))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let cases: Vec<(Value, Predicate)> = vec![
        (json!({}), Box::new(|_| true)),
        (json!({"kind": "vcf"}), Box::new(|i| i % 3 == 1)),
        (json!({"labels": ["l2"]}), Box::new(|i| i % 4 == 2)),
        (
            json!({"kind": "csv", "labels": ["l1"]}),
            Box::new(|i| i % 3 == 0 && i % 4 == 1),
        ),
        (
            json!({"text": "Gamma"}),
            Box::new(|i| i % 5 == 2 || (i / 5) % 5 == 2),
        ),
        (
            json!({"text": "alpha beta", "kind": "parquet"}),
            Box::new(|i| {
                let words = [i % 5, (i / 5) % 5];
                words.contains(&0) && words.contains(&1) && i % 3 == 2
            }),
        ),
        (
            json!({"kind": "vcf", "labels": ["l0"], "text": "omega"}),
            Box::new(|i| i % 3 == 1 && i % 4 == 0 && (i % 5 == 4 || (i / 5) % 5 == 4)),
        ),
        (json!({"labels": ["nowhere"]}), Box::new(|_| false)),
        // Two lists longer than a chunk: the shorter is walked in chunks and the other
        // read over each chunk's range of ids.
        (
            json!({"labels": ["shared"], "text": "cohort"}),
            Box::new(|_| true),
        ),
        (
            json!({"labels": ["shared"], "text": "cohort beta"}),
            Box::new(|i| i % 5 == 1 || (i / 5) % 5 == 1),
        ),
    ];
    for (filters, pred) in cases {
        let mut query = json!({"op": "search_catalog", "limit": 50});
        common::merge(&mut query, filters.clone());
        let ids = all_pages(&w, query);
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "{filters}: an id came twice");
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "{filters}: not in id order");
        assert_eq!(unique, expect(&*pred), "{filters}");
    }
}
