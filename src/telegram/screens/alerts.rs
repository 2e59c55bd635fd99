//! An operator's alerts (a rule fired or resolved, notices held back, the
//! `/alerts` listing) and the daily insights (`/insights`, the summary).

use dianabot_game::Language;
use dianabot_persistence::insights::{EconomyWarning, Insights, VipRisk};
use dianabot_persistence::reports::{self, DAY};

use super::{Rendered, escape, plain, t, tw};
use crate::alerts::rules::Notice;
use crate::alerts::{AlertSettings, Rule, RuleStatus};
use crate::texts::catalogue::{self as m};

/// A rule in words: what it measures, in which unit.
fn rule_label(language: Language, rule: &Rule) -> String {
    match rule {
        Rule::P95(kind) => tw(language, m::ALERT_RULE_P95, &[("operation", escape(kind).into())]),
        Rule::Errors => t(language, m::ALERT_RULE_ERRORS),
        Rule::FlusherLag => t(language, m::ALERT_RULE_FLUSHER_LAG),
        Rule::FailedPayments => t(language, m::ALERT_RULE_FAILED_PAYMENTS),
        Rule::Inflation => t(language, m::ALERT_RULE_INFLATION),
    }
}

fn label(language: Language, name: &str) -> String {
    Rule::parse(name).map_or_else(|| escape(name), |rule| rule_label(language, &rule))
}

fn number(value: f64) -> String {
    format!("{value:.1}")
}

/// `at` (unix seconds) as `YYYY-MM-DD HH:MM` UTC.
fn time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(|| at.to_string(), |at| at.format("%Y-%m-%d %H:%M").to_string())
}

/// The message of a notice.
pub fn notice(language: Language, notice: &Notice) -> String {
    match notice {
        Notice::Fired { rule, value, threshold } => tw(
            language,
            m::ALERT_FIRED,
            &[
                ("rule", label(language, rule).into()),
                ("value", number(*value).into()),
                ("threshold", number(*threshold).into()),
            ],
        ),
        Notice::Resolved { rule, since } => {
            tw(language, m::ALERT_RESOLVED, &[("rule", label(language, rule).into()), ("since", time(*since).into())])
        }
        Notice::Suppressed { count } => tw(language, m::ALERT_SUPPRESSED, &[("count", (*count as i64).into())]),
    }
}

/// `/alerts`: every rule with its threshold, then what fires now.
pub fn list(language: Language, settings: &AlertSettings, firing: &[RuleStatus]) -> Rendered {
    let line = |rule: Rule, threshold: f64| {
        tw(
            language,
            m::ALERTS_RULE,
            &[("rule", rule_label(language, &rule).into()), ("threshold", number(threshold).into())],
        )
    };
    let mut lines = vec![tw(
        language,
        m::ALERTS_TITLE,
        &[
            ("check", (settings.check_every.as_secs() as i64).into()),
            ("window", (settings.window.as_secs() as i64).into()),
            ("max", i64::from(settings.policy.max_per_hour).into()),
        ],
    )];
    lines.push(line(Rule::P95(t(language, m::ALERT_EVERY_OPERATION)), settings.p95_ms));
    lines.push(line(Rule::Errors, settings.errors_per_min));
    lines.push(line(Rule::FlusherLag, settings.flusher_lag_secs));
    lines.push(line(Rule::FailedPayments, settings.failed_payments_per_hour));
    lines.push(line(Rule::Inflation, settings.inflation_pct));
    if firing.is_empty() {
        lines.push(t(language, m::ALERTS_NONE_FIRING));
    } else {
        lines.push(t(language, m::ALERTS_FIRING_TITLE));
        for status in firing {
            lines.push(tw(
                language,
                m::ALERTS_FIRING,
                &[
                    ("rule", rule_label(language, &status.rule).into()),
                    ("value", status.value.map_or_else(|| "–".to_owned(), number).into()),
                    ("since", status.firing_since.map_or_else(String::new, time).into()),
                ],
            ));
        }
    }
    plain(lines.join("\n"))
}

/// `/insights`: a day's insights in full.
pub fn insights(language: Language, insights: &Insights) -> Rendered {
    let mut lines = vec![tw(language, m::INSIGHTS_TITLE, &[("day", reports::date(insights.day).into())])];
    let none = || t(language, m::INSIGHTS_NONE);
    lines.push(t(language, m::INSIGHTS_STOPS));
    lines.extend(insights.stops.iter().map(|stop| {
        tw(
            language,
            m::INSIGHTS_STOP,
            &[
                ("fragment", escape(&stop.fragment).into()),
                ("dropped", stop.dropped.into()),
                ("reached", stop.reached.into()),
            ],
        )
    }));
    if insights.stops.is_empty() {
        lines.push(none());
    }
    lines.push(t(language, m::INSIGHTS_HIGH_VALUE));
    lines.extend(insights.high_value.iter().map(|spender| {
        tw(language, m::INSIGHTS_SPENDER, &[("player", spender.user.into()), ("stars", spender.stars.into())])
    }));
    if insights.high_value.is_empty() {
        lines.push(none());
    }
    lines.push(t(language, m::INSIGHTS_VIPS));
    let end = (insights.day + 1) * DAY;
    lines.extend(insights.vips_at_risk.iter().map(|vip| match vip.risk {
        VipRisk::Expiring { until } => {
            tw(language, m::INSIGHTS_VIP_EXPIRING, &[("player", vip.user.into()), ("until", time(until).into())])
        }
        VipRisk::Inactive { last_seen } => tw(
            language,
            m::INSIGHTS_VIP_INACTIVE,
            &[("player", vip.user.into()), ("days", ((end - last_seen) / DAY).into())],
        ),
    }));
    if insights.vips_at_risk.is_empty() {
        lines.push(none());
    }
    lines.push(t(language, m::INSIGHTS_ECONOMY));
    let percent = |points: i64| format!("{:.2}", points as f64 / 100.0);
    lines.extend(insights.warnings.iter().map(|warning| match *warning {
        EconomyWarning::Inflation { basis_points } => {
            tw(language, m::INSIGHTS_INFLATION, &[("percent", percent(basis_points).into())])
        }
        EconomyWarning::Concentration { holders, basis_points } => tw(
            language,
            m::INSIGHTS_CONCENTRATION,
            &[("holders", holders.into()), ("percent", percent(basis_points).into())],
        ),
    }));
    if insights.warnings.is_empty() {
        lines.push(none());
    }
    plain(lines.join("\n"))
}

/// The daily job's short message to the operators.
pub fn summary(language: Language, insights: &Insights) -> String {
    let top = insights.stops.first().map_or_else(|| "–".to_owned(), |stop| escape(&stop.fragment));
    tw(
        language,
        m::INSIGHTS_SUMMARY,
        &[
            ("day", reports::date(insights.day).into()),
            ("stops", (insights.stops.len() as i64).into()),
            ("fragment", top.into()),
            ("vips", (insights.vips_at_risk.len() as i64).into()),
            ("warnings", (insights.warnings.len() as i64).into()),
        ],
    )
}

/// No insights computed yet.
pub fn no_insights(language: Language) -> Rendered {
    plain(t(language, m::INSIGHTS_NOT_YET))
}
