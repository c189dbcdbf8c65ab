//! The client's head measurements: three tape measurements taken at the
//! consultation, every measuring kept with who took it and when.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// One measuring of a client's head, in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadRecord {
    /// Around the head through the brows and both ear tops.
    pub circumference_mm: f64,
    /// From one ear top over the top of the head to the other.
    pub ear_to_ear_mm: f64,
    /// From the brows over the top of the head to the back of the tape line.
    pub front_to_back_mm: f64,
    /// The login name of who measured.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub measured_at: i64,
}

impl StudioStore<'_> {
    /// Keeps a measuring of one of this studio's clients, with its audit
    /// line; `false` when the client is not this studio's (or erased). The
    /// values must be plausible lengths (100 to 1000 mm); whether they fit
    /// one head is the caller's to check.
    pub async fn record_head(
        &self,
        client_id: &str,
        staff: &User,
        [circumference_mm, ear_to_ear_mm, front_to_back_mm]: [f64; 3],
    ) -> Result<bool, StoreError> {
        for (what, v) in [
            ("Around the head", circumference_mm),
            ("Ear to ear", ear_to_ear_mm),
            ("Front to back", front_to_back_mm),
        ] {
            if !(v.is_finite() && (100.0..=1000.0).contains(&v)) {
                return Err(StoreError::Invalid(format!("{what}: {v} mm is not a head measurement.")));
            }
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO head_measurements (id, studio_id, client_id, staff_id, circumference_mm, ear_to_ear_mm, \
             front_to_back_mm, measured_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&staff.id)
        .bind(circumference_mm)
        .bind(ear_to_ear_mm)
        .bind(front_to_back_mm)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::MeasureHead, client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's head measurements, newest first.
    pub async fn head_measurements(&self, client_id: &str) -> Result<Vec<HeadRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.circumference_mm, h.ear_to_ear_mm, h.front_to_back_mm, u.name, h.measured_at \
             FROM head_measurements h JOIN users u ON u.id = h.staff_id \
             WHERE h.studio_id = $1 AND h.client_id = $2 ORDER BY h.measured_at DESC, h.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| HeadRecord {
                circumference_mm: r.get("circumference_mm"),
                ear_to_ear_mm: r.get("ear_to_ear_mm"),
                front_to_back_mm: r.get("front_to_back_mm"),
                staff_name: r.get("name"),
                measured_at: r.get("measured_at"),
            })
            .collect())
    }
}
