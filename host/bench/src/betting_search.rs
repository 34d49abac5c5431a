// STUB: replaced by the search branch
//! Placeholder for the search half of `cargo xtask bench betting` (issue 5): a colleague's
//! branch (crate `entrepot-search`) brings the real module with this signature. Until it is
//! merged the suite reports zeros and says the search was not measured.

/// What the search benchmark measured: names indexed, index build time, type-ahead query
/// latency percentiles and the number of queries timed.
pub struct SearchFigures {
    pub names: usize,
    pub build_ms: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub queries: usize,
}

pub fn run(_quick: bool) -> SearchFigures {
    SearchFigures { names: 0, build_ms: 0.0, p50_us: 0.0, p99_us: 0.0, queries: 0 }
}
