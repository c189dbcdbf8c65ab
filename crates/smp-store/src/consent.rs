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
    /// Whether the client signed at home, through the pre-visit link
    /// `staff_name` made (else at the studio, with them).
    pub at_home: bool,
}

/// A signature under the consent text in force, as a form took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignature {
    /// The text signed: it must still be the one in force.
    pub text_id: String,
    /// The name the client typed.
    pub signed_name: String,
    /// The drawn signature, a PNG.
    pub png: Vec<u8>,
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
        let signature = NewSignature {
            text_id: text_id.into(),
            signed_name: signed_name.into(),
            png: signature_png.to_vec(),
        };
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let id = insert_consent(&mut tx, &self.studio, client_id, &staff.id, &signature, false).await?;
        self.audit_in(&mut tx, staff, AuditAction::SignConsent, client_id).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Whether clients may sign the consent at home, through the pre-visit
    /// link.
    pub async fn consent_at_home(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT consent_at_home FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.get::<i64, _>("consent_at_home") != 0)
    }

    /// Lets clients sign the consent at home, or not; audited.
    pub async fn set_consent_at_home(&self, staff: &User, allowed: bool) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET consent_at_home = $1 WHERE id = $2")
            .bind(i64::from(allowed))
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        let what =
            if allowed { "consent signed at home: allowed" } else { "consent signed at home: not allowed" };
        self.audit_in(&mut tx, staff, AuditAction::StudioDetails, what).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A client's consents, newest first.
    pub async fn consents(&self, client_id: &str) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.client_id, t.version, t.body, c.signed_name, u.name, c.signed_at, c.superseded_by, \
             c.at_home \
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
                at_home: r.get::<i64, _>("at_home") != 0,
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

/// Writes a signed consent in `tx` (by `staff_id`, or through their link
/// when `at_home`), superseding the client's earlier one: its id. Refused
/// when the text is no longer the one in force, or the name or signature
/// is missing.
pub(crate) async fn insert_consent(
    tx: &mut sqlx::AnyConnection,
    studio: &crate::StudioId,
    client_id: &str,
    staff_id: &str,
    signature: &NewSignature,
    at_home: bool,
) -> Result<String, StoreError> {
    let signed_name = signature.signed_name.trim();
    if signed_name.is_empty() || signed_name.chars().count() > 200 {
        return Err(StoreError::Invalid("Type the client's full name (up to 200 characters).".into()));
    }
    if signature.png.is_empty() || signature.png.len() > MAX_SIGNATURE_BYTES {
        return Err(StoreError::Invalid("The signature is missing or too large.".into()));
    }
    let current =
        sqlx::query("SELECT id FROM consent_texts WHERE studio_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(&studio.0)
            .fetch_optional(&mut *tx)
            .await?;
    if current.map(|r| r.get::<String, _>("id")).as_deref() != Some(signature.text_id.as_str()) {
        return Err(StoreError::Invalid(
            "The consent text was changed while the client was reading it: read the new version and sign again."
                .into(),
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO consents (id, studio_id, client_id, text_id, signed_name, signature_png, staff_id, signed_at, \
         at_home) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&studio.0)
    .bind(client_id)
    .bind(&signature.text_id)
    .bind(signed_name)
    .bind(signature.png.clone())
    .bind(staff_id)
    .bind(now_ms())
    .bind(i64::from(at_home))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE consents SET superseded_by = $1 \
         WHERE studio_id = $2 AND client_id = $3 AND superseded_by IS NULL AND id <> $1",
    )
    .bind(&id)
    .bind(&studio.0)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}
