//! Consultation reports: each PDF kept as it was made, with its design
//! version; making one again makes a new one.

use sqlx::Row;

use crate::{StoreError, StudioStore, User, new_id, now_ms};

/// The largest report kept (photos at print resolution).
pub const MAX_REPORT_BYTES: usize = 32 * 1024 * 1024;

/// A report, as the editor lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Its id.
    pub id: String,
    /// Who made it.
    pub staff_name: String,
    /// When, unix ms.
    pub created_at: i64,
}

impl StudioStore<'_> {
    /// Keeps a report made from the client's design version `design_id`:
    /// its id, or `None` when the design is not the client's here.
    pub async fn save_report(
        &self,
        client_id: &str,
        design_id: &str,
        staff: &User,
        pdf: &[u8],
    ) -> Result<Option<String>, StoreError> {
        if pdf.len() > MAX_REPORT_BYTES {
            return Err(StoreError::Invalid("The report is too large to keep.".into()));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_design(&mut tx, client_id, design_id).await? {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO reports (id, studio_id, client_id, design_id, staff_id, created_at, pdf) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(design_id)
        .bind(&staff.id)
        .bind(now_ms())
        .bind(pdf.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The reports of a design version, newest first.
    pub async fn reports(&self, design_id: &str) -> Result<Vec<StoredReport>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, u.name, r.created_at FROM reports r JOIN users u ON u.id = r.staff_id \
             WHERE r.studio_id = $1 AND r.design_id = $2 ORDER BY r.created_at DESC, r.id",
        )
        .bind(&self.studio.0)
        .bind(design_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| StoredReport {
                id: r.get("id"),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
            })
            .collect())
    }

    /// A report's PDF, when it is the client's here.
    pub async fn report_pdf(&self, client_id: &str, report_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT pdf FROM reports WHERE studio_id = $1 AND client_id = $2 AND id = $3")
            .bind(&self.studio.0)
            .bind(client_id)
            .bind(report_id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(row.map(|r| r.get("pdf")))
    }
}
