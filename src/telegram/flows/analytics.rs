//! An operator's numbers: `/stats` (today's and the week's key figures),
//! `/stats <report> [since] [until]` (a report as a table) and
//! `/export <report> [since] [until]` (the report as a CSV document) and
//! `/panel` (a one-time login link to the web dashboard, `crate::panel`).
//! Days are `YYYY-MM-DD` (UTC), both included; 30 days up to today by default.
//! Every report is in [`crate::reports`]; permitted by
//! [`Permission::Analytics`](dianabot_game::content::Permission) and
//! audited like every operator command.

use anyhow::Context;
use dianabot_game::roles::OperatorAction;
use dianabot_game::{Language, Malformed, RuleError, Usage, UserId};
use dianabot_persistence::PanelLogin;
use dianabot_persistence::reports::{DAY, Period, Report, Value};

use crate::alerts::AlertSettings;
use crate::reports;
use crate::telegram::OutboundRequest;
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::alerts;
use crate::telegram::screens::analytics as screens;
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};
use dianabot_actors::DispatchError;

#[derive(Debug)]
pub enum AnalyticsRequest {
    /// The key numbers of the day of `now` and the 7 days up to it.
    Overview { now: i64, chat_id: i64, language: Language },
    /// Report `name` over `period`, as a table (`export`: a CSV document).
    Report { name: String, period: Period, export: bool, chat_id: i64, language: Language },
    // Alerts and daily insights.
    /// The alert rules, their thresholds and what fires now.
    Alerts { chat_id: i64, language: Language },
    /// The insights of `day`, or of the latest day computed.
    Insights { day: Option<i64>, chat_id: i64, language: Language },
    // Dashboard.
    /// A one-time login link to the dashboard for `operator`.
    PanelLink { operator: UserId, now: i64, chat_id: i64, language: Language },
}

/// Where `/panel` links point and how long they stay usable.
#[derive(Debug, Clone)]
pub struct PanelLinks {
    /// The dashboard's base URL (`PUBLIC_URL`), without a trailing `/`.
    pub public_url: String,
    pub minutes: u32,
}

impl Default for PanelLinks {
    fn default() -> PanelLinks {
        PanelLinks { public_url: "http://127.0.0.1:8080".to_owned(), minutes: 10 }
    }
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let (chat_id, language, now) = (origin.chat_id, origin.language, origin.now);
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let (action, usage) = match name {
        "stats" | "estadisticas" | "estadísticas" => (OperatorAction::Stats, Usage::Stats),
        "export" | "exportar" => (OperatorAction::Export, Usage::Export),
        "alerts" | "alertas" => (OperatorAction::Alerts, Usage::Insights),
        "insights" | "perspectivas" => (OperatorAction::Insights, Usage::Insights),
        "panel" => {
            let operator = origin.user_id;
            return origin.operate(OperatorAction::Panel, text, || {
                let then = Translation::Analytics(AnalyticsRequest::PanelLink { operator, now, chat_id, language });
                Ok(Operation { target: None, then })
            });
        }
        _ => return None,
    };
    origin.operate(action, text, || {
        let malformed = || RuleError::Malformed(Malformed::Usage(usage));
        let request = match words.as_slice() {
            [] if action == OperatorAction::Alerts => AnalyticsRequest::Alerts { chat_id, language },
            _ if action == OperatorAction::Alerts => return Err(malformed()),
            [] if action == OperatorAction::Insights => AnalyticsRequest::Insights { day: None, chat_id, language },
            [day] if action == OperatorAction::Insights => {
                let day = reports::parse_day(day).ok_or_else(malformed)?;
                AnalyticsRequest::Insights { day: Some(day), chat_id, language }
            }
            _ if action == OperatorAction::Insights => return Err(malformed()),
            [] if action == OperatorAction::Stats => AnalyticsRequest::Overview { now, chat_id, language },
            [report, range @ ..] if range.len() <= 2 && reports::is_known(report) => {
                let period =
                    reports::period(range.first().copied(), range.get(1).copied(), now).map_err(|_| malformed())?;
                let export = action == OperatorAction::Export;
                AnalyticsRequest::Report { name: (*report).to_owned(), period, export, chat_id, language }
            }
            _ => return Err(malformed()),
        };
        Ok(Operation { target: None, then: Translation::Analytics(request) })
    })
}

impl Intake {
    pub(in crate::telegram) async fn handle_analytics(&self, request: AnalyticsRequest) -> Result<Handled, Failure> {
        let unavailable = |err: anyhow::Error| {
            tracing::error!(error = %err, "computing a report failed");
            Failure::NotDurable(DispatchError::NotDurable)
        };
        match request {
            AnalyticsRequest::Overview { now, chat_id, language } => {
                let overview = self.overview(now).await.map_err(unavailable)?;
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::overview(language, &overview)));
            }
            AnalyticsRequest::Report { name, period, export, chat_id, language } => {
                let report = self.report(&name, period).await.map_err(unavailable)?;
                if export {
                    let caption = screens::export_caption(language, &report, period);
                    let day = |at: i64| dianabot_persistence::reports::date(at.div_euclid(DAY));
                    let file_name = format!("{name}_{}_{}.csv", day(period.since), day(period.until - 1));
                    let bytes = report.to_csv().into_bytes();
                    self.outbound.submit(OutboundRequest::SendDocument { chat_id, file_name, bytes, caption });
                } else {
                    self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::report(language, &report, period)));
                }
            }
            AnalyticsRequest::Alerts { chat_id, language } => {
                let screen = match &self.alerts {
                    Some(alerts) => alerts::list(language, alerts.settings(), &alerts.firing()),
                    None => alerts::list(language, &AlertSettings::default(), &[]),
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screen));
            }
            AnalyticsRequest::Insights { day, chat_id, language } => {
                let found = self.coordinator.store().stored_insights(day).await;
                let found = found.map_err(|err| unavailable(err.into()))?;
                let screen =
                    found.map_or_else(|| alerts::no_insights(language), |found| alerts::insights(language, &found));
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screen));
            }
            AnalyticsRequest::PanelLink { operator, now, chat_id, language } => {
                let url = self.panel_link(operator, now, language).await.map_err(unavailable)?;
                let link = &self.panel_links;
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::panel_link(language, &url, link.minutes)));
            }
        }
        Ok(Handled::Viewed)
    }

    /// A new one-time dashboard link for `operator`: its token's hash is
    /// durable before the link is handed out.
    async fn panel_link(&self, operator: UserId, now: i64, language: Language) -> anyhow::Result<String> {
        let token = crate::panel::session::new_token().context("no randomness for a login token")?;
        let expires_at = now + i64::from(self.panel_links.minutes) * 60;
        let login = PanelLogin { operator, language };
        let hash = crate::panel::session::token_hash(&token);
        self.coordinator.store().insert_panel_link(&hash, login, now, expires_at).await?;
        Ok(format!("{}/panel/login?token={token}", self.panel_links.public_url))
    }

    async fn report(&self, name: &str, period: Period) -> anyhow::Result<Report> {
        let router = &self.router;
        reports::run(self.coordinator.store(), &router.content(), name, period, || Ok(reports::live_histograms(router)))
            .await
    }

    /// Today's activity and economy, the last 7 days' funnel and revenue.
    async fn overview(&self, now: i64) -> anyhow::Result<screens::Overview> {
        let (today, week) = (Period::last_days(now, 1), Period::last_days(now, 7));
        let activity = self.report("activity", today).await?;
        let funnel = self.report("funnel", week).await?;
        let revenue = self.report("revenue", week).await?;
        let economy = self.report("economy", today).await?;
        let int = |report: &Report, row: usize, column: &str| {
            let at = report.columns.iter().position(|c| c.name == column);
            at.and_then(|at| report.rows.get(row)?.get(at)?.as_f64()).unwrap_or(0.0) as i64
        };
        let stage = |name: &str| funnel.value(name, "players").and_then(Value::as_i64).unwrap_or(0);
        let metric = |name: &str| revenue.value(name, "value").and_then(Value::as_f64);
        Ok(screens::Overview {
            day: now.div_euclid(DAY),
            dau: int(&activity, 0, "dau"),
            wau: int(&activity, 0, "wau"),
            mau: int(&activity, 0, "mau"),
            registered: stage("registered"),
            engaged: stage("engaged"),
            purchasers: stage("purchaser"),
            vip: stage("vip"),
            stars: metric("stars_net").unwrap_or(0.0) as i64,
            arppu: metric("arppu").map_or_else(|| "–".to_owned(), |arppu| format!("{arppu:.1}")),
            supply: int(&economy, 0, "supply"),
            net: int(&economy, 0, "net"),
        })
    }
}
