//! The treatment plan (from the clinical core: dates, impressions, hours),
//! editable within the protocol's healing windows, and the studio's
//! calendar of planned sessions.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, Days, NaiveDate, Timelike};
use serde::Deserialize;
use smp_clinic::Protocol;
use smp_clinic::booking::{self, Span};
use smp_clinic::pace::Pace;
use smp_store::{PlannedSession, SavedPlan, Session, StudioStore, TreatmentPlan};

use smp_clinic::gate::Step;

use crate::client_mail::ClientMail;
use crate::{AppState, Error, Result, Staff, standing};

/// A session's length as booked, in minutes (see
/// [`smp_clinic::booking::booked_minutes`]).
fn booked_minutes(hours: f64) -> i64 {
    i64::from(smp_clinic::booking::booked_minutes(hours))
}

/// A duration in hours as people say it: "45 min", "2 h", "1 h 35 min"
/// (to the nearest 5 minutes).
pub(crate) fn duration(hours: &f64) -> String {
    let minutes = booked_minutes(*hours);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    /// The plan's design version, when there is a plan.
    version: Option<i64>,
    /// Each planned session with its date and start time as shown (as
    /// typed, when an edit was refused).
    rows: Vec<(PlannedSession, String, String)>,
    /// The studio's opening hours, said on the page.
    opening: smp_store::OpeningHours,
    designs: Vec<(String, i64)>,
    start: String,
    total_hours: f64,
    error: Option<String>,
    /// When the error is the screening's refusal: the refused request's
    /// values, replayed by the override form with the practitioner's reason.
    replay: Option<Vec<(String, String)>>,
    /// The client's standing, shown above the plan.
    status: standing::StatusBadge,
    /// Which pace a new plan's times follow, in words.
    pace_note: String,
}

/// Recorded sessions the studio's pace is learnt from, at most.
const PACE_SESSIONS: i64 = 30;

/// The pace a new plan's times follow: the studio's own, learnt from its
/// recorded sessions, once there are enough; else the protocol's.
async fn studio_pace(studio: &StudioStore<'_>, protocol: &Protocol) -> Result<Option<Pace>> {
    let samples: Vec<(u64, u32)> = studio
        .recorded_against_plan(PACE_SESSIONS)
        .await?
        .into_iter()
        .filter_map(|(impressions, passport)| {
            let passport: serde_json::Value = serde_json::from_str(&passport).ok()?;
            let minutes = passport.get("duration_min")?.as_u64()?;
            Some((u64::try_from(impressions).ok()?, u32::try_from(minutes).ok()?))
        })
        .collect();
    Ok(smp_clinic::pace::learnt_pace(&samples, protocol.plan.setup_minutes))
}

/// The protocol, its pace the studio's own where it has learnt one.
pub(crate) async fn protocol_at_pace(studio: &StudioStore<'_>) -> Result<(Protocol, String)> {
    let mut protocol = Protocol::default_protocol();
    let default_rate = protocol.plan.impressions_per_hour;
    let note = match studio_pace(studio, &protocol).await? {
        Some(pace) => {
            protocol.plan.impressions_per_hour = pace.impressions_per_hour;
            format!(
                "Times follow this studio's own pace: about {} impressions an hour, from its last {} recorded \
                 sessions (the protocol's default is {}), plus {} minutes of set-up each.",
                thousands(pace.impressions_per_hour),
                pace.sessions,
                thousands(default_rate),
                protocol.plan.setup_minutes
            )
        }
        None => format!(
            "Times follow the protocol's pace, {} impressions an hour plus {} minutes of set-up, until \
             {} sessions planned here have been recorded with their duration; then the studio's own.",
            thousands(default_rate),
            protocol.plan.setup_minutes,
            smp_clinic::pace::MIN_SESSIONS
        ),
    };
    Ok((protocol, note))
}

/// A session's start `time` ("HH:MM") checked against the opening hours,
/// the session (`hours` long) ending by closing time: the time as stored,
/// or why not, in words.
fn within_hours(opening: &smp_store::OpeningHours, time: &str, hours: f64) -> Result<String, String> {
    let start = smp_store::time_of_day("the start", time).map_err(|e| e.to_string())?;
    let (opens, closes) = (
        smp_store::time_of_day("opening", &opening.opens).map_err(|e| e.to_string())?,
        smp_store::time_of_day("closing", &opening.closes).map_err(|e| e.to_string())?,
    );
    let minutes = booked_minutes(hours);
    let (end, wrapped) = start.overflowing_add_signed(chrono::TimeDelta::minutes(minutes));
    if start < opens {
        return Err(format!("{time} is before the studio opens ({}).", opening.opens));
    }
    if end > closes || wrapped != 0 {
        return Err(format!(
            "starting at {time}, its {} would end after closing time ({}).",
            duration(&hours),
            opening.closes
        ));
    }
    Ok(start.format("%H:%M").to_string())
}

/// A planned session's span of its day, when it has a start time.
fn span(session: &PlannedSession) -> Option<Span> {
    let start = smp_store::time_of_day("", session.start_time.as_deref()?).ok()?;
    let minute = start.hour() * 60 + start.minute();
    Some(Span::new(minute, smp_clinic::booking::booked_minutes(session.hours)))
}

/// The other clients' bookings on `date`: their spans, and (client name,
/// session) for the words.
fn day_of<'a>(
    others: &'a [(String, String, PlannedSession)],
    date: &str,
) -> (Vec<Span>, Vec<(&'a str, &'a PlannedSession)>) {
    others
        .iter()
        .filter(|(_, _, s)| s.date == date)
        .filter_map(|(_, name, s)| Some((span(s)?, (name.as_str(), s))))
        .unzip()
}

/// Whether each of `sessions` has a chair beside the other clients'
/// bookings, or why not, naming the session and the booking it meets.
/// Sessions without a start time (plans made before times) take no chair.
fn fits_beside(
    sessions: &[PlannedSession],
    chairs: u32,
    others: &[(String, String, PlannedSession)],
) -> Result<(), String> {
    for session in sessions {
        let Some(candidate) = span(session) else { continue };
        let (spans, booked) = day_of(others, &session.date);
        if let Some(i) = booking::clash(&spans, candidate, chairs) {
            let (name, other) = booked[i];
            return Err(format!(
                "Session {} on {}, {}, overlaps {name}'s session {}, and the studio has {} (see Studio settings).",
                session.number,
                long_date(&session.date),
                time_range(&session.start_time, &session.hours),
                time_range(&other.start_time, &other.hours),
                chairs_in_words(chairs)
            ));
        }
    }
    Ok(())
}

/// "1 chair", "2 chairs".
fn chairs_in_words(chairs: u32) -> String {
    if chairs == 1 { "1 chair".into() } else { format!("{chairs} chairs") }
}

/// "Tuesday 15 December 2026" for an ISO date (as given when it is none).
fn long_date(date: &str) -> String {
    date.parse::<NaiveDate>().map(|d| d.format("%A %-d %B %Y").to_string()).unwrap_or_else(|_| date.into())
}

/// A planned session's time of day, "10:00–11:35"; empty when it has none.
fn time_range(start: &Option<String>, hours: &f64) -> String {
    let Some(start) = start.as_deref().and_then(|t| smp_store::time_of_day("", t).ok()) else {
        return String::new();
    };
    let end = start + chrono::TimeDelta::minutes(booked_minutes(*hours));
    format!("{}–{}", start.format("%H:%M"), end.format("%H:%M"))
}

/// A whole number with thousands separated: "2,500".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn plan_page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    typed: Option<Vec<(String, String)>>,
    error: Option<String>,
    replay: Option<Vec<(String, String)>>,
) -> Result<Response> {
    who.require_clinical("Treatment plans")?;
    let client = who.client(state, client_id).await?;
    let studio = who.studio(state);
    let plan = studio.plan(client_id).await?;
    let designs = studio.designs(client_id).await?.into_iter().map(|d| (d.id, d.version)).collect();
    let total_hours = plan.as_ref().map_or(0.0, |p| p.sessions.iter().map(|s| s.hours).sum());
    let version = plan.as_ref().map(|p| p.design_version);
    let rows = plan
        .map(|p: TreatmentPlan| {
            p.sessions
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let (date, time) = typed
                        .as_ref()
                        .and_then(|t| t.get(i).cloned())
                        .unwrap_or_else(|| (s.date.clone(), s.start_time.clone().unwrap_or_default()));
                    (s, date, time)
                })
                .collect()
        })
        .unwrap_or_default();
    let code = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let start = crate::clock::today().to_string();
    let status = standing::StatusBadge::of(&standing::standing(&studio, client_id).await?);
    let (_, pace_note) = protocol_at_pace(&studio).await?;
    let opening = studio.opening_hours().await?;
    let page = PlanPage {
        opening,
        who: &who.session,
        client,
        version,
        rows,
        designs,
        start,
        total_hours,
        error,
        replay,
        status,
        pace_note,
    };
    Ok((code, Html(page.render()?)).into_response())
}

/// `sessions` (a new plan's) each at the first start on its day, from
/// opening time in quarter hours, with a free chair beside the other
/// clients' bookings and ending by closing time; or why a day has none.
async fn first_free_starts(
    studio: &StudioStore<'_>,
    client_id: &str,
    opening: &smp_store::OpeningHours,
    sessions: Vec<PlannedSession>,
) -> Result<Result<Vec<PlannedSession>, String>, Error> {
    let (opens, closes) = opening.checked()?;
    let minute = |t: chrono::NaiveTime| t.hour() * 60 + t.minute();
    let chairs = studio.chairs().await?;
    let (first, last) = match (sessions.first(), sessions.last()) {
        (Some(first), Some(last)) => (first.date.clone(), last.date.clone()),
        _ => return Ok(Ok(sessions)),
    };
    let others: Vec<_> = studio
        .planned_between(&first, &last)
        .await?
        .into_iter()
        .filter(|(id, _, _)| id != client_id)
        .collect();
    let mut placed = Vec::new();
    for session in sessions {
        let minutes = smp_clinic::booking::booked_minutes(session.hours);
        let (spans, _) = day_of(&others, &session.date);
        let Some(start) =
            booking::first_free_start(&spans, minute(opens), minute(closes), minutes, chairs, QUARTER_HOUR)
        else {
            return Ok(Err(format!(
                "Session {} would fall on {}, which has no free chair for {} between {} and {} ({} booked that \
                 day, the studio has {}). Choose another first date.",
                session.number,
                long_date(&session.date),
                duration(&session.hours),
                opening.opens,
                opening.closes,
                spans.len(),
                chairs_in_words(chairs)
            )));
        };
        let start_time = format!("{:02}:{:02}", start / 60, start % 60);
        placed.push(PlannedSession { start_time: Some(start_time), ..session });
    }
    Ok(Ok(placed))
}

/// The step between the start times the planner tries, in minutes.
const QUARTER_HOUR: u32 = 15;

/// The plan of a saved design version from `start` (areas and counts on
/// the scalp's surface for a design on the head), or why there is none in
/// words; a version that cannot be read is a failure of ours.
pub(crate) fn plan_of(
    saved: &smp_store::DesignVersion,
    start: NaiveDate,
    protocol: &Protocol,
    open: &dyn Fn(NaiveDate) -> bool,
) -> Result<Result<smp_clinic::Plan, smp_clinic::PlanError>> {
    let unreadable = |why: String| Error::internal(&why, format!("The design is unreadable: {why}"));
    Ok(if crate::head_editor::is_on_head(saved) {
        let design = smp_core::head_design::parse_head_design(&saved.design_toml)
            .map_err(|e| unreadable(e.to_string()))?;
        let fit = design.fit().map_err(|e| unreadable(e.to_string()))?;
        smp_clinic::plan_on_head(&design, &fit, start, None, protocol, open)
    } else {
        let design = smp_core::parse(&saved.design_toml).map_err(|e| unreadable(e.message))?;
        smp_clinic::plan_on_open_days(&design, start, None, protocol, open)
    })
}

pub(crate) async fn view(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
) -> Result<Response> {
    plan_page(&state, &who, &client_id, None, None, None).await
}

/// Makes a plan from a design version and a first date (`start`,
/// `design_id`), or moves the sessions of the plan (`date_1`, `date_2`...).
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let value = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string());
    who.check_csrf(&value("csrf").unwrap_or_default())?;
    who.require_clinical("Treatment plans")?;
    let client = who.client(&state, &client_id).await?;
    let studio = who.studio(&state);
    let (protocol, _) = protocol_at_pace(&studio).await?;
    let refuse = |typed: Option<Vec<(String, String)>>, m: String| {
        plan_page(&state, &who, &client_id, typed, Some(m), None)
    };
    let opening = studio.opening_hours().await?;
    let (design_id, sessions): (String, Vec<PlannedSession>) = if let Some(start) = value("start") {
        let Ok(start) = start.parse::<NaiveDate>() else {
            return refuse(None, format!("{start:?} is not a date (YYYY-MM-DD).")).await;
        };
        let design_id = value("design_id").unwrap_or_default();
        let saved = studio
            .client_design(&client_id, &design_id)
            .await?
            .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
        let open_days = studio.details().await?.open_days;
        let open = |day: NaiveDate| crate::clock::is_open(&open_days, day);
        let plan = match plan_of(&saved, start, &protocol, &open)? {
            Ok(p) => p,
            Err(e) => return refuse(None, format!("{e}.")).await,
        };
        let sessions = plan
            .sessions
            .iter()
            .map(|s| PlannedSession {
                number: s.number as i64,
                date: s.date.to_string(),
                impressions: s.impressions as i64,
                hours: s.hours,
                focus: s.focus.clone(),
                start_time: None,
            })
            .collect::<Vec<_>>();
        // Each session at the first time of its day with a free chair
        // (moved on the plan page as booked).
        let sessions = match first_free_starts(&studio, &client_id, &opening, sessions).await? {
            Ok(sessions) => sessions,
            Err(why) => return refuse(None, why).await,
        };
        (saved.id, sessions)
    } else {
        let plan = studio
            .plan(&client_id)
            .await?
            .ok_or_else(|| Error::NotFound("This client has no plan yet.".into()))?;
        let typed: Vec<(String, String)> = (1..=plan.sessions.len())
            .map(|n| {
                let field = |name: &str| value(&format!("{name}_{n}")).unwrap_or_default();
                (field("date"), field("time"))
            })
            .collect();
        let mut dates = Vec::new();
        for (n, (text, _)) in typed.iter().enumerate() {
            match text.parse::<NaiveDate>() {
                Ok(d) => dates.push(d),
                Err(_) => {
                    return refuse(
                        Some(typed.clone()),
                        format!("Session {}: {text:?} is not a date.", n + 1),
                    )
                    .await;
                }
            }
        }
        // A date the studio is closed on, said with the day's name.
        let open_days = studio.details().await?.open_days;
        if let Some((n, day)) =
            dates.iter().enumerate().find(|(_, d)| !crate::clock::is_open(&open_days, **d))
        {
            let m = format!(
                "Session {}: the studio is closed on {} (see Studio settings).",
                n + 1,
                day.format("%A %-d %B %Y")
            );
            return refuse(Some(typed), m).await;
        }
        // The one check of the protocol's healing windows, with its reason.
        if let Err(e) = smp_clinic::plan::check_spacing(&dates, &protocol) {
            let m = format!("{}{}.", e.to_string()[..1].to_uppercase(), &e.to_string()[1..]);
            return refuse(Some(typed), m).await;
        }
        // Each start within the opening hours, the whole session too.
        let mut sessions = Vec::new();
        for ((s, date), (_, time)) in plan.sessions.into_iter().zip(&dates).zip(&typed) {
            let start_time = match time.trim() {
                "" => s.start_time.clone(),
                time => match within_hours(&opening, time, s.hours) {
                    Ok(t) => Some(t),
                    Err(why) => {
                        return refuse(Some(typed.clone()), format!("Session {}: {why}", s.number)).await;
                    }
                },
            };
            sessions.push(PlannedSession { date: date.to_string(), start_time, ..s });
        }
        (plan.design_id, sessions)
    };
    // The screening guards every date, planned or moved.
    let dates: Vec<NaiveDate> = sessions.iter().filter_map(|s| s.date.parse().ok()).collect();
    let reason = value("override_reason");
    if let Some(refusal) =
        standing::guard(&studio, who.user(), &client_id, Step::Plan, &dates, reason.as_deref()).await?
    {
        let replay = values.into_iter().filter(|(k, _)| k != "csrf" && k != "override_reason").collect();
        return plan_page(&state, &who, &client_id, None, Some(refusal), Some(replay)).await;
    }
    let fits =
        |chairs: u32, others: &[(String, String, PlannedSession)]| fits_beside(&sessions, chairs, others);
    // The confirmations and reminders go with the plan, in its transaction.
    let messages = match ClientMail::of(&state, &studio, &client).await? {
        Some(mail) => mail.for_plan(&sessions, mail.now()),
        None => Vec::new(),
    };
    match studio.save_plan(&client_id, &design_id, who.user(), &sessions, fits, &messages).await? {
        SavedPlan::Saved => Ok(Redirect::to(&format!("/clients/{client_id}/plan")).into_response()),
        SavedPlan::NoSuchDesign => Err(Error::NotFound("This client has no such design.".into())),
        SavedPlan::Refused(why) => {
            let typed = (!values.iter().any(|(k, _)| k == "start")).then(|| {
                sessions.iter().map(|s| (s.date.clone(), s.start_time.clone().unwrap_or_default())).collect()
            });
            plan_page(&state, &who, &client_id, typed, Some(why), None).await
        }
    }
}

/// One day of the calendar: its label and (client id, client name, session).
/// A day of the week view.
struct CalendarDay {
    /// "Mon 7 Dec".
    label: String,
    /// "Monday 7 December 2026", for screen readers and narrow screens.
    long: String,
    is_today: bool,
    open: bool,
    /// (client id, client name, session)
    sessions: Vec<(String, String, PlannedSession)>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage<'a> {
    who: &'a Session,
    /// "7 - 13 December 2026".
    range: String,
    days: Vec<CalendarDay>,
    previous: NaiveDate,
    next: NaiveDate,
    monday: NaiveDate,
    this_week: bool,
    total: usize,
    /// When the person made their calendar address, if they have one.
    feed_made: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct WeekQuery {
    /// Any day of the week to show (ISO date); this week by default.
    #[serde(default)]
    week: Option<String>,
}

/// The week around `day`, as people say it: "7 - 13 December 2026",
/// "28 December 2026 - 3 January 2027".
fn week_range(monday: NaiveDate) -> String {
    let sunday = monday + Days::new(6);
    if monday.year() != sunday.year() {
        format!("{} - {}", monday.format("%-d %B %Y"), sunday.format("%-d %B %Y"))
    } else if monday.month() != sunday.month() {
        format!("{} - {}", monday.format("%-d %B"), sunday.format("%-d %B %Y"))
    } else {
        format!("{} - {}", monday.format("%-d"), sunday.format("%-d %B %Y"))
    }
}

/// The studio's planned sessions, a week at a time (Monday to Sunday, in
/// the studio's time zone), the days it is closed greyed out.
pub(crate) async fn calendar(
    State(state): State<AppState>,
    who: Staff,
    axum::extract::Query(query): axum::extract::Query<WeekQuery>,
) -> Result<Response> {
    let today = crate::clock::today();
    let day = match query.week.as_deref().filter(|w| !w.is_empty()) {
        Some(text) => text
            .parse::<NaiveDate>()
            .map_err(|_| Error::BadRequest(format!("{text:?} is not a date: choose the week's day.")))?,
        None => today,
    };
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    let sunday = monday + Days::new(6);
    let studio = who.studio(&state);
    let open_days = studio.details().await?.open_days;
    let planned = studio.planned_between(&monday.to_string(), &sunday.to_string()).await?;
    let total = planned.len();
    let days = (0..7)
        .map(|offset| {
            let date = monday + Days::new(offset);
            let iso = date.to_string();
            CalendarDay {
                label: date.format("%a %-d %b").to_string(),
                long: date.format("%A %-d %B %Y").to_string(),
                is_today: date == today,
                open: crate::clock::is_open(&open_days, date),
                sessions: planned.iter().filter(|(_, _, s)| s.date == iso).cloned().collect(),
            }
        })
        .collect();
    let page = CalendarPage {
        who: &who.session,
        range: week_range(monday),
        days,
        previous: monday - Days::new(7),
        next: monday + Days::new(7),
        monday,
        this_week: (monday..=sunday).contains(&today),
        total,
        feed_made: crate::feed::made(&state, &who).await?,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn weeks_read_as_people_say_them() {
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(super::week_range(day("2026-12-07")), "7 - 13 December 2026");
        assert_eq!(super::week_range(day("2026-11-30")), "30 November - 6 December 2026");
        assert_eq!(super::week_range(day("2026-12-28")), "28 December 2026 - 3 January 2027");
    }

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(super::duration(&0.2), "10 min");
        assert_eq!(super::duration(&0.75), "45 min");
        assert_eq!(super::duration(&2.0), "2 h");
        assert_eq!((super::thousands(2500.0), super::thousands(912.4)), ("2,500".into(), "912".into()));
        assert_eq!(super::time_range(&Some("10:00".into()), &1.58), "10:00–11:35");
        assert_eq!(super::time_range(&None, &1.0), "");
        assert_eq!(super::time_range(&Some("10:00".into()), &1.3), "10:00–11:20", "as its duration says");
        assert_eq!(super::thousands(1_234_567.0), "1,234,567");
        assert_eq!(super::duration(&1.58), "1 h 35 min");
    }
}
