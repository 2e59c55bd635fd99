//! Auctions: the list and an auction's page, bids (a saga between the
//! bidder's actor and the auction's), and an operator's opening and
//! cancelling of an auction.

use dianabot_actors::{AuctionError, BidOutcome, DispatchError};
use dianabot_game::auction::AuctionSpec;
use dianabot_game::roles::OperatorAction;
use dianabot_game::{Besitos, ItemId, Language, Malformed, RuleError, UpdateId, Usage, UserId, UserState};

use crate::config::AuctionLimits;
use crate::telegram::callback::{Action, CallbackError};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::OutboundRequest;
use crate::telegram::screens;
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum AuctionRequest {
    /// The live auctions, or one of them.
    Show { user_id: UserId, auction: Option<i64>, reply: ReplyTo },
    /// A bid; its id is the update's.
    Bid { user_id: UserId, auction: i64, amount: Besitos, update_id: UpdateId, reply: ReplyTo },
    /// An operator opens an auction; its id is the update's, so a
    /// re-delivered command opens nothing new.
    Create { chat_id: i64, language: Language, update_id: UpdateId, spec: AuctionSpec },
    /// An operator cancels an auction: every bid held is refunded.
    Cancel { chat_id: i64, language: Language, auction: i64 },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str, limits: AuctionLimits) -> Option<Translation> {
    let (chat_id, language) = (origin.chat_id, origin.language);
    let parsed = match name {
        "auctions" | "subastas" => return Some(show(origin, None)),
        "bid" | "pujar" => parse_bid(text).map(|(auction, amount)| bid(origin, auction, amount)),
        "subasta" | "auction" => {
            return origin.operate(OperatorAction::OpenAuction, text, || {
                let update_id = origin.update_id;
                let spec = parse_auction(text, origin.user_id, limits)?;
                // The auction's id is known once it is open (the handler says).
                let target = Some(format!("item:{}", spec.item.0));
                let then = Translation::Auction(AuctionRequest::Create { chat_id, language, update_id, spec });
                Ok(Operation { target, then })
            });
        }
        "cancelarsubasta" | "cancelauction" => {
            return origin.operate(OperatorAction::CancelAuction, text, || {
                let auction = parse_auction_id(text)?;
                let then = Translation::Auction(AuctionRequest::Cancel { chat_id, language, auction });
                Ok(Operation { target: Some(format!("auction:{auction}")), then })
            });
        }
        _ => return None,
    };
    Some(parsed.unwrap_or_else(|refusal| origin.refuse(refusal)))
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    match action {
        Action::Auctions => Some(show(origin, None)),
        Action::Auction(auction) => Some(show(origin, Some(auction))),
        Action::Bid { auction, amount } => Some(match Besitos::new(amount) {
            Ok(amount) => bid(origin, auction, amount),
            // Signed by us, so never; refused like a forgery if so.
            Err(_) => origin.refuse_button(CallbackError::Malformed),
        }),
        _ => None,
    }
}

fn show(origin: &Origin<'_>, auction: Option<i64>) -> Translation {
    Translation::Auction(AuctionRequest::Show { user_id: origin.user_id, auction, reply: origin.reply.clone() })
}

fn bid(origin: &Origin<'_>, auction: i64, amount: Besitos) -> Translation {
    let (user_id, update_id, reply) = (origin.user_id, origin.update_id, origin.reply.clone());
    Translation::Auction(AuctionRequest::Bid { user_id, auction, amount, update_id, reply })
}

/// `/pujar <auction id> <amount>`.
fn parse_bid(text: &str) -> Result<(i64, Besitos), RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::Bid));
    let auction = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    let amount: i64 = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    Ok((auction, Besitos::new(amount)?))
}

/// The longest auction an operator may open: 30 days.
const MAX_AUCTION_SECS: i64 = 30 * 24 * 60 * 60;

/// `/subasta <item id> <starting bid> <duration> [min increment]`, the
/// duration in minutes (`30`) or seconds (`90s`), at least
/// `limits.min_duration_secs`; the increment defaults to a tenth of the
/// starting bid (at least 1).
fn parse_auction(text: &str, operator: UserId, limits: AuctionLimits) -> Result<AuctionSpec, RuleError> {
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::OpenAuction));
    let (item, starting, duration, increment) = match words.as_slice() {
        [item, starting, duration] => (item, starting, duration, None),
        [item, starting, duration, increment] => (item, starting, duration, Some(increment)),
        _ => return Err(usage()),
    };
    let number = |word: &str| word.parse::<i64>().map_err(|_| usage());
    let starting_bid = Besitos::new(number(starting)?)?;
    let min_increment = match increment {
        Some(increment) => Besitos::new(number(increment)?)?,
        None => Besitos::new((starting_bid.get() / 10).max(1))?,
    };
    let duration_secs = match duration.strip_suffix('s') {
        Some(seconds) => number(seconds)?,
        None => number(duration)?.checked_mul(60).ok_or_else(usage)?,
    };
    if duration_secs < limits.min_duration_secs {
        return Err(RuleError::Malformed(Malformed::AuctionTooShort { seconds: limits.min_duration_secs }));
    }
    if duration_secs > MAX_AUCTION_SECS {
        return Err(RuleError::Malformed(Malformed::AuctionTooLong { days: MAX_AUCTION_SECS / 86_400 }));
    }
    Ok(AuctionSpec {
        item: ItemId((*item).to_owned()),
        quantity: 1,
        starting_bid,
        min_increment,
        duration_secs,
        extension_secs: limits.extension_secs,
        created_by: operator,
    })
}

/// `/cancelarsubasta <auction id>`.
fn parse_auction_id(text: &str) -> Result<i64, RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::CancelAuction));
    let auction = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    Ok(auction)
}

impl Intake {
    pub(in crate::telegram) async fn handle_auction(&self, request: AuctionRequest) -> Result<Handled, Failure> {
        match request {
            AuctionRequest::Show { user_id, auction, reply } => self.show_auctions(user_id, auction, reply).await,
            AuctionRequest::Bid { user_id, auction, amount, update_id, reply } => {
                self.bid(user_id, auction, amount, update_id, reply).await
            }
            AuctionRequest::Create { chat_id, language, update_id, spec } => {
                let created = self.auctions.create_for_update(update_id, spec).await;
                let report = match created.map_err(auction_unavailable)? {
                    Ok(auction) => {
                        self.audit_target(format!("auction:{}", auction.id));
                        let parts = self.ui_parts();
                        screens::auction::created(language, &auction, parts.ui(), parts.now)
                    }
                    Err(refusal) => {
                        self.audit_failed(&refusal);
                        screens::refusal(language, &refusal)
                    }
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Durable)
            }
            AuctionRequest::Cancel { chat_id, language, auction } => {
                let report = match self.auctions.cancel(auction).await.map_err(auction_unavailable)? {
                    Ok(refunded) => screens::auction::cancelled(language, auction, refunded),
                    Err(refusal) => {
                        self.audit_failed(&refusal);
                        screens::refusal(language, &refusal)
                    }
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Durable)
            }
        }
    }

    async fn show_auctions(&self, user_id: UserId, auction: Option<i64>, reply: ReplyTo) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let rendered = match auction {
            None => {
                let open = self.auctions.open_auctions().await.map_err(auction_unavailable)?;
                let render = move |state: &UserState| screens::auction::list(state, &open, parts.ui());
                self.router.view(user_id, render).await
            }
            Some(id) => {
                let found = self.auctions.auction(id).await.map_err(auction_unavailable)?;
                let render = move |state: &UserState| match found {
                    Some(auction) => screens::auction::page(state, &auction, parts.ui(), parts.now, None),
                    None => screens::refusal(state.language(), &RuleError::UnknownAuction),
                };
                self.router.view(user_id, render).await
            }
        };
        self.show(reply, rendered)
    }

    async fn bid(
        &self,
        user_id: UserId,
        auction: i64,
        amount: Besitos,
        update_id: UpdateId,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let bid = self.coordinator.next_id().await?;
        let outcome = match self.auctions.bid(user_id, auction, amount, bid, Some(update_id)).await {
            Ok(outcome) => outcome,
            Err(AuctionError::Dispatch(err @ (DispatchError::ActorCrashed | DispatchError::Rejected))) => {
                return Err(err.into());
            }
            Err(err) => return Err(auction_unavailable(err)),
        };
        // The page as it stands after the bid, with what the bid did.
        let current = match &outcome {
            BidOutcome::Accepted { auction, .. } => Some(auction.clone()),
            BidOutcome::Refused(_) => self.auctions.auction(auction).await.map_err(auction_unavailable)?,
        };
        let parts = self.ui_parts();
        let refused = matches!(outcome, BidOutcome::Refused(_));
        let render = move |state: &UserState| {
            let note = screens::auction::bid_note(state.language(), &outcome, amount.get());
            let page = match &current {
                Some(auction) => screens::auction::page(state, auction, parts.ui(), parts.now, Some(&note)),
                None => screens::plain(note.clone()),
            };
            (page, note)
        };
        let (page, note) = self.router.view(user_id, render).await?;
        match reply {
            // A refused press also gets an alert, so it cannot go unnoticed.
            ReplyTo::Edit { chat_id, message_id, callback_query_id } => {
                self.outbound.submit(OutboundRequest::AnswerCallback {
                    callback_query_id,
                    text: Some(note),
                    show_alert: refused,
                });
                self.outbound.submit(OutboundRequest::Edit {
                    chat_id,
                    message_id,
                    text: page.text,
                    keyboard: page.keyboard,
                });
            }
            reply => self.answer(reply, Some(page)),
        }
        Ok(Handled::Durable)
    }
}

/// An auction operation that could not finish (the store or a step kept
/// failing): not acknowledged, so Telegram delivers it again; every step
/// is idempotent. (Not dead-lettered even if an actor crashed: only a bid
/// is, as before.)
fn auction_unavailable(err: AuctionError) -> Failure {
    tracing::error!(error = %err, "auction operation failed");
    match err {
        AuctionError::Dispatch(err) => Failure::NotDurable(err),
        AuctionError::Store(_) => Failure::NotDurable(DispatchError::NotDurable),
    }
}
