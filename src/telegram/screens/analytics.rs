//! An operator's numbers: the `/stats` overview and one report as a table
//! (the CSV of `/export` is the report's own).

use dianabot_game::Language;
use dianabot_persistence::reports::{self, DAY, Period, Report};

use super::{Rendered, escape, plain, t, tw};
use crate::texts::catalogue::{self as m};

/// What Telegram shows at most in one message, with room for the title.
const TABLE_CHARS: usize = 3_500;

/// The key numbers of today and the last 7 days.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub day: i64,
    pub dau: i64,
    pub wau: i64,
    pub mau: i64,
    pub registered: i64,
    pub engaged: i64,
    pub purchasers: i64,
    pub vip: i64,
    pub stars: i64,
    pub arppu: String,
    pub supply: i64,
    pub net: i64,
}

pub fn overview(language: Language, o: &Overview) -> Rendered {
    let args = [
        ("day", reports::date(o.day).into()),
        ("dau", o.dau.into()),
        ("wau", o.wau.into()),
        ("mau", o.mau.into()),
        ("registered", o.registered.into()),
        ("engaged", o.engaged.into()),
        ("purchasers", o.purchasers.into()),
        ("vip", o.vip.into()),
        ("stars", o.stars.into()),
        ("arppu", o.arppu.clone().into()),
        ("supply", o.supply.into()),
        ("net", o.net.into()),
    ];
    plain(tw(language, m::STATS_OVERVIEW, &args))
}

/// The report as a fixed-width table, as many rows as fit one message.
pub fn report(language: Language, report: &Report, period: Period) -> Rendered {
    let args = [
        ("title", escape(report.title).into()),
        ("since", reports::date(period.since.div_euclid(DAY)).into()),
        ("until", reports::date((period.until - 1).div_euclid(DAY)).into()),
    ];
    let mut text = tw(language, m::STATS_REPORT_TITLE, &args);
    if report.rows.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::STATS_REPORT_EMPTY));
        return plain(text);
    }
    let table = crate::reports::to_table(report);
    let mut shown = String::new();
    let mut lines = table.lines();
    let mut rows_shown = 0usize;
    for line in lines.by_ref() {
        if shown.len() + line.len() > TABLE_CHARS {
            break;
        }
        shown.push_str(line);
        shown.push('\n');
        rows_shown += 1;
    }
    text.push_str(&format!("\n<pre>{}</pre>", escape(shown.trim_end())));
    // The header is one of the lines shown.
    let left = report.rows.len().saturating_sub(rows_shown.saturating_sub(1));
    if left > 0 {
        let args = [("rows", left.into()), ("report", report.name.into())];
        text.push('\n');
        text.push_str(&tw(language, m::STATS_REPORT_MORE, &args));
    }
    plain(text)
}

/// The caption of an exported report's CSV document.
pub fn export_caption(language: Language, report: &Report, period: Period) -> String {
    let args = [
        ("title", escape(report.title).into()),
        ("rows", report.rows.len().into()),
        ("since", reports::date(period.since.div_euclid(DAY)).into()),
        ("until", reports::date((period.until - 1).div_euclid(DAY)).into()),
    ];
    tw(language, m::EXPORT_CAPTION, &args)
}

// Dashboard.
/// The one-time dashboard link: in the text, and as a button where
/// Telegram takes it (https only).
pub fn panel_link(language: Language, url: &str, minutes: u32) -> Rendered {
    let text = tw(language, m::PANEL_LINK, &[("minutes", minutes.into()), ("url", escape(url).into())]);
    let keyboard = url.starts_with("https://").then(|| {
        let button =
            teloxide_core::types::InlineKeyboardButton::url(t(language, m::PANEL_LINK_BUTTON), url.parse().ok()?);
        Some(teloxide_core::types::InlineKeyboardMarkup::new([[button]]))
    });
    Rendered { text, keyboard: keyboard.flatten() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_link_is_in_the_text_and_a_button_only_over_https() {
        let local = panel_link(Language::En, "http://127.0.0.1:8080/panel/login?token=ab", 10);
        assert!(local.text.contains("http://127.0.0.1:8080/panel/login?token=ab") && local.text.contains("10 min"));
        assert_eq!(local.keyboard, None, "Telegram refuses buttons to local addresses");
        let public = panel_link(Language::Es, "https://bot.example.com/panel/login?token=ab", 5);
        assert!(public.text.contains("un solo uso en 5 min"), "{}", public.text);
        assert!(public.keyboard.is_some());
    }
}
