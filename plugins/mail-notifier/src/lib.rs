//! Turns server events into an e-mail and an in-game message for the account concerned.
//!
//! | event             | subject (both channels)                                  |
//! |-------------------|----------------------------------------------------------|
//! | `order-filled`    | `Order 42 filled: bought 5 IRON at 12.50 GOLD`           |
//! | `bet-settled`     | `Bet 7 won: Reds on Reds v Blues`                        |
//! | `account-created` | `Welcome to the exchange, Ada`                           |
//! | `price-alert`     | fired: `IRON/GOLD price rose to 12.50`; resolved: `Alert 7 on IRON/GOLD resolved` |
//! | `account-confirmation` | `Confirm your Entrepot account` (e-mail only, with the token) |
//! | `password-reset`  | `Reset your Entrepot password` (e-mail only, with the token) |
//! | `bet-status`      | `Bet 7 matched: Reds on Reds v Blues`                    |
//!
//! Confirmation and reset mails go by e-mail whatever `email` says (the host drops any
//! other channel for them): the token on its own line, and the command that uses it.
//! A partial fill says `partly filled` and how many lots are still open. Symbols of the form
//! `BASE/QUOTE` name the item and the currency; other symbols are used as they are.
//!
//! Config: `email` and `in_game` (booleans, default true) switch a channel off;
//! `signature` (default "The Entrepot exchange") ends every e-mail.

use entrepot_sdk::config::Config;
use entrepot_sdk::notifier::{
    AccountConfirmation, AccountCreated, AlertState, BetSettled, BetStatus, Channel, Event, Guest, Notification, OrderFilled, PasswordReset, PriceAlert, Side,
};

pub struct MailNotifier;

/// Which channels to use, and how e-mails end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub email: bool,
    pub in_game: bool,
    pub signature: String,
}

impl Settings {
    /// The settings from `[config]`; a malformed value is logged and its default used, since
    /// a notification with a default signature beats none.
    pub fn load() -> Settings {
        let config = Config::load();
        let value = |key: &str, default: &str| -> String {
            let raw = config.raw(key).unwrap_or(default).to_owned();
            if matches!(key, "email" | "in_game") && raw.parse::<bool>().is_err() {
                entrepot_sdk::log::warn(&format!("mail-notifier: config `{key}` = {raw:?} is not true/false; using {default}"));
                return default.to_owned();
            }
            raw
        };
        Settings {
            email: value("email", "true") == "true",
            in_game: value("in_game", "true") == "true",
            signature: value("signature", "The Entrepot exchange"),
        }
    }
}

/// One message before it is addressed to channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub account: u64,
    pub subject: String,
    /// The in-game text: one line.
    pub summary: String,
    /// The e-mail text: a few lines, before the greeting and the signature.
    pub details: String,
}

/// `IRON/GOLD` → (`IRON`, Some(`GOLD`)).
fn split_symbol(symbol: &str) -> (&str, Option<&str>) {
    match symbol.split_once('/') {
        Some((base, quote)) if !base.is_empty() && !quote.is_empty() => (base, Some(quote)),
        _ => (symbol, None),
    }
}

fn with_currency(amount: &str, currency: Option<&str>) -> String {
    match currency {
        Some(currency) => format!("{amount} {currency}"),
        None => amount.to_owned(),
    }
}

pub fn order_filled(fill: &OrderFilled) -> Message {
    let (item, currency) = split_symbol(&fill.symbol);
    let verb = match fill.side {
        Side::Buy => "bought",
        Side::Sell => "sold",
    };
    let price = with_currency(&fill.price, currency);
    let state = if fill.remaining == 0 { "filled" } else { "partly filled" };
    let subject = format!("Order {} {state}: {verb} {} {item} at {price}", fill.order, fill.quantity);
    let open = match fill.remaining {
        0 => "The order is complete.".to_owned(),
        1 => "1 lot is still open.".to_owned(),
        n => format!("{n} lots are still open."),
    };
    Message {
        account: fill.account,
        summary: format!("{subject}. {open}"),
        details: format!("Your order {} on {} {verb} {} {item} at {price} each.\n{open}", fill.order, fill.symbol, fill.quantity),
        subject,
    }
}

pub fn bet_settled(bet: &BetSettled) -> Message {
    let subject = format!("Bet {} {}: {} on {}", bet.bet, bet.result, bet.selection, bet.event_name);
    let paid = match bet.result.as_str() {
        "push" | "void" => format!("Your stake of {} has been returned.", bet.payout),
        "lost" => "Nothing is paid back.".to_owned(),
        _ => format!("{} has been paid to your account, stake included.", bet.payout),
    };
    Message {
        account: bet.account,
        summary: format!("{subject}. {paid}"),
        details: format!("Your bet {} on {} in {} has {}.\n{paid}", bet.bet, bet.selection, bet.event_name, outcome_phrase(&bet.result)),
        subject,
    }
}

/// "won" → "won", "void" → "been voided", ...: reads after "has".
fn outcome_phrase(result: &str) -> String {
    match result {
        "void" => "been voided".to_owned(),
        "push" => "been pushed".to_owned(),
        "half-won" => "half won".to_owned(),
        "half-lost" => "half lost".to_owned(),
        other => other.to_owned(),
    }
}

pub fn account_created(account: &AccountCreated) -> Message {
    let subject = format!("Welcome to the exchange, {}", account.display_name);
    Message {
        account: account.account,
        summary: format!("{subject}! Your account number is {}.", account.account),
        details: format!(
            "Your account {} is ready. Place orders on any market, set price alerts, and we will\nwrite when your orders fill or your bets settle.",
            account.account
        ),
        subject,
    }
}

/// A measure's name as it reads in a sentence, and the unit written after its values.
fn measure_words(measure: &str) -> (String, &'static str) {
    match measure {
        "change_absolute" => ("24h change".into(), ""),
        "change_percentage" => ("24h change".into(), "%"),
        other => (other.replace('_', " "), ""),
    }
}

pub fn price_alert(alert: &PriceAlert) -> Message {
    let (measure, unit) = measure_words(&alert.measure);
    let (id, symbol) = (alert.alert, &alert.symbol);
    // An empty value is a gap: no sample came in.
    let sample = (!alert.value.is_empty()).then(|| format!("{}{unit}", alert.value));
    match alert.state {
        AlertState::Fired => {
            // The symbol already names the currency: "IRON/GOLD price rose to 12.50".
            let direction = if alert.rising { "rose" } else { "fell" };
            let (subject, what) = match &sample {
                Some(v) => (format!("{symbol} {measure} {direction} to {v}"), format!("the {measure} {direction} to {v}")),
                None => (format!("Alert {id} on {symbol} fired"), format!("its {measure} condition holds")),
            };
            Message { account: alert.account, summary: format!("{subject}."), details: format!("Your alert {id} on {symbol} fired: {what}."), subject }
        }
        AlertState::Resolved => {
            let subject = format!("Alert {id} on {symbol} resolved");
            let last = match &sample {
                Some(v) => format!("the last {measure} sample was {v}"),
                None => format!("no {measure} sample came in"),
            };
            Message {
                account: alert.account,
                summary: format!("{subject}: it no longer holds; {last}."),
                details: format!("Your alert {id} on {symbol} ({measure}) no longer holds; {last}."),
                subject,
            }
        }
    }
}

pub fn bet_status(bet: &BetStatus) -> Message {
    let subject = format!("Bet {} {}: {} on {}", bet.bet, bet.status, bet.selection, bet.event_name);
    let terms = format!("{} at odds {}", bet.stake, bet.odds);
    let state = match (bet.status.as_str(), &bet.payout) {
        ("accepted", _) => format!("Your stake of {terms} is waiting to be matched."),
        ("matched", _) => format!("Your stake of {terms} is matched and stands."),
        ("lapsed", _) => format!("Your stake of {terms} was not matched in time and has been returned."),
        ("void", _) => format!("The bet is void: your stake of {} has been returned.", bet.stake),
        (_, Some(payout)) => format!("{payout} has been paid to your account, stake included ({terms})."),
        (status, None) => format!("The bet is now {status} ({terms})."),
    };
    Message {
        account: bet.account,
        summary: format!("{subject}. {state}"),
        details: format!("Your bet {} on {} in {}:\n{state}", bet.bet, bet.selection, bet.event_name),
        subject,
    }
}

/// The confirmation e-mail: the token on a line of its own, then the command that uses it.
pub fn account_confirmation(settings: &Settings, c: &AccountConfirmation) -> Notification {
    Notification {
        channel: Channel::Email,
        account: c.account,
        subject: "Confirm your Entrepot account".into(),
        body: format!(
            "Hello,\n\nWelcome! Confirm your account ({}) with this token:\n\n    {}\n\n(entrepot account confirm --email {} --token {})\n\n-- \n{}\n",
            c.account, c.token, c.email, c.token, settings.signature
        ),
    }
}

/// The reset e-mail: the token on a line of its own; valid for one hour.
pub fn password_reset(settings: &Settings, r: &PasswordReset) -> Notification {
    Notification {
        channel: Channel::Email,
        account: r.account,
        subject: "Reset your Entrepot password".into(),
        body: format!(
            "Hello,\n\nSomeone (hopefully you) asked to reset the password of {}. Reset it with this token\n(valid for one hour):\n\n    {}\n\nIf it was not you, ignore this mail: nothing changes.\n\n-- \n{}\n",
            r.email, r.token, settings.signature
        ),
    }
}

/// The event's message on the enabled channels.
pub fn notify(settings: &Settings, event: &Event) -> Vec<Notification> {
    let message = match event {
        Event::OrderFilled(e) => order_filled(e),
        Event::BetSettled(e) => bet_settled(e),
        Event::AccountCreated(e) => account_created(e),
        Event::PriceAlert(e) => price_alert(e),
        Event::BetStatus(e) => bet_status(e),
        // Tokens: e-mail only, whatever the channel settings say.
        Event::AccountConfirmation(e) => return vec![account_confirmation(settings, e)],
        Event::PasswordReset(e) => return vec![password_reset(settings, e)],
    };
    let mut out = Vec::with_capacity(2);
    if settings.in_game {
        out.push(Notification { channel: Channel::InGame, account: message.account, subject: message.subject.clone(), body: message.summary.clone() });
    }
    if settings.email {
        out.push(Notification {
            channel: Channel::Email,
            account: message.account,
            subject: message.subject,
            body: format!("Hello,\n\n{}\n\n-- \n{}\n", message.details, settings.signature),
        });
    }
    out
}

impl Guest for MailNotifier {
    fn on_event(event: Event) -> Vec<Notification> {
        notify(&Settings::load(), &event)
    }
}

entrepot_sdk::export_notifier!(MailNotifier);

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::testing::Harness;

    fn fill(remaining: u64, symbol: &str) -> Event {
        Event::OrderFilled(OrderFilled {
            account: 9,
            order: 42,
            market: 1,
            symbol: symbol.into(),
            side: Side::Buy,
            price: "12.50".into(),
            quantity: "5".into(),
            remaining,
        })
    }

    #[test]
    fn a_fill_becomes_an_email_and_an_in_game_message() {
        let _host = Harness::new().config("signature", "Copper Coast Exchange");
        let sent = MailNotifier::on_event(fill(0, "IRON/GOLD"));
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].channel, Channel::InGame);
        assert_eq!(sent[0].subject, "Order 42 filled: bought 5 IRON at 12.50 GOLD");
        assert_eq!(sent[0].body, "Order 42 filled: bought 5 IRON at 12.50 GOLD. The order is complete.");
        assert_eq!((sent[1].channel, sent[1].account), (Channel::Email, 9));
        assert_eq!(
            sent[1].body,
            "Hello,\n\nYour order 42 on IRON/GOLD bought 5 IRON at 12.50 GOLD each.\nThe order is complete.\n\n-- \nCopper Coast Exchange\n"
        );
    }

    #[test]
    fn partial_fills_and_plain_symbols() {
        let _host = Harness::new();
        let sent = MailNotifier::on_event(fill(3, "IRON"));
        assert_eq!(sent[0].subject, "Order 42 partly filled: bought 5 IRON at 12.50");
        assert!(sent[0].body.ends_with("3 lots are still open."));
    }

    #[test]
    fn bets_signups_and_alerts() {
        let _host = Harness::new().config("email", false);
        let bet = Event::BetSettled(BetSettled {
            account: 3,
            bet: 7,
            event_name: "Reds v Blues".into(),
            selection: "Reds".into(),
            result: "won".into(),
            payout: "25.00".into(),
        });
        let sent = MailNotifier::on_event(bet);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].body, "Bet 7 won: Reds on Reds v Blues. 25.00 has been paid to your account, stake included.");

        let hello = MailNotifier::on_event(Event::AccountCreated(AccountCreated { account: 5, display_name: "Ada".into() }));
        assert_eq!(hello[0].subject, "Welcome to the exchange, Ada");

        let alert = Event::PriceAlert(alert(AlertState::Fired, "price", "9.90", false));
        assert_eq!(MailNotifier::on_event(alert)[0].subject, "IRON/GOLD price fell to 9.90");
    }

    fn alert(state: AlertState, measure: &str, value: &str, rising: bool) -> PriceAlert {
        PriceAlert { account: 5, alert: 7, market: 1, symbol: "IRON/GOLD".into(), measure: measure.into(), value: value.into(), rising, state }
    }

    #[test]
    fn alerts_fire_and_resolve_on_both_channels() {
        let _host = Harness::new();
        let sent = MailNotifier::on_event(Event::PriceAlert(alert(AlertState::Fired, "price", "12.50", true)));
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|n| n.account == 5 && n.subject == "IRON/GOLD price rose to 12.50"), "{sent:?}");
        assert_eq!(sent[0].body, "IRON/GOLD price rose to 12.50.");
        assert_eq!(sent[1].body, "Hello,\n\nYour alert 7 on IRON/GOLD fired: the price rose to 12.50.\n\n-- \nThe Entrepot exchange\n");

        let sent = MailNotifier::on_event(Event::PriceAlert(alert(AlertState::Resolved, "price", "12.40", false)));
        assert_eq!(sent.len(), 2);
        assert_eq!((sent[0].channel, sent[1].channel), (Channel::InGame, Channel::Email));
        assert!(sent.iter().all(|n| n.account == 5 && n.subject == "Alert 7 on IRON/GOLD resolved"), "{sent:?}");
        assert_eq!(sent[0].body, "Alert 7 on IRON/GOLD resolved: it no longer holds; the last price sample was 12.40.");
        assert!(sent[1].body.contains("Your alert 7 on IRON/GOLD (price) no longer holds; the last price sample was 12.40."), "{}", sent[1].body);

        // Other measures read as words, with their unit; a gap has no value.
        let change = price_alert(&alert(AlertState::Fired, "change_percentage", "-5.25", false));
        assert_eq!(change.subject, "IRON/GOLD 24h change fell to -5.25%");
        assert_eq!(price_alert(&alert(AlertState::Fired, "bid_depth", "40", true)).subject, "IRON/GOLD bid depth rose to 40");
        let gap = price_alert(&alert(AlertState::Resolved, "volume", "", false));
        assert_eq!(gap.details, "Your alert 7 on IRON/GOLD (volume) no longer holds; no volume sample came in.");
    }

    #[test]
    fn channels_can_be_switched_off_and_typos_fall_back() {
        let _host = Harness::new().config("email", false).config("in_game", false);
        assert!(MailNotifier::on_event(fill(0, "A/B")).is_empty());
        let _host = Harness::new().config("email", "yes");
        assert_eq!(MailNotifier::on_event(fill(0, "A/B")).len(), 2);
        assert_eq!(entrepot_sdk::testing::logs().len(), 1);
    }

    #[test]
    fn confirmation_and_reset_mails_carry_the_token_by_email_only() {
        let _host = Harness::new().config("email", false).config("signature", "Copper Coast");
        let token = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let confirm = Event::AccountConfirmation(AccountConfirmation { account: 1000, email: "ann@example.com".into(), token: token.into() });
        let sent = MailNotifier::on_event(confirm);
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].channel, sent[0].account), (Channel::Email, 1000));
        assert_eq!(sent[0].subject, "Confirm your Entrepot account");
        assert!(sent[0].body.contains(&format!("\n    {token}\n")), "{}", sent[0].body);
        assert!(sent[0].body.contains(&format!("--email ann@example.com --token {token}")), "{}", sent[0].body);
        assert!(sent[0].body.ends_with("-- \nCopper Coast\n"));

        let reset = Event::PasswordReset(PasswordReset { account: 1000, email: "ann@example.com".into(), token: token.into() });
        let sent = MailNotifier::on_event(reset);
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].channel, sent[0].subject.as_str()), (Channel::Email, "Reset your Entrepot password"));
        assert!(sent[0].body.contains(&format!("\n    {token}\n")), "{}", sent[0].body);
    }

    #[test]
    fn bet_status_changes() {
        let _host = Harness::new().config("email", false);
        let status = |status: &str, payout: Option<&str>| {
            let e = Event::BetStatus(BetStatus {
                account: 3,
                bet: 7,
                event_name: "Reds v Blues".into(),
                selection: "Reds".into(),
                status: status.into(),
                stake: "10".into(),
                odds: "2.5".into(),
                payout: payout.map(Into::into),
            });
            MailNotifier::on_event(e).remove(0)
        };
        let matched = status("matched", None);
        assert_eq!(matched.subject, "Bet 7 matched: Reds on Reds v Blues");
        assert_eq!(matched.body, "Bet 7 matched: Reds on Reds v Blues. Your stake of 10 at odds 2.5 is matched and stands.");
        assert!(status("accepted", None).body.contains("waiting to be matched"));
        assert!(status("lapsed", None).body.contains("has been returned"));
        assert!(status("void", Some("10")).body.contains("The bet is void: your stake of 10 has been returned."));
        assert!(status("settled", Some("25")).body.contains("25 has been paid to your account, stake included (10 at odds 2.5)."));
        assert!(status("settled", None).body.ends_with("The bet is now settled (10 at odds 2.5)."));
    }

    #[test]
    fn voided_bets_return_the_stake() {
        let msg =
            bet_settled(&BetSettled { account: 1, bet: 2, event_name: "Final".into(), selection: "draw".into(), result: "void".into(), payout: "10".into() });
        assert_eq!(msg.details, "Your bet 2 on draw in Final has been voided.\nYour stake of 10 has been returned.");
    }
}
