//! The server's own ids for purchases, transfers, auctions and bids.
//!
//! Telegram's `update_id` is no identity: its sequence starts again (a new
//! bot token, a week without updates). Ids come from the store in blocks,
//! so a restart, a second server or a clock step never repeats one; a block
//! left unused by a restart is simply skipped.

use std::ops::Range;

use dianabot_persistence::{Store, StoreError};
use tokio::sync::Mutex;

pub(crate) struct IdAllocator {
    store: Store,
    block: Mutex<Range<i64>>,
}

impl IdAllocator {
    pub fn new(store: Store) -> IdAllocator {
        IdAllocator { store, block: Mutex::new(0..0) }
    }

    /// An id never handed out before.
    pub async fn next(&self) -> Result<i64, StoreError> {
        let mut block = self.block.lock().await;
        loop {
            if let Some(id) = block.next() {
                return Ok(id);
            }
            *block = self.store.allocate_ids().await?;
        }
    }
}
