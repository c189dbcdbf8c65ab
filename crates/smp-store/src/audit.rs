//! The audit log: who viewed or changed what, written in the same
//! transaction as the change it records, and read back filtered.

use sqlx::Row;

use crate::{Backend, StoreError, StudioStore, User, like_escaped, new_id, now_ms};

/// What an audit line records. The word each is stored as (`as_str`) is
/// what the log has always held: it is read back by filters and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `view-health`; the subject is the client's id.
    ViewHealth,
    /// `record-screening`; the subject is the client's id.
    RecordScreening,
    /// `override-screening`; the subject is the client's id.
    OverrideScreening,
    /// `view-consent`; the subject is the client's id.
    ViewConsent,
    /// `sign-consent`; the subject is the client's id.
    SignConsent,
    /// `hand-to-client`; the subject is the client's id.
    HandToClient,
    /// `take-back-from-client`; the subject is the client's id.
    TakeBackFromClient,
    /// `view-photos`; the subject is the client's id.
    ViewPhotos,
    /// `view-photo`; the subject is the client's id.
    ViewPhoto,
    /// `view-session`; the subject is the client's id.
    ViewSession,
    /// `erase-client`; the subject is the client's id.
    EraseClient,
    /// `measure-head`; the subject is the client's id.
    MeasureHead,
    /// `assess-scalp`; the subject is the client's id.
    AssessScalp,
    /// `upload-photo`; the subject is the client's id.
    UploadPhoto,
    /// `withdraw-photo`; the subject is the client's id.
    WithdrawPhoto,
    /// `save-design`; the subject is the client's id.
    SaveDesign,
    /// `export-design`; the subject is the client's id.
    ExportDesign,
    /// `plan-sessions`; the subject is the client's id.
    PlanSessions,
    /// `record-session`; the subject is the client's id.
    RecordSession,
    /// `amend-session`; the subject is the client's id.
    AmendSession,
    /// `share-aftercare`; the subject is the client's id.
    ShareAftercare,
    /// `revoke-aftercare`; the subject is the client's id.
    RevokeAftercare,
    /// `create-client`; the subject is the client's id.
    CreateClient,
    /// `edit-client`; the subject is the client's id.
    EditClient,
    /// `login`; the subject is what it is about, as words.
    Login,
    /// `logout`; the subject is what it is about, as words.
    Logout,
    /// `login-failed`; the subject is what it is about, as words.
    LoginFailed,
    /// `change-password`; the subject is what it is about, as words.
    ChangePassword,
    /// `set-pin`; the subject is what it is about, as words.
    SetPin,
    /// `remove-pin`; the subject is what it is about, as words.
    RemovePin,
    /// `add-user`; the subject is what it is about, as words.
    AddUser,
    /// `reset-password`; the subject is what it is about, as words.
    ResetPassword,
    /// `deactivate-user`; the subject is what it is about, as words.
    DeactivateUser,
    /// `reactivate-user`; the subject is what it is about, as words.
    ReactivateUser,
    /// `change-role`; the subject is what it is about, as words.
    ChangeRole,
    /// `studio-details`; the subject is what it is about, as words.
    StudioDetails,
    /// `studio-hours`; the subject is what it is about, as words.
    StudioHours,
    /// `studio-chairs`; the subject is what it is about, as words.
    StudioChairs,
    /// `studio-accent`; the subject is what it is about, as words.
    StudioAccent,
    /// `studio-logo`; the subject is what it is about, as words.
    StudioLogo,
    /// `studio-logo-removed`; the subject is what it is about, as words.
    StudioLogoRemoved,
    /// `publish-consent-text`; the subject is what it is about, as words.
    PublishConsentText,
    /// `sign-portfolio-consent`; the subject is the client's id.
    SignPortfolioConsent,
    /// `revoke-portfolio-consent`; the subject is the client's id.
    RevokePortfolioConsent,
    /// `gallery-add`; the subject is the client's id.
    GalleryAdd,
    /// `gallery-remove`; the subject is the client's id.
    GalleryRemove,
    /// `gallery-adjust`; the subject is the client's id.
    GalleryAdjust,
    /// `public-gallery`; the subject is what it is about, as words.
    PublicGallery,
}

impl AuditAction {
    /// Every action, in the order the log's filter offers them.
    pub const ALL: [AuditAction; 48] = [
        AuditAction::ViewHealth,
        AuditAction::RecordScreening,
        AuditAction::OverrideScreening,
        AuditAction::ViewConsent,
        AuditAction::SignConsent,
        AuditAction::HandToClient,
        AuditAction::TakeBackFromClient,
        AuditAction::ViewPhotos,
        AuditAction::ViewPhoto,
        AuditAction::ViewSession,
        AuditAction::EraseClient,
        AuditAction::MeasureHead,
        AuditAction::AssessScalp,
        AuditAction::UploadPhoto,
        AuditAction::WithdrawPhoto,
        AuditAction::SaveDesign,
        AuditAction::ExportDesign,
        AuditAction::PlanSessions,
        AuditAction::RecordSession,
        AuditAction::AmendSession,
        AuditAction::ShareAftercare,
        AuditAction::RevokeAftercare,
        AuditAction::CreateClient,
        AuditAction::EditClient,
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::LoginFailed,
        AuditAction::ChangePassword,
        AuditAction::SetPin,
        AuditAction::RemovePin,
        AuditAction::AddUser,
        AuditAction::ResetPassword,
        AuditAction::DeactivateUser,
        AuditAction::ReactivateUser,
        AuditAction::ChangeRole,
        AuditAction::StudioDetails,
        AuditAction::StudioHours,
        AuditAction::StudioChairs,
        AuditAction::StudioAccent,
        AuditAction::StudioLogo,
        AuditAction::StudioLogoRemoved,
        AuditAction::PublishConsentText,
        AuditAction::SignPortfolioConsent,
        AuditAction::RevokePortfolioConsent,
        AuditAction::GalleryAdd,
        AuditAction::GalleryRemove,
        AuditAction::GalleryAdjust,
        AuditAction::PublicGallery,
    ];

    /// The word stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ViewHealth => "view-health",
            AuditAction::RecordScreening => "record-screening",
            AuditAction::OverrideScreening => "override-screening",
            AuditAction::ViewConsent => "view-consent",
            AuditAction::SignConsent => "sign-consent",
            AuditAction::HandToClient => "hand-to-client",
            AuditAction::TakeBackFromClient => "take-back-from-client",
            AuditAction::ViewPhotos => "view-photos",
            AuditAction::ViewPhoto => "view-photo",
            AuditAction::ViewSession => "view-session",
            AuditAction::EraseClient => "erase-client",
            AuditAction::MeasureHead => "measure-head",
            AuditAction::AssessScalp => "assess-scalp",
            AuditAction::UploadPhoto => "upload-photo",
            AuditAction::WithdrawPhoto => "withdraw-photo",
            AuditAction::SaveDesign => "save-design",
            AuditAction::ExportDesign => "export-design",
            AuditAction::PlanSessions => "plan-sessions",
            AuditAction::RecordSession => "record-session",
            AuditAction::AmendSession => "amend-session",
            AuditAction::ShareAftercare => "share-aftercare",
            AuditAction::RevokeAftercare => "revoke-aftercare",
            AuditAction::CreateClient => "create-client",
            AuditAction::EditClient => "edit-client",
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::LoginFailed => "login-failed",
            AuditAction::ChangePassword => "change-password",
            AuditAction::SetPin => "set-pin",
            AuditAction::RemovePin => "remove-pin",
            AuditAction::AddUser => "add-user",
            AuditAction::ResetPassword => "reset-password",
            AuditAction::DeactivateUser => "deactivate-user",
            AuditAction::ReactivateUser => "reactivate-user",
            AuditAction::ChangeRole => "change-role",
            AuditAction::StudioDetails => "studio-details",
            AuditAction::StudioHours => "studio-hours",
            AuditAction::StudioChairs => "studio-chairs",
            AuditAction::StudioAccent => "studio-accent",
            AuditAction::StudioLogo => "studio-logo",
            AuditAction::StudioLogoRemoved => "studio-logo-removed",
            AuditAction::PublishConsentText => "publish-consent-text",
            AuditAction::SignPortfolioConsent => "sign-portfolio-consent",
            AuditAction::RevokePortfolioConsent => "revoke-portfolio-consent",
            AuditAction::GalleryAdd => "gallery-add",
            AuditAction::GalleryRemove => "gallery-remove",
            AuditAction::GalleryAdjust => "gallery-adjust",
            AuditAction::PublicGallery => "public-gallery",
        }
    }

    /// The action a stored word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == word)
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The login name of the staff member who acted.
    pub staff_name: String,
    /// What (`view-health`, `record-screening`, ...).
    pub action: String,
    /// On what (a client's id).
    pub subject: String,
    /// When, unix milliseconds.
    pub at: i64,
    /// The client's name, when the subject is one of the studio's clients.
    pub client_name: Option<String>,
}

/// Which audit lines to read: empty strings and `None` match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Part of the client's name.
    pub client: String,
    /// The staff member's login name.
    pub staff: String,
    /// The action (`view-health`, ...).
    pub action: String,
    /// From this moment, unix milliseconds.
    pub from_ms: Option<i64>,
    /// Before this moment, unix milliseconds.
    pub until_ms: Option<i64>,
}

impl StudioStore<'_> {
    /// Notes in the audit log that `staff` did `action` on `subject`.
    pub async fn audit(&self, staff: &User, action: AuditAction, subject: &str) -> Result<(), StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        self.audit_in(&mut conn, staff, action, subject).await
    }

    /// As [`StudioStore::audit`], unless the same person has a line for the
    /// same action on the same subject from the last `window_ms`: a chart
    /// that shows twelve thumbnails, or an editor reloading its photo, says
    /// so once, not twelve times.
    pub async fn audit_unless_recent(
        &self,
        staff: &User,
        action: AuditAction,
        subject: &str,
        window_ms: i64,
    ) -> Result<(), StoreError> {
        let recent = sqlx::query(
            "SELECT 1 FROM audit WHERE studio_id = $1 AND staff_id = $2 AND action = $3 AND subject = $4 \
             AND at >= $5 LIMIT 1",
        )
        .bind(&self.studio.0)
        .bind(&staff.id)
        .bind(action.as_str())
        .bind(subject)
        .bind(now_ms() - window_ms)
        .fetch_optional(&self.store.pool)
        .await?;
        if recent.is_none() {
            self.audit(staff, action, subject).await?;
        }
        Ok(())
    }

    /// The audit line of a change, written in the change's own transaction
    /// so that neither is kept without the other.
    pub(crate) async fn audit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        staff: &User,
        action: AuditAction,
        subject: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit (id, studio_id, staff_id, action, subject, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(new_id())
            .bind(&self.studio.0)
            .bind(&staff.id)
            .bind(action.as_str())
            .bind(subject)
            .bind(now_ms())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_log_where(&AuditFilter::default(), limit).await
    }

    /// The audit lines that match `filter`, newest first, at most `limit`.
    pub async fn audit_log_where(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // Each condition is off when its parameter is empty (or 0 for the
        // times), so one statement serves every combination.
        // Lines of the same millisecond in the order they were written: by
        // SQLite's row number, or PostgreSQL's sequence.
        let written = match self.store.backend {
            Backend::Sqlite => "a.rowid",
            Backend::Postgres => "a.seq",
        };
        let rows = sqlx::query(&format!(
            "SELECT u.name, a.action, a.subject, a.at, c.full_name AS client_name FROM audit a \
             JOIN users u ON u.id = a.staff_id \
             LEFT JOIN clients c ON c.id = a.subject AND c.studio_id = a.studio_id \
             WHERE a.studio_id = $1 \
             AND ($2 = '' OR LOWER(c.full_name) LIKE $3 ESCAPE '\\') \
             AND ($4 = '' OR u.name = $4) \
             AND ($5 = '' OR a.action = $5) \
             AND ($6 = 0 OR a.at >= $6) AND ($7 = 0 OR a.at < $7) \
             ORDER BY a.at DESC, {written} DESC LIMIT $8"
        ))
        .bind(&self.studio.0)
        .bind(filter.client.trim())
        .bind(format!("%{}%", like_escaped(&filter.client)))
        .bind(filter.staff.trim())
        .bind(filter.action.trim())
        .bind(filter.from_ms.unwrap_or(0))
        .bind(filter.until_ms.unwrap_or(0))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                staff_name: r.get("name"),
                action: r.get("action"),
                subject: r.get("subject"),
                at: r.get("at"),
                client_name: r.get("client_name"),
            })
            .collect())
    }
}
