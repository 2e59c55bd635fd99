//! Operator alerts' durable state (`alert_states`): which rules fire, since
//! when, and when operators were last told, so a restart while a rule fires
//! does not alert again. Written through by the binary's alert engine.

use crate::StoreError;
use crate::analytics::kinds;
use crate::store::{Store, on_both};

/// A rule's row: what the operators were told of it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertState {
    /// The rule's stable name (`p95:story_decide`, `errors`, …).
    pub rule: String,
    /// Set while the rule fires: unix seconds it started.
    pub firing_since: Option<i64>,
    /// When the operators were last told it fired.
    pub last_notified: Option<i64>,
    /// When it last cleared.
    pub resolved_at: Option<i64>,
    /// The measurement that made it fire (or clear).
    pub value: f64,
}

type AlertRow = (String, Option<i64>, Option<i64>, Option<i64>, f64);

impl Store {
    /// Every rule that has ever fired.
    pub async fn alert_states(&self) -> Result<Vec<AlertState>, StoreError> {
        let sql = "SELECT rule, firing_since, last_notified, resolved_at, value FROM alert_states ORDER BY rule";
        let rows: Vec<AlertRow> = on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(rule, firing_since, last_notified, resolved_at, value)| AlertState {
                rule,
                firing_since,
                last_notified,
                resolved_at,
                value,
            })
            .collect())
    }

    /// Writes `state` over its rule's row.
    pub async fn put_alert_state(&self, state: &AlertState) -> Result<(), StoreError> {
        let sql = "INSERT INTO alert_states (rule, firing_since, last_notified, resolved_at, value)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (rule) DO UPDATE SET firing_since = excluded.firing_since,
                       last_notified = excluded.last_notified, resolved_at = excluded.resolved_at,
                       value = excluded.value";
        on_both!(self, |pool| sqlx::query(sql)
            .bind(&state.rule)
            .bind(state.firing_since)
            .bind(state.last_notified)
            .bind(state.resolved_at)
            .bind(state.value)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// Stars payments that went wrong since `since`: purchases refunded (an
    /// operator's refund) and second charges of a purchase already paid
    /// (owed back, or given back).
    pub async fn failed_payments_since(&self, since: i64) -> Result<i64, StoreError> {
        let refunds = "SELECT COUNT(*) FROM analytics_events WHERE kind = $1 AND at >= $2";
        let owed = "SELECT COUNT(*) FROM star_charges WHERE status <> 'granted' AND updated_at >= $1";
        let (refunded,): (i64,) = on_both!(self, |pool| sqlx::query_as(refunds)
            .bind(kinds::STARS_REFUNDED)
            .bind(since)
            .fetch_one(pool)
            .await?);
        let (owed,): (i64,) = on_both!(self, |pool| sqlx::query_as(owed).bind(since).fetch_one(pool).await?);
        Ok(refunded + owed)
    }
}
