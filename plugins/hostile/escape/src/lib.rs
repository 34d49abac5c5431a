//! HOSTILE: `check-order` tries to leave the sandbox and reports what happened. It reads
//! `/etc/passwd`, writes `/tmp/entrepot-escape`, connects to `127.0.0.1:80` and counts the
//! environment variables it was given, then always rejects with a one-line report that fits
//! the host's 200-byte reason limit:
//!
//! `sandbox held: read /etc/passwd denied (Unsupported); write /tmp/entrepot-escape denied
//! (Unsupported); connect 127.0.0.1:80 denied (PermissionDenied); env 0 vars`
//!
//! If any probe got through the report starts with `ESCAPED:` and marks it `ALLOWED`
//! (or `REACHED` when a connection attempt got a network answer such as "refused").
//! The host's sandbox tests assert the `sandbox held:` prefix.

use std::io;

use entrepot_sdk::market_rules::{AccountView, MarketView, OrderCheck, Verdict};

pub struct Hostile;

pub const SECRET_FILE: &str = "/etc/passwd";
pub const DROPPED_FILE: &str = "/tmp/entrepot-escape";
pub const ADDRESS: &str = "127.0.0.1:80";

/// What one escape attempt achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    Denied { what: String, kind: io::ErrorKind },
    Allowed { what: String, detail: String },
}

impl Probe {
    fn escaped(&self) -> bool {
        matches!(self, Probe::Allowed { .. })
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Probe::Denied { what, kind } => write!(f, "{what} denied ({kind:?})"),
            Probe::Allowed { what, detail } => write!(f, "{what} {detail}"),
        }
    }
}

/// MISBEHAVIOUR: read a host file.
fn read_secret() -> Probe {
    let what = format!("read {SECRET_FILE}");
    match std::fs::read(SECRET_FILE) {
        Ok(bytes) => Probe::Allowed { what, detail: format!("ALLOWED ({} bytes)", bytes.len()) },
        Err(e) => Probe::Denied { what, kind: e.kind() },
    }
}

/// MISBEHAVIOUR: write a host file (removed again if the write got through).
fn drop_file() -> Probe {
    let what = format!("write {DROPPED_FILE}");
    match std::fs::write(DROPPED_FILE, b"a plugin escaped the sandbox\n") {
        Ok(()) => {
            let _ = std::fs::remove_file(DROPPED_FILE);
            Probe::Allowed { what, detail: "ALLOWED".into() }
        }
        Err(e) => Probe::Denied { what, kind: e.kind() },
    }
}

/// MISBEHAVIOUR: open a TCP connection. An answer from the network (refused, reset,
/// unreachable, timed out) means the socket reached the host's network stack.
fn connect() -> Probe {
    let what = format!("connect {ADDRESS}");
    match std::net::TcpStream::connect(ADDRESS) {
        Ok(_) => Probe::Allowed { what, detail: "ALLOWED".into() },
        Err(e) if reached_network(e.kind()) => Probe::Allowed { what, detail: format!("REACHED ({:?})", e.kind()) },
        Err(e) => Probe::Denied { what, kind: e.kind() },
    }
}

fn reached_network(kind: io::ErrorKind) -> bool {
    use io::ErrorKind::*;
    matches!(kind, ConnectionRefused | ConnectionReset | ConnectionAborted | TimedOut | HostUnreachable | NetworkUnreachable)
}

/// MISBEHAVIOUR: look for the host's environment (only the count is reported, never values).
fn environment() -> Probe {
    match std::env::vars_os().count() {
        0 => Probe::Denied { what: "env".into(), kind: io::ErrorKind::NotFound },
        n => Probe::Allowed { what: "env".into(), detail: format!("LEAKED ({n} vars)") },
    }
}

/// The one-line verdict for a set of probes.
pub fn report(probes: &[Probe]) -> Verdict {
    let prefix = if probes.iter().any(Probe::escaped) { "ESCAPED" } else { "sandbox held" };
    let lines: Vec<String> = probes
        .iter()
        .map(|p| match p {
            Probe::Denied { what, .. } if what == "env" => "env 0 vars".to_owned(),
            other => other.to_string(),
        })
        .collect();
    Verdict::reject(format!("{prefix}: {}", lines.join("; ")))
}

fn misbehave() -> Verdict {
    report(&[read_secret(), drop_file(), connect(), environment()])
}

// Only check-order misbehaves: every other hook answers harmlessly (no fees, status
// ignored), and the host tests check that they still answer.
entrepot_sdk::export_admission_rules! {
    impl Hostile {
        fn check_order(_: MarketView, _: AccountView, _: OrderCheck) -> Verdict {
            misbehave()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::market_rules::{Fees, Guest, Listing, MarketStatus, Side, Trade};

    #[test]
    fn only_check_order_misbehaves() {
        let trade = Trade { price: 10, quantity: 2, notional: 20, taker_side: Side::Buy, maker_account: 1, taker_account: 2 };
        assert_eq!(Hostile::trade_fees(MarketView::default(), trade), Fees::ZERO);
        let listing = Listing { account: 1, side: Side::Sell, price: 10, quantity: 2, notional: 20, modifies: None };
        assert_eq!(Hostile::listing_fee(MarketView::default(), listing), 0);
        Hostile::on_market_status(1, MarketStatus::Halted);
    }

    // The probes themselves are not run natively: outside the sandbox they would succeed
    // (and touch this machine). The report is what the host tests read.
    #[test]
    fn a_held_sandbox_reports_in_under_200_bytes() {
        let held = report(&[
            Probe::Denied { what: format!("read {SECRET_FILE}"), kind: io::ErrorKind::Unsupported },
            Probe::Denied { what: format!("write {DROPPED_FILE}"), kind: io::ErrorKind::Unsupported },
            Probe::Denied { what: format!("connect {ADDRESS}"), kind: io::ErrorKind::PermissionDenied },
            Probe::Denied { what: "env".into(), kind: io::ErrorKind::NotFound },
        ]);
        let Verdict::Reject(reason) = held else { panic!("always rejects") };
        assert_eq!(
            reason,
            "sandbox held: read /etc/passwd denied (Unsupported); write /tmp/entrepot-escape denied (Unsupported); \
             connect 127.0.0.1:80 denied (PermissionDenied); env 0 vars"
        );
        assert!(reason.len() <= 200);
    }

    #[test]
    fn any_escape_is_flagged() {
        let leaked = report(&[
            Probe::Denied { what: "read x".into(), kind: io::ErrorKind::NotFound },
            Probe::Allowed { what: "connect y".into(), detail: "REACHED (ConnectionRefused)".into() },
        ]);
        assert_eq!(leaked, Verdict::Reject("ESCAPED: read x denied (NotFound); connect y REACHED (ConnectionRefused)".into()));
        assert!(reached_network(io::ErrorKind::ConnectionRefused));
        assert!(!reached_network(io::ErrorKind::PermissionDenied));
    }
}
