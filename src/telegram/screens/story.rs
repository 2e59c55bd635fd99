//! The story pages: the fragment the player stands on and its choices, what
//! a locked choice lacks and how to get it, the VIP door, the path taken.

use dianabot_game::content::{ComponentKind, Content, Fragment, Hint, Lack, Missing, evaluate, template};
use dianabot_game::story::{self, fragment_tag};
use dianabot_game::{Event, Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::{Rendered, Ui, escape, refusal, t, tw};
use crate::telegram::callback::Action;
use crate::texts::catalogue::{self as m};
use crate::texts::{Arg, Message};

/// How much of a VIP fragment a free player may read.
const PREVIEW_CHARS: usize = 160;

/// The page after a story command: the VIP door if it was refused, else
/// where the player now stands.
pub(super) fn after(state: &UserState, events: &[Event], ui: Ui<'_>) -> Rendered {
    let denied = events.iter().find_map(|event| match event {
        Event::VipDenied { fragment } => Some(fragment.as_str()),
        _ => None,
    });
    match denied {
        Some(fragment) => vip_door(state, fragment, ui),
        None => page(state, ui, None),
    }
}

/// The current fragment with its decisions; `refused` explains why the
/// last choice was not taken.
pub(super) fn page(state: &UserState, ui: Ui<'_>, refused: Option<&RuleError>) -> Rendered {
    let (language, content) = (state.language(), ui.content);
    let Some(fragment) = story::current(state, content) else {
        let open = ui.button(state, Action::Story, &t(language, m::OPEN_STORY));
        let back = ui.button(state, Action::Menu, &t(language, m::BACK));
        let keyboard = InlineKeyboardMarkup::new([vec![open], vec![back]]);
        return Rendered { text: t(language, m::NOT_IN_STORY), keyboard: Some(keyboard) };
    };
    let title = content.level(fragment.level).map_or("", |level| level.title.get(language));
    let body = template::render(fragment.text.get(language).trim(), Some(state), escape);
    let mut text = format!("📖 <b>{}</b>\n\n{body}", escape(title));
    if fragment.ending {
        text.push_str(&format!("\n\n{}", t(language, m::STORY_ENDING)));
    }
    let here = fragment.id.as_str();
    let part_of = super::experience::part_of(state, ui, |kind| match kind {
        ComponentKind::Fragment(id) | ComponentKind::Decision(id, _) => id.as_str() == here,
        _ => false,
    });
    if !part_of.is_empty() {
        text.push_str(&format!("\n{part_of}"));
    }
    match refused {
        Some(RuleError::RequirementsNotMet { missing }) => {
            text.push_str(&format!("\n\n{}", t(language, m::STORY_LOCKED)));
            for missing in missing {
                text.push_str(&describe(missing, language, content, 0));
            }
        }
        Some(other) => text.push_str(&format!("\n\n{}", refusal(language, other).text)),
        None => {}
    }
    let tag = fragment_tag(fragment.id.as_str());
    let is_vip = content.is_vip(state, ui.now);
    let mut rows: Vec<Vec<_>> = fragment
        .decisions
        .iter()
        .enumerate()
        .map(|(choice, decision)| {
            let to_vip = content.fragment(decision.to.as_str()).is_some_and(|to| content.is_vip_fragment(to));
            let marker = if to_vip && !is_vip {
                "💎 "
            } else if !evaluate(&decision.requirement(), state, content, ui.now).allowed {
                "🔒 "
            } else {
                ""
            };
            let label = format!("{marker}{}", decision.label.get(language));
            let choice = u8::try_from(choice).unwrap_or(u8::MAX);
            vec![ui.button(state, Action::Decide { fragment: tag, choice }, &label)]
        })
        .collect();
    if fragment.ending {
        rows.push(vec![ui.button(state, Action::RestartStory, &t(language, m::STORY_RESTART))]);
    }
    rows.push(vec![
        ui.button(state, Action::History, &t(language, m::STORY_HISTORY)),
        ui.button(state, Action::Menu, &t(language, m::BACK)),
    ]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// ACCEDER_NARRATIVA_VIP refused: a preview and the way in.
fn vip_door(state: &UserState, fragment: &str, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let preview = ui.content.fragment(fragment).map_or(String::new(), |fragment| {
        let full = plain_text(fragment, state);
        let full = full.as_str();
        let cut: String = full.chars().take(PREVIEW_CHARS).collect();
        if cut.len() < full.len() { format!("{cut}…") } else { cut }
    });
    let text = tw(language, m::VIP_DOOR, &[("preview", escape(&preview).into())]);
    let keyboard = InlineKeyboardMarkup::new([
        vec![ui.button(state, Action::Vip, &t(language, m::BECOME_VIP))],
        vec![ui.button(state, Action::Story, &t(language, m::BACK_TO_STORY))],
    ]);
    Rendered { text, keyboard: Some(keyboard) }
}

/// The path taken: fragments read, secrets and endings found.
pub(super) fn history(state: &UserState, ui: Ui<'_>) -> Rendered {
    let (language, content) = (state.language(), ui.content);
    let story = &state.progress.story;
    let secrets = content.fragments().filter(|fragment| fragment.secret).count();
    let endings_reached =
        story.path.iter().filter(|id| content.fragment(id).is_some_and(|fragment| fragment.ending)).count();
    let args = [
        ("read", story.path.len().into()),
        ("secrets", story.secrets_found.len().into()),
        ("secrets_total", secrets.into()),
        ("endings", endings_reached.into()),
    ];
    let mut text = tw(language, m::HISTORY, &args);
    for id in story.path.iter().rev().take(5) {
        let Some(fragment) = content.fragment(id) else { continue };
        let opening: String = plain_text(fragment, state).chars().take(60).collect();
        text.push_str(&format!("\n• {}…", escape(&opening)));
    }
    let keyboard = InlineKeyboardMarkup::new([vec![
        ui.button(state, Action::Story, &t(language, m::BACK_TO_STORY)),
        ui.button(state, Action::Menu, &t(language, m::BACK)),
    ]]);
    Rendered { text, keyboard: Some(keyboard) }
}

/// A fragment's text for `state`'s player, variables filled in, not yet
/// escaped (for previews cut to a length).
fn plain_text(fragment: &Fragment, state: &UserState) -> String {
    template::render(fragment.text.get(state.language()).trim(), Some(state), str::to_owned)
}

/// One missing thing and how to get it, as a bullet (nested for any-of).
pub(super) fn describe(missing: &Missing, language: Language, content: &Content, depth: usize) -> String {
    let indent = "  ".repeat(depth);
    let name =
        |text: Option<&dianabot_game::content::Text>, id: &str| escape(text.map_or(id, |text| text.get(language)));
    let named = |message: Message, name: String| tw(language, message, &[("name", name.into())]);
    let what = match &missing.lack {
        Lack::Flag(_) => t(language, m::LACK_FLAG),
        Lack::ForbiddenFlag(_) => t(language, m::LACK_FORBIDDEN),
        Lack::Vip => t(language, m::LACK_VIP),
        Lack::Item { item, have, needed } => {
            let args: [(&str, Arg<'_>); 3] = [
                ("item", name(content.item(&item.0).map(|item| &item.name), &item.0).into()),
                ("needed", (*needed).into()),
                ("have", (*have).into()),
            ];
            tw(language, m::LACK_ITEM, &args)
        }
        Lack::Achievement(id) => {
            named(m::LACK_ACHIEVEMENT, name(content.achievement(id.as_str()).map(|a| &a.name), id.as_str()))
        }
        Lack::Experience(id) => {
            named(m::LACK_EXPERIENCE, name(content.experience(id.as_str()).map(|e| &e.name), id.as_str()))
        }
        Lack::Besitos { have, needed } => {
            tw(language, m::LACK_BESITOS, &[("needed", (*needed).into()), ("have", (*have).into())])
        }
        Lack::Level { have, needed, .. } => {
            tw(language, m::LACK_LEVEL, &[("needed", (*needed).into()), ("have", (*have).into())])
        }
        Lack::OneOf(alternatives) => {
            let mut text = t(language, m::LACK_ONE_OF);
            for alternative in alternatives {
                for missing in alternative {
                    text.push_str(&describe(missing, language, content, depth + 1));
                }
            }
            return format!("\n{indent}• {text}");
        }
    };
    let how: Vec<String> = missing.hints.iter().take(2).map(|hint| hint_text(hint, language, content)).collect();
    if how.is_empty() {
        format!("\n{indent}• {what}")
    } else {
        format!("\n{indent}• {what} — {}", how.join(&t(language, m::OR)))
    }
}

fn hint_text(hint: &Hint, language: Language, content: &Content) -> String {
    let named = |text: Option<&dianabot_game::content::Text>, message: Message| {
        let name = escape(text.map_or("?", |text| text.get(language)));
        tw(language, message, &[("name", name.into())])
    };
    match hint {
        Hint::Shop(id) => named(content.shop_item(id.as_str()).map(|item| &item.name), m::HINT_SHOP),
        Hint::Mission(id) => named(content.mission(id.as_str()).map(|mission| &mission.name), m::HINT_MISSION),
        Hint::Achievement(id) => {
            named(content.achievement(id.as_str()).map(|achievement| &achievement.description), m::HINT_ACHIEVEMENT)
        }
        Hint::Experience(id) => named(content.experience(id.as_str()).map(|e| &e.name), m::HINT_EXPERIENCE),
        Hint::Decision { fragment, decision } => {
            named(content.decision(fragment.as_str(), decision.as_str()).map(|d| &d.label), m::HINT_DECISION)
        }
        Hint::React => t(language, m::HINT_REACT),
        Hint::SubscribeVip => t(language, m::HINT_VIP),
    }
}
