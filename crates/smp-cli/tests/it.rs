//! Command-line tests: the happy paths and every bad input the issue names.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn smp(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smp")).args(args).current_dir(cwd).output().expect("smp runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small design on a small synthetic photo (10 px per mm).
const DESIGN: &str = r##"schema = 1
seed = 3
[photo]
path = "scalp.png"
view = "top"
scale = { from = [0, 380], to = [400, 380], mm = 40.0 }
[client]
fitzpatrick = 3
hair_color = "#2a221d"
[hairline]
style = "soft"
points = [[60, 120], [200, 80], [340, 120]]
transition_mm = 5.0
[[zones]]
name = "top"
polygon = [[50, 70], [350, 70], [350, 330], [50, 330]]
density = 60.0
feather_mm = 3.0
[impressions]
diameter_mm = 0.5
size_variation = 0.15
[pigment]
dilution = 0.6
depth_mm = 0.35
"##;

fn workspace(design: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let photo = smp_render::synthetic::scalp_photo(400, 400, [196, 150, 124], 1);
    photo.save(dir.path().join("scalp.png")).unwrap();
    fs::write(dir.path().join("design.toml"), design).unwrap();
    dir
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn render_writes_image_preview_and_csv() {
    let dir = workspace(DESIGN);
    let o = smp(
        &["render", "design.toml", "--out", "out.png", "--impressions", "imp.csv", "--preview", "100"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = image::open(dir.path().join("out.png")).unwrap();
    assert_eq!((out.width(), out.height()), (400, 400));
    let preview = image::open(dir.path().join("out.preview.png")).unwrap();
    assert_eq!((preview.width(), preview.height()), (100, 100));
    let csv = fs::read_to_string(dir.path().join("imp.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("x_px,y_px,diameter_mm,zone,session"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 26 x 26 mm at up to 60 per cm2, less feather and hairline gradient.
    assert!(rows.len() > 150 && rows.len() < 26.0f64.powi(2) as usize * 60 / 100, "{} rows", rows.len());
    for r in &rows {
        let (x, y): (f64, f64) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        assert!((50.0..=350.0).contains(&x) && (70.0..=330.0).contains(&y));
        assert_eq!(r[3], "top");
        assert!(["1", "2", "3"].contains(&r[4]));
    }
    // JPEG by extension.
    let o = smp(&["render", "design.toml", "--out", "out.jpg"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::ImageFormat::from_path(dir.path().join("out.jpg")).unwrap(), image::ImageFormat::Jpeg);
    assert_eq!(&fs::read(dir.path().join("out.jpg")).unwrap()[..2], &[0xFF, 0xD8]);
}

#[test]
fn before_stage_is_the_photo_itself() {
    let dir = workspace(DESIGN);
    let o = smp(&["render", "design.toml", "--out", "before.png", "--stage", "before"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let a = image::open(dir.path().join("before.png")).unwrap().to_rgb8();
    let b = image::open(dir.path().join("scalp.png")).unwrap().to_rgb8();
    assert!(a == b);
}

#[test]
fn exif_orientation_is_honoured() {
    // A JPEG 40 x 20 with orientation 6 (rotate 90 degrees clockwise) displays as 20 x 40.
    let dir = workspace(DESIGN);
    let img = image::RgbImage::from_fn(40, 20, |x, _| image::Rgb([if x < 20 { 255 } else { 0 }, 0, 0]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&img).unwrap();
    // Insert an APP1 Exif segment with Orientation = 6 after SOI.
    let exif: Vec<u8> = [
        b"Exif\0\0".as_slice(),
        &[0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08], // big-endian TIFF header
        &[0x00, 0x01],                                     // one entry
        &[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00],
        &[0x00, 0x00, 0x00, 0x00],
    ]
    .concat();
    let mut file = vec![0xFF, 0xD8, 0xFF, 0xE1];
    file.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    file.extend_from_slice(&exif);
    file.extend_from_slice(&jpeg[2..]);
    fs::write(dir.path().join("rotated.jpg"), file).unwrap();
    let design = DESIGN
        .replace("scalp.png", "rotated.jpg")
        .replace("[350, 330], [50, 330]", "[15, 35], [5, 35]")
        .replace("[[50, 70], [350, 70],", "[[5, 5], [15, 5],");
    let design = design.replace(
        "[hairline]\nstyle = \"soft\"\npoints = [[60, 120], [200, 80], [340, 120]]\ntransition_mm = 5.0\n",
        "",
    );
    fs::write(dir.path().join("rot.toml"), design).unwrap();
    let o = smp(&["render", "rot.toml", "--out", "rot.png", "--stage", "before"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = image::open(dir.path().join("rot.png")).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (20, 40));
    // The red (left) half of the stored image is now the top half.
    assert!(out.get_pixel(10, 5)[0] > 200 && out.get_pixel(10, 35)[0] < 50);
}

#[test]
fn design_example_is_a_valid_design() {
    let dir = tempfile::tempdir().unwrap();
    let o = smp(&["design", "example"], dir.path());
    assert!(o.status.success());
    smp_core::parse(&String::from_utf8(o.stdout).unwrap()).unwrap();
}

#[test]
fn demo_writes_everything_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let o = smp(&["demo", "d"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in
        ["scalp.png", "design.toml", "render.jpg", "render.preview.jpg", "impressions.csv", "timeline.jpg"]
    {
        assert!(dir.path().join("d").join(f).is_file(), "{f}");
    }
    let o = smp(&["demo", "d"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
}

/// Runs a render that must fail: one line on stderr containing `expect`,
/// a non-zero exit, no panic, and no file left behind.
fn assert_refused(design: &str, setup: impl FnOnce(&Path), args: &[&str], expect: &str) {
    let dir = workspace(design);
    setup(dir.path());
    let before = files_in(dir.path());
    let mut all = vec!["render", "design.toml"];
    all.extend_from_slice(args);
    if !args.contains(&"--out") {
        all.extend_from_slice(&["--out", "out.png"]);
    }
    let o = smp(&all, dir.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure for {expect:?}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(expect), "expected {expect:?} in {err}");
    assert_eq!(files_in(dir.path()), before, "no file left behind");
}

fn nothing(_: &Path) {}

#[test]
fn malformed_toml_names_its_line() {
    assert_refused(&DESIGN.replace("seed = 3", "seed = = 3"), nothing, &[], "design.toml: line 2");
}

#[test]
fn unknown_and_missing_keys_are_named() {
    assert_refused(
        &DESIGN.replace("feather_mm = 3.0", "feather_mm = 3.0\ncolour = 1"),
        nothing,
        &[],
        "unknown field `colour`",
    );
    assert_refused(&DESIGN.replace("dilution = 0.6\n", ""), nothing, &[], "missing field `dilution`");
}

#[test]
fn a_missing_photo_is_named() {
    assert_refused(DESIGN, |d| fs::remove_file(d.join("scalp.png")).unwrap(), &[], "photo not found");
}

#[test]
fn bad_polygons_are_refused() {
    assert_refused(
        &DESIGN.replace("[[50, 70], [350, 70], [350, 330], [50, 330]]", "[[50, 70], [350, 70]]"),
        nothing,
        &[],
        "zones[0].polygon: a polygon needs at least 3 points",
    );
    assert_refused(
        &DESIGN.replace(
            "[[50, 70], [350, 70], [350, 330], [50, 330]]",
            "[[50, 70], [350, 330], [350, 70], [50, 330]]",
        ),
        nothing,
        &[],
        "crosses itself",
    );
}

#[test]
fn absurd_numbers_are_refused() {
    assert_refused(
        &DESIGN.replace("density = 60.0", "density = -4.0"),
        nothing,
        &[],
        "line 17: zones[0].density",
    );
    assert_refused(&DESIGN.replace("density = 60.0", "density = 100000.0"), nothing, &[], "zones[0].density");
    assert_refused(
        &DESIGN.replace("diameter_mm = 0.5", "diameter_mm = 25.0"),
        nothing,
        &[],
        "impressions.diameter_mm",
    );
}

#[test]
fn a_file_that_is_not_an_image_is_refused() {
    assert_refused(
        DESIGN,
        |d| fs::write(d.join("scalp.png"), "just text").unwrap(),
        &[],
        "is not a PNG, JPEG or WebP image",
    );
}

/// A PNG whose header claims 100000 x 100000 pixels, with no pixel data.
fn png_bomb() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // A few bytes of compressed data, far from what the header promises.
    let idat = [b"IDAT".as_slice(), &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]].concat();
    png.extend_from_slice(&8u32.to_be_bytes());
    png.extend_from_slice(&idat);
    png.extend_from_slice(&crc32(&idat).to_be_bytes());
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    png
}

#[test]
fn a_decompression_bomb_is_refused_before_allocating() {
    assert_refused(
        DESIGN,
        |d| fs::write(d.join("scalp.png"), png_bomb()).unwrap(),
        &[],
        "100000 x 100000 pixels",
    );
}

#[test]
fn an_output_in_a_missing_folder_is_refused() {
    assert_refused(
        DESIGN,
        nothing,
        &["--out", "no/such/folder/out.png"],
        "the folder of no/such/folder/out.png does not exist",
    );
    assert_refused(DESIGN, nothing, &["--out", "out.gif"], "must end in .png, .jpg or .jpeg");
}

// ---- the clinical commands ----------------------------------------------

const INTAKE: &str = "consultation_date = 2026-12-01
birth_date = 1985-04-02
pregnant = false
breastfeeding = false
allergies = [\"lidocaine\"]
[[conditions]]
code = \"chemotherapy\"
ended = 2026-08-01
[[medications]]
code = \"isotretinoin\"
last_dose = 2026-09-01
";

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn screen_reports_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("intake.toml"), INTAKE).unwrap();
    let v = json_of(&smp(&["screen", "intake.toml", "--json"], dir.path()));
    assert_eq!(v["outcome"], "postpone");
    assert_eq!(v["earliest_date"], "2027-03-01");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    for f in findings {
        for key in ["rule", "outcome", "because", "source"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }
    assert!(v["pre_session"].as_array().unwrap().len() >= 3);
    let text = smp(&["screen", "intake.toml"], dir.path());
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("Outcome: POSTPONE (not before 2027-03-01)"));
}

#[test]
fn bad_intakes_and_rule_sets_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            INTAKE.replace("isotretinoin", "accutane"),
            "intake.toml: line 10: medications[0].code: unknown medication \"accutane\"",
        ),
        (INTAKE.replace("pregnant = false", "pregnant = maybe"), "intake.toml: line 3"),
        (INTAKE.replace("birth_date = 1985-04-02\n", ""), "missing field `birth_date`"),
        (INTAKE.replace("ended = 2026-08-01", "ended = \"last summer\""), "intake.toml: line 8"),
    ];
    for (text, expect) in cases {
        fs::write(dir.path().join("intake.toml"), text).unwrap();
        let o = smp(&["screen", "intake.toml"], dir.path());
        assert!(!o.status.success());
        assert!(stderr(&o).contains(expect), "expected {expect:?} in {}", stderr(&o));
        assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    }
    fs::write(dir.path().join("intake.toml"), INTAKE).unwrap();
    let rules =
        smp_clinic::screening::DEFAULT_RULES.replace("outcome = \"caution\"", "outcome = \"careful\"");
    fs::write(dir.path().join("rules.toml"), rules).unwrap();
    let o = smp(&["screen", "intake.toml", "--rules", "rules.toml"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("rules.toml: line") && stderr(&o).contains("careful"), "{}", stderr(&o));
    let o = smp(&["screen", "intake.toml", "--rules", "missing.toml"], dir.path());
    assert!(stderr(&o).contains("cannot read the rule set missing.toml"), "{}", stderr(&o));
}

#[test]
fn plan_reports_sessions_and_areas() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("design.toml"), smp_core::EXAMPLE_DESIGN).unwrap();
    let v = json_of(&smp(&["plan", "design.toml", "--start", "2027-01-10", "--json"], dir.path()));
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    for (i, s) in sessions.iter().enumerate() {
        assert_eq!(s["number"], i + 1);
        for key in ["date", "impressions", "dilution", "hours", "focus"] {
            assert!(!s[key].is_null(), "{key}");
        }
    }
    assert_eq!(sessions[1]["date"], "2027-01-22");
    assert!(v["area_cm2"]["crown"].as_f64().unwrap() > 50.0);
    let o = smp(&["plan", "design.toml", "--start", "2027-02-30"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("--start"), "{}", stderr(&o));
    let o = smp(&["plan", "design.toml", "--start", "2027-01-10", "--sessions", "9"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("1 to 4 sessions"), "{}", stderr(&o));
}

/// `smp plan --intake` asks the same gate as the app: the intake postpones
/// treatment until 2027-03-01, so a plan starting before is refused with the
/// reason, and goes ahead only with `--override REASON`.
#[test]
fn plan_refuses_dates_the_screening_does_not_allow() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("design.toml"), smp_core::EXAMPLE_DESIGN).unwrap();
    fs::write(dir.path().join("intake.toml"), INTAKE).unwrap();
    let early = ["plan", "design.toml", "--start", "2027-01-10", "--intake", "intake.toml"];
    let o = smp(&early, dir.path());
    assert!(!o.status.success(), "refused");
    assert!(stderr(&o).contains("postpones treatment until 1 March 2027"), "{}", stderr(&o));
    let o = smp(&[&early[..], &["--override", "dermatologist's letter"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Despite the screening"));
    let o = smp(&["plan", "design.toml", "--start", "2027-03-01", "--intake", "intake.toml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn aftercare_writes_json_calendar_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let o = smp(
        &["aftercare", "--session-date", "2026-12-01", "--ics", "care.ics", "--html", "care.html", "--json"],
        dir.path(),
    );
    let v = json_of(&o);
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 31);
    assert_eq!(days[0]["day"], 0);
    assert_eq!(days[30]["date"], "2026-12-31");
    assert!(days[2]["avoid"].as_array().unwrap().len() >= 5 && days[2]["do"].is_array());
    let ids: Vec<&str> =
        v["restrictions"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in ["water", "sweat", "sun", "swim", "shave"] {
        assert!(ids.contains(&id), "{id}");
    }
    assert_eq!(v["restrictions"][0]["until"], "2026-12-04");
    let ics = fs::read_to_string(dir.path().join("care.ics")).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.contains("\r\n"));
    assert!(fs::read_to_string(dir.path().join("care.html")).unwrap().contains("Your SMP aftercare"));
    let o = smp(&["aftercare", "--session-date", "2026-12-01", "--ics", "nowhere/care.ics"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

#[test]
fn stages_and_the_timeline_render() {
    let dir = workspace(DESIGN);
    for stage in ["session-1", "session-2", "day:3", "healed", "years:2.5"] {
        let o = smp(&["render", "design.toml", "--out", "s.png", "--stage", stage], dir.path());
        assert!(o.status.success(), "{stage}: {}", stderr(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).starts_with(stage),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    let o = smp(&["render", "design.toml", "--out", "s.png", "--stage", "years:-1"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("not a stage"), "{}", stderr(&o));
    let o = smp(&["timeline", "design.toml", "--out", "t.png", "--panel-width", "100"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let sheet = image::open(dir.path().join("t.png")).unwrap();
    // Four panels of 100 px and five 12 px gaps.
    assert_eq!(sheet.width(), 4 * 100 + 5 * 12);
}

/// `smp user add NAME` in `data`, the password on standard input.
fn add_user(name: &str, data: &Path) -> Output {
    add_user_with(name, data, &[])
}

/// [`add_user`] with more arguments.
fn add_user_with(name: &str, data: &Path, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smp"))
        .args(["user", "add", name, "--role", "practitioner", "--password-stdin"])
        .args(extra)
        .arg("--data")
        .arg(data)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("smp runs");
    child.stdin.take().unwrap().write_all(b"a long password\n").unwrap();
    child.wait_with_output().unwrap()
}

/// `smp studio add` makes a second studio with its own admin (a chain no
/// longer needs SQL for it); the admin's one-time password is printed once
/// and must be replaced at the first login. Names are the studio's own: the
/// same name may sign in at two studios, each with its own account, and
/// `smp user add` then asks which studio.
#[test]
fn a_studio_is_added_with_its_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(add_user("dana", &data).status.success());
    let o = smp(&["studio", "add", "North Street", "--admin", "nora", "--data", "data"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("North Street") && out.contains("nora"), "{out}");
    assert!(out.contains("sign-in code north-street"), "{out}");
    let password = out.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = smp_store::Store::open_in(&data).await.unwrap();
        let north = store.studio_by_code("North-Street ").await.unwrap().expect("found by its code");
        let first = store.first_studio().await.unwrap().unwrap();
        let nora = store
            .verify_login(&north, "nora", &password, "test")
            .await
            .unwrap()
            .expect("the printed password works");
        assert!(nora.must_change_password && nora.role == smp_store::Role::Admin);
        assert!(store.verify_login(&first, "nora", &password, "test").await.unwrap().is_none());
        let dana = store.verify_login(&first, "dana", "a long password", "test").await.unwrap().unwrap();
        assert_ne!(nora.studio, dana.studio, "a studio of its own");
        store.close().await;
    });
    let again = smp(&["studio", "add", "Other", "--admin", "dana", "--data", "data"], dir.path());
    assert!(again.status.success(), "another studio's dana: {}", stderr(&again));
    let o = add_user("lee", &data);
    assert!(!o.status.success() && stderr(&o).contains("--studio CODE"), "{}", stderr(&o));
    assert!(add_user_with("lee", &data, &["--studio", "north-street"]).status.success());
    let o = add_user_with("nora", &data, &["--studio", "north-street"]);
    assert!(!o.status.success() && stderr(&o).contains("already exists"), "{}", stderr(&o));
    let o = add_user_with("lee", &data, &["--studio", "nowhere"]);
    assert!(!o.status.success() && stderr(&o).contains("no studio with the sign-in code"), "{}", stderr(&o));
}

#[test]
fn a_backup_is_a_new_data_folder_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(add_user("dana", &data).status.success());
    let photo = data.join("photos").join("studio").join("p1.jpg");
    fs::create_dir_all(photo.parent().unwrap()).unwrap();
    fs::write(&photo, b"the bytes of a photo").unwrap();

    let o = smp(&["backup", "copy", "--data", "data"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 photo file"));
    let copied = dir.path().join("copy/photos/studio/p1.jpg");
    assert_eq!(fs::read(&copied).unwrap(), b"the bytes of a photo");
    // Private, whatever the umask: the folder, the database, the photos.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let copy = dir.path().join("copy");
        assert_eq!(mode(&copy), 0o700);
        assert_eq!(mode(&copy.join("smp.db")), 0o600);
        assert_eq!(mode(&copied), 0o600);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("smp.db")), 0o600);
    }
    // The copy holds the account: adding it again there is refused.
    let again = add_user("dana", &dir.path().join("copy"));
    assert!(!again.status.success() && stderr(&again).contains("already exists"), "{}", stderr(&again));

    // Never over an existing folder; nothing half-written when it fails.
    let o = smp(&["backup", "copy", "--data", "data"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("exists"), "{}", stderr(&o));
    let o = smp(&["backup", "other", "--data", "missing"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("no SMP Studio database"), "{}", stderr(&o));
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "other" || n.contains("partial")), "{names:?}");
}

#[test]
fn pigment_and_forecast_report_their_contract_keys() {
    let dir = workspace(DESIGN);
    let v = json_of(&smp(&["pigment", "design.toml", "--json"], dir.path()));
    for key in ["healed_lab", "healed_hex", "delta_e00", "recommended_dilution", "warnings"] {
        assert!(!v[key].is_null(), "{key} in {v}");
    }
    assert!(v["healed_hex"].as_str().unwrap().starts_with('#'));
    let r = v["recommended_dilution"].as_f64().unwrap();
    assert!((0.05..=1.0).contains(&r));
    assert!(v["depth_cast"]["delta_e00"].as_f64().unwrap() < 3.5, "0.35 mm casts little: {v}");
    // Too deep: the model, not a rule on the depth, says blue-grey.
    fs::write(dir.path().join("deep.toml"), DESIGN.replace("depth_mm = 0.35", "depth_mm = 0.9")).unwrap();
    let deep = smp(&["pigment", "deep.toml"], dir.path());
    let text = String::from_utf8_lossy(&deep.stdout);
    assert!(text.contains("Depth cast: CIEDE2000") && text.contains("reads blue-grey"), "{text}");
    // No type in the design: the photo's skin gives it, for the report and the render.
    fs::write(dir.path().join("untyped.toml"), DESIGN.replace("fitzpatrick = 3\n", "")).unwrap();
    let untyped = smp(&["pigment", "untyped.toml"], dir.path());
    let text = String::from_utf8_lossy(&untyped.stdout);
    assert!(untyped.status.success() && text.contains("the model uses the photo's"), "{text}");
    fs::write(dir.path().join("type6.toml"), DESIGN.replace("fitzpatrick = 3", "fitzpatrick = 6")).unwrap();
    let typed = json_of(&smp(&["pigment", "type6.toml", "--json"], dir.path()));
    let untyped = json_of(&smp(&["pigment", "untyped.toml", "--json"], dir.path()));
    assert_ne!(typed["healed_hex"], untyped["healed_hex"]);
    let o = smp(&["render", "untyped.toml", "--out", "untyped.png"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&smp(&["forecast", "design.toml", "--json"], dir.path()));
    let due = v["touch_up_due_years"].as_f64().expect("a touch-up within 10 years");
    assert!((2.0..=7.0).contains(&due), "{due}");
    let curve = v["curve"].as_array().unwrap();
    assert_eq!(curve[0]["years"], 0.0);
    assert_eq!(curve.last().unwrap()["years"], 10.0);
    for p in curve {
        assert!(p["delta_e00"].is_f64() && p["share"].is_f64());
    }
    assert!(v["factors"].as_array().unwrap().iter().any(|f| f["factor"] == "uv_exposure"));
    // More sun, sooner.
    fs::write(
        dir.path().join("sunny.toml"),
        DESIGN.replace("hair_color = \"#2a221d\"", "hair_color = \"#2a221d\"\nuv_exposure = \"high\""),
    )
    .unwrap();
    let sunny = json_of(&smp(&["forecast", "sunny.toml", "--json"], dir.path()));
    assert!(sunny["touch_up_due_years"].as_f64().unwrap() < due);
}

/// A photo store that cannot be used stops `smp serve` at once with the
/// reason, before it answers anyone: not at the first photo a client
/// waits for.
#[test]
fn serve_refuses_a_photo_store_it_cannot_use() {
    let data = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let serve = |photos: &str| {
        Command::new(env!("CARGO_BIN_EXE_smp"))
            .args(["serve", "--addr", "127.0.0.1:0", "--photos", photos, "--data"])
            .arg(data.path())
            .env("AWS_ENDPOINT", format!("http://127.0.0.1:{closed}"))
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "smp")
            .env("AWS_SECRET_ACCESS_KEY", "smp-secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("smp runs")
    };
    let out = serve("s3://smp-photos/studio");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cannot keep photos in s3://smp-photos/studio"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SMP Studio on"), "never said it was serving");
    let out = serve("/srv/photos");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is not an s3://BUCKET/PREFIX address"), "{}", stderr(&out));
}

// ---- end to end in a real browser --------------------------------------

/// `smp serve` on a free port, killed on drop, with the one-time password it printed.
struct Server {
    child: std::process::Child,
    url: String,
    password: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    start_server_in(tempfile::tempdir().unwrap(), &[])
}

impl Server {
    /// Kills it (as a crash or `kill -9` would), keeping its data.
    fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let data = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self._data, data)
    }
}

/// `smp serve` on `data` with `extra` arguments; the one-time password is
/// empty when the data already has users.
fn start_server_in(data: tempfile::TempDir, extra: &[&str]) -> Server {
    use std::io::{BufRead, BufReader, Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let first = !data.path().join("smp.db").exists();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smp"))
        .args(["serve", "--addr", &addr])
        .args(extra)
        .arg("--data")
        .arg(data.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("smp serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut password = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("    ") {
            password = line.trim().to_string();
        }
        if line.starts_with("SMP Studio on") {
            break;
        }
    }
    assert!(!first || !password.is_empty(), "the first start prints a one-time password");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
            let mut reply = String::new();
            let _ = s.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                return Server { child, url: format!("http://{addr}"), password, _data: data };
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("smp serve did not answer /healthz");
}

#[test]
fn the_studio_works_in_a_real_browser() {
    // Needs Debian's chromium and `npm ci` in e2e/: scripts/test (the README's
    // test command, and CI) provides both and sets SMP_E2E=1.
    if std::env::var_os("SMP_E2E").is_none() {
        eprintln!("browser test not run: use scripts/test, which installs Chromium and playwright-core");
        return;
    }
    let server = start_server();
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    // A shaved scalp seen from above, lit from the top left like a
    // consultation photo, with the client's own stubble on the sides and
    // the back.
    let photos = tempfile::tempdir().unwrap();
    let scalp = photos.path().join("top of the head.jpg");
    smp_render::synthetic::scalp_photo(1600, 1200, [196, 150, 124], 3).save(&scalp).unwrap();
    let head_photos = head_photos(photos.path());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    let out = Command::new("node")
        .args(["--test", "studio.test.mjs"])
        .current_dir(&e2e)
        .env("SMP_URL", &server.url)
        .env("SMP_ADMIN_PASSWORD", &server.password)
        .env("SCREENSHOTS", &shots)
        .env("SMP_SCALP_PHOTO", &scalp)
        .env("SMP_HEAD_PHOTOS", head_photos.to_string())
        .output()
        .expect("node runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(report.contains("# pass 1"), "{report}");
    assert!(shots.join("05-screening.png").is_file(), "screenshots kept in {}", shots.display());
}

/// A top and a front photo of one head (the head model ray-cast from two
/// known cameras, 1200 x 1000), written into `folder`, with where each
/// point to tap lies on each, as shares of the photo's width and height:
/// `{"top": {"path", "points": {name: [fx, fy]}}, "front": {...}}`.
fn head_photos(folder: &Path) -> serde_json::Value {
    use glam::DVec3;
    use smp_core::head::{Head, Landmark};
    use smp_core::pose::{Camera, initial_rotation};
    let head = Head::from_measurements(&smp_core::head::HeadMeasurements {
        circumference_mm: 549.0,
        ear_to_ear_mm: 295.0,
        front_to_back_mm: 327.0,
    })
    .unwrap();
    let (width, height) = (1200u32, 1000u32);
    let cameras = [
        (
            "top",
            Camera { rotation: initial_rotation(smp_core::View::Top), scale: 4.4, offset: [600.0, 500.0] },
        ),
        (
            "front",
            Camera { rotation: initial_rotation(smp_core::View::Front), scale: 5.0, offset: [600.0, 820.0] },
        ),
    ];
    // The landmarks, and marks drawn on the scalp where both views see them
    // (the crown only from above).
    let mut points: Vec<(&str, DVec3)> = vec![
        ("glabella", head.landmark(Landmark::Glabella)),
        ("right_ear", head.landmark(Landmark::RightEar)),
        ("left_ear", head.landmark(Landmark::LeftEar)),
    ];
    for (name, direction) in [
        ("frontal", DVec3::new(0.0, 0.8, 0.6)),
        ("right_temple", DVec3::new(0.55, 0.6, 0.58)),
        ("left_temple", DVec3::new(-0.55, 0.6, 0.58)),
        ("crown", DVec3::new(0.0, -0.5, 0.87)),
    ] {
        points.push((name, head.surface_toward(direction.normalize())));
    }
    let mut out = serde_json::Map::new();
    for (name, camera) in cameras {
        let path = folder.join(format!("head seen from the {name}.jpg"));
        smp_render::synthetic::head_photo(width, height, &head, &camera, [196, 150, 124], 5)
            .save(&path)
            .unwrap();
        let seen: serde_json::Map<String, serde_json::Value> = points
            .iter()
            .filter(|(point, at)| point.ends_with("ear") || *point == "glabella" || camera.sees(&head, *at))
            .map(|(point, at)| {
                let [x, y] = camera.project(*at);
                (point.to_string(), serde_json::json!([x / width as f64, y / height as f64]))
            })
            .collect();
        out.insert(name.into(), serde_json::json!({ "path": path, "points": seen }));
    }
    serde_json::Value::Object(out)
}

#[test]
fn pose_fits_each_photo_of_a_design_on_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let example = smp(&["design", "example", "--schema", "2"], dir.path());
    assert!(example.status.success(), "{}", stderr(&example));
    let text = String::from_utf8(example.stdout).unwrap();
    fs::write(dir.path().join("head.toml"), &text).unwrap();
    let v = json_of(&smp(&["pose", "head.toml", "--json"], dir.path()));
    let photos = v["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    for photo in photos {
        for key in ["name", "view_direction", "mm_per_px", "rms_mm", "warnings"] {
            assert!(!photo[key].is_null(), "{key} in {photo}");
        }
        assert!(photo["rms_mm"].as_f64().unwrap() < 0.5, "{photo}");
        assert!(photo["warnings"].as_array().unwrap().is_empty(), "{photo}");
    }
    // The top photo is seen from above, the front one from the face.
    assert!(photos[0]["view_direction"][2].as_f64().unwrap() > 0.9, "{v}");
    assert!(photos[1]["view_direction"][1].as_f64().unwrap() > 0.9, "{v}");
    assert_eq!(v["head"]["measured"], true);

    // A tie point tapped 25 mm off on the front photo: a warning there.
    let off = text.replace("frontal = [2000, 1728]", "frontal = [2400, 1728]");
    fs::write(dir.path().join("off.toml"), &off).unwrap();
    let v = json_of(&smp(&["pose", "off.toml", "--json"], dir.path()));
    let warnings = v["photos"][1]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains("mm from where the other points put it")),
        "{v}"
    );

    // Points of another head altogether: refused, naming the photo that
    // agrees least (a bad photo pulls the shared tie points, and so the
    // others, off too: least squares cannot always tell which is wrong).
    let wrong = text.replace(
        "right_ear = [781, 2500], left_ear = [3219, 2500]",
        "right_ear = [1900, 900], left_ear = [2100, 3900]",
    );
    fs::write(dir.path().join("wrong.toml"), &wrong).unwrap();
    let o = smp(&["pose", "wrong.toml"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("do not fit one head"), "{}", stderr(&o));

    // The plan counts on the scalp: the top zone as drawn covers 244 cm2 of
    // a picture-flat 141 cm2 (at the photo's scale at the head's centre),
    // as the scalp turns away toward the edges of the view.
    let v = json_of(&smp(&["plan", "head.toml", "--start", "2027-01-04", "--json"], dir.path()));
    let area = v["area_cm2"]["top"].as_f64().unwrap();
    assert!((230.0..260.0).contains(&area), "{v}");
    let impressions: u64 =
        v["sessions"].as_array().unwrap().iter().map(|s| s["impressions"].as_u64().unwrap()).sum();
    // 60 per cm2, less the feathered edge.
    assert!(
        impressions as f64 > 0.9 * 60.0 * area && (impressions as f64) < 60.0 * area,
        "{impressions} for {area} cm2"
    );

    // Rendered on each photo: the same impression (its id) at the same place
    // on the head, each photo showing only those facing it.
    for name in ["top", "front"] {
        smp_render::synthetic::scalp_photo(2000, 1600, [196, 150, 124], 1)
            .save(dir.path().join(format!("{name}.jpg")))
            .unwrap();
    }
    let mut seen = Vec::new();
    for name in ["top", "front"] {
        let csv = format!("{name}.csv");
        let o = smp(
            &[
                "render",
                "head.toml",
                "--photo",
                name,
                "--out",
                &format!("{name}-out.jpg"),
                "--impressions",
                &csv,
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let text = fs::read_to_string(dir.path().join(&csv)).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("x_px,y_px,diameter_mm,zone,session,id,x_mm,y_mm,z_mm"));
        let rows: std::collections::BTreeMap<u64, String> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[5].parse().unwrap(), f[6..].join(","))
            })
            .collect();
        seen.push(rows);
    }
    let shared: Vec<&u64> = seen[0].keys().filter(|id| seen[1].contains_key(id)).collect();
    assert!(
        !shared.is_empty() && shared.len() < seen[0].len(),
        "{} shared of {}",
        shared.len(),
        seen[0].len()
    );
    assert!(shared.iter().all(|id| seen[0][id] == seen[1][id]), "the same impression, the same place");
    // The timeline on a photo, and the pigment on the first.
    let o = smp(
        &["timeline", "head.toml", "--photo", "front", "--out", "t.jpg", "--panel-width", "200"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = smp(&["pigment", "head.toml", "--json"], dir.path());
    assert!(o.status.success() && json_of(&o)["healed_hex"].is_string(), "{}", stderr(&o));
}

#[test]
fn hair_measures_the_clients_stubble_and_suggests_the_design_that_continues_it() {
    let dir = tempfile::tempdir().unwrap();
    // 45 hairs per cm2, 0.3 mm across, at 0.1 mm per pixel.
    let (photo, truth) =
        smp_render::synthetic::stubble_photo(400, 0.1, 45.0, 0.3, [196, 150, 124], [42, 34, 29], 11);
    photo.save(dir.path().join("scalp.png")).unwrap();
    let design = DESIGN.replace(
        "hair_color = \"#2a221d\"",
        "hair_color = \"#2a221d\"\nhair_sample = [[30, 30], [370, 30], [370, 370], [30, 370]]",
    );
    fs::write(dir.path().join("design.toml"), &design).unwrap();
    let v = json_of(&smp(&["hair", "design.toml", "--json"], dir.path()));
    for key in [
        "count",
        "area_cm2",
        "density_per_cm2",
        "diameter_mm",
        "spacing_cv",
        "color_hex",
        "color_lab",
        "suggested_density",
        "suggested_diameter_mm",
        "suggested_dilution",
        "warnings",
    ] {
        assert!(!v[key].is_null(), "{key} in {v}");
    }
    let inside = truth
        .centres
        .iter()
        .filter(|c| (30.0..370.0).contains(&c[0]) && (30.0..370.0).contains(&c[1]))
        .count();
    let true_density = inside as f64 / (34.0 * 34.0 / 100.0);
    let density = v["density_per_cm2"].as_f64().unwrap();
    assert!((density / true_density - 1.0).abs() < 0.1, "{density} against {true_density}");
    assert!((v["diameter_mm"].as_f64().unwrap() / truth.diameter_mm - 1.0).abs() < 0.25, "{v}");
    // The design's 60 per cm2 and 0.5 mm dots depart from 45 hairs of 0.26 mm.
    let warnings: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(warnings.iter().any(|w| w.contains("denser than the client's own")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("larger than the client's hairs")), "{warnings:?}");
    let text = String::from_utf8(smp(&["hair", "design.toml"], dir.path()).stdout).unwrap();
    assert!(text.starts_with("Stubble: ") && text.contains("To continue it: density"), "{text}");

    // Bare skin: one line and a failure; as JSON, nothing measured and why.
    let (bare, _) =
        smp_render::synthetic::stubble_photo(400, 0.1, 0.001, 0.3, [196, 150, 124], [42, 34, 29], 2);
    bare.save(dir.path().join("scalp.png")).unwrap();
    let o = smp(&["hair", "design.toml"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("too few to measure"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    let v = json_of(&smp(&["hair", "design.toml", "--json"], dir.path()));
    assert!(v["density_per_cm2"].is_null() && v["warnings"][0].as_str().unwrap().contains("too few"), "{v}");
}

#[test]
fn hair_on_a_design_on_the_head_counts_over_the_scalp() {
    let dir = tempfile::tempdir().unwrap();
    let example = String::from_utf8(smp(&["design", "example", "--schema", "2"], dir.path()).stdout).unwrap();
    // The top photo at its fitted scale (18 px per mm), with stubble.
    let (photo, _) =
        smp_render::synthetic::stubble_photo(2200, 1.0 / 18.0, 45.0, 0.3, [196, 150, 124], [42, 34, 29], 5);
    photo.save(dir.path().join("top.jpg")).unwrap();
    photo.save(dir.path().join("front.jpg")).unwrap();
    // A sample toward the side of the head, where the scalp turns away.
    let design = example.replace(
        "hair_color = \"#2a221d\"",
        "hair_color = \"#2a221d\"\nhair_sample = [[700, 1700], [1300, 1700], [1300, 2100], [700, 2100]]\nhair_sample_on = \"top\"",
    );
    fs::write(dir.path().join("head.toml"), design).unwrap();
    let o = smp(&["hair", "head.toml", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    let flat_cm2 = 600.0 * 400.0 / (18.0 * 18.0) / 100.0;
    let area = v["area_cm2"].as_f64().unwrap();
    let count = v["count"].as_f64().unwrap();
    assert!(area > flat_cm2 * 1.05, "{area} cm2 of scalp against {flat_cm2} on the photo");
    assert!((v["density_per_cm2"].as_f64().unwrap() - count / area).abs() < 0.1, "{v}");
    // A photo the design does not have is named as missing.
    let o = smp(&["hair", "head.toml", "--photo", "back"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("no photo named \"back\""), "{}", stderr(&o));
}

#[test]
fn under_longer_hair_the_mask_is_proposed_and_the_render_keeps_the_hair_in_front() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, truth) =
        smp_render::synthetic::long_hair_photo(500, 0.05, 100, [196, 150, 124], [38, 30, 26], 9);
    photo.save(dir.path().join("hair.png")).unwrap();
    let design = r##"schema = 1
seed = 3
[photo]
path = "hair.png"
view = "top"
scale = { from = [0, 0], to = [200, 0], mm = 10.0 }
MASK
[client]
fitzpatrick = 3
hair_color = "#261e1a"
[[zones]]
name = "density"
polygon = [[0, 0], [500, 0], [500, 500], [0, 500]]
density = 60.0
feather_mm = 0.0
[impressions]
diameter_mm = 0.3
size_variation = 0.15
[pigment]
dilution = 0.6
depth_mm = 0.35
"##;
    fs::write(dir.path().join("plain.toml"), design.replace("MASK", "")).unwrap();
    let o = smp(&["hair", "mask", "plain.toml", "--out", "mask.png"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("hair over"));
    let mask = image::open(dir.path().join("mask.png")).unwrap().to_luma8();
    assert_eq!(mask.dimensions(), (500, 500));

    fs::write(dir.path().join("masked.toml"), design.replace("MASK", "hair_mask = \"mask.png\"")).unwrap();
    for (design, out) in [("plain.toml", "plain.png"), ("masked.toml", "masked.png")] {
        let o = smp(&["render", design, "--out", out], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // Where a strand hides the scalp, the render with the mask leaves it.
    let changed = |name: &str| {
        let out = image::open(dir.path().join(name)).unwrap().to_rgb8();
        let strands: Vec<u8> = truth
            .enumerate_pixels()
            .filter(|(_, _, m)| m[0] == 255)
            .map(|(x, y, _)| photo.get_pixel(x, y)[1].abs_diff(out.get_pixel(x, y)[1]))
            .collect();
        strands.iter().filter(|&&d| d > 8).count() as f64 / strands.len() as f64
    };
    let (plain, masked) = (changed("plain.png"), changed("masked.png"));
    assert!(
        plain > 0.02 && masked < 0.2 * plain,
        "strand pixels changed: {plain:.3} plain, {masked:.3} masked"
    );
    // The timeline too.
    let o = smp(&["timeline", "masked.toml", "--out", "sheet.png"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));

    // A mask of another size is refused, naming both sizes.
    image::GrayImage::new(40, 30).save(dir.path().join("small.png")).unwrap();
    fs::write(dir.path().join("small.toml"), design.replace("MASK", "hair_mask = \"small.png\"")).unwrap();
    let o = smp(&["render", "small.toml", "--out", "x.png"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("40 x 30") && stderr(&o).contains("500 x 500"), "{}", stderr(&o));
}

#[test]
fn strokes_follow_the_growth_arrows_and_their_columns_are_added_to_the_impressions() {
    let strokes = DESIGN
        .replace("feather_mm = 3.0\n", "feather_mm = 3.0\nshape = \"stroke\"\n")
        .replace("size_variation = 0.15\n", "size_variation = 0.15\nstroke_length_mm = 1.5\n")
        + "[[growth]]\nat = [200, 300]\ntowards = [200, 200]\n";
    let dir = workspace(&strokes);
    let o = smp(&["render", "design.toml", "--out", "r.png", "--impressions", "i.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = fs::read_to_string(dir.path().join("i.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("x_px,y_px,diameter_mm,zone,session,shape,angle_deg,length_mm"));
    for line in lines.take(50) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols[5], "stroke", "{line}");
        // Growing up the photo: -90 degrees from +x (y down).
        assert!((cols[6].parse::<f64>().unwrap() + 90.0).abs() < 1.0, "{line}");
        assert!(cols[7].parse::<f64>().unwrap() > 0.5, "{line}");
    }
    // A design of dots keeps the file it always had.
    let dir = workspace(DESIGN);
    let o = smp(&["render", "design.toml", "--out", "r.png", "--impressions", "i.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = fs::read_to_string(dir.path().join("i.csv")).unwrap();
    assert!(csv.starts_with("x_px,y_px,diameter_mm,zone,session\n"));
    // A stroke wider than long is refused by name.
    let dir = workspace(
        &strokes.replace("stroke_length_mm = 1.5", "stroke_length_mm = 1.5\nstroke_width_mm = 2.0"),
    );
    let o = smp(&["render", "design.toml", "--out", "r.png"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("stroke_width_mm"), "{}", stderr(&o));
}

/// Killing `smp serve` while it sends a message, and starting it again,
/// sends nothing twice: the SMTP server (a real one, aiosmtpd) has taken
/// the message and waits before acknowledging it when the kill comes.
#[test]
fn killing_smp_serve_mid_send_sends_nothing_twice() {
    use std::io::BufRead;
    let mail = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let python = std::env::var("SMP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
    let mut sink = Command::new(&python)
        .arg(script)
        .args(["--port", &port.to_string(), "--delay", "6", "--folder"])
        .arg(mail.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufReader::new(sink.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert!(ready.starts_with("ready"), "the SMTP server did not start (pip install aiosmtpd): {ready:?}");
    let received = || {
        std::fs::read_dir(mail.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml"))
            .count()
    };

    let smtp = format!("smtp://127.0.0.1:{port}");
    let server = start_server_in(tempfile::tempdir().unwrap(), &["--smtp", &smtp]);
    let data = server._data.path().to_path_buf();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = smp_store::Store::open_in(&data).await.unwrap();
        let studio = store.studio(&store.first_studio().await.unwrap().unwrap());
        let settings = smp_store::MailSettings {
            smtp_url: None,
            from: "studio@example.org".into(),
            reply_to: None,
            reminder_hours: 48,
            enabled: true,
        };
        studio.save_mail_settings(&settings).await.unwrap();
        let message = smp_store::NewMessage {
            kind: "test".into(),
            key: "test:kill".into(),
            to: "owner@example.org".into(),
            subject: "Once".into(),
            body: "Once only.".into(),
            due_at: 0,
            unsubscribe_url: None,
        };
        studio.enqueue(None, &message).await.unwrap();
    });
    // The sender looks every 5 s: the server has it within 15.
    let start = std::time::Instant::now();
    while received() == 0 && start.elapsed() < std::time::Duration::from_secs(15) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(received(), 1, "the message reached the SMTP server");
    let data = server.kill();
    let again = start_server_in(data, &["--smtp", &smtp]);
    // Two of the sender's rounds, and the SMTP server's pause, later.
    std::thread::sleep(std::time::Duration::from_secs(12));
    assert_eq!(received(), 1, "sent once, not again after the restart");
    drop(again);
    let _ = sink.kill();
    let _ = sink.wait();
}

/// `smp report`: the consultation as a PDF of A4 pages (or Letter), every
/// page rendered to PNG by poppler's `pdftoppm` and looked at: the photos
/// where they belong, text in the margins' grid, the price from the file.
#[test]
fn the_consultation_report_is_a_pdf_with_the_simulation_the_plan_and_the_price() {
    let dir = workspace(DESIGN);
    fs::write(
        dir.path().join("prices.toml"),
        "currency = \"EUR\"\ntax_percent = 21\n[[price]]\ntreatment = \"full-head\"\nbasis = \"session\"\namount = \"450\"\n",
    )
    .unwrap();
    let args =
        ["report", "design.toml", "--out", "report.pdf", "--prices", "prices.toml", "--client", "Marta Ruiz"];
    let o = smp(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let pdf = fs::read(dir.path().join("report.pdf")).unwrap();
    assert!(
        pdf.starts_with(b"%PDF-") && pdf.windows(9).any(|w| w == b"/FontFile"),
        "a PDF with its fonts embedded"
    );
    // Every page as PNG at 50 dpi: A4 is 8.27 x 11.69 in.
    let pages = Command::new("pdftoppm")
        .args(["-r", "50", "-png", "report.pdf", "page"])
        .current_dir(dir.path())
        .status();
    assert!(pages.is_ok_and(|s| s.success()), "pdftoppm (poppler-utils) renders the pages");
    let pngs: Vec<PathBuf> = files_in(dir.path())
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name().unwrap().to_string_lossy().starts_with("page")
        })
        .collect();
    assert!((2..=4).contains(&pngs.len()), "{} pages", pngs.len());
    let first = image::open(&pngs[0]).unwrap().to_rgb8();
    assert_eq!(first.dimensions(), (414, 585), "A4 at 50 dpi");
    // The margins stay white; the photos (skin-coloured) sit inside them.
    let white = |x: u32, y: u32| first.get_pixel(x, y).0.iter().all(|&c| c > 245);
    assert!((0..first.height()).all(|y| white(10, y) && white(first.width() - 10, y)), "clear side margins");
    let skin =
        first.enumerate_pixels().filter(|(_, _, p)| p[0] > 150 && p[0] as u16 > p[2] as u16 + 30).count();
    assert!(skin > 10_000, "the before and healed photos on the first page ({skin} skin pixels)");
    // The price from the file, with its tax, in the text.
    let text = Command::new("pdftotext").args(["report.pdf", "-"]).current_dir(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Consultation for Marta Ruiz") && text.contains("Total"), "{text}");
    assert!(text.contains("EUR") && text.contains("Tax (21.0 %)"), "{text}");
    // Without an intake, the instructions for every client before a session.
    assert!(text.contains("Before each session") && text.contains("clean, dry scalp"), "{text}");
    // With the studio's logo (its transparency kept, as a soft mask) and
    // the client's intake: its instructions, never its answers.
    let mut logo = image::RgbaImage::new(240, 80);
    logo.pixels_mut()
        .enumerate()
        .for_each(|(i, p)| *p = image::Rgba([20, 40, 120, (i % 240 < 120) as u8 * 255]));
    logo.save(dir.path().join("logo.png")).unwrap();
    fs::write(
        dir.path().join("intake.toml"),
        INTAKE.replace("allergies = [\"lidocaine\"]", "allergies = []"),
    )
    .unwrap();
    let args = ["report", "design.toml", "--out", "own.pdf", "--logo", "logo.png", "--intake", "intake.toml"];
    let o = smp(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let images =
        Command::new("pdfimages").args(["-list", "own.pdf"]).current_dir(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&images.stdout).contains("smask"), "the logo with its transparency");
    let own = Command::new("pdftotext").args(["own.pdf", "-"]).current_dir(dir.path()).output().unwrap();
    let own = String::from_utf8_lossy(&own.stdout);
    assert!(own.contains("Before each session") && !own.contains("isotretinoin"), "{own}");
    let o = smp(&["report", "design.toml", "--out", "x.pdf", "--logo", "prices.toml"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("prices.toml"), "{}", stderr(&o));
    // US Letter on request; a wrong name for the output is said at once.
    let o = smp(&["report", "design.toml", "--out", "letter.pdf", "--paper", "letter"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = smp(&["report", "design.toml", "--out", "report.png"], dir.path());
    assert!(!o.status.success() && stderr(&o).contains("PDF"), "{}", stderr(&o));
}
