//! Rendering tests against golden images, with a tolerance and a diff image
//! on failure. Regenerate the references with `SMP_BLESS=1 cargo test -p smp-render`.

use std::path::PathBuf;

use image::{Rgb, RgbImage};
use smp_optics::LayeredOptics;
use smp_pattern::Pattern;

fn design(style: &str) -> smp_core::Design {
    let text = format!(
        r##"schema = 1
seed = 9
[photo]
path = "scalp.png"
view = "top"
scale = {{ from = [0, 0], to = [400, 0], mm = 50.0 }}
[client]
fitzpatrick = 3
hair_color = "#2a221d"
[hairline]
style = "{style}"
points = [[40, 130], [160, 80], [280, 130]]
transition_mm = 5.0
[[zones]]
name = "top"
polygon = [[30, 60], [290, 60], [290, 300], [30, 300]]
density = 60.0
feather_mm = 3.0
[impressions]
diameter_mm = 0.5
size_variation = 0.15
[pigment]
dilution = 0.6
depth_mm = 0.35
"##
    );
    smp_core::parse(&text).unwrap()
}

fn render(style: &str) -> RgbImage {
    let d = design(style);
    let mut photo = smp_render::synthetic::scalp_photo(320, 320, [196, 150, 124], 4);
    smp_render::render_healed(&mut photo, &d, &Pattern::generate(&d), &LayeredOptics, &|_, _| {});
    photo
}

/// Compares with the reference: at most 0.1% of pixels may differ by more
/// than 3 levels in a channel (encoders and float rounding), none by more than 40.
fn check_golden(name: &str, actual: &RgbImage) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let path = dir.join(format!("{name}.png"));
    if std::env::var_os("SMP_BLESS").is_some() {
        actual.save(&path).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with SMP_BLESS=1 to create it", path.display()))
        .to_rgb8();
    assert_eq!(expected.dimensions(), actual.dimensions(), "{name}: size");
    let (w, h) = actual.dimensions();
    let mut diff = RgbImage::new(w, h);
    let (mut off, mut worst) = (0usize, 0u8);
    for (x, y, a) in actual.enumerate_pixels() {
        let e = expected.get_pixel(x, y);
        let d = (0..3).map(|c| a[c].abs_diff(e[c])).max().unwrap();
        worst = worst.max(d);
        if d > 3 {
            off += 1;
        }
        diff.put_pixel(x, y, Rgb([d.saturating_mul(8), 0, 0]));
    }
    if off * 1000 > (w * h) as usize || worst > 40 {
        // Three panels: expected, actual, difference (amplified).
        let failures = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("golden-failures");
        std::fs::create_dir_all(&failures).unwrap();
        let mut panel = RgbImage::new(w * 3, h);
        image::imageops::replace(&mut panel, &expected, 0, 0);
        image::imageops::replace(&mut panel, actual, w as i64, 0);
        image::imageops::replace(&mut panel, &diff, 2 * w as i64, 0);
        let out = failures.join(format!("{name}.diff.png"));
        panel.save(&out).unwrap();
        panic!("{name}: {off} pixels differ by more than 3 (worst {worst}); see {}", out.display());
    }
}

#[test]
fn golden_strokes_along_the_growth() {
    // The soft hairline's design in strokes 1.6 mm long, the hair growing
    // forward and out from the crown.
    let mut d = design("soft");
    for zone in &mut d.zones {
        zone.shape = smp_core::design_file::ImpressionShape::Stroke;
    }
    d.impressions.stroke_length_mm = 1.6;
    d.impressions.stroke_width_mm = 0.22;
    d.growth = vec![
        (smp_core::Point::new(160.0, 260.0), smp_core::Point::new(160.0, 200.0)),
        (smp_core::Point::new(60.0, 200.0), smp_core::Point::new(30.0, 150.0)),
        (smp_core::Point::new(260.0, 200.0), smp_core::Point::new(290.0, 150.0)),
    ];
    let mut photo = smp_render::synthetic::scalp_photo(320, 320, [196, 150, 124], 4);
    smp_render::render_healed(&mut photo, &d, &Pattern::generate(&d), &LayeredOptics, &|_, _| {});
    check_golden("strokes", &photo);
}

#[test]
fn golden_soft_hairline() {
    check_golden("soft_hairline", &render("soft"));
}

#[test]
fn golden_defined_hairline() {
    check_golden("defined_hairline", &render("defined"));
}

#[test]
fn the_photo_survives_outside_the_dots() {
    let d = design("soft");
    let original = smp_render::synthetic::scalp_photo(320, 320, [196, 150, 124], 4);
    let mut photo = original.clone();
    let pattern = Pattern::generate(&d);
    let stats = smp_render::render_healed(&mut photo, &d, &pattern, &LayeredOptics, &|_, _| {});
    assert_eq!(stats.dots_drawn, pattern.impressions.len());
    let reach_px = |diameter_mm: f64| diameter_mm / 2.0 * 8.0 * smp_render::raster::REACH as f64 + 1.0;
    let mut changed = 0;
    for (x, y, p) in photo.enumerate_pixels() {
        if p != original.get_pixel(x, y) {
            changed += 1;
            let near = pattern
                .impressions
                .iter()
                .any(|i| (i.x_px - x as f64 - 0.5).hypot(i.y_px - y as f64 - 0.5) <= reach_px(i.diameter_mm));
            assert!(near, "pixel ({x}, {y}) changed far from every dot");
        }
    }
    assert!(changed > 0 && changed <= stats.pixels_touched);
    // Dots darken: the mean over the zone is lower than before.
    let mean = |img: &RgbImage| {
        img.enumerate_pixels()
            .filter(|(x, y, _)| (60..260).contains(x) && (150..280).contains(y))
            .map(|(_, _, p)| p[1] as f64)
            .sum::<f64>()
    };
    assert!(mean(&photo) < 0.97 * mean(&original));
}

#[test]
fn rendering_is_the_same_on_any_number_of_threads() {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| render("broken"));
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| render("broken"));
    assert!(one == three);
}

fn render_at(stage: &str) -> RgbImage {
    let d = design("soft");
    let mut photo = smp_render::synthetic::scalp_photo(320, 320, [196, 150, 124], 4);
    let stage = stage.parse().unwrap();
    smp_render::render_stage(
        &mut photo,
        &d,
        &Pattern::generate(&d),
        &LayeredOptics,
        stage,
        &smp_render::DEFAULT_GAPS,
        &|_, _| {},
    );
    photo
}

/// Mean of a channel over the treated area.
fn zone_mean(img: &RgbImage, c: usize) -> f64 {
    let px: Vec<f64> = img
        .enumerate_pixels()
        .filter(|(x, y, _)| (60..260).contains(x) && (150..280).contains(y))
        .map(|(_, _, p)| p[c] as f64)
        .collect();
    px.iter().sum::<f64>() / px.len() as f64
}

#[test]
fn golden_session_one_fresh() {
    check_golden("session_1", &render_at("session-1"));
}

#[test]
fn stages_progress_as_practitioners_describe() {
    let before = render_at("before");
    let original = smp_render::synthetic::scalp_photo(320, 320, [196, 150, 124], 4);
    assert!(before == original, "before changes nothing");
    let g = |s: &str| zone_mean(&render_at(s), 1);
    // Session 2 adds impressions on top of session 1's. (On the day of
    // session 3 the area reads lighter than on the day of session 2: session
    // 2's fresh dots have healed by then, and session 3 adds only 15%.)
    assert!(g("session-1") > g("session-2"));
    // Fresh work is darker than the same work healed.
    assert!(g("session-3") < g("healed"));
    // Healing lightens the fresh work; the years fade it further.
    assert!(g("day:1") < g("day:10") && g("day:10") < g("healed"));
    assert!(g("healed") < g("years:1") && g("years:1") < g("years:5") && g("years:5") < g("years:10"));
    // Fresh work is red around: green falls more than red against the healed state.
    let fresh = render_at("day:0");
    let healed = render_at("healed");
    let red_shift = |img: &RgbImage| zone_mean(img, 0) - zone_mean(img, 1);
    assert!(red_shift(&fresh) > red_shift(&healed) + 1.0);
}

#[test]
fn compositing_while_encoding_writes_what_compositing_first_would() {
    let d = design("broken");
    let pattern = Pattern::generate(&d);
    let stage = "session-2".parse().unwrap();
    // An odd height: the last strip is short.
    let original = smp_render::synthetic::scalp_photo(320, 301, [196, 150, 124], 4);
    let skin = smp_render::client_skin(&original, &d);
    let plan =
        smp_render::StagePlan::new(&d, &pattern, &LayeredOptics, &skin, stage, &smp_render::DEFAULT_GAPS);
    let layers = plan.layers();
    let compositor = smp_render::Compositor::new(&layers, 320, 301);
    let dir = tempfile::tempdir().unwrap();
    for name in ["streamed.jpg", "streamed.png"] {
        let mut photo = original.clone();
        let out = dir.path().join(name);
        smp_render::photo::save_image_processing(
            &mut photo,
            &out,
            smp_render::Compositor::STRIP_ROWS,
            &|i, s| {
                compositor.apply(i, s);
            },
        )
        .unwrap();
        let mut first = original.clone();
        smp_render::composite_layers(&mut first, &layers, &|_, _| {});
        assert!(photo == first, "{name}: the image in memory is composited too");
        let reference = dir.path().join(format!("reference-{name}"));
        smp_render::save_image(&first, &reference).unwrap();
        assert!(std::fs::read(&out).unwrap() == std::fs::read(&reference).unwrap(), "{name}: same bytes");
        assert_ne!(first, original, "the dots show");
    }
}

#[test]
fn encoding_from_every_worker_of_the_pool_at_once_does_not_wait_forever() {
    use rayon::prelude::*;
    // Each worker blocks on its own encoder: the strips must not need a free
    // worker to be made.
    let photo = smp_render::synthetic::scalp_photo(200, 150, [196, 150, 124], 4);
    let dir = tempfile::tempdir().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let path = dir.path().to_owned();
    std::thread::spawn(move || {
        let jobs = 4 * rayon::current_num_threads();
        let ok = (0..jobs)
            .into_par_iter()
            .map(|i| smp_render::save_image(&photo, &path.join(format!("{i}.jpg"))).is_ok())
            .all(|ok| ok);
        let _ = done.send(ok);
    });
    let ok = finished.recv_timeout(std::time::Duration::from_secs(60)).expect("encoding finished in time");
    assert!(ok);
}

#[test]
fn the_skin_is_read_where_the_design_says() {
    // Stubble over the zone (dark), bare skin beside it.
    let photo =
        RgbImage::from_fn(400, 400, |x, _| if x < 300 { Rgb([70, 55, 45]) } else { Rgb([200, 160, 135]) });
    let over_zones = smp_render::skin_tone(&photo, &design("soft")).unwrap();
    let expected_dark = smp_optics::colour::srgb8_to_lab([70, 55, 45]);
    assert!((over_zones.l - expected_dark.l).abs() < 0.01, "{over_zones:?}");

    let mut named = design("soft");
    let triangle = |points: [(f64, f64); 3]| {
        smp_core::Polygon::new(points.iter().map(|&(x, y)| smp_core::Point::new(x, y)).collect()).unwrap()
    };
    named.client.skin_region = Some(triangle([(320.0, 50.0), (390.0, 50.0), (390.0, 350.0)]));
    let in_region = smp_render::skin_tone(&photo, &named).unwrap();
    let expected_bare = smp_optics::colour::srgb8_to_lab([200, 160, 135]);
    assert!((in_region.l - expected_bare.l).abs() < 0.01 && (in_region.b - expected_bare.b).abs() < 0.01);

    // A region off the photo has no skin to read.
    named.client.skin_region = Some(triangle([(500.0, 0.0), (600.0, 0.0), (600.0, 90.0)]));
    assert_eq!(smp_render::skin_tone(&photo, &named), None);
}

/// The stubble measurement against photos of known stubble: density,
/// diameter and colour over the range a studio meets, at phone scales.
/// Prints the table the README shows (`cargo test -p smp-render stubble -- --nocapture`).
#[test]
fn stubble_is_measured_within_its_stated_accuracy() {
    use smp_core::{Point, Polygon};
    use smp_render::stubble::measure;
    let mut rows = Vec::new();
    let (mut worst_density, mut worst_diameter, mut worst_colour) = (0.0f64, 0.0f64, 0.0f64);
    let mut seed = 1;
    for mm_per_px in [0.05, 0.1, 0.15] {
        for (density, diameter) in [(20.0, 0.3), (45.0, 0.2), (45.0, 0.5), (70.0, 0.35)] {
            seed += 1;
            let side = (30.0 / mm_per_px) as u32;
            let (photo, truth) = smp_render::synthetic::stubble_photo(
                side,
                mm_per_px,
                density,
                diameter,
                [196, 150, 124],
                [42, 34, 29],
                seed,
            );
            let (lo, hi) = (3.0 / mm_per_px, side as f64 - 3.0 / mm_per_px);
            let sample = Polygon::new(vec![
                Point::new(lo, lo),
                Point::new(hi, lo),
                Point::new(hi, hi),
                Point::new(lo, hi),
            ])
            .unwrap();
            let inside: Vec<[f64; 2]> =
                truth.centres.iter().copied().filter(|c| sample.contains(Point::new(c[0], c[1]))).collect();
            let area_cm2 = (hi - lo).powi(2) * mm_per_px * mm_per_px / 100.0;
            let true_density = inside.len() as f64 / area_cm2;
            // The colour the photo shows at the true centres.
            let mut labs: Vec<smp_optics::colour::Lab> = inside
                .iter()
                .map(|c| smp_optics::colour::srgb8_to_lab(photo.get_pixel(c[0] as u32, c[1] as u32).0))
                .collect();
            let median = |f: fn(&smp_optics::colour::Lab) -> f64, labs: &mut Vec<smp_optics::colour::Lab>| {
                labs.sort_by(|a, b| f(a).total_cmp(&f(b)));
                f(&labs[labs.len() / 2])
            };
            let true_lab = smp_optics::colour::Lab {
                l: median(|c| c.l, &mut labs),
                a: median(|c| c.a, &mut labs),
                b: median(|c| c.b, &mut labs),
            };
            let m = measure(&photo, &sample, mm_per_px).unwrap();
            let density_error = m.density_per_cm2 / true_density - 1.0;
            let diameter_error = m.diameter_mm / truth.diameter_mm - 1.0;
            let colour_error = smp_optics::colour::ciede2000(m.color_lab, true_lab);
            worst_density = worst_density.max(density_error.abs());
            worst_diameter = worst_diameter.max(diameter_error.abs());
            worst_colour = worst_colour.max(colour_error);
            rows.push(format!(
                "| {mm_per_px:.2} | {true_density:.0} | {:.2} | {:+.1} % | {:+.1} % | {colour_error:.1} |",
                truth.diameter_mm,
                100.0 * density_error,
                100.0 * diameter_error
            ));
        }
    }
    println!(
        "| mm per px | hairs per cm2 | diameter mm | density error | diameter error | colour CIEDE2000 |"
    );
    println!("|---|---|---|---|---|---|");
    for row in &rows {
        println!("{row}");
    }
    assert!(worst_density <= 0.10, "density off by {:.1} %:\n{}", 100.0 * worst_density, rows.join("\n"));
    assert!(worst_diameter <= 0.25, "diameter off by {:.1} %:\n{}", 100.0 * worst_diameter, rows.join("\n"));
    assert!(worst_colour <= 6.0, "colour off by {worst_colour:.1}:\n{}", rows.join("\n"));
}

#[test]
fn bare_skin_measures_no_stubble() {
    use smp_core::{Point, Polygon};
    let (photo, _) =
        smp_render::synthetic::stubble_photo(400, 0.1, 0.001, 0.3, [196, 150, 124], [42, 34, 29], 4);
    let sample = Polygon::new(vec![
        Point::new(20.0, 20.0),
        Point::new(380.0, 20.0),
        Point::new(380.0, 380.0),
        Point::new(20.0, 380.0),
    ])
    .unwrap();
    let err = smp_render::stubble::measure(&photo, &sample, 0.1).unwrap_err();
    assert!(matches!(err, smp_render::stubble::StubbleError::TooFewHairs(n) if n < 8), "{err}");
}

/// The design of `head` (its photo, client and zones) with dots of 0.3 mm
/// at the usual pigment.
fn with_dots_of_0_3_mm(head: &str) -> smp_core::Design {
    let text = format!(
        "{head}[impressions]\ndiameter_mm = 0.3\nsize_variation = 0.15\n[pigment]\ndilution = 0.6\ndepth_mm = 0.35\n"
    );
    smp_core::parse(&text).unwrap()
}

/// A zone on bare skin whose left edge meets the client's stubble and
/// whose right edge meets bare skin: 600 x 600 pixels at 0.15 mm per pixel,
/// the stubble (40 per cm2) left of x = 200, the zone from 200 to 500.
fn zone_beside_stubble(hair_sample: bool) -> (RgbImage, smp_core::Design) {
    let args = |density| (600, 0.15, density, 0.3, [196, 150, 124], [42, 34, 29], 11);
    let (a, b, c, d, e, f, g) = args(40.0);
    let (stubble, _) = smp_render::synthetic::stubble_photo(a, b, c, d, e, f, g);
    let (a, b, c, d, e, f, g) = args(0.001);
    // The same skin (grain and light follow the seed), without hairs.
    let (mut photo, _) = smp_render::synthetic::stubble_photo(a, b, c, d, e, f, g);
    for (x, y, px) in photo.enumerate_pixels_mut() {
        if x < 200 {
            *px = *stubble.get_pixel(x, y);
        }
    }
    let sample =
        if hair_sample { "hair_sample = [[20, 100], [180, 100], [180, 500], [20, 500]]" } else { "" };
    let text = format!(
        r##"schema = 1
seed = 5
[photo]
path = "scalp.png"
view = "top"
scale = {{ from = [0, 0], to = [100, 0], mm = 15.0 }}
[client]
fitzpatrick = 3
hair_color = "#2a221d"
{sample}
[[zones]]
name = "crown"
polygon = [[200, 40], [500, 40], [500, 560], [200, 560]]
density = 40.0
feather_mm = 6.0
"##
    );
    (photo, with_dots_of_0_3_mm(&text))
}

/// Impressions per cm2 within 4 mm inside the zone's edge at x = `edge`
/// (pixels), on the inner 60 mm of its height.
fn edge_density(pattern: &Pattern, edge: f64) -> f64 {
    let band_px = 4.0 / 0.15;
    let inside =
        |x: f64| if edge < 300.0 { x >= edge && x < edge + band_px } else { x <= edge && x > edge - band_px };
    let count =
        pattern.impressions.iter().filter(|i| inside(i.x_px) && (100.0..500.0).contains(&i.y_px)).count();
    count as f64 / (4.0 * 60.0 / 100.0)
}

#[test]
fn a_zones_edge_continues_the_clients_stubble_where_it_meets_it_and_fades_where_it_meets_bare_skin() {
    let (photo, design) = zone_beside_stubble(true);
    let blended = smp_render::place(&photo, &design);
    let (left, right) = (edge_density(&blended, 200.0), edge_density(&blended, 500.0));
    if std::env::var_os("SMP_KEEP_RENDERS").is_some() {
        let mut shown = photo.clone();
        smp_render::render_healed(&mut shown, &design, &blended, &LayeredOptics, &|_, _| {});
        shown.save(std::env::temp_dir().join("edge-blend.png")).unwrap();
        eprintln!("blended: {left:.1} per cm2 by the stubble, {right:.1} by bare skin");
    }
    // The stubble's own density, not a fade to nothing.
    assert!((left / 40.0 - 1.0).abs() < 0.2, "{left:.1} per cm2 by the stubble");
    // Beside bare skin: the feather's fade (about 30 % on average here).
    assert!(right < 0.5 * 40.0, "{right:.1} per cm2 by bare skin");

    // Without a hair sample the edges fade alike, and the pattern is the
    // design's own.
    let (photo, design) = zone_beside_stubble(false);
    let plain = smp_render::place(&photo, &design);
    assert_eq!(plain, Pattern::generate(&design));
    let left = edge_density(&plain, 200.0);
    assert!(left < 0.5 * 40.0, "{left:.1} per cm2 by the stubble, unblended");
}

/// A design on the head model (schema 2) of sparse, large dots over the
/// top of the head, drawn on a top view, and the known cameras of a top
/// and a front view.
fn sparse_design_on_a_head() -> (smp_core::head_design::HeadDesign, smp_core::pose::PoseFit) {
    use smp_core::pose::{Camera, FittedPhoto, PoseFit, initial_rotation};
    let top = Camera { rotation: initial_rotation(smp_core::View::Top), scale: 4.0, offset: [500.0, 500.0] };
    let front =
        Camera { rotation: initial_rotation(smp_core::View::Front), scale: 12.0, offset: [950.0, 1350.0] };
    let text = smp_core::head_design::EXAMPLE_HEAD_DESIGN
        .replace(
            "polygon = [[900, 700], [3100, 700], [3300, 2600], [700, 2600]]",
            "polygon = [[260, 160], [740, 160], [740, 780], [260, 780]]",
        )
        .replace("density = 60.0 ", "density = 6.0 ")
        .replace("feather_mm = 4.0", "feather_mm = 0.0")
        .replace("diameter_mm = 0.45", "diameter_mm = 1.2")
        .replace("size_variation = 0.15", "size_variation = 0.0");
    let mut design = smp_core::head_design::parse_head_design(&text).unwrap();
    design.file.hairline = None;
    let photo = |name: &str, camera| FittedPhoto {
        name: name.into(),
        camera,
        rms_mm: 0.0,
        worst: None,
        hidden: vec![],
    };
    (design, PoseFit { photos: vec![photo("top", top), photo("front", front)], tie_points: vec![] })
}

#[test]
fn on_a_rendered_head_each_dot_shows_foreshortened_as_the_skin_turns_from_the_camera() {
    let (design, fit) = sparse_design_on_a_head();
    let front = fit.photos[1].camera;
    let pattern = smp_pattern::head::generate(&design, &fit).unwrap();
    let view = smp_pattern::head::view(&design, &pattern, &front, "front").unwrap();
    let before = smp_render::synthetic::head_photo(1900, 1000, &design.head, &front, [196, 150, 124], 3);
    let mut after = before.clone();
    smp_render::render_healed(&mut after, &view.design, &view.pattern, &LayeredOptics, &|_, _| {});
    if std::env::var_os("SMP_KEEP_RENDERS").is_some() {
        after.save(std::env::temp_dir().join("head-front.png")).unwrap();
    }
    let darkness = |x: u32, y: u32| {
        let (b, a) = (before.get_pixel(x, y).0, after.get_pixel(x, y).0);
        (0..3).map(|c| b[c] as f64 - a[c] as f64).sum::<f64>().max(0.0)
    };
    let radius = 0.6 * front.scale;
    let mut checked = 0;
    let mut ratios = Vec::new();
    for (k, i) in view.pattern.impressions.iter().enumerate() {
        let [tx, ty] = i.tilt;
        let cos = (1.0 - tx * tx - ty * ty).max(0.0).sqrt();
        let lonely = view
            .pattern
            .impressions
            .iter()
            .enumerate()
            .all(|(j, o)| j == k || (o.x_px - i.x_px).hypot(o.y_px - i.y_px) > 5.0 * radius);
        let on_photo = i.y_px > 3.0 * radius && i.y_px < 1000.0 - 3.0 * radius;
        if !(lonely && on_photo && (0.35..0.95).contains(&cos)) {
            continue;
        }
        // The darkening's spread about the dot's centre, within 1.8 radii.
        let reach = 1.8 * radius;
        let (mut mass, mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0, 0.0);
        for y in (i.y_px - reach) as u32..=(i.y_px + reach) as u32 {
            for x in (i.x_px - reach) as u32..=(i.x_px + reach) as u32 {
                let (dx, dy) = (x as f64 + 0.5 - i.x_px, y as f64 + 0.5 - i.y_px);
                let v = darkness(x, y);
                mass += v;
                xx += v * dx * dx;
                yy += v * dy * dy;
                xy += v * dx * dy;
            }
        }
        let (xx, yy, xy) = (xx / mass, yy / mass, xy / mass);
        let mean = 0.5 * (xx + yy);
        let spread = (0.25 * (xx - yy) * (xx - yy) + xy * xy).sqrt();
        let (wide, narrow) = (mean + spread, mean - spread);
        ratios.push((narrow / wide).sqrt() / cos);
        // Narrow across the turn: along the normal as the photo sees it.
        if cos < 0.8 {
            let axis = [xy, narrow - xx];
            let along = (axis[0] * tx + axis[1] * ty).abs() / axis[0].hypot(axis[1]) / tx.hypot(ty);
            assert!(
                along > 0.95,
                "the dot at {:.0}, {:.0} is narrow {:.0} degrees off the turn",
                i.x_px,
                i.y_px,
                along.acos().to_degrees()
            );
        }
        checked += 1;
    }
    ratios.sort_by(f64::total_cmp);
    assert!(checked >= 20, "only {checked} dots stand alone, turned 20-70 degrees away");
    let median = ratios[ratios.len() / 2];
    assert!((median - 1.0).abs() < 0.12, "narrow over wide is {median:.2} times the cosine of the turn");
}

/// A scalp under longer, thinning hair (30 mm square at 0.05 mm per
/// pixel, 120 strands), with the true mask, and a design over all of it.
fn under_long_hair() -> (RgbImage, image::GrayImage, smp_core::Design) {
    under_hair_of([196, 150, 124], [38, 30, 26])
}

/// The same, of skin `skin` and hair `hair`.
fn under_hair_of(skin: [u8; 3], hair: [u8; 3]) -> (RgbImage, image::GrayImage, smp_core::Design) {
    let (photo, mask) = smp_render::synthetic::long_hair_photo(600, 0.05, 120, skin, hair, 7);
    let text = r##"schema = 1
seed = 3
[photo]
path = "scalp.png"
view = "top"
scale = { from = [0, 0], to = [200, 0], mm = 10.0 }
[client]
fitzpatrick = 3
hair_color = "#261e1a"
[[zones]]
name = "density"
polygon = [[0, 0], [600, 0], [600, 600], [0, 600]]
density = 60.0
feather_mm = 0.0
"##;
    (photo, mask, with_dots_of_0_3_mm(text))
}

#[test]
fn under_longer_hair_the_pigment_shows_between_the_strands_and_every_strand_is_untouched() {
    use smp_render::hair_mask::HairMask;
    let (photo, truth, design) = under_long_hair();
    let pattern = Pattern::generate(&design);
    let mut rendered = photo.clone();
    smp_render::render_healed(&mut rendered, &design, &pattern, &LayeredOptics, &|_, _| {});
    let changed_under = |img: &RgbImage| {
        let mut diffs: Vec<u8> = truth
            .enumerate_pixels()
            .filter(|(_, _, m)| m[0] == 255)
            .map(|(x, y, _)| {
                (0..3).map(|c| photo.get_pixel(x, y)[c].abs_diff(img.get_pixel(x, y)[c])).max().unwrap()
            })
            .collect();
        diffs.sort_unstable();
        (diffs[diffs.len() - 1], diffs[diffs.len() * 99 / 100], diffs.len())
    };
    // Painted over, as a render without the mask does.
    let (worst, _, strands) = changed_under(&rendered);
    assert!(
        strands > 2000 && worst > 20,
        "{strands} strand pixels, changed by up to {worst} without the mask"
    );
    HairMask::from_image(truth.clone()).keep_hair(&photo, &mut rendered);
    let (worst, p99, _) = changed_under(&rendered);
    assert!(worst <= 2 && p99 <= 8, "strands changed by up to {worst} levels (99th percentile {p99})");
    // The scalp between the strands darkens.
    let mean_green = |img: &RgbImage| {
        let bare: Vec<f64> = truth
            .enumerate_pixels()
            .filter(|(_, _, m)| m[0] == 0)
            .map(|(x, y, _)| img.get_pixel(x, y)[1] as f64)
            .collect();
        bare.iter().sum::<f64>() / bare.len() as f64
    };
    let (before, after) = (mean_green(&photo), mean_green(&rendered));
    assert!(after < before - 1.0, "the scalp between the strands: {before:.1} before, {after:.1} after");
    // Dots there, not a tint: a few per cent of the bare scalp (the dots'
    // share of it at 60 per cm2 of 0.3 mm) much darker.
    let bare: Vec<(u32, u32)> =
        truth.enumerate_pixels().filter(|(_, _, m)| m[0] == 0).map(|(x, y, _)| (x, y)).collect();
    let dotted = bare
        .iter()
        .filter(|&&(x, y)| photo.get_pixel(x, y)[1] as i32 - rendered.get_pixel(x, y)[1] as i32 > 30)
        .count();
    assert!(dotted * 100 > bare.len(), "{dotted} of {} bare scalp pixels carry a dot", bare.len());
    if std::env::var_os("SMP_KEEP_RENDERS").is_some() {
        rendered.save(std::env::temp_dir().join("under-long-hair.png")).unwrap();
        photo.save(std::env::temp_dir().join("long-hair.png")).unwrap();
    }
}

#[test]
fn the_proposed_mask_finds_the_strands_and_leaves_the_bare_scalp() {
    // Dark hair on light skin; brown hair on olive skin, closer to it.
    for (skin, hair) in [([196, 150, 124], [38, 30, 26]), ([150, 105, 80], [92, 66, 50])] {
        let (photo, truth, _) = under_hair_of(skin, hair);
        let proposed = smp_render::hair_mask::propose(&photo, 0.05);
        let (mut strands, mut found, mut bare, mut marked) = (0, 0, 0, 0);
        for (x, y, m) in truth.enumerate_pixels() {
            let said = proposed.image().get_pixel(x, y)[0] >= 128;
            if m[0] >= 128 {
                strands += 1;
                found += said as usize;
            } else if m[0] == 0 {
                bare += 1;
                marked += said as usize;
            }
        }
        let (found, marked) = (found as f64 / strands as f64, marked as f64 / bare as f64);
        eprintln!(
            "proposed mask, skin {skin:?}, hair {hair:?}: {:.1} % of strand pixels found, {:.1} % of bare scalp marked",
            100.0 * found,
            100.0 * marked
        );
        assert!(found >= 0.7, "{skin:?} {hair:?}: {:.1} % of strand pixels found", 100.0 * found);
        assert!(marked <= 0.05, "{skin:?} {hair:?}: {:.1} % of bare scalp marked", 100.0 * marked);
    }
}

#[test]
fn a_mask_shrinks_to_the_mean_coverage_of_the_pixels_it_stands_for() {
    use smp_render::hair_mask::HairMask;
    // One-pixel strands every fourth column: a quarter covered.
    let full = image::GrayImage::from_fn(400, 300, |x, _| image::Luma([if x % 4 == 0 { 255 } else { 0 }]));
    let small = HairMask::from_image(full).shrunk_to((100, 75));
    assert_eq!(small.image().dimensions(), (100, 75));
    assert!(small.image().pixels().all(|p| p[0].abs_diff(64) <= 1), "{:?}", small.image().get_pixel(50, 30));
    // A size that does not divide the photo's keeps every pixel covered.
    let odd =
        HairMask::from_image(image::GrayImage::from_pixel(401, 301, image::Luma([200]))).shrunk_to((133, 99));
    assert!(odd.image().pixels().all(|p| p[0] == 200));
}

#[test]
fn painting_over_a_mask_replaces_it_where_painted_and_keeps_every_strand_elsewhere() {
    use image::{GrayImage, Luma, Rgba, RgbaImage};
    use smp_render::hair_mask::HairMask;
    let strands = GrayImage::from_fn(800, 600, |x, _| Luma([if x % 5 == 0 { 255 } else { 0 }]));
    let base = HairMask::from_image(strands.clone());
    // A quarter-size layer: the left third painted as hair, a square in
    // the middle of the right half erased, with a soft (half alpha) rim.
    let mut paint = RgbaImage::new(200, 150);
    for (x, y, p) in paint.enumerate_pixels_mut() {
        if x < 60 {
            *p = Rgba([255, 255, 255, 255]);
        } else if (130..170).contains(&x) && (50..100).contains(&y) {
            *p = Rgba([0, 0, 0, 255]);
        } else if (128..172).contains(&x) && (48..102).contains(&y) {
            *p = Rgba([0, 0, 0, 128]);
        }
    }
    let out = HairMask::painted(Some(&base), (800, 600), &paint);
    let at = |x, y| out.image().get_pixel(x, y)[0];
    assert_eq!(at(10, 10), 255, "painted hair");
    assert_eq!(at(11, 300), 255);
    assert_eq!(at(600, 300), 0, "erased strand");
    assert_eq!(at(601, 300), 0);
    // Untouched: the strands exactly as they were.
    for x in 300..480 {
        assert_eq!(at(x, 500), strands.get_pixel(x, 500)[0], "column {x}");
    }
    // A soft edge mixes: half of a strand.
    let rim = at(515, 198);
    assert!((90..=170).contains(&rim), "a strand under the soft rim: {rim}");
    // No base: no hair but what was painted.
    let alone = HairMask::painted(None, (800, 600), &paint);
    assert_eq!(alone.image().get_pixel(10, 10)[0], 255);
    assert_eq!(alone.image().get_pixel(400, 500)[0], 0);
}
