//! The studio's follow-up list: sessions this week, healing checks due, and
//! touch-ups due by the fading model with each client's recorded factors.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate};
use smp_optics::LayeredOptics;
use smp_store::Session;

use crate::{AppState, Result, Staff};

/// The healing check: the colour has settled by day 30 (the brief).
const HEALING_CHECK_DAY: u64 = 30;
/// A healing check not done by this day after the session is overdue.
const HEALING_CHECK_WINDOW_DAYS: u64 = 21;
/// Touch-ups due within this many days are listed.
const TOUCH_UP_HORIZON_DAYS: u64 = 90;

/// One line of the list.
struct Due {
    client_id: String,
    client_name: String,
    date: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    who: &'a Session,
    today: String,
    week: String,
    this_week: Vec<Due>,
    healing: Vec<Due>,
    touch_ups: Vec<Due>,
    unknown: usize,
}

/// When the work of a latest session will need a touch-up, by the fading
/// model, from the design it was worked from (client factors, pigment).
/// Without the photo, the skin is the typical one of the client's type; a
/// design that leaves the type to the photo has no date here.
pub(crate) fn touch_up_date(session_date: NaiveDate, design_toml: &str) -> Option<NaiveDate> {
    let design = crate::head_editor::flat_design(design_toml)?;
    let t = design.client.fitzpatrick?;
    let forecast = smp_optics::forecast::forecast(
        &LayeredOptics,
        &smp_optics::Skin::of_type(t),
        smp_optics::colour::typical_skin(t.get()),
        &design.client,
        &design.pigment,
    );
    let days = smp_optics::ageing::HEALED_DAY + forecast.touch_up_due_years? * 365.25;
    session_date.checked_add_days(Days::new(days.round() as u64))
}

pub(crate) async fn dashboard(State(state): State<AppState>, who: Staff) -> Result<Response> {
    let today = crate::clock::today();
    let monday = today - Days::new(today.weekday().num_days_from_monday() as u64);
    let sunday = monday + Days::new(6);
    let studio = who.studio(&state);
    let this_week = studio
        .sessions_between(&monday.to_string(), &sunday.to_string())
        .await?
        .into_iter()
        .map(|(name, s)| Due {
            client_id: s.client_id,
            client_name: name,
            date: s.date,
            detail: format!("session {}, with {}", s.number, s.staff_name),
        })
        .collect();
    let mut healing = Vec::new();
    let mut touch_ups = Vec::new();
    let mut unknown = 0;
    for latest in studio.latest_sessions().await? {
        let Ok(date) = latest.date.parse::<NaiveDate>() else { continue };
        let check = date + Days::new(HEALING_CHECK_DAY);
        if check <= today && today <= check + Days::new(HEALING_CHECK_WINDOW_DAYS) {
            healing.push(Due {
                client_id: latest.client_id.clone(),
                client_name: latest.client_name.clone(),
                date: check.to_string(),
                detail: format!("30 days after session {} on {}", latest.number, latest.date),
            });
        }
        match latest.design_toml.as_deref().and_then(|t| touch_up_date(date, t)) {
            Some(due) if due <= today + Days::new(TOUCH_UP_HORIZON_DAYS) => touch_ups.push(Due {
                client_id: latest.client_id,
                client_name: latest.client_name,
                date: due.to_string(),
                detail: format!("last session {}; forecast from the design's client factors", latest.date),
            }),
            Some(_) => {}
            None => unknown += 1,
        }
    }
    touch_ups.sort_by(|a, b| a.date.cmp(&b.date));
    let page = DashboardPage {
        who: &who.session,
        today: today.to_string(),
        week: format!("{monday} to {sunday}"),
        this_week,
        healing,
        touch_ups,
        unknown,
    };
    Ok(Html(page.render()?).into_response())
}
