//! Studios: making one (with its first admin), its name and the details
//! its clients reach it by.

use sqlx::Row;

use crate::clients::checked;
use crate::users::{check_password, checked_user_name, hash_password, insert_user};
use crate::{
    AuditAction, ClientFields, Role, Store, StoreError, StudioId, StudioStore, User, details_from, new_id,
};

/// A studio's name and how its clients reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudioDetails {
    /// The studio's name.
    pub name: String,
    /// Phone, when given.
    pub phone: Option<String>,
    /// E-mail, when given.
    pub email: Option<String>,
    /// Postal address, when given (may span lines).
    pub address: Option<String>,
    /// The studio's time zone (IANA name, "Europe/Madrid"); "UTC" unset.
    pub time_zone: String,
    /// The days it is open: "mon tue wed thu fri sat" (the default).
    pub open_days: String,
}

impl Store {
    /// Creates a studio.
    pub async fn create_studio(&self, name: &str) -> Result<StudioId, StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("a studio needs a name".into()));
        }
        let id = StudioId(new_id());
        let mut tx = self.write().await?;
        self.insert_studio(&mut tx, &id, name).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a studio of a chain with its first admin, in one
    /// transaction (never a studio without an admin), the admin to choose
    /// their own password at the first login.
    pub async fn create_studio_with_admin(
        &self,
        name: &str,
        admin: &str,
        one_time_password: &str,
    ) -> Result<(StudioId, User), StoreError> {
        let studio_name = name.trim();
        if studio_name.is_empty() || studio_name.chars().count() > 120 {
            return Err(StoreError::Invalid("A studio needs a name (up to 120 characters).".into()));
        }
        let admin = checked_user_name(admin)?;
        check_password(one_time_password)?;
        let hash = hash_password(one_time_password).await;
        let studio = StudioId(new_id());
        let mut tx = self.write().await?;
        self.insert_studio(&mut tx, &studio, studio_name).await?;
        let id = insert_user(&mut tx, &studio, admin, Role::Admin, &hash, true).await?;
        tx.commit().await?;
        let user = User {
            id,
            studio: studio.clone(),
            name: admin.to_string(),
            role: Role::Admin,
            must_change_password: true,
            active: true,
        };
        Ok((studio, user))
    }

    /// The first studio, if any (a single-studio installation's own).
    pub async fn first_studio(&self) -> Result<Option<StudioId>, StoreError> {
        let row = sqlx::query("SELECT id FROM studios ORDER BY created_at, id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StudioId(r.get::<String, _>("id"))))
    }
}

impl StudioStore<'_> {
    /// The studio's name.
    pub async fn name(&self) -> Result<String, StoreError> {
        Ok(sqlx::query("SELECT name FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?
            .get("name"))
    }

    /// The studio's name and how clients reach it.
    pub async fn details(&self) -> Result<StudioDetails, StoreError> {
        let r = sqlx::query(
            "SELECT name, phone, email, address, time_zone, open_days FROM studios WHERE id = $1",
        )
        .bind(&self.studio.0)
        .fetch_one(&self.store.pool)
        .await?;
        Ok(details_from(&r))
    }

    /// Sets the studio's name, contact details (checked like a client's
    /// phone and e-mail; an address of up to 300 characters) and time zone
    /// (a name the caller has checked against the IANA database), audited.
    pub async fn set_details(&self, staff: &User, details: &StudioDetails) -> Result<(), StoreError> {
        let name = details.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(StoreError::Invalid("A studio needs a name (up to 120 characters).".into()));
        }
        let contact = checked(&ClientFields {
            full_name: name.to_string(),
            birth_date: None,
            email: details.email.clone(),
            phone: details.phone.clone(),
        })?;
        let address = details.address.as_deref().map(str::trim).filter(|a| !a.is_empty());
        if address.is_some_and(|a| a.chars().count() > 300) {
            return Err(StoreError::Invalid("Address: up to 300 characters.".into()));
        }
        let zone = details.time_zone.trim();
        if zone.is_empty() || zone.len() > 64 {
            return Err(StoreError::Invalid("Choose the studio's time zone.".into()));
        }
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let open: Vec<&str> =
            DAYS.into_iter().filter(|d| details.open_days.split_whitespace().any(|o| o == *d)).collect();
        if open.is_empty() {
            return Err(StoreError::Invalid(
                "Opening days: tick at least one day the studio is open.".into(),
            ));
        }
        let mut tx = self.store.write().await?;
        sqlx::query(
            "UPDATE studios SET name = $1, phone = $2, email = $3, address = $4, time_zone = $5, open_days = $6 \
             WHERE id = $7",
        )
        .bind(name)
        .bind(&contact.phone)
        .bind(&contact.email)
        .bind(address)
        .bind(zone)
        .bind(open.join(" "))
        .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, AuditAction::StudioDetails, name).await?;
        tx.commit().await?;
        Ok(())
    }
}
