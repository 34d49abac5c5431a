//! `cargo xtask bench engine`: one seeded stream through our book alone, our full engine,
//! and the peer order books, in one process and one run. All must trade the same total.

use std::time::Instant;

use hdrhistogram::Histogram;

use crate::alloc;
use crate::peers::{Contender, Lobster, OurBook, OurEngine, RustOrderBook};
use crate::report::{self, Table};
use crate::stream::{self, Op, PREFILL};

/// Each contender runs the whole stream this many times (fresh each time); the best run counts.
const RUNS: usize = 3;

struct Measured {
    name: &'static str,
    ops_per_sec: f64,
    hist: Histogram<u64>,
    allocs_per_op: f64,
    bytes_per_order: f64,
    traded: u64,
}

fn build(which: usize, ops: usize) -> Box<dyn Contender> {
    match which {
        0 => Box::new(OurBook::new(ops)),
        1 => Box::new(OurEngine::new(ops + PREFILL)),
        2 => Box::new(Lobster::new()),
        _ => Box::new(RustOrderBook::new()),
    }
}

/// Heap bytes per resting order: everything a fresh contender allocates to hold the
/// prefill (its own up-front capacity included), divided by the orders. Ours are sized for
/// exactly the prefill; the engine's fixed setup (1,000 accounts, the market) is not
/// counted, but the idempotency record of each placing request is.
fn bytes_per_order(which: usize, prefill: &[Op]) -> f64 {
    let fixed = if which == 1 {
        let b = alloc::live_bytes();
        let e = build(which, 0);
        let a = alloc::live_bytes();
        drop(e);
        a - b
    } else {
        0
    };
    let before = alloc::live_bytes();
    let mut c = build(which, PREFILL);
    for op in prefill {
        c.apply(op);
    }
    let grown = (alloc::live_bytes() - before).saturating_sub(fixed);
    drop(c);
    grown as f64 / PREFILL as f64
}

fn measure(which: usize, prefill: &[Op], ops: &[Op]) -> Measured {
    let mut best: Option<Measured> = None;
    for _ in 0..RUNS {
        let mut c = build(which, ops.len() + PREFILL);
        for op in prefill {
            c.apply(op);
        }
        // Throughput and allocations from an untimed pass...
        let mut traded = 0;
        let allocs = alloc::allocations();
        let started = Instant::now();
        for op in ops {
            traded += c.apply(op);
        }
        let secs = started.elapsed().as_secs_f64();
        let allocs = alloc::allocations() - allocs;
        // ...latency from a second, timed pass on a fresh copy.
        let mut c = build(which, ops.len() + PREFILL);
        for op in prefill {
            c.apply(op);
        }
        let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("histogram");
        for op in ops {
            let t = Instant::now();
            c.apply(op);
            let _ = hist.record(t.elapsed().as_nanos() as u64);
        }
        let m = Measured {
            name: c.name(),
            ops_per_sec: ops.len() as f64 / secs,
            hist,
            allocs_per_op: allocs as f64 / ops.len() as f64,
            bytes_per_order: 0.0,
            traded,
        };
        if best.as_ref().is_none_or(|b| m.ops_per_sec > b.ops_per_sec) {
            best = Some(m);
        }
    }
    let mut m = best.expect("measured");
    m.bytes_per_order = bytes_per_order(which, prefill);
    m
}

pub fn run(quick: bool) {
    let n = if quick { 100_000 } else { 1_000_000 };
    let (prefill, ops) = stream::generate(n, 0x5EED_CAFE);
    let count = |f: fn(&Op) -> bool| ops.iter().filter(|o| f(o)).count();
    println!("suite engine: seeded stream (xorshift, seed 0x5EEDCAFE), one thread, one book");
    println!(
        "  prefill {PREFILL} resting orders (bids 9,900-9,999, asks 10,001-10,100), then {n} operations: \
         {} limit (buys 9,940-10,019, sells 9,981-10,060, 1-100 lots), {} cancel of a random earlier id, {} market (1-50 lots)",
        count(|o| matches!(o, Op::Limit { .. })),
        count(|o| matches!(o, Op::Cancel { .. })),
        count(|o| matches!(o, Op::Market { .. })),
    );
    println!("  ops/s from an untimed pass; latency from a separate timed pass (includes ~20-40 ns of timer overhead); best of {RUNS} runs each");
    let results: Vec<Measured> = (0..4).map(|w| measure(w, &prefill, &ops)).collect();
    let traded = results[0].traded;
    for r in &results {
        assert_eq!(r.traded, traded, "{} traded {} lots but our book traded {traded}: the contenders disagree", r.name, r.traded);
    }
    let best_peer = results[2..].iter().map(|r| r.ops_per_sec).fold(0.0, f64::max);
    println!();
    let mut table = Table::new(&["contender", "ops/s", "vs best peer", "p50 ns", "p99 ns", "p99.9 ns", "allocs/op", "bytes/order"]);
    for r in &results {
        table.row(vec![
            r.name.to_string(),
            format!("{:.0}", r.ops_per_sec),
            format!("{:.2}x", r.ops_per_sec / best_peer),
            r.hist.value_at_quantile(0.5).to_string(),
            r.hist.value_at_quantile(0.99).to_string(),
            r.hist.value_at_quantile(0.999).to_string(),
            format!("{:.3}", r.allocs_per_op),
            format!("{:.1}", r.bytes_per_order),
        ]);
    }
    table.print();
    let (book, engine) = (&results[0], &results[1]);
    println!();
    println!("all contenders traded {traded} lots");
    println!("our book vs the fastest peer: {:.2}x; full engine vs the fastest peer: {:.2}x", book.ops_per_sec / best_peer, engine.ops_per_sec / best_peer);
    report::result(
        "engine",
        &[
            ("book_ops_per_sec", format!("{:.0}", book.ops_per_sec)),
            ("engine_ops_per_sec", format!("{:.0}", engine.ops_per_sec)),
            ("p99_ns", engine.hist.value_at_quantile(0.99).to_string()),
            ("vs_best_peer", format!("{:.2}", book.ops_per_sec / best_peer)),
            ("allocs_per_op", format!("{:.4}", engine.allocs_per_op)),
            ("bytes_per_order", format!("{:.0}", engine.bytes_per_order)),
        ],
    );
}
