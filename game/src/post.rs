//! A channel post as players react to it: the pay table its reactions use
//! and its engagement counters. The post's actor owns one; the player's half
//! of a reaction is [`ReactionCommand::React`](crate::ReactionCommand::React).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::content::ReactionTarget;
use crate::event::{Event, Reacted};
use crate::ids::{PostRef, UserId};

/// What players did with a post: reactions paid (each user, post and emoji
/// once), how many players reacted, besitos paid for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub reactions: u64,
    pub unique_reactors: u64,
    pub besitos_paid: i64,
}

/// A post published in a channel the bot reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub post: PostRef,
    /// Which of the content's pay tables its reactions use.
    pub target: ReactionTarget,
    pub published_at: i64,
    /// The first characters of its text, for operators' screens.
    pub excerpt: String,
    reactors: HashSet<UserId>,
    engagement: Engagement,
}

impl Post {
    /// Posts keep this many characters of their text.
    pub const EXCERPT_CHARS: usize = 60;

    pub fn new(post: PostRef, target: ReactionTarget, published_at: i64, text: &str) -> Post {
        let excerpt = text.chars().take(Post::EXCERPT_CHARS).collect();
        Post { post, target, published_at, excerpt, reactors: HashSet::new(), engagement: Engagement::default() }
    }

    pub fn engagement(&self) -> Engagement {
        self.engagement
    }

    /// Counts one player's paid reactions on this post: `besitos` per
    /// reaction.
    pub fn count(&mut self, user: UserId, besitos: impl IntoIterator<Item = i64>) {
        let mut any = false;
        for paid in besitos {
            any = true;
            self.engagement.reactions += 1;
            self.engagement.besitos_paid = self.engagement.besitos_paid.saturating_add(paid);
        }
        if any && self.reactors.insert(user) {
            self.engagement.unique_reactors += 1;
        }
    }

    /// Counts what a player's decision paid on this post (its
    /// `ReactionRewarded` events; anything else is not this post's).
    pub fn count_events(&mut self, user: UserId, events: &[Event]) {
        let post = self.post;
        self.count(user, rewarded(events).filter(|(on, _)| *on == post).map(|(_, besitos)| besitos));
    }
}

/// The reactions on posts a decision paid: `(post, besitos)` of each.
pub fn rewarded(events: &[Event]) -> impl Iterator<Item = (PostRef, i64)> + '_ {
    events.iter().filter_map(|event| match event {
        Event::ReactionRewarded { on: Reacted::Post(post), besitos, .. } => Some((*post, *besitos)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> Post {
        Post::new(PostRef { chat_id: -100, message_id: 7 }, ReactionTarget::FreePost, 0, "Diana writes")
    }

    fn rewarded(message_id: i32, emoji: &str, besitos: i64) -> Event {
        let post = PostRef { chat_id: -100, message_id };
        Event::ReactionRewarded { on: Reacted::Post(post), emoji: emoji.to_owned(), besitos }
    }

    #[test]
    fn counts_reactions_reactors_and_besitos_of_this_post_only() {
        let mut post = post();
        post.count_events(UserId(1), &[rewarded(7, "❤", 3), rewarded(7, "🔥", 2), rewarded(8, "❤", 9)]);
        post.count_events(UserId(2), &[rewarded(7, "❤", 3)]);
        post.count_events(UserId(1), &[rewarded(7, "👍", 1)]);
        post.count_events(UserId(3), &[rewarded(8, "❤", 3)]);
        let on_a_story_page =
            Event::ReactionRewarded { on: Reacted::Fragment("l1".into()), emoji: "❤".into(), besitos: 2 };
        post.count_events(UserId(4), &[on_a_story_page]);
        assert_eq!(post.engagement(), Engagement { reactions: 4, unique_reactors: 2, besitos_paid: 9 });
    }

    #[test]
    fn keeps_a_short_excerpt() {
        let long = "é".repeat(200);
        let post = Post::new(PostRef { chat_id: -1, message_id: 1 }, ReactionTarget::VipPost, 0, &long);
        assert_eq!(post.excerpt.chars().count(), Post::EXCERPT_CHARS);
    }
}
