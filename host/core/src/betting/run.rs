//! Dispatch of betting commands and the game-clock work that runs before every command.

use super::model::*;
use super::stage::Bets;
use super::state::{Timer, MAX_GROUP_ENDS_PER_COMMAND};
use crate::event::{Event, Outcome, RejectReason};
use crate::ids::{AccountId, RequestId};
use crate::rules::Rules;

type R<T> = Result<T, RejectReason>;

impl Bets<'_> {
    pub(crate) fn run_bet(&mut self, actor: AccountId, request: RequestId, command: &BetCommand, out: &mut Vec<Event>, rules: &mut dyn Rules) -> R<Outcome> {
        match command {
            BetCommand::CreateFixture(spec) => self.create_fixture((actor, request), spec, out, rules)?,
            BetCommand::SetFixtureStatus { fixture, status } => self.set_fixture_status(*fixture, *status, out)?,
            BetCommand::SetOdds { selection, odds } => self.set_odds(*selection, *odds, out)?,
            BetCommand::ReportResult { fixture, result } => self.report_result(*fixture, Some(result), out, rules)?,
            BetCommand::VoidFixture { fixture } => self.report_result(*fixture, None, out, rules)?,
            BetCommand::Place(request_body) => return self.place_bet((actor, request), request_body, out, rules).map(|bet| Outcome::BetPlaced { bet }),
            BetCommand::CancelOrder { bet } => self.cancel_exchange_order(actor, *bet, out)?,
            BetCommand::CreateGroup(spec) => self.create_group(actor, spec, out)?,
            BetCommand::Invite { group, account } => self.invite(actor, *group, *account, out)?,
            BetCommand::Join { group } => self.join_group(actor, *group, out)?,
            BetCommand::Leave { group } => self.leave_group(actor, *group, out)?,
            BetCommand::SetRole { group, account, role } => self.set_role(actor, *group, *account, *role, out)?,
        }
        Ok(Outcome::Done)
    }

    /// Everything the game clock has made due: fixtures opening and going in-play, groups
    /// ending, odds windows closing. In time order, then by kind and id — except that at
    /// most [`MAX_GROUP_ENDS_PER_COMMAND`] groups end per command: once that many ended,
    /// later group ends wait (still due) for the next command while the other due timers
    /// still run now.
    pub(crate) fn run_timers(&mut self, out: &mut Vec<Event>) {
        let mut group_ends = 0;
        loop {
            let next = if group_ends < MAX_GROUP_ENDS_PER_COMMAND {
                self.betting.timers.first().copied()
            } else {
                self.betting.timers.iter().take_while(|(at, _)| *at <= self.now).find(|(_, t)| !matches!(t, Timer::GroupEnd(_))).copied()
            };
            let Some((at, timer)) = next else { break };
            if at > self.now {
                break;
            }
            self.betting.timers.remove(&(at, timer));
            match timer {
                Timer::Open(f) => {
                    if self.betting.fixtures.get(&f).is_some_and(|x| x.status == FixtureStatus::Scheduled) {
                        self.change_status(f, FixtureStatus::Open, out);
                    }
                }
                Timer::Start(f) => {
                    let due = self.betting.fixtures.get(&f).map(|x| x.status);
                    if matches!(due, Some(FixtureStatus::Scheduled | FixtureStatus::Open)) {
                        self.change_status(f, FixtureStatus::InPlay, out);
                    }
                }
                Timer::GroupEnd(g) => {
                    group_ends += 1;
                    self.end_group(g, out);
                }
                Timer::Window(s) => self.close_window(s, out),
            }
        }
    }
}
