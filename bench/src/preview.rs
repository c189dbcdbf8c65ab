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

pub fn measure(runs: usize) -> Result<PreviewTimes> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
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

        // Upload a 12 MP photo (a scalp tone with shading) as a tablet would.
        let photo = smp_render::synthetic::scalp_photo(PHOTO_WIDTH, PHOTO_HEIGHT, [196, 150, 124], 3);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&photo)?;
        let boundary = "bench-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"angle\"\r\n\r\ntop\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"top.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n",
            session.csrf
        )
        .into_bytes();
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let upload = Request::post(format!("/clients/{}/photos", client.id))
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))?;
        let (status, _) = send(&app, upload).await?;
        anyhow::ensure!(status == 303, "the upload answered {status}");
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
