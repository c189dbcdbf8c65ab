//! Persistence: studios (tenants), staff accounts and clients, on embedded
//! SQLite or on PostgreSQL, through one API.
//!
//! Only this crate knows SQL. Tenancy is enforced here, not left to
//! callers: everything that belongs to a studio is reached through
//! [`Store::studio`], whose queries all carry the studio's id, so no call
//! can read or change another studio's records.
#![warn(missing_docs)]

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

mod brand;
mod consent;
mod design;
mod erasure;
mod files;
mod gate;
mod photo;
mod pin;
mod plan;
mod sign_in;
mod treatment;

pub use brand::{Brand, MAX_LOGO_BYTES, checked_accent};
pub use consent::{Consent, ConsentText, MAX_CONSENT_TEXT_CHARS, MAX_SIGNATURE_BYTES};
pub use design::{DesignVersion, MAX_DESIGN_BYTES};
pub use erasure::{ERASED_NAME, ErasureCounts, MAX_ERASURE_REASON_CHARS};
pub use files::{PARTIAL_PREFIX, PhotoFiles, StoredFile, create_private_folder};
pub use gate::{GateOverride, MAX_OVERRIDE_REASON_CHARS};
pub use photo::{Photo, PhotoAngle, new_photo_id};
pub use pin::PIN_DIGITS;
pub use plan::{MAX_CHAIRS, OpeningHours, PlannedSession, SavedPlan, TreatmentPlan, time_of_day};
pub use sign_in::{MAX_CODE_CHARS, code_from_name};
pub use treatment::{AftercareLink, LatestSession, SessionAmendment, SharedAftercare, TreatmentSession};

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The URL names no database this build supports.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// A user name is taken.
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The photo store (folder or bucket) refused or failed.
    #[error("photo store: {0}")]
    Files(String),
}

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (WAL, foreign keys on).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A studio's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StudioId(pub String);

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
    /// Id.
    pub id: String,
    /// The studio it belongs to.
    pub studio: StudioId,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Must set a new password at the next login.
    pub must_change_password: bool,
    /// Whether the account may log in (staff who left are deactivated).
    pub active: bool,
}

/// A client of a studio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Id.
    pub id: String,
    /// Full name.
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
    /// ISO date.
    pub birth_date: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

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

fn check_password(password: &str) -> Result<(), StoreError> {
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
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// An Argon2id hash of `password`, computed off the async workers.
async fn hash_password(password: &str) -> String {
    let password = password.to_string();
    off_the_workers(move || password_auth::generate_hash(password)).await
}

/// Whether `password` matches `hash`, checked off the async workers.
async fn password_matches(password: &str, hash: String) -> bool {
    let password = password.to_string();
    off_the_workers(move || password_auth::verify_password(password, &hash).is_ok()).await
}

/// What the database keeps of a session token: its SHA-256, so a token read
/// from the database or a backup does not open a session. (A fast hash is
/// right here: the token is 256 random bits, not a guessable password.)
fn token_digest(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates `dir` (0700) and an empty database `file` (0600) when missing,
/// and narrows both when they exist wider.
fn make_private(dir: &Path, file: &Path) -> std::io::Result<()> {
    create_private_folder(dir)?;
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    create.open(file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A user name as stored: trimmed, 1-64 characters, no spaces.
fn checked_user_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!("{name:?} is not a user name: 1-64 characters, no spaces")));
    }
    Ok(name)
}

/// Inserts an account in `tx` (names are unique within the studio); its id.
async fn insert_user(
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

/// A write transaction ([`Store::write`]).
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// How often a write waits out SQLite's busy timeout before giving up.
const WRITE_LOCK_ATTEMPTS: u32 = 4;

/// Whether SQLite said another connection holds the lock (SQLITE_BUSY or
/// SQLITE_LOCKED, with any extended code).
fn is_busy(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else { return false };
    db.code().and_then(|c| c.parse::<i64>().ok()).is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating when needed) the database at `url` and brings its
    /// schema up to date: `sqlite://PATH` or `postgres://...`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let mut options =
            AnyPoolOptions::new().max_connections(if backend == Backend::Sqlite { 4 } else { 8 });
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    // Foreign keys are off by default in SQLite; WAL lets
                    // readers work while a write commits.
                    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *conn).await?;
                    Ok(())
                })
            });
        }
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
        } else {
            url.to_string()
        };
        let pool = options.connect(&url).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        let store = Self { pool, backend };
        store.fill_sign_in_codes().await?;
        Ok(store)
    }

    /// Opens the embedded SQLite database in `dir` (created when missing).
    /// The folder is kept readable by its owner only (0700) and the database
    /// file too (0600; SQLite gives its journal files the same), whatever
    /// the umask: it holds health answers.
    pub async fn open_in(dir: &Path) -> Result<Self, StoreError> {
        let file = dir.join("smp.db");
        make_private(dir, &file)
            .map_err(|e| StoreError::Invalid(format!("cannot prepare {}: {e}", dir.display())))?;
        Self::open(&format!("sqlite://{}", file.display())).await
    }

    /// Opens the embedded SQLite database in `dir` for reading only: no
    /// migration, no write (a backup's source).
    pub async fn open_read_only_in(dir: &Path) -> Result<Self, StoreError> {
        install_default_drivers();
        let file = dir.join("smp.db");
        if !file.is_file() {
            return Err(StoreError::Invalid(format!("{} is not there", file.display())));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&format!("sqlite://{}?mode=ro", file.display()))
            .await?;
        Ok(Self { pool, backend: Backend::Sqlite })
    }

    /// Starts a write transaction. On SQLite it takes the write lock at its
    /// start (`BEGIN IMMEDIATE`): a deferred `BEGIN` that reads and then
    /// writes cannot upgrade its lock while another connection writes under
    /// WAL, and fails with "busy" whatever the busy timeout. Waiting for the
    /// lock happens here, in SQLite's busy handler (5 s), retried a few
    /// times, so a burst of saves queues instead of failing. PostgreSQL
    /// serialises what must be serialised with row locks ([`Self::lock`]).
    pub(crate) async fn write(&self) -> Result<Tx, StoreError> {
        if self.backend == Backend::Postgres {
            return Ok(self.pool.begin().await?);
        }
        let mut attempt = 1;
        loop {
            match self.pool.begin_with("BEGIN IMMEDIATE").await {
                Err(e) if is_busy(&e) && attempt < WRITE_LOCK_ATTEMPTS => attempt += 1,
                started => return Ok(started?),
            }
        }
    }

    /// What a `SELECT` inside a write transaction appends to hold the rows
    /// it read until the commit: `FOR UPDATE` on PostgreSQL; nothing on
    /// SQLite, whose write transactions already exclude each other.
    pub(crate) fn lock(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Writes a consistent copy of the embedded database to `path`, a new
    /// file, while the app may be using it (SQLite's `VACUUM INTO` reads one
    /// snapshot and writes it compacted). PostgreSQL has `pg_dump` for this.
    pub async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid(
                "the database is PostgreSQL: back it up with pg_dump (and copy the photo folder)".into(),
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid(format!("{} is not a UTF-8 path", path.display())))?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| StoreError::Invalid(format!("cannot make {} private: {e}", path.display())))?;
        }
        Ok(())
    }

    /// Whether the database is sound, by SQLite's own integrity check;
    /// PostgreSQL guards its own and answers `true`.
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(true);
        }
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&self.pool).await?;
        // And no record names a row that is not there.
        let dangling = sqlx::query("PRAGMA foreign_key_check").fetch_optional(&self.pool).await?;
        Ok(verdict == "ok" && dangling.is_none())
    }

    /// Closes the connections (a backup's files are complete after this).
    pub async fn close(&self) {
        self.pool.close().await;
    }

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
            self.studio(&user.studio).audit(&user, "login-failed", from).await?;
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
        self.studio(&user.studio).audit_in(&mut tx, user, "login", "").await?;
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
            (Some(c), _) => ("hand-to-client", c.to_string()),
            (None, c) => ("take-back-from-client", c.clone().unwrap_or_default()),
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
        self.studio(&session.user.studio).audit_in(&mut tx, &session.user, "logout", "").await?;
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
        self.studio(&user.studio).audit_in(&mut tx, user, "change-password", "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Everything that belongs to one studio.
    pub fn studio(&self, id: &StudioId) -> StudioStore<'_> {
        StudioStore { store: self, studio: id.clone() }
    }
}

/// A hash verified against when a login names no account, so that a wrong
/// name costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(uuid::Uuid::new_v4().to_string()))
}

/// One studio's records. Every query here is limited to the studio.
pub struct StudioStore<'a> {
    store: &'a Store,
    studio: StudioId,
}

fn user_from(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.get("role");
    Ok(User {
        id: row.get("id"),
        studio: StudioId(row.get("studio_id")),
        name: row.get("name"),
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Invalid(format!("unknown role {role:?} in the database")))?,
        must_change_password: row.get::<i64, _>("must_change_password") != 0,
        active: row.get::<i64, _>("active") != 0,
    })
}

fn client_from(row: &sqlx::any::AnyRow) -> Client {
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

/// A studio's details from a row with their columns (name, phone, email,
/// address, time_zone, open_days).
pub(crate) fn details_from(r: &sqlx::any::AnyRow) -> StudioDetails {
    StudioDetails {
        name: r.get("name"),
        phone: r.get("phone"),
        email: r.get("email"),
        address: r.get("address"),
        time_zone: r.get("time_zone"),
        open_days: r.get("open_days"),
    }
}

/// The columns [`client_from`] reads.
const CLIENT_COLUMNS: &str = "id, full_name, birth_date, email, phone, erased_at, erased_reason";

/// The earliest birth date accepted.
const FIRST_BIRTH_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
/// Longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// Longest phone number as typed (with spaces, dashes, an extension).
const MAX_PHONE_CHARS: usize = 32;

fn checked(fields: &ClientFields) -> Result<ClientFields, StoreError> {
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

/// A stored screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    /// Id.
    pub id: String,
    /// The intake as answered (TOML, as `smp screen` reads it).
    pub intake_toml: String,
    /// The rule set's version.
    pub rules_version: String,
    /// The overall outcome.
    pub outcome: String,
    /// The full result (JSON).
    pub result_json: String,
    /// Who recorded it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who.
    pub staff_name: String,
    /// What (`view-health`, `record-screening`, ...).
    pub action: String,
    /// On what (a client's id).
    pub subject: String,
    /// When, unix milliseconds.
    pub at: i64,
    /// The client's name, when the subject is one of the studio's clients.
    pub client_name: Option<String>,
}

/// Which audit lines to read: empty strings and `None` match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Part of the client's name.
    pub client: String,
    /// The staff member's login name.
    pub staff: String,
    /// The action (`view-health`, ...).
    pub action: String,
    /// From this moment, unix milliseconds.
    pub from_ms: Option<i64>,
    /// Before this moment, unix milliseconds.
    pub until_ms: Option<i64>,
}

/// `text` lower-cased for `LIKE`, its wildcards escaped: a search for "50%"
/// finds "50%", not everything.
fn like_escaped(text: &str) -> String {
    text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl StudioStore<'_> {
    /// Notes in the audit log that `staff` did `action` on `subject`.
    pub async fn audit(&self, staff: &User, action: &str, subject: &str) -> Result<(), StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        self.audit_in(&mut conn, staff, action, subject).await
    }

    /// As [`StudioStore::audit`], unless the same person has a line for the
    /// same action on the same subject from the last `window_ms`: a chart
    /// that shows twelve thumbnails, or an editor reloading its photo, says
    /// so once, not twelve times.
    pub async fn audit_unless_recent(
        &self,
        staff: &User,
        action: &str,
        subject: &str,
        window_ms: i64,
    ) -> Result<(), StoreError> {
        let recent = sqlx::query(
            "SELECT 1 FROM audit WHERE studio_id = $1 AND staff_id = $2 AND action = $3 AND subject = $4 \
             AND at >= $5 LIMIT 1",
        )
        .bind(&self.studio.0)
        .bind(&staff.id)
        .bind(action)
        .bind(subject)
        .bind(now_ms() - window_ms)
        .fetch_optional(&self.store.pool)
        .await?;
        if recent.is_none() {
            self.audit(staff, action, subject).await?;
        }
        Ok(())
    }

    /// The audit line of a change, written in the change's own transaction
    /// so that neither is kept without the other.
    async fn audit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        staff: &User,
        action: &str,
        subject: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit (id, studio_id, staff_id, action, subject, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(new_id())
            .bind(&self.studio.0)
            .bind(&staff.id)
            .bind(action)
            .bind(subject)
            .bind(now_ms())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Whether `client_id` is one of this studio's clients; inside a write
    /// transaction this also locks the client's row until the commit, so
    /// that what is numbered per client (design versions) is allocated by
    /// one writer at a time.
    async fn owns_client(&self, conn: &mut sqlx::AnyConnection, client_id: &str) -> Result<bool, StoreError> {
        // An erased client takes no new records.
        let sql = format!(
            "SELECT 1 FROM clients WHERE studio_id = $1 AND id = $2 AND erased_at IS NULL{}",
            self.store.lock()
        );
        Ok(sqlx::query(&sql).bind(&self.studio.0).bind(client_id).fetch_optional(conn).await?.is_some())
    }

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
        self.audit_in(&mut tx, staff, "studio-details", name).await?;
        tx.commit().await?;
        Ok(())
    }

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
        self.audit_in(&mut tx, admin, "reset-password", user_id).await?;
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
            (true, false) => "deactivate-user",
            (false, true) => "reactivate-user",
            _ => "change-role",
        };
        self.audit_in(&mut tx, admin, what, &format!("{} ({})", before.name, role.as_str())).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_log_where(&AuditFilter::default(), limit).await
    }

    /// The audit lines that match `filter`, newest first, at most `limit`.
    pub async fn audit_log_where(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // Each condition is off when its parameter is empty (or 0 for the
        // times), so one statement serves every combination.
        // Lines of the same millisecond in the order they were written: by
        // SQLite's row number, or PostgreSQL's sequence.
        let written = match self.store.backend {
            Backend::Sqlite => "a.rowid",
            Backend::Postgres => "a.seq",
        };
        let rows = sqlx::query(&format!(
            "SELECT u.name, a.action, a.subject, a.at, c.full_name AS client_name FROM audit a \
             JOIN users u ON u.id = a.staff_id \
             LEFT JOIN clients c ON c.id = a.subject AND c.studio_id = a.studio_id \
             WHERE a.studio_id = $1 \
             AND ($2 = '' OR LOWER(c.full_name) LIKE $3 ESCAPE '\\') \
             AND ($4 = '' OR u.name = $4) \
             AND ($5 = '' OR a.action = $5) \
             AND ($6 = 0 OR a.at >= $6) AND ($7 = 0 OR a.at < $7) \
             ORDER BY a.at DESC, {written} DESC LIMIT $8"
        ))
        .bind(&self.studio.0)
        .bind(filter.client.trim())
        .bind(format!("%{}%", like_escaped(&filter.client)))
        .bind(filter.staff.trim())
        .bind(filter.action.trim())
        .bind(filter.from_ms.unwrap_or(0))
        .bind(filter.until_ms.unwrap_or(0))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                staff_name: r.get("name"),
                action: r.get("action"),
                subject: r.get("subject"),
                at: r.get("at"),
                client_name: r.get("client_name"),
            })
            .collect())
    }

    /// Stores a screening of one of this studio's clients, with its audit
    /// line, in one transaction. `false` when the client is not this studio's.
    pub async fn record_screening(
        &self,
        client_id: &str,
        staff: &User,
        intake_toml: &str,
        rules_version: &str,
        outcome: &str,
        result_json: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(false);
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO screenings (id, studio_id, client_id, staff_id, intake_toml, rules_version, outcome, result_json, created_at)              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(&staff.id)
        .bind(intake_toml)
        .bind(rules_version)
        .bind(outcome)
        .bind(result_json)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.audit_in(&mut tx, staff, "record-screening", client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A client's screenings, newest first.
    pub async fn screenings(&self, client_id: &str) -> Result<Vec<Screening>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.intake_toml, s.rules_version, s.outcome, s.result_json, s.created_at, u.name              FROM screenings s JOIN users u ON u.id = s.staff_id              WHERE s.studio_id = $1 AND s.client_id = $2 ORDER BY s.created_at DESC, s.id",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Screening {
                id: r.get("id"),
                intake_toml: r.get("intake_toml"),
                rules_version: r.get("rules_version"),
                outcome: r.get("outcome"),
                result_json: r.get("result_json"),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
            })
            .collect())
    }

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
        self.audit_in(&mut tx, staff, "create-client", &id).await?;
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
        self.audit_in(&mut tx, staff, "edit-client", id).await?;
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
