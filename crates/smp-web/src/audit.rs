//! The audit log for admins: each line a sentence with the client's name,
//! filtered by client, staff member, action and dates.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use smp_store::{AuditAction, AuditEntry, AuditFilter, Session};

use crate::{AppState, Result, Staff, day_of};

/// The words a line says for an action, and whether its subject is a
/// client (named after the words). Every action has its words: the match
/// is exhaustive.
fn words(action: AuditAction) -> (&'static str, bool) {
    match action {
        AuditAction::ViewHealth => ("viewed the health answers of", true),
        AuditAction::RecordScreening => ("recorded a health screening of", true),
        AuditAction::OverrideScreening => ("went ahead despite the screening for", true),
        AuditAction::ViewConsent => ("viewed the consent of", true),
        AuditAction::SignConsent => ("took the signed consent of", true),
        AuditAction::HandToClient => ("handed the tablet for the consent to", true),
        AuditAction::TakeBackFromClient => ("took the tablet back from", true),
        AuditAction::ViewPhotos => ("viewed the photos of", true),
        AuditAction::ViewPhoto => ("viewed a photo of", true),
        AuditAction::ViewSession => ("viewed a session record of", true),
        AuditAction::EraseClient => ("erased at the client's request the record of", true),
        AuditAction::MeasureHead => ("measured the head of", true),
        AuditAction::AssessScalp => ("assessed the scalp of", true),
        AuditAction::UploadPhoto => ("uploaded a photo of", true),
        AuditAction::WithdrawPhoto => ("withdrew a photo of", true),
        AuditAction::SaveDesign => ("saved a design for", true),
        AuditAction::ExportDesign => ("exported a design of", true),
        AuditAction::PlanSessions => ("planned the sessions of", true),
        AuditAction::RecordSession => ("recorded a session of", true),
        AuditAction::AmendSession => ("amended a session record of", true),
        AuditAction::ShareAftercare => ("made an aftercare link for", true),
        AuditAction::RevokeAftercare => ("ended an aftercare link of", true),
        AuditAction::CreateClient => ("added the client", true),
        AuditAction::EditClient => ("corrected the details of", true),
        AuditAction::Login => ("logged in", false),
        AuditAction::Logout => ("logged out", false),
        AuditAction::LoginFailed => ("was the target of a failed login from", false),
        AuditAction::ChangePassword => ("changed their password", false),
        AuditAction::SetPin => ("set their PIN for taking the tablet back", false),
        AuditAction::RemovePin => ("removed their PIN", false),
        AuditAction::AddUser => ("added the staff member", false),
        AuditAction::ResetPassword => ("gave a one-time password to", false),
        AuditAction::DeactivateUser => ("deactivated", false),
        AuditAction::ReactivateUser => ("reactivated", false),
        AuditAction::ChangeRole => ("changed the role of", false),
        AuditAction::StudioDetails => ("changed the studio's details", false),
        AuditAction::StudioHours => ("set the studio's opening hours to", false),
        AuditAction::StudioChairs => ("set the number of chairs (sessions at once) to", false),
        AuditAction::StudioAccent => ("set the studio's accent colour to", false),
        AuditAction::StudioLogo => ("uploaded the studio's logo", false),
        AuditAction::StudioLogoRemoved => ("removed the studio's logo", false),
        AuditAction::PublishConsentText => ("published the consent text", false),
        AuditAction::SignPortfolioConsent => ("recorded the portfolio consent", true),
        AuditAction::RevokePortfolioConsent => ("recorded the portfolio consent's revocation", true),
        AuditAction::GalleryAdd => ("added photos to the gallery", true),
        AuditAction::GalleryRemove => ("took photos out of the gallery", true),
        AuditAction::GalleryAdjust => ("adjusted photos in the gallery", true),
        AuditAction::PublicGallery => ("switched the public gallery", false),
    }
}

/// The filter's choices: each action's stored word and its words.
fn action_choices() -> Vec<(&'static str, &'static str)> {
    AuditAction::ALL.into_iter().map(|a| (a.as_str(), words(a).0)).collect()
}

/// One line as the page shows it.
struct Line {
    when: String,
    staff: String,
    words: String,
    /// The client named, with the chart's address.
    client: Option<(String, String)>,
    /// What else the line is about (a user, an address, a version).
    detail: String,
}

fn line(e: AuditEntry) -> Line {
    // A word no action of this version has (from an older one) is shown as
    // it is, hyphens read as spaces.
    let (words, about_client) =
        AuditAction::parse(&e.action).map_or((e.action.replace('-', " "), false), |action| {
            let (words, client) = words(action);
            (words.to_string(), client)
        });
    let client = e.client_name.map(|name| (name, format!("/clients/{}", e.subject)));
    // A line about a client names them (or nobody, once erased); other
    // lines show what they are about (a user, an address, a version).
    let detail = if about_client { String::new() } else { e.subject };
    Line { when: day_of(e.at), staff: e.staff_name, words, client, detail }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    who: &'a Session,
    lines: Vec<Line>,
    filter: AuditQuery,
    staff: Vec<String>,
    /// The filter's choices: stored word and words.
    actions: Vec<(&'static str, &'static str)>,
    /// More lines matched than are shown.
    more: bool,
}

/// The filter as typed (kept in the form).
#[derive(Deserialize, Default)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    client: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

/// Lines shown at once.
const PAGE_LINES: i64 = 500;

/// Unix milliseconds at the start of `date` (UTC), if it is a date.
fn start_of(date: &str) -> Option<i64> {
    let day: chrono::NaiveDate = date.trim().parse().ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Who viewed or changed what, newest first: for admins.
pub(crate) async fn log(
    State(state): State<AppState>,
    who: Staff,
    Query(query): Query<AuditQuery>,
) -> Result<Response> {
    who.require_admin("The audit log")?;
    let studio = who.studio(&state);
    let filter = AuditFilter {
        client: query.client.clone(),
        staff: query.staff.clone(),
        action: query.action.clone(),
        from_ms: start_of(&query.from),
        // Through the whole of the last day named.
        until_ms: start_of(&query.until).map(|t| t + 86_400_000),
    };
    let mut entries = studio.audit_log_where(&filter, PAGE_LINES + 1).await?;
    let more = entries.len() as i64 > PAGE_LINES;
    entries.truncate(PAGE_LINES as usize);
    let staff = studio.users().await?.into_iter().map(|u| u.name).collect();
    let page = AuditPage {
        who: &who.session,
        lines: entries.into_iter().map(line).collect(),
        filter: query,
        staff,
        actions: action_choices(),
        more,
    };
    Ok(Html(page.render()?).into_response())
}
