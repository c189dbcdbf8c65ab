//! The audit log for admins: each line a sentence with the client's name,
//! filtered by client, staff member, action and dates.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use smp_store::{AuditEntry, AuditFilter, Session};

use crate::{AppState, Staff, day_of, page};

/// Every action the log holds, with the words a line says for it: what was
/// done, and whether the subject is a client (named after the words).
const ACTIONS: &[(&str, &str, bool)] = &[
    ("view-health", "viewed the health answers of", true),
    ("record-screening", "recorded a health screening of", true),
    ("override-screening", "went ahead despite the screening for", true),
    ("view-consent", "viewed the consent of", true),
    ("sign-consent", "took the signed consent of", true),
    ("hand-to-client", "handed the tablet for the consent to", true),
    ("take-back-from-client", "took the tablet back from", true),
    ("view-photos", "viewed the photos of", true),
    ("view-photo", "viewed a photo of", true),
    ("view-session", "viewed a session record of", true),
    ("erase-client", "erased at the client's request the record of", true),
    ("upload-photo", "uploaded a photo of", true),
    ("withdraw-photo", "withdrew a photo of", true),
    ("save-design", "saved a design for", true),
    ("export-design", "exported a design of", true),
    ("plan-sessions", "planned the sessions of", true),
    ("record-session", "recorded a session of", true),
    ("amend-session", "amended a session record of", true),
    ("share-aftercare", "made an aftercare link for", true),
    ("revoke-aftercare", "ended an aftercare link of", true),
    ("create-client", "added the client", true),
    ("edit-client", "corrected the details of", true),
    ("login", "logged in", false),
    ("logout", "logged out", false),
    ("login-failed", "was the target of a failed login from", false),
    ("change-password", "changed their password", false),
    ("set-pin", "set their PIN for taking the tablet back", false),
    ("remove-pin", "removed their PIN", false),
    ("add-user", "added the staff member", false),
    ("reset-password", "gave a one-time password to", false),
    ("deactivate-user", "deactivated", false),
    ("reactivate-user", "reactivated", false),
    ("change-role", "changed the role of", false),
    ("studio-details", "changed the studio's details", false),
    ("studio-hours", "set the studio's opening hours to", false),
    ("studio-chairs", "set the number of chairs (sessions at once) to", false),
    ("studio-accent", "set the studio's accent colour to", false),
    ("studio-logo", "uploaded the studio's logo", false),
    ("studio-logo-removed", "removed the studio's logo", false),
    ("publish-consent-text", "published the consent text", false),
];

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
    let (words, about_client) = ACTIONS
        .iter()
        .find(|(action, ..)| *action == e.action)
        .map_or((e.action.replace('-', " "), false), |(_, words, client)| (words.to_string(), *client));
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
    actions: &'static [(&'static str, &'static str, bool)],
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
) -> Response {
    page(async {
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
            who: &who.0,
            lines: entries.into_iter().map(line).collect(),
            filter: query,
            staff,
            actions: ACTIONS,
            more,
        };
        Ok(Html(page.render()?).into_response())
    })
    .await
}
