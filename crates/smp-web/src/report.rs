//! The consultation report from a saved design version: the simulation on
//! its photo (the screen copy, more than 300 dpi at the report's printed
//! size), the progression strip, the plan, the version's latest quote, the
//! forecast and the aftercare, as a PDF kept with the version (a new one
//! each time), downloadable from its editor.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use smp_clinic::pricing::{Figures, Treatment};
use smp_optics::LayeredOptics;
use smp_report::sections;
use smp_store::{AuditAction, Photo};

use crate::auth::CsrfForm;
use crate::{AppState, Error, Result, Staff};

/// The version's design on its photo's screen copy, with its pattern.
fn on_screen(
    saved: &smp_store::DesignVersion,
    photo: &Photo,
    screen: &image::RgbImage,
) -> std::result::Result<(smp_core::Design, smp_pattern::Pattern), String> {
    let factor = screen.width() as f64 / photo.width.max(1) as f64;
    if crate::head_editor::is_on_head(saved) {
        let design =
            smp_core::head_design::parse_head_design(&saved.design_toml).map_err(|e| e.to_string())?;
        let view = crate::head_editor::view_on(&design, &photo.id, factor)?;
        Ok((view.design, view.pattern))
    } else {
        let form = crate::editor_form::form_of(&saved.design_toml);
        let design = crate::designs::drawn_design(&form, photo.angle, factor)?;
        // As the editor places it: blended into the client's stubble.
        let pattern = smp_render::place(screen, &design);
        Ok((design, pattern))
    }
}

/// A photo the report shows the design on: its record, screen copy and
/// label, with the hair to keep in front (flat designs).
struct ShownPhoto {
    photo: Photo,
    screen: std::sync::Arc<image::RgbImage>,
    label: String,
    hair: Option<smp_render::hair_mask::HairMask>,
}

/// The photos of a saved version, its own first: the flat design's one, or
/// every photo of a design on the head still in the chart.
async fn shown_photos(
    state: &AppState,
    who: &Staff,
    saved: &smp_store::DesignVersion,
) -> Result<Vec<ShownPhoto>> {
    let studio = who.studio(state);
    let mut ids = vec![saved.photo_id.clone()];
    if crate::head_editor::is_on_head(saved)
        && let Ok(design) = smp_core::head_design::parse_head_design(&saved.design_toml)
    {
        let others =
            design.photos.iter().filter_map(|(path, _)| path.file_stem()?.to_str().map(str::to_string));
        ids.extend(others.filter(|id| *id != saved.photo_id));
    }
    // A flat design's mask of longer hair, on its own photo.
    let mask = smp_core::design::parse(&saved.design_toml).ok().and_then(|d| d.photo.hair_mask);
    let mut shown = Vec::new();
    for id in ids {
        let Some(photo) = studio.photo(&id).await?.filter(|p| p.withdrawn.is_none()) else { continue };
        let screen = crate::preview::cached_screen(state, who, &photo).await?;
        let hair = match mask.as_ref().filter(|_| photo.id == saved.photo_id) {
            Some(name) => Some(crate::hair_masks::saved(state, who, &photo, &name.to_string_lossy()).await?),
            None => None,
        };
        let label = format!("The {} photo", photo.angle.as_str());
        shown.push(ShownPhoto { photo, screen, label, hair });
    }
    if shown.first().is_none_or(|s| s.photo.id != saved.photo_id) {
        return Err(Error::Gone("The design's photo was withdrawn.".into()));
    }
    Ok(shown)
}

/// The instructions for the days before a session, from the client's
/// latest screening (those for every client when there is none).
fn pre_session(screenings: &[smp_store::Screening]) -> Vec<String> {
    screenings
        .first()
        .and_then(|s| serde_json::from_str::<smp_clinic::Screening>(&s.result_json).ok())
        .map(|s| s.pre_session)
        .unwrap_or_else(|| smp_clinic::RuleSet::default_rules().pre_session)
}

/// The words of the report's price section, from the quote as given.
fn price_section(given: &smp_store::NewQuote) -> smp_report::Section {
    let what = format!(
        "{}: {:.0} cm² of scalp, {} sessions.",
        Treatment::parse(&given.treatment).map(Treatment::label).unwrap_or("The treatment"),
        given.area_cm2,
        given.sessions
    );
    let tax_bp = if given.net > 0 { (given.tax * 10_000 + given.net / 2) / given.net } else { 0 };
    let figures = Figures { net: given.net, tax: given.tax, total: given.total };
    let until = smp_clinic::gate::long_date(given.valid_until.parse().unwrap_or_default());
    sections::price(&what, &figures, tax_bp, &given.currency, Some(&until))
}

/// `POST /clients/{id}/designs/{design}/report`: makes the report and
/// keeps it; back to the version's editor.
pub(crate) async fn make(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, design_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Consultation reports")?;
    let client = who.client(&state, &client_id).await?;
    let studio = who.studio(&state);
    let saved = studio
        .client_design(&client_id, &design_id)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    let back = crate::head_editor::version_href(&client_id, &saved);
    let shown = shown_photos(&state, &who, &saved).await?;
    let today = crate::clock::today();
    let (protocol, _) = crate::plans::protocol_at_pace(&studio).await?;
    let plan = crate::plans::plan_of(&saved, today, &protocol, &|_| true)?
        .map_err(|e| Error::BadRequest(format!("The report needs the plan: {e}.")))?;
    let price = studio.quotes(&design_id).await?.into_iter().next().map(|q| price_section(&q.quoted));
    // The days booked, when the client's plan follows this version.
    let booked: Vec<(usize, String)> = studio
        .plan(&client_id)
        .await?
        .filter(|p| p.design_id == design_id)
        .map(|p| p.sessions)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| {
            let day = smp_clinic::gate::long_date(s.date.parse().ok()?);
            let when = match s.start_time {
                Some(time) => format!("{day} at {time}"),
                None => day,
            };
            Some((usize::try_from(s.number).ok()?, when))
        })
        .collect();
    let details = studio.details().await?;
    let contact: Vec<String> = [
        details.phone.clone(),
        details.email.clone(),
        details.address.clone().map(|a| a.replace('\n', ", ")),
    ]
    .into_iter()
    .flatten()
    .filter(|l| !l.trim().is_empty())
    .collect();
    let paper = match studio.report_paper().await?.as_str() {
        "letter" => smp_report::Paper::Letter,
        _ => smp_report::Paper::A4,
    };
    let logo = studio.logo().await?;
    let before_session = sections::before_session(&pre_session(&studio.screenings(&client_id).await?));
    let signed = studio.consents(&client_id).await?.into_iter().find(|c| c.superseded_by.is_none());
    let signed = signed.map(|c| {
        format!(
            "{} (version {})",
            smp_clinic::gate::long_date(crate::clock::day(c.signed_at)),
            c.text_version
        )
    });
    let portfolio = studio.portfolio_consents(&client_id).await?.into_iter().find(|c| c.in_force());
    let consent = sections::consent(signed.as_deref(), portfolio.map(|c| c.faces_allowed));
    let (studio_name, client_name) = (details.name.clone(), client.full_name.clone());
    let pdf = state
        .cpu
        .run(&who.user().id, move || -> std::result::Result<Vec<u8>, String> {
            let mut photos = Vec::new();
            let mut progression = None;
            let mut main_design = None;
            for ShownPhoto { photo, screen, label, hair } in shown {
                let (design, pattern) = on_screen(&saved, &photo, &screen)?;
                let hair = hair.map(|h| h.shrunk_to(screen.dimensions()));
                let healed = smp_render::healed_on(&screen, &design, &pattern, hair.as_ref());
                if main_design.is_none() {
                    progression = smp_render::timeline::timeline(
                        &screen,
                        &design,
                        &pattern,
                        &LayeredOptics,
                        &smp_render::DEFAULT_GAPS,
                        hair.as_ref(),
                        500,
                        &|_, _| {},
                    );
                    main_design = Some((design, screen.clone()));
                }
                photos.push(smp_report::PhotoPair { label, before: (*screen).clone(), healed });
            }
            let (design, screen) = main_design.ok_or("The design has no photo.")?;
            let skin_lab =
                smp_render::skin_tone(&screen, &design).unwrap_or(smp_optics::colour::typical_skin(3));
            let skin = smp_optics::Skin::of_client(design.client.fitzpatrick, skin_lab);
            let forecast = smp_optics::forecast::forecast(
                &LayeredOptics,
                &skin,
                skin_lab,
                &design.client,
                &design.pigment,
            );
            // A logo that no longer reads leaves the header without it.
            let logo = logo.and_then(|png| image::load_from_memory(&png).ok()).map(|l| l.to_rgba8());
            let report = smp_report::Report {
                paper,
                studio: smp_report::Studio { name: studio_name, contact, logo },
                client: client_name,
                date: smp_clinic::gate::long_date(today),
                proposal: sections::proposal(&design, &plan),
                photos,
                progression,
                sections: sections::AfterPictures {
                    plan: &plan,
                    booked: &booked,
                    price,
                    fading: &forecast,
                    protocol: &protocol,
                    before_sessions: before_session,
                    consents: Some(consent),
                }
                .sections(),
            };
            smp_report::pdf(&report).map_err(|e| e.to_string())
        })
        .await?
        .map_err(|why| Error::internal(&why, "The report could not be made."))?;
    studio
        .save_report(&client_id, &design_id, who.user(), &pdf)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    Ok(Redirect::to(&format!("{back}#reports")).into_response())
}

/// `GET /clients/{id}/reports/{report}`: the PDF, as a download; audited
/// like an export (it shows the client's photo).
pub(crate) async fn download(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, report_id)): Path<(String, String)>,
) -> Result<Response> {
    who.require_clinical("Consultation reports")?;
    who.client(&state, &client_id).await?;
    let studio = who.studio(&state);
    let pdf = studio
        .report_pdf(&client_id, &report_id)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such report.".into()))?;
    studio.audit(who.user(), AuditAction::ExportDesign, &client_id).await?;
    let name = "attachment; filename=\"consultation-report.pdf\"".to_string();
    Ok(([(CONTENT_TYPE, "application/pdf".to_string()), (CONTENT_DISPOSITION, name)], pdf).into_response())
}

/// How long a report's download link lasts, days.
const LINK_DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "report_shared.html")]
struct SharedPage<'a> {
    who: &'a smp_store::Session,
    client: smp_store::Client,
    back: String,
    link: String,
    qr_svg: String,
    emailed_to: Option<String>,
    days: i64,
}

/// `POST /clients/{id}/reports/{report}/share`: a download link for the
/// client, e-mailed when e-mail is set up, and shown once to copy.
pub(crate) async fn share(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, report_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Consultation reports")?;
    let client = who.client(&state, &client_id).await?;
    if client.erased.is_some() {
        return Err(Error::Gone("This record was erased.".into()));
    }
    let studio = who.studio(&state);
    let mail = crate::client_mail::ClientMail::of(&state, &studio, &client).await?;
    let message = mail.as_ref().and_then(|m| m.report(m.now()));
    let token = studio
        .share_report(&client_id, &report_id, who.user(), LINK_DAYS, message.as_ref())
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such report.".into()))?;
    let design = studio.report_design(&client_id, &report_id).await?;
    let back = match design {
        Some(id) => match studio.client_design(&client_id, &id).await? {
            Some(saved) => crate::head_editor::version_href(&client_id, &saved),
            None => format!("/clients/{client_id}"),
        },
        None => format!("/clients/{client_id}"),
    };
    let link = format!("{}/reports/{token}", state.public_url);
    let page = SharedPage {
        who: &who.session,
        qr_svg: crate::sessions::qr_svg(&link, "the report's link"),
        link,
        emailed_to: message.map(|m| m.to),
        client,
        back,
        days: LINK_DAYS,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /reports/{report_link}`: the client's download, without a login,
/// while the link is live; any other token gets the same answer.
pub(crate) async fn shared(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let (_, pdf) = state.store.shared_report(&token).await?.ok_or_else(|| {
        Error::NotFound("This link has expired or is not one we made. Ask your studio for a new one.".into())
    })?;
    let name = "inline; filename=\"consultation-report.pdf\"".to_string();
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, name),
            (CACHE_CONTROL, "private, no-store".to_string()),
        ],
        pdf,
    )
        .into_response())
}

/// A report as its version's editor lists it.
pub(crate) struct ReportLine {
    /// Made when and by whom.
    pub made: String,
    /// The PDF's address.
    pub href: String,
    /// Where the form that shares it with the client posts.
    pub share_href: String,
    /// Each time it was shared, in words.
    pub shared: Vec<String>,
}

/// A kept report as a list shows it; `with_version` names the design
/// version it was made from (the chart lists every version's).
fn report_line(client_id: &str, r: &smp_store::StoredReport, with_version: bool, now: i64) -> ReportLine {
    let version = if with_version { format!("version {}, ", r.design.1) } else { String::new() };
    ReportLine {
        made: format!("{version}{}, by {}", crate::day_of(r.created_at), r.staff_name),
        href: format!("/clients/{client_id}/reports/{}", r.id),
        share_href: format!("/clients/{client_id}/reports/{}/share", r.id),
        shared: r
            .links
            .iter()
            .map(|l| {
                let opened = match l.opened_at {
                    Some(at) => format!("last opened {}", crate::day_of(at)),
                    None => "not opened yet".into(),
                };
                let open_until = if l.expires_at > now { "works until" } else { "expired" };
                format!(
                    "Shared {} by {}; {opened}; {open_until} {}",
                    crate::day_of(l.created_at),
                    l.staff_name,
                    crate::day_of(l.expires_at)
                )
            })
            .collect(),
    }
}

/// A version's reports, as its editor lists them.
pub(crate) async fn reports_of(
    studio: &smp_store::StudioStore<'_>,
    client_id: &str,
    design_id: &str,
) -> Result<Vec<ReportLine>> {
    let now = chrono::Utc::now().timestamp_millis();
    Ok(studio.reports(design_id).await?.iter().map(|r| report_line(client_id, r, false, now)).collect())
}

/// Every report of the client's, as the chart lists them.
pub(crate) async fn client_reports_of(
    studio: &smp_store::StudioStore<'_>,
    client_id: &str,
) -> Result<Vec<ReportLine>> {
    let now = chrono::Utc::now().timestamp_millis();
    Ok(studio.client_reports(client_id).await?.iter().map(|r| report_line(client_id, r, true, now)).collect())
}
