//! The practitioner's assessments of a client's scalp, every one kept with
//! who made it and when. The document is the clinical crate's to read; the
//! store keeps its text.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// The largest assessment document accepted.
pub const MAX_ASSESSMENT_BYTES: usize = 16 * 1024;

/// One assessment, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRecord {
    /// The document (`smp_clinic::assessment::ScalpAssessment`, JSON).
    pub assessment_json: String,
    /// The login name of who assessed.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub assessed_at: i64,
}

impl StudioStore<'_> {
    /// Keeps an assessment of one of this studio's clients, with its audit
    /// line; `false` when the client is not this studio's (or erased).
    pub async fn record_assessment(
        &self,
        client_id: &str,
        staff: &User,
        assessment_json: &str,
    ) -> Result<bool, StoreError> {
        if assessment_json.len() > MAX_ASSESSMENT_BYTES {
            return Err(StoreError::Invalid("The assessment is too large to keep.".into()));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO scalp_assessments (id, studio_id, client_id, staff_id, assessment_json, assessed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&staff.id)
        .bind(assessment_json)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::AssessScalp, client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's assessments, newest first.
    pub async fn assessments(&self, client_id: &str) -> Result<Vec<AssessmentRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.assessment_json, u.name, a.assessed_at FROM scalp_assessments a \
             JOIN users u ON u.id = a.staff_id \
             WHERE a.studio_id = $1 AND a.client_id = $2 ORDER BY a.assessed_at DESC, a.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AssessmentRecord {
                assessment_json: r.get("assessment_json"),
                staff_name: r.get("name"),
                assessed_at: r.get("assessed_at"),
            })
            .collect())
    }
}
