//! What the HTTP suite's tests share: the app on a fresh database (SQLite,
//! or PostgreSQL and an S3-compatible bucket when the environment names
//! them), a small request builder, logins and the usual cast of staff.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

pub(crate) use axum::body::Body;
pub(crate) use axum::http::{Request, StatusCode, header};
pub(crate) use smp_store::{AuditAction, PhotoFiles, Role, Store, StudioId};
pub(crate) use smp_web::{AppState, SESSION_COOKIE, router};
pub(crate) use tower::ServiceExt;

/// A request being put together, sent when awaited:
/// `app.post(uri).by(&pia).form(&body).await`.
pub(crate) struct Call<'a> {
    app: &'a App,
    method: String,
    uri: String,
    cookie: Option<String>,
    body: Option<(String, Vec<u8>)>,
}

impl App {
    /// A GET of `uri`.
    pub(crate) fn get(&self, uri: &str) -> Call<'_> {
        self.request("GET", uri)
    }

    /// A POST to `uri`.
    pub(crate) fn post(&self, uri: &str) -> Call<'_> {
        self.request("POST", uri)
    }

    /// A request of any method.
    pub(crate) fn request(&self, method: &str, uri: &str) -> Call<'_> {
        Call { app: self, method: method.into(), uri: uri.into(), cookie: None, body: None }
    }
}

impl Call<'_> {
    /// Sent within the login whose session token this is.
    pub(crate) fn by(self, session_token: &str) -> Self {
        self.cookie(session_token)
    }

    /// With cookies: a session token alone, or whole cookies ("name=value").
    pub(crate) fn cookie(mut self, cookie: &str) -> Self {
        self.cookie = Some(cookie.into());
        self
    }

    /// With a URL-encoded form as the body.
    pub(crate) fn form(self, form: &str) -> Self {
        self.maybe_form(Some(form))
    }

    /// With a URL-encoded form as the body, when there is one.
    pub(crate) fn maybe_form(mut self, form: Option<&str>) -> Self {
        self.body = form.map(|f| ("application/x-www-form-urlencoded".to_string(), f.as_bytes().to_vec()));
        self
    }

    /// With a body of the given content type (`multipart` makes one).
    pub(crate) fn body(self, body: (String, Vec<u8>)) -> Self {
        self.maybe_body(Some(body))
    }

    /// With a body of the given content type, when there is one.
    pub(crate) fn maybe_body(mut self, body: Option<(String, Vec<u8>)>) -> Self {
        self.body = body;
        self
    }
}

impl<'a> IntoFuture for Call<'a> {
    type Output = Reply;
    type IntoFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            send_body(self.app, &self.method, &self.uri, self.cookie.as_deref(), self.body).await
        })
    }
}

pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) store: Store,
    /// Where the app keeps photos.
    pub(crate) files: PhotoFiles,
    /// The database's address, for a second instance on the same data.
    pub(crate) url: Option<String>,
    pub(crate) _dir: tempfile::TempDir,
}

/// The app on a fresh database: embedded SQLite, or PostgreSQL when
/// `SMP_WEB_TEST_DATABASE_URL` names a server (`scripts/test` runs this
/// suite once on each). On PostgreSQL every app gets a schema of its own.
/// Photos go to the data folder, or to a prefix of their own in an
/// S3-compatible bucket when `SMP_WEB_TEST_S3_URL` names one (as
/// `scripts/test` does for the PostgreSQL run: a chain's set-up).
pub(crate) async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let files = match std::env::var("SMP_WEB_TEST_S3_URL") {
        Ok(url) => {
            PhotoFiles::in_bucket(&format!("{url}/web-test-{}", uuid::Uuid::new_v4().simple())).unwrap()
        }
        Err(_) => PhotoFiles::in_folder(dir.path().join("photos")),
    };
    app_with(dir, files).await
}

/// The app with its photos in the data folder whatever the environment:
/// for the tests of the folder itself.
pub(crate) async fn local_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let files = PhotoFiles::in_folder(dir.path().join("photos"));
    app_with(dir, files).await
}

pub(crate) async fn app_with(dir: tempfile::TempDir, files: PhotoFiles) -> App {
    let (store, url) = match std::env::var("SMP_WEB_TEST_DATABASE_URL") {
        Err(_) => (Store::open_in(dir.path()).await.unwrap(), None),
        Ok(url) => {
            sqlx::any::install_default_drivers();
            let schema = format!("web_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::AnyPool::connect(&url).await.expect("SMP_WEB_TEST_DATABASE_URL is reachable");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
            let separator = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
            (Store::open(&url).await.unwrap(), Some(url))
        }
    };
    let router = router(state_of(&store, &dir, &files));
    App { router, store, files, url, _dir: dir }
}

/// A fresh app state (an instance's own caches and throttles) over the
/// same database and photo store.
pub(crate) fn state_of(store: &Store, dir: &tempfile::TempDir, files: &PhotoFiles) -> AppState {
    AppState::new(store.clone(), dir.path()).with_photo_files(files.clone())
}

impl App {
    /// Another app state on this app's database and photos.
    pub(crate) fn state(&self) -> AppState {
        state_of(&self.store, &self._dir, &self.files)
    }

    /// The names and bytes of a studio's stored files.
    pub(crate) async fn stored(&self, studio: &StudioId) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut stored = std::collections::BTreeMap::new();
        for file in self.files.list(studio).await.unwrap() {
            let bytes = self.files.get(studio, &file.name).await.unwrap().unwrap();
            stored.insert(file.name, bytes);
        }
        stored
    }
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    /// The first cookie set.
    pub(crate) cookie: Option<String>,
    /// Every cookie set.
    pub(crate) cookies: Vec<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) bytes: Vec<u8>,
    pub(crate) body: String,
}

/// Sends a request with a body of the given content type.
pub(crate) async fn send_body(
    app: &App,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: Option<(String, Vec<u8>)>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        // A session token alone, or whole cookies ("name=value").
        let cookie = if c.contains('=') { c.to_string() } else { format!("{SESSION_COOKIE}={c}") };
        req = req.header(header::COOKIE, cookie);
    }
    let req = match body {
        Some((kind, bytes)) => req
            .header(header::CONTENT_TYPE, kind)
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::from(bytes)),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let (parts, body) = app.router.clone().oneshot(req).await.unwrap().into_parts();
    let status = parts.status;
    let header =
        |name| parts.headers.get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_string());
    let (location, cookie, content_type, cache_control) = (
        header(header::LOCATION),
        header(header::SET_COOKIE),
        header(header::CONTENT_TYPE),
        header(header::CACHE_CONTROL),
    );
    let cookies =
        parts.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap().to_vec();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    if content_type.as_deref().is_some_and(|t| t.starts_with("text/html")) {
        assert_well_formed(uri, &body);
    }
    Reply { status, location, cookie, cookies, content_type, cache_control, bytes, body }
}

/// What every page the suite fetches must be: a plain-text title, and no
/// element id twice (a block pasted into the wrong template shows as both),
/// no inline style.
pub(crate) fn assert_well_formed(uri: &str, html: &str) {
    if let Some(start) = html.find("<title>") {
        let title = &html[start + 7..html[start..].find("</title>").map_or(start + 7, |end| start + end)];
        assert!(!title.contains('<'), "{uri}: markup in the title: {title}");
    }
    let mut seen = std::collections::HashSet::new();
    for id in html.split(" id=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(seen.insert(id), "{uri}: the id {id:?} appears twice");
    }
    // The Content-Security-Policy allows no inline style: one would not apply.
    assert!(!html.contains(" style=\"") && !html.contains("<style"), "{uri}: an inline style");
}

/// A multipart form: text fields, then the photo file under `name`.
pub(crate) fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    multipart_with(fields, "photo", file)
}

/// [`multipart`] with the file in the field `file_field`.
pub(crate) fn multipart_with(
    fields: &[(&str, &str)],
    file_field: &str,
    file: Option<(&str, &[u8])>,
) -> (String, Vec<u8>) {
    let boundary = "----smp-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A JPEG as a phone writes one: EXIF "rotate 90° clockwise" and a comment
/// naming where it was taken.
pub(crate) fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 90]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&image).unwrap();
    let mut app1 = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
    let comment = b"GPS 48.8584 N 2.2945 E".to_vec();
    let mut out = plain[..2].to_vec();
    for (marker, body) in [(0xE1u8, std::mem::take(&mut app1)), (0xFE, comment)] {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG whose header claims `width` x `height` pixels, without the pixels.
pub(crate) fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    pub(crate) fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    // IHDR, then the start of the pixel data the header promises, then the end.
    for chunk in [ihdr, b"IDAT\x78\x9c\x01\x00\x00".to_vec(), b"IEND".to_vec()] {
        out.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The login form's CSRF cookie ("smp_login=TOKEN") and its token.
pub(crate) async fn login_form(app: &App) -> (String, String) {
    let r = app.get("/login").await;
    let cookie = r.cookie.expect("the login form sets its CSRF cookie");
    let pair = cookie.split(';').next().unwrap().to_string();
    let token = pair.split_once('=').unwrap().1.to_string();
    assert!(r.body.contains(&format!("name=\"csrf\" value=\"{token}\"")), "{}", r.body);
    (pair, token)
}

/// The sign-in code of the studio where `name` has an account (the first,
/// should several have one; "unknown" where none has), as its staff would
/// type it: looked up around the app, which never tells.
pub(crate) async fn code_of(app: &App, name: &str) -> String {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let url = match &app.url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", app._dir.path().join("smp.db").display()),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let code = sqlx::query(
        "SELECT s.code FROM users u JOIN studios s ON s.id = u.studio_id WHERE u.name = $1 \
         ORDER BY s.created_at LIMIT 1",
    )
    .bind(name)
    .fetch_optional(&pool)
    .await
    .unwrap()
    .map_or_else(|| "unknown".to_string(), |r| r.get::<String, _>(0));
    pool.close().await;
    code
}

/// The login form's fields for `name` and `password`, with the studio code
/// of their account.
pub(crate) async fn login_fields(app: &App, name: &str, password: &str) -> String {
    let (studio, password) = (code_of(app, name).await, password.replace(' ', "+"));
    format!("studio={studio}&name={name}&password={password}")
}

/// Sends the login form for `name` and `password`.
pub(crate) async fn try_login(app: &App, name: &str, password: &str) -> Reply {
    let (cookie, csrf) = login_form(app).await;
    let form = format!("csrf={csrf}&{}", login_fields(app, name, password).await);
    app.post("/login").cookie(&cookie).form(&form).await
}

/// Logs in and returns the session token and its CSRF token.
pub(crate) async fn login(app: &App, name: &str, password: &str) -> (String, String) {
    let r = try_login(app, name, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let session = app.store.session(&token).await.unwrap().unwrap();
    (token, session.csrf)
}

pub(crate) async fn staff(app: &App, studio: &smp_store::StudioId, name: &str) {
    app.store.create_user(studio, name, Role::FrontDesk, "a long password", false).await.unwrap();
}

/// The people of most tests, logged in: in studio A (named `studio_a`) a
/// practitioner, pia, and a front-desk member, fred; in studio B a
/// practitioner, bo. Each login is (session token, CSRF token).
pub(crate) struct Cast {
    pub(crate) a: smp_store::StudioId,
    pub(crate) pia_user: smp_store::User,
    pub(crate) pia: (String, String),
    pub(crate) fred: (String, String),
    pub(crate) bo: (String, String),
}

pub(crate) async fn cast(app: &App, studio_a: &str) -> Cast {
    let a = app.store.create_studio(studio_a).await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    let pia_user =
        app.store.create_user(&a, "pia", Role::Practitioner, "a long password", false).await.unwrap();
    staff(app, &a, "fred").await;
    app.store.create_user(&b, "bo", Role::Practitioner, "a long password", false).await.unwrap();
    // Open every day, so that dates chosen relative to today never fall on
    // a closed day (the planner's own test closes some).
    let every_day = smp_store::StudioDetails {
        name: studio_a.into(),
        time_zone: "UTC".into(),
        open_days: "mon tue wed thu fri sat sun".into(),
        ..Default::default()
    };
    app.store.studio(&a).set_details(&pia_user, &every_day).await.unwrap();
    Cast {
        pia: login(app, "pia", "a long password").await,
        fred: login(app, "fred", "a long password").await,
        bo: login(app, "bo", "a long password").await,
        a,
        pia_user,
    }
}

/// Records for `client_id` a screening with `outcome` (and, for a
/// postponement, its first allowed day) and, with `consent`, a signed
/// consent under the studio's current text: the standing the gate reads.
pub(crate) async fn screened(
    app: &App,
    studio: &smp_store::StudioId,
    user: &smp_store::User,
    client_id: &str,
    outcome: &str,
    earliest: Option<chrono::NaiveDate>,
    consent: bool,
) {
    let studio = app.store.studio(studio);
    let result = serde_json::json!({
        "outcome": outcome,
        "earliest_date": earliest.map(|d| d.to_string()),
        "findings": [],
        "pre_session": [],
        "rules_version": "test",
    });
    studio.record_screening(client_id, user, "", "test", outcome, &result.to_string()).await.unwrap();
    if consent {
        let text = studio.publish_consent_text(None, smp_clinic::DEFAULT_CONSENT_TEXT).await.unwrap();
        studio
            .sign_consent(client_id, user, &text.id, "The Client", b"\x89PNG signature")
            .await
            .unwrap()
            .unwrap();
    }
}

/// A login request from `address` for `name` (with a fresh login form).
pub(crate) async fn login_from(app: &App, address: [u8; 4], name: &str, password: &str) -> StatusCode {
    let (cookie, csrf) = login_form(app).await;
    let form = format!("csrf={csrf}&{}", login_fields(app, name, password).await);
    let mut req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form))
        .unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((address, 40000))));
    app.router.clone().oneshot(req).await.unwrap().status()
}

/// A signature as the pad sends it: a PNG data URL, form-encoded.
pub(crate) fn drawn_signature(strokes: bool) -> String {
    let mut pad = image::RgbaImage::new(400, 120);
    if strokes {
        for x in 30..370 {
            let y = 60 + ((x as f32 / 17.0).sin() * 25.0) as u32;
            for dy in 0..3 {
                pad.put_pixel(x, y + dy, image::Rgba([17, 17, 17, 255]));
            }
        }
    }
    png_data_url(&pad)
}

/// An image as a PNG data URL, form-encoded (as a page sends a canvas).
pub(crate) fn png_data_url(image: &image::RgbaImage) -> String {
    use base64::Engine;
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
    url.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
        .replace(':', "%3A")
        .replace(';', "%3B")
        .replace(',', "%2C")
}

/// A client screened "proceed", with a photo record and the example design
/// on it: (the client, the design version).
pub(crate) async fn screened_client_with_design(
    app: &App,
    a: &StudioId,
    staff: &smp_store::User,
    name: &str,
) -> (smp_store::Client, smp_store::DesignVersion) {
    let studio = app.store.studio(a);
    let fields = smp_store::ClientFields { full_name: name.into(), ..Default::default() };
    let client = studio.create_client(staff, &fields).await.unwrap();
    let photo = smp_store::new_photo_id();
    studio.add_photo(&photo, &client.id, staff, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
    let design =
        studio.save_design(&client.id, &photo, staff, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap();
    screened(app, a, staff, &client.id, "proceed", None, false).await;
    (client, design)
}

/// The chart of a new client with one top photo, and the photo's editor URL.
pub(crate) async fn client_with_photo(app: &App, cookie: &str, csrf: &str, name: &str) -> (String, String) {
    let plain = image::RgbImage::from_pixel(400, 300, image::Rgb([196, 150, 124]));
    client_with_photo_of(app, cookie, csrf, name, &plain).await
}

/// The chart of a new client with `photo` as their top photo, and the
/// photo's editor URL.
pub(crate) async fn client_with_photo_of(
    app: &App,
    cookie: &str,
    csrf: &str,
    name: &str,
    photo: &image::RgbImage,
) -> (String, String) {
    let chart = app
        .post("/clients")
        .cookie(cookie)
        .form(&format!("csrf={csrf}&full_name={name}"))
        .await
        .location
        .unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(photo).unwrap();
    let r = app
        .post(&format!("{chart}/photos"))
        .cookie(cookie)
        .body(multipart(&[("csrf", csrf), ("angle", "top")], Some(("top.jpg", &jpeg))))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = app.get(&chart).cookie(cookie).await.body;
    let editor = body
        .split("href=\"")
        .find(|s| s.contains("/design\""))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (chart, editor)
}

/// A page with the stylesheets it links, as its visitor (a session token,
/// or none): what decides how it looks, now that no style is inline.
pub(crate) async fn page_with_styles(app: &App, uri: &str, visitor: Option<&str>) -> String {
    let visit = |uri: String| async move {
        let call = app.get(&uri);
        match visitor {
            Some(token) => call.by(token).await,
            None => call.await,
        }
    };
    let page = visit(uri.to_string()).await;
    let mut all = page.body.clone();
    for href in
        page.body.split("<link rel=\"stylesheet\" href=\"").skip(1).filter_map(|s| s.split('"').next())
    {
        let style = visit(href.replace("&amp;", "&")).await;
        assert!(style.status.is_success(), "{href}: {}", style.status);
        all.push_str(&style.body);
    }
    all
}

/// A request's body: its content type and bytes.
pub(crate) type RequestBody = Option<(String, Vec<u8>)>;

/// The client id in a plan page's address.
pub(crate) fn client_of_plan(url: &str) -> String {
    url.trim_start_matches("/clients/").trim_end_matches("/plan").to_string()
}
