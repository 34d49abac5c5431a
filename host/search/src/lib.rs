//! Type-ahead search over event and item-market names.
//!
//! # Design
//! * **Index = immutable base + small mutable delta.** The base is an [`fst::Map`] from
//!   each normalised token to a posting list (sorted internal doc ids, stored flat). The
//!   delta is a `BTreeMap<token, ids>` holding the tokens of documents added or renamed
//!   since the base was built; both are searched. Every stored version of a document has
//!   its own internal id: a rename or removal marks the old id dead (the document table
//!   slot becomes `None` — the tombstone set) and dead ids are skipped when found in a
//!   posting list. After [`COMPACT_AFTER`] index changes, or on [`SearchIndex::compact`],
//!   the live documents are renumbered and a new base is built (about a second for
//!   300,000 names; the delta and tombstones are dropped). A popularity change, or a
//!   rename that normalises to the same tokens, touches no index at all.
//! * **Normalisation** (names and queries alike): lowercase, fold common Latin
//!   diacritics to ASCII (é→e, ß→ss, æ→ae, ...), split on every non-alphanumeric
//!   character. At most 16 tokens of at most 64 bytes are kept.
//! * **Matching.** Every query token must match some token of the name: the last query
//!   token as a prefix (type-ahead), the others as whole tokens. Typos are allowed per
//!   query token by length: 0 edits below 4 chars, 1 edit for 4–7, 2 edits for 8–32
//!   bytes (none beyond). An edit is an insertion, deletion, substitution or adjacent
//!   transposition ("dargon" finds "dragon"); see [`typo`] for why this is a lazy
//!   automaton of our own rather than `fst`'s Levenshtein DFA.
//! * **Query plan.** Query tokens are expanded against the token dictionaries (fst
//!   stream + delta scan), cheapest and most selective first, until one expansion is
//!   complete and small; its posting lists give the candidates, and every candidate is
//!   then checked against *all* query tokens on its own stored tokens (which also gives
//!   the edit counts for ranking). There is no posting-list intersection to get wrong
//!   and the cost is bounded by the candidate count.
//! * **Ranking**, best first: the normalised name equals the query; every query token
//!   matched a whole token exactly; matched without edits (last token as a prefix);
//!   then fewer edits; higher popularity; shorter normalised name; smaller key.
//!   Ties are impossible, so results are deterministic.
//! * **Limits** per query: at most [`MAX_EXPANSION_TOKENS`] dictionary tokens and
//!   [`MAX_CANDIDATES`] postings per expanded query token. When every query token hits a
//!   cap (a one- or two-letter query over a large index) the results are best effort:
//!   correctly ranked among the candidates examined, which come from the
//!   lexicographically first matching tokens.

mod normalize;
mod synthetic;
pub mod typo;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use fst::{Automaton, IntoStreamer, Streamer};
use serde::{Deserialize, Serialize};

pub use normalize::tokens as normalized_tokens;
pub use synthetic::synthetic_names;
use typo::Typo;

/// Index changes (inserts, renames, removals) after which the delta is merged into a
/// new base.
pub const COMPACT_AFTER: usize = 4096;
/// Most dictionary tokens one query token may expand to.
pub const MAX_EXPANSION_TOKENS: usize = 2048;
/// Most postings one query token's expansion may collect.
pub const MAX_CANDIDATES: usize = 20_000;
/// An expansion this small (and complete) is used at once, without expanding the others.
const SMALL_ENOUGH: usize = 2_000;

/// What a document names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocKind {
    Event,
    Market,
}

/// The caller's identity of a searchable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocKey {
    pub kind: DocKind,
    pub id: u64,
}

/// How a hit matched, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MatchKind {
    /// The normalised name equals the normalised query.
    ExactName,
    /// Every query token equals a token of the name.
    ExactTokens,
    /// No edits; the last query token is a prefix of a token of the name.
    Prefix,
    /// Matched with at least one edit.
    Fuzzy,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub key: DocKey,
    /// The name as given to [`SearchIndex::upsert`].
    pub name: String,
    pub kind: MatchKind,
    /// Total edits over all query tokens.
    pub edits: u8,
    pub popularity: u64,
}

#[derive(Clone, Debug)]
struct Doc {
    key: DocKey,
    name: Box<str>,
    /// Normalised tokens joined by single spaces.
    norm: Box<str>,
    popularity: u64,
}

/// The immutable part: token → posting list.
struct Base {
    map: fst::Map<Vec<u8>>,
    /// Posting list `i` is `postings[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    postings: Vec<u32>,
}

impl Base {
    fn empty() -> Base {
        Base { map: fst::Map::default(), offsets: vec![0], postings: Vec::new() }
    }

    fn list(&self, i: u64) -> &[u32] {
        let i = i as usize;
        &self.postings[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Builds over `docs`, whose positions are their ids.
    fn build(docs: &[Option<Doc>]) -> Base {
        let mut by_token: HashMap<&str, Vec<u32>> = HashMap::new();
        for (id, doc) in docs.iter().enumerate() {
            let Some(doc) = doc else { continue };
            for t in distinct_tokens(&doc.norm) {
                by_token.entry(t).or_default().push(id as u32);
            }
        }
        let mut keys: Vec<&str> = by_token.keys().copied().collect();
        keys.sort_unstable();
        let mut builder = fst::MapBuilder::memory();
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        let mut postings = Vec::new();
        offsets.push(0);
        for (i, k) in keys.iter().enumerate() {
            builder.insert(k, i as u64).expect("keys are sorted and distinct");
            postings.extend_from_slice(&by_token[k]);
            offsets.push(postings.len() as u32);
        }
        let map = builder.into_map();
        Base { map, offsets, postings }
    }
}

fn distinct_tokens(norm: &str) -> impl Iterator<Item = &str> {
    let mut seen: Vec<&str> = Vec::new();
    norm.split(' ').filter(move |t| {
        if t.is_empty() || seen.contains(t) {
            false
        } else {
            seen.push(t);
            true
        }
    })
}

/// A searchable set of names. See the crate documentation for the design.
pub struct SearchIndex {
    /// Indexed by internal id; `None` is a tombstone (removed or superseded version).
    docs: Vec<Option<Doc>>,
    ids: HashMap<DocKey, u32>,
    base: Base,
    delta: BTreeMap<Box<str>, Vec<u32>>,
    /// Index changes since the base was built.
    pending: usize,
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> SearchIndex {
        SearchIndex { docs: Vec::new(), ids: HashMap::new(), base: Base::empty(), delta: BTreeMap::new(), pending: 0 }
    }

    /// Bulk load: builds the base directly (no delta). A key given twice keeps its last
    /// name and popularity.
    pub fn build_from<I, S>(docs: I) -> SearchIndex
    where
        I: IntoIterator<Item = (DocKey, S, u64)>,
        S: Into<String>,
    {
        let mut latest: HashMap<DocKey, (String, u64)> = HashMap::new();
        for (key, name, popularity) in docs {
            latest.insert(key, (name.into(), popularity));
        }
        let mut all: Vec<Doc> = latest
            .into_iter()
            .map(|(key, (name, popularity))| Doc {
                key,
                norm: normalize::tokens(&name).join(" ").into(),
                name: name.into(),
                popularity,
            })
            .collect();
        all.sort_unstable_by_key(|d| d.key);
        let mut index = SearchIndex::new();
        index.ids = all.iter().enumerate().map(|(i, d)| (d.key, i as u32)).collect();
        index.docs = all.into_iter().map(Some).collect();
        index.base = Base::build(&index.docs);
        index
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no document is live.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Index changes waiting in the delta (and tombstones) for the next compaction.
    pub fn pending_changes(&self) -> usize {
        self.pending
    }

    /// Adds `key` or replaces its name and popularity. Visible to the next search.
    pub fn upsert(&mut self, key: DocKey, name: &str, popularity: u64) {
        let norm: Box<str> = normalize::tokens(name).join(" ").into();
        if let Some(&id) = self.ids.get(&key) {
            let doc = self.docs[id as usize].as_mut().expect("live id");
            if doc.norm == norm {
                doc.name = name.into();
                doc.popularity = popularity;
                return;
            }
            self.docs[id as usize] = None;
        }
        let id = u32::try_from(self.docs.len()).expect("fewer than 2^32 document versions between compactions");
        for t in distinct_tokens(&norm) {
            self.delta.entry(t.into()).or_default().push(id);
        }
        self.docs.push(Some(Doc { key, name: name.into(), norm, popularity }));
        self.ids.insert(key, id);
        self.changed();
    }

    /// Removes `key`; false if it was not there.
    pub fn remove(&mut self, key: DocKey) -> bool {
        let Some(id) = self.ids.remove(&key) else { return false };
        self.docs[id as usize] = None;
        self.changed();
        true
    }

    /// Sets the popularity of `key` (no index change); false if it is not there.
    pub fn set_popularity(&mut self, key: DocKey, popularity: u64) -> bool {
        let Some(&id) = self.ids.get(&key) else { return false };
        self.docs[id as usize].as_mut().expect("live id").popularity = popularity;
        true
    }

    /// Merges the delta and drops tombstones: a new base over the live documents.
    pub fn compact(&mut self) {
        let mut live: Vec<Doc> = std::mem::take(&mut self.docs).into_iter().flatten().collect();
        live.sort_unstable_by_key(|d| d.key);
        self.ids = live.iter().enumerate().map(|(i, d)| (d.key, i as u32)).collect();
        self.docs = live.into_iter().map(Some).collect();
        self.base = Base::build(&self.docs);
        self.delta.clear();
        self.pending = 0;
    }

    fn changed(&mut self) {
        self.pending += 1;
        if self.pending >= COMPACT_AFTER {
            self.compact();
        }
    }

    /// The best `limit` names matching `query` (see the crate documentation for the
    /// matching and ranking rules). An empty or all-punctuation query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let words = normalize::tokens(query);
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let last = words.len() - 1;
        let qtoks: Vec<QTok> = words.iter().enumerate().map(|(i, w)| QTok::new(w, i == last)).collect();

        // Expand the cheapest / most selective query tokens first; stop at a small one.
        let mut order: Vec<usize> = (0..qtoks.len()).collect();
        order.sort_by_key(|&i| (qtoks[i].cost_class(), std::cmp::Reverse(qtoks[i].text.len()), i));
        let mut driver: Option<Expansion> = None;
        for &i in &order {
            let e = self.expand(&qtoks[i]);
            if e.complete && e.ids.is_empty() {
                return Vec::new();
            }
            let small = e.complete && e.ids.len() <= SMALL_ENOUGH;
            let better = match &driver {
                None => true,
                Some(d) => (!e.complete, e.ids.len()) < (!d.complete, d.ids.len()),
            };
            if better {
                driver = Some(e);
            }
            if small {
                break;
            }
        }
        let driver = driver.expect("at least one query token");

        // Check every candidate against all query tokens on its own tokens.
        let query_norm = words.join(" ");
        let mut seen = vec![0u64; self.docs.len().div_ceil(64)];
        let mut scored: Vec<Scored> = Vec::new();
        for &id in &driver.ids {
            let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
            if seen[w] & bit != 0 {
                continue;
            }
            seen[w] |= bit;
            let Some(doc) = &self.docs[id as usize] else { continue };
            if let Some(s) = score(&qtoks, &query_norm, doc, id) {
                scored.push(s);
            }
        }
        if scored.len() > limit {
            scored.select_nth_unstable(limit - 1);
            scored.truncate(limit);
        }
        scored.sort_unstable();
        scored
            .into_iter()
            .map(|s| {
                let doc = self.docs[s.id as usize].as_ref().expect("live id");
                Hit {
                    key: doc.key,
                    name: doc.name.to_string(),
                    kind: s.kind,
                    edits: s.edits,
                    popularity: doc.popularity,
                }
            })
            .collect()
    }

    /// The ids posted under the dictionary tokens `qt` matches, capped.
    fn expand(&self, qt: &QTok) -> Expansion {
        let mut e = Expansion { ids: Vec::new(), complete: true, tokens: 0 };
        match (&qt.typo, qt.prefix) {
            (Some(typo), _) => {
                self.collect_base(typo.clone(), &mut e);
                self.collect_delta(|k| typo.quality(k.as_bytes()).is_some(), None, &mut e);
            }
            (None, true) => {
                self.collect_base(fst::automaton::Str::new(&qt.text).starts_with(), &mut e);
                self.collect_delta(|k| k.starts_with(qt.text.as_str()), Some(&qt.text), &mut e);
            }
            (None, false) => {
                if let Some(i) = self.base.map.get(&qt.text) {
                    e.ids.extend_from_slice(self.base.list(i));
                }
                if let Some(ids) = self.delta.get(qt.text.as_str()) {
                    e.ids.extend_from_slice(ids);
                }
                e.complete = e.ids.len() <= MAX_CANDIDATES;
                e.ids.truncate(MAX_CANDIDATES);
            }
        }
        e
    }

    fn collect_base<A: Automaton>(&self, aut: A, e: &mut Expansion) {
        let mut stream = self.base.map.search(aut).into_stream();
        while let Some((_, i)) = stream.next() {
            if !e.take(self.base.list(i)) {
                return;
            }
        }
    }

    /// Scans the delta from `from` (all of it when `None`; with `from`, stops at the
    /// first key `matches` rejects, so `matches` must be a prefix test).
    fn collect_delta(&self, matches: impl Fn(&str) -> bool, from: Option<&str>, e: &mut Expansion) {
        if !e.complete {
            return;
        }
        let iter: Box<dyn Iterator<Item = (&Box<str>, &Vec<u32>)>> = match from {
            Some(f) => Box::new(self.delta.range::<str, _>((Bound::Included(f), Bound::Unbounded)).take_while(|(k, _)| matches(k))),
            None => Box::new(self.delta.iter().filter(|(k, _)| matches(k))),
        };
        for (_, ids) in iter {
            if !e.take(ids) {
                return;
            }
        }
    }
}

struct Expansion {
    ids: Vec<u32>,
    complete: bool,
    tokens: usize,
}

impl Expansion {
    /// Adds one dictionary token's postings; false (and incomplete) once a cap is hit.
    fn take(&mut self, ids: &[u32]) -> bool {
        self.tokens += 1;
        if self.tokens > MAX_EXPANSION_TOKENS || self.ids.len() + ids.len() > MAX_CANDIDATES {
            self.complete = false;
            let room = MAX_CANDIDATES.saturating_sub(self.ids.len());
            self.ids.extend_from_slice(&ids[..ids.len().min(room)]);
            return false;
        }
        self.ids.extend_from_slice(ids);
        true
    }
}

/// One normalised query token and how it may match.
struct QTok {
    text: String,
    /// Last token: matches as a prefix.
    prefix: bool,
    /// Present when typos are allowed.
    typo: Option<Typo>,
}

impl QTok {
    fn new(text: &str, prefix: bool) -> QTok {
        let dist = match text.chars().count() {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let typo = if dist == 0 { None } else { Typo::new(text, dist, prefix) };
        QTok { text: text.to_string(), prefix, typo }
    }

    /// Rough expansion cost, cheapest first: exact lookup, one edit, two edits, bare prefix.
    fn cost_class(&self) -> u8 {
        match (&self.typo, self.prefix) {
            (None, false) => 0,
            (Some(_), false) => 1,
            (Some(_), true) => 2,
            (None, true) => 3,
        }
    }

    /// `2 * edits` for a whole-token match, `2 * edits + 1` for a prefix match.
    fn quality(&self, token: &str) -> Option<u8> {
        if token == self.text {
            return Some(0);
        }
        if self.prefix && token.starts_with(self.text.as_str()) {
            return Some(1);
        }
        self.typo.as_ref().and_then(|t| t.quality(token.as_bytes()))
    }
}

/// Sort key of a candidate: smaller is better.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Scored {
    kind: MatchKind,
    edits: u8,
    popularity: std::cmp::Reverse<u64>,
    len: usize,
    key: DocKey,
    id: u32,
}

fn score(qtoks: &[QTok], query_norm: &str, doc: &Doc, id: u32) -> Option<Scored> {
    let mut edits = 0u8;
    let mut any_prefix = false;
    for q in qtoks {
        let best = doc.norm.split(' ').filter_map(|t| q.quality(t)).min()?;
        edits += best / 2;
        any_prefix |= best % 2 == 1;
    }
    let kind = if edits > 0 {
        MatchKind::Fuzzy
    } else if any_prefix {
        MatchKind::Prefix
    } else if *doc.norm == *query_norm {
        MatchKind::ExactName
    } else {
        MatchKind::ExactTokens
    };
    Some(Scored {
        kind,
        edits,
        popularity: std::cmp::Reverse(doc.popularity),
        len: doc.norm.len(),
        key: doc.key,
        id,
    })
}
