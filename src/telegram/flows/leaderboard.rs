//! Leaderboards: `/ranking` (`/leaderboard`) and the menu's button show a
//! board — its top ten, the player's own rank even outside it — with a
//! button per board; and the weekly reset, the timer target (owner kind
//! [`BOARD_TIMERS`]) that pays each weekly board's top N once when its
//! week ends.
//!
//! **Exactly once across crashes.** The winners are written first, in one
//! transaction, as `pending` rows of `leaderboard_prizes` (computed from
//! the durable scores, so a resumed reset finds the same rows and never
//! recomputes). Each prize is then a command to the winner's actor,
//! idempotent by board and period (the actor's `Community` remembers what
//! it was paid), durable before the row goes to `paid`. A crash anywhere
//! re-runs the timer: paid rows are skipped, a pending row whose credit
//! was already durable is refused by the actor, and nobody is paid twice.
//! The timer moves to the next week's end only after every prize is paid.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use dianabot_actors::{DispatchError, Envelope, Fired, Outcome, TimerFailure, TimerTarget};
use dianabot_game::leaderboard::{Board, Period, WEEK};
use dianabot_game::{Command, Language, LeaderboardCommand, UserId};
use dianabot_persistence::{Prize, StoreError, StoredTimer};
use tracing::Instrument;

use crate::telegram::callback::{Action, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::leaderboard::{self as screens, BoardView};
use crate::telegram::translate::{Origin, ReplyTo, Translation};
use crate::telegram::{OutboundRequest, Priority};

/// The owner kind of the weekly boards' reset timers (owner id 0, named
/// by the board id).
pub const BOARD_TIMERS: &str = "board";

/// Players a board lists.
const TOP: usize = 10;

#[derive(Debug)]
pub enum BoardRequest {
    /// Show the board tagged `board` (`None` or unknown: the first).
    Show { user_id: UserId, language: Language, board: Option<u32>, reply: ReplyTo },
}

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    match name {
        "ranking" | "leaderboard" | "leaderboards" | "clasificacion" => Some(show(origin, None)),
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    match action {
        Action::Board { board } => Some(show(origin, Some(board))),
        _ => None,
    }
}

fn show(origin: &Origin<'_>, board: Option<u32>) -> Translation {
    let (user_id, language, reply) = (origin.user_id, origin.language, origin.reply.clone());
    Translation::Board(BoardRequest::Show { user_id, language, board, reply })
}

/// What aborts the process partway through a reset (tests only): after
/// this many prizes were durably credited, before the last is marked paid.
#[derive(Debug)]
pub struct PrizeFault {
    pub abort_after: u32,
    pub credited: AtomicU32,
}

impl Intake {
    pub(in crate::telegram) async fn handle_board(&self, request: BoardRequest) -> Result<Handled, Failure> {
        let BoardRequest::Show { user_id, language, board, reply } = request;
        let content = self.router.content();
        let chosen = board.and_then(|shown| content.boards().find(|board| tag(&board.id) == shown));
        let Some(board) = chosen.or_else(|| content.boards().next()) else {
            self.answer(reply, Some(screens::no_leaderboards(language)));
            return Ok(Handled::Viewed);
        };
        let now = self.router.clock().now();
        let period = board.period.start(now);
        let boards = self.router.leaderboards();
        let top = boards.top(board.metric, period, TOP);
        let users: Vec<i64> = top.iter().map(|standing| standing.user).collect();
        let mut names = self.coordinator.store().first_names(&users).await.map_err(|err| {
            tracing::error!(error = %err, "reading leaderboard names failed");
            Failure::NotDurable(DispatchError::NotDurable)
        })?;
        let view = BoardView {
            board,
            top: top.into_iter().map(|standing| (standing, names.remove(&standing.user))).collect(),
            mine: boards.standing(board.metric, period, user_id.0),
            players: boards.players(board.metric, period),
            days_left: board.period.end(now).map_or(0, |end| (end - now + 86_399) / 86_400),
        };
        let ui = self.ui_parts();
        self.answer(reply, Some(screens::leaderboard(language, ui.ui(), user_id, &view)));
        Ok(Handled::Viewed)
    }

    /// The target of the weekly boards' reset timers.
    pub fn board_reset_target(&self) -> Arc<dyn TimerTarget> {
        let intake = self.clone();
        Arc::new(move |timer: StoredTimer| -> Fired {
            let intake = intake.clone();
            Box::pin(async move { intake.reset_board(timer).await })
        })
    }

    /// Arms the reset timer of every weekly board with prizes that has
    /// none (first start, a board added): due when the running week ends.
    pub async fn arm_board_resets(&self) -> Result<(), StoreError> {
        let store = self.coordinator.store();
        let armed = store.timers_of(BOARD_TIMERS, 0).await?;
        let now = self.router.clock().now();
        for board in self.router.content().boards() {
            let Some(due) = board.period.end(now) else { continue };
            if board.prizes.is_empty() || armed.iter().any(|timer| timer.name == board.id) {
                continue;
            }
            let timer = StoredTimer { owner_kind: BOARD_TIMERS.to_owned(), owner_id: 0, name: board.id.clone(), due };
            store.set_timer(&timer).await?;
        }
        Ok(())
    }

    /// Pays the prizes of the week that ended at `timer.due`, then moves
    /// the timer to the next week's end (a server down for weeks settles
    /// each missed week in turn).
    async fn reset_board(&self, timer: StoredTimer) -> Result<(), TimerFailure> {
        let content = self.router.content();
        let Some(board) = content.board(&timer.name).filter(|board| board.period == Period::Weekly) else {
            return Err(TimerFailure::Permanent(format!("no weekly board {:?}", timer.name)));
        };
        let period = timer.due - WEEK;
        let span = tracing::info_span!("board_reset", board = %board.id, period);
        async move {
            let transient = |err: StoreError| TimerFailure::Transient(err.to_string());
            let store = self.coordinator.store();
            let prizes =
                store.settle_prizes(&board.id, board.metric, period, &board.prizes).await.map_err(transient)?;
            for prize in prizes.iter().filter(|prize| !prize.paid) {
                self.pay_prize(board, prize).await?;
            }
            tracing::info!(winners = prizes.len(), "leaderboard week settled");
            let next = StoredTimer { due: timer.due + WEEK, ..timer };
            store.set_timer(&next).await.map_err(transient)
        }
        .instrument(span)
        .await
    }

    /// Credits one prize on its winner's actor (nothing if it was already),
    /// marks it paid, and tells the winner when this call paid it.
    async fn pay_prize(&self, board: &Board, prize: &Prize) -> Result<(), TimerFailure> {
        let command = Command::Leaderboard(LeaderboardCommand::AwardPrize {
            board: prize.board.clone(),
            period: prize.period,
            rank: prize.place,
            besitos: prize.besitos,
        });
        let user_id = UserId(prize.user);
        let envelope = Envelope { user_id, update_id: None, command };
        let dispatched = self
            .router
            .dispatch(envelope, |state, outcome| match outcome {
                Outcome::Applied(events) if !events.is_empty() => Some(state.language()),
                _ => None,
            })
            .await
            .map_err(TimerFailure::from)?;
        dispatched.durable.wait().await.map_err(TimerFailure::from)?;
        if let Some(fault) = &self.prize_fault
            && fault.credited.fetch_add(1, Ordering::SeqCst) + 1 == fault.abort_after
        {
            eprintln!("TEST_FAULTS: aborting after {} prizes credited", fault.abort_after);
            std::process::abort();
        }
        self.coordinator
            .store()
            .mark_prize_paid(prize)
            .await
            .map_err(|err| TimerFailure::Transient(err.to_string()))?;
        if let Some(language) = dispatched.reply {
            let rendered = screens::prize_won(language, board, prize.place, prize.besitos);
            self.outbound.submit(OutboundRequest::Send {
                chat_id: user_id.0,
                text: rendered.text,
                keyboard: rendered.keyboard,
                priority: Priority::Notification,
            });
        }
        Ok(())
    }
}
