//! The load run: 50 staff at once against the app served on a real port
//! (the same router and listening loop `smp serve` runs), each looping over
//! what a busy studio does: search, open a chart, save an intake, save a
//! design, preview it, now and then upload a photo. Each staff member works
//! through one kept-alive connection, as a tablet does. Reported: errors,
//! p50 and p99 per route, previews per second; on SQLite and on PostgreSQL.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{Request, header};
use hyper_util::rt::TokioIo;
use smp_store::{ClientFields, Role, Store};
use smp_web::{AppState, SESSION_COOKIE};

/// Staff working at once.
pub const STAFF: usize = 50;
/// How long the load lasts.
const DURATION: Duration = Duration::from_secs(20);

/// What one load run found.
pub struct LoadReport {
    /// Which database.
    pub backend: &'static str,
    /// Requests answered with an error (or not at all), and a sample.
    pub errors: usize,
    /// The first few errors, as "route: status".
    pub error_samples: Vec<String>,
    /// Per route: (requests, p50, p99).
    pub routes: BTreeMap<&'static str, (usize, Duration, Duration)>,
    /// Previews answered per second over the run.
    pub previews_per_second: f64,
}

#[derive(Default)]
struct Tally {
    times: BTreeMap<&'static str, Vec<Duration>>,
    errors: Vec<String>,
}

/// One staff member's connection.
struct Tablet {
    addr: SocketAddr,
    sender: Option<hyper::client::conn::http1::SendRequest<Body>>,
    cookie: String,
}

impl Tablet {
    async fn send(&mut self, request: Request<Body>) -> Result<(u16, Vec<u8>)> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(self.addr).await?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().context("connected")?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(Body::new(response.into_body()), 64 << 20).await?;
        Ok((status, body.to_vec()))
    }

    fn get(&self, uri: &str) -> Result<Request<Body>> {
        Ok(Request::get(uri)
            .header(header::HOST, "bench")
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())?)
    }

    fn post(&self, uri: &str, kind: &str, body: Vec<u8>) -> Result<Request<Body>> {
        Ok(Request::post(uri)
            .header(header::HOST, "bench")
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, kind)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))?)
    }
}

/// A photo upload form as a tablet sends it: (content type, body).
pub(crate) fn multipart_photo(csrf: &str, jpeg: &[u8]) -> (String, Vec<u8>) {
    let boundary = "load-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"angle\"\r\n\r\ntop\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"top.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const FORM: &str = "application/x-www-form-urlencoded";
/// The editor's drawing on a 1600 x 1200 photo 20 cm across.
const DRAWING: &str = "scale_from=100%2C1100&scale_to=1500%2C1100&scale_mm=175\
     &hairline=200%2C300+800%2C180+1400%2C300&zone=150%2C200+1450%2C200+1450%2C1000+150%2C1000\
     &style=soft&diameter_mm=0.45";

/// What one staff member works on: their tablet, the form token, and the
/// chart, editor and preview addresses of their client.
struct Desk {
    tablet: Tablet,
    csrf: String,
    chart: String,
    editor: String,
    preview: String,
}

/// Uploads the client's first photo (before the clock starts) and returns
/// the staff member's desk.
async fn prepare(
    mut tablet: Tablet,
    csrf: String,
    client: String,
    jpeg: &[u8],
    store: Store,
    studio: smp_store::StudioId,
) -> Result<Desk> {
    let chart = format!("/clients/{client}");
    let (kind, body) = multipart_photo(&csrf, jpeg);
    let (status, _) = tablet.send(tablet.post(&format!("{chart}/photos"), &kind, body)?).await?;
    anyhow::ensure!(status == 303, "the first upload answered {status}");
    let photo = store.studio(&studio).photos(&client).await?.first().context("no photo")?.id.clone();
    let editor = format!("{chart}/photos/{photo}/design");
    let preview = format!("{chart}/photos/{photo}/preview");
    Ok(Desk { tablet, csrf, chart, editor, preview })
}

/// One staff member's loop until `until`.
async fn staff_member(
    desk: Desk,
    jpeg: Arc<Vec<u8>>,
    until: Instant,
    tally: Arc<Mutex<Tally>>,
) -> Result<()> {
    let Desk { mut tablet, csrf, chart, editor, preview } = desk;
    let mut step = 0usize;
    while Instant::now() < until {
        step += 1;
        let (route, request, ok): (&'static str, Request<Body>, u16) = match step % 10 {
            0 => {
                let (kind, body) = multipart_photo(&csrf, &jpeg);
                ("upload photo", tablet.post(&format!("{chart}/photos"), &kind, body)?, 303)
            }
            1 | 5 => ("search", tablet.get("/clients?q=Client+1")?, 200),
            2 | 6 => ("chart", tablet.get(&chart)?, 200),
            3 => {
                let intake = format!(
                    "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&allergy_latex=on"
                );
                ("save intake", tablet.post(&format!("{chart}/intake"), FORM, intake.into_bytes())?, 303)
            }
            4 | 8 => {
                let body = format!("{DRAWING}&density={}&stage=healed", 40 + step % 30);
                ("preview", tablet.post(&preview, FORM, body.into_bytes())?, 200)
            }
            _ => {
                let body = format!("csrf={csrf}&{DRAWING}&density={}", 40 + step % 30);
                ("save design", tablet.post(&editor, FORM, body.into_bytes())?, 303)
            }
        };
        let start = Instant::now();
        let answer = tablet.send(request).await;
        let took = start.elapsed();
        let mut tally = tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match answer {
            Ok((status, _)) if status == ok => tally.times.entry(route).or_default().push(took),
            Ok((status, body)) => {
                let text: String = String::from_utf8_lossy(&body).chars().take(120).collect();
                tally.errors.push(format!("{route}: {status} {text}"));
            }
            Err(e) => tally.errors.push(format!("{route}: {e}")),
        }
    }
    Ok(())
}

/// Runs the load against a fresh store at `url` (a fresh folder's SQLite
/// when `None`).
pub fn run(backend: &'static str, url: Option<&str>) -> Result<LoadReport> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let store = match url {
            None => Store::open_in(dir.path()).await?,
            Some(url) => Store::open(url).await?,
        };
        let studio = store.create_studio("Load").await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server =
            tokio::spawn(smp_web::serve_on(listener, AppState::new(store.clone(), dir.path()), async {
                let _ = stopped.await;
            }));
        // A 2-megapixel scalp photo, as a tablet's camera at a low setting.
        let photo = smp_render::synthetic::scalp_photo(1600, 1200, [196, 150, 124], 3);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88).encode_image(&photo)?;
        let jpeg = Arc::new(jpeg);
        let tally = Arc::new(Mutex::new(Tally::default()));
        let mut preparing = Vec::new();
        for i in 0..STAFF {
            let user = store
                .create_user(&studio, &format!("staff{i}"), Role::Practitioner, "a long password", false)
                .await?;
            let session = store.start_session(&user, 1).await?;
            let client = store
                .studio(&studio)
                .create_client(
                    &user,
                    &ClientFields { full_name: format!("Client {i}"), ..Default::default() },
                )
                .await?;
            let tablet = Tablet { addr, sender: None, cookie: format!("{SESSION_COOKIE}={}", session.token) };
            let (jpeg, store, studio) = (Arc::clone(&jpeg), store.clone(), studio.clone());
            preparing.push(tokio::spawn(async move {
                prepare(tablet, session.csrf, client.id, &jpeg, store, studio).await
            }));
        }
        let mut desks = Vec::new();
        for desk in preparing {
            desks.push(desk.await??);
        }
        // The clock starts once everyone is at their desk.
        let started = Instant::now();
        let until = started + DURATION;
        let members: Vec<_> = desks
            .into_iter()
            .map(|desk| tokio::spawn(staff_member(desk, Arc::clone(&jpeg), until, Arc::clone(&tally))))
            .collect();
        for member in members {
            member.await??;
        }
        let elapsed = started.elapsed();
        let _ = stop.send(());
        server.await??;
        let tally = Arc::try_unwrap(tally).map_err(|_| anyhow::anyhow!("the tally is still shared"))?;
        let tally = tally.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let previews = tally.times.get("preview").map_or(0, Vec::len);
        let routes = tally
            .times
            .into_iter()
            .map(|(route, mut times)| {
                times.sort();
                let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
                (route, (times.len(), at(0.5), at(0.99)))
            })
            .collect();
        Ok(LoadReport {
            backend,
            errors: tally.errors.len(),
            error_samples: tally.errors.into_iter().take(5).collect(),
            routes,
            previews_per_second: previews as f64 / elapsed.as_secs_f64(),
        })
    })
}
