//! The actor runtime over a real store, in one test binary (one link of the
//! runtime, not six): actors, sagas (gifts, shop, auctions, reactions) and
//! the whole economy under injected faults. Helpers are in
//! `dianabot-test-support`, shared with the store's and the server's tests.

mod actors;
mod auction;
mod bank;
mod economy;
mod placement;
mod poisoned_write;
mod reactions;
mod shop;
mod timers;
