//! The fault run: a real `smp serve` (the release binary) killed with
//! SIGKILL in the middle of saves, uploads and consent signings, round
//! after round, then restarted; and `smp backup` killed mid-copy. Checked
//! afterwards, on the data folder itself: every save the server had
//! acknowledged (answered 303) is there, every photo on record has its files
//! and they decode whole, the database passes SQLite's integrity check, and
//! no interrupted backup looks finished.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::http::{Request, header};
use hyper_util::rt::TokioIo;

/// Kill-and-restart rounds.
const ROUNDS: usize = 8;
/// Staff saving at once in each round.
const WRITERS: usize = 6;

/// What the fault run found.
pub struct FaultReport {
    /// Rounds of SIGKILL under load.
    pub rounds: usize,
    /// Saves answered as done before a kill.
    pub acknowledged: usize,
    /// Of those, missing after the restarts.
    pub lost: usize,
    /// Photo records whose files are missing or do not decode whole.
    pub broken_photos: usize,
    /// Whether the database passed SQLite's integrity check.
    pub database_sound: bool,
    /// Backups killed mid-copy, and how many of them left a folder that
    /// looked finished (should be none).
    pub backups_killed: usize,
    /// Interrupted backups that looked finished.
    pub backups_half_done: usize,
}

/// `smp serve` on `addr` over `data`, once it answers.
fn start(smp: &Path, data: &Path, addr: SocketAddr) -> Result<Child> {
    let mut child = Command::new(smp)
        .args(["serve", "--addr", &addr.to_string(), "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start smp serve")?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    bail!("smp serve did not listen on {addr}")
}

/// One HTTP/1.1 request on a new connection: (status, Location, Set-Cookie, body).
async fn send(addr: SocketAddr, request: Request<Body>) -> Result<(u16, String, Vec<String>, String)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let location =
        response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .collect();
    let body = axum::body::to_bytes(Body::new(response.into_body()), 8 << 20).await?;
    Ok((status, location, cookies, String::from_utf8_lossy(&body).into_owned()))
}

fn post(uri: &str, cookie: &str, kind: &str, body: Vec<u8>) -> Result<Request<Body>> {
    Ok(Request::post(uri)
        .header(header::HOST, "faults")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, kind)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))?)
}

fn get(uri: &str, cookie: &str) -> Result<Request<Body>> {
    Ok(Request::get(uri).header(header::HOST, "faults").header(header::COOKIE, cookie).body(Body::empty())?)
}

/// Logs in as `name`: the session cookie and the forms' CSRF token.
async fn log_in(addr: SocketAddr, name: &str, password: &str) -> Result<(String, String)> {
    let (_, _, cookies, page) = send(addr, get("/login", "")?).await?;
    let form_cookie = cookies.first().context("the login form's cookie")?.clone();
    let csrf = form_cookie.split_once('=').context("a cookie")?.1.to_string();
    anyhow::ensure!(page.contains(&csrf), "the login form carries its token");
    let body = format!("csrf={csrf}&name={name}&password={}", password.replace(' ', "+"));
    let (status, _, cookies, _) =
        send(addr, post("/login", &form_cookie, "application/x-www-form-urlencoded", body.into_bytes())?)
            .await?;
    anyhow::ensure!(status == 303, "the login answered {status}");
    let session = cookies.into_iter().find(|c| c.starts_with("smp_session=")).context("a session cookie")?;
    let (_, _, _, clients) = send(addr, get("/clients", &session)?).await?;
    let csrf = clients
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("a CSRF token on the clients page")?
        .to_string();
    Ok((session, csrf))
}

/// A drawn signature as the pad sends it, form-encoded.
fn signature() -> Result<String> {
    use base64::Engine;
    let mut pad = image::RgbaImage::new(400, 120);
    for x in 30..370u32 {
        let y = 60 + ((x as f32 / 17.0).sin() * 25.0) as u32;
        pad.put_pixel(x, y, image::Rgba([17, 17, 17, 255]));
        pad.put_pixel(x, y + 1, image::Rgba([17, 17, 17, 255]));
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        pad.as_raw(),
        400,
        120,
        image::ExtendedColorType::Rgba8,
    )?;
    let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
    Ok(url
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
        .replace(':', "%3A")
        .replace(';', "%3B")
        .replace(',', "%2C"))
}

/// What one writer had acknowledged, per kind.
#[derive(Default)]
struct Acks {
    intakes: AtomicUsize,
    consents: AtomicUsize,
    photos: AtomicUsize,
}

/// One member of staff saving as fast as the server answers until it dies.
async fn writer(
    addr: SocketAddr,
    session: String,
    csrf: String,
    chart: String,
    jpeg: Arc<Vec<u8>>,
    acks: Arc<Acks>,
) {
    let Ok(signature) = signature() else { return };
    let Ok(request) = get(&format!("{chart}/consent"), &session) else { return };
    let consent_page = match send(addr, request).await {
        Ok((_, _, _, page)) => page,
        Err(_) => return,
    };
    let Some(text_id) =
        consent_page.split("name=\"text_id\" value=\"").nth(1).and_then(|s| s.split('"').next())
    else {
        return;
    };
    let text_id = text_id.to_string();
    for step in 0usize.. {
        let form = "application/x-www-form-urlencoded";
        let (request, counter) = match step % 3 {
            0 => (
                post(
                    &format!("{chart}/intake"),
                    &session,
                    form,
                    format!(
                        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&allergy_latex=on"
                    )
                    .into_bytes(),
                ),
                &acks.intakes,
            ),
            1 => (
                post(
                    &format!("{chart}/consent"),
                    &session,
                    form,
                    format!(
                        "csrf={csrf}&text_id={text_id}&agree=on&signed_name=Kim+Client&signature={signature}"
                    )
                    .into_bytes(),
                ),
                &acks.consents,
            ),
            _ => {
                let (kind, body) = crate::load::multipart_photo(&csrf, &jpeg);
                (post(&format!("{chart}/photos"), &session, &kind, body), &acks.photos)
            }
        };
        let Ok(request) = request else { return };
        match send(addr, request).await {
            Ok((303, ..)) => {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            // Killed: the connection breaks; what was not acknowledged may
            // or may not be there.
            _ => return,
        }
    }
}

/// Runs the fault rounds with the `smp` binary at `smp`.
pub fn run(smp: &Path) -> Result<FaultReport> {
    let work = tempfile::tempdir()?;
    let data = work.path().join("data");
    let mut add = Command::new(smp)
        .args(["user", "add", "kim", "--role", "practitioner", "--password-stdin", "--data"])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    std::io::Write::write_all(add.stdin.as_mut().context("stdin")?, b"a long password\n")?;
    anyhow::ensure!(add.wait()?.success(), "smp user add failed");
    let photo = smp_render::synthetic::scalp_photo(1600, 1200, [196, 150, 124], 5);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88).encode_image(&photo)?;
    let jpeg = Arc::new(jpeg);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Per client: what was acknowledged for it.
    let mut expected: Vec<(String, Arc<Acks>)> = Vec::new();
    let mut acknowledged = 0;
    for round in 0..ROUNDS {
        let mut server = start(smp, &data, addr)?;
        let outcome = rt.block_on(async {
            let (session, csrf) = log_in(addr, "kim", "a long password").await?;
            let mut clients = Vec::new();
            let mut writers = Vec::new();
            for w in 0..WRITERS {
                let body = format!("csrf={csrf}&full_name=Client+{round}-{w}").into_bytes();
                let (status, chart, ..) =
                    send(addr, post("/clients", &session, "application/x-www-form-urlencoded", body)?)
                        .await?;
                anyhow::ensure!(status == 303, "creating a client answered {status}");
                let acks = Arc::new(Acks::default());
                clients.push((chart.rsplit('/').next().unwrap_or_default().to_string(), Arc::clone(&acks)));
                writers.push(tokio::spawn(writer(
                    addr,
                    session.clone(),
                    csrf.clone(),
                    chart,
                    Arc::clone(&jpeg),
                    acks,
                )));
            }
            // Kill at a different moment each round, mid-work.
            tokio::time::sleep(Duration::from_millis(400 + 230 * round as u64)).await;
            anyhow::Ok((clients, writers))
        });
        // SIGKILL: no graceful shutdown, nothing flushed on the way out.
        server.kill()?;
        server.wait()?;
        let (clients, writers) = outcome?;
        rt.block_on(async {
            for w in writers {
                let _ = w.await;
            }
        });
        for (_, acks) in &clients {
            acknowledged += acks.intakes.load(Ordering::SeqCst)
                + acks.consents.load(Ordering::SeqCst)
                + acks.photos.load(Ordering::SeqCst);
        }
        expected.extend(clients);
    }
    // One clean start after the last kill, as a studio would restart it.
    let mut server = start(smp, &data, addr)?;
    server.kill()?;
    server.wait()?;

    let (lost, broken_photos, database_sound) = rt.block_on(check(&data, &expected))?;
    let (backups_killed, backups_half_done) = kill_backups(smp, &data, work.path())?;
    Ok(FaultReport {
        rounds: ROUNDS,
        acknowledged,
        lost,
        broken_photos,
        database_sound,
        backups_killed,
        backups_half_done,
    })
}

/// Compares what the data folder holds with what was acknowledged.
async fn check(data: &Path, expected: &[(String, Arc<Acks>)]) -> Result<(usize, usize, bool)> {
    let store = smp_store::Store::open_read_only_in(data).await?;
    let studio = store.first_studio().await?.context("a studio")?;
    let studio_store = store.studio(&studio);
    let mut lost = 0;
    let mut broken = 0;
    for (client, acks) in expected {
        let have = (
            studio_store.screenings(client).await?.len(),
            studio_store.consents(client).await?.len(),
            studio_store.photos(client).await?.len(),
        );
        let want = (
            acks.intakes.load(Ordering::SeqCst),
            acks.consents.load(Ordering::SeqCst),
            acks.photos.load(Ordering::SeqCst),
        );
        lost += want.0.saturating_sub(have.0) + want.1.saturating_sub(have.1) + want.2.saturating_sub(have.2);
        for photo in studio_store.photos(client).await? {
            let folder = data.join("photos").join(&studio.0);
            for name in [
                format!("{}.jpg", photo.id),
                format!("{}.thumb.jpg", photo.id),
                format!("{}.screen.jpg", photo.id),
            ] {
                if smp_render::load_photo(&folder.join(name)).is_err() {
                    broken += 1;
                }
            }
        }
    }
    let sound = store.integrity_ok().await?;
    store.close().await;
    Ok((lost, broken, sound))
}

/// Kills `smp backup` at several moments of its copy; a folder under the
/// final name must then be a whole backup (or absent).
fn kill_backups(smp: &Path, data: &Path, work: &Path) -> Result<(usize, usize)> {
    let mut half_done = 0;
    let delays = [5u64, 20, 60, 150];
    for (i, delay) in delays.iter().enumerate() {
        let dest: PathBuf = work.join(format!("backup-{i}"));
        let mut child = Command::new(smp)
            .args(["backup"])
            .arg(&dest)
            .arg("--data")
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(*delay) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = child.kill();
        child.wait()?;
        if dest.exists() {
            // Finished before the kill: it must be whole.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let whole = rt.block_on(async {
                let copy = smp_store::Store::open_read_only_in(&dest).await?;
                let ok = copy.integrity_ok().await?;
                copy.close().await;
                anyhow::Ok(ok)
            })?;
            if !whole {
                half_done += 1;
            }
        }
    }
    Ok((delays.len(), half_done))
}

/// What restarting PostgreSQL under load found.
pub struct RestartReport {
    /// Staff reading charts throughout.
    pub readers: usize,
    /// How long the restart command took (the database away).
    pub restart: Duration,
    /// From the database being back to the app's next good answer.
    pub back_after: Option<Duration>,
    /// Requests answered with an error while the database was away.
    pub failed: usize,
    /// Requests that got no answer within [`ANSWER_WITHIN`].
    pub hung: usize,
    /// Requests answered well, before and after.
    pub answered: usize,
}

/// A request without an answer in this time counts as hung.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Restarts the PostgreSQL server under a running `smp serve` (the release
/// binary at `smp`, on the database at `url`) while staff read charts, with
/// the shell command `restart`; the app must answer again within seconds of
/// the database's return, by itself.
pub fn restart_postgres(smp: &Path, url: &str, restart: &str) -> Result<RestartReport> {
    const READERS: usize = 10;
    let work = tempfile::tempdir()?;
    let mut add = Command::new(smp)
        .args(["user", "add", "kim", "--role", "practitioner", "--password-stdin", "--database", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    std::io::Write::write_all(add.stdin.as_mut().context("stdin")?, b"a long password\n")?;
    anyhow::ensure!(add.wait()?.success(), "smp user add failed");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Command::new(smp)
        .args(["serve", "--addr", &addr.to_string(), "--database", url, "--data"])
        .arg(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start smp serve")?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let outcome = rt.block_on(async {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let (session, csrf) = log_in(addr, "kim", "a long password").await?;
        let body = format!("csrf={csrf}&full_name=Ivy+Reads").into_bytes();
        let (status, chart, ..) =
            send(addr, post("/clients", &session, "application/x-www-form-urlencoded", body)?).await?;
        anyhow::ensure!(status == 303, "creating a client answered {status}");
        let started = Instant::now();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..READERS {
            let (session, chart, stop) = (session.clone(), chart.clone(), Arc::clone(&stop));
            readers.push(tokio::spawn(async move {
                // (when it was asked, relative to the start; answered well; answered at all)
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let at = started.elapsed();
                    let Ok(request) = get(&chart, &session) else { break };
                    match tokio::time::timeout(ANSWER_WITHIN, send(addr, request)).await {
                        Ok(Ok((200, ..))) => outcomes.push((at, true, true)),
                        Ok(_) => {
                            outcomes.push((at, false, true));
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(_) => outcomes.push((at, false, false)),
                    }
                }
                outcomes
            }));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let down = started.elapsed();
        let command = restart.to_string();
        let status =
            tokio::task::spawn_blocking(move || Command::new("sh").args(["-c", &command]).status()).await??;
        anyhow::ensure!(status.success(), "the restart command {restart:?} failed");
        let up = started.elapsed();
        tokio::time::sleep(Duration::from_secs(8)).await;
        stop.store(true, Ordering::SeqCst);
        let mut outcomes = Vec::new();
        for reader in readers {
            outcomes.extend(reader.await?);
        }
        anyhow::Ok((down, up, outcomes))
    });
    server.kill()?;
    server.wait()?;
    let (down, up, outcomes) = outcome?;
    let back = outcomes.iter().filter(|(at, ok, _)| *ok && *at >= up).map(|(at, ..)| *at).min();
    Ok(RestartReport {
        readers: READERS,
        restart: up - down,
        back_after: back.map(|at| at - up),
        failed: outcomes.iter().filter(|(_, ok, answered)| !ok && *answered).count(),
        hung: outcomes.iter().filter(|(_, _, answered)| !answered).count(),
        answered: outcomes.iter().filter(|(_, ok, _)| *ok).count(),
    })
}
