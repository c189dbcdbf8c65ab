//! Screenings: an intake and the rule set's result, stored with their
//! audit line; the latest one guards everything after it.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// A stored screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    /// Made by the store (a UUID).
    pub id: String,
    /// The intake as answered (TOML, as `smp screen` reads it).
    pub intake_toml: String,
    /// The rule set's version.
    pub rules_version: String,
    /// The overall outcome.
    pub outcome: String,
    /// The full result (JSON).
    pub result_json: String,
    /// Who recorded it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
    /// Whether the client gave these answers at home, through a pre-visit
    /// link (`staff_name` made the link).
    pub submitted_by_client: bool,
}

impl StudioStore<'_> {
    /// Stores a screening of one of this studio's clients, with its audit
    /// line, in one transaction. `false` when the client is not this studio's.
    pub async fn record_screening(
        &self,
        client_id: &str,
        staff: &User,
        intake_toml: &str,
        rules_version: &str,
        outcome: &str,
        result_json: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        let answers = ScreeningAnswers { intake_toml, rules_version, outcome, result_json };
        insert_screening(&mut tx, &self.studio.0, client_id, &staff.id, &answers, false).await?;
        self.audit_in(&mut tx, staff, AuditAction::RecordScreening, client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's screenings, newest first.
    pub async fn screenings(&self, client_id: &str) -> Result<Vec<Screening>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.intake_toml, s.rules_version, s.outcome, s.result_json, s.created_at, u.name, \
             s.submitted_by_client              FROM screenings s JOIN users u ON u.id = s.staff_id              WHERE s.studio_id = $1 AND s.client_id = $2 ORDER BY s.created_at DESC, s.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Screening {
                id: r.get("id"),
                intake_toml: r.get("intake_toml"),
                rules_version: r.get("rules_version"),
                outcome: r.get("outcome"),
                result_json: r.get("result_json"),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
                submitted_by_client: r.get::<i64, _>("submitted_by_client") != 0,
            })
            .collect())
    }
}

/// A screening's stored parts.
pub(crate) struct ScreeningAnswers<'a> {
    pub(crate) intake_toml: &'a str,
    pub(crate) rules_version: &'a str,
    pub(crate) outcome: &'a str,
    pub(crate) result_json: &'a str,
}

/// Writes a screening in `tx`: recorded by `staff_id`, or given by the
/// client through a pre-visit link that `staff_id` made.
pub(crate) async fn insert_screening(
    tx: &mut crate::Tx,
    studio_id: &str,
    client_id: &str,
    staff_id: &str,
    answers: &ScreeningAnswers<'_>,
    by_client: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO screenings (id, studio_id, client_id, staff_id, intake_toml, rules_version, outcome, \
         result_json, created_at, submitted_by_client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(studio_id)
    .bind(client_id)
    .bind(staff_id)
    .bind(answers.intake_toml)
    .bind(answers.rules_version)
    .bind(answers.outcome)
    .bind(answers.result_json)
    .bind(now_ms())
    .bind(i64::from(by_client))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
