//! Pre-visit forms: a link staff make from a client's chart, which the
//! client opens at home to answer the health questions before the first
//! visit. Only the token's digest is kept; a link lasts its days and is
//! spent by its one submission, which becomes an immutable screening
//! marked as the client's own (the practitioner reviews it at the chair
//! and may record a new one, as always).

use sqlx::Row;

use crate::screening::{ScreeningAnswers, insert_screening};
use crate::users::{random_token, token_digest};
use crate::{NewMessage, NewSignature, Store, StoreError, StudioId, StudioStore, User, now_ms};

/// What a pre-visit message holds where its link's token goes: the token
/// is made with the link.
pub const PREVISIT_TOKEN: &str = "{previsit-token}";

/// A pre-visit link, as the chart lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrevisitLink {
    /// Who made it.
    pub staff_name: String,
    /// When, unix ms.
    pub created_at: i64,
    /// When it stops working, unix ms.
    pub expires_at: i64,
    /// When the client sent their answers, unix ms.
    pub submitted_at: Option<i64>,
}

/// A live link, as its page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPrevisit {
    /// The studio.
    pub studio: StudioId,
    /// The client.
    pub client_id: String,
}

impl StudioStore<'_> {
    /// A new pre-visit link for the client, valid `days`; its token, or
    /// `None` when the client is not this studio's. `message`, when given,
    /// is written to the outbox with it, [`PREVISIT_TOKEN`] in its text
    /// becoming the token.
    pub async fn make_previsit_link(
        &self,
        client_id: &str,
        staff: &User,
        days: i64,
        message: Option<&NewMessage>,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        let token = random_token();
        let digest = token_digest(&token);
        let now = now_ms();
        sqlx::query(
            "INSERT INTO previsit_links (token_digest, studio_id, client_id, staff_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&digest)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&staff.id)
        .bind(now)
        .bind(now + days.clamp(1, 60) * 86_400_000)
        .execute(&mut *tx)
        .await?;
        if let Some(m) = message {
            let m = NewMessage { body: m.body.replace(PREVISIT_TOKEN, &token), ..m.clone() };
            self.schedule_in(&mut tx, client_id, &format!("previsit:{}", &digest[..16]), &[m]).await?;
        }
        tx.commit().await?;
        Ok(Some(token))
    }

    /// The client's pre-visit links, newest first.
    pub async fn previsit_links(&self, client_id: &str) -> Result<Vec<PrevisitLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.name, l.created_at, l.expires_at, l.submitted_at FROM previsit_links l \
             JOIN users u ON u.id = l.staff_id WHERE l.studio_id = $1 AND l.client_id = $2 \
             ORDER BY l.created_at DESC",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PrevisitLink {
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
                expires_at: r.get("expires_at"),
                submitted_at: r.get("submitted_at"),
            })
            .collect())
    }
}

impl Store {
    /// The link `token` opens, when it is live: made, not expired, not
    /// yet used, its client not erased.
    pub async fn previsit(&self, token: &str) -> Result<Option<OpenPrevisit>, StoreError> {
        let row = sqlx::query(
            "SELECT l.studio_id, l.client_id FROM previsit_links l JOIN clients c ON c.id = l.client_id \
             WHERE l.token_digest = $1 AND l.submitted_at IS NULL AND l.expires_at > $2 AND c.erased_at IS NULL",
        )
        .bind(token_digest(token))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| OpenPrevisit { studio: StudioId(r.get("studio_id")), client_id: r.get("client_id") }))
    }

    /// Stores the client's answers through the link `token` as a screening
    /// marked as theirs, with their `signature` under the consent when
    /// they signed at home (the studio allowing it), and spends the link,
    /// in one transaction. `false` when the link is not live (used
    /// meanwhile, expired, unknown).
    pub async fn submit_previsit(
        &self,
        token: &str,
        intake_toml: &str,
        rules_version: &str,
        outcome: &str,
        result_json: &str,
        signature: Option<&NewSignature>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let now = now_ms();
        // Spending it first: of two submissions at once, one finds it spent.
        let spent = sqlx::query(
            "UPDATE previsit_links SET submitted_at = $1 WHERE token_digest = $2 AND submitted_at IS NULL \
             AND expires_at > $1 RETURNING studio_id, client_id, staff_id",
        )
        .bind(now)
        .bind(token_digest(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(link) = spent else { return Ok(false) };
        let (studio_id, client_id, staff_id): (String, String, String) =
            (link.get("studio_id"), link.get("client_id"), link.get("staff_id"));
        let answers = ScreeningAnswers { intake_toml, rules_version, outcome, result_json };
        insert_screening(&mut tx, &studio_id, &client_id, &staff_id, &answers, true).await?;
        if let Some(signature) = signature {
            let studio = StudioId(studio_id);
            let allowed = sqlx::query("SELECT consent_at_home FROM studios WHERE id = $1")
                .bind(&studio.0)
                .fetch_one(&mut *tx)
                .await?
                .get::<i64, _>("consent_at_home");
            if allowed == 0 {
                return Err(StoreError::Invalid(
                    "The studio takes the consent's signature at the visit.".into(),
                ));
            }
            crate::consent::insert_consent(&mut tx, &studio, &client_id, &staff_id, signature, true).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
