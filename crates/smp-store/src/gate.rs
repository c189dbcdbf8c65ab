//! Overrides of the screening's gate: a practitioner's typed reason for
//! going ahead where the screening refused, kept with the refusal.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// The longest override reason accepted.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 1000;

/// A recorded override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateOverride {
    /// What the gate said.
    pub refusal: String,
    /// Why the practitioner went ahead.
    pub reason: String,
    /// The login name of the practitioner who went ahead.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
}

impl StudioStore<'_> {
    /// Records that `staff` went ahead for `client_id` despite `refusal`,
    /// because of `reason`, with its audit line. `false` when the client is
    /// not this studio's.
    pub async fn record_override(
        &self,
        client_id: &str,
        staff: &User,
        refusal: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_OVERRIDE_REASON_CHARS {
            return Err(StoreError::Invalid(format!(
                "Say why you go ahead (up to {MAX_OVERRIDE_REASON_CHARS} characters)."
            )));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO gate_overrides (id, studio_id, client_id, staff_id, refusal, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&staff.id)
        .bind(refusal)
        .bind(reason)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::OverrideScreening, client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's overrides, newest first.
    pub async fn overrides(&self, client_id: &str) -> Result<Vec<GateOverride>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.refusal, g.reason, g.created_at, u.name FROM gate_overrides g \
             JOIN users u ON u.id = g.staff_id WHERE g.studio_id = $1 AND g.client_id = $2 \
             ORDER BY g.created_at DESC, g.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| GateOverride {
                refusal: r.get("refusal"),
                reason: r.get("reason"),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
            })
            .collect())
    }
}
