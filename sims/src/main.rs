//! `entrepot-sim`: run a seeded economy offline through the very engine the server uses.
//!
//! Today's scenario is built in: a few item markets against gold, market makers quoting
//! around a drifting fair value, and noise traders sending limit, market and cancel
//! orders. It prints what a designer wants to see first (volume, prices, fees taken out of
//! the economy, wealth spread) and proves the ledger stayed conserved.
//!
//! Usage: `entrepot-sim [--seed N] [--traders N] [--steps N]`

use entrepot_core::*;
use entrepot_seeded::{Rng, SplitMix64};
use rust_decimal::Decimal;

struct Sim {
    engine: Engine,
    seq: u64,
    time: u64,
    request: u64,
    events: Vec<Event>,
}

impl Sim {
    fn apply(&mut self, actor: AccountId, body: Body) -> &[Event] {
        self.seq += 1;
        self.request += 1;
        self.events.clear();
        let cmd = Command { actor, request: RequestId(self.request), body };
        self.engine.apply(Ctx { seq: self.seq, time: self.time }, &cmd, &mut self.events);
        &self.events
    }
}

const GOLD: AssetId = AssetId(1);
const ITEMS: [(&str, u64); 4] = [("COPPER", 250), ("IRON", 900), ("WHEAT", 120), ("WOOD", 80)];

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(|v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number"))).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = arg(&args, "--seed", 7);
    let traders = arg(&args, "--traders", 200);
    let steps = arg(&args, "--steps", 200_000);
    let mut rng = SplitMix64::new(seed);
    let mut sim = Sim { engine: Engine::default(), seq: 0, time: 0, request: 0, events: Vec::new() };
    let admin = AccountId::ADMIN;

    sim.apply(admin, Body::CreateAsset(AssetSpec { id: GOLD, symbol: "GOLD".into(), decimals: 2, kind: AssetKind::Currency }));
    let policy = MarketPolicy { maker_fee_bps: 10, taker_fee_bps: 30, listing_fee: 5, max_open_orders: 20, ..Default::default() };
    for (i, (name, _)) in ITEMS.iter().enumerate() {
        let asset = AssetId(10 + i as u32);
        sim.apply(admin, Body::CreateAsset(AssetSpec { id: asset, symbol: (*name).into(), decimals: 0, kind: AssetKind::Item }));
        let spec =
            MarketSpec { id: MarketId(1 + i as u32), symbol: format!("{name}/GOLD"), base: asset, quote: GOLD, tick: Decimal::new(1, 2), lot: Decimal::ONE };
        sim.apply(admin, Body::CreateMarket { spec, policy });
    }
    let starting_gold = 10_000_000; // 100,000.00 gold
    for t in 1..=traders {
        let account = AccountId(t);
        sim.apply(admin, Body::OpenAccount { account });
        sim.apply(admin, Body::Mint { account, asset: GOLD, amount: starting_gold });
        for i in 0..ITEMS.len() {
            sim.apply(admin, Body::Mint { account, asset: AssetId(10 + i as u32), amount: 1_000 });
        }
    }

    let mut fair: Vec<i64> = ITEMS.iter().map(|(_, p)| *p as i64).collect();
    let mut open: Vec<(AccountId, OrderId)> = Vec::new();
    let (mut trades, mut volume, mut notional, mut rejected) = (vec![0u64; ITEMS.len()], vec![0u64; ITEMS.len()], vec![0u128; ITEMS.len()], 0u64);
    let mut last = vec![0u64; ITEMS.len()];
    for _ in 0..steps {
        sim.time += rng.below(500);
        let i = rng.below(ITEMS.len() as u64) as usize;
        fair[i] = (fair[i] + rng.below(5) as i64 - 2).max(10);
        let trader = AccountId(1 + rng.below(traders));
        let side = if rng.below(2) == 0 { Side::Buy } else { Side::Sell };
        let roll = rng.below(100);
        let body = if roll < 20 && !open.is_empty() {
            let (owner, order) = open.swap_remove(rng.below(open.len() as u64) as usize);
            sim.apply(owner, Body::Cancel { order });
            continue;
        } else if roll < 35 {
            Body::Place(OrderRequest {
                market: MarketId(1 + i as u32),
                side,
                kind: OrderKind::Market(MarketSize::Quantity(1 + rng.below(10))),
                tif: TimeInForce::Ioc,
                post_only: false,
            })
        } else {
            let spread = rng.below(12) as i64 - 4; // most quotes rest, some cross
            let price = match side {
                Side::Buy => fair[i] - spread,
                Side::Sell => fair[i] + spread,
            };
            Body::Place(OrderRequest {
                market: MarketId(1 + i as u32),
                side,
                kind: OrderKind::Limit { price: price.max(1) as u64, quantity: 1 + rng.below(20) },
                tif: TimeInForce::Gtd(sim.time + 3_600_000),
                post_only: false,
            })
        };
        for e in sim.apply(trader, body) {
            match *e {
                Event::OrderAccepted { order, account, tif, .. } if tif.rests() => open.push((account, order)),
                Event::Rejected { .. } => rejected += 1,
                Event::Trade { market, price, quantity, .. } => {
                    let m = (market.0 - 1) as usize;
                    trades[m] += 1;
                    volume[m] += quantity;
                    notional[m] += u128::from(price) * u128::from(quantity);
                    last[m] = price;
                }
                _ => {}
            }
        }
    }

    println!("entrepot-sim seed={seed} traders={traders} steps={steps} game_time={:.1}h", sim.time as f64 / 3.6e6);
    println!("{:<14} {:>8} {:>10} {:>10} {:>10} {:>10}", "market", "trades", "volume", "vwap", "last", "fair");
    for (i, (name, _)) in ITEMS.iter().enumerate() {
        let vwap = if volume[i] > 0 { notional[i] as f64 / volume[i] as f64 / 100.0 } else { 0.0 };
        println!(
            "{:<14} {:>8} {:>10} {:>10.2} {:>10.2} {:>10.2}",
            format!("{name}/GOLD"),
            trades[i],
            volume[i],
            vwap,
            last[i] as f64 / 100.0,
            fair[i] as f64 / 100.0
        );
    }
    let mut wealth: Vec<u64> = (1..=traders).map(|t| sim.engine.balance(AccountId(t), GOLD).map_or(0, |(a, l)| a + l)).collect();
    wealth.sort_unstable();
    let pct = |p: usize| wealth[(wealth.len() - 1) * p / 100] as f64 / 100.0;
    println!("gold per trader: p10 {:.2}  median {:.2}  p90 {:.2}  (started with {:.2})", pct(10), pct(50), pct(90), starting_gold as f64 / 100.0);
    println!(
        "gold removed by fees (sink): {:.2}; rejected orders: {rejected}; resting orders: {}",
        sim.engine.fee_sink(GOLD) as f64 / 100.0,
        sim.engine.resting_orders()
    );
    match sim.engine.check_invariants() {
        Ok(()) => println!("ledger conserved; state hash {:016x}", sim.engine.state_hash()),
        Err(e) => {
            eprintln!("INVARIANT BROKEN: {e}");
            std::process::exit(1);
        }
    }
}
