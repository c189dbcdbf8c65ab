//! Consultation reports: each PDF kept as it was made, with its design
//! version; making one again makes a new one. A report is shared with the
//! client through a download link (only the token's digest is kept), and
//! set on the studio's paper.

use sqlx::Row;

use crate::users::token_digest;
use crate::{NewMessage, Store, StoreError, StudioId, StudioStore, User, new_id, now_ms, random_token};

/// Where a report link's token goes in its message's text.
pub const REPORT_TOKEN: &str = "{report-token}";

/// A link a report was shared by, as the editor lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLink {
    /// Who shared it.
    pub staff_name: String,
    /// When, unix ms.
    pub created_at: i64,
    /// Until when it works, unix ms.
    pub expires_at: i64,
    /// When the client last opened it.
    pub opened_at: Option<i64>,
}

/// The largest report kept (photos at print resolution).
pub const MAX_REPORT_BYTES: usize = 32 * 1024 * 1024;

/// A report, as the editor and the chart list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Its id.
    pub id: String,
    /// The design version it was made from, and that version's number.
    pub design: (String, i64),
    /// Who made it.
    pub staff_name: String,
    /// When, unix ms.
    pub created_at: i64,
    /// The links it was shared by, newest first.
    pub links: Vec<ReportLink>,
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
        self.reports_where("r.design_id", design_id).await
    }

    /// The client's reports, of every design version, newest first.
    pub async fn client_reports(&self, client_id: &str) -> Result<Vec<StoredReport>, StoreError> {
        self.reports_where("r.client_id", client_id).await
    }

    /// The reports whose `column` is `value`, with their links.
    async fn reports_where(&self, column: &str, value: &str) -> Result<Vec<StoredReport>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT r.id, r.design_id, d.version, u.name, r.created_at FROM reports r \
             JOIN users u ON u.id = r.staff_id JOIN designs d ON d.id = r.design_id \
             WHERE r.studio_id = $1 AND {column} = $2 ORDER BY r.created_at DESC, r.id"
        ))
        .bind(&self.studio.0)
        .bind(value)
        .fetch_all(&self.store.pool)
        .await?;
        let mut reports: Vec<StoredReport> = rows
            .iter()
            .map(|r| StoredReport {
                id: r.get("id"),
                design: (r.get("design_id"), r.get("version")),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
                links: Vec::new(),
            })
            .collect();
        let links = sqlx::query(&format!(
            "SELECT l.report_id, u.name, l.created_at, l.expires_at, l.opened_at FROM report_links l \
             JOIN users u ON u.id = l.staff_id JOIN reports r ON r.id = l.report_id \
             WHERE l.studio_id = $1 AND {column} = $2 ORDER BY l.created_at DESC"
        ))
        .bind(&self.studio.0)
        .bind(value)
        .fetch_all(&self.store.pool)
        .await?;
        for l in &links {
            let report_id: String = l.get("report_id");
            if let Some(report) = reports.iter_mut().find(|r| r.id == report_id) {
                report.links.push(ReportLink {
                    staff_name: l.get("name"),
                    created_at: l.get("created_at"),
                    expires_at: l.get("expires_at"),
                    opened_at: l.get("opened_at"),
                });
            }
        }
        Ok(reports)
    }

    /// A new download link to the client's report, valid `days`: its
    /// token, or `None` when the report is not the client's here (or the
    /// client is erased). `message`, when given, goes to the outbox with
    /// it, [`REPORT_TOKEN`] in its text becoming the token.
    pub async fn share_report(
        &self,
        client_id: &str,
        report_id: &str,
        staff: &User,
        days: i64,
        message: Option<&NewMessage>,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let report = sqlx::query("SELECT 1 FROM reports WHERE studio_id = $1 AND client_id = $2 AND id = $3")
            .bind(&self.studio.0)
            .bind(client_id)
            .bind(report_id)
            .fetch_optional(&mut *tx)
            .await?;
        if report.is_none() {
            return Ok(None);
        }
        let token = random_token();
        let digest = token_digest(&token);
        let now = now_ms();
        sqlx::query(
            "INSERT INTO report_links (token_digest, studio_id, client_id, report_id, staff_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&digest)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(report_id)
        .bind(&staff.id)
        .bind(now)
        .bind(now + days.clamp(1, 90) * 86_400_000)
        .execute(&mut *tx)
        .await?;
        if let Some(m) = message {
            let m = NewMessage { body: m.body.replace(REPORT_TOKEN, &token), ..m.clone() };
            self.schedule_in(&mut tx, client_id, &format!("report:{}", &digest[..16]), &[m]).await?;
        }
        tx.commit().await?;
        Ok(Some(token))
    }

    /// The design version a report of the client's was made from.
    pub async fn report_design(
        &self,
        client_id: &str,
        report_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT design_id FROM reports WHERE studio_id = $1 AND client_id = $2 AND id = $3")
                .bind(&self.studio.0)
                .bind(client_id)
                .bind(report_id)
                .fetch_optional(&self.store.pool)
                .await?;
        Ok(row.map(|r| r.get("design_id")))
    }

    /// The paper the studio's reports are set on: "a4" or "letter".
    pub async fn report_paper(&self) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT report_paper FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.get("report_paper"))
    }

    /// Sets the paper of the studio's reports, audited.
    pub async fn set_report_paper(&self, staff: &User, paper: &str) -> Result<(), StoreError> {
        if !["a4", "letter"].contains(&paper) {
            return Err(StoreError::Invalid("Choose A4 or US Letter.".into()));
        }
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET report_paper = $1 WHERE id = $2")
            .bind(paper)
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, crate::AuditAction::StudioDetails, &format!("report paper {paper}"))
            .await?;
        tx.commit().await?;
        Ok(())
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

impl Store {
    /// The report the link `token` opens, while it is live (made, not
    /// expired, its client not erased): its studio and PDF. Notes the
    /// opening for the chart.
    pub async fn shared_report(&self, token: &str) -> Result<Option<(StudioId, Vec<u8>)>, StoreError> {
        let digest = token_digest(token);
        let row = sqlx::query(
            "SELECT l.studio_id, r.pdf FROM report_links l JOIN reports r ON r.id = l.report_id \
             JOIN clients c ON c.id = l.client_id \
             WHERE l.token_digest = $1 AND l.expires_at > $2 AND c.erased_at IS NULL",
        )
        .bind(&digest)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut tx = self.write().await?;
        sqlx::query("UPDATE report_links SET opened_at = $1 WHERE token_digest = $2")
            .bind(now_ms())
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((StudioId(row.get("studio_id")), row.get("pdf"))))
    }
}
