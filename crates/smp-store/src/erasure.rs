//! The right to erasure (GDPR Art. 17): a client's record erased at their
//! request. What the law lets the studio keep stays, because it is needed
//! to answer legal claims or to trace a pigment batch (Art. 17(3)(b) and
//! (e)): the signed consents, the session records with their ink passports
//! and amendments, and the audit log. Everything else goes in one
//! transaction: the name (replaced by a placeholder) and contact details,
//! their correction history, the health screenings and overrides, the
//! gallery's pairs (the portfolio consent is kept, ended), the head
//! measurements and scalp assessments, the photos (their files are the
//! caller's to remove: the photo store is not a database), the designs,
//! the plan and the aftercare links. An erased client takes no new records
//! (`owns_client` refuses them).

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, now_ms};

/// The name an erased client's kept records go under.
pub const ERASED_NAME: &str = "Erased client";

/// The longest reason for an erasure.
pub const MAX_ERASURE_REASON_CHARS: usize = 500;

/// What an erasure removes and what it keeps, counted, for the page that
/// asks to confirm it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureCounts {
    /// Health screenings (the answers and their findings).
    pub screenings: i64,
    /// Overrides of the screening's gate.
    pub overrides: i64,
    /// Corrections of the client's details (with the old values).
    pub corrections: i64,
    /// Photos, withdrawn ones included.
    pub photos: i64,
    /// Design versions, drawn on the photos: erased with them.
    pub designs: i64,
    /// Sessions planned and not yet recorded: cancelled.
    pub planned: i64,
    /// Aftercare links still open: ended.
    pub links: i64,
    /// Kept: signed consents.
    pub consents: i64,
    /// Kept: session records.
    pub sessions: i64,
}

/// The query of each count, in [`ErasureCounts`]' order.
const COUNTED: [&str; 9] = [
    "SELECT COUNT(*) AS n FROM screenings WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM gate_overrides WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM client_changes WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM photos WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM designs WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM planned_sessions WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM aftercare_links WHERE studio_id = $1 AND session_id IN \
     (SELECT id FROM treatment_sessions WHERE studio_id = $1 AND client_id = $2)",
    "SELECT COUNT(*) AS n FROM consents WHERE studio_id = $1 AND client_id = $2",
    "SELECT COUNT(*) AS n FROM treatment_sessions WHERE studio_id = $1 AND client_id = $2",
];

/// What goes, in an order the references allow.
const ERASED: [&str; 16] = [
    "DELETE FROM aftercare_links WHERE studio_id = $1 AND session_id IN \
     (SELECT id FROM treatment_sessions WHERE studio_id = $1 AND client_id = $2)",
    "DELETE FROM planned_sessions WHERE studio_id = $1 AND client_id = $2",
    // The kept session records no longer name the design they followed.
    "UPDATE treatment_sessions SET design_id = NULL WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM quotes WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM report_links WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM reports WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM designs WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM photos WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM gate_overrides WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM screenings WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM client_changes WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM head_measurements WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM scalp_assessments WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM outbox WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM previsit_links WHERE studio_id = $1 AND client_id = $2",
    "DELETE FROM contact_preferences WHERE studio_id = $1 AND client_id = $2",
];

impl StudioStore<'_> {
    /// What erasing the client would remove and keep.
    pub async fn erasure_counts(&self, client_id: &str) -> Result<ErasureCounts, StoreError> {
        let mut n = [0i64; 9];
        for (count, sql) in n.iter_mut().zip(COUNTED) {
            *count = sqlx::query(sql)
                .bind(&self.studio.0)
                .bind(client_id)
                .fetch_one(&self.store.pool)
                .await?
                .get("n");
        }
        let [screenings, overrides, corrections, photos, designs, planned, links, consents, sessions] = n;
        Ok(ErasureCounts {
            screenings,
            overrides,
            corrections,
            photos,
            designs,
            planned,
            links,
            consents,
            sessions,
        })
    }

    /// Erases a client's record at their request, for `reason`, by an
    /// admin, with its audit line: the ids of the photos whose files the
    /// caller must now remove from the photo store. `None` when there is no
    /// such client here (or it is erased already).
    pub async fn erase_client(
        &self,
        admin: &User,
        client_id: &str,
        reason: &str,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_ERASURE_REASON_CHARS {
            return Err(StoreError::Invalid(format!(
                "Say on what request the record is erased (up to {MAX_ERASURE_REASON_CHARS} characters)."
            )));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let photos: Vec<String> =
            sqlx::query("SELECT id FROM photos WHERE studio_id = $1 AND client_id = $2")
                .bind(&self.studio.0)
                .bind(client_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.get("id"))
                .collect();
        // A signed portfolio consent is kept like the treatment consent,
        // ended, its pairs gone (before the photos they name).
        self.end_portfolio_in(&mut tx, client_id, admin).await?;
        for sql in ERASED {
            sqlx::query(sql).bind(&self.studio.0).bind(client_id).execute(&mut *tx).await?;
        }
        // A tablet handed to the client for their consent is taken back.
        sqlx::query("UPDATE sessions SET client_mode_for = NULL WHERE client_mode_for = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE clients SET full_name = $1, birth_date = NULL, email = NULL, phone = NULL, \
             erased_at = $2, erased_reason = $3, updated_at = $2 WHERE studio_id = $4 AND id = $5",
        )
        .bind(ERASED_NAME)
        .bind(now_ms())
        .bind(reason)
        .bind(&self.studio.0)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, admin, AuditAction::EraseClient, client_id).await?;
        tx.commit().await?;
        Ok(Some(photos))
    }
}
