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
//!   the live documents are renumbered and a new base is built (about 0.6 s for
//!   300,000 names, run inside the `upsert`/`remove` that crosses the threshold; the
//!   delta and tombstones are dropped). A popularity change, or a
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
//! * **Query plan.** A search runs a pass without typos first; every hit it finds
//!   outranks any hit with an edit, so only when it does not fill `limit` does a second
//!   pass run with typos (both passes' hits are merged). In a pass, query tokens are
//!   expanded against the token dictionaries (fst stream + delta scan) cheapest first
//!   (exact lookups, then typo automata, then bare prefixes) until one expansion is
//!   complete and small; the smallest expansion drives: its posting lists give the
//!   candidates and their quality for that token. Each other expanded token that matched
//!   at most a few dictionary tokens filters the candidates by binary search in its
//!   sorted posting lists; any remaining token is checked on the candidate's own stored
//!   tokens (which also gives its edit count). Ranking data (popularity, length,
//!   liveness) sits in a dense per-id array.
//! * **Ranking**, best first: the normalised name equals the query; every query token
//!   matched a whole token exactly; matched without edits (last token as a prefix);
//!   then fewer edits; higher popularity; shorter normalised name; smaller key.
//!   Ties are impossible, so results are deterministic.
//! * **Limits** per query pass: an expansion stops after [`MAX_EXPANSION_TOKENS`]
//!   dictionary tokens or [`MAX_EXPANSION_POSTINGS`] postings, and at most
//!   [`MAX_CANDIDATES`] documents are examined. When the driving token hits a cap (a one-
//!   or two-letter query over a large index) the results are best effort: correctly
//!   ranked among the candidates examined, which come from the lexicographically first
//!   matching tokens. Measured over 300,000 synthetic names (`entrepot-bench`'s
//!   `betting_search`, release, one thread): build 0.6 s, p50 0.2 ms, p99 3.1 ms.

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
/// Postings after which a query token's expansion stops (the token then only filters
/// candidates by their own tokens).
pub const MAX_EXPANSION_POSTINGS: usize = 200_000;
/// Most candidate documents examined per query pass.
pub const MAX_CANDIDATES: usize = 20_000;
/// An expansion this small (and complete) is used at once, without expanding the others.
const SMALL_ENOUGH: usize = 256;
/// A non-driving query token filters candidates through its posting lists when it
/// matched at most this many dictionary tokens.
const MAX_LOOKUP_LISTS: usize = 8;

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

/// Per-id ranking data, kept dense so that scoring a candidate touches one small entry.
#[derive(Clone, Copy)]
struct Meta {
    popularity: u64,
    /// Byte length of the normalised name.
    len: u32,
    live: bool,
}

/// A searchable set of names. See the crate documentation for the design.
pub struct SearchIndex {
    /// Indexed by internal id; `None` is a tombstone (removed or superseded version).
    docs: Vec<Option<Doc>>,
    /// Parallel to `docs`.
    meta: Vec<Meta>,
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
        SearchIndex { docs: Vec::new(), meta: Vec::new(), ids: HashMap::new(), base: Base::empty(), delta: BTreeMap::new(), pending: 0 }
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
        let all = latest
            .into_iter()
            .map(|(key, (name, popularity))| {
                let norm: Box<str> = normalize::tokens(&name).join(" ").into();
                (Doc { key, name: name.into(), norm }, popularity)
            })
            .collect();
        let mut index = SearchIndex::new();
        index.rebuild(all);
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
                self.meta[id as usize].popularity = popularity;
                return;
            }
            self.kill(id);
        }
        let id = u32::try_from(self.docs.len()).expect("fewer than 2^32 document versions between compactions");
        for t in distinct_tokens(&norm) {
            self.delta.entry(t.into()).or_default().push(id);
        }
        self.meta.push(Meta { popularity, len: norm.len() as u32, live: true });
        self.docs.push(Some(Doc { key, name: name.into(), norm }));
        self.ids.insert(key, id);
        self.changed();
    }

    /// Removes `key`; false if it was not there.
    pub fn remove(&mut self, key: DocKey) -> bool {
        let Some(id) = self.ids.remove(&key) else { return false };
        self.kill(id);
        self.changed();
        true
    }

    /// Sets the popularity of `key` (no index change); false if it is not there.
    pub fn set_popularity(&mut self, key: DocKey, popularity: u64) -> bool {
        let Some(&id) = self.ids.get(&key) else { return false };
        self.meta[id as usize].popularity = popularity;
        true
    }

    /// Merges the delta and drops tombstones: a new base over the live documents.
    pub fn compact(&mut self) {
        let docs = std::mem::take(&mut self.docs);
        let meta = std::mem::take(&mut self.meta);
        let live = docs.into_iter().zip(meta).filter_map(|(d, m)| Some((d?, m.popularity))).collect();
        self.rebuild(live);
    }

    /// Renumbers `docs` in key order and builds a new base over them.
    fn rebuild(&mut self, mut docs: Vec<(Doc, u64)>) {
        docs.sort_unstable_by_key(|(d, _)| d.key);
        self.ids = docs.iter().enumerate().map(|(i, (d, _))| (d.key, i as u32)).collect();
        self.meta = docs.iter().map(|(d, p)| Meta { popularity: *p, len: d.norm.len() as u32, live: true }).collect();
        self.docs = docs.into_iter().map(|(d, _)| Some(d)).collect();
        self.base = Base::build(&self.docs);
        self.delta.clear();
        self.pending = 0;
    }

    fn kill(&mut self, id: u32) {
        self.docs[id as usize] = None;
        self.meta[id as usize].live = false;
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
        let query_norm = words.join(" ");
        // Pass 1 without typos: each of its hits outranks every hit with an edit, so
        // when it fills the page the (dearer) typo expansion is skipped.
        let mut scored = self.run(&qtoks(&words, false), &query_norm, limit);
        if scored.len() < limit {
            let fuzzy = qtoks(&words, true);
            if fuzzy.iter().any(|q| q.typo.is_some()) {
                // Keep pass 1's hits too: a capped typo expansion may not reach them.
                scored.extend(self.run(&fuzzy, &query_norm, limit));
                self.sort(&mut scored);
                let mut seen = Vec::with_capacity(scored.len());
                scored.retain(|s| {
                    let new = !seen.contains(&s.id);
                    seen.push(s.id);
                    new
                });
                scored.truncate(limit);
            }
        }
        scored
            .into_iter()
            .map(|s| {
                let doc = self.docs[s.id as usize].as_ref().expect("live id");
                Hit { key: doc.key, name: doc.name.to_string(), kind: s.kind, edits: s.edits, popularity: s.popularity }
            })
            .collect()
    }

    /// One pass: expand query tokens, take the smallest expansion's documents as
    /// candidates, filter them by the other tokens (posting-list lookups where the
    /// expansion is known and short, the document's own tokens otherwise), and return
    /// the best `limit`, sorted.
    fn run(&self, qtoks: &[QTok], query_norm: &str, limit: usize) -> Vec<Scored> {
        // Expand the cheapest / most selective query tokens first; stop at a small one.
        let mut order: Vec<usize> = (0..qtoks.len()).collect();
        order.sort_by_key(|&i| (qtoks[i].cost_class(), std::cmp::Reverse(qtoks[i].text.len()), i));
        let mut expansions: Vec<Option<Expansion>> = (0..qtoks.len()).map(|_| None).collect();
        for &i in &order {
            let e = self.expand(&qtoks[i]);
            if e.complete && e.total == 0 {
                return Vec::new();
            }
            let small = e.complete && e.total <= SMALL_ENOUGH;
            expansions[i] = Some(e);
            if small {
                break;
            }
        }
        let di = (0..qtoks.len())
            .filter(|&i| expansions[i].is_some())
            .min_by_key(|&i| {
                let e = expansions[i].as_ref().expect("expanded");
                (!e.complete, e.total, i)
            })
            .expect("at least one query token");

        // Candidates: the driver's postings, each with its best quality (a document may
        // be posted under several matching dictionary tokens), capped, in id order.
        let mut best = vec![u8::MAX; self.docs.len()];
        let mut cands: Vec<Cand> = Vec::new();
        'lists: for &(list, q) in &expansions[di].as_ref().expect("driver").lists {
            for &id in list {
                let b = &mut best[id as usize];
                if *b == u8::MAX {
                    if cands.len() == MAX_CANDIDATES {
                        break 'lists;
                    }
                    cands.push(Cand { id, edits: 0, prefix: false });
                }
                *b = (*b).min(q);
            }
        }
        cands.retain_mut(|c| {
            let q = best[c.id as usize];
            c.add(q);
            self.meta[c.id as usize].live
        });
        cands.sort_unstable_by_key(|c| c.id);

        // Other tokens with a complete, short expansion: sorted posting-list lookups.
        let mut checked = vec![false; qtoks.len()];
        checked[di] = true;
        for (i, e) in expansions.iter().enumerate() {
            let Some(e) = e else { continue };
            if i == di || !e.complete || e.lists.len() > MAX_LOOKUP_LISTS {
                continue;
            }
            checked[i] = true;
            let mut quality = vec![u8::MAX; cands.len()];
            for &(list, q) in &e.lists {
                let mut rest = list;
                for (c, slot) in cands.iter().zip(quality.iter_mut()) {
                    rest = &rest[rest.partition_point(|&x| x < c.id)..];
                    if rest.first() == Some(&c.id) {
                        *slot = (*slot).min(q);
                    }
                }
            }
            let mut quality = quality.into_iter();
            cands.retain_mut(|c| {
                let q = quality.next().expect("one per candidate");
                c.add(q);
                q != u8::MAX
            });
        }

        // The rest on the documents' own tokens, then rank.
        let mut scored: Vec<Scored> = Vec::with_capacity(cands.len());
        'cands: for mut c in cands {
            let mut doc = None;
            for (q, _) in qtoks.iter().zip(&checked).filter(|(_, &done)| !done) {
                let d = *doc.get_or_insert_with(|| self.docs[c.id as usize].as_ref().expect("live id"));
                let Some(best) = d.norm.as_bytes().split(|&b| b == b' ').filter_map(|t| q.quality(t)).min() else {
                    continue 'cands;
                };
                c.add(best);
            }
            let m = self.meta[c.id as usize];
            let kind = if c.edits > 0 {
                MatchKind::Fuzzy
            } else if c.prefix {
                MatchKind::Prefix
            } else if m.len as usize == query_norm.len() && *self.docs[c.id as usize].as_ref().expect("live id").norm == *query_norm {
                MatchKind::ExactName
            } else {
                MatchKind::ExactTokens
            };
            scored.push(Scored { kind, edits: c.edits, popularity: m.popularity, len: m.len, id: c.id });
        }
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, |a, b| self.cmp(a, b));
            scored.truncate(limit);
        }
        self.sort(&mut scored);
        scored
    }

    /// Ranking order; the key is read only to break full ties.
    fn cmp(&self, a: &Scored, b: &Scored) -> std::cmp::Ordering {
        (a.kind, a.edits, std::cmp::Reverse(a.popularity), a.len)
            .cmp(&(b.kind, b.edits, std::cmp::Reverse(b.popularity), b.len))
            .then_with(|| self.key(a.id).cmp(&self.key(b.id)))
    }

    fn sort(&self, scored: &mut [Scored]) {
        scored.sort_unstable_by(|a, b| self.cmp(a, b));
    }

    fn key(&self, id: u32) -> DocKey {
        self.docs[id as usize].as_ref().expect("live id").key
    }

    /// The posting lists of the dictionary tokens `qt` matches, with their quality.
    fn expand(&self, qt: &QTok) -> Expansion<'_> {
        let mut e = Expansion { lists: Vec::new(), total: 0, complete: true };
        match (&qt.typo, qt.prefix) {
            (Some(typo), _) => {
                self.collect_base(typo.clone(), qt, &mut e);
                self.collect_delta(qt, None, &mut e);
            }
            (None, true) => {
                self.collect_base(fst::automaton::Str::new(&qt.text).starts_with(), qt, &mut e);
                self.collect_delta(qt, Some(&qt.text), &mut e);
            }
            (None, false) => {
                if let Some(i) = self.base.map.get(&qt.text) {
                    e.take(self.base.list(i), 0);
                }
                if let Some(ids) = self.delta.get(qt.text.as_str()) {
                    e.take(ids, 0);
                }
            }
        }
        e
    }

    fn collect_base<'a, A: Automaton>(&'a self, aut: A, qt: &QTok, e: &mut Expansion<'a>) {
        let mut stream = self.base.map.search(aut).into_stream();
        while let Some((k, i)) = stream.next() {
            let q = qt.quality(k).expect("the automaton and quality agree");
            if !e.take(self.base.list(i), q) {
                return;
            }
        }
    }

    /// Scans the delta from `from` (all of it when `None`; with `from` the scan stops at
    /// the first key that does not start with it).
    fn collect_delta<'a>(&'a self, qt: &QTok, from: Option<&str>, e: &mut Expansion<'a>) {
        if !e.complete {
            return;
        }
        let iter: Box<dyn Iterator<Item = (&'a Box<str>, &'a Vec<u32>)> + '_> = match from {
            Some(f) => Box::new(self.delta.range::<str, _>((Bound::Included(f), Bound::Unbounded)).take_while(move |(k, _)| k.starts_with(f))),
            None => Box::new(self.delta.iter()),
        };
        for (k, ids) in iter {
            if let Some(q) = qt.quality(k.as_bytes()) {
                if !e.take(ids, q) {
                    return;
                }
            }
        }
    }
}

/// The dictionary tokens one query token matched: their posting lists and qualities.
struct Expansion<'a> {
    lists: Vec<(&'a [u32], u8)>,
    /// Postings over all lists.
    total: usize,
    /// False when a cap stopped the expansion.
    complete: bool,
}

impl<'a> Expansion<'a> {
    /// Adds one dictionary token; false (and incomplete) once a cap is hit.
    fn take(&mut self, ids: &'a [u32], q: u8) -> bool {
        if self.lists.len() == MAX_EXPANSION_TOKENS || self.total > MAX_EXPANSION_POSTINGS {
            self.complete = false;
            return false;
        }
        self.lists.push((ids, q));
        self.total += ids.len();
        true
    }
}

/// A candidate's match so far.
struct Cand {
    id: u32,
    edits: u8,
    prefix: bool,
}

impl Cand {
    /// Adds one query token's quality (`2 * edits + prefix`).
    fn add(&mut self, q: u8) {
        if q != u8::MAX {
            self.edits += q / 2;
            self.prefix |= q % 2 == 1;
        }
    }
}

fn qtoks(words: &[String], typos: bool) -> Vec<QTok> {
    let last = words.len() - 1;
    words.iter().enumerate().map(|(i, w)| QTok::new(w, i == last, typos)).collect()
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
    fn new(text: &str, prefix: bool, typos: bool) -> QTok {
        let dist = match text.chars().count() {
            _ if !typos => 0,
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
    fn quality(&self, token: &[u8]) -> Option<u8> {
        let text = self.text.as_bytes();
        if self.typo.is_none() && token.first() != text.first() {
            return None; // the common case, without a memcmp
        }
        if token == text {
            return Some(0);
        }
        if self.prefix && token.starts_with(text) {
            return Some(1);
        }
        self.typo.as_ref().and_then(|t| t.quality(token))
    }
}

/// A ranked candidate (see [`SearchIndex::cmp`]).
struct Scored {
    kind: MatchKind,
    edits: u8,
    popularity: u64,
    len: u32,
    id: u32,
}
