//! `smp report`: the consultation report as a PDF from a design file: the
//! simulation on its photos, the progression strip, the plan, the quote
//! from a price-list file, the touch-up forecast, the aftercare and what to
//! do before a session.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use smp_clinic::pricing::{Basis, Price, PriceList, Treatment, parse_money};
use smp_optics::LayeredOptics;
use smp_render::DEFAULT_GAPS;
use smp_report::sections;

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
    /// The studio's logo (PNG, JPEG or WebP), at the header's right.
    #[arg(long, value_name = "FILE")]
    logo: Option<PathBuf>,
    /// The client's intake (as `smp screen` reads it): the report lists
    /// the instructions its screening gives for the days before a session
    /// (never the answers or findings); without it, those for every client.
    #[arg(long, value_name = "FILE")]
    intake: Option<PathBuf>,
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
    let logo = match &args.logo {
        Some(path) => Some(
            image::open(path)
                .with_context(|| {
                    format!("{}: not an image the report can use (PNG, JPEG, WebP)", path.display())
                })?
                .to_rgba8(),
        ),
        None => None,
    };
    let rules = smp_clinic::RuleSet::default_rules();
    let pre_session = match &args.intake {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let intake =
                smp_clinic::intake::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            smp_clinic::screen(&intake, &rules).pre_session
        }
        None => rules.pre_session.clone(),
    };
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
        let healed = smp_render::healed_on(&photo, &design, &pattern, hair.as_ref());
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
    let (_, skin, skin_lab) = crate::clinic::design_and_skin(&args.design)?;
    let forecast =
        smp_optics::forecast::forecast(&LayeredOptics, &skin, skin_lab, &design.client, &design.pigment);
    let price = match &prices {
        Some(list) => {
            let sessions = u32::try_from(plan.sessions.len()).unwrap_or(u32::MAX);
            let figures = list.quote(treatment, plan.total_area_cm2, sessions)?;
            let what = format!(
                "{}: {:.0} cm² of scalp, {sessions} sessions.",
                treatment.label(),
                plan.total_area_cm2
            );
            Some(sections::price(&what, &figures, list.tax_basis_points, &list.currency, None))
        }
        None => None,
    };
    let report = smp_report::Report {
        paper,
        studio: smp_report::Studio { name: args.studio.clone(), contact: Vec::new(), logo },
        client: args.client.clone(),
        date: today.format("%-d %B %Y").to_string(),
        proposal: sections::proposal(&design, &plan),
        photos,
        progression,
        sections: sections::AfterPictures {
            plan: &plan,
            booked: &[],
            price,
            fading: &forecast,
            protocol: &protocol,
            before_sessions: sections::before_session(&pre_session),
            consents: None,
        }
        .sections(),
    };
    let pdf = smp_report::pdf(&report)?;
    smp_render::write_atomically(&args.out, |out| {
        std::io::Write::write_all(out, &pdf).map_err(|e| e.to_string())
    })?;
    Ok(format!("report: wrote {} ({} photos)", args.out.display(), report.photos.len()))
}
