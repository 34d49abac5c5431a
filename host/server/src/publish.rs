//! Publishing: one command's engine events → the pushes it produces, with per-account
//! cursors, inbox rows for in-game notices, and encoded frames for market and topic
//! streams. The account events and inbox rows go into the command's journal job (durable in
//! the same transaction); everything is handed to the fanout only from the commit callback.
//!
//! Pushes are deltas (the changed order, bet, balance or totals), never a whole profile:
//! each account push is also a row of the account event log, which keeps only the newest
//! `account_events_keep` per account (the committer prunes it); a client resuming from
//! before that gets [`truncation`]'s `HistoryTruncated` first.

use std::collections::HashMap;
use std::sync::Arc;

use entrepot_core::{Engine, Event};
use entrepot_protocol::{encode, Push, PushEvent, Topic};
use redb::ReadableTable;

use crate::convert::{self, Route};
use crate::fanout::{Fanout, Key};
use crate::notify::Message;

/// The engine thread's publishing state: each account's last cursor, and a reused buffer.
pub struct Publisher {
    cursors: HashMap<u64, u64>,
    pushes: Vec<(Route, PushEvent)>,
}

/// What one command publishes.
pub struct Batch {
    /// (account, cursor, encoded push), journaled with the command.
    pub account_events: Vec<(u64, u64, Vec<u8>)>,
    /// (account, cursor of the `Notice`, encoded notification) for the inbox.
    pub inbox: Vec<(u64, u64, Vec<u8>)>,
    pub frames: Frames,
}

/// Market and topic frames (not stored: their subscribers resubscribe from a snapshot).
pub struct Frames {
    markets: Vec<(u32, u64, Vec<u8>)>,
    topics: Vec<(Topic, u64, Vec<u8>)>,
}

impl Publisher {
    pub fn new(cursors: HashMap<u64, u64>) -> Publisher {
        Publisher { cursors, pushes: Vec::new() }
    }

    /// The pushes of one command (`seq`, applied at game time `time`): per event, then a
    /// fresh profile and leaderboard where bets changed, then the in-game notices
    /// (notifiers' first, then group endings).
    pub fn collect(&mut self, engine: &Engine, events: &[Event], seq: u64, time: u64, notices: Vec<Message>, marketdata: Vec<(Route, PushEvent)>) -> Batch {
        self.pushes.clear();
        for e in events {
            convert::pushes(engine, e, &mut self.pushes);
            if let Event::Bet(b) = e {
                crate::betting::pushes(engine, b, seq, &mut self.pushes);
            }
        }
        crate::betting::summaries(engine, events, seq, &mut self.pushes);
        let group_ends = crate::betting::group_end_notices(engine, events);
        for (account, subject, body) in notices.into_iter().chain(group_ends) {
            self.pushes.push((Route::Account(account), PushEvent::Notice { subject, body }));
        }
        self.pushes.extend(marketdata);
        self.encode(time)
    }

    /// Frames of market-data pushes made outside a command (conflated tickers); they have
    /// no account pushes.
    pub fn frames(&mut self, pushes: Vec<(Route, PushEvent)>) -> Frames {
        self.pushes.clear();
        assert!(pushes.iter().all(|(r, _)| !matches!(r, Route::Account(_))), "no account pushes outside a command");
        self.pushes.extend(pushes);
        self.encode(0).frames
    }

    /// Number each account push with the account's next cursor and encode everything.
    fn encode(&mut self, time: u64) -> Batch {
        let mut batch = Batch { account_events: Vec::new(), inbox: Vec::new(), frames: Frames { markets: Vec::new(), topics: Vec::new() } };
        for (route, event) in self.pushes.drain(..) {
            match route {
                Route::Account(account) => {
                    let cursor = self.cursors.entry(account).or_insert(0);
                    *cursor += 1;
                    // In-game notices are kept until read, under their cursor.
                    if let PushEvent::Notice { subject, body } = &event {
                        batch.inbox.push((account, *cursor, crate::inbox::encode(subject, body, time)));
                    }
                    batch.account_events.push((account, *cursor, encode(&Push { cursor: *cursor, event })));
                }
                Route::Market(market, cursor) => batch.frames.markets.push((market, cursor, encode(&Push { cursor, event }))),
                Route::Topic(topic, cursor) => batch.frames.topics.push((topic, cursor, encode(&Push { cursor, event }))),
            }
        }
        batch
    }
}

impl Frames {
    /// Hand a durable command's pushes to the fanout thread: the account events (as the
    /// committer returns them), then market and topic frames. Called from the commit
    /// callback, so it only queues them (never blocks, whatever the subscribers).
    pub fn publish(self, fanout: &Fanout, account_events: Vec<(u64, u64, Vec<u8>)>) {
        let mut frames = Vec::with_capacity(account_events.len() + self.markets.len() + self.topics.len());
        frames.extend(account_events.into_iter().map(|(account, cursor, frame)| (Key::Account(account), (cursor, Arc::new(frame)))));
        frames.extend(self.markets.into_iter().map(|(market, cursor, frame)| (Key::Market(market), (cursor, Arc::new(frame)))));
        frames.extend(self.topics.into_iter().map(|(topic, cursor, frame)| (Key::Topic(topic), (cursor, Arc::new(frame)))));
        fanout.publish(frames);
    }
}

/// What a client resuming the account stream after cursor `from` gets before the stored
/// events, when retention already deleted some of those it asked for: a `HistoryTruncated`
/// push naming the oldest cursor kept, numbered just before it.
pub fn truncation(events: &impl ReadableTable<(u64, u64), &'static [u8]>, account: u64, from: u64) -> Result<Option<(u64, Vec<u8>)>, redb::StorageError> {
    let Some(first) = events.range((account, 0)..=(account, u64::MAX))?.next() else { return Ok(None) };
    let oldest = first?.0.value().1;
    if oldest <= from.saturating_add(1) {
        return Ok(None);
    }
    let cursor = oldest - 1;
    Ok(Some((cursor, encode(&Push { cursor, event: PushEvent::HistoryTruncated { oldest } }))))
}
