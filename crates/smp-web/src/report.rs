//! The consultation report from a saved design version: the simulation on
//! its photo (the screen copy, more than 300 dpi at the report's printed
//! size), the progression strip, the plan, the version's latest quote, the
//! forecast and the aftercare, as a PDF kept with the version (a new one
//! each time), downloadable from its editor.

use axum::extract::{Form, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use smp_clinic::pricing::{Figures, Treatment};
use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
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
    let photo = studio
        .photo(&saved.photo_id)
        .await?
        .filter(|p| p.withdrawn.is_none())
        .ok_or_else(|| Error::Gone("The design's photo was withdrawn.".into()))?;
    let screen = crate::preview::cached_screen(&state, &who, &photo).await?;
    let hair = match smp_core::design::parse(&saved.design_toml).ok().and_then(|d| d.photo.hair_mask) {
        Some(name) => Some(crate::hair_masks::saved(&state, &who, &photo, &name.to_string_lossy()).await?),
        None => None,
    };
    let today = crate::clock::today();
    let (protocol, _) = crate::plans::protocol_at_pace(&studio).await?;
    let plan = crate::plans::plan_of(&saved, today, &protocol, &|_| true)?
        .map_err(|e| Error::BadRequest(format!("The report needs the plan: {e}.")))?;
    let quote = studio.quotes(&design_id).await?.into_iter().next();
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
    let (studio_name, client_name, label) =
        (details.name.clone(), client.full_name.clone(), photo.angle.as_str());
    let label = format!("The {label} photo");
    let pdf = state
        .cpu
        .run(&who.user().id, move || -> std::result::Result<Vec<u8>, String> {
            let (design, pattern) = on_screen(&saved, &photo, &screen)?;
            let hair = hair.map(|h| h.shrunk_to(screen.dimensions()));
            let mut healed = (*screen).clone();
            smp_render::render_stage(
                &mut healed,
                &design,
                &pattern,
                &LayeredOptics,
                Stage::HEALED,
                &smp_render::DEFAULT_GAPS,
                &|_, _| {},
            );
            if let Some(hair) = &hair {
                hair.keep_hair(&screen, &mut healed);
            }
            let progression = smp_render::timeline::timeline(
                &screen,
                &design,
                &pattern,
                &LayeredOptics,
                &smp_render::DEFAULT_GAPS,
                hair.as_ref(),
                500,
                &|_, _| {},
            );
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
            let price = quote.map(|q| {
                let given = q.quoted;
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
            });
            let report = smp_report::Report {
                paper: smp_report::Paper::A4,
                studio: smp_report::Studio { name: studio_name, contact },
                client: client_name,
                date: smp_clinic::gate::long_date(today),
                proposal: sections::proposal(&design, &plan),
                photos: vec![smp_report::PhotoPair { label, before: (*screen).clone(), healed }],
                progression,
                sections: sections::after_pictures(&plan, price, forecast.touch_up_due_years, &protocol),
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

/// A version's reports, as its editor lists them: (when and by whom, address).
pub(crate) async fn reports_of(
    studio: &smp_store::StudioStore<'_>,
    client_id: &str,
    design_id: &str,
) -> Result<Vec<(String, String)>> {
    Ok(studio
        .reports(design_id)
        .await?
        .into_iter()
        .map(|r| {
            (
                format!("{}, by {}", crate::day_of(r.created_at), r.staff_name),
                format!("/clients/{client_id}/reports/{}", r.id),
            )
        })
        .collect())
}
