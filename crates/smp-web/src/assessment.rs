//! The assessment of the client's scalp: the pattern of loss chosen from
//! drawings of the stages, scars, the scalp's condition and active
//! conditions, every assessment kept with its date (clinical staff only).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use smp_clinic::assessment::{
    ActiveCondition, LossPattern, MAX_SCARS, ScalpAssessment, ScalpCondition, Scar, ScarKind, Sensitivity,
};
use smp_store::Session;

use crate::{AppState, Error, Result, Staff, day_of};

/// Scar rows the form offers.
const SCAR_ROWS: usize = 3;

/// The form as typed (kept on an error), by field name.
#[derive(Default)]
struct Typed(Vec<(String, String)>);

impl Typed {
    fn value(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    /// The form showing a kept assessment.
    fn of(a: &ScalpAssessment) -> Self {
        let mut fields = vec![
            ("pattern".to_string(), a.pattern.as_str().to_string()),
            ("condition".into(), condition_name(a.condition).into()),
            ("sensitivity".into(), sensitivity_name(a.sensitivity).into()),
            ("notes".into(), a.notes.clone()),
        ];
        for (i, scar) in a.scars.iter().enumerate() {
            fields.push((format!("scar_kind_{}", i + 1), scar.kind.as_str().into()));
            fields.push((format!("scar_mm_{}", i + 1), scar.size_mm.to_string()));
        }
        fields.extend(a.active.iter().map(|c| ("active".to_string(), c.as_str().to_string())));
        Self(fields)
    }
}

fn condition_name(c: ScalpCondition) -> &'static str {
    match c {
        ScalpCondition::Dry => "dry",
        ScalpCondition::Normal => "normal",
        ScalpCondition::Oily => "oily",
    }
}

fn sensitivity_name(s: Sensitivity) -> &'static str {
    match s {
        Sensitivity::Low => "low",
        Sensitivity::Normal => "normal",
        Sensitivity::High => "high",
    }
}

/// An error beside its field.
#[derive(Debug)]
struct FieldError {
    field: &'static str,
    message: String,
}

/// One kept assessment, for the list.
struct Kept {
    when: String,
    staff: String,
    assessment: ScalpAssessment,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct AssessmentPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    typed: Typed,
    error: Option<FieldError>,
    history: Vec<Kept>,
    scar_rows: Vec<usize>,
}

impl AssessmentPage<'_> {
    /// Scar row `row`'s kind and size, as typed.
    fn scar(&self, row: &usize) -> (&str, &str) {
        (self.typed.value(&format!("scar_kind_{row}")), self.typed.value(&format!("scar_mm_{row}")))
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// The form typed, as an assessment, or the field that is wrong and why.
fn checked(typed: &Typed) -> std::result::Result<ScalpAssessment, FieldError> {
    let wrong = |field: &'static str, message: String| FieldError { field, message };
    let pattern = LossPattern::from_name(typed.value("pattern"))
        .ok_or_else(|| wrong("pattern", "Choose the pattern of loss that matches the scalp.".into()))?;
    let condition = match typed.value("condition") {
        "dry" => ScalpCondition::Dry,
        "normal" => ScalpCondition::Normal,
        "oily" => ScalpCondition::Oily,
        _ => return Err(wrong("condition", "Choose dry, normal or oily.".into())),
    };
    let sensitivity = match typed.value("sensitivity") {
        "low" => Sensitivity::Low,
        "normal" => Sensitivity::Normal,
        "high" => Sensitivity::High,
        _ => return Err(wrong("sensitivity", "Choose how sensitive the scalp is.".into())),
    };
    let mut scars = Vec::new();
    for row in 1..=SCAR_ROWS.min(MAX_SCARS) {
        let kind = typed.value(&format!("scar_kind_{row}"));
        let size = typed.value(&format!("scar_mm_{row}")).trim().replace(',', ".");
        if kind.is_empty() && size.is_empty() {
            continue;
        }
        let kind = ScarKind::from_name(kind)
            .ok_or_else(|| wrong("scars", format!("Scar {row}: choose its kind, or clear its size.")))?;
        let size_mm =
            size.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                wrong("scars", format!("Scar {row}: {size:?} is not a size in millimetres."))
            })?;
        scars.push(Scar { kind, size_mm });
    }
    let mut active = Vec::new();
    for (k, v) in &typed.0 {
        if k == "active" {
            let condition = ActiveCondition::from_name(v)
                .ok_or_else(|| wrong("active", format!("{v:?} is not a condition of the scalp.")))?;
            if !active.contains(&condition) {
                active.push(condition);
            }
        }
    }
    let assessment = ScalpAssessment {
        pattern,
        scars,
        condition,
        sensitivity,
        active,
        notes: typed.value("notes").trim().to_string(),
        hair: None,
    };
    assessment.check().map_err(|(field, message)| wrong(field, message))?;
    Ok(assessment)
}

async fn page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    typed: Typed,
    error: Option<FieldError>,
) -> Result<Response> {
    who.require_clinical("Scalp assessments")?;
    let client = who.client(state, client_id).await?;
    let mut history = Vec::new();
    for kept in who.studio(state).assessments(client_id).await? {
        let assessment = serde_json::from_str(&kept.assessment_json)
            .map_err(|e| Error::internal(&e, "A kept assessment does not read back."))?;
        history.push(Kept { when: day_of(kept.assessed_at), staff: kept.staff_name, assessment });
    }
    // A new assessment starts from the latest.
    let typed = match (typed.0.is_empty(), history.first()) {
        (true, Some(latest)) => Typed::of(&latest.assessment),
        _ => typed,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = AssessmentPage {
        who: &who.session,
        client,
        typed,
        error,
        history,
        scar_rows: (1..=SCAR_ROWS).collect(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The form (with the latest assessment in it) and every earlier one.
pub(crate) async fn form(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    page(&state, &who, &id, Typed::default(), None).await
}

/// Keeps an assessment; otherwise the form again with what was typed and
/// the error beside its field.
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let typed = Typed(fields);
    who.check_csrf(typed.value("csrf"))?;
    who.require_clinical("Scalp assessments")?;
    let mut assessment = match checked(&typed) {
        Ok(a) => a,
        Err(error) => return page(&state, &who, &id, typed, Some(error)).await,
    };
    assessment.hair = hair_figures(&state, &who, &id).await?;
    let json = serde_json::to_string(&assessment)
        .map_err(|e| Error::internal(&e, "The assessment could not be kept."))?;
    if !who.studio(&state).record_assessment(&id, who.user(), &json).await? {
        return Err(Error::NotFound("There is no such client in this studio.".into()));
    }
    Ok(Redirect::to(&format!("/clients/{id}/assessment")).into_response())
}

/// The client's stubble in the hair sample of their latest design drawn
/// on one photo that has one, measured on its full photo; `None` when
/// there is none, or it measures nothing (bare skin, long hair over it).
async fn hair_figures(
    state: &AppState,
    who: &Staff,
    client_id: &str,
) -> Result<Option<smp_clinic::assessment::HairFigures>> {
    let studio = who.studio(state);
    let sampled = studio.designs(client_id).await?.into_iter().find_map(|saved| {
        let design = smp_core::parse(&saved.design_toml).ok()?;
        let sample = design.client.hair_sample.clone()?;
        Some((saved, design, sample))
    });
    let Some((saved, design, sample)) = sampled else { return Ok(None) };
    let Some(photo) = studio.photo(&saved.photo_id).await?.filter(|p| p.withdrawn.is_none()) else {
        return Ok(None);
    };
    let full = crate::photos::full_photo(state, &who.user().studio, &photo).await?;
    let measured = state
        .cpu
        .run(&who.user().id, move || smp_render::stubble::measure(&full, &sample, design.photo.mm_per_px))
        .await?;
    Ok(measured.ok().map(|s| smp_clinic::assessment::HairFigures {
        density_per_cm2: (s.density_per_cm2 * 10.0).round() / 10.0,
        diameter_mm: (s.diameter_mm * 100.0).round() / 100.0,
        color_hex: smp_core::Srgb8(s.color_rgb).to_hex(),
        design_version: saved.version,
    }))
}

/// What the chart shows of the latest assessment: the pattern's drawing
/// and name, the condition, scars and active conditions in words.
pub(crate) struct Latest {
    pub when: String,
    pub drawing: String,
    pub summary: String,
    pub heal_first: bool,
}

/// The chart's summary of the latest of `kept` (newest first), if any reads.
pub(crate) fn latest(kept: &[smp_store::AssessmentRecord]) -> Option<Latest> {
    let first = kept.first()?;
    let a: ScalpAssessment = serde_json::from_str(&first.assessment_json).ok()?;
    let mut parts = vec![
        a.pattern.label().to_string(),
        format!("{} scalp", condition_name(a.condition)),
        format!("{} sensitivity", sensitivity_name(a.sensitivity)),
    ];
    parts.extend(a.scars.iter().map(|s| format!("{} scar, {} mm", s.kind.label(), s.size_mm)));
    parts.extend(a.active.iter().map(|c| c.label().to_string()));
    if let Some(h) = &a.hair {
        parts.push(format!(
            "own stubble {} per cm2, {} mm, {} (design version {})",
            h.density_per_cm2, h.diameter_mm, h.color_hex, h.design_version
        ));
    }
    Some(Latest {
        when: day_of(first.assessed_at),
        drawing: a.pattern.drawing(),
        summary: parts.join(" · "),
        heal_first: a.treat_after_healing(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> Typed {
        Typed(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_form_becomes_an_assessment_and_back() {
        let t = typed(&[
            ("pattern", "norwood-5"),
            ("condition", "oily"),
            ("sensitivity", "high"),
            ("scar_kind_1", "fut-strip"),
            ("scar_mm_1", "180"),
            ("active", "psoriasis"),
            ("active", "psoriasis"),
            ("notes", " strip from 2019 "),
        ]);
        let a = checked(&t).unwrap();
        assert_eq!(a.pattern, LossPattern::Norwood5);
        assert_eq!(a.scars, vec![Scar { kind: ScarKind::FutStrip, size_mm: 180.0 }]);
        assert_eq!(a.active, vec![ActiveCondition::Psoriasis]);
        assert_eq!(a.notes, "strip from 2019");
        let back = Typed::of(&a);
        assert_eq!(checked(&back).unwrap(), a);
    }

    #[test]
    fn what_is_wrong_is_named_by_its_field() {
        let base = [("pattern", "ludwig-2"), ("condition", "normal"), ("sensitivity", "low")];
        assert_eq!(checked(&typed(&base[1..])).unwrap_err().field, "pattern");
        let mut bad = base.to_vec();
        bad.extend([("scar_kind_2", "burn"), ("scar_mm_2", "wide")]);
        let e = checked(&typed(&bad)).unwrap_err();
        assert!(e.field == "scars" && e.message.contains("Scar 2"), "{}", e.message);
        let mut no_kind = base.to_vec();
        no_kind.push(("scar_mm_1", "30"));
        assert_eq!(checked(&typed(&no_kind)).unwrap_err().field, "scars");
    }
}
