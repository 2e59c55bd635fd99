//! Auctions as pure rules: the auction's half (minimum, increment,
//! anti-sniping, close, cancel) and the bidder's escrow steps (hold,
//! release, consume), idempotent by (auction, bid), conserving besitos.

mod support;

use support::content;

use dianabot_game::auction::{Auction, AuctionSpec, AuctionStatus, TopBid};
use dianabot_game::{
    Account, AdminCommand, AuctionCommand, Besitos, Command, Event, ItemId, Language, LedgerEntry, ProfileCommand,
    RuleError, UserId, UserState,
};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn besitos(amount: i64) -> Besitos {
    Besitos::new(amount).unwrap()
}

fn spec(starting: i64, increment: i64, duration: i64) -> AuctionSpec {
    AuctionSpec {
        item: ItemId("rosa_negra".into()),
        quantity: 1,
        starting_bid: besitos(starting),
        min_increment: besitos(increment),
        duration_secs: duration,
        extension_secs: 60,
        created_by: UserId(1),
    }
}

fn run(state: &mut UserState, command: &Command) -> Result<Vec<Event>, RuleError> {
    support::run_at(state, command, NOW)
}

fn player(id: i64, grant: i64) -> UserState {
    let mut state = UserState::new(UserId(id));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run(&mut state, &register).unwrap();
    run(&mut state, &Command::Admin(AdminCommand::AdminGrant(besitos(grant)))).unwrap();
    state
}

fn ledger(events: &[Event]) -> Vec<&LedgerEntry> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

#[test]
fn an_auction_refuses_unknown_items_and_empty_durations() {
    let mut unknown = spec(10, 1, 60);
    unknown.item = ItemId("nope".into());
    assert_eq!(Auction::open(1, unknown, content(), NOW), Err(RuleError::UnknownItem(ItemId("nope".into()))));
    assert_eq!(Auction::open(1, spec(10, 1, 0), content(), NOW), Err(RuleError::NonPositiveAmount(0)));
    let auction = Auction::open(1, spec(10, 2, 600), content(), NOW).unwrap();
    assert_eq!((auction.status, auction.ends_at, auction.minimum_bid()), (AuctionStatus::Open, NOW + 600, 10));
}

#[test]
fn bids_must_reach_the_minimum_and_then_the_increment() {
    let mut auction = Auction::open(1, spec(10, 5, 600), content(), NOW).unwrap();
    assert_eq!(auction.accept(UserId(2), 1, besitos(9), NOW), Err(RuleError::BidTooLow { minimum: 10 }));
    let accepted = auction.accept(UserId(2), 1, besitos(10), NOW).unwrap();
    assert_eq!(accepted.outbid, None);
    assert_eq!(auction.accept(UserId(3), 2, besitos(14), NOW), Err(RuleError::BidTooLow { minimum: 15 }));
    let accepted = auction.accept(UserId(3), 2, besitos(15), NOW).unwrap();
    assert_eq!(accepted.outbid, Some(TopBid { bidder: UserId(2), bid: 1, amount: 10 }));
    // Raising one's own top bid is a new bid that outbids the old one.
    let accepted = auction.accept(UserId(3), 3, besitos(20), NOW).unwrap();
    assert_eq!(accepted.outbid, Some(TopBid { bidder: UserId(3), bid: 2, amount: 15 }));
    // Placing the top bid again is a no-op, not a refusal.
    let again = auction.accept(UserId(3), 3, besitos(20), NOW).unwrap();
    assert_eq!((again.outbid, auction.top.map(|top| top.bid)), (None, Some(3)));
}

#[test]
fn a_bid_in_the_last_seconds_extends_the_auction() {
    let mut auction = Auction::open(1, spec(10, 1, 600), content(), NOW).unwrap();
    let early = auction.accept(UserId(2), 1, besitos(10), NOW + 100).unwrap();
    assert!(!early.extended);
    assert_eq!(auction.ends_at, NOW + 600);
    let late = auction.accept(UserId(3), 2, besitos(11), NOW + 590).unwrap();
    assert!(late.extended);
    assert_eq!(auction.ends_at, NOW + 660);
}

#[test]
fn closed_and_cancelled_auctions_take_no_bids() {
    let short = AuctionSpec { extension_secs: 10, ..spec(10, 1, 60) };
    let mut auction = Auction::open(1, short, content(), NOW).unwrap();
    auction.accept(UserId(2), 1, besitos(10), NOW).unwrap();
    assert_eq!(auction.close(NOW + 59), Err(RuleError::AuctionRunning { ends_at: NOW + 60 }));
    assert_eq!(auction.accept(UserId(3), 2, besitos(50), NOW + 60), Err(RuleError::AuctionClosed));
    let winner = auction.close(NOW + 60).unwrap();
    assert_eq!(winner.map(|top| top.bidder), Some(UserId(2)));
    assert_eq!(auction.accept(UserId(3), 2, besitos(50), NOW + 61), Err(RuleError::AuctionClosed));
    assert_eq!(auction.cancel(), Err(RuleError::AuctionClosed));

    let mut cancelled = Auction::open(2, spec(10, 1, 60), content(), NOW).unwrap();
    cancelled.cancel().unwrap();
    assert_eq!(cancelled.accept(UserId(3), 3, besitos(50), NOW), Err(RuleError::AuctionCancelled));
    assert_eq!(cancelled.close(NOW + 100), Err(RuleError::AuctionCancelled));
}

#[test]
fn a_hold_moves_besitos_to_escrow_once_and_a_release_brings_them_back_once() {
    let mut ana = player(2, 90);
    let hold = Command::Auction(AuctionCommand::HoldBid { auction: 7, bid: 1, amount: besitos(40) });
    let events = run(&mut ana, &hold).unwrap();
    assert_eq!(ledger(&events)[0].counter_account, Account::Escrow(7));
    assert_eq!(ana.wallet.balance, 60);
    assert!(run(&mut ana, &hold).unwrap().is_empty(), "a repeated hold holds once");
    assert_eq!(
        run(&mut ana, &Command::Auction(AuctionCommand::HoldBid { auction: 7, bid: 2, amount: besitos(61) })),
        Err(RuleError::InsufficientFunds { balance: 60, needed: 61 })
    );
    let release = Command::Auction(AuctionCommand::ReleaseHold { auction: 7, bid: 1 });
    run(&mut ana, &release).unwrap();
    assert_eq!(ana.wallet.balance, 100);
    assert!(run(&mut ana, &release).unwrap().is_empty(), "a repeated release pays once");
    assert!(ana.progress.holds.is_empty());
}

#[test]
fn consuming_the_winning_hold_charges_once_and_grants_the_item_once() {
    let mut ana = player(2, 90);
    run(&mut ana, &Command::Auction(AuctionCommand::HoldBid { auction: 7, bid: 1, amount: besitos(40) })).unwrap();
    let consume = Command::Auction(AuctionCommand::ConsumeHold {
        auction: 7,
        bid: 1,
        item: ItemId("rosa_negra".into()),
        quantity: 1,
    });
    let events = run(&mut ana, &consume).unwrap();
    let entries = ledger(&events);
    assert_eq!(entries.iter().map(|entry| entry.amount).sum::<i64>(), 0, "the balance was debited at the hold");
    assert_eq!(entries[1].counter_account, Account::System(dianabot_game::Reason::AuctionWon));
    assert_eq!((ana.wallet.balance, ana.item_count(&ItemId("rosa_negra".into()))), (60, 1));
    assert!(run(&mut ana, &consume).unwrap().is_empty(), "a repeated settlement grants once");
    // A late release of the consumed hold finds nothing.
    assert!(run(&mut ana, &Command::Auction(AuctionCommand::ReleaseHold { auction: 7, bid: 1 })).unwrap().is_empty());
    assert_eq!((ana.wallet.balance, ana.item_count(&ItemId("rosa_negra".into()))), (60, 1));
    // Consuming a hold that is not there is refused.
    let stray = Command::Auction(AuctionCommand::ConsumeHold {
        auction: 8,
        bid: 9,
        item: ItemId("rosa_negra".into()),
        quantity: 1,
    });
    assert_eq!(run(&mut ana, &stray), Err(RuleError::NoSuchHold));
}

/// One step of a random bidding session, against one auction per id.
#[derive(Debug, Clone)]
enum Step {
    Bid { user: usize, auction: i64, amount: i64 },
    Close { auction: i64 },
    Cancel { auction: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..4usize, 0..3i64, 1..80i64).prop_map(|(user, auction, amount)| Step::Bid { user, auction, amount }),
        1 => (0..3i64).prop_map(|auction| Step::Close { auction }),
        1 => (0..3i64).prop_map(|auction| Step::Cancel { auction }),
    ]
}

proptest! {
    /// The bid saga run with the pure rules: every wallet is the sum of its
    /// journal and never negative; Σ wallets + Σ escrow = faucets − sinks;
    /// each escrow account holds exactly the auction's live holds; once
    /// auctions end, nothing is held and each winner got one item.
    #[test]
    fn besitos_are_conserved_through_escrow(steps in prop::collection::vec(step(), 0..80)) {
        let mut users: Vec<UserState> = (0..4).map(|id| player(id + 10, 100)).collect();
        let mut auctions: Vec<Auction> =
            (0..3).map(|id| Auction::open(id, spec(5, 3, 600), content(), NOW).unwrap()).collect();
        let mut journal: Vec<(usize, LedgerEntry)> = Vec::new();
        let apply = |users: &mut Vec<UserState>, journal: &mut Vec<(usize, LedgerEntry)>, user: usize, command: Command| {
            let result = run(&mut users[user], &command);
            for event in result.iter().flatten() {
                if let Event::Ledger(entry) = event {
                    journal.push((user, entry.clone()));
                }
            }
            result
        };
        // Each player starts from 110 (welcome bonus and grant), outside the journal.
        prop_assert!(users.iter().all(|user| user.wallet.balance == 110));
        let mut next_bid = 0;
        let mut won = 0;
        for step in steps {
            match step {
                Step::Bid { user, auction, amount } => {
                    next_bid += 1;
                    let hold = Command::Auction(AuctionCommand::HoldBid { auction, bid: next_bid, amount: besitos(amount) });
                    if apply(&mut users, &mut journal, user, hold).is_err() {
                        continue;
                    }
                    let bidder = users[user].id;
                    let release = match auctions[auction as usize].accept(bidder, next_bid, besitos(amount), NOW) {
                        Ok(accepted) => accepted.outbid.map(|outbid| (outbid.bidder, outbid.bid)),
                        Err(_) => Some((bidder, next_bid)),
                    };
                    if let Some((owner, bid)) = release {
                        let owner = users.iter().position(|state| state.id == owner).unwrap();
                        apply(&mut users, &mut journal, owner, Command::Auction(AuctionCommand::ReleaseHold { auction, bid })).unwrap();
                    }
                }
                Step::Close { auction } => {
                    let state = &mut auctions[auction as usize];
                    state.ends_at = NOW;
                    if let Ok(Some(top)) = state.close(NOW) {
                        let owner = users.iter().position(|user| user.id == top.bidder).unwrap();
                        let consume = Command::Auction(AuctionCommand::ConsumeHold {
                            auction, bid: top.bid, item: state.item.clone(), quantity: state.quantity,
                        });
                        apply(&mut users, &mut journal, owner, consume).unwrap();
                        won += 1;
                    }
                }
                Step::Cancel { auction } => {
                    if auctions[auction as usize].cancel().is_ok() {
                        for user in 0..users.len() {
                            let held: Vec<i64> = users[user].progress.holds.keys()
                                .filter(|(id, _)| *id == auction).map(|(_, bid)| *bid).collect();
                            for bid in held {
                                apply(&mut users, &mut journal, user, Command::Auction(AuctionCommand::ReleaseHold { auction, bid })).unwrap();
                            }
                        }
                    }
                }
            }
            // Invariants after every step.
            for (index, state) in users.iter().enumerate() {
                prop_assert!(state.wallet.balance >= 0);
                let own: i64 = journal.iter().filter(|(user, _)| *user == index).map(|(_, e)| e.amount).sum();
                prop_assert_eq!(state.wallet.balance, own + 110);
            }
            for auction in &auctions {
                let escrow: i64 = -journal.iter()
                    .filter(|(_, e)| e.counter_account == Account::Escrow(auction.id))
                    .map(|(_, e)| e.amount).sum::<i64>();
                let held: i64 = users.iter().flat_map(|user| user.progress.holds.iter())
                    .filter(|((id, _), _)| *id == auction.id).map(|(_, amount)| amount).sum();
                prop_assert_eq!(escrow, held, "escrow of auction {}", auction.id);
                // Only the open auction's top bid stays held.
                let top = auction.top.filter(|_| auction.status == AuctionStatus::Open).map_or(0, |top| top.amount);
                prop_assert_eq!(held, top);
            }
            let wallets: i64 = users.iter().map(|user| user.wallet.balance).sum();
            let escrow: i64 = users.iter().flat_map(|user| user.progress.holds.values()).sum();
            let system: i64 = journal.iter()
                .filter(|(_, e)| matches!(e.counter_account, Account::System(_)))
                .map(|(_, e)| e.amount).sum::<i64>() + 4 * 110;
            prop_assert_eq!(wallets + escrow, system);
        }
        let items: u32 = users.iter().map(|user| user.item_count(&ItemId("rosa_negra".into()))).sum();
        prop_assert_eq!(items, won);
    }
}
