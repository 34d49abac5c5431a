//! Odds over 5-minute tumbling windows per selection: average, min, max, count and
//! matched volume, aligned to game time (`[k·5 min, (k+1)·5 min)`). A window closes when
//! the game clock passes its end (a timer), emitting `BetEvent::OddsWindow`.

use super::model::*;
use super::odds::Odds;
use super::stage::Bets;
use super::state::{Timer, WindowState, WINDOWS_KEPT, WINDOW_MS};
use crate::event::Event;

impl Bets<'_> {
    /// Count one price seen on a selection (an odds change, or an exchange match of `matched` stake).
    pub(crate) fn observe_odds(&mut self, sel: SelectionRef, odds: Odds, matched: u64) {
        let start = self.now - self.now % WINDOW_MS;
        let w = self.betting.windows.entry(sel).or_insert_with(|| WindowState { start, sum: 0, min: u64::MAX, max: 0, count: 0, matched: 0 });
        if w.count == 0 {
            *w = WindowState { start, sum: 0, min: u64::MAX, max: 0, count: 0, matched: 0 };
            self.betting.timers.insert((start + WINDOW_MS, Timer::Window(sel)));
        }
        w.sum += u128::from(odds.0);
        w.min = w.min.min(odds.0);
        w.max = w.max.max(odds.0);
        w.count += 1;
        w.matched += matched;
    }

    pub(crate) fn close_window(&mut self, sel: SelectionRef, out: &mut Vec<Event>) {
        let Some(w) = self.betting.windows.remove(&sel) else { return };
        if w.count == 0 {
            return;
        }
        let window = w.summary(sel);
        let kept = self.betting.closed_windows.entry(sel).or_default();
        if kept.len() == WINDOWS_KEPT {
            kept.pop_front();
        }
        kept.push_back(window);
        out.push(Event::Bet(BetEvent::OddsWindow(window)));
    }
}

impl WindowState {
    /// The aggregate as queries and events show it (needs at least one observation).
    pub(super) fn summary(&self, sel: SelectionRef) -> OddsWindow {
        OddsWindow {
            selection: sel,
            start: self.start,
            end: self.start + WINDOW_MS,
            average: Odds(u64::try_from(self.sum / u128::from(self.count)).expect("an average of u64 odds fits in u64")),
            min: Odds(self.min),
            max: Odds(self.max),
            count: self.count,
            matched: self.matched,
        }
    }
}
