//! Idempotency: the outcome of every (actor, request) is remembered for a window of game
//! time, so a retry returns the original outcome and never runs twice.

use std::collections::VecDeque;

use crate::book::IdMap;
use crate::event::Outcome;
use crate::ids::{AccountId, RequestId};

/// One remembered request, in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub(crate) at: u64,
    pub(crate) actor: AccountId,
    pub(crate) request: RequestId,
    pub(crate) outcome: Outcome,
}

/// Outcomes by (actor, request), forgotten `window_ms` of game time after they were made.
#[derive(Clone, Debug)]
pub(crate) struct Dedup {
    window_ms: u64,
    outcomes: IdMap<(u64, u64), Outcome>,
    /// Arrival order, for forgetting (times never decrease along it).
    order: VecDeque<(u64, u64, u64)>,
}

impl Dedup {
    pub(crate) fn new(window_ms: u64) -> Dedup {
        Dedup { window_ms, outcomes: IdMap::default(), order: VecDeque::new() }
    }

    pub(crate) fn reserve(&mut self, requests: usize) {
        self.outcomes.reserve(requests);
        self.order.reserve(requests);
    }

    /// Forget requests older than the window at game time `now`.
    pub(crate) fn forget_before(&mut self, now: u64) {
        while let Some(&(at, actor, request)) = self.order.front() {
            if at.saturating_add(self.window_ms) >= now {
                break;
            }
            self.order.pop_front();
            self.outcomes.remove(&(actor, request));
        }
    }

    pub(crate) fn outcome(&self, actor: AccountId, request: RequestId) -> Option<Outcome> {
        self.outcomes.get(&(actor.0, request.0)).copied()
    }

    pub(crate) fn remember(&mut self, actor: AccountId, request: RequestId, outcome: Outcome, now: u64) {
        debug_assert!(self.order.back().is_none_or(|&(at, _, _)| at <= now), "game time never goes back");
        let previous = self.outcomes.insert((actor.0, request.0), outcome);
        debug_assert!(previous.is_none(), "a remembered request is never run again");
        self.order.push_back((now, actor.0, request.0));
    }

    /// Everything remembered, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Remembered> + '_ {
        self.order.iter().map(|&(at, actor, request)| Remembered {
            at,
            actor: AccountId(actor),
            request: RequestId(request),
            outcome: self.outcomes[&(actor, request)],
        })
    }

    /// Rebuild from remembered requests, oldest first.
    pub(crate) fn restore(window_ms: u64, remembered: impl IntoIterator<Item = Remembered>) -> Dedup {
        let mut dedup = Dedup::new(window_ms);
        for r in remembered {
            dedup.remember(r.actor, r.request, r.outcome, r.at);
        }
        dedup
    }
}
