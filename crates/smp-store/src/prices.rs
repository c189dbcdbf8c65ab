//! The studio's price list and the quotes made from design versions. Money
//! is integer minor units throughout; the figures are computed by
//! `smp_clinic::pricing` and stored as computed, so a later change of the
//! price list never changes a quote given.

use sqlx::Row;

use crate::{StoreError, StudioStore, User, new_id, now_ms};

/// A stored price list: currency, tax, and each treatment's price as
/// (treatment, basis, amount, per cm2 above a base: (amount, base cm2)).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPriceList {
    /// ISO 4217 code.
    pub currency: String,
    /// Tax in basis points.
    pub tax_basis_points: i64,
    /// The priced treatments.
    pub prices: Vec<StoredPrice>,
}

/// One treatment's stored price.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPrice {
    /// The treatment's word.
    pub treatment: String,
    /// "session" or "treatment".
    pub basis: String,
    /// Minor units.
    pub amount: i64,
    /// Minor units per cm2 above `base_cm2`.
    pub per_cm2: Option<(i64, f64)>,
}

/// A quote given.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Its id.
    pub id: String,
    /// The design version it prices.
    pub design_id: String,
    /// What it says.
    pub quoted: NewQuote,
    /// Who made it.
    pub staff_name: String,
    /// When, unix ms.
    pub created_at: i64,
    /// The deposit taken, minor units, and when.
    pub deposit: Option<(i64, i64)>,
}

/// A quote to store (figures computed by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuote {
    /// The treatment's word.
    pub treatment: String,
    /// Scalp treated, cm2.
    pub area_cm2: f64,
    /// Sessions.
    pub sessions: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Before tax, minor units.
    pub net: i64,
    /// Tax, minor units.
    pub tax: i64,
    /// Total, minor units.
    pub total: i64,
    /// Valid until, `YYYY-MM-DD`.
    pub valid_until: String,
}

impl StudioStore<'_> {
    /// The studio's price list, if an admin set one.
    pub async fn price_list(&self) -> Result<Option<StoredPriceList>, StoreError> {
        let Some(head) =
            sqlx::query("SELECT currency, tax_basis_points FROM price_lists WHERE studio_id = $1")
                .bind(&self.studio.0)
                .fetch_optional(&self.store.pool)
                .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT treatment, basis, amount_minor, per_cm2_minor, base_cm2 FROM prices WHERE studio_id = $1 ORDER BY treatment",
        )
        .bind(&self.studio.0)
        .fetch_all(&self.store.pool)
        .await?;
        let prices = rows
            .iter()
            .map(|r| StoredPrice {
                treatment: r.get("treatment"),
                basis: r.get("basis"),
                amount: r.get("amount_minor"),
                per_cm2: r.get::<Option<i64>, _>("per_cm2_minor").zip(r.get::<Option<f64>, _>("base_cm2")),
            })
            .collect();
        Ok(Some(StoredPriceList {
            currency: head.get("currency"),
            tax_basis_points: head.get("tax_basis_points"),
            prices,
        }))
    }

    /// Replaces the studio's price list (checked by the caller).
    pub async fn save_price_list(&self, list: &StoredPriceList) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        for table in ["prices", "price_lists"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE studio_id = $1"))
                .bind(&self.studio.0)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO price_lists (studio_id, currency, tax_basis_points, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(&self.studio.0)
            .bind(&list.currency)
            .bind(list.tax_basis_points)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        for p in &list.prices {
            sqlx::query(
                "INSERT INTO prices (studio_id, treatment, basis, amount_minor, per_cm2_minor, base_cm2) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&self.studio.0)
            .bind(&p.treatment)
            .bind(&p.basis)
            .bind(p.amount)
            .bind(p.per_cm2.map(|(a, _)| a))
            .bind(p.per_cm2.map(|(_, b)| b))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores a quote for the design version `design_id` of the client.
    /// `None` when the design is not the client's in this studio.
    pub async fn save_quote(
        &self,
        client_id: &str,
        design_id: &str,
        staff: &User,
        quote: &NewQuote,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_design(&mut tx, client_id, design_id).await? {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO quotes (id, studio_id, client_id, design_id, treatment, area_cm2, sessions, currency, \
             net_minor, tax_minor, total_minor, valid_until, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(design_id)
        .bind(&quote.treatment)
        .bind(quote.area_cm2)
        .bind(quote.sessions)
        .bind(&quote.currency)
        .bind(quote.net)
        .bind(quote.tax)
        .bind(quote.total)
        .bind(&quote.valid_until)
        .bind(&staff.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The quotes of a design version, newest first.
    pub async fn quotes(&self, design_id: &str) -> Result<Vec<Quote>, StoreError> {
        let rows = sqlx::query(
            "SELECT q.id, q.design_id, q.treatment, q.area_cm2, q.sessions, q.currency, q.net_minor, q.tax_minor, \
             q.total_minor, q.valid_until, u.name, q.created_at, q.deposit_minor, q.deposit_at FROM quotes q \
             JOIN users u ON u.id = q.staff_id WHERE q.studio_id = $1 AND q.design_id = $2 \
             ORDER BY q.created_at DESC, q.id",
        )
        .bind(&self.studio.0)
        .bind(design_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Quote {
                id: r.get("id"),
                design_id: r.get("design_id"),
                quoted: NewQuote {
                    treatment: r.get("treatment"),
                    area_cm2: r.get("area_cm2"),
                    sessions: r.get("sessions"),
                    currency: r.get("currency"),
                    net: r.get("net_minor"),
                    tax: r.get("tax_minor"),
                    total: r.get("total_minor"),
                    valid_until: r.get("valid_until"),
                },
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
                deposit: r.get::<Option<i64>, _>("deposit_minor").zip(r.get::<Option<i64>, _>("deposit_at")),
            })
            .collect())
    }

    /// Records the deposit taken against a quote of the client, once: the
    /// quote's design version, or `None` when there is no such quote or it
    /// has a deposit already.
    pub async fn record_deposit(
        &self,
        client_id: &str,
        quote_id: &str,
        amount: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        let row = sqlx::query(
            "UPDATE quotes SET deposit_minor = $1, deposit_at = $2 WHERE studio_id = $3 AND client_id = $4 \
             AND id = $5 AND deposit_minor IS NULL RETURNING design_id",
        )
        .bind(amount)
        .bind(now_ms())
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(quote_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(|r| r.get("design_id")))
    }
}
