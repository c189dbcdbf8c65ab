//! Treatment sessions (each with its ink passport) and the aftercare links
//! handed to clients.

use sqlx::Row;

use crate::{AuditAction, NewMessage, Store, StoreError, StudioStore, User, new_id, now_ms, random_token};

/// A recorded treatment session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentSession {
    /// Made by the store (a UUID); the session page's address names it.
    pub id: String,
    /// The client treated (one of the studio's).
    pub client_id: String,
    /// ISO date of the session.
    pub date: String,
    /// Which session of the plan.
    pub number: i64,
    /// The design version worked from, if one was named.
    pub design_id: Option<String>,
    /// Its version number.
    pub design_version: Option<i64>,
    /// The ink passport (JSON, as the clinical core checked it).
    pub passport_json: String,
    /// The login name of the practitioner who recorded it.
    pub staff_name: String,
    /// When it was recorded, unix milliseconds.
    pub created_at: i64,
}

/// What an amendment of a session replaced, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAmendment {
    /// Why it was amended.
    pub reason: String,
    /// The date before the amendment.
    pub old_date: String,
    /// The session number before.
    pub old_number: i64,
    /// The ink passport before (JSON).
    pub old_passport_json: String,
    /// Who amended it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub amended_at: i64,
}

/// The longest amendment reason.
pub const MAX_AMENDMENT_REASON_CHARS: usize = 1000;

/// What an aftercare link opens: the session's date and the studio, no more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedAftercare {
    /// ISO date of the session.
    pub session_date: String,
    /// Which session of the plan.
    pub number: i64,
    /// The studio's name and how to reach it.
    pub studio: crate::StudioDetails,
    /// The client's next planned session after this one (ISO date), if any.
    pub next_session: Option<String>,
    /// When the link stops working, unix milliseconds.
    pub expires_at: i64,
    /// The studio's look.
    pub brand: crate::Brand,
}

/// An aftercare link as the session page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AftercareLink {
    /// The token (the link's last part).
    pub token: String,
    /// Who made it.
    pub staff_name: String,
    /// When, unix milliseconds.
    pub created_at: i64,
    /// When it stops (or stopped) working, unix milliseconds.
    pub expires_at: i64,
}

const COLUMNS: &str = "t.id, t.client_id, t.session_date, t.number, t.design_id, d.version, t.passport_json, \
     u.name, t.created_at FROM treatment_sessions t JOIN users u ON u.id = t.staff_id \
     LEFT JOIN designs d ON d.id = t.design_id";

fn session_from(r: &sqlx::any::AnyRow) -> TreatmentSession {
    TreatmentSession {
        id: r.get("id"),
        client_id: r.get("client_id"),
        date: r.get("session_date"),
        number: r.get("number"),
        design_id: r.get("design_id"),
        design_version: r.get("version"),
        passport_json: r.get("passport_json"),
        staff_name: r.get("name"),
        created_at: r.get("created_at"),
    }
}

/// The messages a recorded session brings.
#[derive(Debug, Clone, Default)]
pub struct SessionMail {
    /// Its aftercare: an aftercare link valid `link_days` is made with the
    /// session, its token put where a message says [`crate::AFTERCARE_TOKEN`].
    pub aftercare: Vec<NewMessage>,
    /// How long that link lasts, days.
    pub link_days: i64,
    /// The touch-up reminder by the fading forecast, replacing a pending
    /// one of an earlier session (none: the earlier one is withdrawn).
    pub touch_up: Option<NewMessage>,
}

impl StudioStore<'_> {
    /// Records a session of one of this studio's clients, with its audit
    /// line. `design_id`, when given, must be one of the client's designs.
    /// `None` when the client (or the design) is not this studio's. With
    /// `mail`, the session's messages are written with it (see
    /// [`SessionMail`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_session(
        &self,
        client_id: &str,
        staff: &User,
        date: &str,
        number: i64,
        design_id: Option<&str>,
        passport_json: &str,
        mail: Option<&SessionMail>,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_client(&mut tx, client_id).await? {
            return Ok(None);
        }
        if let Some(design) = design_id
            && !self.owns_design(&mut tx, client_id, design).await?
        {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO treatment_sessions (id, studio_id, client_id, design_id, session_date, number, passport_json, staff_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&self.studio.0)
        .bind(client_id)
        .bind(design_id)
        .bind(date)
        .bind(number)
        .bind(passport_json)
        .bind(&staff.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if let Some(mail) = mail {
            self.schedule_aftercare_in(&mut tx, client_id, &id, staff, mail).await?;
            // The latest session's forecast replaces any earlier one's.
            self.schedule_in(&mut tx, client_id, "touch-up", mail.touch_up.as_slice()).await?;
        }
        self.audit_in(&mut tx, staff, AuditAction::RecordSession, client_id).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Amends one of this studio's sessions: the new date, number and ink
    /// passport replace the old, which are kept with `reason` (see
    /// [`Self::session_amendments`]); audited. With `aftercare` (a moved
    /// date's messages), the session's pending aftercare messages are
    /// replaced by them, with a new aftercare link for their text. `false`
    /// when there is no such session.
    #[allow(clippy::too_many_arguments)]
    pub async fn amend_session(
        &self,
        session_id: &str,
        staff: &User,
        date: &str,
        number: i64,
        passport_json: &str,
        reason: &str,
        aftercare: Option<&SessionMail>,
    ) -> Result<bool, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_AMENDMENT_REASON_CHARS {
            return Err(StoreError::Invalid(format!(
                "Say why the record is amended (up to {MAX_AMENDMENT_REASON_CHARS} characters)."
            )));
        }
        let mut tx = self.store.write().await?;
        let sql = format!(
            "SELECT client_id, session_date, number, passport_json FROM treatment_sessions \
             WHERE studio_id = $1 AND id = $2{}",
            self.store.lock()
        );
        let Some(old) =
            sqlx::query(&sql).bind(&self.studio.0).bind(session_id).fetch_optional(&mut *tx).await?
        else {
            return Ok(false);
        };
        let now = now_ms();
        sqlx::query(
            "INSERT INTO session_amendments (id, studio_id, session_id, staff_id, reason, old_session_date, old_number, old_passport_json, amended_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(&self.studio.0)
        .bind(session_id)
        .bind(&staff.id)
        .bind(reason)
        .bind(old.get::<String, _>("session_date"))
        .bind(old.get::<i64, _>("number"))
        .bind(old.get::<String, _>("passport_json"))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE treatment_sessions SET session_date = $1, number = $2, passport_json = $3 \
             WHERE studio_id = $4 AND id = $5",
        )
        .bind(date)
        .bind(number)
        .bind(passport_json)
        .bind(&self.studio.0)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        let client_id: String = old.get("client_id");
        if let Some(mail) = aftercare {
            self.schedule_aftercare_in(&mut tx, &client_id, session_id, staff, mail).await?;
        }
        self.audit_in(&mut tx, staff, AuditAction::AmendSession, &client_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Writes a session's aftercare messages in `tx` in place of its
    /// pending ones (a message already sent stays sent), with an aftercare
    /// link for their text when there are any.
    async fn schedule_aftercare_in(
        &self,
        tx: &mut crate::Tx,
        client_id: &str,
        session_id: &str,
        staff: &User,
        mail: &SessionMail,
    ) -> Result<(), StoreError> {
        let messages: Vec<NewMessage> = if mail.aftercare.is_empty() {
            Vec::new()
        } else {
            let token = self.make_aftercare_link_in(tx, session_id, staff, mail.link_days).await?;
            let with_link = |m: &NewMessage| NewMessage {
                body: m.body.replace(crate::AFTERCARE_TOKEN, &token),
                ..m.clone()
            };
            mail.aftercare.iter().map(with_link).collect()
        };
        self.schedule_in(tx, client_id, &format!("aftercare:{session_id}"), &messages).await
    }

    /// A session's amendments, newest first.
    pub async fn session_amendments(&self, session_id: &str) -> Result<Vec<SessionAmendment>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.reason, a.old_session_date, a.old_number, a.old_passport_json, a.amended_at, u.name \
             FROM session_amendments a JOIN users u ON u.id = a.staff_id \
             WHERE a.studio_id = $1 AND a.session_id = $2 ORDER BY a.amended_at DESC, a.id",
        )
        .bind(&self.studio.0)
        .bind(session_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| SessionAmendment {
                reason: r.get("reason"),
                old_date: r.get("old_session_date"),
                old_number: r.get("old_number"),
                old_passport_json: r.get("old_passport_json"),
                staff_name: r.get("name"),
                amended_at: r.get("amended_at"),
            })
            .collect())
    }

    /// A client's sessions, latest first.
    pub async fn treatment_sessions(&self, client_id: &str) -> Result<Vec<TreatmentSession>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE t.studio_id = $1 AND t.client_id = $2 ORDER BY t.session_date DESC, t.number DESC"
        ))
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(session_from).collect())
    }

    /// One of this studio's sessions.
    pub async fn treatment_session(&self, id: &str) -> Result<Option<TreatmentSession>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE t.studio_id = $1 AND t.id = $2"))
            .bind(&self.studio.0)
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(row.as_ref().map(session_from))
    }

    /// A read-only aftercare link for one of this studio's sessions, valid
    /// for `days`: its token (256 random bits). `None` when the session is
    /// not this studio's.
    pub async fn share_aftercare(
        &self,
        session_id: &str,
        staff: &User,
        days: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.store.write().await?;
        let client: Option<String> =
            sqlx::query("SELECT client_id FROM treatment_sessions WHERE studio_id = $1 AND id = $2")
                .bind(&self.studio.0)
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.get("client_id"));
        let Some(client) = client else { return Ok(None) };
        let token = self.make_aftercare_link_in(&mut tx, session_id, staff, days).await?;
        self.audit_in(&mut tx, staff, AuditAction::ShareAftercare, &client).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    /// A new aftercare link to the session, valid `days`: its token.
    async fn make_aftercare_link_in(
        &self,
        tx: &mut crate::Tx,
        session_id: &str,
        staff: &User,
        days: i64,
    ) -> Result<String, StoreError> {
        let token = random_token();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO aftercare_links (token, studio_id, session_id, staff_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token)
        .bind(&self.studio.0)
        .bind(session_id)
        .bind(&staff.id)
        .bind(now)
        .bind(now + days.clamp(1, 365) * 86_400_000)
        .execute(&mut **tx)
        .await?;
        Ok(token)
    }
}

impl StudioStore<'_> {
    /// A session's aftercare links, newest first (live and ended).
    pub async fn aftercare_links(&self, session_id: &str) -> Result<Vec<AftercareLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.token, l.created_at, l.expires_at, u.name FROM aftercare_links l \
             JOIN users u ON u.id = l.staff_id WHERE l.studio_id = $1 AND l.session_id = $2 \
             ORDER BY l.created_at DESC, l.token",
        )
        .bind(&self.studio.0)
        .bind(session_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AftercareLink {
                token: r.get("token"),
                staff_name: r.get("name"),
                created_at: r.get("created_at"),
                expires_at: r.get("expires_at"),
            })
            .collect())
    }

    /// Ends one of the studio's aftercare links now (a link sent to the
    /// wrong person, say), audited. `false` when it is not this studio's or
    /// has already ended.
    pub async fn revoke_aftercare(&self, staff: &User, token: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.store.write().await?;
        let client: Option<String> = sqlx::query(
            "SELECT t.client_id FROM aftercare_links l JOIN treatment_sessions t ON t.id = l.session_id \
             WHERE l.studio_id = $1 AND l.token = $2 AND l.expires_at > $3",
        )
        .bind(&self.studio.0)
        .bind(token)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.get("client_id"));
        let Some(client) = client else { return Ok(false) };
        sqlx::query("UPDATE aftercare_links SET expires_at = $1 WHERE studio_id = $2 AND token = $3")
            .bind(now)
            .bind(&self.studio.0)
            .bind(token)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, AuditAction::RevokeAftercare, &client).await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl Store {
    /// What a live aftercare link opens; `None` for an unknown or expired token.
    pub async fn shared_aftercare(&self, token: &str) -> Result<Option<SharedAftercare>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT t.session_date, t.number, s.name, s.phone, s.email, s.address, s.time_zone, s.open_days, l.expires_at, \
             {}, \
             (SELECT MIN(p.session_date) FROM planned_sessions p \
              WHERE p.studio_id = t.studio_id AND p.client_id = t.client_id AND p.session_date > t.session_date) AS next \
             FROM aftercare_links l \
             JOIN treatment_sessions t ON t.id = l.session_id JOIN studios s ON s.id = l.studio_id \
             WHERE l.token = $1 AND l.expires_at > $2",
            crate::brand::brand_columns("s")
        ))
        .bind(token)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SharedAftercare {
            session_date: r.get("session_date"),
            number: r.get("number"),
            studio: crate::details_from(&r),
            next_session: r.get("next"),
            expires_at: r.get("expires_at"),
            brand: crate::brand::brand_from(&r),
        }))
    }

    /// The logo of the studio whose live aftercare link `token` is, for the
    /// client's page.
    pub async fn shared_logo(&self, token: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT s.logo_png FROM aftercare_links l JOIN studios s ON s.id = l.studio_id \
             WHERE l.token = $1 AND l.expires_at > $2",
        )
        .bind(token)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| r.get::<Option<Vec<u8>>, _>("logo_png")))
    }
}

/// A client's latest session, for the studio's follow-up list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestSession {
    /// The client's id, for the chart's address.
    pub client_id: String,
    /// The client's full name as the chart shows it.
    pub client_name: String,
    /// ISO date of their latest session.
    pub date: String,
    /// Which session it was.
    pub number: i64,
    /// The design it was worked from (schema 1 text), if named.
    pub design_toml: Option<String>,
}

impl StudioStore<'_> {
    /// Sessions of every client of the studio dated from `from` to `to`
    /// (ISO dates, inclusive), by date: (client id, client name, session).
    pub async fn sessions_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, TreatmentSession)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT c.full_name AS client_name, {COLUMNS} JOIN clients c ON c.id = t.client_id \
             WHERE t.studio_id = $1 AND t.session_date >= $2 AND t.session_date <= $3 \
             AND c.erased_at IS NULL ORDER BY t.session_date, c.full_name"
        ))
        .bind(&self.studio.0)
        .bind(from)
        .bind(to)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get::<String, _>("client_name"), session_from(r))).collect())
    }

    /// Each client's latest session, with the design it was worked from.
    pub async fn latest_sessions(&self) -> Result<Vec<LatestSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.client_id, c.full_name, t.session_date, t.number, d.design_toml FROM treatment_sessions t \
             JOIN clients c ON c.id = t.client_id LEFT JOIN designs d ON d.id = t.design_id \
             WHERE t.studio_id = $1 AND c.erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM treatment_sessions later \
               WHERE later.client_id = t.client_id AND (later.session_date > t.session_date \
                 OR (later.session_date = t.session_date AND later.created_at > t.created_at))) \
             ORDER BY t.session_date",
        )
        .bind(&self.studio.0)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| LatestSession {
                client_id: r.get("client_id"),
                client_name: r.get("full_name"),
                date: r.get("session_date"),
                number: r.get("number"),
                design_toml: r.get("design_toml"),
            })
            .collect())
    }
}
