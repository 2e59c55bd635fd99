//! The story pages: the fragment the player stands on and its choices, what
//! a locked choice lacks and how to get it, the VIP door, the path taken.

use dianabot_game::content::{Content, Hint, Lack, Missing, evaluate};
use dianabot_game::story::{self, fragment_tag};
use dianabot_game::{Event, Language, RuleError, UserState};
use dianabot_plumbing::unix_now;
use teloxide_core::types::InlineKeyboardMarkup;

use super::{BACK, Rendered, Text, Ui, escape, refusal, t};
use crate::telegram::callback::Action;

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
        let open = ui.button(state, Action::Story, t(language, OPEN_STORY));
        let keyboard = InlineKeyboardMarkup::new([vec![open], vec![ui.button(state, Action::Menu, t(language, BACK))]]);
        return Rendered { text: t(language, NOT_IN_STORY).to_owned(), keyboard: Some(keyboard) };
    };
    let title = content.level(fragment.level).map_or("", |level| level.title.get(language));
    let mut text = format!("📖 <b>{}</b>\n\n{}", escape(title), escape(fragment.text.get(language).trim()));
    if fragment.ending {
        text.push_str(t(language, ENDING));
    }
    match refused {
        Some(RuleError::RequirementsNotMet { missing }) => {
            text.push_str(t(language, LOCKED));
            for missing in missing {
                text.push_str(&describe(missing, language, content, 0));
            }
        }
        Some(other) => text.push_str(&format!("\n\n{}", refusal(language, other).text)),
        None => {}
    }
    let tag = fragment_tag(fragment.id.as_str());
    let is_vip = content.is_vip(state, unix_now());
    let mut rows: Vec<Vec<_>> = fragment
        .decisions
        .iter()
        .enumerate()
        .map(|(choice, decision)| {
            let to_vip = content.fragment(decision.to.as_str()).is_some_and(|to| content.is_vip_fragment(to));
            let marker = if to_vip && !is_vip {
                "💎 "
            } else if !evaluate(&decision.requirement(), state, content, unix_now()).allowed {
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
        rows.push(vec![ui.button(state, Action::RestartStory, t(language, RESTART))]);
    }
    rows.push(vec![
        ui.button(state, Action::History, t(language, HISTORY)),
        ui.button(state, Action::Menu, t(language, BACK)),
    ]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// ACCEDER_NARRATIVA_VIP refused: a preview and the way in.
fn vip_door(state: &UserState, fragment: &str, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let preview = ui.content.fragment(fragment).map_or(String::new(), |fragment| {
        let full = fragment.text.get(language).trim();
        let cut: String = full.chars().take(PREVIEW_CHARS).collect();
        if cut.len() < full.len() { format!("{cut}…") } else { cut }
    });
    let text = t(language, VIP_DOOR).replace("{preview}", &escape(&preview));
    let keyboard = InlineKeyboardMarkup::new([
        vec![ui.button(state, Action::Vip, t(language, BECOME_VIP))],
        vec![ui.button(state, Action::Story, t(language, BACK_TO_STORY))],
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
    let mut text = t(language, HISTORY_TEXT)
        .replace("{read}", &story.path.len().to_string())
        .replace("{secrets}", &story.secrets_found.len().to_string())
        .replace("{secrets_total}", &secrets.to_string())
        .replace("{endings}", &endings_reached.to_string());
    for id in story.path.iter().rev().take(5) {
        let Some(fragment) = content.fragment(id) else { continue };
        let opening: String = fragment.text.get(language).trim().chars().take(60).collect();
        text.push_str(&format!("\n• {}…", escape(&opening)));
    }
    let keyboard = InlineKeyboardMarkup::new([vec![
        ui.button(state, Action::Story, t(language, BACK_TO_STORY)),
        ui.button(state, Action::Menu, t(language, BACK)),
    ]]);
    Rendered { text, keyboard: Some(keyboard) }
}

/// VIP status and what it opens.
pub(super) fn vip(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let text = match state.progress.vip_until.filter(|&until| until > unix_now()) {
        Some(until) => t(language, VIP_ACTIVE).replace("{days}", &((until - unix_now()) / 86_400 + 1).to_string()),
        None => t(language, VIP_INACTIVE).to_owned(),
    };
    let keyboard = InlineKeyboardMarkup::new([vec![ui.button(state, Action::Menu, t(language, BACK))]]);
    Rendered { text, keyboard: Some(keyboard) }
}

/// One missing thing and how to get it, as a bullet (nested for any-of).
pub(super) fn describe(missing: &Missing, language: Language, content: &Content, depth: usize) -> String {
    let indent = "  ".repeat(depth);
    let name =
        |text: Option<&dianabot_game::content::Text>, id: &str| escape(text.map_or(id, |text| text.get(language)));
    let what = match &missing.lack {
        Lack::Flag(_) => t(language, LACK_FLAG).to_owned(),
        Lack::ForbiddenFlag(_) => t(language, LACK_FORBIDDEN).to_owned(),
        Lack::Vip => t(language, LACK_VIP).to_owned(),
        Lack::Item { item, have, needed } => t(language, LACK_ITEM)
            .replace("{item}", &name(content.item(&item.0).map(|item| &item.name), &item.0))
            .replace("{have}", &have.to_string())
            .replace("{needed}", &needed.to_string()),
        Lack::Achievement(id) => t(language, LACK_ACHIEVEMENT)
            .replace("{name}", &name(content.achievement(id.as_str()).map(|a| &a.name), id.as_str())),
        Lack::Experience(id) => t(language, LACK_EXPERIENCE)
            .replace("{name}", &name(content.experience(id.as_str()).map(|e| &e.name), id.as_str())),
        Lack::Besitos { have, needed } => {
            t(language, LACK_BESITOS).replace("{have}", &have.to_string()).replace("{needed}", &needed.to_string())
        }
        Lack::Level { have, needed, .. } => {
            t(language, LACK_LEVEL).replace("{have}", &have.to_string()).replace("{needed}", &needed.to_string())
        }
        Lack::OneOf(alternatives) => {
            let mut text = t(language, LACK_ONE_OF).to_owned();
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
        format!("\n{indent}• {what} — {}", how.join(t(language, OR)))
    }
}

fn hint_text(hint: &Hint, language: Language, content: &Content) -> String {
    let named = |text: Option<&dianabot_game::content::Text>, template: Text| {
        t(language, template).replace("{name}", &escape(text.map_or("?", |text| text.get(language))))
    };
    match hint {
        Hint::Shop(id) => named(content.shop_item(id.as_str()).map(|item| &item.name), HINT_SHOP),
        Hint::Mission(id) => named(content.mission(id.as_str()).map(|mission| &mission.name), HINT_MISSION),
        Hint::Achievement(id) => {
            named(content.achievement(id.as_str()).map(|achievement| &achievement.description), HINT_ACHIEVEMENT)
        }
        Hint::Experience(id) => named(content.experience(id.as_str()).map(|e| &e.name), HINT_EXPERIENCE),
        Hint::Decision { fragment, decision } => {
            named(content.decision(fragment.as_str(), decision.as_str()).map(|d| &d.label), HINT_DECISION)
        }
        Hint::React => t(language, HINT_REACT).to_owned(),
        Hint::SubscribeVip => t(language, HINT_VIP).to_owned(),
    }
}

const OPEN_STORY: Text = ("📖 Abrir la historia", "📖 Open the story");
const NOT_IN_STORY: Text = ("📖 Aún no ha entrado en la casa.", "📖 You have not entered the house yet.");
const ENDING: Text = ("\n\n🏁 <i>Fin de este camino.</i>", "\n\n🏁 <i>The end of this path.</i>");
const RESTART: Text = ("↺ Empezar de nuevo", "↺ Begin again");
const HISTORY: Text = ("📜 Recorrido", "📜 Path");
const BACK_TO_STORY: Text = ("« Volver a la historia", "« Back to the story");
const BECOME_VIP: Text = ("💎 Ser VIP", "💎 Become VIP");
const LOCKED: Text =
    ("\n\n🔒 <b>Aún no puede elegir eso.</b> Le falta:", "\n\n🔒 <b>You cannot choose that yet.</b> You need:");
const VIP_DOOR: Text = (
    "💎 <b>Un capítulo VIP</b>\n\n<i>{preview}</i>\n\n🎩 Lucien se detiene ante la puerta: «Más allá, la señora solo recibe a \
     sus invitados más cercanos.» Los capítulos 4 a 6 son para miembros VIP.",
    "💎 <b>A VIP chapter</b>\n\n<i>{preview}</i>\n\n🎩 Lucien stops at the door: “Beyond this point, the lady receives only her \
     closest guests.” Chapters 4 to 6 are for VIP members.",
);
const HISTORY_TEXT: Text = (
    "📜 <b>Su recorrido</b>\nFragmentos leídos: {read}\nSecretos: {secrets} de {secrets_total}\nFinales alcanzados: {endings}\n\nÚltimos pasos:",
    "📜 <b>Your path</b>\nFragments read: {read}\nSecrets: {secrets} of {secrets_total}\nEndings reached: {endings}\n\nLast steps:",
);
const VIP_ACTIVE: Text = (
    "💎 <b>VIP</b>\nSu membresía está activa ({days} días más). Los capítulos 4 a 6 le esperan.",
    "💎 <b>VIP</b>\nYour membership is active ({days} more days). Chapters 4 to 6 await you.",
);
const VIP_INACTIVE: Text = (
    "💎 <b>VIP</b>\nLos capítulos 4 a 6 de la historia y el canal VIP son para miembros. Una invitación de prueba se \
     consigue en la tienda; también puede concedérsela un operador.",
    "💎 <b>VIP</b>\nChapters 4 to 6 of the story and the VIP channel are for members. A trial invitation can be had in \
     the shop; an operator may also grant one.",
);
const LACK_FLAG: Text = ("un paso anterior de la historia", "an earlier step of the story");
const LACK_FORBIDDEN: Text =
    ("nada: una decisión anterior cerró este camino", "nothing: an earlier decision closed this path");
const LACK_VIP: Text = ("ser miembro VIP", "a VIP membership");
const LACK_ITEM: Text = ("{item} ×{needed} (tiene {have})", "{item} ×{needed} (you have {have})");
const LACK_ACHIEVEMENT: Text = ("el logro «{name}»", "the achievement “{name}”");
const LACK_EXPERIENCE: Text = ("completar «{name}»", "to complete “{name}”");
const LACK_BESITOS: Text = ("{needed} besitos (tiene {have})", "{needed} besitos (you have {have})");
const LACK_LEVEL: Text = ("nivel {needed} (tiene el {have})", "level {needed} (you are {have})");
const LACK_ONE_OF: Text = ("una de estas cosas:", "one of these:");
const OR: Text = (" o ", " or ");
const HINT_SHOP: Text = ("en la tienda: {name}", "in the shop: {name}");
const HINT_MISSION: Text = ("misión «{name}»", "mission “{name}”");
const HINT_ACHIEVEMENT: Text = ("{name}", "{name}");
const HINT_EXPERIENCE: Text = ("experiencia «{name}»", "experience “{name}”");
const HINT_DECISION: Text = ("eligiendo «{name}» en la historia", "by choosing “{name}” in the story");
const HINT_REACT: Text = ("reaccionando a las publicaciones del canal", "by reacting to the channel's posts");
const HINT_VIP: Text = ("suscribiéndose al canal VIP", "by subscribing to the VIP channel");
