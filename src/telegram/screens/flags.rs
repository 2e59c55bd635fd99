//! A player's style (the profile's line, `/estilo` with the five scores as
//! bars) behind the `style` flag, and the operators' screens of feature
//! flags: `/flags`, a change's answer, `/jugador`'s record of a player.

use dianabot_game::archetype::{Archetype, Scores};
use dianabot_game::content::Content;
use dianabot_game::flags::{self, Audience, FlagOverride, format_percent};
use dianabot_game::{Language, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::operators::utc;
use super::{Rendered, Ui, escape, plain, t, tw};
use crate::flags::FlagChange;
use crate::telegram::callback::Action;
use crate::texts::catalogue::{self as m};

/// An archetype's name in `language`.
fn archetype_name(language: Language, archetype: Archetype) -> String {
    tw(language, m::ARCHETYPE_NAME, &[("archetype", archetype.key().into())])
}

/// Whether the `style` flag is on for the player now.
fn shows_style(state: &UserState, ui: Ui<'_>) -> bool {
    ui.content.flag(flags::STYLE, state, ui.now).is_some()
}

/// The profile's "your style" line, for players the `style` flag is on for.
pub(super) fn style_line(state: &UserState, ui: Ui<'_>) -> Option<String> {
    if !shows_style(state, ui) {
        return None;
    }
    let language = state.language();
    Some(match ui.content.style(state) {
        Some(style) => tw(language, m::PROFILE_STYLE, &[("style", archetype_name(language, style.archetype).into())]),
        None => t(language, m::PROFILE_STYLE_UNKNOWN),
    })
}

/// `/estilo`: the style and each archetype's share of the player's score
/// as a bar; for a player the `style` flag is off for, the command does
/// not exist.
pub(super) fn style(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    if !shows_style(state, ui) {
        return plain(t(language, m::NOT_UNDERSTOOD));
    }
    let scores = Scores::of(state, ui.content.archetypes());
    let mut text = t(language, m::STYLE_TITLE);
    text.push('\n');
    text.push_str(&match ui.content.style(state) {
        Some(style) => tw(language, m::STYLE_IS, &[("style", archetype_name(language, style.archetype).into())]),
        None => t(language, m::STYLE_NONE),
    });
    text.push('\n');
    let total = scores.total().max(1);
    for archetype in Archetype::ALL {
        let share = (u128::from(scores.get(archetype)) * 100 / u128::from(total)) as u32;
        let args =
            [("archetype", archetype_name(language, archetype).into()), ("bar", super::experience::bar(share).into())];
        text.push_str(&format!("\n{}", tw(language, m::STYLE_SCORE, &args)));
    }
    let back = ui.button(state, Action::Profile, &t(language, m::BACK_TO_PROFILE));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[back]])) }
}

/// Who a flag may be on for, in words (plain text).
pub(crate) fn audience(language: Language, audience: &Audience) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !audience.archetypes.is_empty() {
        let names: Vec<String> =
            audience.archetypes.iter().map(|&archetype| archetype_name(language, archetype)).collect();
        parts.push(names.join(", "));
    }
    if let Some(vip) = audience.vip {
        parts.push(tw(language, m::AUDIENCE_VIP, &[("vip", if vip { "yes" } else { "no" }.into())]));
    }
    if !audience.languages.is_empty() {
        let codes: Vec<&str> = audience.languages.iter().map(|language| language.code()).collect();
        parts.push(tw(language, m::AUDIENCE_LANGUAGES, &[("languages", codes.join(", ").into())]));
    }
    if !audience.users.is_empty() {
        parts.push(tw(language, m::AUDIENCE_USERS, &[("count", audience.users.len().into())]));
    }
    if parts.is_empty() { t(language, m::AUDIENCE_ALL) } else { parts.join(" · ") }
}

/// `/flags`: every flag of the live content — its rollout in force, the
/// content's and who changed it when an operator did, what it is for, its
/// audience and variants — and stored changes whose flag is gone.
pub fn flags_list(language: Language, content: &Content, overrides: &[FlagOverride]) -> Rendered {
    let live = &content.flags().0;
    let mut text = tw(language, m::FLAGS_TITLE, &[("count", live.len().into())]);
    if live.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::FLAGS_NONE));
    }
    for (name, flag) in live {
        let rollout = [("name", escape(name).into()), ("rollout", format_percent(flag.rollout).into())];
        text.push_str(&format!("\n\n{}", tw(language, m::FLAG_ROLLOUT, &rollout)));
        if let Some(row) = overrides.iter().find(|row| &row.flag == name) {
            let read = content.flag_as_read(name).map_or(0, |flag| flag.rollout);
            let args = [
                ("content", format_percent(read).into()),
                ("by", row.set_by.0.to_string().into()),
                ("at", utc(row.set_at).into()),
            ];
            text.push_str(&format!("\n{}", tw(language, m::FLAG_OVERRIDE, &args)));
        }
        if let Some(description) = content.flag_description(name) {
            text.push_str(&format!("\n<i>{}</i>", escape(description.get(language))));
        }
        let whom = audience(language, &flag.audience);
        text.push_str(&format!("\n{}", tw(language, m::FLAG_AUDIENCE, &[("audience", whom.into())])));
        if !flag.variants.is_empty() {
            let variants: Vec<String> =
                flag.variants.iter().map(|variant| format!("{} {}", escape(&variant.name), variant.weight)).collect();
            text.push_str(&format!(
                "\n{}",
                tw(language, m::FLAG_VARIANTS, &[("variants", variants.join(" · ").into())])
            ));
        }
    }
    for row in overrides.iter().filter(|row| !live.contains_key(&row.flag)) {
        let args = [("name", escape(&row.flag).into()), ("rollout", format_percent(row.rollout).into())];
        text.push_str(&format!("\n\n{}", tw(language, m::FLAG_ORPHAN, &args)));
    }
    plain(text)
}

/// The answer to `/flag <name> <percent|reset>`.
pub fn flag_changed(language: Language, change: &FlagChange) -> Rendered {
    let name = escape(&change.flag);
    let (after, before, content) =
        (format_percent(change.after), format_percent(change.before), format_percent(change.content));
    plain(if change.reset {
        tw(language, m::FLAG_RESET, &[("name", name.into()), ("rollout", content.into()), ("before", before.into())])
    } else {
        let args =
            [("name", name.into()), ("rollout", after.into()), ("before", before.into()), ("content", content.into())];
        tw(language, m::FLAG_SET, &args)
    })
}

/// After `/reload`: the stored flag changes the new content ignored.
pub fn ignored_overrides(language: Language, flags: &[String]) -> String {
    if flags.is_empty() {
        return String::new();
    }
    let names: Vec<String> = flags.iter().map(|flag| escape(flag)).collect();
    format!("\n{}", tw(language, m::RELOAD_IGNORED_OVERRIDES, &[("flags", names.join(", ").into())]))
}

/// `/jugador <id>`: the player's style and confidence, the five scores,
/// and the variant of every flag they get now — rendered in their actor,
/// from the state it holds and the live content.
pub fn player(language: Language, state: &UserState, content: &Content, now: i64) -> Rendered {
    let user = state.id.0.to_string();
    let Some(profile) = &state.profile else {
        return plain(tw(language, m::PLAYER_UNKNOWN, &[("user", user.into())]));
    };
    let mut text =
        tw(language, m::PLAYER_TITLE, &[("user", user.into()), ("name", escape(&profile.first_name).into())]);
    let weights = content.archetypes();
    let scores = Scores::of(state, weights);
    text.push('\n');
    text.push_str(&match scores.dominant(weights.min_score) {
        Some(style) => tw(
            language,
            m::PLAYER_STYLE,
            &[("style", archetype_name(language, style.archetype).into()), ("confidence", style.confidence.into())],
        ),
        None => tw(
            language,
            m::PLAYER_STYLE_NONE,
            &[("total", scores.total().to_string().into()), ("min", weights.min_score.to_string().into())],
        ),
    });
    for archetype in Archetype::ALL {
        let args = [
            ("archetype", archetype_name(language, archetype).into()),
            ("score", scores.get(archetype).to_string().into()),
        ];
        text.push_str(&format!("\n· {}", tw(language, m::PLAYER_SCORE, &args)));
    }
    text.push_str(&format!("\n\n{}", t(language, m::PLAYER_FLAGS)));
    let subject = content.subject(state, now);
    for (name, flag) in &content.flags().0 {
        let line = match flag.evaluate(&subject) {
            Some(variant) => {
                tw(language, m::PLAYER_FLAG, &[("name", escape(name).into()), ("variant", escape(variant).into())])
            }
            None => tw(language, m::PLAYER_FLAG_OFF, &[("name", escape(name).into())]),
        };
        text.push_str(&format!("\n· {line}"));
    }
    plain(text)
}
