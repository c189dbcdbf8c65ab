//! The portfolio: a client's separate consent to the studio showing their
//! photos, and the before/healed pairs shown under it. A pair is only ever
//! read joined to a consent in force (not revoked, not replaced by a later
//! one), with both photos kept and the client not erased, so no query here
//! can return a photo its client did not agree to show; revoking also
//! deletes the client's pairs in the same transaction.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioId, StudioStore, User, new_id, now_ms, random_token};

/// A signed portfolio consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioConsent {
    /// Its id.
    pub id: String,
    /// The text the client read, word for word.
    pub text_body: String,
    /// Whether the face may show; otherwise it is blurred.
    pub faces_allowed: bool,
    /// The name the client typed.
    pub signed_name: String,
    /// The staff member present.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub signed_at: i64,
    /// When the client revoked it, and the staff member who recorded it.
    pub revoked: Option<(i64, String)>,
    /// Whether a later consent replaced it (a changed choice about faces).
    pub superseded: bool,
}

impl PortfolioConsent {
    /// Whether the studio may show the client's photos under it.
    pub fn in_force(&self) -> bool {
        self.revoked.is_none() && !self.superseded
    }
}

/// A before/healed pair to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGalleryPair {
    /// The photo before treatment.
    pub before_photo: String,
    /// The photo of the healed result, from the same angle.
    pub healed_photo: String,
    /// Where the face begins on the before photo, thousandths of its height.
    pub before_face_line: i64,
    /// Where the face begins on the healed photo.
    pub healed_face_line: i64,
    /// A line under the pair ("Hairline, three sessions"); never a name.
    pub caption: String,
}

/// A pair the gallery shows, with the consent's choice about faces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryPair {
    /// Its id (the gallery's addresses use it, never the photos' ids).
    pub id: String,
    /// The client, for the chart; the gallery pages never show it.
    pub client_id: String,
    /// What was shown, as added.
    pub pair: NewGalleryPair,
    /// Whether the client's consent in force allows the face to show.
    pub faces_allowed: bool,
    /// When it was added, unix milliseconds.
    pub created_at: i64,
}

/// The longest caption.
pub const MAX_CAPTION_CHARS: usize = 120;

/// The pairs of consented clients, with the face choice of the consent in
/// force; `{where}` narrows them.
const SHOWN_PAIRS: &str = "SELECT g.id, g.client_id, g.before_photo, g.healed_photo, g.before_face_line, \
     g.healed_face_line, g.caption, g.created_at, k.faces_allowed FROM gallery_pairs g \
     JOIN portfolio_consents k ON k.studio_id = g.studio_id AND k.client_id = g.client_id \
       AND k.revoked_at IS NULL AND k.superseded_by IS NULL \
     JOIN clients c ON c.id = g.client_id AND c.erased_at IS NULL \
     JOIN photos b ON b.id = g.before_photo AND b.withdrawn_at IS NULL \
     JOIN photos h ON h.id = g.healed_photo AND h.withdrawn_at IS NULL \
     WHERE g.studio_id = $1";

/// A caption trimmed, or why it is refused.
fn checked_caption(caption: &str) -> Result<&str, StoreError> {
    let caption = caption.trim();
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(StoreError::Invalid(format!("Keep the caption to {MAX_CAPTION_CHARS} characters.")));
    }
    Ok(caption)
}

/// Face lines in thousandths of a photo's height, or why they are refused.
fn checked_face_lines(lines: (i64, i64)) -> Result<(), StoreError> {
    if [lines.0, lines.1].iter().all(|line| (0..=1000).contains(line)) {
        Ok(())
    } else {
        Err(StoreError::Invalid("A face line is between 0 and 100 % of the photo's height.".into()))
    }
}

fn pair_of(r: &sqlx::any::AnyRow) -> GalleryPair {
    GalleryPair {
        id: r.get("id"),
        client_id: r.get("client_id"),
        pair: NewGalleryPair {
            before_photo: r.get("before_photo"),
            healed_photo: r.get("healed_photo"),
            before_face_line: r.get("before_face_line"),
            healed_face_line: r.get("healed_face_line"),
            caption: r.get("caption"),
        },
        faces_allowed: r.get::<i64, _>("faces_allowed") != 0,
        created_at: r.get("created_at"),
    }
}

impl StudioStore<'_> {
    /// The client's portfolio consents, newest first.
    pub async fn portfolio_consents(&self, client_id: &str) -> Result<Vec<PortfolioConsent>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.id, k.text_body, k.faces_allowed, k.signed_name, s.name AS staff, k.signed_at, \
             k.revoked_at, r.name AS revoker, k.superseded_by FROM portfolio_consents k \
             JOIN users s ON s.id = k.staff_id LEFT JOIN users r ON r.id = k.revoked_by \
             WHERE k.studio_id = $1 AND k.client_id = $2 ORDER BY k.signed_at DESC, k.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PortfolioConsent {
                id: r.get("id"),
                text_body: r.get("text_body"),
                faces_allowed: r.get::<i64, _>("faces_allowed") != 0,
                signed_name: r.get("signed_name"),
                staff_name: r.get("staff"),
                signed_at: r.get("signed_at"),
                revoked: r
                    .get::<Option<i64>, _>("revoked_at")
                    .map(|at| (at, r.get::<Option<String>, _>("revoker").unwrap_or_default())),
                superseded: r.get::<Option<String>, _>("superseded_by").is_some(),
            })
            .collect())
    }

    /// Records the client's signature under the portfolio consent `text`,
    /// replacing a consent in force (its pairs stay, now under this one's
    /// choice about faces). `None` when the client is not this studio's.
    pub async fn sign_portfolio_consent(
        &self,
        client_id: &str,
        staff: &User,
        text: &str,
        faces_allowed: bool,
        signed_name: &str,
        signature_png: &[u8],
    ) -> Result<Option<String>, StoreError> {
        let signed_name = signed_name.trim();
        if signed_name.is_empty() || signed_name.chars().count() > 200 {
            return Err(StoreError::Invalid("Type the client's full name (up to 200 characters).".into()));
        }
        if signature_png.is_empty() || signature_png.len() > crate::MAX_SIGNATURE_BYTES {
            return Err(StoreError::Invalid("The signature is missing or too large.".into()));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO portfolio_consents (id, studio_id, client_id, text_body, faces_allowed, signed_name, \
             signature_png, staff_id, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(text)
        .bind(i64::from(faces_allowed))
        .bind(signed_name)
        .bind(signature_png.to_vec())
        .bind(&staff.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE portfolio_consents SET superseded_by = $1 WHERE studio_id = $2 AND client_id = $3 \
             AND id <> $1 AND revoked_at IS NULL AND superseded_by IS NULL",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::SignPortfolioConsent, client_id).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Records that the client revoked their portfolio consent, and takes
    /// their pairs out of the gallery, at once: the number taken out, or
    /// `None` when no consent of theirs is in force here.
    pub async fn revoke_portfolio_consent(
        &self,
        client_id: &str,
        staff: &User,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.store.write().await?;
        let Some(removed) = self.end_portfolio_in(&mut tx, client_id, staff).await? else {
            return Ok(None);
        };
        self.audit_in(&mut tx, staff, AuditAction::RevokePortfolioConsent, client_id).await?;
        tx.commit().await?;
        Ok(Some(removed))
    }

    /// Ends the client's portfolio consent in force, as recorded by
    /// `staff`, and deletes their pairs, in `tx`: how many pairs went, or
    /// `None` when no consent was in force. (Erased clients' consents end
    /// too: no `owns_client` here.)
    pub(crate) async fn end_portfolio_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        client_id: &str,
        staff: &User,
    ) -> Result<Option<u64>, StoreError> {
        // The client's row, locked as adding a pair locks it: a pair being
        // added now is either in before the consent ends (and goes with it)
        // or finds it ended. (An erased client's row too: no owns_client.)
        let lock = format!("SELECT 1 FROM clients WHERE studio_id = $1 AND id = $2{}", self.store.lock());
        sqlx::query(&lock).bind(&self.studio.0).bind(client_id).fetch_optional(&mut *tx).await?;
        let ended = sqlx::query(
            "UPDATE portfolio_consents SET revoked_at = $1, revoked_by = $2 WHERE studio_id = $3 \
             AND client_id = $4 AND revoked_at IS NULL AND superseded_by IS NULL",
        )
        .bind(now_ms())
        .bind(&staff.id)
        .bind(&self.studio.0)
        .bind(client_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let removed = sqlx::query("DELETE FROM gallery_pairs WHERE studio_id = $1 AND client_id = $2")
            .bind(&self.studio.0)
            .bind(client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        Ok((ended > 0).then_some(removed))
    }

    /// The signature under one of this studio's portfolio consents.
    pub async fn portfolio_signature(
        &self,
        client_id: &str,
        consent_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT signature_png FROM portfolio_consents WHERE studio_id = $1 AND client_id = $2 AND id = $3",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(consent_id)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(row.map(|r| r.get("signature_png")))
    }

    /// Adds a before/healed pair of the client's photos to the gallery:
    /// its id, or `None` when the client is not this studio's. Refused
    /// without a consent in force, or for photos that are not the client's
    /// own, withdrawn, from different angles or in the wrong order.
    pub async fn add_gallery_pair(
        &self,
        client_id: &str,
        staff: &User,
        pair: &NewGalleryPair,
    ) -> Result<Option<String>, StoreError> {
        let caption = checked_caption(&pair.caption)?;
        checked_face_lines((pair.before_face_line, pair.healed_face_line))?;
        if pair.before_photo == pair.healed_photo {
            return Err(StoreError::Invalid("Choose two different photos: one before, one healed.".into()));
        }
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let consent = sqlx::query(
            "SELECT 1 FROM portfolio_consents WHERE studio_id = $1 AND client_id = $2 \
             AND revoked_at IS NULL AND superseded_by IS NULL",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
        if consent.is_none() {
            return Err(StoreError::Invalid(
                "The client has not consented to the portfolio: record their consent first.".into(),
            ));
        }
        let mut shots = Vec::new();
        for photo in [&pair.before_photo, &pair.healed_photo] {
            let row = sqlx::query(
                "SELECT angle, created_at FROM photos WHERE studio_id = $1 AND client_id = $2 AND id = $3 \
                 AND withdrawn_at IS NULL",
            )
            .bind(&self.studio.0)
            .bind(client_id)
            .bind(photo)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Invalid("Choose two of this client's photos.".into()))?;
            shots.push((row.get::<String, _>("angle"), row.get::<i64, _>("created_at")));
        }
        if shots[0].0 != shots[1].0 {
            return Err(StoreError::Invalid("Choose two photos from the same angle.".into()));
        }
        if shots[0].1 >= shots[1].1 {
            return Err(StoreError::Invalid("The before photo must be older than the healed one.".into()));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO gallery_pairs (id, studio_id, client_id, before_photo, healed_photo, before_face_line, \
             healed_face_line, caption, staff_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&pair.before_photo)
        .bind(&pair.healed_photo)
        .bind(pair.before_face_line)
        .bind(pair.healed_face_line)
        .bind(caption)
        .bind(&staff.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::GalleryAdd, client_id).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Changes where the face begins on a pair's photos and its caption:
    /// whether the pair is the client's and in the gallery.
    pub async fn adjust_gallery_pair(
        &self,
        client_id: &str,
        pair_id: &str,
        staff: &User,
        face_lines: (i64, i64),
        caption: &str,
    ) -> Result<bool, StoreError> {
        let caption = checked_caption(caption)?;
        checked_face_lines(face_lines)?;
        let mut tx = self.store.write().await?;
        let changed = sqlx::query(
            "UPDATE gallery_pairs SET before_face_line = $1, healed_face_line = $2, caption = $3 \
             WHERE studio_id = $4 AND client_id = $5 AND id = $6",
        )
        .bind(face_lines.0)
        .bind(face_lines.1)
        .bind(caption)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(pair_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            self.audit_in(&mut tx, staff, AuditAction::GalleryAdjust, client_id).await?;
        }
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Takes one of the client's pairs out of the gallery: whether it was
    /// there.
    pub async fn remove_gallery_pair(
        &self,
        client_id: &str,
        pair_id: &str,
        staff: &User,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        let removed =
            sqlx::query("DELETE FROM gallery_pairs WHERE studio_id = $1 AND client_id = $2 AND id = $3")
                .bind(&self.studio.0)
                .bind(client_id)
                .bind(pair_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed > 0 {
            self.audit_in(&mut tx, staff, AuditAction::GalleryRemove, client_id).await?;
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Every pair the gallery shows, newest first.
    pub async fn gallery(&self) -> Result<Vec<GalleryPair>, StoreError> {
        let sql = format!("{SHOWN_PAIRS} ORDER BY g.created_at DESC, g.id");
        let rows = sqlx::query(&sql).bind(&self.studio.0).fetch_all(&self.store.pool).await?;
        Ok(rows.iter().map(pair_of).collect())
    }

    /// The client's pairs the gallery shows.
    pub async fn client_gallery(&self, client_id: &str) -> Result<Vec<GalleryPair>, StoreError> {
        let sql = format!("{SHOWN_PAIRS} AND g.client_id = $2 ORDER BY g.created_at DESC, g.id");
        let rows = sqlx::query(&sql).bind(&self.studio.0).bind(client_id).fetch_all(&self.store.pool).await?;
        Ok(rows.iter().map(pair_of).collect())
    }

    /// One pair the gallery shows.
    pub async fn gallery_pair(&self, pair_id: &str) -> Result<Option<GalleryPair>, StoreError> {
        let sql = format!("{SHOWN_PAIRS} AND g.id = $2");
        let row =
            sqlx::query(&sql).bind(&self.studio.0).bind(pair_id).fetch_optional(&self.store.pool).await?;
        Ok(row.as_ref().map(pair_of))
    }

    /// The public gallery's address token, when it is switched on.
    pub async fn public_gallery(&self) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT public_gallery FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.get("public_gallery"))
    }

    /// Switches the public gallery on at a new address (any earlier one
    /// stops working) or off: the address token, when on.
    pub async fn set_public_gallery(&self, staff: &User, on: bool) -> Result<Option<String>, StoreError> {
        let token = on.then(random_token);
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET public_gallery = $1 WHERE id = $2")
            .bind(&token)
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        let what = if on { "public gallery on" } else { "public gallery off" };
        self.audit_in(&mut tx, staff, AuditAction::PublicGallery, what).await?;
        tx.commit().await?;
        Ok(token)
    }
}

impl crate::Store {
    /// The studio whose public gallery is at `token`, while it is on.
    pub async fn public_gallery_studio(&self, token: &str) -> Result<Option<StudioId>, StoreError> {
        let row = sqlx::query("SELECT id FROM studios WHERE public_gallery = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StudioId(r.get("id"))))
    }
}
