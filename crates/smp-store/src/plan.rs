//! The treatment plan: a client's sessions to come. A saved plan replaces
//! the client's previous one (it is a schedule; what was done is in the
//! session records).

use sqlx::Row;

use crate::{AuditAction, NewMessage, StoreError, StudioStore, User, new_id, now_ms};

/// The family of a plan's messages in the outbox.
const PLAN_MESSAGES: &str = "plan";

/// One planned session.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSession {
    /// 1-based.
    pub number: i64,
    /// The session's day, `YYYY-MM-DD` in the studio's zone.
    pub date: String,
    /// Impressions to place.
    pub impressions: i64,
    /// Estimated working hours.
    pub hours: f64,
    /// What the session does.
    pub focus: String,
    /// When it starts, "HH:MM" in the studio's time zone (plans made before
    /// times have none).
    pub start_time: Option<String>,
}

/// A client's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentPlan {
    /// The design version planned.
    pub design_id: String,
    /// Its version number.
    pub design_version: i64,
    /// The sessions, in order.
    pub sessions: Vec<PlannedSession>,
}

fn planned_from(r: &sqlx::any::AnyRow) -> PlannedSession {
    PlannedSession {
        number: r.get("number"),
        date: r.get("session_date"),
        impressions: r.get("impressions"),
        hours: r.get("hours"),
        focus: r.get("focus"),
        start_time: r.get("start_time"),
    }
}

/// The studio's planned sessions from $2 to $3 (ISO dates, inclusive), with
/// their clients' names; callers add conditions and the order.
const BOOKINGS: &str = "SELECT p.client_id, c.full_name, p.number, p.session_date, p.impressions, p.hours, \
     p.focus, p.start_time FROM planned_sessions p JOIN clients c ON c.id = p.client_id \
     WHERE p.studio_id = $1 AND p.session_date >= $2 AND p.session_date <= $3";

/// (client id, client name, session) of a [`BOOKINGS`] row.
fn booking_from(r: &sqlx::any::AnyRow) -> (String, String, PlannedSession) {
    (r.get("client_id"), r.get("full_name"), planned_from(r))
}

/// What became of a plan to save.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum SavedPlan {
    /// Saved, replacing the client's previous plan.
    Saved,
    /// The client or the design is not this studio's.
    NoSuchDesign,
    /// Not saved: the sessions do not fit beside the other bookings (why).
    Refused(String),
}

/// The studio's opening hours, "HH:MM" each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// When it opens.
    pub opens: String,
    /// When it closes.
    pub closes: String,
}

impl OpeningHours {
    /// The hours as times of day, opening before closing, or why not.
    pub fn checked(&self) -> Result<(chrono::NaiveTime, chrono::NaiveTime), StoreError> {
        let opens = time_of_day("Opens at", &self.opens)?;
        let closes = time_of_day("Closes at", &self.closes)?;
        if opens >= closes {
            return Err(StoreError::Invalid("Opening hours: the studio must open before it closes.".into()));
        }
        Ok((opens, closes))
    }
}

/// "HH:MM" as a time of day, or why not.
pub fn time_of_day(what: &str, text: &str) -> Result<chrono::NaiveTime, StoreError> {
    chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| StoreError::Invalid(format!("{what}: {:?} is not a time like 09:30.", text.trim())))
}

/// The most chairs a studio can set (a bound on a typo, not on studios).
pub const MAX_CHAIRS: u32 = 50;

impl StudioStore<'_> {
    /// Replaces the client's plan with `sessions` for the design `design_id`
    /// (one of the client's). Dates are checked by the caller (the clinical
    /// core); so is the room for each session beside the other clients'
    /// bookings: `fits` gets the studio's chairs and every other client's
    /// planned sessions from the first date to the last, read under the
    /// studio's lock so that two saves cannot both take the last chair, and
    /// says why not when the plan does not fit. `messages` are the plan's
    /// messages to the client (confirmations, reminders), written with it:
    /// pending ones of a session that moved or went are withdrawn.
    pub async fn save_plan(
        &self,
        client_id: &str,
        design_id: &str,
        staff: &User,
        sessions: &[PlannedSession],
        fits: impl Fn(u32, &[(String, String, PlannedSession)]) -> Result<(), String>,
        messages: &[NewMessage],
    ) -> Result<SavedPlan, StoreError> {
        let mut tx = self.store.write().await?;
        if !self.owns_design(&mut tx, client_id, design_id).await? {
            return Ok(SavedPlan::NoSuchDesign);
        }
        let chairs: i64 =
            sqlx::query(&format!("SELECT chairs FROM studios WHERE id = $1{}", self.store.lock()))
                .bind(&self.studio.0)
                .fetch_one(&mut *tx)
                .await?
                .get("chairs");
        let first = sessions.iter().map(|s| s.date.as_str()).min().unwrap_or_default();
        let last = sessions.iter().map(|s| s.date.as_str()).max().unwrap_or_default();
        let others =
            sqlx::query(&format!("{BOOKINGS} AND p.client_id <> $4 ORDER BY p.session_date, p.start_time"))
                .bind(&self.studio.0)
                .bind(first)
                .bind(last)
                .bind(client_id)
                .fetch_all(&mut *tx)
                .await?;
        let others: Vec<_> = others.iter().map(booking_from).collect();
        if let Err(why) = fits(u32::try_from(chairs).unwrap_or(1), &others) {
            return Ok(SavedPlan::Refused(why));
        }
        sqlx::query("DELETE FROM planned_sessions WHERE studio_id = $1 AND client_id = $2")
            .bind(&self.studio.0)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        let now = now_ms();
        for s in sessions {
            sqlx::query(
                "INSERT INTO planned_sessions (id, studio_id, client_id, design_id, number, session_date, impressions, hours, focus, staff_id, created_at, start_time) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(new_id())
            .bind(&self.studio.0)
            .bind(client_id)
            .bind(design_id)
            .bind(s.number)
            .bind(&s.date)
            .bind(s.impressions)
            .bind(s.hours)
            .bind(&s.focus)
            .bind(&staff.id)
            .bind(now)
            .bind(&s.start_time)
            .execute(&mut *tx)
            .await?;
        }
        self.schedule_in(&mut tx, client_id, PLAN_MESSAGES, messages).await?;
        self.audit_in(&mut tx, staff, AuditAction::PlanSessions, client_id).await?;
        tx.commit().await?;
        Ok(SavedPlan::Saved)
    }

    /// The client's plan, if one was saved.
    pub async fn plan(&self, client_id: &str) -> Result<Option<TreatmentPlan>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.number, p.session_date, p.impressions, p.hours, p.focus, p.start_time, p.design_id, d.version \
             FROM planned_sessions p JOIN designs d ON d.id = p.design_id \
             WHERE p.studio_id = $1 AND p.client_id = $2 ORDER BY p.number",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        Ok(Some(TreatmentPlan {
            design_id: first.get("design_id"),
            design_version: first.get("version"),
            sessions: rows.iter().map(planned_from).collect(),
        }))
    }

    /// The studio's most recently recorded sessions that were planned, at
    /// most `limit`: (impressions the plan gave the session, the recorded
    /// session's ink passport, JSON), to learn the studio's pace from.
    pub async fn recorded_against_plan(&self, limit: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.impressions, t.passport_json FROM treatment_sessions t \
             JOIN planned_sessions p ON p.studio_id = t.studio_id AND p.client_id = t.client_id \
             AND p.number = t.number \
             WHERE t.studio_id = $1 ORDER BY t.created_at DESC LIMIT $2",
        )
        .bind(&self.studio.0)
        .bind(limit)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get("impressions"), r.get("passport_json"))).collect())
    }

    /// The studio's planned sessions from `from` to `to` (ISO dates,
    /// inclusive), by date: (client id, client name, session).
    pub async fn planned_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, PlannedSession)>, StoreError> {
        let rows = sqlx::query(&format!("{BOOKINGS} ORDER BY p.session_date, p.start_time, c.full_name"))
            .bind(&self.studio.0)
            .bind(from)
            .bind(to)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(booking_from).collect())
    }

    /// The studio's opening hours.
    pub async fn opening_hours(&self) -> Result<OpeningHours, StoreError> {
        let row = sqlx::query("SELECT opens_at, closes_at FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(OpeningHours { opens: row.get("opens_at"), closes: row.get("closes_at") })
    }

    /// How many sessions the studio can run at once.
    pub async fn chairs(&self) -> Result<u32, StoreError> {
        let row = sqlx::query("SELECT chairs FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(u32::try_from(row.get::<i64, _>("chairs")).unwrap_or(1))
    }

    /// Sets how many sessions the studio can run at once (1 to
    /// [`MAX_CHAIRS`]), audited. Bookings already made stay as they are.
    pub async fn set_chairs(&self, staff: &User, chairs: u32) -> Result<(), StoreError> {
        if !(1..=MAX_CHAIRS).contains(&chairs) {
            return Err(StoreError::Invalid(format!(
                "Chairs: {chairs} is not a number of chairs from 1 to {MAX_CHAIRS}."
            )));
        }
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET chairs = $1 WHERE id = $2")
            .bind(i64::from(chairs))
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, AuditAction::StudioChairs, &chairs.to_string()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the opening hours ("HH:MM", opening before closing), audited.
    pub async fn set_opening_hours(&self, staff: &User, hours: &OpeningHours) -> Result<(), StoreError> {
        let (opens, closes) = hours.checked()?;
        let (opens, closes) = (opens.format("%H:%M").to_string(), closes.format("%H:%M").to_string());
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET opens_at = $1, closes_at = $2 WHERE id = $3")
            .bind(&opens)
            .bind(&closes)
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, AuditAction::StudioHours, &format!("{opens}-{closes}")).await?;
        tx.commit().await?;
        Ok(())
    }
}
