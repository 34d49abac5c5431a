//! The bundled plugins answer through the host as their sources say.

use std::time::Instant;

use entrepot_core::rules::{Fees, Listing, Modifies, Rules, TradeFacts};
use entrepot_core::{AccountId, MarketStatus, Side};
use entrepot_plugins::{
    AccountConfirmation, AccountCreated, AlertState, BetOutcome, BetSpec, BetStatus, Channel, EventResult, NotifyEvent, ParticipantScore, PasswordReset,
    PluginFault, PriceAlert, World,
};

use crate::common::*;

#[test]
fn price_band_rejects_with_its_reason() {
    let plugin = load("price-band");
    assert_eq!(plugin.world(), World::MarketRules);
    let mut host = host_with([plugin.clone()]);
    let b = binding(&plugin);
    let verdict = host.check_order(&b, &market(Some(1_000)), &account(), &limit_buy(1_200));
    let reason = verdict.expect("an answer").expect_err("a rejection");
    assert_eq!(reason, "price 12.00 is more than 10.00% away from the last trade 10.00");
    assert_eq!(host.check_order(&b, &market(Some(1_000)), &account(), &limit_buy(1_050)), Some(Ok(())));
    // Another version of the code than the binding names: native rule.
    let other = entrepot_core::PluginBinding { hash: [0; 32], ..b.clone() };
    assert_eq!(host.check_order(&other, &market(Some(1_000)), &account(), &limit_buy(1_200)), None);
    // Not installed: native rule.
    let absent = entrepot_core::PluginBinding { name: "absent".into(), ..b };
    assert_eq!(host.check_order(&absent, &market(Some(1_000)), &account(), &limit_buy(1_200)), None);
    host.market_status_changed(1, MarketStatus::Halted);
    let status = &host.status()[0];
    assert_eq!((status.metrics.calls, status.metrics.faults.total()), (3, 0));
}

#[test]
fn broker_fee_fees() {
    let plugin = load("broker-fee");
    let mut host = host_with([plugin.clone()]);
    let b = binding(&plugin);
    let listing = |notional, modifies| Listing { account: AccountId(1), side: Side::Sell, price: 100, quantity: 1, notional, modifies };
    assert_eq!(host.listing_fee(&b, &market(None), &listing(1_000_000, None)), Some(30_000));
    assert_eq!(host.listing_fee(&b, &market(None), &listing(1_000, None)), Some(100));
    assert_eq!(host.listing_fee(&b, &market(None), &listing(1_000_000, Some(Modifies { price: 90, quantity: 5 }))), Some(5_000));
    let trade = |taker_side| TradeFacts { price: 100, quantity: 100, notional: 10_000, taker_side, maker_account: AccountId(1), taker_account: AccountId(2) };
    assert_eq!(host.trade_fees(&b, &market(None), &trade(Side::Sell)), Some(Fees { maker: 0, taker: 750 }));
    assert_eq!(host.trade_fees(&b, &market(None), &trade(Side::Buy)), Some(Fees { maker: 750, taker: 0 }));
    assert_eq!(host.check_order(&b, &market(None), &account(), &limit_buy(1)), Some(Ok(())));
}

fn fixture(selection: &str, way: Option<&str>) -> BetSpec {
    BetSpec {
        participants: vec!["Reds".into(), "Blues".into()],
        selection: selection.into(),
        line: None,
        params: way.map(|w| vec![("way".to_owned(), w.to_owned())]).unwrap_or_default(),
    }
}

fn result(reds: i64, blues: i64, completed: bool) -> EventResult {
    EventResult {
        scores: vec![ParticipantScore { participant: "Reds".into(), score: reds }, ParticipantScore { participant: "Blues".into(), score: blues }],
        completed,
    }
}

#[test]
fn moneyline_validates_and_settles() {
    let mut host = host_with([load("moneyline")]);
    assert_eq!(host.validate_bet("moneyline", &fixture("Reds", None)), Ok(Ok(())));
    let refused = host.validate_bet("moneyline", &fixture("draw", None)).unwrap().unwrap_err();
    assert!(refused.contains("a draw is a push in 2-way moneyline"), "{refused}");
    assert_eq!(host.validate_bet("moneyline", &fixture("draw", Some("3"))), Ok(Ok(())));
    assert_eq!(host.settle_bet("moneyline", &fixture("Reds", None), &result(2, 1, true)), Ok(BetOutcome::Win));
    assert_eq!(host.settle_bet("moneyline", &fixture("Blues", None), &result(2, 1, true)), Ok(BetOutcome::Lose));
    assert_eq!(host.settle_bet("moneyline", &fixture("Reds", None), &result(1, 1, true)), Ok(BetOutcome::Push));
    assert_eq!(host.settle_bet("moneyline", &fixture("draw", Some("3")), &result(1, 1, true)), Ok(BetOutcome::Win));
    assert_eq!(host.settle_bet("moneyline", &fixture("Reds", None), &result(0, 0, false)), Ok(BetOutcome::Void));
    assert_eq!(host.validate_bet("handicap", &fixture("Reds", None)), Err(PluginFault::NotInstalled("bet type handicap".into())));
}

#[test]
fn mail_notifier_returns_notifications() {
    let mut host = host_with([load("mail-notifier")]);
    let created = NotifyEvent::AccountCreated(AccountCreated { account: 9, display_name: "Ada".into() });
    let out = host.notify(&created);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out.iter().all(|n| n.account == 9 && n.plugin == "mail-notifier" && n.subject == "Welcome to the exchange, Ada"), "{out:?}");
    let channels: Vec<Channel> = out.iter().map(|n| n.channel).collect();
    assert!(channels.contains(&Channel::Email) && channels.contains(&Channel::InGame));
    let email = out.iter().find(|n| n.channel == Channel::Email).unwrap();
    assert!(email.body.contains("The Entrepot exchange"), "{}", email.body);

    let alert = PriceAlert {
        account: 9,
        alert: 7,
        market: 1,
        symbol: "IRON/GOLD".into(),
        measure: "price".into(),
        value: "12.50".into(),
        rising: true,
        state: AlertState::Fired,
    };
    let out = host.notify(&NotifyEvent::PriceAlert(alert.clone()));
    assert!(out.len() == 2 && out.iter().all(|n| n.account == 9 && n.subject == "IRON/GOLD price rose to 12.50"), "{out:?}");
    // Every field crosses the boundary: the resolution names the alert and its last sample.
    let resolved = PriceAlert { value: "12.40".into(), rising: false, state: AlertState::Resolved, ..alert };
    let out = host.notify(&NotifyEvent::PriceAlert(resolved));
    assert!(out.len() == 2 && out.iter().all(|n| n.account == 9 && n.subject == "Alert 7 on IRON/GOLD resolved"), "{out:?}");
    let email = out.iter().find(|n| n.channel == Channel::Email).unwrap();
    assert!(email.body.contains("(price) no longer holds; the last price sample was 12.40."), "{}", email.body);

    // Tokens: one e-mail that carries the token, nothing in game.
    let token = "00112233445566778899aabbccddeeff0011223344556677";
    let confirm = NotifyEvent::AccountConfirmation(AccountConfirmation { account: 9, email: "ada@example.com".into(), token: token.into() });
    let out = host.notify(&confirm);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].channel, out[0].account, out[0].subject.as_str()), (Channel::Email, 9, "Confirm your Entrepot account"));
    assert!(out[0].body.contains(token), "{}", out[0].body);
    let reset = NotifyEvent::PasswordReset(PasswordReset { account: 9, email: "ada@example.com".into(), token: token.into() });
    let out = host.notify(&reset);
    assert!(out.len() == 1 && out[0].channel == Channel::Email && out[0].body.contains(token), "{out:?}");

    let bet = NotifyEvent::BetStatus(BetStatus {
        account: 9,
        bet: 7,
        event_name: "Reds v Blues".into(),
        selection: "Reds".into(),
        status: "matched".into(),
        stake: "10".into(),
        odds: "2.5".into(),
        payout: None,
    });
    let out = host.notify(&bet);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].subject, "Bet 7 matched: Reds on Reds v Blues");
}

#[test]
fn notifiers_only_hear_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = variant(dir.path(), "mail-notifier", "alerts-only", |t| {
        t.replace("name = \"mail-notifier\"", "name = \"alerts-only\"").replace(
            "events = [\"order-filled\", \"bet-settled\", \"account-created\", \"price-alert\", \"account-confirmation\", \"password-reset\", \"bet-status\"]",
            "events = [\"price-alert\"]",
        )
    });
    let mut host = host_with([runtime().load(&path).unwrap()]);
    assert!(host.notify(&NotifyEvent::AccountCreated(AccountCreated { account: 9, display_name: "Ada".into() })).is_empty());
    assert_eq!(host.status()[0].metrics.calls, 0);
}

/// The per-call cost of a trivial `check-order` (broker-fee accepts without looking).
#[test]
fn trivial_call_latency() {
    let plugin = load("broker-fee");
    let mut host = host_with([plugin.clone()]);
    let b = binding(&plugin);
    let (m, a, o) = (market(Some(1_000)), account(), limit_buy(1_000));
    for _ in 0..1_000 {
        host.check_order(&b, &m, &a, &o);
    }
    let start = Instant::now();
    let n = 20_000;
    for _ in 0..n {
        assert_eq!(host.check_order(&b, &m, &a, &o), Some(Ok(())));
    }
    let mean = start.elapsed() / n;
    let metrics = host.status()[0].metrics;
    eprintln!(
        "trivial check-order: mean {:?} through Rules, p50 {} ns, p99 {} ns in wasm, fuel {} per call",
        mean,
        metrics.p50_ns,
        metrics.p99_ns,
        metrics.fuel_used_total / metrics.calls
    );
    assert!(metrics.p50_ns < 100_000, "a trivial call should take microseconds, not {} ns", metrics.p50_ns);
}

#[test]
fn buy_limit_counts_the_window_and_carries_it_in_the_binding() {
    let plugin = load("buy-limit");
    assert_eq!(plugin.binding().buy_window_ms, Some(14_400_000));
    let mut host = host_with([plugin.clone()]);
    let b = plugin.binding();
    let mut a = account();
    a.bought_lots = 90;
    a.window_start_ms = Some(0);
    assert_eq!(host.check_order(&b, &market(Some(1_000)), &a, &limit_buy(1_000)), Some(Ok(())));
    a.bought_lots = 98;
    let reason = host.check_order(&b, &market(Some(1_000)), &a, &limit_buy(1_000)).unwrap().unwrap_err();
    assert!(reason.contains("100"), "{reason}");
}
