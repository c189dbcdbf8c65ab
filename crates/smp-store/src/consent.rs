//! Consent texts (versioned per studio) and signed consents (never edited,
//! only superseded: the database refuses anything else).

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, new_id, now_ms};

/// A published version of a studio's consent text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentText {
    /// Made by the store (a UUID), unique across studios.
    pub id: String,
    /// 1, 2, 3... within the studio.
    pub version: i64,
    /// The text the client reads.
    pub body: String,
    /// When it was published, unix milliseconds.
    pub created_at: i64,
}

/// A signed consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Made by the store (a UUID), unique across studios.
    pub id: String,
    /// The client who signed.
    pub client_id: String,
    /// The version of the text signed.
    pub text_version: i64,
    /// The text signed, word for word.
    pub text_body: String,
    /// The name the client typed.
    pub signed_name: String,
    /// The staff member present.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub signed_at: i64,
    /// The consent that replaced this one, if any.
    pub superseded_by: Option<String>,
}

/// The longest consent text accepted.
pub const MAX_CONSENT_TEXT_CHARS: usize = 20_000;
/// The largest signature image accepted.
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;

impl StudioStore<'_> {
    /// The consent text in force: the latest version, if one was published.
    pub async fn consent_text(&self) -> Result<Option<ConsentText>, StoreError> {
        let row = sqlx::query(
            "SELECT id, version, body, created_at FROM consent_texts WHERE studio_id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(&self.studio.0)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(row.map(|r| ConsentText {
            id: r.get("id"),
            version: r.get("version"),
            body: r.get("body"),
            created_at: r.get("created_at"),
        }))
    }

    /// Publishes `body` as the next version of the consent text; the text in
    /// force when `body` is the same (ignoring surrounding white space).
    /// `staff` is `None` for the text a new studio starts with.
    pub async fn publish_consent_text(
        &self,
        staff: Option<&User>,
        body: &str,
    ) -> Result<ConsentText, StoreError> {
        let body = body.trim().replace("\r\n", "\n");
        if body.is_empty() || body.chars().count() > MAX_CONSENT_TEXT_CHARS {
            return Err(StoreError::Invalid(format!(
                "The consent text must not be empty, and at most {MAX_CONSENT_TEXT_CHARS} characters."
            )));
        }
        let mut tx = self.store.write().await?;
        // Locks the studio's row: the next version number is the writer's alone.
        sqlx::query(&format!("SELECT 1 FROM studios WHERE id = $1{}", self.store.lock()))
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        let current = sqlx::query(
            "SELECT id, version, body, created_at FROM consent_texts WHERE studio_id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(&self.studio.0)
        .fetch_optional(&mut *tx)
        .await?;
        let version = match &current {
            Some(r) if r.get::<String, _>("body") == body => {
                return Ok(ConsentText {
                    id: r.get("id"),
                    version: r.get("version"),
                    body,
                    created_at: r.get("created_at"),
                });
            }
            Some(r) => r.get::<i64, _>("version") + 1,
            None => 1,
        };
        let text = ConsentText { id: new_id(), version, body, created_at: now_ms() };
        sqlx::query(
            "INSERT INTO consent_texts (id, studio_id, version, body, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&text.id)
        .bind(&self.studio.0)
        .bind(text.version)
        .bind(&text.body)
        .bind(staff.map(|s| s.id.clone()))
        .bind(text.created_at)
        .execute(&mut *tx)
        .await?;
        if let Some(staff) = staff {
            self.audit_in(&mut tx, staff, AuditAction::PublishConsentText, &format!("version {version}"))
                .await?;
        }
        tx.commit().await?;
        Ok(text)
    }

    /// Records a client's signature under the consent text `text_id`, which
    /// must be the version in force, superseding the client's earlier
    /// consent. `None` when the client is not this studio's.
    pub async fn sign_consent(
        &self,
        client_id: &str,
        staff: &User,
        text_id: &str,
        signed_name: &str,
        signature_png: &[u8],
    ) -> Result<Option<String>, StoreError> {
        let signed_name = signed_name.trim();
        if signed_name.is_empty() || signed_name.chars().count() > 200 {
            return Err(StoreError::Invalid("Type the client's full name (up to 200 characters).".into()));
        }
        if signature_png.is_empty() || signature_png.len() > MAX_SIGNATURE_BYTES {
            return Err(StoreError::Invalid("The signature is missing or too large.".into()));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let current =
            sqlx::query("SELECT id FROM consent_texts WHERE studio_id = $1 ORDER BY version DESC LIMIT 1")
                .bind(&self.studio.0)
                .fetch_optional(&mut *tx)
                .await?;
        if current.map(|r| r.get::<String, _>("id")).as_deref() != Some(text_id) {
            return Err(StoreError::Invalid(
                "The consent text was changed while the client was reading it: read the new version and sign again."
                    .into(),
            ));
        }
        let id = new_id();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO consents (id, studio_id, client_id, text_id, signed_name, signature_png, staff_id, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(text_id)
        .bind(signed_name)
        .bind(signature_png.to_vec())
        .bind(&staff.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE consents SET superseded_by = $1 \
             WHERE studio_id = $2 AND client_id = $3 AND superseded_by IS NULL AND id <> $1",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::SignConsent, client_id).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// A client's consents, newest first.
    pub async fn consents(&self, client_id: &str) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.client_id, t.version, t.body, c.signed_name, u.name, c.signed_at, c.superseded_by \
             FROM consents c JOIN consent_texts t ON t.id = c.text_id JOIN users u ON u.id = c.staff_id \
             WHERE c.studio_id = $1 AND c.client_id = $2 ORDER BY c.signed_at DESC, c.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Consent {
                id: r.get("id"),
                client_id: r.get("client_id"),
                text_version: r.get("version"),
                text_body: r.get("body"),
                signed_name: r.get("signed_name"),
                staff_name: r.get("name"),
                signed_at: r.get("signed_at"),
                superseded_by: r.get("superseded_by"),
            })
            .collect())
    }

    /// The drawn signature of one of this studio's consents (PNG).
    pub async fn consent_signature(&self, consent_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT signature_png FROM consents WHERE studio_id = $1 AND id = $2")
            .bind(&self.studio.0)
            .bind(consent_id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(row.map(|r| r.get::<Vec<u8>, _>("signature_png")))
    }
}
