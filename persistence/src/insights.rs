//! The daily insights: where most players stop in the story, the players
//! worth most in Stars, VIPs at risk (paid period ending soon, or gone
//! quiet), and warnings about the besitos economy. [`insights`] computes
//! them for a finished UTC day from the same rows the reports read; the
//! binary's daily job (a timer of owner kind [`OPS_TIMERS`]) stores them
//! per day (`insights`, `insight_days`) and tells the operators, and the
//! operator's `/insights` (or a dashboard) reads them back.

use std::collections::BTreeMap;

use dianabot_game::TimerName;

use crate::analytics::kinds;
use crate::reports::{self, DAY, FragmentInfo, Period, ReportError, Scope, Value};
use crate::store::{Store, on_both};
use crate::{StoreError, USER_TIMERS};

/// The owner kind of the server's own timers (not a user's, not a post's).
pub const OPS_TIMERS: &str = "ops";
/// The one ops timer: the daily job (insights, analytics partitions).
pub const DAILY: &str = "daily";

/// What counts as worth telling, with defaults that suit a small bot.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightSettings {
    /// Days of story activity the stopping fragments are found in.
    pub stop_days: i64,
    /// How many stopping fragments and high-value players are listed.
    pub top: usize,
    /// A VIP whose paid period ends within this many days is at risk.
    pub vip_expiring_days: i64,
    /// A VIP with no activity of their own for this many days is at risk.
    pub vip_inactive_days: i64,
    /// The day's net besitos minted over the supply, in percent, above
    /// which the economy is inflating.
    pub inflation_pct: f64,
    /// The richest `concentration_top` players holding more than
    /// `concentration_pct` percent of the supply is a warning (only when
    /// more players than that hold besitos).
    pub concentration_top: i64,
    pub concentration_pct: f64,
}

impl Default for InsightSettings {
    fn default() -> InsightSettings {
        InsightSettings {
            stop_days: 7,
            top: 5,
            vip_expiring_days: 3,
            vip_inactive_days: 7,
            inflation_pct: 5.0,
            concentration_top: 10,
            concentration_pct: 50.0,
        }
    }
}

/// A fragment where players stopped: reached it, took no decision from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub fragment: String,
    pub reached: i64,
    pub dropped: i64,
}

/// A player by the Stars they paid, net of refunds, ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spender {
    pub user: i64,
    pub stars: i64,
}

/// Why a VIP may not stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VipRisk {
    /// The paid period ends at `until` (unix seconds), within the window.
    Expiring { until: i64 },
    /// Nothing of their own since `last_seen` (unix seconds; 0: never).
    Inactive { last_seen: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VipAtRisk {
    pub user: i64,
    pub risk: VipRisk,
}

/// Something wrong with the besitos economy. Percentages are in hundredths
/// of a percent (1250 is 12.50 %), so they store as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EconomyWarning {
    /// The day's net minted besitos over the supply at its start.
    Inflation { basis_points: i64 },
    /// The richest `holders` players' share of the supply.
    Concentration { holders: i64, basis_points: i64 },
}

/// One day's insights.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Insights {
    /// The UTC day they describe (days since the epoch).
    pub day: i64,
    /// Most players stopped first.
    pub stops: Vec<Stop>,
    /// Most Stars first.
    pub high_value: Vec<Spender>,
    /// Expiring first (soonest first), then inactive (longest quiet first).
    pub vips_at_risk: Vec<VipAtRisk>,
    pub warnings: Vec<EconomyWarning>,
}

/// `part / whole` in hundredths of a percent; `None` when `whole` is not positive.
fn basis_points(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (i128::from(part) * 10_000 / i128::from(whole)) as i64)
}

/// The insights of `day` (a finished UTC day): what the rows say at its end.
pub async fn insights(
    store: &Store,
    fragments: &BTreeMap<String, FragmentInfo>,
    day: i64,
    settings: &InsightSettings,
) -> Result<Insights, ReportError> {
    let end = (day + 1) * DAY;
    Ok(Insights {
        day,
        stops: stops(store, fragments, end, settings).await?,
        high_value: high_value(store, end, settings.top).await?,
        vips_at_risk: vips_at_risk(store, end, settings).await?,
        warnings: warnings(store, day, settings).await?,
    })
}

async fn stops(
    store: &Store,
    fragments: &BTreeMap<String, FragmentInfo>,
    end: i64,
    settings: &InsightSettings,
) -> Result<Vec<Stop>, ReportError> {
    let scope =
        Scope { period: Period { since: end - settings.stop_days * DAY, until: end }, fragments: fragments.clone() };
    let report = reports::run(store, "story", &scope).await?;
    let at = |name: &str| report.columns.iter().position(|column| column.name == name);
    let (Some(fragment), Some(reached), Some(dropped)) = (at("fragment"), at("reached"), at("dropped")) else {
        return Ok(Vec::new());
    };
    // The report is sorted by players dropped, most first; endings have none.
    Ok(report
        .rows
        .iter()
        .filter_map(|row| {
            let Value::Text(id) = row.get(fragment)? else { return None };
            let dropped = row.get(dropped)?.as_i64().filter(|dropped| *dropped > 0)?;
            Some(Stop { fragment: id.clone(), reached: row.get(reached)?.as_i64()?, dropped })
        })
        .take(settings.top)
        .collect())
}

async fn high_value(store: &Store, end: i64, top: usize) -> Result<Vec<Spender>, StoreError> {
    let sql = format!(
        "SELECT user_id, CAST(SUM(CASE WHEN kind = '{refunded}' THEN -amount ELSE amount END) AS BIGINT) AS net
         FROM analytics_events WHERE kind IN ('{paid}', '{activated}', '{renewed}', '{refunded}') AND at < $1
         GROUP BY user_id ORDER BY net DESC, user_id LIMIT $2",
        refunded = kinds::STARS_REFUNDED,
        paid = kinds::STARS_PAID,
        activated = kinds::VIP_ACTIVATED,
        renewed = kinds::VIP_RENEWED,
    );
    let rows: Vec<(i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(end)
        .bind(top as i64)
        .fetch_all(pool)
        .await?);
    Ok(rows.into_iter().filter(|(_, stars)| *stars > 0).map(|(user, stars)| Spender { user, stars }).collect())
}

/// VIPs whose paid period ends within the window (their `vip.expiry`
/// timer), then VIPs (a paid or trial period not yet past its grace: a
/// `vip.grace_end` timer) with no activity of their own for the window.
async fn vips_at_risk(store: &Store, end: i64, settings: &InsightSettings) -> Result<Vec<VipAtRisk>, StoreError> {
    let expiring = "SELECT owner_id, due_at FROM timers WHERE owner_kind = $1 AND name = $2
                    AND due_at >= $3 AND due_at < $4 ORDER BY due_at, owner_id";
    let rows: Vec<(i64, i64)> = on_both!(store, |pool| sqlx::query_as(expiring)
        .bind(USER_TIMERS)
        .bind(TimerName::VipExpiry.key())
        .bind(end)
        .bind(end + settings.vip_expiring_days * DAY)
        .fetch_all(pool)
        .await?);
    let mut at_risk: Vec<VipAtRisk> =
        rows.iter().map(|&(user, until)| VipAtRisk { user, risk: VipRisk::Expiring { until } }).collect();
    let quiet = format!(
        "SELECT t.owner_id, CAST(COALESCE(MAX(e.at), 0) AS BIGINT) AS last_seen
         FROM timers t LEFT JOIN analytics_events e ON e.user_id = t.owner_id AND e.at < $3 AND {active}
         WHERE t.owner_kind = $1 AND t.name = $2
         GROUP BY t.owner_id HAVING COALESCE(MAX(e.at), 0) < $4 ORDER BY last_seen, t.owner_id",
        active = reports::not_passive("e.kind"),
    );
    let rows: Vec<(i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(quiet))
        .bind(USER_TIMERS)
        .bind(TimerName::VipGraceEnd.key())
        .bind(end)
        .bind(end - settings.vip_inactive_days * DAY)
        .fetch_all(pool)
        .await?);
    for (user, last_seen) in rows {
        if !at_risk.iter().any(|vip| vip.user == user) {
            at_risk.push(VipAtRisk { user, risk: VipRisk::Inactive { last_seen } });
        }
    }
    Ok(at_risk)
}

async fn warnings(store: &Store, day: i64, settings: &InsightSettings) -> Result<Vec<EconomyWarning>, ReportError> {
    let mut warnings = Vec::new();
    let economy = reports::run(
        store,
        "economy",
        &Scope { period: Period { since: day * DAY, until: (day + 1) * DAY }, fragments: BTreeMap::new() },
    )
    .await?;
    let value = |name: &str| economy.value(&reports::date(day), name).and_then(Value::as_i64);
    if let (Some(net), Some(supply)) = (value("net"), value("supply")) {
        // The report's inflation is over the supply at the day's start.
        if let Some(points) = basis_points(net, supply - net)
            && points as f64 > settings.inflation_pct * 100.0
        {
            warnings.push(EconomyWarning::Inflation { basis_points: points });
        }
    }
    let sql = "SELECT CAST(COALESCE(SUM(besitos), 0) AS BIGINT), COUNT(*) FROM balances WHERE besitos > 0";
    let top = "SELECT CAST(COALESCE(SUM(besitos), 0) AS BIGINT) FROM
               (SELECT besitos FROM balances WHERE besitos > 0 ORDER BY besitos DESC LIMIT $1) AS richest";
    let (total, holders): (i64, i64) = on_both!(store, |pool| sqlx::query_as(sql).fetch_one(pool).await?);
    if holders > settings.concentration_top {
        let (held,): (i64,) =
            on_both!(store, |pool| sqlx::query_as(top).bind(settings.concentration_top).fetch_one(pool).await?);
        if let Some(points) = basis_points(held, total)
            && points as f64 > settings.concentration_pct * 100.0
        {
            warnings.push(EconomyWarning::Concentration { holders: settings.concentration_top, basis_points: points });
        }
    }
    Ok(warnings)
}

/// A stored finding: `(kind, rank, subject, amount, detail)`.
type Row = (String, i32, String, i64, i64);

const STOP: &str = "stop";
const HIGH_VALUE: &str = "high_value";
const VIP_EXPIRING: &str = "vip_expiring";
const VIP_INACTIVE: &str = "vip_inactive";
const INFLATION: &str = "inflation";
const CONCENTRATION: &str = "concentration";

impl Insights {
    /// Nothing to report.
    pub fn is_empty(&self) -> bool {
        self.stops.is_empty() && self.high_value.is_empty() && self.vips_at_risk.is_empty() && self.warnings.is_empty()
    }

    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut push = |kind: &str, subject: String, amount: i64, detail: i64| {
            let rank = rows.iter().filter(|row: &&Row| row.0 == kind).count() as i32;
            rows.push((kind.to_owned(), rank, subject, amount, detail));
        };
        for stop in &self.stops {
            push(STOP, stop.fragment.clone(), stop.dropped, stop.reached);
        }
        for spender in &self.high_value {
            push(HIGH_VALUE, spender.user.to_string(), spender.stars, 0);
        }
        for vip in &self.vips_at_risk {
            match vip.risk {
                VipRisk::Expiring { until } => push(VIP_EXPIRING, vip.user.to_string(), until, 0),
                VipRisk::Inactive { last_seen } => push(VIP_INACTIVE, vip.user.to_string(), last_seen, 0),
            }
        }
        for warning in &self.warnings {
            match *warning {
                EconomyWarning::Inflation { basis_points } => push(INFLATION, String::new(), basis_points, 0),
                EconomyWarning::Concentration { holders, basis_points } => {
                    push(CONCENTRATION, String::new(), basis_points, holders)
                }
            }
        }
        rows
    }

    fn from_rows(day: i64, rows: Vec<Row>) -> Result<Insights, StoreError> {
        let mut insights = Insights { day, ..Insights::default() };
        let user = |subject: &str| {
            subject.parse::<i64>().map_err(|_| StoreError::Corrupt(format!("insight of day {day}: user {subject:?}")))
        };
        for (kind, _, subject, amount, detail) in rows {
            match kind.as_str() {
                STOP => insights.stops.push(Stop { fragment: subject, reached: detail, dropped: amount }),
                HIGH_VALUE => insights.high_value.push(Spender { user: user(&subject)?, stars: amount }),
                VIP_EXPIRING => insights
                    .vips_at_risk
                    .push(VipAtRisk { user: user(&subject)?, risk: VipRisk::Expiring { until: amount } }),
                VIP_INACTIVE => insights
                    .vips_at_risk
                    .push(VipAtRisk { user: user(&subject)?, risk: VipRisk::Inactive { last_seen: amount } }),
                INFLATION => insights.warnings.push(EconomyWarning::Inflation { basis_points: amount }),
                CONCENTRATION => {
                    insights.warnings.push(EconomyWarning::Concentration { holders: detail, basis_points: amount })
                }
                other => return Err(StoreError::Corrupt(format!("insight of day {day}: kind {other:?}"))),
            }
        }
        Ok(insights)
    }
}

impl Store {
    /// Stores `insights` over whatever its day held (a recomputation
    /// replaces it), keeping whether the operators were told.
    pub async fn save_insights(&self, insights: &Insights, computed_at: i64) -> Result<(), StoreError> {
        let clear = "DELETE FROM insights WHERE day = $1";
        let insert = "INSERT INTO insights (day, kind, rank, subject, amount, detail) VALUES ($1, $2, $3, $4, $5, $6)";
        let day = "INSERT INTO insight_days (day, computed_at) VALUES ($1, $2)
                   ON CONFLICT (day) DO UPDATE SET computed_at = excluded.computed_at";
        let rows = insights.rows();
        on_both!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(clear).bind(insights.day).execute(&mut *tx).await?;
            for (kind, rank, subject, amount, detail) in &rows {
                sqlx::query(insert)
                    .bind(insights.day)
                    .bind(kind)
                    .bind(rank)
                    .bind(subject)
                    .bind(amount)
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(day).bind(insights.day).bind(computed_at).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The insights of the latest day computed, if any.
    /// The insights of `day`, or of the latest day computed (`None` when no
    /// day was): what `/insights` and the dashboard show.
    pub async fn stored_insights(&self, day: Option<i64>) -> Result<Option<Insights>, StoreError> {
        match day {
            Some(day) => self.insights_of(day).await.map(Some),
            None => self.latest_insights().await,
        }
    }

    pub async fn latest_insights(&self) -> Result<Option<Insights>, StoreError> {
        let latest = "SELECT day FROM insight_days ORDER BY day DESC LIMIT 1";
        let day: Option<(i64,)> = on_both!(self, |pool| sqlx::query_as(latest).fetch_optional(pool).await?);
        match day {
            Some((day,)) => Ok(Some(self.insights_of(day).await?)),
            None => Ok(None),
        }
    }

    /// The stored insights of `day` (empty if it was never computed).
    pub async fn insights_of(&self, day: i64) -> Result<Insights, StoreError> {
        let sql = "SELECT kind, rank, subject, amount, detail FROM insights WHERE day = $1 ORDER BY kind, rank";
        let rows: Vec<Row> = on_both!(self, |pool| sqlx::query_as(sql).bind(day).fetch_all(pool).await?);
        let mut rows = rows;
        // Back in the order they were computed in: by kind as listed, then rank.
        let order = [STOP, HIGH_VALUE, VIP_EXPIRING, VIP_INACTIVE, INFLATION, CONCENTRATION];
        rows.sort_by_key(|row| (order.iter().position(|kind| *kind == row.0), row.1));
        Insights::from_rows(day, rows)
    }

    /// Records that the operators were sent `day`'s summary; `false` if
    /// they had been already (a daily job delivered twice sends once).
    pub async fn mark_insights_summarised(&self, day: i64, at: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE insight_days SET summarised_at = $2 WHERE day = $1 AND summarised_at IS NULL";
        let done = on_both!(self, |pool| sqlx::query(sql).bind(day).bind(at).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }
}
