//! A studio's clients: their details (checked), corrections kept with
//! what they replaced, search and possible duplicates.

use sqlx::Row;

use crate::{AuditAction, StoreError, StudioStore, User, like_escaped, new_id, now_ms};

/// A client of a studio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Made by the store (a UUID); the chart's address names it.
    pub id: String,
    /// As the client gives it, up to 200 characters; after an erasure,
    /// [`ERASED_NAME`].
    pub full_name: String,
    /// ISO date, when given.
    pub birth_date: Option<String>,
    /// E-mail, when given.
    pub email: Option<String>,
    /// Phone, when given.
    pub phone: Option<String>,
    /// When the record was erased at the client's request, and why: only
    /// what the studio may keep is left (see [`StudioStore::erase_client`]).
    pub erased: Option<(i64, String)>,
}

/// The fields of a new or edited client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFields {
    /// Full name (required).
    pub full_name: String,
    /// `YYYY-MM-DD`, from 1900 to today.
    pub birth_date: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// As typed, up to 32 characters of digits, spaces and `+-()`.
    pub phone: Option<String>,
}

/// The values a change to a client's details replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChange {
    /// The details before the change.
    pub before: ClientFields,
    /// Who changed them.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub changed_at: i64,
}

pub(crate) fn client_from(row: &sqlx::any::AnyRow) -> Client {
    Client {
        id: row.get("id"),
        full_name: row.get("full_name"),
        birth_date: row.get("birth_date"),
        email: row.get("email"),
        phone: row.get("phone"),
        erased: row
            .get::<Option<i64>, _>("erased_at")
            .map(|at| (at, row.get::<Option<String>, _>("erased_reason").unwrap_or_default())),
    }
}

/// The columns [`client_from`] reads.
pub(crate) const CLIENT_COLUMNS: &str = "id, full_name, birth_date, email, phone, erased_at, erased_reason";

/// The earliest birth date accepted.
pub(crate) const FIRST_BIRTH_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();

/// Longest e-mail address (RFC 5321's path limit).
pub(crate) const MAX_EMAIL_CHARS: usize = 254;

/// Longest phone number as typed (with spaces, dashes, an extension).
pub(crate) const MAX_PHONE_CHARS: usize = 32;

pub(crate) fn checked(fields: &ClientFields) -> Result<ClientFields, StoreError> {
    let full_name = fields.full_name.trim().to_string();
    if full_name.is_empty() || full_name.chars().count() > 200 {
        return Err(StoreError::Invalid("A client needs a name (up to 200 characters).".into()));
    }
    let clean = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (birth_date, email, phone) = (clean(&fields.birth_date), clean(&fields.email), clean(&fields.phone));
    if let Some(date) = &birth_date {
        let valid = date.len() == 10
            && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok_and(|d| {
                d >= FIRST_BIRTH_DATE
                    && chrono::DateTime::from_timestamp_millis(now_ms())
                        .is_some_and(|now| d <= now.date_naive())
            });
        if !valid {
            return Err(StoreError::Invalid(format!(
                "Birth date: {:?} is not a date of birth (YYYY-MM-DD, from 1900 to today).",
                date.chars().take(40).collect::<String>()
            )));
        }
    }
    if let Some(email) = &email {
        let shaped = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
        if email.chars().count() > MAX_EMAIL_CHARS || !shaped || email.contains(char::is_whitespace) {
            return Err(StoreError::Invalid(format!(
                "E-mail: not an address (name@example.com, up to {MAX_EMAIL_CHARS} characters)."
            )));
        }
    }
    if let Some(phone) = &phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-().x/".contains(c));
        if phone.chars().count() > MAX_PHONE_CHARS || !allowed || digits < 3 {
            return Err(StoreError::Invalid(format!(
                "Phone: not a phone number (digits, spaces, + - ( ), up to {MAX_PHONE_CHARS} characters)."
            )));
        }
    }
    Ok(ClientFields { full_name, birth_date, email, phone })
}

impl StudioStore<'_> {
    /// Adds a client, with its audit line.
    pub async fn create_client(&self, staff: &User, fields: &ClientFields) -> Result<Client, StoreError> {
        let f = checked(fields)?;
        let id = new_id();
        let now = now_ms();
        let mut tx = self.store.write().await?;
        sqlx::query(
            "INSERT INTO clients (id, studio_id, full_name, birth_date, email, phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(&f.full_name)
        .bind(&f.birth_date)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::CreateClient, &id).await?;
        tx.commit().await?;
        Ok(Client {
            id,
            full_name: f.full_name,
            birth_date: f.birth_date,
            email: f.email,
            phone: f.phone,
            erased: None,
        })
    }

    /// A client of this studio.
    pub async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE studio_id = $1 AND id = $2"))
                .bind(&self.studio.0)
                .bind(id)
                .fetch_optional(&self.store.pool)
                .await?;
        Ok(row.as_ref().map(client_from))
    }

    /// Changes a client of this studio, keeping the values replaced (see
    /// [`Self::client_changes`]) and auditing the change, in one
    /// transaction; `false` when there is none with `id`.
    pub async fn update_client(
        &self,
        staff: &User,
        id: &str,
        fields: &ClientFields,
    ) -> Result<bool, StoreError> {
        let f = checked(fields)?;
        let mut tx = self.store.write().await?;
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE studio_id = $1 AND id = $2 AND erased_at IS NULL{}",
            self.store.lock()
        );
        let Some(before) = sqlx::query(&sql).bind(&self.studio.0).bind(id).fetch_optional(&mut *tx).await?
        else {
            return Ok(false);
        };
        let before = client_from(&before);
        let unchanged = before.full_name == f.full_name
            && before.birth_date == f.birth_date
            && before.email == f.email
            && before.phone == f.phone;
        if unchanged {
            return Ok(true);
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO client_changes (id, studio_id, client_id, staff_id, old_full_name, old_birth_date, old_email, old_phone, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(id)
        .bind(&staff.id)
        .bind(&before.full_name)
        .bind(&before.birth_date)
        .bind(&before.email)
        .bind(&before.phone)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE clients SET full_name = $1, birth_date = $2, email = $3, phone = $4, updated_at = $5 \
             WHERE studio_id = $6 AND id = $7",
        )
        .bind(&f.full_name)
        .bind(&f.birth_date)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(now)
        .bind(&self.studio.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, AuditAction::EditClient, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The earlier values of a client's details, newest change first.
    pub async fn client_changes(&self, client_id: &str) -> Result<Vec<ClientChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.old_full_name, c.old_birth_date, c.old_email, c.old_phone, c.changed_at, u.name \
             FROM client_changes c JOIN users u ON u.id = c.staff_id \
             WHERE c.studio_id = $1 AND c.client_id = $2 ORDER BY c.changed_at DESC, c.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ClientChange {
                before: ClientFields {
                    full_name: r.get("old_full_name"),
                    birth_date: r.get("old_birth_date"),
                    email: r.get("old_email"),
                    phone: r.get("old_phone"),
                },
                staff_name: r.get("name"),
                changed_at: r.get("changed_at"),
            })
            .collect())
    }

    /// This studio's clients who may be the person `fields` describes: the
    /// same name and birth date, or the same e-mail, or the same phone
    /// (digits compared); `except` leaves one client out (the one edited).
    pub async fn possible_duplicates(
        &self,
        fields: &ClientFields,
        except: Option<&str>,
    ) -> Result<Vec<Client>, StoreError> {
        let f = checked(fields)?;
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE studio_id = $1 AND erased_at IS NULL \
             AND (LOWER(full_name) = LOWER($2) OR LOWER(email) = LOWER($3) OR phone IS NOT NULL) \
             ORDER BY full_name, id LIMIT 5000"
        ))
        .bind(&self.studio.0)
        .bind(&f.full_name)
        .bind(f.email.as_deref().unwrap_or(""))
        .fetch_all(&self.store.pool)
        .await?;
        let phone = f.phone.as_deref().map(digits).filter(|d| d.len() >= 6);
        Ok(rows
            .iter()
            .map(client_from)
            .filter(|c| Some(c.id.as_str()) != except)
            .filter(|c| {
                let same_person = c.full_name.to_lowercase() == f.full_name.to_lowercase()
                    && c.birth_date.is_some()
                    && c.birth_date == f.birth_date;
                let same_email = f
                    .email
                    .as_ref()
                    .is_some_and(|e| c.email.as_ref().is_some_and(|o| o.eq_ignore_ascii_case(e)));
                let same_phone =
                    phone.as_ref().is_some_and(|p| c.phone.as_deref().map(digits).as_ref() == Some(p));
                same_person || same_email || same_phone
            })
            .take(10)
            .collect())
    }

    /// This studio's clients whose name contains `query` (case-insensitive),
    /// by name, at most `limit`.
    pub async fn search_clients(&self, query: &str, limit: i64) -> Result<Vec<Client>, StoreError> {
        // LIKE with the wildcards of the query escaped: a search for "50%"
        // finds "50%", not everything.
        let escaped = like_escaped(query);
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE studio_id = $1 AND erased_at IS NULL \
             AND LOWER(full_name) LIKE $2 ESCAPE '\\' ORDER BY full_name, id LIMIT $3"
        ))
        .bind(&self.studio.0)
        .bind(format!("%{escaped}%"))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(client_from).collect())
    }
}
