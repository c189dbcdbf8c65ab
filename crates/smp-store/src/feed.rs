//! Staff members' private calendar subscriptions: one address each, made
//! and revoked by its owner, that lists the studio's planned sessions in
//! their phone's calendar. Only the token's digest is kept.

use sqlx::Row;

use crate::users::{random_token, token_digest};
use crate::{Store, StoreError, StudioId, StudioStore, User, now_ms};

impl StudioStore<'_> {
    /// A new calendar address token for `user` (replacing any they had,
    /// which stops answering).
    pub async fn make_calendar_feed(&self, user: &User) -> Result<String, StoreError> {
        let token = random_token();
        let mut tx = self.store.write().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1").bind(&user.id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO calendar_feeds (token_digest, studio_id, user_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(token_digest(&token))
            .bind(&self.studio.0)
            .bind(&user.id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Ends `user`'s calendar address, if they have one.
    pub async fn revoke_calendar_feed(&self, user: &User) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1").bind(&user.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// When `user` made their calendar address (unix ms), if they have one.
    pub async fn calendar_feed_made(&self, user: &User) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
            .bind(&user.id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(row.map(|r| r.get("created_at")))
    }
}

impl Store {
    /// The studio of the calendar address `token`, when it is one in use
    /// and its owner may still log in.
    pub async fn calendar_feed(&self, token: &str) -> Result<Option<StudioId>, StoreError> {
        let row = sqlx::query(
            "SELECT f.studio_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
             WHERE f.token_digest = $1 AND u.active = 1",
        )
        .bind(token_digest(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| StudioId(r.get("studio_id"))))
    }
}
