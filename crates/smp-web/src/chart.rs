//! A client's chart: details, a timeline of everything recorded, and each
//! kind of record in full as far as the viewer's role allows (views of
//! health answers, consents and photos are audited).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use smp_store::{AuditAction, Role, Session};

use crate::auth::clinical;
use crate::{AppState, Result, Staff, clock, consent, dashboard, day_of, designs, photos, standing};

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    clinical: bool,
    timeline: Vec<Event>,
    screenings: Vec<ScreeningView>,
    consents: Vec<consent::ConsentView>,
    photos: Vec<photos::PhotoView>,
    withdrawn_photos: Vec<photos::PhotoView>,
    /// When, the version, and its editor's address.
    designs: Vec<(String, smp_store::DesignVersion, String)>,
    sessions: Vec<smp_store::TreatmentSession>,
    upload: photos::UploadForm,
    /// The client's consultation reports (for clinical roles).
    reports: Vec<crate::report::ReportLine>,
    /// The portfolio consent and the gallery's pairs.
    portfolio: crate::portfolio::PortfolioCard,
    /// What was typed into the gallery's form, kept when refused.
    gallery: crate::portfolio::PairForm,
    status: standing::StatusBadge,
    consent_in_force: bool,
    /// The summary at the top: age, the next planned session, the touch-up
    /// forecast from the last session's design.
    age: Option<u32>,
    next_session: Option<String>,
    touch_up: Option<String>,
    /// Practitioners' overrides of the screening (for clinical roles).
    overrides: Vec<(String, smp_store::GateOverride)>,
    /// For an erased record: when, and on what request.
    erased: Option<(String, String)>,
    /// Whether the person may erase the record (admins).
    can_erase: bool,
    /// The latest scalp assessment (for clinical roles).
    assessment: Option<crate::assessment::Latest>,
    /// Every message to the client: (when due or sent, what, where it is).
    messages: Vec<MessageLine>,
    /// The client's contact preference, in words.
    contact: String,
    /// The pre-visit links: (made when and by whom, where it stands).
    previsit: Vec<(String, String)>,
}

/// A message to the client, as the chart lists it.
struct MessageLine {
    when: String,
    what: &'static str,
    subject: String,
    state: &'static str,
}

impl MessageLine {
    fn of(m: &smp_store::OutboxMessage) -> Self {
        use smp_store::MessageState as S;
        let (at, state) = match m.state {
            S::Sent => (m.sent_at.unwrap_or(m.due_at), "sent"),
            S::Pending | S::Sending => (m.due_at, "pending"),
            S::Failed => (m.due_at, "failed"),
            S::Withdrawn => (m.due_at, "withdrawn"),
        };
        let what = smp_clinic::messages::MessageKind::parse(&m.kind).map(|k| k.label()).unwrap_or("Message");
        Self { when: crate::clock::moment(at), what, subject: m.subject.clone(), state }
    }
}

/// A pre-visit link as the chart lists it.
fn previsit_line(link: &smp_store::PrevisitLink) -> (String, String) {
    let made = format!("{}, by {}", day_of(link.created_at), link.staff_name);
    let stands = match link.submitted_at {
        Some(at) => format!("answered on {}", day_of(at)),
        None if link.expires_at <= chrono::Utc::now().timestamp_millis() => "expired unanswered".into(),
        None => format!("waiting for the client's answers until {}", day_of(link.expires_at)),
    };
    (made, stands)
}

/// The client's contact preference, in words.
fn contact_words(client: &smp_store::Client, unsubscribed_at: Option<i64>) -> String {
    match (client.email.as_deref().filter(|e| !e.is_empty()), unsubscribed_at) {
        (None, _) => "No e-mail address: no messages go to this client.".into(),
        (Some(email), None) => format!("Messages go to {email}."),
        (Some(email), Some(at)) => format!(
            "Messages go to {email}; on {} the client stopped the optional ones (aftercare, check-ups) and \
             gets only those about booked sessions.",
            day_of(at)
        ),
    }
}

/// "1st", "2nd", "3rd", "4th"... session.
fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix} session")
}

/// One line of the chart's timeline.
struct Event {
    at: i64,
    when: String,
    what: &'static str,
    detail: String,
    href: Option<String>,
}

/// A stored screening as the chart shows it.
struct ScreeningView {
    when: String,
    staff: String,
    outcome: String,
    earliest: Option<String>,
    rules_version: String,
    /// Every rule that fired, most severe first (none when the stored
    /// result cannot be read).
    findings: Vec<smp_clinic::Finding>,
}

fn screening_view(s: &smp_store::Screening) -> ScreeningView {
    let result = serde_json::from_str::<smp_clinic::Screening>(&s.result_json).ok();
    ScreeningView {
        when: day_of(s.created_at),
        staff: if s.submitted_by_client {
            format!("the client at home, through the pre-visit link {} made", s.staff_name)
        } else {
            s.staff_name.clone()
        },
        outcome: s.outcome.clone(),
        earliest: result.as_ref().and_then(|r| r.earliest_date).map(|d| d.to_string()),
        rules_version: s.rules_version.clone(),
        findings: result.map(|r| r.findings).unwrap_or_default(),
    }
}

/// The badge class of a stored outcome's name: its colour, beside its name.
fn badge_class(outcome: &str) -> &'static str {
    standing::outcome_class(standing::outcome_of(outcome))
}

/// The chart's forms, with what was typed when one is refused.
#[derive(Default)]
pub(crate) struct ChartForms {
    pub upload: photos::UploadForm,
    pub gallery: crate::portfolio::PairForm,
}

pub(crate) async fn client_chart(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    chart(&state, &who, &id, ChartForms::default(), StatusCode::OK).await
}

/// The chart: the client's details, a timeline of everything recorded, and
/// each kind of record in full, as far as the viewer's role allows. Views of
/// health answers, consents and photos are audited.
pub(crate) async fn chart(
    state: &AppState,
    who: &Staff,
    id: &str,
    forms: ChartForms,
    status: StatusCode,
) -> Result<Response> {
    let client = who.client(state, id).await?;
    let studio = who.studio(state);
    let clinical = clinical(&who.session);
    let stored_screenings = studio.screenings(id).await?;
    let stored_consents = studio.consents(id).await?;
    let stored_photos = if clinical { studio.photos(id).await? } else { Vec::new() };
    let withdrawn_photos = if clinical { studio.withdrawn_photos(id).await? } else { Vec::new() };
    let stored_designs = if clinical { studio.designs(id).await? } else { Vec::new() };
    let stored_sessions = studio.treatment_sessions(id).await?;
    let assessments = if clinical { studio.assessments(id).await? } else { Vec::new() };
    for (shown, action) in [
        (clinical && !stored_screenings.is_empty(), AuditAction::ViewHealth),
        (!stored_consents.is_empty(), AuditAction::ViewConsent),
        (!stored_photos.is_empty(), AuditAction::ViewPhotos),
    ] {
        if shown {
            studio.audit(who.user(), action, id).await?;
        }
    }
    let mut timeline: Vec<Event> = Vec::new();
    timeline.extend(stored_screenings.iter().map(|s| Event {
        at: s.created_at,
        when: day_of(s.created_at),
        what: "Health screening",
        detail: if clinical {
            format!("{}, by {}", s.outcome, s.staff_name)
        } else {
            format!("by {}", s.staff_name)
        },
        href: Some("#screening".into()),
    }));
    timeline.extend(stored_consents.iter().map(|c| Event {
        at: c.signed_at,
        when: day_of(c.signed_at),
        what: "Consent signed",
        detail: format!("version {} as “{}”, with {}", c.text_version, c.signed_name, c.staff_name),
        href: Some(format!("/clients/{id}/consents/{}", c.id)),
    }));
    let portfolio_consents = studio.portfolio_consents(id).await?;
    timeline.extend(portfolio_consents.iter().map(|c| Event {
        at: c.signed_at,
        when: day_of(c.signed_at),
        what: "Portfolio consent",
        detail: format!(
            "signed “{}” with {}{}",
            c.signed_name,
            c.staff_name,
            match &c.revoked {
                Some((at, _)) => format!("; revoked {}", day_of(*at)),
                None => String::new(),
            }
        ),
        href: Some("#portfolio".into()),
    }));
    timeline.extend(stored_photos.iter().map(|p| Event {
        at: p.created_at,
        when: day_of(p.created_at),
        what: "Photo",
        detail: format!("{}, by {}", p.angle.as_str(), p.staff_name),
        href: Some(format!("/photos/{}", p.id)),
    }));
    timeline.extend(stored_designs.iter().map(|d| Event {
        at: d.created_at,
        when: day_of(d.created_at),
        what: "Design",
        detail: format!("version {}, by {}", d.version, d.staff_name),
        href: Some(crate::head_editor::version_href(id, d)),
    }));
    timeline.extend(stored_sessions.iter().map(|t| Event {
        at: t.created_at,
        when: day_of(t.created_at),
        what: "Session",
        detail: format!("{} of {}, by {}", ordinal(t.number), t.date, t.staff_name),
        href: clinical.then(|| format!("/clients/{id}/sessions/{}", t.id)),
    }));
    timeline.sort_by_key(|e| std::cmp::Reverse(e.at));
    // From the records already read for the chart.
    let current_text = studio.consent_text().await?.map(|t| t.version);
    let standing = standing::standing_of(&stored_screenings, &stored_consents, current_text);
    let overrides = if clinical { studio.overrides(id).await? } else { Vec::new() };
    let today = clock::today();
    let next_session = studio.plan(id).await?.and_then(|plan| {
        plan.sessions
            .into_iter()
            .filter_map(|s| s.date.parse::<chrono::NaiveDate>().ok().map(|d| (d, s.number)))
            .filter(|(d, _)| *d >= today)
            .min()
            .map(|(d, n)| format!("{}, session {n}", smp_clinic::gate::long_date(d)))
    });
    let touch_up = match stored_sessions.first() {
        Some(last) => {
            let design = match &last.design_id {
                Some(design_id) => studio.design(design_id).await?,
                None => None,
            };
            last.date
                .parse()
                .ok()
                .zip(design)
                .and_then(|(date, d)| dashboard::touch_up_date(date, &d.design_toml))
                .map(smp_clinic::gate::long_date)
        }
        None => None,
    };
    let page = ClientPage {
        erased: client.erased.as_ref().map(|(at, why)| (day_of(*at), why.clone())),
        can_erase: who.user().role == Role::Admin && client.erased.is_none(),
        age: designs::age_of(client.birth_date.as_deref()),
        next_session,
        touch_up,
        status: standing::StatusBadge::of(&standing),
        consent_in_force: standing.consent_in_force,
        overrides: overrides.into_iter().map(|o| (day_of(o.created_at), o)).collect(),
        who: &who.session,
        clinical,
        timeline,
        screenings: stored_screenings.iter().map(screening_view).collect(),
        consents: stored_consents.iter().map(consent::ConsentView::of).collect(),
        photos: stored_photos.iter().map(photos::PhotoView::of).collect(),
        withdrawn_photos: withdrawn_photos.iter().map(photos::PhotoView::of).collect(),
        designs: stored_designs
            .iter()
            .map(|d| (day_of(d.created_at), d.clone(), crate::head_editor::version_href(id, d)))
            .collect(),
        sessions: stored_sessions,
        assessment: crate::assessment::latest(&assessments),
        messages: studio.client_messages(id).await?.iter().map(MessageLine::of).collect(),
        contact: contact_words(&client, studio.unsubscribed_at(id).await?),
        previsit: studio.previsit_links(id).await?.iter().map(previsit_line).collect(),
        reports: if clinical { crate::report::client_reports_of(&studio, id).await? } else { Vec::new() },
        portfolio: crate::portfolio::PortfolioCard::of(
            &studio,
            id,
            &portfolio_consents,
            &stored_photos,
            clinical,
        )
        .await?,
        upload: forms.upload,
        gallery: forms.gallery,
        client,
    };
    Ok((status, Html(page.render()?)).into_response())
}
