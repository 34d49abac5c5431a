//! Type-ahead search (`entrepot-search`): build time and per-query latency over
//! synthetic event and item names, single thread.

use std::time::Instant;

use entrepot_search::{normalized_tokens, synthetic_names, DocKey, DocKind, SearchIndex};
use entrepot_seeded::{Rng, XorShift64Star};

/// What one run measured.
#[derive(Clone, Debug)]
pub struct SearchFigures {
    /// Documents indexed.
    pub names: usize,
    /// `SearchIndex::build_from` over all names.
    pub build_ms: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Queries timed.
    pub queries: usize,
}

/// Builds an index over 300,000 synthetic names (30,000 when `quick`) and times 20,000
/// queries (2,000): a fixed mix of 2–8 char prefixes, whole multi-token names, partial
/// multi-token queries, queries with one or two typos, and misses; top 20 each.
pub fn run(quick: bool) -> SearchFigures {
    let (n, q) = if quick { (30_000, 2_000) } else { (300_000, 20_000) };
    let names = synthetic_names(n, 0x5EA4C4);
    let mut rng = XorShift64Star::new(0xB0BA_CAFE);
    let docs: Vec<(DocKey, &str, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let kind = if name.contains(" vs ") { DocKind::Event } else { DocKind::Market };
            (DocKey { kind, id: i as u64 }, name.as_str(), rng.below(1_000_000))
        })
        .collect();

    let t = Instant::now();
    let index = SearchIndex::build_from(docs);
    let build_ms = t.elapsed().as_secs_f64() * 1e3;

    let queries: Vec<String> = (0..q).map(|_| query(&names, &mut rng)).collect();
    let mut times: Vec<f64> = Vec::with_capacity(q);
    let mut found = 0usize;
    for query in &queries {
        let t = Instant::now();
        let hits = index.search(query, 20);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        found += hits.len();
    }
    std::hint::black_box(found);
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    SearchFigures { names: n, build_ms, p50_us: pct(0.50), p99_us: pct(0.99), queries: q }
}

/// One query of the mix, derived from a random name.
fn query(names: &[String], rng: &mut XorShift64Star) -> String {
    let toks = normalized_tokens(&names[rng.below(names.len() as u64) as usize]);
    let pick = |rng: &mut XorShift64Star| toks[rng.below(toks.len() as u64) as usize].clone();
    match rng.below(20) {
        // A prefix of 2–8 chars of one of its tokens.
        0..=5 => {
            let t = pick(rng);
            let k = (2 + rng.below(7) as usize).min(t.len());
            t[..k].to_string()
        }
        // The whole name, or its first two or three tokens.
        6..=8 => {
            let k = (2 + rng.below(2) as usize).min(toks.len());
            if rng.below(2) == 0 {
                toks.join(" ")
            } else {
                toks[..k].join(" ")
            }
        }
        // Two tokens, the second cut short.
        9..=11 => {
            let last = &toks[1];
            let k = (1 + rng.below(last.len() as u64) as usize).min(last.len());
            format!("{} {}", toks[0], &last[..k])
        }
        // One or two typos in a token long enough to allow them, maybe after another token.
        12..=17 => {
            let t = pick(rng);
            let edits = if t.len() >= 8 && rng.below(2) == 0 { 2 } else { 1 };
            let mut typo = t.into_bytes();
            for _ in 0..edits {
                typo = edit(typo, rng);
            }
            let typo = String::from_utf8_lossy(&typo).into_owned();
            if rng.below(2) == 0 {
                typo
            } else {
                format!("{} {}", pick(rng), typo)
            }
        }
        // A miss.
        _ => (0..(3 + rng.below(6))).map(|_| (b'q' + rng.below(10) as u8) as char).collect(),
    }
}

fn edit(mut t: Vec<u8>, rng: &mut XorShift64Star) -> Vec<u8> {
    if t.len() < 2 {
        return t;
    }
    let i = rng.below(t.len() as u64 - 1) as usize;
    match rng.below(4) {
        0 => t.swap(i, i + 1),
        1 => t[i] = b'a' + rng.below(26) as u8,
        2 => {
            t.remove(i);
        }
        _ => t.insert(i, b'a' + rng.below(26) as u8),
    }
    t
}
