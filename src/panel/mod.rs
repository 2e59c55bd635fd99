//! The operators' web dashboard, served with the webhook on `HTTP_BIND`
//! under `/panel`: the overview and one page per report, each with its
//! chart, table, CSV download, period and auto-refresh.
//!
//! No passwords: an operator's `/panel` in Telegram makes a one-time link
//! (`flows/analytics.rs`); opening it and pressing its button spends it
//! and sets the session cookie ([`session`]). Telegram's Login Widget
//! ([`widget`]) opens the same session where a real bot is configured.
//! Every request checks the live roster for the analytics permission
//! ([`Viewer`], which every page extracts first). The Flags page
//! ([`flags`]) also changes flags, for operators with that permission.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use dianabot_actors::Router;
use dianabot_game::Language;
use dianabot_game::content::Permission;
use dianabot_persistence::reports::{DAY, Period};
use dianabot_persistence::{PanelLogin, Store};

use crate::operators::Roster;
use crate::texts::{self, catalogue as m};
use session::{COOKIE, Session, SessionKeys};

use crate::alerts::{AlertSettings, Alerts};
use crate::telegram::screens::alerts;

mod chart;
mod flags;
mod page;
pub mod session;
pub mod widget;

/// What the dashboard's handlers share.
pub struct Panel {
    pub store: Store,
    /// The live content and the actors' latency histograms.
    pub router: Router,
    pub roster: Arc<Roster>,
    pub keys: SessionKeys,
    /// Cookies are `Secure` when the dashboard is served over https.
    pub secure: bool,
    /// The bot's token and username, for Telegram's login widget (a real
    /// bot only: the widget talks to Telegram itself).
    pub widget: Option<(String, String)>,
    /// The alert rules and what fires now, for the insights page.
    pub alerts: Option<Alerts>,
    /// Changes flags the way `/flag` does, for the Flags page.
    pub reloader: crate::content::Reloader,
}

/// Registers the dashboard's routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/panel", web::get().to(overview))
        .route("/panel/report/{name}", web::get().to(report_page))
        .route("/panel/insights", web::get().to(insights_page))
        .route("/panel/csv/{name}", web::get().to(csv))
        .route("/panel/login", web::get().to(login_page))
        .route("/panel/login", web::post().to(login))
        .route("/panel/logout", web::post().to(logout))
        .route("/panel/telegram-login", web::get().to(telegram_login))
        // flags
        .route("/panel/player/{id}", web::get().to(player_page))
        // panel-flags
        .route(FLAGS, web::get().to(flags::page))
        .route(FLAGS, web::post().to(flags::change));
}

type Query = web::Query<HashMap<String, String>>;

/// The page a request gets instead of what it asked for.
type Refused = Box<HttpResponse>;

/// A page with one notice instead of the dashboard: a refusal, an error, a goodbye.
fn page_with(status: StatusCode, language: Language, message: m::Message, extra: &str) -> HttpResponse {
    html(status, page::notice(language, &texts::text(language, message), extra))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Not `no-referrer`: browsers would then send `Origin: null` with
        // our own forms. Other sites never see a page's URL (its token).
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(body)
}

/// `?lang=` when it names a language we speak.
fn lang_query(query: &HashMap<String, String>) -> Option<Language> {
    query.get("lang").filter(|code| matches!(code.as_str(), "es" | "en")).map(|code| Language::from_code(Some(code)))
}

/// The language of a visitor without a session: `?lang=`, else the
/// browser's first choice.
fn visitor_language(request: &HttpRequest, query: &HashMap<String, String>) -> Language {
    lang_query(query).unwrap_or_else(|| {
        let accepted = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
        Language::from_code(accepted)
    })
}

fn cookie<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    let header = request.headers().get(header::COOKIE)?.to_str().ok()?;
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(key, _)| *key == name).map(|(_, v)| v)
}

impl Panel {
    /// The visitor's session, if they may read analytics now; else the page
    /// that says why not.
    fn session(&self, request: &HttpRequest, query: &HashMap<String, String>) -> Result<Session, Refused> {
        let language = visitor_language(request, query);
        let Some(session) = cookie(request, COOKIE).and_then(|value| self.keys.verify(value, self.roster.now())) else {
            let widget = self.widget.as_ref().map(|(_, username)| page::login_widget(username)).unwrap_or_default();
            return Err(Box::new(page_with(StatusCode::UNAUTHORIZED, language, m::PANEL_LOGIN_NEEDED, &widget)));
        };
        if !self.roster.access(session.operator).allows(Permission::Analytics) {
            let language = lang_query(query).unwrap_or(session.language);
            return Err(Box::new(page_with(StatusCode::FORBIDDEN, language, m::PANEL_NOT_PERMITTED, "")));
        }
        Ok(session)
    }

    /// The cookie that opens `session`.
    fn set_cookie(&self, session: &Session) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{COOKIE}={}; Path=/panel; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            self.keys.cookie_value(session),
            session::SESSION_SECS
        )
    }

    /// Opens a session for `login` and sends the browser to the overview.
    fn open_session(&self, login: PanelLogin) -> HttpResponse {
        if !self.roster.access(login.operator).allows(Permission::Analytics) {
            return page_with(StatusCode::FORBIDDEN, login.language, m::PANEL_NOT_PERMITTED, "");
        }
        match self.keys.open(login.operator, login.language, self.roster.now()) {
            Ok(session) => HttpResponse::SeeOther()
                .insert_header((header::SET_COOKIE, self.set_cookie(&session)))
                .insert_header((header::LOCATION, "/panel"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            Err(err) => {
                tracing::error!(error = %err, "no randomness for a dashboard session");
                page_with(StatusCode::SERVICE_UNAVAILABLE, login.language, m::PANEL_UNAVAILABLE, "")
            }
        }
    }
}

/// The operator looking at a page: their session — checked against the
/// live roster —, and the page's language, period and refresh from its
/// query. Every page extracts it before anything else, so none can skip
/// the check; a visitor who may not look gets the page that says why.
pub(crate) struct Viewer {
    session: Session,
    language: Language,
    period: Period,
    /// `?lang=` as given, kept in the page's links.
    lang_query: Option<Language>,
    refresh: bool,
    /// The session's CSRF token, for the page's forms.
    csrf: String,
}

impl Viewer {
    fn of(request: &HttpRequest) -> Result<Viewer, Refused> {
        let Some(panel) = request.app_data::<web::Data<Panel>>() else {
            tracing::error!("the dashboard's routes are served without its state");
            return Err(Box::new(HttpResponse::InternalServerError().finish()));
        };
        // Any query decodes into strings (invalid UTF-8 lossily), so this never falls back.
        let query = Query::from_query(request.query_string()).map(Query::into_inner).unwrap_or_default();
        let session = panel.session(request, &query)?;
        let language = lang_query(&query).unwrap_or(session.language);
        let field = |name: &str| query.get(name).map(String::as_str).filter(|value| !value.is_empty());
        let period = crate::reports::period(field("since"), field("until"), panel.roster.now())
            .map_err(|_| Box::new(page_with(StatusCode::BAD_REQUEST, language, m::PANEL_BAD_PERIOD, "")))?;
        Ok(Viewer {
            csrf: panel.keys.csrf(&session),
            lang_query: lang_query(&query),
            refresh: query.get("refresh").is_some_and(|value| value == "1"),
            session,
            language,
            period,
        })
    }

    /// How the page at `path` is framed for this viewer.
    fn frame<'a>(&'a self, path: &'a str) -> page::Frame<'a> {
        page::Frame {
            language: self.language,
            path,
            period: self.period,
            lang_query: self.lang_query,
            refresh: self.refresh,
            csrf: &self.csrf,
            operator: self.session.operator.0,
        }
    }
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Viewer, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            Viewer::of(request).map_err(|refused| InternalError::from_response("refused at the door", *refused).into()),
        )
    }
}

async fn run_report(
    panel: &Panel,
    name: &str,
    period: Period,
) -> anyhow::Result<dianabot_persistence::reports::Report> {
    let router = &panel.router;
    crate::reports::run(&panel.store, &router.content(), name, period, || Ok(crate::reports::live_histograms(router)))
        .await
}

fn unavailable(language: Language, err: &anyhow::Error) -> HttpResponse {
    tracing::error!(error = %format!("{err:#}"), "a dashboard report failed");
    page_with(StatusCode::SERVICE_UNAVAILABLE, language, m::PANEL_UNAVAILABLE, "")
}

/// The insights page's path.
pub(crate) const INSIGHTS: &str = "/panel/insights";
/// The Flags page's path.
pub(crate) const FLAGS: &str = "/panel/flags";

/// The reports the overview shows, in order.
const OVERVIEW: [&str; 3] = ["activity", "funnel", "revenue"];

async fn overview(panel: web::Data<Panel>, viewer: Viewer) -> HttpResponse {
    render(&panel, &viewer, None).await
}

async fn report_page(panel: web::Data<Panel>, viewer: Viewer, name: web::Path<String>) -> HttpResponse {
    render(&panel, &viewer, Some(&name)).await
}

/// The overview (`name` none) or one report's page.
async fn render(panel: &Panel, viewer: &Viewer, name: Option<&str>) -> HttpResponse {
    let (language, period) = (viewer.language, viewer.period);
    let (path, title, names): (String, String, Vec<&str>) = match name {
        None => ("/panel".to_owned(), texts::text(language, m::PANEL_OVERVIEW), OVERVIEW.to_vec()),
        Some(name) if crate::reports::is_known(name) => {
            let title = dianabot_persistence::reports::CATALOGUE.iter().find(|entry| entry.name == name);
            (format!("/panel/report/{name}"), title.map_or(name, |entry| entry.title).to_owned(), vec![name])
        }
        Some(_) => return page_with(StatusCode::NOT_FOUND, language, m::PANEL_NOT_FOUND, ""),
    };
    let frame = viewer.frame(&path);
    // The overview heads each report with a link to its page.
    let heading = name.is_none();
    let mut sections = String::new();
    for name in &names {
        match run_report(panel, name, period).await {
            Ok(report) => sections.push_str(&page::report_section(&frame, &report, heading)),
            Err(err) => return unavailable(language, &err),
        }
    }
    html(StatusCode::OK, page::dashboard(&frame, &title, &sections))
}

/// `GET /panel/insights[?day=YYYY-MM-DD]`: a day's stored insights (the
/// latest computed by default) and the alerts firing now — the screens
/// `/insights` and `/alerts` show in Telegram, whose HTML subset is HTML.
async fn insights_page(panel: web::Data<Panel>, viewer: Viewer, query: Query) -> HttpResponse {
    let language = viewer.language;
    let day = match query.get("day").filter(|day| !day.is_empty()) {
        None => None,
        Some(day) => match crate::reports::parse_day(day) {
            Some(day) => Some(day),
            None => return page_with(StatusCode::BAD_REQUEST, language, m::PANEL_BAD_PERIOD, ""),
        },
    };
    let found = match panel.store.stored_insights(day).await {
        Ok(found) => found,
        Err(err) => return unavailable(language, &err.into()),
    };
    let insights = found.map_or_else(|| alerts::no_insights(language), |found| alerts::insights(language, &found));
    let rules = match &panel.alerts {
        Some(live) => alerts::list(language, live.settings(), &live.firing()),
        None => alerts::list(language, &AlertSettings::default(), &[]),
    };
    let frame = viewer.frame(INSIGHTS);
    let sections = page::telegram_section(&insights.text) + &page::telegram_section(&rules.text);
    html(StatusCode::OK, page::dashboard(&frame, &texts::text(language, m::PANEL_INSIGHTS), &sections))
}

// flags
/// `GET /panel/player/{id}`: a player's style, scores and flags — what
/// `/jugador` shows —, rendered in the player's actor from the state it
/// holds (no store read).
async fn player_page(panel: web::Data<Panel>, viewer: Viewer, id: web::Path<String>) -> HttpResponse {
    let language = viewer.language;
    let Some(user) = id.parse::<i64>().ok().filter(|id| *id > 0).map(dianabot_game::UserId) else {
        return page_with(StatusCode::NOT_FOUND, language, m::PANEL_NOT_FOUND, "");
    };
    let (content, now) = (panel.router.content(), panel.router.clock().now());
    let render =
        move |state: &dianabot_game::UserState| crate::telegram::screens::flags::player(language, state, &content, now);
    let record = match panel.router.view(user, render).await {
        Ok(record) => record,
        Err(err) => return unavailable(language, &anyhow::anyhow!("viewing player {user}: {err}")),
    };
    let path = format!("/panel/player/{}", user.0);
    let frame = viewer.frame(&path);
    let title = texts::text_with(language, m::PANEL_PLAYER, &[("user", user.0.to_string().into())]);
    html(StatusCode::OK, page::dashboard(&frame, &title, &page::telegram_section(&record.text)))
}

/// `GET /panel/csv/{name}`: the report over the period as a CSV
/// attachment, the same bytes `/export` sends.
async fn csv(panel: web::Data<Panel>, viewer: Viewer, name: web::Path<String>) -> HttpResponse {
    let (language, period) = (viewer.language, viewer.period);
    if !crate::reports::is_known(&name) {
        return page_with(StatusCode::NOT_FOUND, language, m::PANEL_NOT_FOUND, "");
    }
    match run_report(&panel, &name, period).await {
        Ok(report) => {
            let day = |at: i64| dianabot_persistence::reports::date(at.div_euclid(DAY));
            let file_name = format!("{name}_{}_{}.csv", day(period.since), day(period.until - 1));
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(report.to_csv())
        }
        Err(err) => unavailable(language, &err),
    }
}

/// `GET /panel/login?token=…`: the button that spends the link.
async fn login_page(request: HttpRequest, query: Query) -> HttpResponse {
    let language = visitor_language(&request, &query);
    match query.get("token") {
        Some(token) if is_token(token) => html(StatusCode::OK, page::login_form(language, token)),
        _ => page_with(StatusCode::UNAUTHORIZED, language, m::PANEL_LINK_REFUSED, ""),
    }
}

fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// `POST /panel/login`: spends the link (once, unexpired) and opens the session.
async fn login(
    panel: web::Data<Panel>,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let language = visitor_language(&request, &HashMap::new());
    // Another site's page posting a link of its own would log the
    // operator's browser into someone else's session.
    if !same_origin(&request) {
        return page_with(StatusCode::FORBIDDEN, language, m::PANEL_FORM_EXPIRED, "");
    }
    let Some(token) = form.get("token").filter(|token| is_token(token)) else {
        return page_with(StatusCode::UNAUTHORIZED, language, m::PANEL_LINK_REFUSED, "");
    };
    match panel.store.consume_panel_link(&session::token_hash(token), panel.roster.now()).await {
        Ok(Some(login)) => panel.open_session(login),
        Ok(None) => page_with(StatusCode::UNAUTHORIZED, language, m::PANEL_LINK_REFUSED, ""),
        Err(err) => unavailable(language, &err.into()),
    }
}

/// Whether a POST came from our own pages: browsers say so in
/// `Sec-Fetch-Site`, or at least in `Origin`, which must name the host the
/// POST was sent to. With neither (not a browser) there is no cross-site
/// page to fear.
fn same_origin(request: &HttpRequest) -> bool {
    let header = |name| request.headers().get(name).and_then(|value: &header::HeaderValue| value.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header(header::ORIGIN.as_str()) else { return true };
    let host = header(header::HOST.as_str()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
}

/// `POST /panel/logout` with the session's CSRF token: ends the session.
async fn logout(panel: web::Data<Panel>, viewer: Viewer, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    if !panel.keys.csrf_ok(&viewer.session, form.get("csrf").map(String::as_str).unwrap_or_default()) {
        return page_with(StatusCode::FORBIDDEN, viewer.language, m::PANEL_FORM_EXPIRED, "");
    }
    panel.keys.end(&viewer.session, panel.roster.now());
    let mut response = page_with(StatusCode::OK, viewer.language, m::PANEL_LOGGED_OUT, "");
    let clear = format!("{COOKIE}=; Path=/panel; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = header::HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /panel/telegram-login?id=…&hash=…`: Telegram's login widget
/// vouches for the visitor; an operator with the permission gets a session.
async fn telegram_login(panel: web::Data<Panel>, request: HttpRequest, query: Query) -> HttpResponse {
    let language = visitor_language(&request, &query);
    let Some((token, _)) = &panel.widget else {
        return page_with(StatusCode::NOT_FOUND, language, m::PANEL_NOT_FOUND, "");
    };
    let fields: BTreeMap<String, String> = query.into_inner().into_iter().collect();
    match widget::verify(&fields, token, panel.roster.now()) {
        Ok(operator) => panel.open_session(PanelLogin { operator, language }),
        Err(err) => {
            tracing::info!(error = %err, "a login widget answer was refused");
            page_with(StatusCode::UNAUTHORIZED, language, m::PANEL_LOGIN_NEEDED, "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::test as http;
    use dianabot_actors::ActorConfig;
    use dianabot_game::UserId;
    use dianabot_plumbing::Clock;
    use dianabot_test_support::{TestDb, run, start_runtime};

    /// The dashboard over a fresh SQLite store, and a session of owner 900.
    pub(super) async fn panel(db: &TestDb) -> (Panel, String) {
        let store = db.store().await;
        let runtime = start_runtime(store.clone(), ActorConfig::default()).await;
        let roster = Arc::new(Roster::new([UserId(900)], runtime.router.content(), Clock::system()));
        let keys = SessionKeys::new(b"test panel secret".to_vec());
        let flags = Arc::new(crate::flags::LiveFlags::load(store.clone()).await.expect("no overrides yet"));
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")).to_owned();
        let reloader = crate::content::Reloader {
            dir,
            router: runtime.router.clone(),
            operators: roster.clone(),
            flags,
            notices: None,
        };
        let panel =
            Panel { store, router: runtime.router, roster, keys, secure: false, widget: None, alerts: None, reloader };
        let (cookie, _) = visitor(&panel, UserId(900));
        (panel, cookie)
    }

    /// The `Cookie` header of a new session of `operator`, and the CSRF
    /// token of its forms.
    pub(super) fn visitor(panel: &Panel, operator: UserId) -> (String, String) {
        let session = panel.keys.open(operator, Language::En, panel.roster.now()).expect("randomness");
        (format!("{COOKIE}={}", panel.keys.cookie_value(&session)), panel.keys.csrf(&session))
    }

    #[test]
    fn a_report_that_cannot_be_read_is_a_503_page_not_a_number() {
        run(async {
            let db = TestDb::sqlite();
            let (panel, cookie) = panel(&db).await;
            let store = panel.store.clone();
            let app = http::init_service(App::new().app_data(web::Data::new(panel)).configure(routes)).await;
            let get = |uri: &str| http::TestRequest::get().uri(uri).insert_header((header::COOKIE, cookie.clone()));
            for uri in ["/panel", "/panel/report/funnel", "/panel/csv/funnel"] {
                assert_eq!(http::call_service(&app, get(uri).to_request()).await.status(), 200, "{uri}");
            }
            store.close().await;
            for uri in ["/panel", "/panel/report/funnel", "/panel/csv/funnel"] {
                let response = http::call_service(&app, get(uri).to_request()).await;
                assert_eq!(response.status(), 503, "{uri}");
                let body = http::read_body(response).await;
                assert!(String::from_utf8_lossy(&body).contains("database does not answer"), "{uri}");
            }
        });
    }

    // flags
    #[test]
    fn a_players_page_shows_their_style_and_flags_from_their_actor() {
        run(async {
            let db = TestDb::sqlite();
            let (panel, cookie) = panel(&db).await;
            let app = http::init_service(App::new().app_data(web::Data::new(panel)).configure(routes)).await;
            let get = |uri: &str| http::TestRequest::get().uri(uri).insert_header((header::COOKIE, cookie.clone()));
            let response = http::call_service(&app, get("/panel/player/42").to_request()).await;
            assert_eq!(response.status(), 200);
            let body = String::from_utf8_lossy(&http::read_body(response).await).into_owned();
            assert!(body.contains("There is no player 42."), "{body}");
            let response = http::call_service(&app, get("/panel/player/x").to_request()).await;
            assert_eq!(response.status(), 404);
            let anonymous = http::TestRequest::get().uri("/panel/player/42");
            assert_eq!(http::call_service(&app, anonymous.to_request()).await.status(), 401);
        });
    }

    #[test]
    fn forms_without_the_session_csrf_token_or_from_another_site_are_refused() {
        run(async {
            let db = TestDb::sqlite();
            let (panel, cookie) = panel(&db).await;
            let app = http::init_service(App::new().app_data(web::Data::new(panel)).configure(routes)).await;
            let logout = http::TestRequest::post()
                .uri("/panel/logout")
                .insert_header((header::COOKIE, cookie.clone()))
                .set_form([("csrf", "forged")]);
            assert_eq!(http::call_service(&app, logout.to_request()).await.status(), 403);
            let still = http::TestRequest::get().uri("/panel").insert_header((header::COOKIE, cookie.clone()));
            assert_eq!(http::call_service(&app, still.to_request()).await.status(), 200);
            let cross_site = http::TestRequest::post()
                .uri("/panel/login")
                .insert_header(("sec-fetch-site", "cross-site"))
                .set_form([("token", "a".repeat(64))]);
            assert_eq!(http::call_service(&app, cross_site.to_request()).await.status(), 403);
            let unknown = http::TestRequest::post().uri("/panel/login").set_form([("token", "a".repeat(64))]);
            assert_eq!(http::call_service(&app, unknown.to_request()).await.status(), 401);
        });
    }
}
