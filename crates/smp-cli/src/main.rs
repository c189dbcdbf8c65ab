//! `smp`: the SMP Studio command line.

mod backup;
mod clinic;
mod hair;
mod head_render;
mod pose;
mod report;
mod serve;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use smp_core::{Design, EXAMPLE_DESIGN};
use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
use smp_pattern::Pattern;
use smp_render::hair_mask::HairMask;
use smp_render::photo::save_image_processing;
use smp_render::{
    Compositor, DEFAULT_GAPS, PhotoError, StagePlan, check_folder, check_output, downscale, load_photo,
    save_image, write_atomically,
};

#[derive(Parser)]
#[command(
    name = "smp",
    version,
    about = "SMP Studio: scalp micropigmentation design, simulation and records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum HairAction {
    /// Proposes a hair mask for a photo: where the client's longer hair
    /// lies over the scalp (white) and where the scalp shows (black), to
    /// correct and name in the design as `[photo] hair_mask`.
    Mask {
        /// The design file.
        design: PathBuf,
        /// The photo of a design on the head (schema 2): its name.
        #[arg(long)]
        photo: Option<String>,
        /// The mask to write (PNG).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a design on its photo and write the result.
    Render(RenderArgs),
    /// Work with design files.
    Design {
        #[command(subcommand)]
        command: DesignCommand,
    },
    /// A labelled contact sheet of the work area at each stage: before, the
    /// three sessions, healed, 1, 3 and 5 years.
    Timeline {
        /// The design file.
        design: PathBuf,
        /// Output image: .png or .jpg.
        #[arg(long, short)]
        out: PathBuf,
        /// Width of each panel, in pixels.
        #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u32).range(64..=4000))]
        panel_width: u32,
        /// For a design on the head (schema 2): the photo, by its name
        /// (default: the first).
        #[arg(long)]
        photo: Option<String>,
    },
    /// The healed colour of one dot on the client's skin against their hair
    /// colour, the dilution that matches best, and warnings.
    Pigment {
        /// The design file.
        design: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// How the work's contrast fades over ten years, and when the touch-up is due.
    Forecast {
        /// The design file.
        design: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The client's own stubble in the design's hair sample (`[client]
    /// hair_sample`): density, size, regularity and colour, and the design
    /// that would continue it. `smp hair mask` proposes where longer hair
    /// lies over the scalp.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Hair {
        #[command(subcommand)]
        action: Option<HairAction>,
        /// The design file.
        #[arg(required = true)]
        design: Option<PathBuf>,
        /// The photo of a design on the head (schema 2) the sample is on.
        #[arg(long)]
        photo: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Where each photo of a design on the head (schema 2) was taken from,
    /// fitted to the points tapped on it, and how well they agree.
    Pose {
        /// The design file (schema 2).
        design: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The consultation report as a PDF: the simulation on the photos, the
    /// progression, the plan, the price, the forecast and the aftercare.
    Report(report::ReportArgs),
    /// Run the studio web app.
    Serve(serve::ServeArgs),
    /// Copy the embedded database and the photos into a new folder, while
    /// the app may keep running; `smp serve --data FOLDER` runs on a copy.
    Backup(backup::BackupArgs),
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the studios of a chain.
    Studio {
        #[command(subcommand)]
        command: StudioCommand,
    },
    /// Screen a client's intake answers against the rule set.
    Screen(clinic::ScreenArgs),
    /// Plan the sessions of a design.
    Plan(clinic::PlanArgs),
    /// Aftercare after a session: day by day, with a calendar file and a printable page.
    Aftercare(clinic::AftercareArgs),
    /// Write a sample scalp photo, a design for it and its render into DIR.
    Demo {
        /// Folder to write into (created if missing).
        dir: PathBuf,
        /// Replace files a previous demo left there.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account (to the first studio).
    Add(serve::UserAddArgs),
}

#[derive(Subcommand)]
enum StudioCommand {
    /// Add a studio with its first admin, who gets a one-time password.
    Add(serve::StudioAddArgs),
}

#[derive(Subcommand)]
enum DesignCommand {
    /// Print a commented example design.
    Example {
        /// Which schema: 1 (on one photo, the default) or 2 (on the head
        /// model, seen on several photos).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
        schema: u32,
    },
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The design file (TOML, schema 1).
    design: PathBuf,
    /// Output image: .png or .jpg.
    #[arg(long, short)]
    out: PathBuf,
    /// Also write every impression as CSV (x_px,y_px,diameter_mm,zone,session,...).
    #[arg(long, value_name = "CSV")]
    impressions: Option<PathBuf>,
    /// Also write a copy WIDTH pixels wide, next to the output as NAME.preview.EXT.
    #[arg(long, value_name = "WIDTH", value_parser = clap::value_parser!(u32).range(16..=20000))]
    preview: Option<u32>,
    /// What to show: before, session-1, session-2, session-3 (fresh, on the
    /// day), day:N (N days after the last session), healed (day:30) or
    /// years:Y (Y years after the last session).
    #[arg(long, default_value = "healed", value_parser = parse_stage)]
    stage: Stage,
    /// For a design on the head (schema 2): the photo to render on, by its
    /// name (default: the first).
    #[arg(long)]
    photo: Option<String>,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    s.parse().map_err(|e: smp_optics::ageing::StageError| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(&args).map(|summary| println!("{summary}")),
        Command::Design { command: DesignCommand::Example { schema } } => {
            match schema {
                2 => print!("{}", smp_core::head_design::EXAMPLE_HEAD_DESIGN),
                _ => print!("{EXAMPLE_DESIGN}"),
            }
            Ok(())
        }
        Command::Demo { dir, force } => demo(&dir, force),
        Command::Timeline { design, photo, out, panel_width } => {
            timeline(&design, photo.as_deref(), &out, panel_width)
                .map(|()| println!("timeline: wrote {}", out.display()))
        }
        Command::Pigment { design, json } => clinic::pigment(&design, json).map(|out| println!("{out}")),
        Command::Forecast { design, json } => clinic::forecast(&design, json).map(|out| println!("{out}")),
        Command::Hair { action: Some(HairAction::Mask { design, photo, out }), .. } => {
            hair::mask(&design, photo.as_deref(), &out).map(|said| println!("{said}"))
        }
        Command::Hair { action: None, design, photo, json } => {
            let design = design.expect("clap requires it without a subcommand");
            hair::hair(&design, photo.as_deref(), json).map(|out| println!("{out}"))
        }
        Command::Pose { design, json } => pose::pose(&design, json).map(|out| println!("{out}")),
        Command::Report(args) => report::report(&args).map(|out| println!("{out}")),
        Command::Serve(args) => serve::serve(&args),
        Command::Backup(args) => backup::backup(&args).map(|out| println!("{out}")),
        Command::User { command: UserCommand::Add(args) } => {
            serve::user_add(&args).map(|out| println!("{out}"))
        }
        Command::Studio { command: StudioCommand::Add(args) } => {
            serve::studio_add(&args).map(|out| println!("{out}"))
        }
        Command::Screen(args) => clinic::screen(&args).map(|out| println!("{out}")),
        Command::Plan(args) => clinic::plan(&args).map(|out| println!("{out}")),
        Command::Aftercare(args) => clinic::aftercare(&args).map(|out| println!("{out}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A design as one of its photos sees it, with the photo's path: a schema 1
/// design as it is; a design on the head (schema 2) from the photo named
/// (the first when none is), with its impressions there.
fn design_on_photo(
    path: &Path,
    photo: Option<&str>,
) -> Result<(Design, PathBuf, Option<head_render::OnPhoto>)> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read the design {}", path.display()))?;
    if smp_core::head_design::schema_of(&text) == Some(smp_core::head_design::HEAD_SCHEMA_VERSION) {
        let seen = head_render::on_photo(path, photo)?;
        return Ok((seen.design.clone(), seen.photo.clone(), Some(seen)));
    }
    if photo.is_some() {
        bail!("{}: --photo names a photo of a design on the head model (schema 2)", path.display());
    }
    let design = read_design(path)?;
    let photo_path = photo_path(path, &design);
    Ok((design, photo_path, None))
}

/// Reads and validates a design file.
fn read_design(path: &Path) -> Result<Design> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read the design {}", path.display()))?;
    if smp_core::head_design::schema_of(&text) == Some(smp_core::head_design::HEAD_SCHEMA_VERSION) {
        bail!(
            "{}: a design on the head model (schema 2): this command takes designs on one photo (schema 1)",
            path.display()
        );
    }
    smp_core::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The design's photo: its path is relative to the design file's folder.
fn photo_path(design_path: &Path, design: &Design) -> PathBuf {
    design_path.parent().unwrap_or(Path::new("")).join(&design.photo.path)
}

/// The design's hair mask, when it names one, read for a photo of `size`:
/// where the client's hair lies over the scalp, kept in front of the work.
fn hair_mask(design_path: &Path, design: &Design, size: (u32, u32)) -> Result<Option<HairMask>> {
    let Some(mask) = &design.photo.hair_mask else { return Ok(None) };
    let path = design_path.parent().unwrap_or(Path::new("")).join(mask);
    HairMask::load(&path, size)
        .map(Some)
        .with_context(|| format!("{}: photo.hair_mask", design_path.display()))
}

/// `NAME.preview.EXT` beside `out`.
fn preview_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let ext = out.extension().unwrap_or_default().to_string_lossy();
    out.with_file_name(format!("{stem}.preview.{ext}"))
}

fn progress_bar(len: u64) -> ProgressBar {
    // indicatif draws to stderr only when it is a terminal.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<22} [{bar:30}] {percent:>3}% {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn render(args: &RenderArgs) -> Result<String> {
    check_output(&args.out)?;
    if let Some(csv) = &args.impressions {
        check_folder(csv)?;
    }
    let (design, photo_path, head) = design_on_photo(&args.design, args.photo.as_deref())?;

    let bar = progress_bar(100);
    bar.set_message("reading, placing");
    let needs_pattern = args.stage != Stage::Before || args.impressions.is_some();
    let (photo, pattern) =
        place_on_photo(&design, &photo_path, head.as_ref().map(|h| &h.pattern), needs_pattern);
    let mut photo = photo?;
    bar.set_position(30);

    let mut summary = String::new();
    let mut plan = None;
    if let Some(pattern) = pattern {
        let (w, h) = (photo.width() as f64, photo.height() as f64);
        let on_photo = pattern
            .impressions
            .iter()
            .filter(|i| i.x_px >= 0.0 && i.y_px >= 0.0 && i.x_px < w && i.y_px < h)
            .count();
        if on_photo == 0 {
            bail!(
                "{}: no impression falls on the photo ({} x {} px): check the zones' coordinates and photo.scale",
                args.design.display(),
                w,
                h
            );
        }
        if let Some(csv) = &args.impressions {
            write_impressions_csv(csv, &pattern, head.as_ref().map(|h| h.on_head.as_slice()))?;
        }
        let counts = pattern.session_counts();
        summary = format!(
            "{} impressions ({}){}",
            pattern.impressions.len(),
            counts
                .iter()
                .enumerate()
                .map(|(i, n)| format!("session {}: {n}", i + 1))
                .collect::<Vec<_>>()
                .join(", "),
            if on_photo < pattern.impressions.len() {
                format!(", {} of them outside the photo", pattern.impressions.len() - on_photo)
            } else {
                String::new()
            }
        );
        if args.stage != Stage::Before {
            let skin = smp_render::client_skin(&photo, &design);
            plan = Some(StagePlan::new(&design, &pattern, &LayeredOptics, &skin, args.stage, &DEFAULT_GAPS));
        }
    }
    if let Some(plan) = &plan {
        bar.set_message("rendering, writing");
        let layers = plan.layers();
        let compositor = Compositor::new(&layers, photo.width() as usize, photo.height() as usize);
        let hair = hair_mask(&args.design, &design, photo.dimensions())?;
        let done = AtomicUsize::new(0);
        // Compositing overlaps the encoding of the strips already done.
        save_image_processing(&mut photo, &args.out, Compositor::STRIP_ROWS, &|strip, pixels| {
            match &hair {
                // The client's hair back in front of the work.
                Some(hair) => {
                    let before = pixels.to_vec();
                    compositor.apply(strip, pixels);
                    hair.keep_hair_rows(strip * Compositor::STRIP_ROWS, &before, pixels);
                }
                None => {
                    compositor.apply(strip, pixels);
                }
            }
            let done = done.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_position(30 + (60 * done / compositor.strips().max(1)) as u64);
        })?;
    } else {
        bar.set_message("writing");
        save_image(&photo, &args.out)?;
    }
    if let Some(width) = args.preview {
        save_image(&downscale(&photo, width), &preview_path(&args.out))?;
    }
    bar.finish_and_clear();
    let stage = args.stage.to_string();
    let mut said = if summary.is_empty() {
        format!("{stage}: wrote {}", args.out.display())
    } else {
        format!("{stage}: {summary}; wrote {}", args.out.display())
    };
    for warning in head.iter().flat_map(|h| &h.warnings) {
        said.push_str(&format!("\nwarning: {warning}"));
    }
    Ok(said)
}

/// Decodes the photo and, when `needs_pattern`, places the impressions
/// (those of a design on the head are given). The two overlap unless the
/// edges continue the client's stubble, which is read off the photo.
fn place_on_photo(
    design: &Design,
    photo_path: &Path,
    on_head: Option<&Pattern>,
    needs_pattern: bool,
) -> (Result<smp_render::RgbImage, PhotoError>, Option<Pattern>) {
    if let Some(pattern) = on_head {
        return (load_photo(photo_path), needs_pattern.then(|| pattern.clone()));
    }
    if design.client.hair_sample.is_some() {
        let photo = load_photo(photo_path);
        let pattern = match (&photo, needs_pattern) {
            (Ok(photo), true) => Some(smp_render::place(photo, design)),
            _ => None,
        };
        return (photo, pattern);
    }
    rayon::join(|| load_photo(photo_path), || needs_pattern.then(|| Pattern::generate(design)))
}

fn timeline(design_path: &Path, photo_name: Option<&str>, out: &Path, panel_width: u32) -> Result<()> {
    let (design, photo_path, head) = design_on_photo(design_path, photo_name)?;
    check_output(out)?;
    let bar = progress_bar(smp_render::timeline::STAGES.len() as u64 + 1);
    bar.set_message("reading, placing");
    let (photo, pattern) = place_on_photo(&design, &photo_path, head.as_ref().map(|h| &h.pattern), true);
    let (photo, pattern) = (photo?, pattern.expect("asked for"));
    let hair = hair_mask(design_path, &design, photo.dimensions())?;
    bar.set_position(1);
    bar.set_message("rendering the stages");
    let sheet = smp_render::timeline::timeline(
        &photo,
        &design,
        &pattern,
        &LayeredOptics,
        &DEFAULT_GAPS,
        hair.as_ref(),
        panel_width,
        &|done, _| bar.set_position(1 + done as u64),
    )
    .with_context(|| format!("{}: the zones lie outside the photo", design_path.display()))?;
    save_image(&sheet, out)?;
    bar.finish_and_clear();
    Ok(())
}

/// RFC 4180 quoting for a field that may hold commas or quotes.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// The impressions as CSV: `x_px,y_px,diameter_mm,zone,session`, and for a
/// design on the head `id,x_mm,y_mm,z_mm` after them (the impression's id,
/// the same on every photo, and its place on the head, head frame).
fn write_impressions_csv(
    path: &Path,
    pattern: &Pattern,
    on_head: Option<&[(usize, glam::DVec3)]>,
) -> Result<(), PhotoError> {
    write_atomically(path, |out| {
        let mut write = || -> std::io::Result<()> {
            let head_columns = if on_head.is_some() { ",id,x_mm,y_mm,z_mm" } else { "" };
            // A design with strokes adds their shape, direction and length
            // (a design of dots keeps the file it always had).
            let strokes = pattern.impressions.iter().any(|i| i.stroke.is_some());
            let stroke_columns = if strokes { ",shape,angle_deg,length_mm" } else { "" };
            writeln!(out, "x_px,y_px,diameter_mm,zone,session{head_columns}{stroke_columns}")?;
            for (k, i) in pattern.impressions.iter().enumerate() {
                write!(
                    out,
                    "{:.2},{:.2},{:.3},{},{}",
                    i.x_px,
                    i.y_px,
                    i.diameter_mm,
                    csv_field(&pattern.zone_names[i.zone as usize]),
                    i.session
                )?;
                if let Some((id, at)) = on_head.and_then(|all| all.get(k)) {
                    write!(out, ",{id},{:.2},{:.2},{:.2}", at.x, at.y, at.z)?;
                }
                match (strokes, i.stroke) {
                    (false, _) => writeln!(out)?,
                    (true, None) => writeln!(out, ",dot,,")?,
                    (true, Some(s)) => {
                        writeln!(out, ",stroke,{:.1},{:.3}", s.angle.to_degrees(), s.length_mm)?
                    }
                }
            }
            Ok(())
        };
        write().map_err(|e| e.to_string())
    })
}

fn demo(dir: &Path, force: bool) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files =
        ["scalp.png", "design.toml", "render.jpg", "render.preview.jpg", "impressions.csv", "timeline.jpg"];
    if !force {
        let existing: Vec<&str> = files.iter().copied().filter(|f| dir.join(f).exists()).collect();
        if !existing.is_empty() {
            bail!("{} already holds {}; pass --force to replace them", dir.display(), existing.join(", "));
        }
    }
    let bar = progress_bar(100);
    bar.set_message("making a scalp photo");
    let photo = smp_render::synthetic::scalp_photo(3200, 2800, [196, 150, 124], 2024);
    save_image(&photo, &dir.join("scalp.png"))?;
    write_atomically(&dir.join("design.toml"), |out| {
        out.write_all(EXAMPLE_DESIGN.as_bytes()).map_err(|e| e.to_string())
    })?;
    bar.finish_and_clear();
    let args = RenderArgs {
        design: dir.join("design.toml"),
        out: dir.join("render.jpg"),
        impressions: Some(dir.join("impressions.csv")),
        preview: Some(1600),
        stage: Stage::HEALED,
        photo: None,
    };
    let summary = render(&args)?;
    println!("{summary}");
    timeline(&args.design, None, &dir.join("timeline.jpg"), 480)?;
    println!("Demo written to {}:", dir.display());
    for f in files {
        println!("  {}", dir.join(f).display());
    }
    Ok(())
}
