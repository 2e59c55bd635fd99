//! Channel content: broadcasts (the message players get, the operator's
//! reports), the opt-out answer, and fragment teasers for the channels.

use dianabot_game::content::{Content, Fragment, template};
use dianabot_game::{Language, UserState};
use dianabot_persistence::{Broadcast, BroadcastStatus, ScheduledPost};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::operators::utc;
use super::{Rendered, escape, plain, t, tw};
use crate::texts::catalogue as m;

/// The characters of a fragment's text a teaser shows.
const TEASER_CHARS: usize = 280;

/// What a player receives: the operator's words, as plain text.
pub fn broadcast_message(language: Language, text: &str) -> String {
    tw(language, m::BROADCAST_MESSAGE, &[("text", escape(text).into())])
}

/// The answer to `/difundir`: the job and how many players it will reach.
pub fn broadcast_created(language: Language, id: i64, audience: i64) -> Rendered {
    plain(tw(language, m::BROADCAST_CREATED, &[("id", id.into()), ("audience", audience.into())]))
}

/// The operator's message when a job is done.
pub fn broadcast_done(language: Language, job: &Broadcast) -> String {
    tw(language, m::BROADCAST_DONE, &counts(job))
}

fn counts(job: &Broadcast) -> [(&'static str, crate::texts::Arg<'static>); 5] {
    [
        ("id", job.id.into()),
        ("sent", job.sent.into()),
        ("skipped", job.skipped.into()),
        ("failed", job.failed.into()),
        ("unknown", (job.unknown + job.in_flight).into()),
    ]
}

/// `/difusiones`: the last jobs with their progress.
pub fn broadcasts_report(language: Language, jobs: &[Broadcast]) -> Rendered {
    let mut text = t(language, m::BROADCASTS_TITLE);
    if jobs.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::BROADCASTS_NONE));
    }
    for job in jobs {
        let excerpt: String = job.text.chars().take(40).collect();
        let status = match job.status {
            BroadcastStatus::Running => "running",
            BroadcastStatus::Done => "done",
        };
        let mut args = counts(job).to_vec();
        args.push(("status", status.into()));
        args.push(("excerpt", escape(&excerpt).into()));
        text.push('\n');
        text.push_str(&tw(language, m::BROADCASTS_LINE, &args));
    }
    plain(text)
}

/// `/noticias`: whether the player gets broadcasts, and how to change it.
pub fn news(state: &UserState) -> Rendered {
    let opted_out = state.profile.as_ref().is_some_and(|profile| profile.broadcasts_opt_out);
    plain(t(state.language(), if opted_out { m::NEWS_OFF } else { m::NEWS_ON }))
}

/// A teaser of `fragment` for a channel: its level's title and first lines,
/// with a button that opens it in the bot (`link`, a deep link).
pub fn teaser(language: Language, content: &Content, fragment: &Fragment, link: String) -> Option<Rendered> {
    let title = content.level(fragment.level).map_or("", |level| level.title.get(language));
    let full = template::render(fragment.text.get(language).trim(), None, str::to_owned);
    let full = full.as_str();
    let mut excerpt: String = full.chars().take(TEASER_CHARS).collect();
    if excerpt.len() < full.len() {
        // Cut at a word and say there is more.
        if let Some(space) = excerpt.rfind(char::is_whitespace) {
            excerpt.truncate(space);
        }
        excerpt.push('…');
    }
    let heading = tw(language, m::TEASER_TITLE, &[("title", escape(title).into())]);
    let text = format!("{heading}\n\n{}", escape(&excerpt));
    // `Url` is teloxide's re-export of `url::Url`; read through serde so
    // this crate needs no `url` dependency of its own.
    let url = serde_json::from_value(serde_json::Value::String(link)).ok()?;
    let button = InlineKeyboardButton::url(t(language, m::TEASER_BUTTON), url);
    Some(Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[button]])) })
}

/// Why a teaser was not posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeaserFailure {
    /// No such channel is configured (`FREE_CHANNEL_ID`, `VIP_CHANNEL_ID`).
    NoChannel,
    /// The bot does not know its username yet (getMe failed).
    NoUsername,
    /// Telegram did not take the post.
    NotSent,
}

/// The answer to `/teaser`: the post's message id, or why there is none.
pub fn teaser_report(language: Language, fragment: &str, result: Result<i32, TeaserFailure>) -> Rendered {
    match result {
        Ok(message) => {
            plain(tw(language, m::TEASER_PUBLISHED, &[("fragment", fragment.into()), ("message", message.into())]))
        }
        Err(failure) => {
            let reason = match failure {
                TeaserFailure::NoChannel => "no-channel",
                TeaserFailure::NoUsername => "no-username",
                TeaserFailure::NotSent => "not-sent",
            };
            plain(tw(language, m::TEASER_FAILED, &[("fragment", fragment.into()), ("reason", reason.into())]))
        }
    }
}

/// The answer to `/programar`: the post and when it will be published,
/// or that the channel it names is not configured.
pub fn post_scheduled(language: Language, post: Option<&ScheduledPost>, vip: bool) -> Rendered {
    let channel = if vip { "vip" } else { "free" };
    match post {
        Some(post) => plain(tw(
            language,
            m::POST_SCHEDULED,
            &[("id", post.id.into()), ("when", utc(post.due).into()), ("channel", channel.into())],
        )),
        None => plain(tw(language, m::POST_SCHEDULED_NO_CHANNEL, &[("channel", channel.into())])),
    }
}

/// `/programados`: the last posts scheduled, with where each stands.
pub fn scheduled_report(language: Language, posts: &[ScheduledPost]) -> Rendered {
    let mut text = t(language, m::SCHEDULED_TITLE);
    if posts.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::SCHEDULED_NONE));
    }
    for post in posts {
        let excerpt: String = post.text.chars().take(40).collect();
        let args = [
            ("id", post.id.into()),
            ("when", utc(post.due).into()),
            ("status", post.status.as_str().into()),
            ("excerpt", escape(&excerpt).into()),
        ];
        text.push('\n');
        text.push_str(&tw(language, m::SCHEDULED_LINE, &args));
    }
    plain(text)
}

/// How a channel command is written.
pub fn channel_usage(language: Language, command: &'static str) -> Rendered {
    let usage = tw(language, m::CHANNEL_USAGE, &[("command", command.into())]);
    plain(tw(language, m::REFUSED, &[("reason", escape(&usage).into())]))
}
