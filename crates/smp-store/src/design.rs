//! Versioned designs: each save is a new version of the client's design;
//! none is ever changed.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// A saved version of a client's design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignVersion {
    /// Made by the store (a UUID); the editor's `?design=` names it.
    pub id: String,
    /// The client it was drawn for (one of the studio's).
    pub client_id: String,
    /// The photo it is drawn on.
    pub photo_id: String,
    /// 1, 2, 3... per client.
    pub version: i64,
    /// The design file (schema 1).
    pub design_toml: String,
    /// Who saved it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
}

/// The largest design text accepted.
pub const MAX_DESIGN_BYTES: usize = 256 * 1024;

fn version_from(r: &sqlx::any::AnyRow) -> DesignVersion {
    DesignVersion {
        id: r.get("id"),
        client_id: r.get("client_id"),
        photo_id: r.get("photo_id"),
        version: r.get("version"),
        design_toml: r.get("design_toml"),
        staff_name: r.get("name"),
        created_at: r.get("created_at"),
    }
}

const COLUMNS: &str = "d.id, d.client_id, d.photo_id, d.version, d.design_toml, u.name, d.created_at \
     FROM designs d JOIN users u ON u.id = d.staff_id";

impl StudioStore<'_> {
    /// Saves `design_toml` as the client's next design version, drawn on
    /// `photo_id` (one of the client's photos). `None` when the client or
    /// the photo is not this studio's, or the photo not the client's.
    pub async fn save_design(
        &self,
        client_id: &str,
        photo_id: &str,
        staff: &User,
        design_toml: &str,
    ) -> Result<Option<DesignVersion>, StoreError> {
        if design_toml.len() > MAX_DESIGN_BYTES {
            return Err(StoreError::Invalid("The design is too large to store.".into()));
        }
        let mut tx = self.store.write().await?;
        // Locks the client's row: the next version number is the writer's alone.
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let photo_ok =
            sqlx::query("SELECT 1 FROM photos WHERE studio_id = $1 AND client_id = $2 AND id = $3")
                .bind(&self.studio.0)
                .bind(client_id)
                .bind(photo_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        if !photo_ok {
            return Ok(None);
        }
        let last: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM designs WHERE client_id = $1")
            .bind(client_id)
            .fetch_one(&mut *tx)
            .await?
            .get("v");
        let saved = DesignVersion {
            id: new_id(),
            client_id: client_id.to_string(),
            photo_id: photo_id.to_string(),
            version: last.unwrap_or(0) + 1,
            design_toml: design_toml.to_string(),
            staff_name: staff.name.clone(),
            created_at: now_ms(),
        };
        sqlx::query(
            "INSERT INTO designs (id, studio_id, client_id, photo_id, version, design_toml, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&saved.id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(photo_id)
        .bind(saved.version)
        .bind(design_toml)
        .bind(&staff.id)
        .bind(saved.created_at)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::SaveDesign, client_id).await?;
        tx.commit().await?;
        Ok(Some(saved))
    }

    /// A client's design versions, newest first.
    pub async fn designs(&self, client_id: &str) -> Result<Vec<DesignVersion>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE d.studio_id = $1 AND d.client_id = $2 ORDER BY d.version DESC"
        ))
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(version_from).collect())
    }

    /// The client's design version `id`, when it is theirs here.
    pub async fn client_design(
        &self,
        client_id: &str,
        id: &str,
    ) -> Result<Option<DesignVersion>, StoreError> {
        Ok(self.design(id).await?.filter(|d| d.client_id == client_id))
    }

    /// One of this studio's design versions.
    pub async fn design(&self, id: &str) -> Result<Option<DesignVersion>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE d.studio_id = $1 AND d.id = $2"))
            .bind(&self.studio.0)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(row.as_ref().map(version_from))
    }
}
