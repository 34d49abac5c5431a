//! Alert semantics in game time, through the real engine: players' alerts created with
//! `Body::CreateAlert` (price above / below, 24-hour change, a 3× volume spike over an
//! hour) with `for` and `keep_firing_for`, removal, an operator's rule with a metric
//! pattern, and replay determinism (a rebuild and a state decoded mid-way emit the same
//! outputs at the same sample times, and never a firing twice).
//!
//! The script: a sample every game minute (a `Tick` at each whole minute, as the server
//! sends), trades at fixed seconds within minutes. A sample at minute `k` sees the trades
//! before `k`.

mod common;

use std::collections::BTreeMap;

use common::{replay, World};
use entrepot_core::alerts::{AlertCondition, AlertSpec};
use entrepot_core::{AccountId, AssetId, AssetKind, Body, MarketId, MarketPolicy, OrderKind, OrderRequest, Outcome, RejectReason, Side, TimeInForce};
use entrepot_marketdata::{AlertKey, AlertRule, AlertState, AlertView, Change, Config, Measure, Output, Phase};
use rust_decimal::Decimal;

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const GOLD: AssetId = AssetId(1);
const SILVER: AssetId = AssetId(2);
const COPPER: AssetId = AssetId(10);
const WOOD: AssetId = AssetId(11);
const IRON: AssetId = AssetId(12);
/// COPPER/GOLD: the price alerts.
const M1: MarketId = MarketId(1);
/// WOOD/SILVER: the change alert, and a volume spike the GOLD rule must not see.
const M2: MarketId = MarketId(2);
/// IRON/GOLD: a steady 10 lots a minute, then spikes.
const M3: MarketId = MarketId(3);
const SELLER: AccountId = AccountId(1);
const BUYER: AccountId = AccountId(2);
const OWNER: AccountId = AccountId(3);
const OTHER: AccountId = AccountId(4);

fn config() -> Config {
    let rule = |name: &str, metrics: &str, measure| AlertRule {
        name: name.into(),
        metrics: metrics.into(),
        measure,
        factor_milli: 3_000,
        window_ms: HOUR,
        for_ms: 0,
        keep_firing_for_ms: 0,
    };
    Config { rules: vec![rule("gold-volume", "*/GOLD", Measure::Volume), rule("gold-minting", "economy:GOLD", Measure::Minted)], ..Config::default() }
}

fn setup() -> World {
    let mut w = World::new(config());
    let t = 1_000;
    w.asset(t, GOLD, "GOLD", 2, AssetKind::Currency);
    w.asset(t, SILVER, "SILVER", 0, AssetKind::Currency);
    w.asset(t, COPPER, "COPPER", 0, AssetKind::Item);
    w.asset(t, WOOD, "WOOD", 0, AssetKind::Item);
    w.asset(t, IRON, "IRON", 0, AssetKind::Item);
    let policy = MarketPolicy::default();
    w.market(t, M1, "COPPER/GOLD", COPPER, GOLD, Decimal::new(1, 2), Decimal::ONE, policy);
    w.market(t, M2, "WOOD/SILVER", WOOD, SILVER, Decimal::ONE, Decimal::ONE, policy);
    w.market(t, M3, "IRON/GOLD", IRON, GOLD, Decimal::new(1, 2), Decimal::ONE, policy);
    for a in [SELLER, BUYER, OWNER, OTHER] {
        w.admin(t, Body::OpenAccount { account: a });
        for asset in [GOLD, SILVER, COPPER, WOOD, IRON] {
            w.admin(t, Body::Mint { account: a, asset, amount: 1_000_000_000_000 });
        }
    }
    w
}

/// One trade of `lots` at `price` at game time `time` (the seller rests, the buyer takes).
fn trade(w: &mut World, time: u64, market: MarketId, price: u64, lots: u64) {
    let order = |side, tif| Body::Place(OrderRequest { market, side, kind: OrderKind::Limit { price, quantity: lots }, tif, post_only: false });
    assert!(matches!(w.run(time, SELLER, order(Side::Sell, TimeInForce::Gtc)), Outcome::Accepted { .. }));
    assert!(matches!(w.run(time, BUYER, order(Side::Buy, TimeInForce::Ioc)), Outcome::Accepted { .. }));
    assert!(w.events.iter().any(|e| matches!(e, entrepot_core::Event::Trade { quantity, .. } if *quantity == lots)), "no trade at {time}");
}

fn create(w: &mut World, time: u64, owner: AccountId, market: MarketId, condition: AlertCondition, for_ms: u64, keep: u64) -> u64 {
    match w.run(time, owner, Body::CreateAlert(AlertSpec { market, condition, for_ms, keep_firing_for_ms: keep })) {
        Outcome::AlertCreated { alert } => alert,
        other => panic!("alert not created: {other:?}"),
    }
}

/// The alert changes of one key: (sample minute, change, value).
fn changes(outputs: &[(usize, Output)], key: &AlertKey, metric: Option<&str>) -> Vec<(u64, Change, Option<i64>)> {
    outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Alert { key: k, metric: m, change, at, value, .. } if k == key && metric.is_none_or(|x| x == m) => {
                assert_eq!(at % MIN, 0, "alerts change at sample times");
                Some((at / MIN, *change, *value))
            }
            _ => None,
        })
        .collect()
}

fn view_of(w: &World, alert: u64) -> AlertView {
    w.md.alerts_of(OWNER).into_iter().find(|v| matches!(v.key, AlertKey::Player { alert: a, .. } if a == alert)).expect("listed")
}

fn state_of(w: &World, alert: u64) -> AlertState {
    view_of(w, alert).state
}

struct Script {
    world: World,
    above: u64,
    below: u64,
    change: u64,
    wood_spike: u64,
    iron_spike: u64,
    iron_pending: u64,
    /// Journal index of the tick at minute 9 (alert `above` fires there).
    tick_9: usize,
}

/// Run the whole script, checking states along the way.
#[allow(clippy::too_many_lines)]
fn script() -> Script {
    let mut w = setup();
    let t = 2_000;
    let above = create(&mut w, t, OWNER, M1, AlertCondition::PriceAbove(150), 3 * MIN, 2 * MIN);
    let below = create(&mut w, t, OWNER, M1, AlertCondition::PriceBelow(50), 0, 0);
    let change = create(&mut w, t, OWNER, M2, AlertCondition::ChangeBeyond(1_000), 0, 0);
    let spike = |window_ms| AlertCondition::Spike { measure: Measure::Volume, factor_milli: 3_000, window_ms };
    let wood_spike = create(&mut w, t, OWNER, M2, spike(HOUR), 0, 0);
    let iron_spike = create(&mut w, t, OWNER, M3, spike(HOUR), 0, 2 * MIN);
    let iron_pending = create(&mut w, t, OWNER, M3, spike(HOUR), MIN, 0);
    // Refusals: a spec out of range, an unknown market.
    let bad = AlertSpec { market: M1, condition: AlertCondition::PriceAbove(0), for_ms: 0, keep_firing_for_ms: 0 };
    assert_eq!(w.run(t, OWNER, Body::CreateAlert(bad)), Outcome::Rejected(RejectReason::OutOfRange));
    let unknown = AlertSpec { market: MarketId(99), condition: AlertCondition::PriceAbove(1), for_ms: 0, keep_firing_for_ms: 0 };
    assert_eq!(w.run(t, OWNER, Body::CreateAlert(unknown)), Outcome::Rejected(RejectReason::UnknownMarket));

    // COPPER/GOLD prices, traded at k:35.
    let copper: BTreeMap<u64, u64> =
        [(0, 100), (5, 200), (12, 100), (16, 200), (21, 100), (22, 200), (25, 100), (30, 200), (31, 100), (33, 200), (37, 100), (41, 40), (42, 100), (45, 200)]
            .into();
    // WOOD/SILVER (price, lots), traded at k:40.
    let wood: BTreeMap<u64, (u64, u64)> = [(0, (100, 1)), (2, (110, 1)), (3, (111, 1)), (4, (89, 1)), (5, (95, 1)), (6, (95, 1)), (10, (95, 100))].into();
    let mut tick_9 = 0;
    for k in 0..=150u64 {
        let minute = k * MIN;
        if k > 0 {
            if k == 9 {
                tick_9 = w.journal.len();
            }
            w.admin(minute, Body::Tick);
        }
        // IRON/GOLD: 10 lots every minute; 31 (just over 3×) at 70, exactly 3× at 140.
        let lots = match k {
            70 => 31,
            140 => 30,
            _ => 10,
        };
        trade(&mut w, minute + 30_000, M3, 1_000, lots);
        if let Some(&p) = copper.get(&k) {
            trade(&mut w, minute + 35_000, M1, p, 1);
        }
        if let Some(&(p, lots)) = wood.get(&k) {
            trade(&mut w, minute + 40_000, M2, p, lots);
        }
        if k == 100 {
            // A mint after an hour of none: the GOLD minting rule fires.
            w.admin(minute + 45_000, Body::Mint { account: OWNER, asset: GOLD, amount: 50_000 });
        }
        if k == 45 {
            // Another account cannot remove it (nor tell it from an unknown id); the owner can.
            let at = minute + 20_000;
            assert_eq!(w.run(at, OTHER, Body::RemoveAlert { alert: above }), Outcome::Rejected(RejectReason::UnknownAlert));
            assert_eq!(w.run(at, OWNER, Body::RemoveAlert { alert: 9_999 }), Outcome::Rejected(RejectReason::UnknownAlert));
            assert!(w.engine.alerts().iter().any(|(id, _, _)| id == above));
            assert!(w.md.alerts_of(OWNER).iter().any(|v| matches!(v.key, AlertKey::Player { alert, .. } if alert == above)));
            assert_eq!(w.run(at, OWNER, Body::RemoveAlert { alert: above }), Outcome::Done);
            assert!(!w.md.alerts_of(OWNER).iter().any(|v| matches!(v.key, AlertKey::Player { alert, .. } if alert == above)));
        }
        // States along the way (after minute k's sample).
        match k {
            7 => {
                let v = view_of(&w, above);
                assert_eq!((v.state, v.value), (AlertState { phase: Phase::Pending { since: 6 * MIN } }, Some(200)));
            }
            9 => assert_eq!(state_of(&w, above).phase, Phase::Firing { since: 9 * MIN, cleared: None }),
            14 => {
                let v = view_of(&w, above);
                assert_eq!((v.state, v.value), (AlertState { phase: Phase::Firing { since: 9 * MIN, cleared: Some(13 * MIN) } }, Some(100)));
            }
            15 | 32 => assert_eq!(state_of(&w, above).phase, Phase::Inactive),
            31 => assert_eq!(state_of(&w, above).phase, Phase::Pending { since: 31 * MIN }),
            71 => {
                assert_eq!(state_of(&w, iron_pending).phase, Phase::Pending { since: 71 * MIN });
                let active = w.md.active_alerts();
                assert!(active.iter().any(|v| v.key == AlertKey::Rule { rule: "gold-volume".into() } && v.metric == "IRON/GOLD"), "{active:?}");
                assert!(active.iter().any(|v| matches!(v.key, AlertKey::Player { alert, .. } if alert == iron_spike)));
            }
            72 => assert_eq!(state_of(&w, iron_pending).phase, Phase::Inactive),
            _ => {}
        }
    }
    Script { world: w, above, below, change, wood_spike, iron_spike, iron_pending, tick_9 }
}

fn player(alert: u64) -> AlertKey {
    AlertKey::Player { alert, owner: OWNER }
}

#[test]
fn player_alerts_follow_prometheus_phases() {
    let s = script();
    let out = &s.world.outputs;
    use Change::{Fired, Resolved};
    // for 3 min, keep_firing_for 2 min: pending 6 → fires 9; clears 13 → resolves 15;
    // fires 20, clears 22, holds again 23 (keeps firing, no word), clears 26 → resolves 28;
    // pending 31 clears at 32 silently; pending again 34 → fires 37; resolves 40; removed
    // at 45 before its price goes back above.
    assert_eq!(
        changes(out, &player(s.above), None),
        vec![
            (9, Fired, Some(200)),
            (15, Resolved, Some(100)),
            (20, Fired, Some(200)),
            (28, Resolved, Some(100)),
            (37, Fired, Some(200)),
            (40, Resolved, Some(100)),
        ]
    );
    // for 0, keep 0: fires at the first sample below, resolves at the first not below.
    assert_eq!(changes(out, &player(s.below), None), vec![(42, Fired, Some(40)), (43, Resolved, Some(100))]);
    // 24-hour change beyond ±10.00 %: exactly +10.00 % (110) does not; +11 % fires; −11 %
    // keeps it firing without a word; −5 % resolves.
    assert_eq!(changes(out, &player(s.change), None), vec![(4, Fired, Some(1_100)), (6, Resolved, Some(-500))]);
    // Volume 3× its average over the hour before the sample.
    assert_eq!(changes(out, &player(s.wood_spike), None), vec![(11, Fired, Some(100)), (12, Resolved, Some(0))]);
    // 31 lots over an average of 10 fires (keep_firing_for 2 min: resolves at 74); exactly
    // 3× (30 at minute 140) does not.
    assert_eq!(changes(out, &player(s.iron_spike), None), vec![(71, Fired, Some(31)), (74, Resolved, Some(10))]);
    // The same spike with for 1 min was pending one sample and went back without a word.
    assert_eq!(changes(out, &player(s.iron_pending), None), vec![]);
    // Each output names the metric, the measure and the market.
    for (_, o) in out {
        if let Output::Alert { key: AlertKey::Player { alert, .. }, metric, measure, market, .. } = o {
            let (m, name) = if *alert == s.change || *alert == s.wood_spike {
                (M2, "WOOD/SILVER")
            } else if *alert == s.iron_spike {
                (M3, "IRON/GOLD")
            } else {
                (M1, "COPPER/GOLD")
            };
            assert_eq!((metric.as_str(), *market), (name, Some(m.0)));
            let expected = if *alert == s.change {
                Measure::ChangePercentage
            } else if *alert == s.wood_spike || *alert == s.iron_spike {
                Measure::Volume
            } else {
                Measure::Price
            };
            assert_eq!(*measure, expected);
        }
    }
    // Every alert output comes from a command at or after its sample time.
    for (i, o) in out {
        if let Output::Alert { at, .. } = o {
            assert!(s.world.journal[*i].0.time >= *at);
        }
    }
}

#[test]
fn operator_rules_fire_for_matching_metrics_only() {
    let s = script();
    let out = &s.world.outputs;
    use Change::{Fired, Resolved};
    let volume = AlertKey::Rule { rule: "gold-volume".into() };
    let minting = AlertKey::Rule { rule: "gold-minting".into() };
    // `*/GOLD`: IRON/GOLD fires at its spike (for 0, keep 0) and not at exactly 3×...
    assert_eq!(changes(out, &volume, Some("IRON/GOLD")), vec![(71, Fired, Some(31)), (72, Resolved, Some(10))]);
    // ...WOOD/SILVER never, although its spike held (the player's alert above fired at 11).
    assert_eq!(changes(out, &volume, Some("WOOD/SILVER")), vec![]);
    let mut metrics: Vec<String> = out
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Alert { key, metric, measure, .. } if *key == volume => {
                assert_eq!(*measure, Measure::Volume);
                Some(metric.clone())
            }
            _ => None,
        })
        .collect();
    metrics.sort();
    metrics.dedup();
    assert_eq!(metrics, vec!["COPPER/GOLD".to_string(), "IRON/GOLD".to_string()], "only GOLD markets");
    // `economy:GOLD` (an exact name): the mint at minute 100 after an hour without any.
    assert_eq!(changes(out, &minting, None), vec![(101, Fired, Some(50_000)), (102, Resolved, Some(0))]);
    for (_, o) in out {
        if let Output::Alert { key, metric, market, .. } = o {
            if *key == minting {
                assert_eq!((metric.as_str(), *market), ("economy:GOLD", None));
            }
        }
    }
}

#[test]
fn replay_and_restart_reproduce_alerts_without_repeats() {
    let s = script();
    let w = &s.world;
    let config = config();
    let alerts = |o: &[(usize, Output)]| o.iter().filter(|(_, o)| matches!(o, Output::Alert { .. })).cloned().collect::<Vec<_>>();
    assert!(alerts(&w.outputs).len() > 20);
    // A rebuild from the recorded commands: the same outputs, from the same commands, at
    // the same sample times, and byte-identical state.
    let (md, outputs) = replay(&w.journal, &config, None);
    assert_eq!(outputs, w.outputs);
    assert_eq!(md.encode(), w.md.encode());
    // Restart from a state encoded after command `cut`: what follows equals the
    // uninterrupted run's outputs after the cut; in particular a firing that happened
    // before the cut is not emitted again.
    let mut cuts: Vec<usize> = (0..=w.journal.len()).step_by(7).collect();
    cuts.extend([s.tick_9, s.tick_9 + 1, w.journal.len()]);
    for cut in cuts {
        let (md, outputs) = replay(&w.journal, &config, Some(cut));
        let after = |o: &[(usize, Output)]| o.iter().filter(|(i, _)| *i >= cut).cloned().collect::<Vec<_>>();
        assert_eq!(after(&outputs), after(&w.outputs), "restart after command {cut}");
        assert_eq!(md.encode(), w.md.encode(), "restart after command {cut}");
    }
    // The cut right after the sample at minute 9 fired `above`: its next change is the
    // resolution at 15, not a second firing.
    let (_, outputs) = replay(&w.journal, &config, Some(s.tick_9 + 1));
    let next = outputs.iter().find_map(|(i, o)| match o {
        Output::Alert { key, change, at, .. } if *i > s.tick_9 && *key == player(s.above) => Some((*change, *at)),
        _ => None,
    });
    assert_eq!(next, Some((Change::Resolved, 15 * MIN)));
}
