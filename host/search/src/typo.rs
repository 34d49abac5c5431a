//! A bounded edit-distance automaton for `fst` (optimal string alignment: insertion,
//! deletion, substitution and adjacent transposition each cost one), run lazily: its
//! state is the current and previous DP rows, so there is no DFA to build.
//!
//! Why not `fst::automaton::Levenshtein`: its DFA is built eagerly per query, which was
//! measured here at 50–85 µs for distance 1 but 0.7–4.5 ms for distance 2 (20 ms for a
//! 24-char token), and it has no transpositions ("dargon" is two edits from "dragon").
//! Distances are counted in bytes of the normalised token (equal to characters for
//! ASCII, which is what folded Latin text is).

use fst::Automaton;

/// Longest query token that gets typo tolerance, in bytes.
pub const MAX_TYPO_BYTES: usize = 32;
const W: usize = MAX_TYPO_BYTES + 1;

/// Matches keys within `dist` edits of `query` (whole mode), or keys having a prefix
/// within `dist` edits of it (prefix mode).
#[derive(Clone, Debug)]
pub struct Typo {
    query: Vec<u8>,
    dist: u8,
    prefix: bool,
}

#[derive(Clone, Copy)]
pub struct Row {
    cur: [u8; W],
    prev: [u8; W],
    last: u8,
    started: bool,
    alive: bool,
    matched: bool,
}

impl Typo {
    /// `None` when the query is too long for typo tolerance.
    pub fn new(query: &str, dist: u8, prefix: bool) -> Option<Typo> {
        (query.len() <= MAX_TYPO_BYTES).then(|| Typo { query: query.as_bytes().to_vec(), dist, prefix })
    }

    /// How well `token` matches: `Some(2 * edits)` for a whole-token match,
    /// `Some(2 * edits + 1)` for a prefix match (prefix mode only), whichever is lower;
    /// `None` beyond the distance.
    pub fn quality(&self, token: &[u8]) -> Option<u8> {
        let m = self.query.len();
        let mut s = self.start();
        let mut best_prefix = s.cur[m];
        for &b in token {
            s = self.step(&s, b);
            best_prefix = best_prefix.min(s.cur[m]);
            if !s.alive {
                break;
            }
        }
        let whole = (s.alive && s.cur[m] <= self.dist).then_some(s.cur[m] * 2);
        let pre = (self.prefix && best_prefix <= self.dist).then_some(best_prefix * 2 + 1);
        match (whole, pre) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn step(&self, s: &Row, b: u8) -> Row {
        let q = &self.query;
        let m = q.len();
        let cap = self.dist + 1;
        let mut n = Row { cur: [cap; W], prev: s.cur, last: b, started: true, alive: false, matched: false };
        n.cur[0] = (s.cur[0] + 1).min(cap);
        let mut low = n.cur[0];
        for i in 1..=m {
            let sub = s.cur[i - 1] + u8::from(q[i - 1] != b);
            let mut v = sub.min(s.cur[i] + 1).min(n.cur[i - 1] + 1);
            if s.started && i > 1 && q[i - 1] == s.last && q[i - 2] == b {
                v = v.min(s.prev[i - 2] + 1);
            }
            n.cur[i] = v.min(cap);
            low = low.min(n.cur[i]);
        }
        n.alive = low <= self.dist;
        n.matched = self.prefix && n.cur[m] <= self.dist;
        n
    }
}

impl Automaton for Typo {
    type State = Row;

    fn start(&self) -> Row {
        let cap = self.dist + 1;
        let mut cur = [cap; W];
        for (i, c) in cur.iter_mut().enumerate().take(self.query.len() + 1) {
            *c = (i as u8).min(cap);
        }
        let matched = self.prefix && cur[self.query.len()] <= self.dist;
        Row { cur, prev: [cap; W], last: 0, started: false, alive: true, matched }
    }

    fn is_match(&self, s: &Row) -> bool {
        s.matched || s.cur[self.query.len()] <= self.dist
    }

    fn can_match(&self, s: &Row) -> bool {
        s.matched || s.alive
    }

    fn will_always_match(&self, s: &Row) -> bool {
        s.matched
    }

    fn accept(&self, s: &Row, b: u8) -> Row {
        if s.matched {
            return *s;
        }
        self.step(s, b)
    }
}

#[cfg(test)]
mod tests {
    use super::Typo;

    #[test]
    fn distances() {
        let t = Typo::new("dargon", 1, false).unwrap();
        assert_eq!(t.quality(b"dragon"), Some(2)); // one transposition
        assert_eq!(t.quality(b"dargon"), Some(0));
        assert_eq!(t.quality(b"dargons"), Some(2));
        assert_eq!(t.quality(b"wagon"), None);
        let p = Typo::new("dargo", 1, true).unwrap();
        assert_eq!(p.quality(b"dragonscale"), Some(3)); // prefix with one edit
        assert_eq!(p.quality(b"dargo"), Some(0));
        assert_eq!(p.quality(b"dargonx"), Some(1));
        let two = Typo::new("northshire", 2, false).unwrap();
        assert_eq!(two.quality(b"nortshyre"), Some(4));
        assert_eq!(two.quality(b"southshire"), Some(4));
        assert_eq!(two.quality(b"northmoor"), None);
    }
}
