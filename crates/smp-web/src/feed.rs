//! A staff member's calendar on their phone: a private subscription address
//! (made, shown once, revocable) that lists the studio's planned sessions.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate, NaiveTime};
use smp_clinic::staff_calendar::{CalendarSession, staff_calendar};
use smp_store::Session;

use crate::auth::CsrfForm;
use crate::{AppState, Error, Result, Staff};

/// How far back and ahead the feed lists sessions, days.
const PAST_DAYS: u64 = 30;
const AHEAD_DAYS: u64 = 400;

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage<'a> {
    who: &'a Session,
    address: String,
}

/// Makes the person's calendar address (replacing any earlier one) and
/// shows it, once: only its digest is kept.
pub(crate) async fn make(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let token = who.studio(&state).make_calendar_feed(who.user()).await?;
    let address = format!("{}/calendar/feed/{token}/sessions.ics", state.public_url);
    Ok(Html(FeedPage { who: &who.session, address }.render()?).into_response())
}

/// Ends the person's calendar address.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.studio(&state).revoke_calendar_feed(who.user()).await?;
    Ok(Redirect::to("/calendar#phone").into_response())
}

/// The calendar behind an address: the studio's planned sessions from a
/// month ago to a year ahead. An unknown, revoked or deactivated owner's
/// address answers 404, the same for all.
pub(crate) async fn sessions(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let gone = || Error::NotFound("This calendar address is not in use.".into());
    let studio_id = state.store.calendar_feed(&token).await?.ok_or_else(gone)?;
    let studio = state.store.studio(&studio_id);
    let today = crate::clock::today();
    let (from, to) = (today - Days::new(PAST_DAYS), today + Days::new(AHEAD_DAYS));
    let planned = studio.planned_between(&from.to_string(), &to.to_string()).await?;
    let name = studio.details().await?.name;
    let sessions: Vec<CalendarSession> = planned
        .into_iter()
        .filter_map(|(client_id, client_name, s)| {
            Some(CalendarSession {
                client_id,
                client_name,
                number: s.number,
                date: s.date.parse::<NaiveDate>().ok()?,
                start: s.start_time.as_deref().and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok()),
                hours: s.hours,
            })
        })
        .collect();
    let ics = staff_calendar(&name, &sessions, chrono::Utc::now());
    Ok(([(CONTENT_TYPE, "text/calendar; charset=utf-8")], ics).into_response())
}

/// What the calendar page says of the person's address.
pub(crate) async fn made(state: &AppState, who: &Staff) -> Result<Option<String>> {
    Ok(who.studio(state).calendar_feed_made(who.user()).await?.map(crate::day_of))
}
