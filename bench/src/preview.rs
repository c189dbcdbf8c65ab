//! The design editor's live preview, measured as the editor sees it: an
//! in-process HTTP request to the app (the same router `smp serve` runs)
//! from the change to the last byte of the JPEG, on a 12-megapixel photo
//! uploaded through the app itself.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{Request, header};
use smp_store::{ClientFields, Role, Store};
use smp_web::{AppState, SESSION_COOKIE, router};
use tower::ServiceExt;

/// What the measurement found.
pub struct PreviewTimes {
    /// Median time of a preview request after a change of the drawing.
    pub median: Duration,
    /// Median time after a move of the stage slider (the pattern is kept).
    pub stage_median: Duration,
    /// Requests measured.
    pub runs: usize,
    /// Impressions in the design previewed.
    pub impressions: usize,
}

const PHOTO_WIDTH: u32 = 4000;
const PHOTO_HEIGHT: u32 = 3000;

async fn send(app: &axum::Router, req: Request<Body>) -> Result<(u16, Vec<u8>)> {
    let res = app.clone().oneshot(req).await?;
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20).await?;
    Ok((status, body.to_vec()))
}

/// The app on a fresh store with one practitioner logged in and one
/// client.
struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    studio: smp_store::StudioId,
    csrf: String,
    client: smp_store::Client,
    app: axum::Router,
    cookie: String,
}

impl Bench {
    async fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let store = Store::open_in(dir.path()).await?;
        let studio = store.create_studio("Bench").await?;
        let user = store.create_user(&studio, "bench", Role::Practitioner, "bench password", false).await?;
        let session = store.start_session(&user, 1).await?;
        let client = store
            .studio(&studio)
            .create_client(&user, &ClientFields { full_name: "Bench".into(), ..Default::default() })
            .await?;
        let app = router(AppState::new(store.clone(), dir.path()));
        let cookie = format!("{SESSION_COOKIE}={}", session.token);
        Ok(Self { _dir: dir, store, studio, csrf: session.csrf, client, app, cookie })
    }
}

/// Uploads `photo` to the client's chart as the app's upload form does.
async fn upload(
    app: &axum::Router,
    cookie: &str,
    csrf: &str,
    client_id: &str,
    angle: &str,
    photo: &image::RgbImage,
) -> Result<()> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(photo)?;
    let boundary = "bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"angle\"\r\n\r\n{angle}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{angle}.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let upload = Request::post(format!("/clients/{client_id}/photos"))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))?;
    let (status, _) = send(app, upload).await?;
    anyhow::ensure!(status == 303, "the upload answered {status}");
    Ok(())
}

/// The head editor's preview (a design on the head, schema 2): two 12 MP
/// photos of one head (the head model ray-cast from a top and a front
/// camera), the points tapped on both, a zone over the top drawn on the
/// top photo, previewed on the front one; each request a change of the
/// zone's density. Returns the median and the impressions on the head.
pub fn measure_head(runs: usize) -> Result<(Duration, usize)> {
    use glam::DVec3;
    use smp_core::head::{Head, HeadMeasurements, Landmark};
    use smp_core::pose::{Camera, initial_rotation};
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let Bench { _dir, store, studio, csrf, client, app, cookie } = Bench::new().await?;
        let head = Head::from_measurements(&HeadMeasurements::TYPICAL)?;
        let cameras = [
            ("top", Camera { rotation: initial_rotation(smp_core::View::Top), scale: 14.0, offset: [2000.0, 1500.0] }),
            ("front", Camera { rotation: initial_rotation(smp_core::View::Front), scale: 16.0, offset: [2000.0, 2500.0] }),
        ];
        let mut marks: Vec<(&str, DVec3)> = vec![
            ("glabella", head.landmark(Landmark::Glabella)),
            ("right_ear", head.landmark(Landmark::RightEar)),
            ("left_ear", head.landmark(Landmark::LeftEar)),
        ];
        for (name, d) in [("frontal", DVec3::new(0.0, 0.8, 0.6)), ("right_temple", DVec3::new(0.55, 0.6, 0.58)), ("left_temple", DVec3::new(-0.55, 0.6, 0.58))] {
            marks.push((name, head.surface_toward(d.normalize())));
        }
        let mut points = serde_json::Map::new();
        for (angle, camera) in &cameras {
            let photo = smp_render::synthetic::head_photo(PHOTO_WIDTH, PHOTO_HEIGHT, &head, camera, [196, 150, 124], 3);
            upload(&app, &cookie, &csrf, &client.id, angle, &photo).await?;
            let photos = store.studio(&studio).photos(&client.id).await?;
            let id = photos.first().context("no photo")?.id.clone();
            let seen: serde_json::Map<String, serde_json::Value> =
                marks.iter().map(|(name, at)| (name.to_string(), serde_json::json!(camera.project(*at)))).collect();
            points.insert(id, serde_json::Value::Object(seen));
        }
        let photos = store.studio(&studio).photos(&client.id).await?;
        let (front, top) = (photos[0].id.clone(), photos[1].id.clone());
        // A zone over the top of the head, 18 x 20 cm as the top photo shows it.
        let zone: Vec<[f64; 2]> = [[-90.0, -100.0], [90.0, -100.0], [90.0, 100.0], [-90.0, 100.0]]
            .iter()
            .map(|[x, y]| [2000.0 + 14.0 * x, 1500.0 - 14.0 * y])
            .collect();
        let request = |density: usize| -> Result<Request<Body>> {
            let drawing = serde_json::json!({
                "points": points,
                "zones": [{ "on": top, "points": zone, "density": density.to_string() }],
            });
            let body: String = [("drawing", drawing.to_string()), ("diameter_mm", "0.45".into()), ("stage", "healed".into())]
                .iter()
                .map(|(k, v)| format!("{k}={}", percent(v)))
                .collect::<Vec<_>>()
                .join("&");
            Ok(Request::post(format!("/clients/{}/head-design/preview/{front}", client.id))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))?)
        };
        let (status, body) = send(&app, request(60)?).await?;
        anyhow::ensure!(status == 200, "the head preview answered {status}: {}", String::from_utf8_lossy(&body));
        let mut times = Vec::new();
        for i in 0..runs {
            let req = request(61 + i)?;
            let start = Instant::now();
            let (status, _) = send(&app, req).await?;
            times.push(start.elapsed());
            anyhow::ensure!(status == 200, "the head preview answered {status}");
        }
        times.sort();
        // The impressions on the head at the middle run's density.
        let fit = send(
            &app,
            Request::post(format!("/clients/{}/head-design/fit", client.id))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "drawing={}",
                    percent(
                        &serde_json::json!({ "points": points, "zones": [{ "on": top, "points": zone, "density": (61 + runs / 2).to_string() }] })
                            .to_string()
                    )
                )))?,
        )
        .await?;
        let answer: serde_json::Value = serde_json::from_slice(&fit.1)?;
        let impressions = answer["impressions"].as_u64().context("the fit names no impressions")? as usize;
        Ok((times[times.len() / 2], impressions))
    })
}

/// Form-encodes a value.
fn percent(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn measure(runs: usize) -> Result<PreviewTimes> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let Bench { _dir, store, studio, csrf, client, app, cookie } = Bench::new().await?;

        // Upload a 12 MP photo (a scalp tone with shading) as a tablet would.
        let photo = smp_render::synthetic::scalp_photo(PHOTO_WIDTH, PHOTO_HEIGHT, [196, 150, 124], 3);
        upload(&app, &cookie, &csrf, &client.id, "top", &photo).await?;
        let photo_id = store.studio(&studio).photos(&client.id).await?.first().context("no photo")?.id.clone();

        // A top view 25 cm across: a front zone of about 16 x 11 cm with a
        // soft hairline, at 60 per cm2.
        let drawing = "scale_from=200%2C2900&scale_to=3800%2C2900&scale_mm=225\
                       &hairline=500%2C700+1400%2C450+2000%2C400+2600%2C450+3500%2C700\
                       &zone=400%2C380+3600%2C380+3600%2C2300+400%2C2300&style=soft&diameter_mm=0.45&stage=healed";
        let request = |body: String| -> Result<Request<Body>> {
            Ok(Request::post(format!("/clients/{}/photos/{photo_id}/preview", client.id))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))?)
        };
        let preview = |density: usize| request(format!("{drawing}&density={density}"));
        // The first request makes the screen copy of older photos; uploads
        // make it already, so this only warms the caches.
        let (status, _) = send(&app, preview(60)?).await?;
        anyhow::ensure!(status == 200, "the preview answered {status}");
        let mut times = Vec::new();
        for i in 0..runs {
            // Each request is a change: another density.
            let req = preview(61 + i)?;
            let start = Instant::now();
            let (status, bytes) = send(&app, req).await?;
            times.push(start.elapsed());
            anyhow::ensure!(status == 200 && bytes.len() > 1000, "the preview answered {status}");
        }
        times.sort();
        // Moves of the stage slider over the last drawing.
        let mut stage_times = Vec::new();
        for i in 0..runs {
            let stage = ["session-1", "session-2", "session-3", "years%3A1", "years%3A5"][i % 5];
            let body = format!("{}&density={}", drawing.replace("stage=healed", &format!("stage={stage}")), 60 + runs);
            let req = request(body)?;
            let start = Instant::now();
            let (status, _) = send(&app, req).await?;
            stage_times.push(start.elapsed());
            anyhow::ensure!(status == 200, "the preview answered {status}");
        }
        stage_times.sort();
        // Impressions at the density of the middle run, for the table.
        let design_text = format!(
            "schema = 1\nseed = 1\n[photo]\npath = \"p.jpg\"\nview = \"top\"\n\
             scale = {{ from = [200, 2900], to = [3800, 2900], mm = 225 }}\n[client]\nfitzpatrick = 3\n\
             hair_color = \"#2a221d\"\n[hairline]\nstyle = \"soft\"\n\
             points = [[500, 700], [1400, 450], [2000, 400], [2600, 450], [3500, 700]]\ntransition_mm = 8\n\
             [[zones]]\nname = \"z\"\npolygon = [[400, 380], [3600, 380], [3600, 2300], [400, 2300]]\n\
             density = {}\nfeather_mm = 4\n[impressions]\ndiameter_mm = 0.45\nsize_variation = 0.15\n\
             [pigment]\ndilution = 0.6\ndepth_mm = 0.35\n",
            61 + runs / 2
        );
        let impressions = smp_pattern::Pattern::generate(&smp_core::design::parse(&design_text)?).impressions.len();
        Ok(PreviewTimes {
            median: times[times.len() / 2],
            stage_median: stage_times[stage_times.len() / 2],
            runs,
            impressions,
        })
    })
}
