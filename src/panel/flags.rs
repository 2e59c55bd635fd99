//! The Flags page (`/panel/flags`): every flag of the live content — its
//! description, `flags.toml`'s rollout, the rollout live now, the
//! operator's change and who made it when, audience and variants — and,
//! for an operator whose roles give the flags permission, a form per flag
//! that sets its rollout or puts `flags.toml`'s back.
//!
//! A change goes the way `/flag` goes: [`Reloader::set_flag`] (committed,
//! then live, with no restart), then the same `set_flag` row in the
//! operators' audit log, its arguments headed `panel:` (the channel). An
//! operator without the permission is refused and audited as refused; a
//! malformed percentage is refused and audited as failed; a form without
//! the session's CSRF token (or from another site) is refused before
//! anything is looked at. Nothing is reported done before the store has
//! it: a store failure changes nothing and says so.
//!
//! [`Reloader::set_flag`]: crate::content::Reloader::set_flag

use std::collections::HashMap;
use std::fmt::Write;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use dianabot_game::content::Content;
use dianabot_game::flags::{FlagOverride, format_percent, parse_percent};
use dianabot_game::roles::{AuditEntry, AuditOutcome, OperatorAction};
use dianabot_game::{Language, RuleError};

use super::page::{self, esc, t, tw};
use super::{FLAGS, Panel, Viewer, html, page_with, same_origin};
use crate::flags::FlagChange;
use crate::operators::Operators;
use crate::telegram::screens;
use crate::texts::catalogue as m;

/// What heads the audit row's arguments of a change made here: the channel.
const CHANNEL: &str = "panel:";

/// What the page says above the list after a form was sent.
enum Notice {
    Changed(FlagChange),
    /// Refused by the rules (no permission, no such flag): nothing changed.
    Refused(RuleError),
    /// Not a percentage the page takes, as sent.
    BadPercent(String),
}

/// `GET /panel/flags`.
pub(super) async fn page(panel: web::Data<Panel>, viewer: Viewer) -> HttpResponse {
    html(StatusCode::OK, render(&panel, &viewer, None))
}

/// `POST /panel/flags` with `csrf`, `flag`, and `percent` — or `reset` to
/// put `flags.toml`'s rollout back.
pub(super) async fn change(
    panel: web::Data<Panel>,
    viewer: Viewer,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let language = viewer.language;
    let field = |name: &str| form.get(name).map(|value| value.trim()).unwrap_or_default();
    if !same_origin(&request) || !panel.keys.csrf_ok(&viewer.session, field("csrf")) {
        return page_with(StatusCode::FORBIDDEN, language, m::PANEL_FORM_EXPIRED, "");
    }
    let flag = field("flag").to_lowercase();
    let reset = form.contains_key("reset");
    let value = if reset { "reset" } else { field("percent") };
    let operator = viewer.session.operator;
    let args: String = format!("{CHANNEL} {flag} {value}").chars().take(200).collect();
    let audit = |outcome, target, detail| AuditEntry {
        at: panel.roster.now(),
        operator,
        action: OperatorAction::SetFlag,
        target,
        args: args.clone(),
        outcome,
        detail,
    };
    let permission = OperatorAction::SetFlag.permission();
    if !panel.roster.access(operator).allows(permission) {
        let entry = audit(AuditOutcome::Refused, None, Some(format!("lacks the {permission} permission")));
        let notice = Notice::Refused(RuleError::NotPermitted(permission));
        return answer(&panel, &viewer, entry, StatusCode::FORBIDDEN, notice).await;
    }
    let rollout = match (reset, parse_percent(value)) {
        (true, _) => None,
        (false, Some(rollout)) => Some(rollout),
        (false, None) => {
            let detail = format!("{value:?} is not a percentage from 0 to 100 with at most two decimals");
            let entry = audit(AuditOutcome::Failed, None, Some(detail));
            return answer(&panel, &viewer, entry, StatusCode::BAD_REQUEST, Notice::BadPercent(value.to_owned())).await;
        }
    };
    let target = Some(format!("flag:{flag}"));
    match panel.reloader.set_flag(operator, &flag, rollout).await {
        Ok(Ok(change)) => {
            let entry = audit(AuditOutcome::Done, target, None);
            answer(&panel, &viewer, entry, StatusCode::OK, Notice::Changed(change)).await
        }
        Ok(Err(refusal)) => {
            let entry = audit(AuditOutcome::Failed, target, Some(refusal.to_string()));
            answer(&panel, &viewer, entry, StatusCode::BAD_REQUEST, Notice::Refused(refusal)).await
        }
        Err(err) => {
            tracing::error!(error = %err, flag, "a flag change could not be stored; nothing changed");
            let entry = audit(AuditOutcome::Failed, target, Some(format!("not stored: {err}")));
            if let Err(err) = Operators::new(panel.store.clone(), panel.roster.clone()).audit(&entry).await {
                tracing::error!(error = %err, "the audit row of a failed flag change could not be written");
            }
            page_with(StatusCode::SERVICE_UNAVAILABLE, language, m::PANEL_FLAG_NOT_STORED, "")
        }
    }
}

/// Writes the audit row, then shows the page with `notice`; if the row
/// cannot be written the operator is told so, not that it went well.
async fn answer(panel: &Panel, viewer: &Viewer, entry: AuditEntry, status: StatusCode, notice: Notice) -> HttpResponse {
    if let Err(err) = Operators::new(panel.store.clone(), panel.roster.clone()).audit(&entry).await {
        tracing::error!(error = %err, outcome = entry.outcome.as_str(), "the audit row of a flag change could not be written");
        // A change is live by now (as after `/flag`, sending it again is
        // safe and gets it audited); anything else changed nothing.
        let message = match notice {
            Notice::Changed(_) => m::PANEL_FLAG_NOT_AUDITED,
            Notice::Refused(_) | Notice::BadPercent(_) => m::PANEL_FLAG_NOT_STORED,
        };
        return page_with(StatusCode::SERVICE_UNAVAILABLE, viewer.language, message, "");
    }
    tracing::info!(
        operator = %entry.operator,
        outcome = entry.outcome.as_str(),
        target = entry.target.as_deref(),
        "operator action audited (dashboard)"
    );
    html(status, render(panel, viewer, Some(notice)))
}

/// The page: `notice` if a form was sent, then the list, with the forms
/// where the operator may change flags.
fn render(panel: &Panel, viewer: &Viewer, notice: Option<Notice>) -> String {
    let language = viewer.language;
    let mut sections = String::new();
    match notice {
        None => {}
        Some(Notice::Changed(change)) => {
            // The words `/flag` answers with (Telegram's HTML subset is HTML).
            let said = screens::flags::flag_changed(language, &change).text;
            let _ = write!(sections, "<p class=\"done\" role=\"status\">{said}</p>");
        }
        Some(Notice::Refused(refusal)) => {
            let reason = screens::reason(language, &refusal);
            let said = tw(language, m::PANEL_FLAG_REFUSED, &[("reason", reason.into())]);
            let _ = write!(sections, "<p class=\"error\" role=\"alert\">{said}</p>");
        }
        Some(Notice::BadPercent(value)) => {
            let said = tw(language, m::PANEL_FLAG_BAD_PERCENT, &[("value", value.into())]);
            let _ = write!(sections, "<p class=\"error\" role=\"alert\">{said}</p>");
        }
    }
    let may_change = panel.roster.access(viewer.session.operator).allows(OperatorAction::SetFlag.permission());
    let form = may_change.then(|| Form { csrf: &viewer.csrf, lang: viewer.lang_query });
    let content = panel.router.content();
    sections.push_str(&list(language, &content, &panel.reloader.flags.overrides(), form.as_ref()));
    page::dashboard(&viewer.frame(FLAGS), &crate::texts::text(language, m::PANEL_FLAGS), &sections)
}

/// What a change form needs besides its flag.
struct Form<'a> {
    csrf: &'a str,
    /// `?lang=` as given, kept in the form's target.
    lang: Option<Language>,
}

/// The table of every flag of `content` and every stored change whose
/// flag it no longer defines; with a change form per row when `form`.
fn list(language: Language, content: &Content, overrides: &[FlagOverride], form: Option<&Form<'_>>) -> String {
    let live = &content.flags().0;
    let mut out = format!("<section class=\"flags\"><p>{}</p>", t(language, m::PANEL_FLAGS_INTRO));
    if live.is_empty() && overrides.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p></section>", t(language, m::FLAGS_NONE));
        return out;
    }
    out.push_str("<table><thead><tr>");
    let mut headings = vec![
        m::PANEL_FLAG_NAME,
        m::PANEL_FLAG_CONTENT,
        m::PANEL_FLAG_LIVE,
        m::PANEL_FLAG_CHANGED,
        m::PANEL_FLAG_AUDIENCE,
        m::PANEL_FLAG_VARIANTS,
    ];
    if form.is_some() {
        headings.push(m::PANEL_FLAG_CHANGE);
    }
    for heading in headings {
        let _ = write!(out, "<th>{}</th>", t(language, heading));
    }
    out.push_str("</tr></thead><tbody>");
    let changed = |name: &str| overrides.iter().find(|row| row.flag == name);
    let changed_by = |row: Option<&FlagOverride>| match row {
        Some(row) => tw(
            language,
            m::PANEL_FLAG_CHANGED_BY,
            &[("by", row.set_by.0.to_string().into()), ("at", screens::operators::utc(row.set_at).into())],
        ),
        None => "—".to_owned(),
    };
    for (name, flag) in live {
        let row = changed(name);
        let description = content
            .flag_description(name)
            .map(|text| format!("<br><small>{}</small>", esc(text.get(language))))
            .unwrap_or_default();
        let read = content.flag_as_read(name).map_or(0, |flag| flag.rollout);
        let variants: Vec<String> =
            flag.variants.iter().map(|variant| format!("{} {}", variant.name, variant.weight)).collect();
        let _ = write!(
            out,
            "<tr data-flag=\"{name}\"><td><b>{name}</b>{description}</td><td class=\"rollout\">{read} %</td>\
             <td class=\"rollout live\">{live} %</td><td>{by}</td><td>{audience}</td><td>{variants}</td>",
            name = esc(name),
            read = format_percent(read),
            live = format_percent(flag.rollout),
            by = changed_by(row),
            audience = esc(&screens::flags::audience(language, &flag.audience)),
            variants = if variants.is_empty() { "—".to_owned() } else { esc(&variants.join(" · ")) },
        );
        if let Some(form) = form {
            out.push_str(&change_form(language, form, name, Some(flag.rollout), row.is_some()));
        }
        out.push_str("</tr>");
    }
    // Stored changes of flags the content dropped: ignored, and a reset clears them.
    for row in overrides.iter().filter(|row| !live.contains_key(&row.flag)) {
        let _ = write!(
            out,
            "<tr data-flag=\"{name}\"><td><b>{name}</b></td><td class=\"rollout\">—</td><td>{ignored}</td>\
             <td>{by}</td><td>—</td><td>—</td>",
            name = esc(&row.flag),
            ignored = tw(language, m::PANEL_FLAG_ORPHAN, &[("rollout", format_percent(row.rollout).into())]),
            by = changed_by(Some(row)),
        );
        if let Some(form) = form {
            out.push_str(&change_form(language, form, &row.flag, None, true));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>");
    out
}

/// The cell with flag `name`'s form: its percentage (`rollout`, none for
/// a flag the content dropped) and, where an operator changed it, the
/// button that puts `flags.toml`'s back.
fn change_form(language: Language, form: &Form<'_>, name: &str, rollout: Option<u32>, changed: bool) -> String {
    let action = match form.lang {
        Some(lang) => format!("{FLAGS}?lang={}", lang.code()),
        None => FLAGS.to_owned(),
    };
    let mut out = format!(
        "<td><form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"flag\" value=\"{name}\">",
        action = esc(&action),
        csrf = esc(form.csrf),
        name = esc(name),
    );
    if let Some(rollout) = rollout {
        let _ = write!(
            out,
            "<input name=\"percent\" inputmode=\"decimal\" size=\"6\" value=\"{value}\" aria-label=\"{label}\"> % \
             <button type=\"submit\" name=\"set\" value=\"1\">{set}</button> ",
            value = format_percent(rollout),
            label = t(language, m::PANEL_FLAG_PERCENT),
            set = t(language, m::PANEL_FLAG_SET),
        );
    }
    if changed {
        let _ = write!(
            out,
            "<button type=\"submit\" name=\"reset\" value=\"1\">{}</button>",
            t(language, m::PANEL_FLAG_RESET)
        );
    }
    out.push_str("</form></td>");
    out
}

#[cfg(test)]
mod tests {
    use actix_web::App;
    use actix_web::dev::ServiceResponse;
    use actix_web::http::header;
    use actix_web::test as http;
    use dianabot_game::UserId;
    use dianabot_persistence::Store;
    use dianabot_test_support::{TestDb, run};

    use super::*;
    use crate::content::Reloader;
    use crate::panel::routes;
    use crate::panel::tests::{panel, visitor};

    const OWNER: UserId = UserId(900);
    /// A moderator: analytics, not flags.
    const MODERATOR: UserId = UserId(901);

    fn rollout(reloader: &Reloader, flag: &str) -> Option<u32> {
        reloader.router.content().flags().get(flag).map(|flag| flag.rollout)
    }

    async fn body(response: ServiceResponse) -> String {
        String::from_utf8_lossy(&http::read_body(response).await).into_owned()
    }

    fn get(cookie: &str) -> http::TestRequest {
        http::TestRequest::get().uri("/panel/flags").insert_header((header::COOKIE, cookie.to_owned()))
    }

    fn post(cookie: &str, form: &[(&str, &str)]) -> http::TestRequest {
        http::TestRequest::post().uri("/panel/flags").insert_header((header::COOKIE, cookie.to_owned())).set_form(form)
    }

    /// The dashboard of `panel()` with the owner's session, and what the
    /// tests look at behind it.
    struct Fixture {
        panel: web::Data<Panel>,
        /// The owner's `Cookie` header and CSRF token.
        owner: (String, String),
        store: Store,
        reloader: Reloader,
    }

    async fn fixture(db: &TestDb) -> Fixture {
        let (panel, _) = panel(db).await;
        let owner = visitor(&panel, OWNER);
        let (store, reloader) = (panel.store.clone(), panel.reloader.clone());
        Fixture { panel: web::Data::new(panel), owner, store, reloader }
    }

    async fn last_audit(store: &Store) -> Option<AuditEntry> {
        store.audit_log(1).await.expect("the audit log").into_iter().next()
    }

    #[test]
    fn an_owner_sets_a_rollout_live_and_it_is_stored_and_audited_as_from_the_dashboard() {
        run(async {
            let db = TestDb::sqlite();
            let Fixture { panel, owner: (cookie, csrf), store, reloader } = fixture(&db).await;
            let app = http::init_service(App::new().app_data(panel).configure(routes)).await;
            let response = http::call_service(&app, get(&cookie).to_request()).await;
            assert_eq!(response.status(), 200);
            let page = body(response).await;
            for shown in [
                "data-flag=\"style\"",
                "&quot;Your style&quot; in the profile",
                "name=\"percent\"",
                "control 50 · discount 50",
                "free players only",
                &format!("name=\"csrf\" value=\"{csrf}\""),
            ] {
                assert!(page.contains(shown), "{shown}: {page}");
            }

            let set = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("percent", "30")]);
            let response = http::call_service(&app, set.to_request()).await;
            assert_eq!(response.status(), 200);
            let page = body(response).await;
            assert!(page.contains("Flag <b>style</b>: 30 % (was 100 %; 100 % in flags.toml). Live now"), "{page}");
            assert!(page.contains("<td class=\"rollout live\">30 %</td>"), "the list shows it live: {page}");
            assert!(page.contains("operator 900, "), "and who changed it: {page}");
            assert_eq!(rollout(&reloader, "style"), Some(3_000), "live");
            let stored: Vec<_> = store
                .flag_overrides()
                .await
                .expect("read")
                .into_iter()
                .map(|row| (row.flag, row.rollout, row.set_by))
                .collect();
            assert_eq!(stored, [("style".to_owned(), 3_000, OWNER)], "stored");
            let audit = last_audit(&store).await.expect("a row");
            assert_eq!(
                (audit.action, audit.outcome, audit.target.as_deref(), audit.args.as_str(), audit.operator),
                (OperatorAction::SetFlag, AuditOutcome::Done, Some("flag:style"), "panel: style 30", OWNER)
            );

            // Back to flags.toml's, the same way.
            let reset = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("reset", "1")]);
            let response = http::call_service(&app, reset.to_request()).await;
            assert_eq!(response.status(), 200);
            assert!(body(response).await.contains("back to the 100 % of flags.toml (was 30 %)"));
            assert_eq!(rollout(&reloader, "style"), Some(10_000));
            assert!(store.flag_overrides().await.expect("read").is_empty());
            assert_eq!(last_audit(&store).await.map(|row| row.args), Some("panel: style reset".to_owned()));
        });
    }

    #[test]
    fn an_operator_without_the_flags_permission_sees_no_forms_and_is_refused_and_audited() {
        run(async {
            let db = TestDb::sqlite();
            let Fixture { panel, store, reloader, .. } = fixture(&db).await;
            let operators = Operators::new(store.clone(), panel.roster.clone());
            operators.grant(OWNER, MODERATOR, "moderator", None).await.expect("stored").expect("granted");
            let (cookie, csrf) = visitor(&panel, MODERATOR);
            let app = http::init_service(App::new().app_data(panel).configure(routes)).await;
            let page = body(http::call_service(&app, get(&cookie).to_request()).await).await;
            assert!(page.contains("data-flag=\"style\""), "the list is shown: {page}");
            assert!(!page.contains("name=\"percent\""), "without forms: {page}");

            let set = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("percent", "30")]);
            let response = http::call_service(&app, set.to_request()).await;
            assert_eq!(response.status(), 403);
            let page = body(response).await;
            assert!(page.contains("your role does not allow you to change feature flags"), "{page}");
            assert!(!page.contains("name=\"percent\""), "still without forms: {page}");
            assert_eq!(rollout(&reloader, "style"), Some(10_000), "nothing changed");
            assert!(store.flag_overrides().await.expect("read").is_empty());
            let audit = last_audit(&store).await.expect("a row");
            assert_eq!(
                (audit.action, audit.outcome, audit.operator, audit.args.as_str()),
                (OperatorAction::SetFlag, AuditOutcome::Refused, MODERATOR, "panel: style 30")
            );
        });
    }

    #[test]
    fn a_bad_percent_or_an_unknown_flag_changes_nothing_and_is_audited_as_failed() {
        run(async {
            let db = TestDb::sqlite();
            let Fixture { panel, owner: (cookie, csrf), store, reloader } = fixture(&db).await;
            let app = http::init_service(App::new().app_data(panel).configure(routes)).await;
            for bad in ["101", "-5", "12.345", "treinta", ""] {
                let set = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("percent", bad)]);
                let response = http::call_service(&app, set.to_request()).await;
                assert_eq!(response.status(), 400, "{bad}");
                let page = body(response).await;
                assert!(page.contains("is not a rollout: write a percentage from 0 to 100"), "{bad}: {page}");
                let audit = last_audit(&store).await.expect("a row");
                assert_eq!((audit.outcome, audit.target), (AuditOutcome::Failed, None), "{bad}");
            }
            let unknown = post(&cookie, &[("csrf", &csrf), ("flag", "nope"), ("percent", "5")]);
            let response = http::call_service(&app, unknown.to_request()).await;
            assert_eq!(response.status(), 400);
            assert!(body(response).await.contains("there is no flag nope"));
            let audit = last_audit(&store).await.expect("a row");
            assert_eq!((audit.outcome, audit.target.as_deref()), (AuditOutcome::Failed, Some("flag:nope")));
            assert_eq!(rollout(&reloader, "style"), Some(10_000), "nothing changed");
            assert!(store.flag_overrides().await.expect("read").is_empty());
        });
    }

    #[test]
    fn a_change_without_the_sessions_csrf_token_or_from_another_site_is_refused_unheard() {
        run(async {
            let db = TestDb::sqlite();
            let Fixture { panel, owner: (cookie, csrf), store, reloader } = fixture(&db).await;
            let (_, other_csrf) = visitor(&panel, OWNER);
            let app = http::init_service(App::new().app_data(panel).configure(routes)).await;
            for form in [
                vec![("flag", "style"), ("percent", "30")],
                vec![("csrf", ""), ("flag", "style"), ("percent", "30")],
                vec![("csrf", other_csrf.as_str()), ("flag", "style"), ("percent", "30")],
            ] {
                let response = http::call_service(&app, post(&cookie, &form).to_request()).await;
                assert_eq!(response.status(), 403, "{form:?}");
            }
            let cross_site = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("percent", "30")])
                .insert_header(("sec-fetch-site", "cross-site"));
            assert_eq!(http::call_service(&app, cross_site.to_request()).await.status(), 403);
            let anonymous =
                http::TestRequest::post().uri("/panel/flags").set_form([("flag", "style"), ("percent", "30")]);
            assert_eq!(http::call_service(&app, anonymous.to_request()).await.status(), 401);
            assert_eq!(rollout(&reloader, "style"), Some(10_000), "nothing changed");
            assert_eq!(last_audit(&store).await, None, "and nothing was heard");
        });
    }

    #[test]
    fn a_change_the_store_cannot_hold_changes_nothing_and_is_not_reported_done() {
        run(async {
            let db = TestDb::sqlite();
            let Fixture { panel, owner: (cookie, csrf), store, reloader } = fixture(&db).await;
            let app = http::init_service(App::new().app_data(panel).configure(routes)).await;
            store.close().await;
            let set = post(&cookie, &[("csrf", &csrf), ("flag", "style"), ("percent", "30")]);
            let response = http::call_service(&app, set.to_request()).await;
            assert_eq!(response.status(), 503);
            let page = body(response).await;
            assert!(page.contains("could not be stored") && !page.contains("Live now, no restart"), "{page}");
            assert_eq!(rollout(&reloader, "style"), Some(10_000), "nothing changed live");
            assert_eq!(reloader.flags.get("style"), None, "nor in memory");
        });
    }
}
