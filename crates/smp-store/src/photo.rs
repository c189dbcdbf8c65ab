//! The records of client photos. The image files themselves are kept by the
//! web layer in its photo folder, under the id chosen here.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// The standard angles a scalp is photographed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoAngle {
    /// Face on, hairline visible.
    Front,
    /// Left side.
    Left,
    /// Right side.
    Right,
    /// From above.
    Top,
    /// The crown (vertex), from above and behind.
    Crown,
    /// From behind.
    Back,
}

impl PhotoAngle {
    /// Every angle, in the order a session photographs them.
    pub const ALL: [PhotoAngle; 6] = [
        PhotoAngle::Front,
        PhotoAngle::Left,
        PhotoAngle::Right,
        PhotoAngle::Top,
        PhotoAngle::Crown,
        PhotoAngle::Back,
    ];

    /// The angle's name in the database and in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoAngle::Front => "front",
            PhotoAngle::Left => "left",
            PhotoAngle::Right => "right",
            PhotoAngle::Top => "top",
            PhotoAngle::Crown => "crown",
            PhotoAngle::Back => "back",
        }
    }

    /// An angle from its name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A stored photo's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// Id; also the file's name in the photo store.
    pub id: String,
    /// The client photographed (one of the studio's).
    pub client_id: String,
    /// The angle shown.
    pub angle: PhotoAngle,
    /// Width in pixels, upright.
    pub width: i64,
    /// Height in pixels, upright.
    pub height: i64,
    /// Size of the stored file.
    pub bytes: i64,
    /// Who took or uploaded it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
    /// When it was withdrawn (hidden from the chart and the editor), and why.
    pub withdrawn: Option<(i64, String)>,
}

/// The longest reason for withdrawing a photo.
pub const MAX_WITHDRAW_REASON_CHARS: usize = 500;

/// A fresh photo id, chosen before the files are written.
pub fn new_photo_id() -> String {
    new_id()
}

fn photo_from(r: &sqlx::any::AnyRow) -> Result<Photo, StoreError> {
    let angle: String = r.get("angle");
    Ok(Photo {
        id: r.get("id"),
        client_id: r.get("client_id"),
        angle: PhotoAngle::parse(&angle)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown photo angle {angle:?}")))?,
        width: r.get("width"),
        height: r.get("height"),
        bytes: r.get("bytes"),
        staff_name: r.get("name"),
        created_at: r.get("created_at"),
        withdrawn: r
            .get::<Option<i64>, _>("withdrawn_at")
            .map(|at| (at, r.get::<Option<String>, _>("withdrawn_reason").unwrap_or_default())),
    })
}

const PHOTO_COLUMNS: &str = "p.id, p.client_id, p.angle, p.width, p.height, p.bytes, u.name, p.created_at, \
     p.withdrawn_at, p.withdrawn_reason FROM photos p \
     JOIN users u ON u.id = p.staff_id";

impl StudioStore<'_> {
    /// Records a photo whose files are already written under `id`, with its
    /// audit line. `false` when the client is not this studio's.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_photo(
        &self,
        id: &str,
        client_id: &str,
        staff: &User,
        angle: PhotoAngle,
        width: u32,
        height: u32,
        bytes: u64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO photos (id, studio_id, client_id, angle, width, height, bytes, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(angle.as_str())
        .bind(width as i64)
        .bind(height as i64)
        .bind(bytes as i64)
        .bind(&staff.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::UploadPhoto, client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's photos in use (not withdrawn), newest first.
    pub async fn photos(&self, client_id: &str) -> Result<Vec<Photo>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLUMNS} WHERE p.studio_id = $1 AND p.client_id = $2 AND p.withdrawn_at IS NULL \
             ORDER BY p.created_at DESC, p.id"
        ))
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(photo_from).collect()
    }

    /// One of this studio's photos.
    pub async fn photo(&self, id: &str) -> Result<Option<Photo>, StoreError> {
        let row = sqlx::query(&format!("SELECT {PHOTO_COLUMNS} WHERE p.studio_id = $1 AND p.id = $2"))
            .bind(&self.studio.0)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(photo_from).transpose()
    }

    /// The ids of all of this studio's photos (for the sweep of files a
    /// crash left without a record).
    pub async fn photo_ids(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows = sqlx::query("SELECT id FROM photos WHERE studio_id = $1")
            .bind(&self.studio.0)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get("id")).collect())
    }

    /// A client's withdrawn photos, newest first (kept for the record).
    pub async fn withdrawn_photos(&self, client_id: &str) -> Result<Vec<Photo>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLUMNS} WHERE p.studio_id = $1 AND p.client_id = $2 AND p.withdrawn_at IS NOT NULL \
             ORDER BY p.created_at DESC, p.id"
        ))
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(photo_from).collect()
    }

    /// Withdraws one of this studio's photos for `reason`, with its audit
    /// line: hidden from the chart and the editor, kept for the record.
    /// `false` when there is no such photo in use.
    pub async fn withdraw_photo(
        &self,
        staff: &User,
        photo_id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_WITHDRAW_REASON_CHARS {
            return Err(StoreError::Invalid(format!(
                "Say why the photo is withdrawn (up to {MAX_WITHDRAW_REASON_CHARS} characters)."
            )));
        }
        let mut tx = self.store.write().await?;
        let client: Option<String> = sqlx::query(
            "SELECT client_id FROM photos WHERE studio_id = $1 AND id = $2 AND withdrawn_at IS NULL",
        )
        .bind(&self.studio.0)
        .bind(photo_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.get("client_id"));
        let Some(client) = client else { return Ok(false) };
        sqlx::query(
            "UPDATE photos SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_reason = $3 \
             WHERE studio_id = $4 AND id = $5",
        )
        .bind(now_ms())
        .bind(&staff.id)
        .bind(reason)
        .bind(&self.studio.0)
        .bind(photo_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::WithdrawPhoto, &client).await?;
        tx.commit().await?;
        Ok(true)
    }
}
