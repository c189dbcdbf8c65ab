//! `smp screen`, `smp plan` and `smp aftercare`: the clinical workflow.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use smp_clinic::aftercare::FollowUp;
use smp_clinic::{Protocol, RuleSet};
use smp_render::write_atomically;

#[derive(clap::Args)]
pub struct ScreenArgs {
    /// The intake answers (TOML).
    intake: PathBuf,
    /// The clinic's own rule set instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    /// The design file.
    design: PathBuf,
    /// Day of the first session (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    start: NaiveDate,
    /// Number of sessions (default: the design's own split).
    #[arg(long, value_name = "N")]
    sessions: Option<usize>,
    /// The clinic's own protocol instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    protocol: Option<PathBuf>,
    /// The client's intake: screened (built-in rules), and the plan refused
    /// when the screening does not allow its dates (as the app refuses it).
    #[arg(long, value_name = "FILE")]
    intake: Option<PathBuf>,
    /// Go ahead despite the screening, for this reason (printed with the plan).
    #[arg(long = "override", value_name = "REASON", requires = "intake")]
    override_reason: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct AftercareArgs {
    /// Day of the session (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    session_date: NaiveDate,
    /// Day of the next session, for a reminder.
    #[arg(long, value_name = "DATE")]
    next_session: Option<NaiveDate>,
    /// Day the touch-up is forecast, for a reminder.
    #[arg(long, value_name = "DATE")]
    touch_up: Option<NaiveDate>,
    /// Also write the calendar (RFC 5545) here.
    #[arg(long, value_name = "FILE")]
    ics: Option<PathBuf>,
    /// Also write the printable page here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The clinic's own protocol instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    protocol: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn read(path: &Path, what: &str) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn load_protocol(path: Option<&Path>) -> Result<Protocol> {
    match path {
        None => Ok(Protocol::default_protocol()),
        Some(p) => {
            Protocol::parse(&read(p, "protocol")?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        }
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

pub fn screen(args: &ScreenArgs) -> Result<String> {
    let rules = match &args.rules {
        None => RuleSet::default_rules(),
        Some(p) => {
            RuleSet::parse(&read(p, "rule set")?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
    };
    let intake = smp_clinic::intake::parse(&read(&args.intake, "intake")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.intake.display()))?;
    let result = smp_clinic::screen(&intake, &rules);
    if args.json {
        return Ok(json(&result));
    }
    let mut out = String::new();
    let _ = write!(out, "Outcome: {}", result.outcome.as_str().to_uppercase());
    if let Some(d) = result.earliest_date {
        let _ = write!(out, " (not before {d})");
    }
    let _ = writeln!(out, "   [rules {}]", result.rules_version);
    for f in &result.findings {
        let _ = writeln!(out, "  {:<9}  {}: {}", f.outcome.as_str(), f.rule, f.because);
        let _ = writeln!(out, "  {:<9}  source: {}", "", f.source);
    }
    let _ = writeln!(out, "Before each session:");
    for p in &result.pre_session {
        let _ = writeln!(out, "  - {p}");
    }
    Ok(out.trim_end().to_string())
}

/// The screening's gate on a plan (`smp_clinic::gate`, as in the app): an
/// error with the refusal, or the refusal that `reason` overrides.
fn gate_plan(intake: &Path, plan: &smp_clinic::Plan, reason: Option<&str>) -> Result<Option<String>> {
    let answers = smp_clinic::intake::parse(&read(intake, "intake")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", intake.display()))?;
    let screening = smp_clinic::screen(&answers, &RuleSet::default_rules());
    let standing = smp_clinic::gate::Standing {
        screening: Some(smp_clinic::gate::LatestScreening {
            outcome: screening.outcome,
            earliest_date: screening.earliest_date,
            screened_on: answers.consultation_date,
        }),
        consent_in_force: false,
    };
    let dates: Vec<NaiveDate> = plan.sessions.iter().map(|s| s.date).collect();
    let today = answers.consultation_date;
    let step = smp_clinic::gate::Step::Plan;
    match smp_clinic::gate::check(
        &standing,
        step,
        &dates,
        today,
        smp_clinic::gate::DEFAULT_SCREENING_VALID_DAYS,
    ) {
        Ok(()) => Ok(None),
        Err(refusal) => match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(_) => Ok(Some(refusal.0)),
            None => anyhow::bail!("{}: {refusal} (--override REASON goes ahead anyway)", intake.display()),
        },
    }
}

pub fn plan(args: &PlanArgs) -> Result<String> {
    let protocol = load_protocol(args.protocol.as_deref())?;
    let plan = match crate::pose::read_head_design(&args.design)? {
        // A design on the head: areas and counts on the scalp's surface.
        Some((design, fit)) => {
            smp_clinic::plan_on_head(&design, &fit, args.start, args.sessions, &protocol, &|_| true)?
        }
        None => smp_clinic::plan(&crate::read_design(&args.design)?, args.start, args.sessions, &protocol)?,
    };
    let overridden = match &args.intake {
        None => None,
        Some(path) => gate_plan(path, &plan, args.override_reason.as_deref())?,
    };
    if args.json {
        return Ok(json(&plan));
    }
    let mut out = String::new();
    for s in &plan.sessions {
        let _ = writeln!(
            out,
            "Session {}  {}  {:>6} impressions  dilution {:.2}  about {:.1} h\n  {}",
            s.number,
            s.date.format("%a %Y-%m-%d"),
            s.impressions,
            s.dilution,
            s.hours,
            s.focus
        );
    }
    if let Some(refusal) = overridden {
        let _ = writeln!(
            out,
            "Despite the screening ({refusal}): {}",
            args.override_reason.as_deref().unwrap_or("")
        );
    }
    let zones: Vec<String> = plan.area_cm2.iter().map(|(z, a)| format!("{z} {a:.1} cm2")).collect();
    let _ = write!(
        out,
        "Area: {} (total {:.1} cm2); about {:.1} h in all",
        zones.join(", "),
        plan.total_area_cm2,
        plan.total_hours
    );
    Ok(out)
}

pub fn aftercare(args: &AftercareArgs) -> Result<String> {
    let protocol = load_protocol(args.protocol.as_deref())?;
    for path in [&args.ics, &args.html].into_iter().flatten() {
        smp_render::check_folder(path)?;
    }
    let care = smp_clinic::aftercare(
        args.session_date,
        &protocol,
        FollowUp { next_session: args.next_session, touch_up: args.touch_up },
    );
    if let Some(path) = &args.ics {
        let ics = care.to_ics(chrono::DateTime::from(std::time::SystemTime::now()));
        write_atomically(path, |out| out.write_all(ics.as_bytes()).map_err(|e| e.to_string()))?;
    }
    if let Some(path) = &args.html {
        let html = care.to_html();
        write_atomically(path, |out| out.write_all(html.as_bytes()).map_err(|e| e.to_string()))?;
    }
    if args.json {
        return Ok(json(&care));
    }
    let mut out = String::new();
    let _ = writeln!(out, "Aftercare after the session on {}:", care.session_date);
    for r in &care.restrictions {
        let _ = writeln!(out, "  until {}  {}", r.until, r.avoid);
    }
    for p in care.phases() {
        if p.first_day == p.last_day {
            let _ = writeln!(out, "Day {} ({}):", p.first_day, p.first_date);
        } else {
            let _ =
                writeln!(out, "Days {}-{} ({} to {}):", p.first_day, p.last_day, p.first_date, p.last_date);
        }
        for a in &p.avoid {
            let _ = writeln!(out, "  avoid: {a}");
        }
        for d in &p.to_do {
            let _ = writeln!(out, "  do:    {d}");
        }
    }
    for r in &care.reminders {
        let _ = writeln!(out, "Reminder {}: {}", r.date, r.text);
    }
    Ok(out.trim_end().to_string())
}

/// The design, its client's skin, and the skin tone measured on its photo.
pub(crate) fn design_and_skin(
    path: &Path,
) -> Result<(smp_core::Design, smp_optics::Skin, smp_optics::colour::Lab)> {
    // A design on the head: as its first photo sees it.
    let (design, photo_path, _) = crate::design_on_photo(path, None)?;
    let photo = smp_render::load_photo(&photo_path)?;
    let skin_lab = smp_render::skin_tone(&photo, &design).with_context(|| {
        let area =
            if design.client.skin_region.is_some() { "client.skin_region holds" } else { "the zones hold" };
        format!("{}: {area} no pixel of the photo", path.display())
    })?;
    let skin = smp_optics::Skin::of_client(design.client.fitzpatrick, skin_lab);
    Ok((design, skin, skin_lab))
}

pub fn pigment(path: &Path, as_json: bool) -> Result<String> {
    let (design, skin, skin_lab) = design_and_skin(path)?;
    let report = smp_optics::forecast::pigment_report(
        &smp_optics::LayeredOptics,
        &skin,
        skin_lab,
        &design.client,
        &design.pigment,
    );
    if as_json {
        return Ok(json(&report));
    }
    let lab = |l: smp_optics::colour::Lab| format!("L* {:.1} a* {:.1} b* {:.1}", l.l, l.a, l.b);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Skin (median of the {}): {}; ITA {:.0} degrees, which suggests type {} ({})",
        if design.client.skin_region.is_some() { "skin region" } else { "zones" },
        lab(report.skin_lab),
        report.skin_ita,
        report.estimated_fitzpatrick,
        match design.client.fitzpatrick {
            Some(t) => format!("the design says {}, which the model uses", t.get()),
            None => "the design names no type: the model uses the photo's".to_string(),
        }
    );
    let _ = writeln!(
        out,
        "Healed dot at dilution {:.2}, depth {:.2} mm: {} ({})",
        design.pigment.dilution,
        design.pigment.depth_mm,
        report.healed_hex,
        lab(report.healed_lab)
    );
    let _ = writeln!(
        out,
        "Hair colour {}: CIEDE2000 {:.1} from the dot",
        design.client.hair_color.to_hex(),
        report.delta_e00
    );
    let _ = writeln!(out, "Recommended dilution: {:.2}", report.recommended_dilution);
    if let Some(cast) = report.depth_cast {
        let _ = writeln!(
            out,
            "Depth cast: CIEDE2000 {:.1} from a dot as dark at {} mm (b* {:+.1})",
            cast.delta_e00,
            smp_optics::forecast::REFERENCE_DEPTH_MM,
            cast.delta_b
        );
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    Ok(out.trim_end().to_string())
}

pub fn forecast(path: &Path, as_json: bool) -> Result<String> {
    let (design, skin, skin_lab) = design_and_skin(path)?;
    let f = smp_optics::forecast::forecast(
        &smp_optics::LayeredOptics,
        &skin,
        skin_lab,
        &design.client,
        &design.pigment,
    );
    if as_json {
        return Ok(json(&f));
    }
    let mut out = String::new();
    match f.touch_up_due_years {
        Some(y) => {
            let _ = writeln!(
                out,
                "Touch-up due about {y:.1} years after healing (contrast below {:.0}% of the healed).",
                f.threshold_share * 100.0
            );
        }
        None => {
            let _ = writeln!(out, "No touch-up due within 10 years.");
        }
    }
    for p in f.curve.iter().filter(|p| p.years.fract() == 0.0) {
        let bar = "#".repeat((p.share * 40.0).round() as usize);
        let _ =
            writeln!(out, "  year {:>2}  {:>5.1}  {:>4.0}%  {bar}", p.years, p.delta_e00, p.share * 100.0);
    }
    for e in &f.factors {
        let moved = e.moves_years.map_or("-".to_string(), |m| format!("{m:+.1} years"));
        let _ = writeln!(out, "  {} = {} (rate x{:.2}): {moved}", e.factor, e.value, e.rate);
    }
    Ok(out.trim_end().to_string())
}
