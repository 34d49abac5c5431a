//! Notifier plumbing: engine events → notifier plugin events (fills, bet status and
//! settlement, worded for players), their answers split by channel (in-game notices become
//! account pushes in `publish.rs`; e-mails go to the mailer thread, which queues them in
//! the outbox addressed to the account's login), and the choice of a token mail's wording.

use std::sync::Arc;

use entrepot_core::betting::BetEvent;
use entrepot_core::{Engine, Event};
use entrepot_plugins::{BetSettled, BetStatus, Channel, Notification, NotifyEvent, OrderFilled};

use crate::auth::Auth;
use crate::plugins::Plugins;

/// Sends e-mail notifications (account, subject, body) to the mailer.
pub type Mailer = std::sync::mpsc::Sender<Message>;

/// Run the notifiers over a command's events; returns what to deliver.
pub fn notifications(plugins: &mut Plugins, engine: &Engine, events: &[Event]) -> Vec<Notification> {
    if !plugins.has_notifiers() {
        return Vec::new();
    }
    let host = &mut plugins.host;
    let mut out = Vec::new();
    for e in events {
        match *e {
            Event::Trade { market, price, quantity, maker_order, maker_account, taker_order, taker_account, taker_side, .. } => {
                let (Some(units), Some(spec)) = (engine.market_units(market), engine.market_spec(market)) else { continue };
                let remaining = |order| engine.order(order).map_or(0, |o| o.quantity);
                for (account, order, side) in [(maker_account, maker_order, taker_side.opposite()), (taker_account, taker_order, taker_side)] {
                    let event = NotifyEvent::OrderFilled(OrderFilled {
                        account: account.0,
                        order: order.0,
                        market: market.0,
                        symbol: spec.symbol.clone(),
                        side,
                        price: units.ticks_to_price(price).normalize().to_string(),
                        quantity: units.lots_to_quantity(quantity).normalize().to_string(),
                        remaining: remaining(order),
                    });
                    out.extend(host.notify(&event));
                }
            }
            Event::Bet(BetEvent::BetSettled { bet, account, asset, outcome, paid, .. }) => {
                let Some(view) = engine.bet(bet) else { continue };
                let (event_name, selection) = bet_names(engine, &view);
                let payout = crate::convert::amount_out(engine, asset, paid).normalize().to_string();
                // The settled outcome as the bettor sees it (a lay's is inverted).
                let result = match view.state {
                    entrepot_core::betting::BetState::Settled(o) => o.word(),
                    _ => outcome.word(),
                };
                let status = if result == "void" { "void" } else { "settled" };
                out.extend(host.notify(&bet_status(engine, &view, status, Some(payout.clone()))));
                let event = NotifyEvent::BetSettled(BetSettled { account: account.0, bet: bet.0, event_name, selection, result: result.into(), payout });
                out.extend(host.notify(&event));
            }
            Event::Bet(BetEvent::BetPlaced { bet, .. }) => {
                if let Some(view) = engine.bet(bet) {
                    out.extend(host.notify(&bet_status(engine, &view, "accepted", None)));
                }
            }
            Event::Bet(BetEvent::BetMatched { bet, .. }) => {
                if let Some(view) = engine.bet(bet) {
                    out.extend(host.notify(&bet_status(engine, &view, "matched", None)));
                }
            }
            Event::Bet(BetEvent::OrderClosed { order, lapsed: true, .. }) => {
                if let Some(view) = engine.bet(order) {
                    out.extend(host.notify(&bet_status(engine, &view, "lapsed", None)));
                }
            }
            _ => {}
        }
    }
    out
}

/// What players call a bet: the event's name and the selection's (a parlay names its legs).
fn bet_names(engine: &Engine, bet: &entrepot_core::betting::BetView) -> (String, String) {
    let name = |s: &entrepot_core::betting::SelectionRef| {
        engine.fixture(s.fixture).map_or_else(
            || (format!("event {}", s.fixture), String::new()),
            |f| (f.spec.name.clone(), f.spec.markets[s.market as usize].selections[s.selection as usize].name.clone()),
        )
    };
    match bet.legs.as_slice() {
        [one] => name(one),
        legs => (format!("{}-leg parlay", legs.len()), legs.iter().map(|l| name(l).1).collect::<Vec<_>>().join(" + ")),
    }
}

/// A `bet-status` notifier event for a bet in its current state.
fn bet_status(engine: &Engine, bet: &entrepot_core::betting::BetView, status: &str, payout: Option<String>) -> NotifyEvent {
    let (event_name, selection) = bet_names(engine, bet);
    NotifyEvent::BetStatus(BetStatus {
        account: bet.account.0,
        bet: bet.bet.0,
        event_name,
        selection,
        status: status.into(),
        stake: crate::convert::amount_out(engine, bet.asset, bet.stake).normalize().to_string(),
        odds: bet.odds.to_string(),
        payout,
    })
}

/// A message for one account: (account, subject, body).
pub type Message = (u64, String, String);

/// Split notifications by channel: in-game ones become account pushes, e-mails go to the
/// mailer.
pub fn route(notifications: Vec<Notification>) -> (Vec<Message>, Vec<Message>) {
    let (mut in_game, mut mail) = (Vec::new(), Vec::new());
    for n in notifications {
        match n.channel {
            Channel::InGame => in_game.push((n.account, n.subject, n.body)),
            Channel::Email => mail.push((n.account, n.subject, n.body)),
        }
    }
    (in_game, mail)
}

/// The first e-mail among a notifier's proposals: (subject, body) for a token mail.
pub fn first_email(proposed: Vec<Notification>) -> Option<(String, String)> {
    proposed.into_iter().find(|n| n.channel == Channel::Email).map(|n| (n.subject, n.body))
}

/// The mailer thread: queues notifier e-mails in the outbox (addressed to the account's
/// login), off the engine thread.
pub fn spawn_mailer(auth: Arc<Auth>) -> Mailer {
    let (tx, rx) = std::sync::mpsc::channel::<Message>();
    std::thread::Builder::new()
        .name("mailer".into())
        .spawn(move || {
            for (account, subject, body) in rx {
                if let Err(e) = auth.mail_account(account, &subject, &body) {
                    tracing::warn!(account, error = %e.message, "notification e-mail not queued");
                }
            }
        })
        .expect("spawn mailer");
    tx
}
