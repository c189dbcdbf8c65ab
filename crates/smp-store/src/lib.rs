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

mod assessment;
mod audit;
mod brand;
mod clients;
mod consent;
mod design;
mod erasure;
mod feed;
mod files;
mod gate;
mod head;
mod outbox;
mod photo;
mod pin;
mod plan;
mod portfolio;
mod previsit;
mod prices;
mod reports;
mod screening;
mod sign_in;
mod studio;
mod treatment;
mod users;

pub use assessment::{AssessmentRecord, MAX_ASSESSMENT_BYTES};
pub use audit::{AuditAction, AuditEntry, AuditFilter};
pub use brand::{Brand, MAX_LOGO_BYTES, checked_accent};
pub use clients::{Client, ClientChange, ClientFields};
pub use consent::{Consent, ConsentText, MAX_CONSENT_TEXT_CHARS, MAX_SIGNATURE_BYTES, NewSignature};
pub use design::{DesignVersion, MAX_DESIGN_BYTES};
pub use erasure::{ERASED_NAME, ErasureCounts, MAX_ERASURE_REASON_CHARS};
pub use files::{PARTIAL_PREFIX, PhotoFiles, StoredFile, create_private_folder};
pub use gate::{GateOverride, MAX_OVERRIDE_REASON_CHARS};
pub use head::HeadRecord;
pub use outbox::{
    AFTERCARE_TOKEN, IN_DOUBT, MailSettings, MessageState, MessageText, NewMessage, OutboxMessage,
    SendOutcome,
};
pub use photo::{Photo, PhotoAngle, new_photo_id};
pub use pin::PIN_DIGITS;
pub use plan::{MAX_CHAIRS, OpeningHours, PlannedSession, SavedPlan, TreatmentPlan, time_of_day};
pub use portfolio::{GalleryPair, MAX_CAPTION_CHARS, NewGalleryPair, PortfolioConsent};
pub use previsit::{OpenPrevisit, PREVISIT_TOKEN, PrevisitLink};
pub use prices::{NewQuote, Quote, StoredPrice, StoredPriceList};
pub use reports::{MAX_REPORT_BYTES, REPORT_TOKEN, ReportLink, StoredReport};
pub use screening::Screening;
pub use sign_in::{MAX_CODE_CHARS, code_from_name};
pub use studio::StudioDetails;
pub use treatment::{
    AftercareLink, LatestSession, SessionAmendment, SessionMail, SharedAftercare, TreatmentSession,
};
pub use users::{MIN_PASSWORD_CHARS, Role, Session, User, one_time_password, random_token};

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
    /// A value given to the store is not acceptable: the message is for
    /// the person who typed it (shown beside the form, a 400).
    #[error("{0}")]
    Invalid(String),
    /// What the database holds cannot be read back (a value no version of
    /// this app writes): a fault of ours, logged, never the user's.
    #[error("stored data: {0}")]
    Corrupt(String),
    /// A file or folder of the store's own could not be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
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

/// `text` lower-cased for `LIKE`, its wildcards escaped: a search for "50%"
/// finds "50%", not everything.
pub(crate) fn like_escaped(text: &str) -> String {
    text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
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
            .map_err(|source| StoreError::Io { what: format!("cannot prepare {}", dir.display()), source })?;
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
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
                StoreError::Io { what: format!("cannot make {} private", path.display()), source }
            })?;
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

    /// Everything that belongs to one studio.
    pub fn studio(&self, id: &StudioId) -> StudioStore<'_> {
        StudioStore { store: self, studio: id.clone() }
    }
}

/// One studio's records. Every query here is limited to the studio.
pub struct StudioStore<'a> {
    store: &'a Store,
    studio: StudioId,
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

impl StudioStore<'_> {
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

    /// Whether `design_id` is one of the client's design versions here.
    async fn owns_design(
        &self,
        conn: &mut sqlx::AnyConnection,
        client_id: &str,
        design_id: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM designs WHERE studio_id = $1 AND client_id = $2 AND id = $3")
            .bind(&self.studio.0)
            .bind(client_id)
            .bind(design_id)
            .fetch_optional(conn)
            .await?;
        Ok(row.is_some())
    }
}
