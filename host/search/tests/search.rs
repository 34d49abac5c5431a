use entrepot_search::{synthetic_names, DocKey, DocKind, MatchKind, SearchIndex, COMPACT_AFTER};

fn ev(id: u64) -> DocKey {
    DocKey { kind: DocKind::Event, id }
}
fn mk(id: u64) -> DocKey {
    DocKey { kind: DocKind::Market, id }
}

fn sample() -> SearchIndex {
    SearchIndex::build_from([
        (mk(1), "Ember Dragon Scale", 50),
        (mk(2), "Ancient Mithril Ingot", 10),
        (mk(3), "Dragon", 1),
        (mk(4), "Dragonbone Bow", 500),
        (ev(1), "Northshire Wolves vs Iron Harbor Kings", 900),
        (ev(2), "Iron Harbor Regatta 2031", 20),
        (mk(5), "Frost Wyvern Hide", 70),
        (mk(6), "Épée de Ñoño", 5),
    ])
}

fn keys(index: &SearchIndex, q: &str) -> Vec<DocKey> {
    index.search(q, 10).into_iter().map(|h| h.key).collect()
}

#[test]
fn prefix_finds() {
    let idx = sample();
    let hits = idx.search("drag", 10);
    let ks: Vec<DocKey> = hits.iter().map(|h| h.key).collect();
    // All three have a token starting with "drag"; prefix matches without edits rank by
    // popularity.
    assert_eq!(ks, [mk(4), mk(1), mk(3)]);
    assert!(hits.iter().all(|h| h.kind == MatchKind::Prefix));
    assert_eq!(keys(&idx, "mith"), [mk(2)]);
    assert_eq!(keys(&idx, "n"), [ev(1), mk(6)]); // "Ñoño" folds to "nono"
}

#[test]
fn exact_beats_prefix() {
    let idx = sample();
    let hits = idx.search("dragon", 10);
    assert_eq!(hits[0].key, mk(3));
    assert_eq!(hits[0].kind, MatchKind::ExactName);
    assert_eq!(hits[1].key, mk(1));
    assert_eq!(hits[1].kind, MatchKind::ExactTokens);
    assert_eq!(hits[2].key, mk(4));
    assert_eq!(hits[2].kind, MatchKind::Prefix);
}

#[test]
fn typo_finds() {
    let idx = sample();
    let hits = idx.search("dargon", 10);
    // One edit each (whole or prefix): popularity decides.
    assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [mk(4), mk(1), mk(3)]);
    assert!(hits.iter().all(|h| h.kind == MatchKind::Fuzzy && h.edits == 1));
    assert_eq!(keys(&idx, "mithrl ingot"), [mk(2)]);
    assert_eq!(keys(&idx, "nortshyre"), [ev(1)]); // two edits in a 9-char token
    assert!(keys(&idx, "drg").is_empty()); // short tokens get no typos
                                           // A whole (non-last) token does not match as a prefix.
    assert!(keys(&idx, "drag scale").is_empty());
}

#[test]
fn multi_token_intersection() {
    let idx = sample();
    assert_eq!(keys(&idx, "iron harbor"), [ev(1), ev(2)]);
    assert_eq!(keys(&idx, "iron harbor reg"), [ev(2)]);
    assert_eq!(keys(&idx, "harbor wolves"), [ev(1)]);
    assert!(keys(&idx, "ember mithril").is_empty());
    assert_eq!(keys(&idx, "scale dragon"), [mk(1)]);
}

#[test]
fn popularity_ordering() {
    let mut idx = sample();
    assert_eq!(keys(&idx, "iron"), [ev(1), ev(2)]);
    assert!(idx.set_popularity(ev(2), 10_000));
    assert_eq!(keys(&idx, "iron"), [ev(2), ev(1)]);
    assert!(!idx.set_popularity(ev(99), 1));
}

#[test]
fn updates_visible_before_and_after_compaction() {
    for compact in [false, true] {
        let mut idx = sample();
        let settle = |idx: &mut SearchIndex| {
            if compact {
                idx.compact();
                assert_eq!(idx.pending_changes(), 0);
            }
        };
        idx.upsert(mk(10), "Gilded Phoenix Feather", 3);
        settle(&mut idx);
        assert_eq!(keys(&idx, "phoenix"), [mk(10)]);
        assert_eq!(idx.len(), 9);

        // Rename: the old name no longer finds it, the new one does.
        idx.upsert(mk(10), "Molten Kraken Heart", 3);
        settle(&mut idx);
        assert!(keys(&idx, "phoenix").is_empty());
        assert_eq!(keys(&idx, "kraken hea"), [mk(10)]);
        assert_eq!(keys(&idx, "krakn haert"), [mk(10)]); // typos, in the delta or the base
        assert_eq!(idx.len(), 9);

        // Rename of a base document.
        idx.upsert(mk(2), "Ancient Adamantite Ingot", 10);
        settle(&mut idx);
        assert!(keys(&idx, "mithril").is_empty());
        assert_eq!(keys(&idx, "adamant"), [mk(2)]);

        // Same tokens, new display name: no index change, new name shown.
        idx.upsert(mk(5), "FROST wyvern-hide", 70);
        assert_eq!(idx.search("wyvern", 1)[0].name, "FROST wyvern-hide");

        // Removal of a base and of a delta document.
        assert!(idx.remove(mk(1)));
        assert!(idx.remove(mk(10)));
        assert!(!idx.remove(mk(10)));
        settle(&mut idx);
        assert_eq!(keys(&idx, "dragon"), [mk(3), mk(4)]);
        assert!(keys(&idx, "kraken").is_empty());
        assert_eq!(idx.len(), 7);

        // Re-adding a removed key works.
        idx.upsert(mk(1), "Ember Dragon Scale", 50);
        settle(&mut idx);
        assert_eq!(keys(&idx, "ember"), [mk(1)]);
    }
}

#[test]
fn automatic_compaction() {
    let mut idx = SearchIndex::new();
    for i in 0..(COMPACT_AFTER as u64 + 10) {
        idx.upsert(mk(i), &format!("Item {i} Widget"), i);
    }
    assert_eq!(idx.pending_changes(), 10);
    assert_eq!(idx.search("4100", 1)[0].key, mk(4100));
    assert_eq!(keys(&idx, "widget").len(), 10);
    assert_eq!(idx.search("widget", 3)[0].key, mk(COMPACT_AFTER as u64 + 9));
}

#[test]
fn diacritics_fold() {
    let idx = sample();
    assert_eq!(keys(&idx, "epee"), [mk(6)]);
    assert_eq!(keys(&idx, "ÉPÉE DE NOÑO"), [mk(6)]);
    assert_eq!(idx.search("épée de ñoño", 1)[0].kind, MatchKind::ExactName);
}

#[test]
fn empty_queries_find_nothing() {
    let idx = sample();
    assert!(idx.search("", 10).is_empty());
    assert!(idx.search("   \t ", 10).is_empty());
    assert!(idx.search("-- !", 10).is_empty());
    assert!(idx.search("dragon", 0).is_empty());
    assert!(SearchIndex::new().search("dragon", 10).is_empty());
}

#[test]
fn limit_respected() {
    let names = synthetic_names(5_000, 7);
    let idx = SearchIndex::build_from(names.iter().enumerate().map(|(i, n)| (mk(i as u64), n.as_str(), i as u64)));
    for q in ["d", "dragon", "ir", "wolves vs"] {
        let all = idx.search(q, 1_000);
        assert!(all.len() > 5, "{q}: {}", all.len());
        for limit in [1, 3, 5] {
            let some = idx.search(q, limit);
            assert_eq!(some.len(), limit);
            assert_eq!(some, all[..limit]);
        }
    }
}

#[test]
fn deterministic() {
    assert_eq!(synthetic_names(1_000, 42), synthetic_names(1_000, 42));
    assert_ne!(synthetic_names(100, 1), synthetic_names(100, 2));
    let names = synthetic_names(20_000, 42);
    let docs = || names.iter().enumerate().map(|(i, n)| (mk(i as u64), n.clone(), (i as u64 * 7919) % 1000));
    let a = SearchIndex::build_from(docs());
    // The same documents inserted one by one (through delta and compactions), in reverse.
    let mut b = SearchIndex::new();
    for (k, n, p) in docs().collect::<Vec<_>>().into_iter().rev() {
        b.upsert(k, &n, p);
    }
    for q in ["dr", "dragon sc", "nortshire", "wolves vs iron", "golden hel", "zzz", "ember dargon scale"] {
        assert_eq!(a.search(q, 20), b.search(q, 20), "{q}");
        assert_eq!(a.search(q, 20), a.search(q, 20));
    }
}

#[test]
fn synthetic_names_mostly_distinct() {
    let names = synthetic_names(300_000, 1);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert!(sorted.len() * 100 >= names.len() * 90, "{} distinct", sorted.len());
    assert!(names.iter().all(|n| n.split(' ').count() >= 3));
}
