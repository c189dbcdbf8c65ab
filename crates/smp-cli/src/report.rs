//! `smp report`: the consultation report as a PDF from a design file: the
//! simulation on its photos, the progression strip, the plan, the quote
//! from a price-list file, the touch-up forecast and the aftercare.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use smp_clinic::pricing::{Basis, Price, PriceList, Treatment, money, parse_money};
use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
use smp_render::DEFAULT_GAPS;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// The design file (schema 1, or 2 on the head).
    design: PathBuf,
    /// The PDF to write.
    #[arg(long, short)]
    out: PathBuf,
    /// For a design on the head: the photos to show, by name (default:
    /// all); the first carries the progression strip.
    #[arg(long)]
    photo: Vec<String>,
    /// The price list (TOML: currency, tax_percent, and [[price]] entries
    /// with treatment, basis = "session" | "treatment", amount, and
    /// optionally per_cm2 and base_cm2).
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// What the quote is for: full-head, hairline, crown, scar-camouflage,
    /// density, touch-up.
    #[arg(long, default_value = "full-head")]
    treatment: String,
    /// The client's name, for the header.
    #[arg(long, default_value = "the client")]
    client: String,
    /// The studio's name, for the header.
    #[arg(long, default_value = "SMP Studio")]
    studio: String,
    /// a4 or letter.
    #[arg(long, default_value = "a4")]
    paper: String,
}

/// A price-list file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    currency: String,
    tax_percent: f64,
    #[serde(default)]
    price: Vec<PriceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceEntry {
    treatment: String,
    basis: String,
    amount: String,
    per_cm2: Option<String>,
    base_cm2: Option<f64>,
}

fn read_prices(path: &Path) -> Result<PriceList> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: PriceFile = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let currency = file.currency.trim().to_uppercase();
    if !(0.0..=100.0).contains(&file.tax_percent) {
        bail!("{}: tax_percent {} is not 0 to 100", path.display(), file.tax_percent);
    }
    let mut prices = std::collections::BTreeMap::new();
    for (i, p) in file.price.iter().enumerate() {
        let at = |what: &str| format!("{}: price {} ({}): {what}", path.display(), i + 1, p.treatment);
        let treatment = Treatment::parse(&p.treatment).with_context(|| at("no such treatment"))?;
        let basis = Basis::parse(&p.basis).with_context(|| at("basis is \"session\" or \"treatment\""))?;
        let amount = parse_money(&p.amount, &currency).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let per_cm2 = match (&p.per_cm2, p.base_cm2) {
            (Some(per), Some(base)) => {
                Some((parse_money(per, &currency).map_err(|e| anyhow::anyhow!(at(&e)))?, base))
            }
            (None, None) => None,
            _ => bail!(at("per_cm2 and base_cm2 go together")),
        };
        prices.insert(treatment, Price { basis, amount, per_cm2 });
    }
    Ok(PriceList { currency, tax_basis_points: (file.tax_percent * 100.0).round() as i64, prices })
}

pub fn report(args: &ReportArgs) -> Result<String> {
    let paper = match args.paper.as_str() {
        "a4" => smp_report::Paper::A4,
        "letter" => smp_report::Paper::Letter,
        other => bail!("{other:?} is not a paper: a4 or letter"),
    };
    if args.out.extension().is_none_or(|e| !e.eq_ignore_ascii_case("pdf")) {
        bail!("{}: the report is a PDF; name it ….pdf", args.out.display());
    }
    smp_render::photo::check_folder(&args.out)?;
    let prices = args.prices.as_deref().map(read_prices).transpose()?;
    let treatment = Treatment::parse(&args.treatment).with_context(|| {
        format!(
            "{:?} is not a treatment: full-head, hairline, crown, scar-camouflage, density, touch-up",
            args.treatment
        )
    })?;
    let head = crate::pose::read_head_design(&args.design)?;
    let names: Vec<Option<String>> = match (&head, args.photo.is_empty()) {
        (Some((design, _)), true) => design.photos.iter().map(|p| Some(p.1.name.clone())).collect(),
        (Some(_), false) => args.photo.iter().cloned().map(Some).collect(),
        (None, _) => vec![None],
    };
    let today = chrono::Local::now().date_naive();
    let mut photos = Vec::new();
    let mut progression = None;
    let mut first_design = None;
    for name in &names {
        let (design, photo_path, on_head) = crate::design_on_photo(&args.design, name.as_deref())?;
        let (photo, pattern) =
            crate::place_on_photo(&design, &photo_path, on_head.as_ref().map(|h| &h.pattern), true);
        let (photo, pattern) = (photo?, pattern.expect("asked for"));
        let hair = crate::hair_mask(&args.design, &design, photo.dimensions())?;
        let mut healed = photo.clone();
        smp_render::render_stage(
            &mut healed,
            &design,
            &pattern,
            &LayeredOptics,
            Stage::HEALED,
            &DEFAULT_GAPS,
            &|_, _| {},
        );
        if let Some(hair) = &hair {
            hair.keep_hair(&photo, &mut healed);
        }
        if progression.is_none() {
            progression = smp_render::timeline::timeline(
                &photo,
                &design,
                &pattern,
                &LayeredOptics,
                &DEFAULT_GAPS,
                hair.as_ref(),
                700,
                &|_, _| {},
            );
        }
        let label = match name {
            Some(name) => format!("The {name} photo"),
            None => "Your photo".to_string(),
        };
        photos.push(smp_report::PhotoPair { label, before: photo, healed });
        first_design.get_or_insert(design);
    }
    let design = first_design.context("the design has no photo")?;
    let protocol = smp_clinic::Protocol::default_protocol();
    let plan = match &head {
        Some((d, fit)) => smp_clinic::plan_on_head(d, fit, today, None, &protocol, &|_| true)?,
        None => smp_clinic::plan(&design, today, None, &protocol)?,
    };
    let report = smp_report::Report {
        paper,
        studio: smp_report::Studio { name: args.studio.clone(), contact: Vec::new() },
        client: args.client.clone(),
        date: today.format("%-d %B %Y").to_string(),
        proposal: proposal(&design, &plan),
        photos,
        progression,
        sections: [
            Some(plan_section(&plan)),
            prices.as_ref().map(|p| quote_section(p, treatment, &plan)).transpose()?,
            Some(forecast_section(&args.design)?),
            Some(aftercare_section(&protocol)),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let pdf = smp_report::pdf(&report)?;
    smp_render::write_atomically(&args.out, |out| {
        std::io::Write::write_all(out, &pdf).map_err(|e| e.to_string())
    })?;
    Ok(format!("report: wrote {} ({} photos)", args.out.display(), report.photos.len()))
}

fn proposal(design: &smp_core::Design, plan: &smp_clinic::Plan) -> smp_report::Section {
    let style =
        design.hairline.as_ref().map(|h| h.style.as_str()).unwrap_or("no hairline (crown or density only)");
    let densities = design.zones.iter().map(|z| z.density_per_cm2);
    let (low, high) = densities.fold((f64::MAX, 0.0f64), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let density = if high - low < 0.5 { format!("{high:.0}") } else { format!("{low:.0} to {high:.0}") };
    smp_report::Section {
        title: "What we propose".into(),
        paragraphs: vec![
            format!(
                "A {style} hairline over {:.0} cm² of scalp, at {density} impressions per cm², in {} sessions of about {:.1} hours in all.",
                plan.total_area_cm2,
                plan.sessions.len(),
                plan.total_hours
            ),
            format!(
                "Each impression about {:.2} mm across, in a shade matched to your hair colour ({}) at a dilution of {:.2}, placed {:.2} mm deep in the upper skin.",
                design.impressions.diameter_mm,
                design.client.hair_color.to_hex(),
                design.pigment.dilution,
                design.pigment.depth_mm
            ),
        ],
        table: None,
    }
}

fn plan_section(plan: &smp_clinic::Plan) -> smp_report::Section {
    let rows = plan
        .sessions
        .iter()
        .map(|s| {
            vec![
                format!("Session {}", s.number),
                s.date.format("%-d %B %Y").to_string(),
                format!("about {:.1} h", s.hours),
                s.focus.clone(),
            ]
        })
        .collect();
    smp_report::Section {
        title: "The plan".into(),
        paragraphs: vec![
            "The dates are the earliest the healing between sessions allows; we agree them with you.".into(),
        ],
        table: Some(smp_report::Table {
            head: vec!["".into(), "From".into(), "Time".into(), "What it does".into()],
            rows,
            amounts: false,
        }),
    }
}

fn quote_section(
    prices: &PriceList,
    treatment: Treatment,
    plan: &smp_clinic::Plan,
) -> Result<smp_report::Section> {
    let sessions = u32::try_from(plan.sessions.len()).unwrap_or(u32::MAX);
    let f = prices.quote(treatment, plan.total_area_cm2, sessions)?;
    let c = prices.currency.as_str();
    Ok(smp_report::Section {
        title: "The price".into(),
        paragraphs: vec![format!(
            "{}: {:.0} cm² of scalp, {sessions} sessions.",
            treatment.label(),
            plan.total_area_cm2
        )],
        table: Some(smp_report::Table {
            head: vec!["".into(), "".into()],
            rows: vec![
                vec!["Before tax".into(), money(f.net, c)],
                vec![format!("Tax ({:.1} %)", prices.tax_basis_points as f64 / 100.0), money(f.tax, c)],
                vec!["Total".into(), money(f.total, c)],
            ],
            amounts: true,
        }),
    })
}

fn forecast_section(design_path: &Path) -> Result<smp_report::Section> {
    // The skin as the (first) photo shows it, as `smp forecast` reads it.
    let (design, skin, skin_lab) = crate::clinic::design_and_skin(design_path)?;
    let forecast =
        smp_optics::forecast::forecast(&LayeredOptics, &skin, skin_lab, &design.client, &design.pigment);
    let when = match forecast.touch_up_due_years {
        Some(y) => format!(
            "By our forecast for your skin and the pigment, a touch-up will be due about {y:.1} years after healing."
        ),
        None => "By our forecast, no touch-up will be due within ten years of healing.".into(),
    };
    Ok(smp_report::Section {
        title: "Over the years".into(),
        paragraphs: vec![when, "Sun, sweat and how the skin heals change this; a short touch-up session brings back the depth and colour.".into()],
        table: None,
    })
}

fn aftercare_section(protocol: &smp_clinic::Protocol) -> smp_report::Section {
    let rows = protocol
        .aftercare
        .care
        .iter()
        .map(|c| {
            let days = match c.to_day {
                Some(to) if to == c.from_day => format!("day {to}"),
                Some(to) => format!("days {}-{to}", c.from_day),
                None => format!("from day {}", c.from_day),
            };
            vec![days, c.text.clone()]
        })
        .collect();
    smp_report::Section {
        title: "Aftercare".into(),
        paragraphs: vec!["Healing and how long the result lasts depend on the care in the first weeks. Your practitioner gives you a link to your day-by-day aftercare after each session.".into()],
        table: Some(smp_report::Table { head: vec!["When".into(), "What to do".into()], rows, amounts: false }),
    }
}
