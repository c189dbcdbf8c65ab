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

pub fn plan(args: &PlanArgs) -> Result<String> {
    let protocol = load_protocol(args.protocol.as_deref())?;
    let design = crate::read_design(&args.design)?;
    let plan = smp_clinic::plan(&design, args.start, args.sessions, &protocol)?;
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
