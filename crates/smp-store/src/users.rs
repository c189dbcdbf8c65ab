//! Staff accounts and their logins: roles, passwords (Argon2id, hashed
//! off the async workers), sessions kept as token digests, the tablet
//! handed to a client, and an admin's changes to accounts.

use sqlx::Row;

use crate::{AuditAction, Brand, Store, StoreError, StudioId, StudioStore, Tx, brand, new_id, now_ms};

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Users and studio settings.
    Admin,
    /// Everything clinical.
    Practitioner,
    /// Clients and schedule, no health answers.
    FrontDesk,
}

impl Role {
    /// The role's name in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Practitioner => "practitioner",
            Role::FrontDesk => "front-desk",
        }
    }

    /// A role from its name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "practitioner" => Some(Role::Practitioner),
            "front-desk" => Some(Role::FrontDesk),
            _ => None,
        }
    }
}

/// A staff account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Made by the store (a UUID); sessions and audit lines refer to it.
    pub id: String,
    /// The studio it belongs to.
    pub studio: StudioId,
    /// The login name: 1-64 characters, no spaces, unique in the studio.
    pub name: String,
    /// What they may do (checked by the app on every request).
    pub role: Role,
    /// Must set a new password at the next login.
    pub must_change_password: bool,
    /// Whether the account may log in (staff who left are deactivated).
    pub active: bool,
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The cookie's value.
    pub token: String,
    /// The token every state-changing form must carry.
    pub csrf: String,
    /// Who is logged in.
    pub user: User,
    /// When the tablet was handed to a client: the client whose consent it
    /// shows (nothing else opens until staff re-enter their password).
    pub client_mode_for: Option<String>,
    /// The studio's time zone (IANA name).
    pub time_zone: String,
    /// The studio's look.
    pub brand: Brand,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub(crate) fn check_password(password: &str) -> Result<(), StoreError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// 256 random bits, hex: session and CSRF tokens.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// A one-time password: 20 characters from an alphabet without look-alikes
/// (about 112 bits), for a new account or a reset.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let bytes = uuid::Uuid::new_v4().into_bytes().into_iter().chain(uuid::Uuid::new_v4().into_bytes());
    bytes
        .filter(|b| (*b as usize) < 250 / ALPHABET.len() * ALPHABET.len())
        .take(20)
        .map(|b| ALPHABET[b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Runs `work` (password hashing: tens of milliseconds of one core) on the
/// blocking pool, off the async workers that answer everyone else.
pub(crate) async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// An Argon2id hash of `password`, computed off the async workers.
pub(crate) async fn hash_password(password: &str) -> String {
    let password = password.to_string();
    off_the_workers(move || password_auth::generate_hash(password)).await
}

/// Whether `password` matches `hash`, checked off the async workers.
pub(crate) async fn password_matches(password: &str, hash: String) -> bool {
    let password = password.to_string();
    off_the_workers(move || password_auth::verify_password(password, &hash).is_ok()).await
}

/// What the database keeps of a session token: its SHA-256, so a token read
/// from the database or a backup does not open a session. (A fast hash is
/// right here: the token is 256 random bits, not a guessable password.)
pub(crate) fn token_digest(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A user name as stored: trimmed, 1-64 characters, no spaces.
pub(crate) fn checked_user_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!("{name:?} is not a user name: 1-64 characters, no spaces")));
    }
    Ok(name)
}

/// Inserts an account in `tx` (names are unique within the studio); its id.
pub(crate) async fn insert_user(
    tx: &mut Tx,
    studio: &StudioId,
    name: &str,
    role: Role,
    hash: &str,
    must_change_password: bool,
) -> Result<String, StoreError> {
    let taken = sqlx::query("SELECT 1 FROM users WHERE studio_id = $1 AND name = $2")
        .bind(&studio.0)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::UserExists(name.to_string()));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, studio_id, name, role, password_hash, must_change_password, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&studio.0)
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .bind(must_change_password as i64)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// A hash verified against when a login names no account, so that a wrong
/// name costs the same time as a wrong password.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(uuid::Uuid::new_v4().to_string()))
}

pub(crate) fn user_from(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.get("role");
    Ok(User {
        id: row.get("id"),
        studio: StudioId(row.get("studio_id")),
        name: row.get("name"),
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        must_change_password: row.get::<i64, _>("must_change_password") != 0,
        active: row.get::<i64, _>("active") != 0,
    })
}

impl Store {
    /// Number of staff accounts in all studios.
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.pool).await?.get::<i64, _>("n"))
    }

    /// Creates a staff account with an Argon2id-hashed password.
    pub async fn create_user(
        &self,
        studio: &StudioId,
        name: &str,
        role: Role,
        password: &str,
        must_change_password: bool,
    ) -> Result<User, StoreError> {
        let name = checked_user_name(name)?;
        check_password(password)?;
        let hash = hash_password(password).await;
        let mut tx = self.write().await?;
        let id = insert_user(&mut tx, studio, name, role, &hash, must_change_password).await?;
        tx.commit().await?;
        Ok(User {
            id,
            studio: studio.clone(),
            name: name.to_string(),
            role,
            must_change_password,
            active: true,
        })
    }

    /// The account for `name` in `studio` when `password` is right. A wrong
    /// password for an existing account is noted in its studio's audit log,
    /// with `from` (the client's address).
    pub async fn verify_login(
        &self,
        studio: &StudioId,
        name: &str,
        password: &str,
        from: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, studio_id, name, role, password_hash, must_change_password, active FROM users \
             WHERE studio_id = $1 AND name = $2",
        )
        .bind(&studio.0)
        .bind(name.trim())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Hash anyway, so a missing name takes as long as a wrong password.
            let password = password.to_string();
            off_the_workers(move || password_auth::verify_password(password, dummy_hash()).is_ok()).await;
            return Ok(None);
        };
        let user = user_from(&row)?;
        let matches = password_matches(password, row.get("password_hash")).await;
        if !user.active {
            // As for a wrong password: a former colleague learns nothing.
            return Ok(None);
        }
        if !matches {
            self.studio(&user.studio).audit(&user, AuditAction::LoginFailed, from).await?;
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// Starts a login session for `user`, valid for `hours`: returns the
    /// session token (for the cookie) and its CSRF token (for forms). Only
    /// the token's digest is stored; expired sessions are purged here. The
    /// login is audited.
    pub async fn start_session(&self, user: &User, hours: i64) -> Result<Session, StoreError> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let time_zone: String = sqlx::query("SELECT time_zone FROM studios WHERE id = $1")
            .bind(&user.studio.0)
            .fetch_one(&mut *tx)
            .await?
            .get("time_zone");
        let brand = Self::brand_in(&mut tx, &user.studio).await?;
        let session = Session {
            token: random_token(),
            csrf: random_token(),
            user: user.clone(),
            client_mode_for: None,
            time_zone,
            brand,
        };
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sessions (token, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_digest(&session.token))
        .bind(&user.id)
        .bind(&session.csrf)
        .bind(now)
        .bind(now + hours * 3_600_000)
        .execute(&mut *tx)
        .await?;
        self.studio(&user.studio).audit_in(&mut tx, user, AuditAction::Login, "").await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The live session with this token, with its user.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT s.csrf, s.client_mode_for, u.id, u.studio_id, u.name, u.role, u.must_change_password, u.active, \
             st.time_zone, {} \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN studios st ON st.id = u.studio_id \
             WHERE s.token = $1 AND s.expires_at > $2 AND u.active = 1",
            brand::brand_columns("st")
        ))
        .bind(token_digest(token))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            token: token.to_string(),
            csrf: row.get("csrf"),
            user: user_from(&row)?,
            client_mode_for: row.get("client_mode_for"),
            time_zone: row.get("time_zone"),
            brand: brand::brand_from(&row),
        }))
    }

    /// Hands the session's tablet to the client `client_id` (client mode),
    /// or takes it back (`None`); audited.
    pub async fn set_client_mode(
        &self,
        session: &Session,
        client_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE sessions SET client_mode_for = $1 WHERE token = $2")
            .bind(client_id)
            .bind(token_digest(&session.token))
            .execute(&mut *tx)
            .await?;
        let (action, subject) = match (client_id, &session.client_mode_for) {
            (Some(c), _) => (AuditAction::HandToClient, c.to_string()),
            (None, c) => (AuditAction::TakeBackFromClient, c.clone().unwrap_or_default()),
        };
        self.studio(&session.user.studio).audit_in(&mut tx, &session.user, action, &subject).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `password` is `user`'s (checked off the async workers).
    pub async fn password_is(&self, user: &User, password: &str) -> Result<bool, StoreError> {
        let stored: String = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(&user.id)
            .fetch_one(&self.pool)
            .await?
            .get("password_hash");
        Ok(password_matches(password, stored).await)
    }

    /// Ends `session` (a logout, audited).
    pub async fn end_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token = $1")
            .bind(token_digest(&session.token))
            .execute(&mut *tx)
            .await?;
        self.studio(&session.user.studio).audit_in(&mut tx, &session.user, AuditAction::Logout, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a user's password when `current` is their password now
    /// (clearing the forced change), ends their other sessions, and audits
    /// the change.
    pub async fn set_password(
        &self,
        user: &User,
        current: &str,
        password: &str,
        keep_session: &str,
    ) -> Result<(), StoreError> {
        check_password(password)?;
        if !self.password_is(user, current).await? {
            return Err(StoreError::Invalid("The current password is not right.".into()));
        }
        let hash = hash_password(password).await;
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash)
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token <> $2")
            .bind(&user.id)
            .bind(token_digest(keep_session))
            .execute(&mut *tx)
            .await?;
        self.studio(&user.studio).audit_in(&mut tx, user, AuditAction::ChangePassword, "").await?;
        tx.commit().await?;
        Ok(())
    }
}

impl StudioStore<'_> {
    /// The studio's staff accounts, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, studio_id, name, role, must_change_password, active FROM users WHERE studio_id = $1 \
             ORDER BY active DESC, name",
        )
        .bind(&self.studio.0)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(user_from).collect()
    }

    /// Gives one of the studio's accounts a new one-time password (to be
    /// changed at the next login) and ends its sessions. `None` when the
    /// account is not this studio's.
    pub async fn reset_password(&self, admin: &User, user_id: &str) -> Result<Option<String>, StoreError> {
        let password = one_time_password();
        let hash = hash_password(&password).await;
        let mut tx = self.store.write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 1 WHERE studio_id = $2 AND id = $3",
        )
        .bind(hash)
        .bind(&self.studio.0)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        self.audit_in(&mut tx, admin, AuditAction::ResetPassword, user_id).await?;
        tx.commit().await?;
        Ok(Some(password))
    }

    /// Deactivates (`active` false: their sessions end at once, they cannot
    /// log in) or reactivates one of the studio's accounts, and sets its
    /// role; audited. Refused when it would leave the studio without an
    /// active admin. `false` when the account is not this studio's.
    pub async fn set_account(
        &self,
        admin: &User,
        user_id: &str,
        role: Role,
        active: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        let sql = format!(
            "SELECT id, studio_id, name, role, must_change_password, active FROM users \
             WHERE studio_id = $1 AND id = $2{}",
            self.store.lock()
        );
        let Some(row) = sqlx::query(&sql).bind(&self.studio.0).bind(user_id).fetch_optional(&mut *tx).await?
        else {
            return Ok(false);
        };
        let before = user_from(&row)?;
        if before.role == role && before.active == active {
            return Ok(true);
        }
        let other_admins: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE studio_id = $1 AND id <> $2 AND role = 'admin' AND active = 1",
        )
        .bind(&self.studio.0)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .get("n");
        if other_admins == 0 && !(role == Role::Admin && active) {
            return Err(StoreError::Invalid(
                "The studio needs an active admin: make someone else admin first.".into(),
            ));
        }
        sqlx::query("UPDATE users SET role = $1, active = $2 WHERE studio_id = $3 AND id = $4")
            .bind(role.as_str())
            .bind(active as i64)
            .bind(&self.studio.0)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        let what = match (before.active, active) {
            (true, false) => AuditAction::DeactivateUser,
            (false, true) => AuditAction::ReactivateUser,
            _ => AuditAction::ChangeRole,
        };
        self.audit_in(&mut tx, admin, what, &format!("{} ({})", before.name, role.as_str())).await?;
        tx.commit().await?;
        Ok(true)
    }
}
