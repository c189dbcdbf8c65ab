//! Side-by-side benchmark of the engine against its peers, in one run on the
//! same inputs; prints a Markdown table of medians and ratios.
//!
//! Run through `bench/run`, which installs the Python peers first.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use smp_optics::{DotOptics, LayeredOptics};
use smp_pattern::Pattern;

mod faults;
mod load;
mod preview;

const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;
const RUNS: usize = 7;
/// Runs of each whole command: more than the in-process ones, as whole
/// commands on a shared machine vary more.
const WHOLE_RUNS: usize = 9;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

/// A 24-megapixel top view with about 100,000 impressions over a variable
/// density field: two zones of different density, feathered, and a soft hairline.
fn design_text() -> String {
    r##"schema = 1
seed = 1
[photo]
path = "photo.jpg"
view = "top"
scale = { from = [0, 3900], to = [6000, 3900], mm = 400.0 }
[client]
fitzpatrick = 3
hair_color = "#2a221d"
[hairline]
style = "soft"
points = [[400, 900], [1800, 450], [3000, 380], [4200, 450], [5600, 900]]
transition_mm = 8.0
[[zones]]
name = "front"
polygon = [[200, 300], [5800, 300], [5800, 2000], [200, 2000]]
density = 118.0
feather_mm = 5.0
[[zones]]
name = "crown"
polygon = [[200, 2000], [5800, 2000], [5800, 3800], [200, 3800]]
density = 140.0
feather_mm = 8.0
[impressions]
diameter_mm = 0.45
size_variation = 0.15
[pigment]
dilution = 0.6
depth_mm = 0.35
"##
    .to_string()
}

struct Args {
    smp: PathBuf,
    python: PathBuf,
    work: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut smp = None;
    let mut python = None;
    let mut work = None;
    let mut it = std::env::args().skip(1).filter(|a| a != "--whole-only");
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--smp" => smp = Some(PathBuf::from(value)),
            "--python" => python = Some(PathBuf::from(value)),
            "--work" => work = Some(PathBuf::from(value)),
            other => bail!("unknown flag {other}; expected --smp, --python, --work"),
        }
    }
    Ok(Args {
        smp: smp.context("--smp PATH is required")?,
        python: python.context("--python PATH is required")?,
        work: work.context("--work DIR is required")?,
    })
}

/// Runs a command, returning its wall time and peak resident memory (bytes).
fn run_measured(cmd: &mut Command) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let child = cmd.stdout(std::process::Stdio::null()).spawn().context("cannot start the command")?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child we just spawned; `status` and `usage` outlive the call.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    if pid < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed (status {status})");
    }
    Ok((elapsed, usage.ru_maxrss as u64 * 1024))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {} threads", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

/// Median times of compositing the design's dots onto `photo`, and of one
/// read-and-write pass over the same buffer (the memory-bandwidth floor),
/// interleaved run by run.
fn measure_raster(
    design: &smp_core::Design,
    photo: &image::RgbImage,
    dots: &[smp_render::Dot],
) -> (Duration, Duration) {
    let appearance = LayeredOptics.healed_dot(&smp_render::client_skin(photo, design), &design.pigment);
    let mut raster = Vec::new();
    let mut floor = Vec::new();
    let mut buffer = photo.clone();
    for _ in 0..RUNS {
        buffer.copy_from_slice(photo);
        raster.push(
            time(|| {
                smp_render::composite(
                    &mut buffer,
                    dots,
                    appearance.absorbance,
                    appearance.edge_softness,
                    &|_, _| {},
                )
            })
            .0,
        );
        // The memory-bandwidth floor: read and write every byte once, on the
        // same threads and in the same strips as the renderer. The loop
        // vectorises (a `black_box` per byte would make it a scalar loop,
        // measuring the CPU instead of the memory); the box on each strip
        // keeps the writes from being optimised away.
        floor.push(
            time(|| {
                buffer.par_chunks_mut(WIDTH as usize * 3 * 32).for_each(|strip| {
                    for v in strip.iter_mut() {
                        *v = v.wrapping_add(1);
                    }
                    black_box(strip);
                })
            })
            .0,
        );
    }
    (median(raster), median(floor))
}

/// Medians of whole `smp render` runs, interleaved: healed, `--stage
/// before` (decode and re-encode), `--stage session-2` and `--stage before`
/// of the healed result; and the healed render's peak memory.
struct Whole {
    full: Duration,
    plain: Duration,
    staged: Duration,
    /// `--stage before` of the healed render itself.
    rich: Duration,
    peak: u64,
}

fn measure_whole(smp: &Path, design_path: &Path, work: &Path) -> Result<Whole> {
    // The photo is made by a child process: a process started from this one
    // inherits its peak resident size (Linux keeps it across exec), so this
    // one must never hold a 24-megapixel buffer before the renders run.
    let status = Command::new(std::env::current_exe()?)
        .arg("--write-photo")
        .arg(work.join("photo.jpg"))
        .status()
        .context("cannot start the bench to write the photo")?;
    if !status.success() {
        bail!("writing the bench photo failed ({status})");
    }
    // The healed render as a photo in its own right: re-encoding it shows
    // what encoding an image with 100,000 dots in it costs by itself.
    let rich_design = work.join("rendered.toml");
    std::fs::write(&rich_design, design_text().replace("photo.jpg", "out.jpg"))?;
    let mut full = Vec::new();
    let mut plain = Vec::new();
    let mut staged = Vec::new();
    let mut rich = Vec::new();
    let mut peak = 0;
    let render_of = |design: &Path, out: &str, stage: &str| {
        run_measured(
            Command::new(smp)
                .arg("render")
                .arg(design)
                .arg("--out")
                .arg(work.join(out))
                .args(["--stage", stage]),
        )
    };
    let render = |out: &str, stage: &str| render_of(design_path, out, stage);
    for _ in 0..WHOLE_RUNS {
        staged.push(render("stage.jpg", "session-2")?.0);
        let (t, mem) = render("out.jpg", "healed")?;
        full.push(t);
        peak = peak.max(mem);
        plain.push(render("plain.jpg", "before")?.0);
        rich.push(render_of(&rich_design, "rich.jpg", "before")?.0);
    }
    Ok(Whole { full: median(full), plain: median(plain), staged: median(staged), rich: median(rich), peak })
}

const USAGE: &str = "\
usage: smp-bench --smp PATH --python PATH --work DIR [--whole-only]
       smp-bench --raster-only | --pattern-only | --stages-only | --preview-only
       | --head-preview-only
       smp-bench --load-only [--smp PATH]

The full run prints the Markdown table bench/run puts into the README; PATH
of --python needs numpy, scipy and opencv-python-headless. The single-row
modes are quick looks while working on one part (SMP_BENCH_STAGES picks the
stages of --stages-only, default healed,session-2,years:5). --load-only
prints the load run's table (bench/load puts it into the README): 50 staff
at once on SQLite, then on PostgreSQL at BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test, in a schema of its own); with
--smp, the fault run too (smp serve killed mid-save, smp backup mid-copy;
with BENCH_PG_RESTART, a command that restarts PostgreSQL, that restart
under load last).";

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    if let Some(path) = std::env::args().skip_while(|a| a != "--write-photo").nth(1) {
        // The whole-command runs' input, made in its own process.
        let photo = smp_render::synthetic::scalp_photo(WIDTH, HEIGHT, [196, 150, 124], 7);
        smp_render::save_image(&photo, Path::new(&path)).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(());
    }
    if std::env::args().any(|a| a == "--raster-only") {
        // A quick look at the compositor while working on it.
        let design = smp_core::parse(&design_text()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let pattern = Pattern::generate(&design);
        let photo = smp_render::synthetic::scalp_photo(WIDTH, HEIGHT, [196, 150, 124], 7);
        let dots = smp_render::dots(&design, &pattern);
        let (raster, floor) = measure_raster(&design, &photo, &dots);
        println!(
            "rasterise {} dots: {:.1} ms; bandwidth floor {:.1} ms; {:.2}x",
            dots.len(),
            raster.as_secs_f64() * 1e3,
            floor.as_secs_f64() * 1e3,
            raster.as_secs_f64() / floor.as_secs_f64()
        );
        return Ok(());
    }
    if std::env::args().any(|a| a == "--pattern-only") {
        // A quick look at the sampler while working on it.
        let design = smp_core::parse(&design_text()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let runs: Vec<Duration> =
            (0..RUNS).map(|_| time(|| black_box(Pattern::generate(&design))).0).collect();
        println!("pattern: {:.1} ms", median(runs).as_secs_f64() * 1e3);
        return Ok(());
    }
    if std::env::args().any(|a| a == "--stages-only") {
        // A quick look at the compositor's cost per stage, in process.
        let design = smp_core::parse(&design_text()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let pattern = Pattern::generate(&design);
        let photo = smp_render::synthetic::scalp_photo(WIDTH, HEIGHT, [196, 150, 124], 7);
        let stages = std::env::var("SMP_BENCH_STAGES").unwrap_or_else(|_| "healed,session-2,years:5".into());
        for stage in stages.split(',') {
            let stage: smp_optics::ageing::Stage = stage.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let mut buffer = photo.clone();
            let mut plans = Vec::new();
            let mut composites = Vec::new();
            for _ in 0..RUNS {
                buffer.copy_from_slice(&photo);
                let (t, plan) = time(|| {
                    smp_render::StagePlan::new(
                        &design,
                        &pattern,
                        &LayeredOptics,
                        &smp_render::client_skin(&photo, &design),
                        stage,
                        &smp_render::DEFAULT_GAPS,
                    )
                });
                plans.push(t);
                composites
                    .push(time(|| smp_render::composite_layers(&mut buffer, &plan.layers(), &|_, _| {})).0);
            }
            println!(
                "{stage:?}: plan {:.1} ms, composite {:.1} ms",
                median(plans).as_secs_f64() * 1e3,
                median(composites).as_secs_f64() * 1e3
            );
        }
        return Ok(());
    }
    if std::env::args().any(|a| a == "--load-only") {
        // The load run, on SQLite and on PostgreSQL: its own table.
        print_load_table()?;
        return Ok(());
    }
    if std::env::args().any(|a| a == "--head-preview-only") {
        let (median, impressions) = preview::measure_head(15)?;
        println!(
            "head editor preview: median {:.0} ms over 15 requests, {impressions} impressions on the head",
            median.as_secs_f64() * 1e3
        );
        return Ok(());
    }
    if std::env::args().any(|a| a == "--preview-only") {
        // A quick look at one row while working on the editor.
        let p = preview::measure(15)?;
        println!(
            "preview: median {:.0} ms over {} requests, {} impressions; after a stage move {:.0} ms",
            p.median.as_secs_f64() * 1e3,
            p.runs,
            p.impressions,
            p.stage_median.as_secs_f64() * 1e3
        );
        return Ok(());
    }
    let args = parse_args()?;
    std::fs::create_dir_all(&args.work)?;
    if std::env::args().any(|a| a == "--whole-only") {
        // A quick look at the whole command while working on it.
        let work = args.work.canonicalize()?;
        let design_path = work.join("design.toml");
        std::fs::write(&design_path, design_text())?;
        let w = measure_whole(&args.smp, &design_path, &work)?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "healed {:.0} ms, before {:.0} ms ({:.2}x), re-encoding the render {:.0} ms ({:.2}x), session-2 {:.0} ms ({:.2}x of healed), peak {} MB",
            ms(w.full),
            ms(w.plain),
            w.full.as_secs_f64() / w.plain.as_secs_f64(),
            ms(w.rich),
            w.full.as_secs_f64() / w.rich.as_secs_f64(),
            ms(w.staged),
            w.staged.as_secs_f64() / w.full.as_secs_f64(),
            w.peak / (1 << 20)
        );
        return Ok(());
    }
    let work = args.work.canonicalize()?;
    let design_path = work.join("design.toml");
    std::fs::write(&design_path, design_text())?;
    let design = smp_core::parse(&design_text()).map_err(|e| anyhow::anyhow!("{e}"))?;

    // -- whole command: first, while this process is still small ------------
    let Whole { full: full_s, plain: plain_s, staged: staged_s, rich: rich_s, peak } =
        measure_whole(&args.smp, &design_path, &work)?;

    // -- pattern ------------------------------------------------------------
    let pattern = Pattern::generate(&design);
    let count = pattern.impressions.len();
    // fast_poisson draws uniform samples; pick its radius for the same count.
    let side = 1000.0f64;
    let radius = (side * side * smp_pattern::sampler::PACKING / count as f64).sqrt();
    let mut ours = Vec::new();
    let mut peer = Vec::new();
    let mut peer_count = 0;
    for _ in 0..RUNS {
        ours.push(time(|| black_box(Pattern::generate(&design))).0);
        let (t, n) = time(|| {
            fast_poisson::Poisson2D::new().with_dimensions([side, side], radius).with_seed(3).iter().count()
        });
        peer.push(t);
        peer_count = n;
    }
    let (pattern_s, fast_poisson_s) = (median(ours), median(peer));

    // -- rasterising --------------------------------------------------------
    let photo = smp_render::synthetic::scalp_photo(WIDTH, HEIGHT, [196, 150, 124], 7);
    let dots = smp_render::dots(&design, &pattern);
    let (raster_s, floor_s) = measure_raster(&design, &photo, &dots);

    // Circles for OpenCV: the same centres and radii in pixels.
    let circles = work.join("circles.csv");
    let mut csv = String::from("x,y,r\n");
    for d in &dots {
        csv.push_str(&format!("{},{},{}\n", d.x, d.y, d.radius));
    }
    std::fs::write(&circles, csv)?;

    // -- Python peers -------------------------------------------------------
    let out = Command::new(&args.python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("peers.py"))
        .args([count.to_string(), circles.display().to_string(), WIDTH.to_string(), HEIGHT.to_string()])
        .output()
        .context("cannot run the Python peers")?;
    if !out.status.success() {
        bail!("Python peers failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let field = |key: &str| -> Result<f64> {
        let start = text.find(&format!("\"{key}\": ")).with_context(|| format!("{key} missing in {text}"))?
            + key.len()
            + 4;
        let end = text[start..].find([',', '}']).unwrap_or(text.len() - start) + start;
        Ok(text[start..end].trim().parse()?)
    };
    let scipy_s = field("scipy_poisson_s")?;
    let scipy_n = field("scipy_points")?;
    let cv_s = field("cv2_circles_s")?;

    let previews = preview::measure(15)?;
    let (head_preview, head_impressions) = preview::measure_head(15)?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "Machine: {}. Medians of {RUNS} runs ({WHOLE_RUNS} for whole commands, 3 for SciPy).",
        machine()
    );
    println!();
    println!("| measurement | SMP Studio | peer | ratio (ours / peer) | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| pattern, {count} impressions, variable density, 3 sessions | {:.0} ms | fast_poisson {peer_count} uniform: {:.0} ms | {:.2}x | <= 1.0x |",
        ms(pattern_s),
        ms(fast_poisson_s),
        ms(pattern_s) / ms(fast_poisson_s)
    );
    println!(
        "| pattern, same count | {:.0} ms | SciPy qmc.PoissonDisk {scipy_n:.0} points: {:.0} ms | {:.3}x | report |",
        ms(pattern_s),
        scipy_s * 1000.0,
        ms(pattern_s) / (scipy_s * 1000.0)
    );
    println!(
        "| rasterise {} dots on 24 MP (soft irregular edges, Beer-Lambert, linear light) | {:.0} ms | OpenCV cv2.circle LINE_AA, same circles: {:.0} ms | {:.2}x | < 1.0x |",
        dots.len(),
        ms(raster_s),
        cv_s * 1000.0,
        ms(raster_s) / (cv_s * 1000.0)
    );
    println!(
        "| rasterise, against one read+write pass over the 24 MP buffer | {:.0} ms | bandwidth floor: {:.0} ms | {:.2}x | <= 3x |",
        ms(raster_s),
        ms(floor_s),
        ms(raster_s) / ms(floor_s)
    );
    println!(
        "| whole `smp render` of the 24 MP JPEG to JPEG | {:.0} ms | `--stage before` (decode + re-encode): {:.0} ms | {:.2}x | <= 1.25x |",
        ms(full_s),
        ms(plain_s),
        ms(full_s) / ms(plain_s)
    );
    println!(
        "| the same render, against decoding and re-encoding its own result (a photo as full of detail as the output) | {:.0} ms | `--stage before` of the rendered JPEG: {:.0} ms | {:.2}x | report |",
        ms(full_s),
        ms(rich_s),
        ms(full_s) / ms(rich_s)
    );
    println!(
        "| `smp render --stage session-2` (fresh work, redness layer) | {:.0} ms | the healed render: {:.0} ms | {:.2}x | <= 1.10x |",
        ms(staged_s),
        ms(full_s),
        ms(staged_s) / ms(full_s)
    );
    println!("| peak memory of that render | {:.0} MB | | | <= 300 MB |", peak as f64 / 1e6);
    println!(
        "| design editor preview: request after a change to the last JPEG byte, 12 MP photo, {} impressions (median of {}) | {:.0} ms | | | <= 300 ms |",
        previews.impressions,
        previews.runs,
        ms(previews.median)
    );
    println!(
        "| design editor preview after a move of the stage slider (the pattern is kept; median of {}) | {:.0} ms | | | <= 300 ms |",
        previews.runs,
        ms(previews.stage_median)
    );
    println!(
        "| head editor preview on the front photo of a design drawn on the top one (two 12 MP photos, pose fit, {head_impressions} impressions on the head; median of 15) | {:.0} ms | | | <= 300 ms |",
        ms(head_preview)
    );
    Ok(())
}

/// A PostgreSQL URL whose connections use a new schema of their own, and
/// the statement that drops it afterwards; `None` when no server answers.
fn postgres_for_load() -> Result<Option<(String, String)>> {
    let url = bench_database_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let Ok(admin) = sqlx::AnyPool::connect(&url).await else { return Ok(None) };
        let schema = format!("bench_load_{}", std::process::id());
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&admin).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await?;
        let separator = if url.contains('?') { '&' } else { '?' };
        Ok(Some((format!("{url}{separator}options=-c%20search_path%3D{schema}"), schema)))
    })
}

/// The PostgreSQL server of the load run.
fn bench_database_url() -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Drops the load run's schema.
fn drop_schema(schema: &str) -> Result<()> {
    let url = bench_database_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let admin = sqlx::AnyPool::connect(&url).await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&admin).await?;
        anyhow::Ok(())
    })
}

/// The load run's table: per database, errors, previews per second, and
/// p50 / p99 per route against the goal (pages p99 <= 300 ms).
fn print_load_table() -> Result<()> {
    let mut reports = vec![load::run("SQLite", None)?];
    let postgres = postgres_for_load()?;
    match &postgres {
        Some((url, _)) => reports.push(load::run("PostgreSQL", Some(url))?),
        None => eprintln!("PostgreSQL did not answer: its load run is left out"),
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "Machine: {}. {} staff at once for 20 s, each on one kept-alive connection (search, chart, intake, design save, preview, photo upload).",
        machine(),
        load::STAFF
    );
    println!();
    println!("| database | route | requests | p50 | p99 | goal |");
    println!("|---|---|---|---|---|---|");
    for report in &reports {
        for (route, (count, p50, p99)) in &report.routes {
            let goal = match *route {
                "search" | "chart" => "p99 <= 300 ms",
                _ => "report",
            };
            println!(
                "| {} | {route} | {count} | {:.0} ms | {:.0} ms | {goal} |",
                report.backend,
                ms(*p50),
                ms(*p99)
            );
        }
        println!("| {} | errors | {} | | | 0 |", report.backend, report.errors);
        println!(
            "| {} | previews per second | {:.1} | | | report |",
            report.backend, report.previews_per_second
        );
    }
    for report in &reports {
        for sample in &report.error_samples {
            eprintln!("{}: {sample}", report.backend);
        }
    }
    let smp = std::env::args().skip_while(|a| a != "--smp").nth(1);
    if let Some(smp) = smp {
        let f = faults::run(Path::new(&smp))?;
        println!();
        println!("| fault run (SQLite) | result | goal |");
        println!("|---|---|---|");
        println!(
            "| `smp serve` killed (SIGKILL) {} times amid intakes, consent signings and photo uploads of 6 staff | {} saves acknowledged, {} lost | 0 lost |",
            f.rounds, f.acknowledged, f.lost
        );
        println!(
            "| photos on record whose files are missing or cut short after the kills | {} | 0 |",
            f.broken_photos
        );
        println!(
            "| database after the kills | integrity check {} | ok |",
            if f.database_sound { "ok" } else { "FAILED" }
        );
        println!(
            "| `smp backup` killed mid-copy {} times | {} left a folder that looked finished but was not | 0 |",
            f.backups_killed, f.backups_half_done
        );
        // Last: restarting the server ends every other connection to it.
        if let (Some((url, _)), Ok(restart)) = (&postgres, std::env::var("BENCH_PG_RESTART")) {
            let r = faults::restart_postgres(Path::new(&smp), url, &restart)?;
            let back = r.back_after.map_or("never".to_string(), |d| format!("{:.1} s", d.as_secs_f64()));
            println!();
            println!("| fault run (PostgreSQL) | result | goal |");
            println!("|---|---|---|");
            println!(
                "| PostgreSQL restarted ({:.1} s) under {} staff reading charts | answered again {back} after the database was back, without a restart of `smp serve` | within seconds |",
                r.restart.as_secs_f64(),
                r.readers
            );
            println!(
                "| requests while it was away | {} answered with an error page, {} without an answer in {} s; {} answered well in all | none unanswered |",
                r.failed,
                r.hung,
                faults::ANSWER_WITHIN.as_secs(),
                r.answered
            );
        }
    }
    if let Some((_, schema)) = &postgres {
        drop_schema(schema)?;
    }
    Ok(())
}
