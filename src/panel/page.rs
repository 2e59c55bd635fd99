//! The dashboard's HTML: one layout (navigation, the period form, logout
//! with its CSRF token), the sections a page shows (a report's chart, table
//! and CSV button) and the notices shown instead of data. Every value is
//! escaped with [`esc`]; the dashboard's words come from the Fluent files.

use std::fmt::Write;

use dianabot_game::Language;
use dianabot_persistence::reports::{self, DAY, Period, Report};

use super::chart;
use crate::texts::catalogue::{self as m, Message};
use crate::texts::{self, Arg};

/// Seconds between reloads when auto-refresh is on.
pub const REFRESH_SECS: u32 = 60;

/// HTML-escapes text for an element's content or a quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn t(language: Language, message: Message) -> String {
    esc(&texts::text(language, message))
}

pub(super) fn tw(language: Language, message: Message, args: &[(&str, Arg<'_>)]) -> String {
    esc(&texts::text_with(language, message, args))
}

/// What a dashboard page is drawn with besides its sections.
pub struct Frame<'a> {
    pub language: Language,
    /// The page's own path (`/panel`, `/panel/report/funnel`).
    pub path: &'a str,
    pub period: Period,
    /// `?lang=` as given, kept in the page's links.
    pub lang_query: Option<Language>,
    pub refresh: bool,
    /// The CSRF token of the logout form.
    pub csrf: &'a str,
    pub operator: i64,
}

impl Frame<'_> {
    /// The query that keeps this page's period and language.
    fn query(&self) -> String {
        let mut query = format!("since={}&until={}", day(self.period.since), day(self.period.until - 1));
        if let Some(language) = self.lang_query {
            let _ = write!(query, "&lang={}", language.code());
        }
        if self.refresh {
            query.push_str("&refresh=1");
        }
        query
    }
}

fn day(at: i64) -> String {
    reports::date(at.div_euclid(DAY))
}

/// A dashboard page: navigation, the period form, then `sections`.
pub fn dashboard(frame: &Frame<'_>, title: &str, sections: &str) -> String {
    let language = frame.language;
    let query = frame.query();
    let mut nav = String::new();
    let link = |nav: &mut String, href: &str, label: &str| {
        let current = if href == frame.path { " aria-current=\"page\"" } else { "" };
        let _ = write!(nav, "<a href=\"{}?{}\"{current}>{}</a>", esc(href), esc(&query), esc(label));
    };
    link(&mut nav, "/panel", &texts::text(language, m::PANEL_OVERVIEW));
    link(&mut nav, super::INSIGHTS, &texts::text(language, m::PANEL_INSIGHTS));
    link(&mut nav, super::FLAGS, &texts::text(language, m::PANEL_FLAGS));
    for name in crate::reports::names() {
        link(&mut nav, &format!("/panel/report/{name}"), name);
    }
    let lang_field = frame
        .lang_query
        .map(|language| format!("<input type=\"hidden\" name=\"lang\" value=\"{}\">", language.code()))
        .unwrap_or_default();
    let checked = if frame.refresh { " checked" } else { "" };
    let form = format!(
        "<form class=\"period\" method=\"get\" action=\"{path}\">\
         <label>{since} <input type=\"date\" name=\"since\" value=\"{since_value}\"></label> \
         <label>{until} <input type=\"date\" name=\"until\" value=\"{until_value}\"></label> \
         <label><input type=\"checkbox\" name=\"refresh\" value=\"1\"{checked}> {refresh}</label>\
         {lang_field} <button type=\"submit\">{show}</button></form>",
        path = esc(frame.path),
        since = t(language, m::PANEL_SINCE),
        until = t(language, m::PANEL_UNTIL),
        since_value = day(frame.period.since),
        until_value = day(frame.period.until - 1),
        refresh = tw(language, m::PANEL_REFRESH, &[("seconds", REFRESH_SECS.into())]),
        show = t(language, m::PANEL_SHOW),
    );
    let logout = format!(
        "<form class=\"logout\" method=\"post\" action=\"/panel/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><span>{}</span> <button type=\"submit\">{}</button></form>",
        esc(frame.csrf),
        tw(language, m::PANEL_SIGNED_IN_AS, &[("operator", frame.operator.into())]),
        t(language, m::PANEL_LOGOUT),
    );
    let refresh =
        if frame.refresh { format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">") } else { String::new() };
    let body = format!("<header>{logout}<nav>{nav}</nav></header><main><h1>{}</h1>{form}{sections}</main>", esc(title));
    document(language, title, &refresh, &body)
}

/// A section showing a Telegram screen's text: Telegram's HTML subset
/// (`<b>`, `<i>`, `<a>`, escaped values) is HTML; its lines become lines.
pub fn telegram_section(text: &str) -> String {
    format!("<section class=\"telegram\"><p>{}</p></section>", text.replace('\n', "<br>"))
}

/// One report: its chart, its CSV button and its table.
pub fn report_section(frame: &Frame<'_>, report: &Report, heading: bool) -> String {
    let language = frame.language;
    let mut out = String::from("<section class=\"report\">");
    if heading {
        let _ = write!(
            out,
            "<h2><a href=\"/panel/report/{name}?{query}\">{title}</a></h2>",
            name = esc(report.name),
            query = esc(&frame.query()),
            title = esc(report.title)
        );
    }
    let _ = write!(
        out,
        "<p><a class=\"button csv\" href=\"/panel/csv/{name}?{query}\" download>{label}</a></p>",
        name = esc(report.name),
        query = esc(&frame.query()),
        label = t(language, m::PANEL_DOWNLOAD_CSV)
    );
    if report.rows.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p></section>", t(language, m::PANEL_NO_DATA));
        return out;
    }
    if let Some(svg) = chart::svg(report) {
        let _ = write!(out, "<figure class=\"chart\">{svg}</figure>");
    }
    out.push_str("<table><thead><tr>");
    for column in &report.columns {
        let _ = write!(out, "<th>{}</th>", esc(column.name));
    }
    out.push_str("</tr></thead><tbody>");
    for row in report.cells() {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>");
    out
}

/// A page with one notice and no data (login, refusals, errors).
pub fn notice(language: Language, message: &str, extra: &str) -> String {
    let title = texts::text(language, m::PANEL_TITLE);
    let body = format!("<main class=\"notice\"><h1>{}</h1><p>{}</p>{extra}</main>", esc(&title), esc(message));
    document(language, &title, "", &body)
}

/// The page a login link opens: one button that spends the link (a GET
/// spends nothing, so a link preview cannot use it up).
pub fn login_form(language: Language, token: &str) -> String {
    let form = format!(
        "<form method=\"post\" action=\"/panel/login\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <button type=\"submit\" id=\"enter\">{}</button></form>",
        esc(token),
        t(language, m::PANEL_ENTER)
    );
    notice(language, &texts::text(language, m::PANEL_ENTER_PROMPT), &form)
}

/// Telegram's login widget, for a page that refuses a visitor without a session.
pub fn login_widget(bot_username: &str) -> String {
    format!(
        "<script async src=\"https://telegram.org/js/telegram-widget.js?22\" data-telegram-login=\"{}\" \
         data-size=\"large\" data-auth-url=\"/panel/telegram-login\"></script>",
        esc(bot_username)
    )
}

fn document(language: Language, title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{head}<title>{title}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>",
        lang = language.code(),
        title = esc(title),
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}\
header{background:#2b2140;color:#fff;padding:.5em 1em}header a{color:#fff;margin-right:.8em}\
header a[aria-current]{font-weight:bold;text-decoration:underline}nav{margin-top:.4em;line-height:1.8}\
.logout{float:right}main{padding:1em;max-width:1100px}table{border-collapse:collapse;margin:1em 0;background:#fff}\
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}\
.chart svg{max-width:100%;height:auto;background:#fff}.button{display:inline-block;padding:.3em .8em;\
background:#2b2140;color:#fff;border-radius:4px;text-decoration:none}.period label{margin-right:.6em}\
.flags td{text-align:left;vertical-align:top}.flags td.rollout{text-align:right;white-space:nowrap}\
.flags form{white-space:nowrap}.done{background:#e6f4ea;padding:.5em 1em}.error{background:#fce8e6;padding:.5em 1em}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        assert_eq!(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
