//! In-process HTTP tests: every route, logged out, logged in, and across studios.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use smp_store::AuditAction;
use smp_store::{PhotoFiles, Role, Store, StudioId};
use smp_web::{AppState, SESSION_COOKIE, router};
use tower::ServiceExt;

struct App {
    router: axum::Router,
    store: Store,
    /// Where the app keeps photos.
    files: PhotoFiles,
    /// The database's address, for a second instance on the same data.
    url: Option<String>,
    _dir: tempfile::TempDir,
}

/// The app on a fresh database: embedded SQLite, or PostgreSQL when
/// `SMP_WEB_TEST_DATABASE_URL` names a server (`scripts/test` runs this
/// suite once on each). On PostgreSQL every app gets a schema of its own.
/// Photos go to the data folder, or to a prefix of their own in an
/// S3-compatible bucket when `SMP_WEB_TEST_S3_URL` names one (as
/// `scripts/test` does for the PostgreSQL run: a chain's set-up).
async fn app() -> App {
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
async fn local_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let files = PhotoFiles::in_folder(dir.path().join("photos"));
    app_with(dir, files).await
}

async fn app_with(dir: tempfile::TempDir, files: PhotoFiles) -> App {
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
fn state_of(store: &Store, dir: &tempfile::TempDir, files: &PhotoFiles) -> AppState {
    AppState::new(store.clone(), dir.path()).with_photo_files(files.clone())
}

impl App {
    /// Another app state on this app's database and photos.
    fn state(&self) -> AppState {
        state_of(&self.store, &self._dir, &self.files)
    }

    /// The names and bytes of a studio's stored files.
    async fn stored(&self, studio: &StudioId) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut stored = std::collections::BTreeMap::new();
        for file in self.files.list(studio).await.unwrap() {
            let bytes = self.files.get(studio, &file.name).await.unwrap().unwrap();
            stored.insert(file.name, bytes);
        }
        stored
    }
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    /// The first cookie set.
    cookie: Option<String>,
    /// Every cookie set.
    cookies: Vec<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
    body: String,
}

async fn send(app: &App, method: &str, uri: &str, cookie: Option<&str>, form: Option<&str>) -> Reply {
    let body = form.map(|f| ("application/x-www-form-urlencoded".to_string(), f.as_bytes().to_vec()));
    send_body(app, method, uri, cookie, body).await
}

/// Sends a request with a body of the given content type.
async fn send_body(
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
    let (location, cookie, content_type) =
        (header(header::LOCATION), header(header::SET_COOKIE), header(header::CONTENT_TYPE));
    let cookies =
        parts.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap().to_vec();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    if content_type.as_deref().is_some_and(|t| t.starts_with("text/html")) {
        assert_well_formed(uri, &body);
    }
    Reply { status, location, cookie, cookies, content_type, bytes, body }
}

/// What every page the suite fetches must be: a plain-text title, and no
/// element id twice (a block pasted into the wrong template shows as both).
fn assert_well_formed(uri: &str, html: &str) {
    if let Some(start) = html.find("<title>") {
        let title = &html[start + 7..html[start..].find("</title>").map_or(start + 7, |end| start + end)];
        assert!(!title.contains('<'), "{uri}: markup in the title: {title}");
    }
    let mut seen = std::collections::HashSet::new();
    for id in html.split(" id=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(seen.insert(id), "{uri}: the id {id:?} appears twice");
    }
}

/// A multipart form: text fields, then the photo file under `name`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    multipart_with(fields, "photo", file)
}

/// [`multipart`] with the file in the field `file_field`.
fn multipart_with(
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
fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
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
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The login form's CSRF cookie ("smp_login=TOKEN") and its token.
async fn login_form(app: &App) -> (String, String) {
    let r = send(app, "GET", "/login", None, None).await;
    let cookie = r.cookie.expect("the login form sets its CSRF cookie");
    let pair = cookie.split(';').next().unwrap().to_string();
    let token = pair.split_once('=').unwrap().1.to_string();
    assert!(r.body.contains(&format!("name=\"csrf\" value=\"{token}\"")), "{}", r.body);
    (pair, token)
}

/// The sign-in code of the studio where `name` has an account (the first,
/// should several have one; "unknown" where none has), as its staff would
/// type it: looked up around the app, which never tells.
async fn code_of(app: &App, name: &str) -> String {
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
async fn login_fields(app: &App, name: &str, password: &str) -> String {
    let (studio, password) = (code_of(app, name).await, password.replace(' ', "+"));
    format!("studio={studio}&name={name}&password={password}")
}

/// Sends the login form for `name` and `password`.
async fn try_login(app: &App, name: &str, password: &str) -> Reply {
    let (cookie, csrf) = login_form(app).await;
    let form = format!("csrf={csrf}&{}", login_fields(app, name, password).await);
    send(app, "POST", "/login", Some(&cookie), Some(&form)).await
}

/// Logs in and returns the session token and its CSRF token.
async fn login(app: &App, name: &str, password: &str) -> (String, String) {
    let r = try_login(app, name, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let session = app.store.session(&token).await.unwrap().unwrap();
    (token, session.csrf)
}

async fn staff(app: &App, studio: &smp_store::StudioId, name: &str) {
    app.store.create_user(studio, name, Role::FrontDesk, "a long password", false).await.unwrap();
}

/// The people of most tests, logged in: in studio A (named `studio_a`) a
/// practitioner, pia, and a front-desk member, fred; in studio B a
/// practitioner, bo. Each login is (session token, CSRF token).
struct Cast {
    a: smp_store::StudioId,
    pia_user: smp_store::User,
    pia: (String, String),
    fred: (String, String),
    bo: (String, String),
}

async fn cast(app: &App, studio_a: &str) -> Cast {
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
async fn screened(
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

#[tokio::test]
async fn health_and_logged_out_redirects() {
    let app = app().await;
    let r = send(&app, "GET", "/healthz", None, None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    for uri in ["/clients", "/clients/abc", "/password"] {
        let r = send(&app, "GET", uri, None, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.location.as_deref(), Some("/login"), "{uri}");
    }
    let r = send(&app, "GET", "/clients", Some("forged-token"), None).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let r = send(&app, "GET", "/login", None, None).await;
    assert!(r.status.is_success() && r.body.contains("Log in"));
}

/// A login request from `address` for `name` (with a fresh login form).
async fn login_from(app: &App, address: [u8; 4], name: &str, password: &str) -> StatusCode {
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

#[tokio::test]
async fn wrong_passwords_fail_and_are_slowed_down() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    for _ in 0..5 {
        let r = try_login(&app, "fay", "nope").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("do not match") && r.body.contains("value=\"fay\""), "keeps the name");
    }
    let r = try_login(&app, "fay", "a long password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits now");
    // Each failure on an existing account is in its studio's audit log.
    let log = app.store.studio(&studio).audit_log(100).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "login-failed").count(), 5);
}

/// Guessing at a name from one address slows that address's tries at that
/// name, and many names from one address slow that address; neither keeps
/// the account's owner out from their own tablet. Names of any length are
/// answered without keeping them.
#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_a_colleague_out() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "admin").await;
    let (attacker, tablet) = ([203, 0, 113, 9], [192, 168, 1, 20]);
    for _ in 0..8 {
        login_from(&app, attacker, "admin", "guess").await;
    }
    assert_eq!(login_from(&app, attacker, "admin", "a long password").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_from(&app, tablet, "admin", "a long password").await, StatusCode::SEE_OTHER);
    for i in 0..20 {
        login_from(&app, attacker, &format!("name{i}"), "guess").await;
    }
    assert_eq!(login_from(&app, attacker, "someone", "guess").await, StatusCode::TOO_MANY_REQUESTS);
    let long = "n".repeat(40_000);
    assert_eq!(login_from(&app, [198, 51, 100, 1], &long, "guess").await, StatusCode::UNAUTHORIZED);
}

/// Names are a studio's own: the same name signs in at two studios, each to
/// its own account, with the studio's sign-in code, and an admin adding a
/// name another studio uses learns nothing of it (it was "already exists").
/// The code is asked for only where there are several studios, remembered on
/// the device; a missing one is asked for beside the form, an unknown one
/// answered as a wrong password, what was typed kept.
#[tokio::test]
async fn sign_in_names_are_each_studios_own() {
    let app = app().await;
    let a = app.store.create_studio("Main Street").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    assert!(!send(&app, "GET", "/login", None, None).await.body.contains("name=\"studio\""), "one studio");
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let b = app.store.create_studio("Main Street").await.unwrap();
    assert_eq!(app.store.studio(&b).sign_in_code().await.unwrap(), "main-street-2");
    app.store.create_user(&b, "sam", Role::Practitioner, "b's own password", false).await.unwrap();
    let r = send(
        &app,
        "POST",
        "/admin/users",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=sam&role=practitioner")),
    )
    .await;
    assert!(r.status.is_success() && r.body.contains("class=\"secret\""), "{}", r.body);
    let r = send(&app, "GET", "/admin/studio", Some(&ada), None).await;
    assert!(r.body.contains("Sign-in code: <strong>main-street</strong>"), "{}", r.body);

    let r = send(&app, "GET", "/login", None, None).await;
    assert!(r.body.contains("name=\"studio\"") && r.body.contains("Studio code"), "{}", r.body);
    let post = |form: String| {
        let app = &app;
        async move {
            let (cookie, csrf) = login_form(app).await;
            send(app, "POST", "/login", Some(&cookie), Some(&format!("csrf={csrf}&{form}"))).await
        }
    };
    let r = post("studio=&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("sign-in code") && r.body.contains("value=\"sam\""), "{}", r.body);
    let r = post("studio=nowhere&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("do not match") && r.body.contains("value=\"nowhere\""), "{}", r.body);
    let r = post("studio=main-street&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "A's sam has another password");
    let r = post("studio=+Main-Street-2+&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.cookies.iter().any(|c| c.starts_with("smp_studio=main-street-2;")), "{:?}", r.cookies);
    let token = r.cookie.as_deref().unwrap().split(';').next().unwrap().split_once('=').unwrap().1;
    let session = app.store.session(token).await.unwrap().unwrap();
    assert_eq!((session.user.studio, session.user.name.as_str()), (b, "sam"));
    // The device remembers the studio for the next login.
    let r = send(&app, "GET", "/login", Some("smp_studio=main-street-2"), None).await;
    assert!(r.body.contains("value=\"main-street-2\""), "{}", r.body);
}

/// The login form carries a CSRF token (a cookie and a field that must
/// match): a login posted from another site, without them, is refused.
#[tokio::test]
async fn the_login_form_carries_a_csrf_token() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    let r = send(&app, "POST", "/login", None, Some("name=fay&password=a+long+password")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("expired") && r.cookie.is_some(), "a fresh form to try again");
    let (cookie, _) = login_form(&app).await;
    let r =
        send(&app, "POST", "/login", Some(&cookie), Some("csrf=forged&name=fay&password=a+long+password"))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// What the database keeps of a session does not open it: a token read from
/// a backup is useless on the live server.
#[tokio::test]
async fn session_tokens_are_stored_as_digests() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    let (token, _) = login(&app, "fay", "a long password").await;
    let store_url = app._dir.path().join("smp.db");
    if store_url.exists() {
        let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", store_url.display())).await.unwrap();
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT token FROM sessions").fetch_all(&db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], token, "not the token itself");
        let r = send(&app, "GET", "/clients", Some(&stored[0]), None).await;
        assert_eq!(r.location.as_deref(), Some("/login"), "the stored value opens nothing");
    }
    assert_eq!(send(&app, "GET", "/clients", Some(&token), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_first_password_must_be_replaced() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    app.store.create_user(&studio, "admin", Role::Admin, "one time password", true).await.unwrap();
    let r = try_login(&app, "admin", "one time password").await;
    assert_eq!(r.location.as_deref(), Some("/password"));
    let (token, csrf) = login(&app, "admin", "one time password").await;
    let r = send(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(r.location.as_deref(), Some("/password"), "nothing else until it is changed");
    let r = send(
        &app,
        "POST",
        "/password",
        Some(&token),
        Some(&format!("csrf={csrf}&current=one+time+password&password=new+password+1&repeat=other+one+22")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("differ"));
    // The current password is asked for: a session left open is not enough.
    let r = send(
        &app,
        "POST",
        "/password",
        Some(&token),
        Some(&format!("csrf={csrf}&current=a+guess+at+it&password=new+password+1&repeat=new+password+1")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("current password is not right"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        "/password",
        Some(&token),
        Some(&format!("csrf={csrf}&current=one+time+password&password=new+password+1&repeat=new+password+1")),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/clients"));
    let actions: Vec<String> =
        app.store.studio(&studio).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"change-password".into()) && actions.contains(&"login".into()), "{actions:?}");
    let r = send(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_are_charted_within_their_studio_only() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    staff(&app, &a, "amy").await;
    staff(&app, &b, "bea").await;
    let (amy, amy_csrf) = login(&app, "amy", "a long password").await;
    let (bea, _) = login(&app, "bea", "a long password").await;

    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&amy),
        Some(&format!("csrf={amy_csrf}&full_name=Carl+Client&phone=0123")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let chart = r.location.unwrap();
    let r = send(&app, "GET", &chart, Some(&amy), None).await;
    assert!(r.status.is_success() && r.body.contains("Carl Client") && r.body.contains("0123"));
    let r = send(&app, "GET", "/clients?q=carl", Some(&amy), None).await;
    assert!(r.body.contains("Carl Client"));

    // The other studio sees nothing of it.
    let r = send(&app, "GET", &chart, Some(&bea), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(&app, "GET", "/clients?q=carl", Some(&bea), None).await;
    assert!(!r.body.contains("Carl Client"));

    // A form without the session's CSRF token changes nothing.
    let r = send(&app, "POST", "/clients", Some(&amy), Some("csrf=forged&full_name=Eve")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&app, "POST", "/clients", Some(&amy), Some("full_name=Eve")).await;
    assert!(r.status.is_client_error());
    assert!(!send(&app, "GET", "/clients", Some(&amy), None).await.body.contains("Eve"));

    // Bad input gets a message and keeps what was typed.
    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&amy),
        Some(&format!("csrf={amy_csrf}&full_name=+&email=kept%40example.org")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("needs a name") && r.body.contains("kept@example.org"), "{}", r.body);
    // E-mail, phone and birth date are checked and bounded (a 60 KB e-mail
    // and any text as a birth date were accepted).
    for (field, value, message) in [
        ("email", "a".repeat(60_000) + "@example.org", "E-mail"),
        ("email", "not-an-address".to_string(), "E-mail"),
        ("phone", "7".repeat(100), "Phone"),
        ("phone", "call me maybe".to_string(), "Phone"),
        ("birth_date", "last spring".to_string(), "Birth date"),
        ("birth_date", "2999-01-01".to_string(), "Birth date"),
        ("birth_date", "1985-02-30".to_string(), "Birth date"),
    ] {
        let form = format!("csrf={amy_csrf}&full_name=Ivy+Ink&{field}={}", value.replace(' ', "+"));
        let r = send(&app, "POST", "/clients", Some(&amy), Some(&form)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}={value:.40}");
        assert!(r.body.contains(message) && r.body.contains("value=\"Ivy Ink\""), "{field}: {:.300}", r.body);
    }
    let good = format!(
        "csrf={amy_csrf}&full_name=Ivy+Ink&email=ivy%40example.org&phone=%2B34+600+000+000&birth_date=1985-02-28"
    );
    assert_eq!(send(&app, "POST", "/clients", Some(&amy), Some(&good)).await.status, StatusCode::SEE_OTHER);

    // Logging out ends the session.
    let r = send(&app, "POST", "/logout", Some(&amy), Some(&format!("csrf={amy_csrf}"))).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(send(&app, "GET", "/clients", Some(&amy), None).await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn pages_carry_protective_headers_and_bodies_are_limited() {
    let app = app().await;
    let res = app.router.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let big = format!("name={}&password=x", "a".repeat(100_000));
    let r = send(&app, "POST", "/login", None, Some(&big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn practitioners_screen_and_front_desk_sees_no_health_details() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&pia),
        Some(&format!("csrf={csrf}&full_name=Ivy&birth_date=1985-04-02")),
    )
    .await;
    let chart = r.location.unwrap();
    let intake = format!("{chart}/intake");

    let r = send(&app, "GET", &intake, Some(&pia), None).await;
    assert!(r.status.is_success() && r.body.contains("value=\"1985-04-02\""), "the birth date is filled in");

    // A wrong date gets a message and keeps what was ticked.
    let bad = format!(
        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&medication_isotretinoin=on&medication_isotretinoin_last_dose=soon"
    );
    let r = send(&app, "POST", &intake, Some(&pia), Some(&bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("is not a date") && r.body.contains("name=\"medication_isotretinoin\" checked"),
        "{}",
        r.body
    );

    let good = format!(
        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&allergy_latex=on\
         &medication_isotretinoin=on&medication_isotretinoin_last_dose=2026-09-01"
    );
    let r = send(&app, "POST", &intake, Some(&pia), Some(&good)).await;
    assert_eq!(r.location.as_deref(), Some(chart.as_str()));
    let r = send(&app, "GET", &chart, Some(&pia), None).await;
    assert!(r.body.contains("POSTPONE") && r.body.contains("not before 2027-03-01"), "{}", r.body);
    assert!(
        r.body.contains("Allergic to latex")
            && r.body.contains("smp-default-")
            && !r.body.contains("allergy-latex"),
        "findings and the rules' version"
    );

    // A medication that needs a date, ticked without it: asked for beside
    // the field, nothing saved (it was screened as "needs a doctor").
    let undated =
        format!("csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&medication_isotretinoin=on");
    let r = send(&app, "POST", &intake, Some(&pia), Some(&undated)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("id=\"medication_isotretinoin_last_dose-error\"")
            && r.body.contains("When was the last dose?"),
        "{}",
        r.body
    );
    let client_id = chart.rsplit('/').next().unwrap();
    assert_eq!(app.store.studio(&a).screenings(client_id).await.unwrap().len(), 1, "nothing saved");

    // The intake opens with the last answers, to correct; a new screening
    // folds the earlier one away as replaced.
    let r = send(&app, "GET", &intake, Some(&pia), None).await;
    assert!(r.body.contains("name=\"allergy_latex\" checked"), "{}", r.body);
    assert!(r.body.contains("value=\"2026-09-01\"") && r.body.contains("are filled in"), "{}", r.body);
    let corrected = good.replace("2026-09-01", "2025-01-15");
    assert_eq!(send(&app, "POST", &intake, Some(&pia), Some(&corrected)).await.status, StatusCode::SEE_OTHER);
    let r = send(&app, "GET", &chart, Some(&pia), None).await;
    assert!(
        r.body.contains("Replaced screening of") && r.body.contains("replaced by a later screening"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Proceed with caution") || r.body.contains(">Proceed<"),
        "the standing follows the new one"
    );

    // Front desk: no form, no details.
    assert_eq!(send(&app, "GET", &intake, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, "POST", &intake, Some(&fred), Some(&good.replace(&csrf, &fred_csrf))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(
        r.status.is_success() && !r.body.contains("POSTPONE") && !r.body.contains("isotretinoin"),
        "{}",
        r.body
    );

    // Another studio cannot screen or see the client.
    assert_eq!(
        send(&app, "POST", &intake, Some(&bo), Some(&good.replace(&csrf, &bo_csrf))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(send(&app, "GET", &chart, Some(&bo), None).await.status, StatusCode::NOT_FOUND);

    // Who saw and changed health answers is logged.
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"record-screening") && actions.contains(&"view-health"), "{actions:?}");
    assert!(
        log.iter()
            .filter(|e| e.action.contains("health") || e.action.contains("screening"))
            .all(|e| e.staff_name == "pia"),
        "front desk views are not health views"
    );
}

#[tokio::test]
async fn only_admins_read_the_audit_log_of_their_own_studio() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.create_user(&a, "pat", Role::Practitioner, "a long password", false).await.unwrap();
    app.store.create_user(&b, "bob", Role::Admin, "a long password", false).await.unwrap();
    let pat = app.store.verify_login(&a, "pat", "a long password", "test").await.unwrap().unwrap();
    let client = app
        .store
        .studio(&a)
        .create_client(&pat, &smp_store::ClientFields { full_name: "Q".into(), ..Default::default() })
        .await
        .unwrap();
    app.store.studio(&a).audit(&pat, AuditAction::ViewHealth, &client.id).await.unwrap();
    let (ada, _) = login(&app, "ada", "a long password").await;
    let (pat_token, _) = login(&app, "pat", "a long password").await;
    let (bob, _) = login(&app, "bob", "a long password").await;
    let r = send(&app, "GET", "/audit", Some(&ada), None).await;
    // A sentence with the client's name, not a code and an "open" link.
    let line =
        format!("<strong>pat</strong> viewed the health answers of <a href=\"/clients/{}\">Q</a>", client.id);
    assert!(r.status.is_success() && r.body.contains(&line), "{}", r.body);
    // Filtered by client, staff member, action and dates.
    let lines = |body: &str| body.matches("<li><span class=\"muted\">").count();
    let all = lines(&r.body);
    assert!(
        lines(&send(&app, "GET", "/audit?client=q", Some(&ada), None).await.body) >= 2,
        "the view and the creation"
    );
    let r = send(&app, "GET", "/audit?staff=ada", Some(&ada), None).await;
    assert!(
        !r.body.contains("<strong>pat</strong>") && r.body.contains("<strong>ada</strong> logged in"),
        "{}",
        r.body
    );
    let r = send(&app, "GET", "/audit?action=view-health", Some(&ada), None).await;
    assert_eq!(lines(&r.body), 1, "{}", r.body);
    assert!(lines(&send(&app, "GET", "/audit?until=2000-01-01", Some(&ada), None).await.body) == 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        lines(&send(&app, "GET", &format!("/audit?from={today}&until={today}"), Some(&ada), None).await.body),
        all
    );
    assert_eq!(send(&app, "GET", "/audit", Some(&pat_token), None).await.status, StatusCode::FORBIDDEN);
    let r = send(&app, "GET", "/audit", Some(&bob), None).await;
    assert!(r.status.is_success() && !r.body.contains("<strong>pat</strong>"));
    assert_eq!(send(&app, "GET", "/audit", None, None).await.location.as_deref(), Some("/login"));
}

/// A signature as the pad sends it: a PNG data URL, form-encoded.
fn drawn_signature(strokes: bool) -> String {
    use base64::Engine;
    let mut pad = image::RgbaImage::new(400, 120);
    if strokes {
        for x in 30..370 {
            let y = 60 + ((x as f32 / 17.0).sin() * 25.0) as u32;
            for dy in 0..3 {
                pad.put_pixel(x, y + dy, image::Rgba([17, 17, 17, 255]));
            }
        }
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        pad.as_raw(),
        400,
        120,
        image::ExtendedColorType::Rgba8,
    )
    .unwrap();
    let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
    url.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
        .replace(':', "%3A")
        .replace(';', "%3B")
        .replace(',', "%2C")
}

#[tokio::test]
async fn consents_are_signed_shown_superseded_and_never_edited() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    staff(&app, &a, "fred").await;
    app.store.create_user(&b, "bo", Role::Practitioner, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let (fred, fred_csrf) = login(&app, "fred", "a long password").await;
    let (bo, bo_csrf) = login(&app, "bo", "a long password").await;
    let chart =
        send(&app, "POST", "/clients", Some(&fred), Some(&format!("csrf={fred_csrf}&full_name=Ivy+Ink")))
            .await
            .location
            .unwrap();
    let form_url = format!("{chart}/consent");

    // The front desk takes the consent: the studio's text, version 1.
    let r = send(&app, "GET", &form_url, Some(&fred), None).await;
    assert!(r.status.is_success() && r.body.contains("Consent to scalp micropigmentation"), "{}", r.body);
    assert!(r.body.contains("Version 1") && r.body.contains("/assets/signature.js"));
    let text_id =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let sign = |csrf: &str, agree: bool, name: &str, signature: &str| {
        format!(
            "csrf={csrf}&text_id={text_id}{}&signed_name={name}&signature={signature}",
            if agree { "&agree=on" } else { "" }
        )
    };

    // Each thing missing gets its own message, and the typed name is kept.
    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&fred),
        Some(&sign(&fred_csrf, false, "Ivy+Ink", &drawn_signature(true))),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("read and understood") && r.body.contains("value=\"Ivy Ink\""), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&fred),
        Some(&sign(&fred_csrf, true, "Ivy+Ink", &drawn_signature(false))),
    )
    .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("empty"), "{}", r.body);
    let r = send(&app, "POST", &form_url, Some(&fred), Some(&sign(&fred_csrf, true, "Ivy+Ink", ""))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("sign in the box"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&fred),
        Some(&sign(&fred_csrf, true, "+", &drawn_signature(true))),
    )
    .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("full name"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&fred),
        Some(&sign("forged", true, "Ivy+Ink", &drawn_signature(true))),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&fred),
        Some(&sign(&fred_csrf, true, "Ivy+Ink", &drawn_signature(true))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let record = r.location.unwrap();
    let r = send(&app, "GET", &record, Some(&fred), None).await;
    assert!(
        r.body.contains("In force") && r.body.contains("Ivy Ink") && r.body.contains("fred"),
        "{}",
        r.body
    );
    let r = send(&app, "GET", &format!("{record}/signature.png"), Some(&ada), None).await;
    assert_eq!(r.content_type.as_deref(), Some("image/png"));
    assert_eq!(image::load_from_memory(&r.bytes).unwrap().width(), 400);

    // The admin publishes a new text; the client signs again under it, and
    // the first record stays as signed, marked superseded.
    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=A&time_zone=UTC&day_mon=on&consent_text=Version+two+text.")),
    )
    .await;
    assert!(r.status.is_success() && r.body.contains("version 2"), "{}", r.body);
    let r = send(&app, "GET", &form_url, Some(&ada), None).await;
    assert!(r.body.contains("Version two text."));
    let r = send(
        &app,
        "POST",
        &form_url,
        Some(&ada),
        Some(&sign(&csrf, true, "Ivy+Ink", &drawn_signature(true))),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the form carried version 1's id");
    assert!(r.body.contains("changed while") && r.body.contains("Version two text."), "{}", r.body);
    let text_v2 =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let again = sign(&csrf, true, "Ivy+Ink", &drawn_signature(true)).replace(&text_id, &text_v2);
    let r = send(&app, "POST", &form_url, Some(&ada), Some(&again)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(&app, "GET", &record, Some(&ada), None).await;
    assert!(r.body.contains("Superseded") && r.body.contains("Consent to scalp micropigmentation"));
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(
        r.body.contains("superseded") && r.body.contains("in force") && r.body.contains("Consent signed")
    );

    // Another studio reaches none of it.
    for url in [&form_url, &record, &format!("{record}/signature.png")] {
        assert_eq!(send(&app, "GET", url, Some(&bo), None).await.status, StatusCode::NOT_FOUND, "{url}");
    }
    let r =
        send(&app, "POST", &form_url, Some(&bo), Some(&sign(&bo_csrf, true, "Ivy", &drawn_signature(true))))
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, "GET", &form_url, None, None).await.location.as_deref(), Some("/login"));

    let actions: Vec<String> =
        app.store.studio(&a).audit_log(50).await.unwrap().into_iter().map(|e| e.action).collect();
    for action in ["sign-consent", "view-consent", "publish-consent-text"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn photos_are_stored_upright_without_metadata_for_practitioners_only() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let chart = send(&app, "POST", "/clients", Some(&pia), Some(&format!("csrf={csrf}&full_name=Ivy")))
        .await
        .location
        .unwrap();
    let upload = format!("{chart}/photos");
    let photo = phone_jpeg(64, 40);
    let form = |csrf: &str, angle: &str, file: Option<(&str, &[u8])>| {
        multipart(&[("csrf", csrf), ("angle", angle)], file)
    };

    let r = send_body(
        &app,
        "POST",
        &upload,
        Some(&pia),
        Some(form(&csrf, "crown", Some(("IMG_0042 at home.jpg", &photo)))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(&app, "GET", &chart, Some(&pia), None).await;
    assert!(r.body.contains("crown") && r.body.contains("40 × 64"), "upright: {}", r.body);
    assert!(!r.body.contains("IMG_0042"), "the uploaded name is not kept");
    let id = r.body.split("/photos/").nth(1).unwrap().split(['"', '/']).next().unwrap().to_string();

    // Stored: the server's names only, no metadata, upright.
    let files = app.stored(&a).await;
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(names, [&format!("{id}.jpg"), &format!("{id}.screen.jpg"), &format!("{id}.thumb.jpg")]);
    let stored = files[&format!("{id}.jpg")].clone();
    assert!(!contains(&stored, b"Exif") && !contains(&stored, b"GPS"));
    let folder = app._dir.path().join("photos").join(&a.0);
    #[cfg(unix)]
    if std::env::var("SMP_WEB_TEST_S3_URL").is_err() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(folder.clone()), 0o700, "the studio's photo folder is private");
        for name in &names {
            assert_eq!(mode(folder.join(name)), 0o600, "{name} is private");
        }
    }

    let r = send(&app, "GET", &format!("/photos/{id}"), Some(&pia), None).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")));
    assert_eq!(r.bytes, stored);
    let r = send(&app, "GET", &format!("/photos/{id}/thumbnail"), Some(&pia), None).await;
    let thumb = image::load_from_memory(&r.bytes).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (40, 64));

    // Bad uploads: a message beside the field, the angle kept, nothing stored.
    let r = send_body(
        &app,
        "POST",
        &upload,
        Some(&pia),
        Some(form(&csrf, "top", Some(("notes.pdf", b"%PDF-1.7")))),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not a photo") && r.body.contains("value=\"top\" selected"), "{}", r.body);
    let r = send_body(
        &app,
        "POST",
        &upload,
        Some(&pia),
        Some(form(&csrf, "top", Some(("huge.png", &png_claiming(9000, 9000))))),
    )
    .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("9000 × 9000")
            && r.body.contains("50 megapixels"),
        "{}",
        r.body
    );
    let r =
        send_body(&app, "POST", &upload, Some(&pia), Some(form(&csrf, "", Some(("a.jpg", &photo))))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose the angle"));
    let r = send_body(&app, "POST", &upload, Some(&pia), Some(form(&csrf, "front", None))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose a photo"));
    let r =
        send_body(&app, "POST", &upload, Some(&pia), Some(form("forged", "front", Some(("a.jpg", &photo)))))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let big = vec![0u8; 31 << 20];
    let r = send_body(&app, "POST", &upload, Some(&pia), Some(form(&csrf, "front", Some(("big.jpg", &big)))))
        .await;
    assert!(r.status == StatusCode::PAYLOAD_TOO_LARGE && r.body.contains("30 MB"), "{}", r.status);
    assert_eq!(app.stored(&a).await.len(), 3, "nothing else was stored");

    // The front desk neither uploads nor sees photos; another studio finds none.
    let r = send_body(
        &app,
        "POST",
        &upload,
        Some(&fred),
        Some(form(&fred_csrf, "front", Some(("a.jpg", &photo)))),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, "GET", &format!("/photos/{id}"), Some(&fred), None).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(r.body.contains("Photos are for practitioners") && !r.body.contains(&id));
    assert_eq!(
        send(&app, "GET", &format!("/photos/{id}"), Some(&bo), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, "GET", &format!("/photos/{id}/thumbnail"), Some(&bo), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r =
        send_body(&app, "POST", &upload, Some(&bo), Some(form(&bo_csrf, "front", Some(("a.jpg", &photo)))))
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, "GET", &format!("/photos/{id}"), None, None).await.location.as_deref(),
        Some("/login")
    );

    let actions: Vec<String> =
        app.store.studio(&a).audit_log(50).await.unwrap().into_iter().map(|e| e.action).collect();
    for action in ["upload-photo", "view-photos", "view-photo"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn admins_manage_their_own_studios_staff_and_settings() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.create_user(&a, "pia", Role::Practitioner, "a long password", false).await.unwrap();
    let bob = app.store.create_user(&b, "bob", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let (pia, pia_csrf) = login(&app, "pia", "a long password").await;

    let r = send(&app, "GET", "/admin/users", Some(&ada), None).await;
    assert!(r.status.is_success() && r.body.contains("pia") && !r.body.contains("bob"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        "/admin/users",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=new+one&role=front-desk")),
    )
    .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("no spaces")
            && r.body.contains("value=\"new one\"")
    );
    let r =
        send(&app, "POST", "/admin/users", Some(&ada), Some(&format!("csrf={csrf}&name=nia&role="))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose a role"));
    let r = send(
        &app,
        "POST",
        "/admin/users",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=nia&role=front-desk")),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let password = r.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let nia = app
        .store
        .verify_login(&a, "nia", &password, "test")
        .await
        .unwrap()
        .expect("the one-time password works");
    assert!(nia.must_change_password && nia.role == Role::FrontDesk && nia.studio == a);
    let r = send(&app, "POST", "/admin/users", Some(&ada), Some(&format!("csrf={csrf}&name=nia&role=admin")))
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("already exists"));

    let r = send(
        &app,
        "POST",
        &format!("/admin/users/{}/reset", nia.id),
        Some(&ada),
        Some(&format!("csrf={csrf}")),
    )
    .await;
    let fresh = r.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_ne!(fresh, password);
    assert!(app.store.verify_login(&a, "nia", &fresh, "test").await.unwrap().is_some());
    let r = send(
        &app,
        "POST",
        &format!("/admin/users/{}/reset", bob.id),
        Some(&ada),
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another studio's admin is out of reach");
    assert!(app.store.verify_login(&b, "bob", "a long password", "test").await.unwrap().is_some());

    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=+&time_zone=UTC&day_mon=on&consent_text=x")),
    )
    .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("needs a name"));
    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!("csrf={csrf}&name=Main+Street&time_zone=Europe%2FMadrid&day_mon=on&day_tue=on&consent_text=Our+text")),
    )
    .await;
    assert!(r.status.is_success() && r.body.contains("Saved"));
    assert_eq!(app.store.studio(&a).name().await.unwrap(), "Main Street");
    assert_eq!(app.store.studio(&b).name().await.unwrap(), "B");
    // A time zone that is none is refused beside the form, what was typed kept.
    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!(
            "csrf={csrf}&name=Main+Street&time_zone=Mars%2FOlympus&day_mon=on&consent_text=Our+text"
        )),
    )
    .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("Time zone")
            && r.body.contains("Mars/Olympus")
    );
    // Chairs: a number from 1 to 50, refused beside the field otherwise.
    let with_chairs = |n: &str| {
        format!(
            "csrf={csrf}&name=Main+Street&time_zone=Europe%2FMadrid&day_mon=on&consent_text=Our+text&chairs={n}"
        )
    };
    let r = send(&app, "POST", "/admin/studio", Some(&ada), Some(&with_chairs("0"))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Chairs: &#34;0&#34;"), "{}", r.body);
    assert!(
        r.body.contains(
            "name=\"chairs\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"50\" value=\"0\""
        )
    );
    assert_eq!(app.store.studio(&a).chairs().await.unwrap(), 1, "nothing saved");
    let r = send(&app, "POST", "/admin/studio", Some(&ada), Some(&with_chairs("3"))).await;
    assert!(r.status.is_success() && r.body.contains("Saved"), "{}", r.body);
    assert_eq!(app.store.studio(&a).chairs().await.unwrap(), 3);
    // Times read in the studio's zone: the audit log's newest line (now) is
    // today's date and hour in Madrid, not in UTC.
    let madrid = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Madrid);
    let r = send(&app, "GET", "/audit", Some(&ada), None).await;
    let shown = madrid.format("%-d %b %Y, %H:").to_string();
    assert!(r.body.contains(&shown), "{shown} in {}", r.body);

    // Practitioners manage neither.
    for (method, url, form) in [
        ("GET", "/admin/users".to_string(), None),
        ("POST", "/admin/users".to_string(), Some(format!("csrf={pia_csrf}&name=x1&role=admin"))),
        ("POST", format!("/admin/users/{}/reset", nia.id), Some(format!("csrf={pia_csrf}"))),
        ("GET", "/admin/studio".to_string(), None),
        ("POST", "/admin/studio".to_string(), Some(format!("csrf={pia_csrf}&name=Mine&consent_text=t"))),
    ] {
        assert_eq!(
            send(&app, method, &url, Some(&pia), form.as_deref()).await.status,
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    assert!(app.store.verify_login(&a, "x1", "whatever", "test").await.unwrap().is_none());
}

#[tokio::test]
async fn assets_are_served_from_the_binary() {
    let app = app().await;
    let r = send(&app, "GET", "/assets/vendor/htmx.min.js", None, None).await;
    assert_eq!(
        (r.status, r.content_type.as_deref()),
        (StatusCode::OK, Some("text/javascript; charset=utf-8"))
    );
    assert!(r.body.contains("htmx"));
    let r = send(&app, "GET", "/assets/signature.js", None, None).await;
    assert!(r.status.is_success() && r.body.contains("toDataURL"));
    assert_eq!(send(&app, "GET", "/assets/../Cargo.toml", None, None).await.status, StatusCode::NOT_FOUND);

    // Every page links the one stylesheet (no page-long <style> block), by an
    // address stamped with its content, so a new version is fetched at once.
    let login = send(&app, "GET", "/login", None, None).await.body;
    assert!(!login.contains("<style>"), "{login}");
    let href = login.split("<link rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(
        href.starts_with("/assets/app.css?v=") && href.len() == "/assets/app.css?v=".len() + 12,
        "{href}"
    );
    let r = send(&app, "GET", href, None, None).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("text/css; charset=utf-8")));
    assert!(r.body.contains("--text-base") && r.body.contains("--touch: 44px"), "the design tokens");
}

#[tokio::test]
async fn designs_are_drawn_previewed_and_saved_in_versions() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let chart = send(
        &app,
        "POST",
        "/clients",
        Some(&pia),
        Some(&format!("csrf={csrf}&full_name=Ivy&birth_date=1970-05-01")),
    )
    .await
    .location
    .unwrap();
    // A plain skin-coloured photo, 800 x 600.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_pixel(800, 600, image::Rgb([196, 150, 124])))
        .unwrap();
    let r = send_body(
        &app,
        "POST",
        &format!("{chart}/photos"),
        Some(&pia),
        Some(multipart(&[("csrf", &csrf), ("angle", "top")], Some(("top.jpg", &jpeg)))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = send(&app, "GET", &chart, Some(&pia), None).await.body;
    let editor = body
        .split("href=\"")
        .find(|s| s.contains("/design\""))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let base = editor.trim_end_matches("/design").to_string();

    let r = send(&app, "GET", &editor, Some(&pia), None).await;
    assert!(
        r.status.is_success()
            && r.body.contains("/assets/editor.js")
            && r.body.contains("data-width=\"800\""),
        "{}",
        r.body
    );

    let drawing = "scale_from=50%2C550&scale_to=750%2C550&scale_mm=140&hairline=100%2C150+400%2C100+700%2C150\
                   &zone=60%2C120+740%2C120+740%2C520+60%2C520&style=soft&density=60&diameter_mm=0.45";
    let r =
        send(&app, "POST", &format!("{base}/preview"), Some(&pia), Some(&format!("{drawing}&stage=healed")))
            .await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);
    let healed = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
    assert_eq!(healed.dimensions(), (800, 600), "screen size (the photo is smaller than a screen)");
    let r =
        send(&app, "POST", &format!("{base}/preview"), Some(&pia), Some(&format!("{drawing}&stage=before")))
            .await;
    let before = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
    let darker = |img: &image::RgbImage| img.pixels().filter(|p| p[1] < 120).count();
    assert!(darker(&healed) > 10 * (darker(&before) + 1000), "dots appear inside the zone");
    assert!(healed.get_pixel(20, 20)[1] > 140, "nothing outside the zone");

    // Advice in plain words, for the design and for the pigment on this skin.
    let r = send(&app, "POST", &format!("{base}/advice"), Some(&pia), Some(drawing)).await;
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let advice: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(advice["problem"].is_null(), "{advice}");
    assert!(advice["skin"].as_str().is_some_and(|s| s.contains("zones looks like type")), "{advice}");
    // A skin sample: read there instead; three points at least.
    let sampled = format!("{drawing}&skin_region=600%2C450+700%2C450+700%2C520");
    let r = send(&app, "POST", &format!("{base}/advice"), Some(&pia), Some(&sampled)).await;
    let advice: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(advice["skin"].as_str().is_some_and(|s| s.contains("skin sample looks like")), "{advice}");
    let r = send(
        &app,
        "POST",
        &format!("{base}/preview"),
        Some(&pia),
        Some(&format!("{drawing}&skin_region=600%2C450+700%2C450")),
    )
    .await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("skin sample"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &format!("{base}/advice"),
        Some(&pia),
        Some(&format!("{}&depth_mm=1.2", drawing.replace("diameter_mm=0.45", "diameter_mm=0.8"))),
    )
    .await;
    let advice = String::from_utf8_lossy(&r.bytes).to_string();
    assert!(advice.contains("larger than stubble") && advice.contains("blue"), "{advice}");
    // The brows marked 5.8 cm below the hairline's lowest point: low for a client in their fifties.
    let r = send(
        &app,
        "POST",
        &format!("{base}/advice"),
        Some(&pia),
        Some(&format!("{drawing}&glabella=400%2C440")),
    )
    .await;
    let advice = String::from_utf8_lossy(&r.bytes).to_string();
    assert!(advice.contains("5.8 cm above the brows") && advice.contains("too young"), "{advice}");
    let r = send(&app, "POST", &format!("{base}/advice"), Some(&pia), Some("scale_mm=1")).await;
    assert!(String::from_utf8_lossy(&r.bytes).contains("Set the scale"));
    assert_eq!(
        send(&app, "POST", &format!("{base}/advice"), Some(&fred), Some(drawing)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, "POST", &format!("{base}/advice"), Some(&bo), Some(drawing)).await.status,
        StatusCode::NOT_FOUND
    );

    // An unfinished drawing gets words, not a picture.
    let r =
        send(&app, "POST", &format!("{base}/preview"), Some(&pia), Some("scale_mm=140&stage=healed")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("scale"), "{}", r.body);
    let r =
        send(&app, "POST", &format!("{base}/preview"), Some(&pia), Some(&format!("{drawing}&density=900")))
            .await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("density"), "{}", r.body);

    // Saving makes versions; each can be opened again.
    let r = send(&app, "POST", &editor, Some(&pia), Some(&format!("csrf={csrf}&{drawing}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location.unwrap();
    let r =
        send(&app, "POST", &editor, Some(&pia), Some(&format!("csrf={csrf}&{drawing}&dilution=0.4"))).await;
    let second = r.location.unwrap();
    let r = send(&app, "GET", &second, Some(&pia), None).await;
    assert!(
        r.body.contains("version 2") && r.body.contains("value=\"0.4\"") && r.body.contains("Version 1"),
        "{}",
        r.body
    );
    let r = send(&app, "GET", &first, Some(&pia), None).await;
    assert!(r.body.contains("version 1") && r.body.contains("value=\"0.6\""));
    assert!(r.body.contains("<option selected>3</option>"), "the type it was saved with");
    // The skin type left to the photo, read in a skin sample: saved so, opened again as such.
    let r =
        send(&app, "POST", &editor, Some(&pia), Some(&format!("csrf={csrf}&{sampled}&fitzpatrick=photo")))
            .await;
    let third = r.location.unwrap();
    let r = send(&app, "GET", &third, Some(&pia), None).await;
    assert!(r.body.contains("<option value=\"photo\" selected>From the photo</option>"), "{}", r.body);
    assert!(r.body.contains("name=\"skin_region\" value=\"600,450 700,450 700,520\""), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &format!("{base}/preview"),
        Some(&pia),
        Some(&format!("{drawing}&fitzpatrick=photo")),
    )
    .await;
    assert_eq!(r.content_type.as_deref(), Some("image/jpeg"), "{}", r.body);
    let r =
        send(&app, "POST", &format!("{base}/preview"), Some(&pia), Some(&format!("{drawing}&fitzpatrick=7")))
            .await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("skin type"), "{}", r.body);
    let r = send(&app, "POST", &editor, Some(&pia), Some(&format!("csrf={csrf}&scale_mm=140"))).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("Set the scale")
            && r.body.contains("value=\"140\"")
    );
    let r = send(&app, "POST", &editor, Some(&pia), Some(&format!("csrf=forged&{drawing}"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(send(&app, "GET", &chart, Some(&pia), None).await.body.contains("Version 3"));

    // Full-resolution export of a saved version at a stage.
    let design_id = second.rsplit("design=").next().unwrap().to_string();
    let export = format!("{chart}/designs/{design_id}/export?stage=years%3A5");
    let r = send(&app, "GET", &export, Some(&pia), None).await;
    assert_eq!(r.content_type.as_deref(), Some("image/jpeg"), "{}", r.body);
    assert_eq!(image::load_from_memory(&r.bytes).unwrap().to_rgb8().dimensions(), (800, 600));
    let r = send(&app, "GET", &format!("{chart}/designs/{design_id}/export?stage=someday"), Some(&pia), None)
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("not a stage"));
    assert_eq!(send(&app, "GET", &export, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", &export, Some(&bo), None).await.status, StatusCode::NOT_FOUND);

    // Front desk and other studios: nothing.
    assert_eq!(send(&app, "GET", &editor, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    let r = send(&app, "POST", &format!("{base}/preview"), Some(&fred), Some(drawing)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", &editor, Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, "GET", &first, Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    let r = send(&app, "POST", &editor, Some(&bo), Some(&format!("csrf={bo_csrf}&{drawing}"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(&app, "POST", &format!("{base}/preview"), Some(&bo), Some(drawing)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.store.studio(&a).audit_log(5).await.unwrap().iter().any(|e| e.action == "save-design"));
}

#[tokio::test]
async fn sessions_keep_their_ink_passport_and_hand_over_aftercare() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, _), pia_user, .. } =
        cast(&app, "Main Street SMP").await;
    let chart =
        send(&app, "POST", "/clients", Some(&pia), Some(&format!("csrf={csrf}&full_name=Ivy+Secret")))
            .await
            .location
            .unwrap();
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &client_id, "proceed", None, true).await;
    let r = send(&app, "GET", &format!("{chart}/sessions/new"), Some(&pia), None).await;
    assert!(
        r.status.is_success() && r.body.contains("name=\"number\" type=\"number\" value=\"1\""),
        "{}",
        r.body
    );
    // A tablet offers the keypad for decimals and room for a few lines of notes.
    assert!(r.body.contains("name=\"needle_mm\" type=\"text\" inputmode=\"decimal\""), "{}", r.body);
    assert!(r.body.contains("<textarea id=\"notes\" name=\"notes\""), "{}", r.body);

    let passport = |expiry: &str| {
        format!(
            "csrf={csrf}&health_unchanged=on&design_id=&date=2026-12-01&number=1&zones=front&pigment_brand=Perma+Blend&pigment_batch=L2311-07\
             &pigment_expiry={expiry}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=3.5+mm&anaesthetic=none\
             &duration_min=210&pain=3&notes=calm%0Aasked+about+sport"
        )
    };
    let r = send(&app, "POST", &format!("{chart}/sessions"), Some(&pia), Some(&passport("2026-11-01"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("expired on 2026-11-01") && r.body.contains("value=\"L2311-07\""), "{}", r.body);
    assert!(r.body.contains("id=\"pigment_expiry-error\""), "the message sits by its field");
    let r = send(&app, "POST", &format!("{chart}/sessions"), Some(&pia), Some(&passport("2027-06-30"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r.location.unwrap();
    let r = send(&app, "GET", &session, Some(&pia), None).await;
    assert!(
        r.body.contains("L2311-07") && r.body.contains("Perma Blend") && r.body.contains("3RL"),
        "{}",
        r.body
    );
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "view-session" && e.staff_name == "pia"), "the view is audited");
    assert!(r.body.contains("No photo was uploaded on 2026-12-01"));
    assert!(r.body.contains("class=\"keep-lines\">calm\nasked about sport<"), "notes keep their lines");
    // A session recorded today lists the photos taken today.
    let today = chrono::Utc::now().date_naive().to_string();
    let r = send_body(
        &app,
        "POST",
        &format!("{chart}/photos"),
        Some(&pia),
        Some(multipart(&[("csrf", &csrf), ("angle", "crown")], Some(("a.jpg", &phone_jpeg(64, 40))))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let today_form = passport("2027-06-30")
        .replace("date=2026-12-01", &format!("date={today}"))
        .replace("number=1", "number=2");
    let r = send(&app, "POST", &format!("{chart}/sessions"), Some(&pia), Some(&today_form)).await;
    let r = send(&app, "GET", &r.location.unwrap(), Some(&pia), None).await;
    assert!(
        r.body.contains("Photos of the day") && r.body.contains("/thumbnail") && r.body.contains("crown"),
        "{}",
        r.body
    );
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(r.body.contains("Session 1") && !r.body.contains("L2311-07"), "front desk sees the schedule");

    // The studio's phone and the next planned session reach the client.
    let admin = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let details = smp_store::StudioDetails {
        name: "Main Street SMP".into(),
        phone: Some("+44 20 7946 0000".into()),
        time_zone: "UTC".into(),
        open_days: "mon tue wed thu fri sat sun".into(),
        ..Default::default()
    };
    app.store.studio(&a).set_details(&admin, &details).await.unwrap();
    let client_id = chart.rsplit('/').next().unwrap();
    let design = {
        let photo = smp_store::new_photo_id();
        let studio = app.store.studio(&a);
        studio.add_photo(&photo, client_id, &admin, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
        studio.save_design(client_id, &photo, &admin, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap()
    };
    let next = smp_store::PlannedSession {
        number: 2,
        date: "2026-12-20".into(),
        impressions: 100,
        hours: 2.0,
        focus: "crown".into(),
        start_time: Some("11:00".into()),
    };
    let saved =
        app.store.studio(&a).save_plan(client_id, &design.id, &admin, &[next], |_, _| Ok(())).await.unwrap();
    assert_eq!(saved, smp_store::SavedPlan::Saved);

    // The aftercare link: public, read-only, no health data or client name;
    // with a QR code of itself and a copy button on the session page.
    let r =
        send(&app, "POST", &format!("{session}/aftercare-link"), Some(&pia), Some(&format!("csrf={csrf}")))
            .await;
    assert_eq!(r.location.as_deref(), Some(format!("{session}?made=1#aftercare").as_str()));
    let r = send(&app, "GET", &format!("{session}?made=1"), Some(&pia), None).await;
    assert!(
        r.body.contains("<svg role=\"img\" aria-label=\"QR code") && r.body.contains("data-copy="),
        "{}",
        r.body
    );
    let link =
        r.body.split("id=\"aftercare-link\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = send(&app, "GET", &link, None, None).await;
    assert!(
        r.status.is_success() && r.body.contains("Your SMP aftercare") && r.body.contains("Main Street SMP")
    );
    assert!(
        r.body.contains("tel:+44 20 7946 0000") && r.body.contains("Sunday 20 December 2026"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Ivy") && !r.body.contains("L2311") && !r.body.contains("Secret"));
    let r = send(&app, "GET", &format!("{link}/calendar.ics"), None, None).await;
    assert!(
        r.content_type.as_deref().unwrap().starts_with("text/calendar") && r.body.contains("BEGIN:VCALENDAR")
    );
    let r = send(&app, "GET", "/aftercare/0123456789abcdef", None, None).await;
    assert!(r.status == StatusCode::NOT_FOUND && r.body.contains("expired or does not exist"));
    // The studio's colour and logo on the client's page, the logo through
    // the link's token.
    let studio = app.store.studio(&a);
    studio.set_accent(&pia_user, Some("#7a1f5c")).await.unwrap();
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(60, 20, image::Rgba([122, 31, 92, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    studio.set_logo(&pia_user, Some(&png)).await.unwrap();
    let r = send(&app, "GET", &link, None, None).await;
    assert!(
        r.body.contains("color: #7a1f5c") && r.body.contains(&format!("src=\"{link}/logo.png\"")),
        "{}",
        r.body
    );
    let r = send(&app, "GET", &format!("{link}/logo.png"), None, None).await;
    assert_eq!((r.content_type.as_deref(), r.bytes.clone()), (Some("image/png"), png));
    // Listed on the session page with its expiry, and ended there at once.
    let token = link.rsplit('/').next().unwrap().to_string();
    let r = send(&app, "GET", &session, Some(&pia), None).await;
    assert!(r.body.contains("works until") && r.body.contains("End this link now"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &format!("{session}/aftercare-link/revoke"),
        Some(&pia),
        Some(&format!("csrf={csrf}&token={token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, "GET", &link, None, None).await.status, StatusCode::NOT_FOUND, "ended");
    assert_eq!(
        send(&app, "GET", &format!("{link}/logo.png"), None, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(send(&app, "GET", &session, Some(&pia), None).await.body.contains("ended "));
    // Links are made from the configured public address, never from what a
    // request's headers claim.
    let public = router(app.state().with_public_url("https://smp.example/"));
    send(&app, "POST", &format!("{session}/aftercare-link"), Some(&pia), Some(&format!("csrf={csrf}"))).await;
    let req = Request::get(session.as_str())
        .header(header::COOKIE, format!("{SESSION_COOKIE}={pia}"))
        .header(header::HOST, "evil.example")
        .header("x-forwarded-proto", "javascript")
        .body(Body::empty())
        .unwrap();
    let res = public.oneshot(req).await.unwrap();
    let body =
        String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(body.contains("href=\"https://smp.example/aftercare/") && !body.contains("evil"), "{body}");

    // Roles and studios.
    assert_eq!(send(&app, "GET", &session, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    let r = send(
        &app,
        "POST",
        &format!("{chart}/sessions"),
        Some(&fred),
        Some(&passport("2027-06-30").replace(&csrf, &fred_csrf)),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", &session, Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, "GET", &format!("{chart}/sessions/new"), Some(&bo), None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = send(&app, "POST", &format!("{session}/aftercare-link"), Some(&pia), Some("csrf=forged")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(20).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"record-session".to_string()) && actions.contains(&"share-aftercare".to_string())
    );
}

#[tokio::test]
async fn the_follow_up_list_shows_this_week_healing_checks_and_touch_ups() {
    let app = app().await;
    let Cast { a, fred: (fred, _), bo: (bo, _), pia_user: pia, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let client = |name: &str| {
        let fields = smp_store::ClientFields { full_name: name.into(), ..Default::default() };
        let (studio, pia) = (app.store.studio(&a), &pia);
        async move { studio.create_client(pia, &fields).await.unwrap() }
    };
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let (now, healing, faded) =
        (client("Nina Now").await, client("Hal Healing").await, client("Fay Faded").await);
    studio.record_session(&now.id, &pia, &today.to_string(), 2, None, "{}").await.unwrap().unwrap();
    studio.record_session(&healing.id, &pia, &days_ago(35), 1, None, "{}").await.unwrap().unwrap();
    let photo = smp_store::new_photo_id();
    studio.add_photo(&photo, &faded.id, &pia, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
    let design =
        studio.save_design(&faded.id, &photo, &pia, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap();
    studio
        .record_session(&faded.id, &pia, &days_ago(5 * 365), 3, Some(&design.id), "{}")
        .await
        .unwrap()
        .unwrap();

    let r = send(&app, "GET", "/dashboard", Some(&fred), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    let section = |id: &str| {
        r.body.split(&format!("id=\"{id}\"")).nth(1).unwrap().split("</div>").next().unwrap().to_string()
    };
    assert!(section("this-week").contains("Nina Now") && !section("this-week").contains("Hal"));
    assert!(section("healing").contains("Hal Healing") && !section("healing").contains("Nina"));
    assert!(section("touch-ups").contains("Fay Faded"), "{}", section("touch-ups"));
    assert!(
        !send(&app, "GET", "/dashboard", Some(&bo), None).await.body.contains("Nina"),
        "another studio sees none"
    );
    assert_eq!(send(&app, "GET", "/dashboard", None, None).await.location.as_deref(), Some("/login"));
}

/// A client screened "proceed", with a photo record and the example design
/// on it: (the client, the design version).
async fn screened_client_with_design(
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

/// Once a few planned sessions are recorded with their duration, new plans
/// take their times from the studio's own pace (the median of those
/// sessions, less the set-up), and the plan page says which pace it uses.
#[tokio::test]
async fn plans_learn_the_studios_own_pace() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Sam Slow").await;
    let url = format!("/clients/{}/plan", client.id);
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let make = format!("csrf={csrf}&design_id={}&start={start}", design.id);
    let r = send(&app, "GET", &url, Some(&pia), None).await;
    assert!(r.body.contains("the protocol&#39;s pace, 5,000 impressions an hour"), "{}", r.body);
    assert_eq!(send(&app, "POST", &url, Some(&pia), Some(&make)).await.status, StatusCode::SEE_OTHER);
    let first = studio.plan(&client.id).await.unwrap().unwrap();
    // Each session recorded as taking 45 minutes of set-up plus an hour per
    // thousand impressions: a pace of 1,000 an hour.
    let setup = smp_clinic::Protocol::default_protocol().plan.setup_minutes;
    for s in &first.sessions {
        let minutes = setup as i64 + s.impressions * 60 / 1000;
        let passport = format!("{{\"duration_min\": {minutes}}}");
        studio
            .record_session(&client.id, &pia_user, &s.date, s.number, None, &passport)
            .await
            .unwrap()
            .unwrap();
    }
    let r = send(&app, "GET", &url, Some(&pia), None).await;
    // (Whole minutes: the pace comes out within a few impressions of 1,000.)
    let note = r.body.split("own pace: about ").nth(1).unwrap_or_else(|| panic!("{}", r.body));
    let rate: f64 = note.split(' ').next().unwrap().replace(',', "").parse().unwrap();
    assert!((990.0..=1010.0).contains(&rate), "{note}");
    assert!(note.contains("impressions an hour, from its last 3 recorded sessions"), "{note}");
    assert_eq!(send(&app, "POST", &url, Some(&pia), Some(&make)).await.status, StatusCode::SEE_OTHER);
    let again = studio.plan(&client.id).await.unwrap().unwrap();
    for s in &again.sessions {
        let expected = ((setup as f64 / 60.0 + s.impressions as f64 / 1000.0) * 10.0).round() / 10.0;
        assert!((s.hours - expected).abs() < 0.11, "session {}: {} h, not {expected} h", s.number, s.hours);
    }
    assert!(again.sessions[0].hours > first.sessions[0].hours, "slower than the protocol's default");
}

#[tokio::test]
async fn plans_follow_the_protocol_and_fill_the_calendar() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), bo: (bo, bo_csrf), pia_user, .. } =
        cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Paul Plan").await;
    let url = format!("/clients/{}/plan", client.id);
    let r = send(&app, "GET", &url, Some(&pia), None).await;
    assert!(r.status.is_success() && r.body.contains("Make a plan"), "{}", r.body);

    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let r = send(
        &app,
        "POST",
        &url,
        Some(&pia),
        Some(&format!("csrf={csrf}&design_id={}&start={start}", design.id)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    assert_eq!(plan.sessions.len(), 3);
    assert_eq!(plan.sessions[0].date, start.to_string());
    // The chart's summary names the next session, for every role.
    let chart = send(&app, "GET", &format!("/clients/{}", client.id), Some(&fred), None).await.body;
    let next = format!("{}, session 1", start.format("%-d %B %Y"));
    assert!(chart.contains(&next), "{next} in {chart}");
    assert!(plan.sessions.iter().all(|s| s.impressions > 0 && s.hours > 0.0));

    // Session 2 moved to the day after session 1: refused with the reason.
    let too_soon = start + chrono::Days::new(1);
    let dates = format!("date_1={start}&date_2={too_soon}&date_3={}", plan.sessions[2].date);
    let r = send(&app, "POST", &url, Some(&pia), Some(&format!("csrf={csrf}&{dates}"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("healing window") && r.body.contains(&format!("value=\"{too_soon}\"")),
        "{}",
        r.body
    );
    assert_eq!(studio.plan(&client.id).await.unwrap().unwrap(), plan, "nothing changed");
    // A later date is fine.
    let later = start + chrono::Days::new(20);
    let dates = format!("date_1={start}&date_2={later}&date_3={}", later + chrono::Days::new(30));
    let r = send(&app, "POST", &url, Some(&pia), Some(&format!("csrf={csrf}&{dates}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(studio.plan(&client.id).await.unwrap().unwrap().sessions[1].date, later.to_string());

    // Sessions start at opening time (10:00 by default); a start moved so
    // that the session would end after closing (19:00) is refused with the
    // reason, what was typed kept; one within the hours is kept.
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    assert!(plan.sessions.iter().all(|s| s.start_time.as_deref() == Some("10:00")), "{plan:?}");
    let dates = format!("date_1={start}&date_2={later}&date_3={}", plan.sessions[2].date);
    let late = format!("csrf={csrf}&{dates}&time_1=18%3A30");
    let r = send(&app, "POST", &url, Some(&pia), Some(&late)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Session 1: starting at 18:30") && r.body.contains("after closing time (19:00)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"18:30\""), "kept: {}", r.body);
    let early = format!("csrf={csrf}&{dates}&time_1=08%3A00");
    assert!(
        send(&app, "POST", &url, Some(&pia), Some(&early)).await.body.contains("before the studio opens")
    );
    let fine = format!("csrf={csrf}&{dates}&time_1=14%3A15");
    assert_eq!(send(&app, "POST", &url, Some(&pia), Some(&fine)).await.status, StatusCode::SEE_OTHER);
    let first = &studio.plan(&client.id).await.unwrap().unwrap().sessions[0];
    assert_eq!(first.start_time.as_deref(), Some("14:15"));

    // The calendar's week shows the planned sessions of that week, on their
    // day; another studio's does not; a date that is none is refused.
    let week = format!("/calendar?week={start}");
    let r = send(&app, "GET", &week, Some(&fred), None).await;
    assert!(r.body.contains("Paul Plan") && r.body.contains("session 1"), "{}", r.body);
    assert!(r.body.contains("<span class=\"time\">14:15–"), "with its time: {}", r.body);
    let day = start.format("%a %-d %b").to_string();
    let column = r.body.split(&format!("<span aria-hidden=\"true\">{day}</span>")).nth(1).unwrap();
    assert!(column.split("</li>").next().unwrap().contains("Paul Plan"), "on its day: {}", r.body);
    let next_week = format!("/calendar?week={}", start + chrono::Days::new(7));
    assert!(!send(&app, "GET", &next_week, Some(&fred), None).await.body.contains("Paul Plan"));
    assert!(!send(&app, "GET", &week, Some(&bo), None).await.body.contains("Paul"));
    let r = send(&app, "GET", "/calendar?week=someday", Some(&fred), None).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("not a date"), "{}", r.body);
    assert_eq!(send(&app, "GET", &url, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", &url, Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    let r = send(
        &app,
        "POST",
        &url,
        Some(&bo),
        Some(&format!("csrf={bo_csrf}&design_id={}&start={start}", design.id)),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn behind_tls_the_login_cookie_is_secure() {
    let app = app().await;
    let studio = app.store.create_studio("A").await.unwrap();
    staff(&app, &studio, "fred").await;
    let secure = router(app.state().with_secure_cookies(true));
    let (form_cookie, csrf) = login_form(&app).await;
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, form_cookie)
        .body(Body::from(format!("csrf={csrf}&name=fred&password=a+long+password")))
        .unwrap();
    let res = secure.oneshot(req).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure;") && cookie.contains("HttpOnly"), "{cookie}");
    let (plain, _) = login(&app, "fred", "a long password").await;
    assert!(!plain.is_empty(), "the default stays usable over plain HTTP on the studio's own machine");
}

/// The chart of a new client with one top photo, and the photo's editor URL.
async fn client_with_photo(app: &App, cookie: &str, csrf: &str, name: &str) -> (String, String) {
    let chart = send(app, "POST", "/clients", Some(cookie), Some(&format!("csrf={csrf}&full_name={name}")))
        .await
        .location
        .unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_pixel(400, 300, image::Rgb([196, 150, 124])))
        .unwrap();
    let r = send_body(
        app,
        "POST",
        &format!("{chart}/photos"),
        Some(cookie),
        Some(multipart(&[("csrf", csrf), ("angle", "top")], Some(("top.jpg", &jpeg)))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = send(app, "GET", &chart, Some(cookie), None).await.body;
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

/// A request's body: its content type and bytes.
type RequestBody = Option<(String, Vec<u8>)>;

/// Twenty of each kind of save sent at once, on real threads against the real
/// database: every one is stored (a deferred BEGIN failed most of them with
/// "busy" on SQLite), and design versions are numbered without a gap or a
/// clash.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saves_sent_at_once_all_succeed() {
    const N: usize = 20;
    let app = std::sync::Arc::new(app().await);
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    let mut charts = Vec::new();
    for i in 0..N {
        charts.push(
            send(&app, "POST", "/clients", Some(&pia), Some(&format!("csrf={csrf}&full_name=Client+{i}")))
                .await
                .location
                .unwrap(),
        );
    }
    let (shared_chart, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let consent_form = send(&app, "GET", &format!("{}/consent", charts[0]), Some(&pia), None).await.body;
    let text_id = consent_form
        .split("name=\"text_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let signature = drawn_signature(true);
    let mut photo = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut photo)
        .encode_image(&image::RgbImage::from_pixel(320, 240, image::Rgb([180, 140, 120])))
        .unwrap();
    let drawing = "scale_from=20%2C280&scale_to=380%2C280&scale_mm=140&hairline=50%2C80+200%2C60+350%2C80\
                   &zone=30%2C60+370%2C60+370%2C260+30%2C260&style=soft&density=20&diameter_mm=0.45";

    let mut tasks = Vec::new();
    for (i, chart) in charts.iter().enumerate() {
        let kinds: [(String, RequestBody); 4] = [
            (
                format!("{chart}/intake"),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02").into_bytes(),
                )),
            ),
            (
                format!("{chart}/consent"),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!(
                        "csrf={csrf}&text_id={text_id}&agree=on&signed_name=Client+{i}&signature={signature}"
                    )
                    .into_bytes(),
                )),
            ),
            (
                editor.clone(),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("csrf={csrf}&{drawing}").into_bytes(),
                )),
            ),
            (
                format!("{chart}/photos"),
                Some(multipart(&[("csrf", &csrf), ("angle", "crown")], Some(("crown.jpg", &photo)))),
            ),
        ];
        for (uri, body) in kinds {
            let (app, pia) = (app.clone(), pia.clone());
            tasks.push(tokio::spawn(async move {
                let r = send_body(&app, "POST", &uri, Some(&pia), body).await;
                (uri, r.status, r.body)
            }));
        }
    }
    let mut failures = Vec::new();
    for task in tasks {
        let (uri, status, body) = task.await.unwrap();
        if status != StatusCode::SEE_OTHER {
            failures.push(format!("{uri}: {status} {}", body.chars().take(200).collect::<String>()));
        }
    }
    assert!(failures.is_empty(), "{} of {} saves failed: {failures:#?}", failures.len(), 4 * N);

    let studio = app.store.studio(&a);
    let client_id = shared_chart.rsplit('/').next().unwrap();
    let mut versions: Vec<i64> = studio.designs(client_id).await.unwrap().iter().map(|d| d.version).collect();
    versions.sort();
    assert_eq!(versions, (1..=N as i64).collect::<Vec<_>>());
    for chart in &charts {
        let id = chart.rsplit('/').next().unwrap();
        assert_eq!(studio.screenings(id).await.unwrap().len(), 1, "{chart}");
        assert_eq!(studio.consents(id).await.unwrap().len(), 1, "{chart}");
        assert_eq!(studio.photos(id).await.unwrap().len(), 1, "{chart}");
    }
}

/// Every path that creates or moves a session (a new plan, moved plan
/// dates, a recorded session), for every standing the screening can leave:
/// refused with the reason, and allowed with a practitioner's typed reason,
/// which is recorded on the chart and audited.
#[tokio::test]
async fn the_screening_guards_every_path_that_plans_or_records_a_session() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let today = chrono::Utc::now().date_naive();
    let in_days = |n: u64| today + chrono::Days::new(n);
    let later = in_days(400);
    // (outcome, postponed until, consent signed, may plan from in 3 days, may record today)
    let cases: [(&str, Option<chrono::NaiveDate>, bool, bool, bool); 7] = [
        ("none", None, true, false, false),
        ("proceed", None, true, true, true),
        ("caution", None, true, true, true),
        ("proceed", None, false, true, false),
        ("postpone", Some(later), true, false, false),
        ("clearance", None, true, false, false),
        ("decline", None, true, false, false),
    ];
    // Every case plans on the same days: chairs enough for all (the chairs
    // have their own test).
    studio.set_chairs(&pia_user, smp_store::MAX_CHAIRS).await.unwrap();
    for (outcome, until, consent, may_plan, may_record) in cases {
        let case = format!("{outcome}, until {until:?}, consent {consent}");
        let client = studio
            .create_client(
                &pia_user,
                &smp_store::ClientFields { full_name: format!("Client {outcome}"), ..Default::default() },
            )
            .await
            .unwrap();
        let photo = smp_store::new_photo_id();
        studio
            .add_photo(&photo, &client.id, &pia_user, smp_store::PhotoAngle::Top, 10, 10, 10)
            .await
            .unwrap();
        let design = studio
            .save_design(&client.id, &photo, &pia_user, smp_core::EXAMPLE_DESIGN)
            .await
            .unwrap()
            .unwrap();
        if outcome != "none" {
            screened(&app, &a, &pia_user, &client.id, outcome, until, consent).await;
        }
        let chart = format!("/clients/{}", client.id);
        let plan_url = format!("{chart}/plan");
        let new_plan = format!("csrf={csrf}&design_id={}&start={}", design.id, in_days(3));
        let refused = |r: &Reply| {
            r.status == StatusCode::BAD_REQUEST && r.body.contains("Not allowed by the screening")
        };

        // A new plan.
        let r = send(&app, "POST", &plan_url, Some(&pia), Some(&new_plan)).await;
        if may_plan {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: {} {}", r.status, r.body);
            assert!(studio.plan(&client.id).await.unwrap().is_none(), "{case}: nothing planned");
            // The override form replays the request with the reason.
            assert!(
                r.body.contains("name=\"start\"") && r.body.contains("name=\"override_reason\""),
                "{case}"
            );
            if outcome == "postpone" {
                assert!(r.body.contains("too early"), "{case}: {}", r.body);
            }
            let r = send(
                &app,
                "POST",
                &plan_url,
                Some(&pia),
                Some(&format!("{new_plan}&override_reason=Physician%27s+clearance+received+1+Dec")),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        }
        let plan = studio.plan(&client.id).await.unwrap().unwrap();

        // Moving the plan's dates.
        let moved: Vec<String> = plan
            .sessions
            .iter()
            .map(|s| {
                let d: chrono::NaiveDate = s.date.parse().unwrap();
                format!("date_{}={}", s.number, d + chrono::Days::new(1))
            })
            .collect();
        let move_form = format!("csrf={csrf}&{}", moved.join("&"));
        let r = send(&app, "POST", &plan_url, Some(&pia), Some(&move_form)).await;
        if may_plan {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: moving {} {}", r.status, r.body);
            let r = send(
                &app,
                "POST",
                &plan_url,
                Some(&pia),
                Some(&format!("{move_form}&override_reason=asked")),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        }

        // Recording a session today.
        let record = format!(
            "csrf={csrf}&health_unchanged=on&design_id=&date={today}&number=1&zones=front&pigment_brand=PB\
             &pigment_batch=L1&pigment_expiry={}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m\
             &anaesthetic=none&duration_min=120&pain=2&notes=",
            in_days(300)
        );
        let r = send(&app, "POST", &format!("{chart}/sessions"), Some(&pia), Some(&record)).await;
        if may_record {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: recording {} {}", r.status, r.body);
            assert!(r.body.contains("value=\"L1\""), "{case}: what was typed is kept");
            assert!(studio.treatment_sessions(&client.id).await.unwrap().is_empty(), "{case}");
            let r = send(
                &app,
                "POST",
                &format!("{chart}/sessions"),
                Some(&pia),
                Some(&format!("{record}&override_reason=Clearance+letter+scanned")),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
            let overrides = studio.overrides(&client.id).await.unwrap();
            assert!(overrides.iter().any(|o| o.reason == "Clearance letter scanned"), "{case}");
            let r = send(&app, "GET", &chart, Some(&pia), None).await;
            assert!(
                r.body.contains("Went ahead despite the screening")
                    && r.body.contains("Clearance letter scanned")
            );
        }
    }
    // Unconfirmed health answers are refused too.
    let client = studio
        .create_client(
            &pia_user,
            &smp_store::ClientFields { full_name: "Unconfirmed".into(), ..Default::default() },
        )
        .await
        .unwrap();
    screened(&app, &a, &pia_user, &client.id, "proceed", None, true).await;
    let r = send(
        &app,
        "POST",
        &format!("/clients/{}/sessions", client.id),
        Some(&pia),
        Some(&format!(
            "csrf={csrf}&design_id=&date={today}&number=1&zones=front&pigment_brand=PB&pigment_batch=L1\
             &pigment_expiry={}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m&anaesthetic=none\
             &duration_min=120&pain=2&notes=",
            in_days(300)
        )),
    )
    .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("nothing has changed"), "{}", r.body);

    // The front desk sees the standing and its date, never the reasons.
    let postponed = studio.search_clients("Client postpone", 1).await.unwrap().remove(0);
    let r = send(&app, "GET", &format!("/clients/{}", postponed.id), Some(&fred), None).await;
    let long = format!("{}", later.format("%-d %B %Y"));
    assert!(r.body.contains("Postponed until") && r.body.contains(&long), "{}", r.body);
    assert!(
        !r.body.contains("Clearance letter") && !r.body.contains("Went ahead"),
        "no reasons for the front desk"
    );
    let actions: Vec<String> = studio.audit_log(1000).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().filter(|a| *a == "override-screening").count() >= 10, "{actions:?}");
}

/// What a request may ask of the CPU is bounded before any work: a zone of
/// more points than a drawn outline needs, or more zones than a design may
/// have, is refused in words naming the key; a zone of the largest size
/// allowed, drawn over the whole photo at an absurd scale (the attack that
/// took minutes: every grid cell tested against every vertex), is answered.
#[tokio::test]
async fn designs_beyond_the_limits_are_refused_before_any_work() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    let (_, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let preview = editor.replace("/design", "/preview");
    // A star of `n` points filling the 400 x 300 photo.
    let star = |n: usize| {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 140.0 } else { 120.0 };
                format!("{:.2}%2C{:.2}", 200.0 + r * a.cos(), 150.0 + r * a.sin() * 0.9)
            })
            .collect::<Vec<_>>()
            .join("+")
    };
    let form = |zone: &str, extra: &str| {
        format!(
            "scale_from=0%2C290&scale_to=400%2C290&scale_mm=400&zone={zone}&style=soft&density=0.1\
             &diameter_mm=0.45{extra}"
        )
    };
    let r = send(&app, "POST", &preview, Some(&pia), Some(&form(&star(1001), ""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("zones[0].polygon") && r.body.contains("1001 points"), "{}", r.body);
    let many = format!(
        "&extra_zones={}&extra_densities={}",
        vec!["10%2C10+30%2C10+30%2C30"; 24].join("%7C"),
        vec!["20"; 24].join("%7C")
    );
    let r = send(&app, "POST", &preview, Some(&pia), Some(&form("50%2C50+90%2C50+90%2C90", &many))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("25 zones"), "{}", r.body);
    let r = send(&app, "POST", &preview, Some(&pia), Some(&form(&star(1000), ""))).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);
}

/// A photo cut short (a dropped upload) decodes with its missing part grey:
/// refused with a message instead, and nothing is stored.
#[tokio::test]
async fn photos_cut_short_are_refused_and_not_stored() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    let chart = send(&app, "POST", "/clients", Some(&pia), Some(&format!("csrf={csrf}&full_name=Ivy")))
        .await
        .location
        .unwrap();
    let photo =
        image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x * 7) as u8, (x ^ y) as u8, y as u8]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&photo).unwrap();
    for cut in [jpeg.len() * 6 / 10, 2048] {
        let r = send_body(
            &app,
            "POST",
            &format!("{chart}/photos"),
            Some(&pia),
            Some(multipart(&[("csrf", &csrf), ("angle", "top")], Some(("top.jpg", &jpeg[..cut])))),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "cut at {cut}");
        assert!(r.body.contains("damaged or incomplete"), "{}", r.body);
    }
    // The form's token comes before the file; a file sent before it is
    // refused without being read.
    let r = send_body(
        &app,
        "POST",
        &format!("{chart}/photos"),
        Some(&pia),
        Some(multipart(&[("angle", "top")], Some(("top.jpg", &jpeg)))),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let client_id = chart.rsplit('/').next().unwrap();
    assert!(app.store.studio(&a).photos(client_id).await.unwrap().is_empty());
    assert!(app.stored(&a).await.is_empty(), "no file left");
}

/// What a crash leaves in the photo store (files written before their
/// record, temporary files) is swept at start; recorded photos and files
/// young enough to belong to an upload in flight stay.
#[tokio::test]
async fn the_sweep_removes_what_a_crash_left_and_nothing_else() {
    let app = local_app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let folder = app._dir.path().join("photos").join(&a.0);
    let kept: std::collections::BTreeSet<_> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let make = |name: &str, old: bool| {
        let path = folder.join(name);
        std::fs::write(&path, b"left by a crash").unwrap();
        if old {
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(an_hour_ago).unwrap();
        }
    };
    make("0123456789abcdef0123456789abcdef.jpg", true);
    make("0123456789abcdef0123456789abcdef.thumb.jpg", true);
    make(".smp-partial-Xy12", true);
    make("fedcba9876543210fedcba9876543210.jpg", false);
    // The recorded photo's files are old too: they stay.
    for name in &kept {
        std::fs::File::options()
            .write(true)
            .open(folder.join(name))
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }
    let state = AppState::new(app.store.clone(), app._dir.path());
    assert_eq!(smp_web::sweep_orphans(&state).await.unwrap(), 3);
    let mut left: std::collections::BTreeSet<_> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.remove(std::ffi::OsStr::new("fedcba9876543210fedcba9876543210.jpg")), "young: kept");
    assert_eq!(left, kept);
}

/// Every view of a photo is audited, the smaller copies too (a thumbnail
/// or screen copy fetched without the chart left no trace), once per person
/// and client for a few minutes rather than once per picture.
#[tokio::test]
async fn views_of_every_photo_size_are_audited_once_a_while() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let id = app.store.studio(&a).photo_ids().await.unwrap().into_iter().next().unwrap();
    app.store.create_user(&a, "lou", Role::Practitioner, "a long password", false).await.unwrap();
    let (lou, _) = login(&app, "lou", "a long password").await;
    for copy in ["thumbnail", "screen", "thumbnail"] {
        let r = send(&app, "GET", &format!("/photos/{id}/{copy}"), Some(&lou), None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    let lous: Vec<&str> = log.iter().filter(|e| e.staff_name == "lou").map(|e| e.action.as_str()).collect();
    assert_eq!(lous.iter().filter(|a| **a == "view-photos").count(), 1, "{lous:?}");
}

/// A form sent while the database does not answer is not lost: the error
/// page shows what was typed and sends it again with one tap, with the
/// request's reference; the log line has the cause.
#[tokio::test]
async fn a_server_error_keeps_what_was_typed() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    app.store.close().await;
    let form = format!("csrf={csrf}&full_name=Ivy+Typed&phone=%2B44+20+7946+0000&email=");
    let req = Request::post("/clients")
        .header(header::COOKIE, format!("{SESSION_COOKIE}={pia}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, form.len())
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::from(form))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_server_error());
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("database did not answer") && body.contains("Send again"), "{body}");
    assert!(body.contains("<form method=\"post\" action=\"/clients\">"), "{body}");
    for hidden in [format!("name=\"csrf\" value=\"{csrf}\""), "name=\"full_name\" value=\"Ivy Typed\"".into()]
    {
        assert!(body.contains(&hidden), "{hidden} in {body}");
    }
    assert!(body.contains("<dd>+44 20 7946 0000</dd>") && body.contains("reference <code>"), "{body}");
    assert!(!body.contains(&format!("<dd>{csrf}</dd>")), "the token is not shown");
}

/// A client's record is erased at their request by an admin, after a page
/// that lists what goes and what stays and a typed confirmation: the name,
/// contact details, health answers, photos (files too), designs and plan go;
/// the signed consents, session records and audit log stay; nothing new can
/// be added to it, and it no longer appears in searches.
#[tokio::test]
async fn a_client_is_erased_on_request_keeping_what_the_law_allows() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, ada_csrf) = login(&app, "ada", "a long password").await;
    let (chart, _) = client_with_photo(&app, &pia, &csrf, "Ivy Erase").await;
    let id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &id, "proceed", None, true).await;
    let studio = app.store.studio(&a);
    let passport = r#"{"duration_min": 200}"#;
    studio.record_session(&id, &pia_user, "2026-12-01", 1, None, passport).await.unwrap().unwrap();
    assert_eq!(app.stored(&a).await.len(), 3);

    let erase = format!("{chart}/erase");
    for who in [&pia, &fred] {
        assert_eq!(send(&app, "GET", &erase, Some(who), None).await.status, StatusCode::FORBIDDEN);
    }
    let r = send(&app, "GET", &chart, Some(&ada), None).await;
    assert!(r.body.contains(&format!("href=\"{erase}\"")), "admins find it on the chart");
    let r = send(&app, "GET", &erase, Some(&ada), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    for listed in ["1 health screening", "1 photo, with their files", "1 signed consent", "1 session record"]
    {
        assert!(r.body.contains(listed), "{listed} in {}", r.body);
    }
    // The wrong name: refused beside the form, what was typed kept.
    let r = send(
        &app,
        "POST",
        &erase,
        Some(&ada),
        Some(&format!("csrf={ada_csrf}&name=Ivy&reason=E-mail+of+30+Nov")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Type the client&#39;s name, Ivy Erase") && r.body.contains("E-mail of 30 Nov"),
        "{}",
        r.body
    );
    assert_eq!(studio.client(&id).await.unwrap().unwrap().full_name, "Ivy Erase", "nothing erased");
    let r = send(
        &app,
        "POST",
        &erase,
        Some(&ada),
        Some(&format!("csrf={ada_csrf}&name=ivy+erase&reason=E-mail+of+30+Nov")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let client = studio.client(&id).await.unwrap().unwrap();
    assert_eq!((client.full_name.as_str(), client.email, client.phone), ("Erased client", None, None));
    assert!(studio.screenings(&id).await.unwrap().is_empty() && studio.photos(&id).await.unwrap().is_empty());
    assert!(studio.designs(&id).await.unwrap().is_empty());
    assert!(app.stored(&a).await.is_empty(), "the photo files went too");
    assert_eq!(studio.consents(&id).await.unwrap().len(), 1, "the consent is kept");
    assert_eq!(studio.treatment_sessions(&id).await.unwrap().len(), 1, "the session record is kept");
    let r = send(&app, "GET", &chart, Some(&pia), None).await;
    assert!(r.body.contains("Erased on") && r.body.contains("E-mail of 30 Nov"), "{}", r.body);
    assert!(!r.body.contains("Record a session"), "no actions on an erased record");
    assert!(studio.search_clients("", 100).await.unwrap().iter().all(|c| c.id != id));
    // Nothing new lands on it.
    let r = send(
        &app,
        "POST",
        &format!("{chart}/intake"),
        Some(&pia),
        Some(&format!("csrf={csrf}&consultation_date=2026-12-01")),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(studio.screenings(&id).await.unwrap().is_empty());
    assert_eq!(send(&app, "GET", &erase, Some(&ada), None).await.status, StatusCode::GONE);
    let log = studio.audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "erase-client" && e.staff_name == "ada"));
}

/// The studio's own look: an admin sets an accent colour (one too light
/// for white text is refused beside the field, nothing saved) and uploads a
/// logo, which every page's header then shows to the studio's staff only.
#[tokio::test]
async fn a_studio_sets_its_accent_and_logo() {
    let app = app().await;
    let Cast { a, pia: (pia, pia_csrf), bo: (bo, _), .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let form = |accent: &str| {
        format!(
            "csrf={csrf}&name=A&time_zone=UTC&day_mon=on&consent_text={}&accent=%23{accent}",
            smp_clinic::DEFAULT_CONSENT_TEXT.replace(' ', "+").replace('\n', "%0A")
        )
    };
    let r = send(&app, "POST", "/admin/studio", Some(&ada), Some(&form("ffee00"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("too light") && r.body.contains("value=\"#ffee00\""), "{}", r.body);
    assert_eq!(app.store.studio(&a).brand().await.unwrap().accent, None, "nothing saved");
    // Hours that close before they open: refused, nothing saved.
    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!("{}&opens_at=19%3A00&closes_at=10%3A00", form("7a1f5c"))),
    )
    .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("open before it closes"), "{}", r.body);
    assert_eq!(app.store.studio(&a).brand().await.unwrap().accent, None, "nothing saved");
    let r = send(
        &app,
        "POST",
        "/admin/studio",
        Some(&ada),
        Some(&format!("{}&opens_at=09%3A30&closes_at=18%3A00", form("7a1f5c"))),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let hours = app.store.studio(&a).opening_hours().await.unwrap();
    assert_eq!((hours.opens.as_str(), hours.closes.as_str()), ("09:30", "18:00"));
    let r = send(&app, "POST", "/admin/studio", Some(&ada), Some(&form("7a1f5c"))).await;
    assert!(r.status.is_success() && r.body.contains("--accent: #7a1f5c"), "{}", r.body);
    assert!(send(&app, "GET", "/clients", Some(&pia), None).await.body.contains("--accent: #7a1f5c"));
    assert!(!send(&app, "GET", "/clients", Some(&bo), None).await.body.contains("#7a1f5c"), "A's only");

    let logo = image::RgbaImage::from_pixel(900, 300, image::Rgba([122, 31, 92, 200]));
    let mut png = Vec::new();
    logo.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    async fn upload(app: &App, who: &str, token: &str, bytes: &[u8]) -> Reply {
        let body = multipart_with(&[("csrf", token)], "logo", Some(("logo.png", bytes)));
        send_body(app, "POST", "/admin/studio/logo", Some(who), Some(body)).await
    }
    assert_eq!(upload(&app, &pia, &pia_csrf, b"x").await.status, StatusCode::FORBIDDEN);
    let r = upload(&app, &ada, &csrf, b"not an image").await;
    assert_eq!(r.location.as_deref(), Some("/admin/studio?logo=unreadable#logo"));
    let r = send(&app, "GET", "/admin/studio?logo=unreadable", Some(&ada), None).await;
    assert!(r.body.contains("not an image the app can read"), "{}", r.body);
    assert_eq!(send(&app, "GET", "/studio/logo.png", Some(&pia), None).await.status, StatusCode::NOT_FOUND);
    let r = upload(&app, &ada, &csrf, &png).await;
    assert_eq!(r.location.as_deref(), Some("/admin/studio?logo=saved#logo"));
    let r = send(&app, "GET", "/clients", Some(&pia), None).await;
    assert!(r.body.contains("<img class=\"logo\" src=\"/studio/logo.png\""), "{}", r.body);
    let r = send(&app, "GET", "/studio/logo.png", Some(&pia), None).await;
    assert_eq!(r.content_type.as_deref(), Some("image/png"));
    let stored = image::load_from_memory(&r.bytes).unwrap();
    assert_eq!((stored.width(), stored.height()), (600, 200), "fitted");
    assert_eq!(send(&app, "GET", "/studio/logo.png", Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    let r = send(&app, "POST", "/admin/studio/logo/remove", Some(&ada), Some(&format!("csrf={csrf}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app.store.studio(&a).brand().await.unwrap().has_logo);
}

/// A chain runs several instances of the app on one PostgreSQL database and
/// one S3-compatible bucket: a login on one works on the other, a photo
/// uploaded through one is shown by the other, and the sweep at either's
/// start removes only what no record names. Runs where the suite has both
/// (`scripts/test`'s PostgreSQL run, with its S3-compatible server).
#[tokio::test]
async fn two_instances_share_one_database_and_one_bucket() {
    let first = app().await;
    let (Some(url), Ok(_)) = (first.url.clone(), std::env::var("SMP_WEB_TEST_S3_URL")) else {
        eprintln!("skipped: needs SMP_WEB_TEST_DATABASE_URL and SMP_WEB_TEST_S3_URL");
        return;
    };
    // The second instance: its own connections, bucket client, caches and
    // throttles; nothing shared but the addresses.
    let dir = tempfile::tempdir().unwrap();
    let files = PhotoFiles::in_bucket(&first.files.describe()).unwrap();
    let store = Store::open(&url).await.unwrap();
    let second = App {
        router: router(AppState::new(store.clone(), dir.path()).with_photo_files(files.clone())),
        store,
        files,
        url: Some(url),
        _dir: dir,
    };
    let studio = first.store.create_studio("Chain").await.unwrap();
    first.store.create_user(&studio, "pia", Role::Practitioner, "a long password", false).await.unwrap();

    // Logged in through the first, working through the second.
    let (pia, csrf) = login(&first, "pia", "a long password").await;
    let (chart, _) = client_with_photo(&second, &pia, &csrf, "Ivy").await;
    let on_first = send(&first, "GET", &chart, Some(&pia), None).await;
    assert_eq!(on_first.status, StatusCode::OK);
    let photo = on_first.body.split("/photos/").nth(1).unwrap().split(['"', '/']).next().unwrap().to_string();
    let from_first = send(&first, "GET", &format!("/photos/{photo}"), Some(&pia), None).await;
    let from_second = send(&second, "GET", &format!("/photos/{photo}"), Some(&pia), None).await;
    assert_eq!((from_first.status, from_second.status), (StatusCode::OK, StatusCode::OK));
    assert!(from_first.bytes.len() > 1000 && from_first.bytes == from_second.bytes);
    // Logged out through the second: the session is gone on the first too.
    let r = send(&second, "POST", "/logout", Some(&pia), Some(&format!("csrf={csrf}"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(send(&first, "GET", &chart, Some(&pia), None).await.status, StatusCode::SEE_OTHER);

    // A file a crashed instance left without its record is swept; the
    // recorded photo's files stay, whichever instance sweeps.
    second
        .files
        .put(&studio, "0123456789abcdef0123456789abcdef.jpg", b"left by a crash".to_vec())
        .await
        .unwrap();
    let before = first.stored(&studio).await;
    assert_eq!(before.len(), 4);
    let swept = smp_web::sweep_orphans_older_than(&first.state(), std::time::Duration::ZERO).await.unwrap();
    assert_eq!(swept, 1);
    let after: Vec<String> = second.stored(&studio).await.into_keys().collect();
    assert_eq!(after, [format!("{photo}.jpg"), format!("{photo}.screen.jpg"), format!("{photo}.thumb.jpg")]);
}

/// A client's details are corrected in place, by any staff member: the old
/// values are kept and shown, the change is audited. The same person twice
/// (name and birth date, e-mail or phone) is shown before a new client is
/// saved, and saved only when confirmed as someone else.
#[tokio::test]
async fn details_are_corrected_with_their_history_and_duplicates_are_caught() {
    let app = app().await;
    let Cast { a, fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let new_client = |extra: &str| {
        format!("csrf={fred_csrf}&full_name=Ivy+Ink&birth_date=1985-04-02&email=ivy%40example.org{extra}")
    };
    let chart = send(&app, "POST", "/clients", Some(&fred), Some(&new_client(""))).await.location.unwrap();
    let details = format!("{chart}/details");
    let r = send(&app, "GET", &details, Some(&fred), None).await;
    assert!(r.status.is_success() && r.body.contains("value=\"ivy@example.org\""), "{}", r.body);

    // A typo in the e-mail, corrected; then a bad phone refused beside the form.
    let fix = format!(
        "csrf={fred_csrf}&full_name=Ivy+Ink&birth_date=1985-04-02&email=ivy.ink%40example.org&phone="
    );
    let r = send(&app, "POST", &details, Some(&fred), Some(&fix)).await;
    assert_eq!(r.location.as_deref(), Some(chart.as_str()), "{}", r.body);
    let r = send(&app, "POST", &details, Some(&fred), Some(&format!("{fix}call+me"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Phone") && r.body.contains("value=\"call me\""), "{}", r.body);
    let r = send(&app, "GET", &details, Some(&fred), None).await;
    assert!(
        r.body.contains("ivy@example.org") && r.body.contains("changed by fred"),
        "the old value stays: {}",
        r.body
    );
    assert!(send(&app, "GET", &chart, Some(&fred), None).await.body.contains("ivy.ink@example.org"));
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "edit-client" && e.staff_name == "fred"));

    // The same person again: shown, not saved, until confirmed.
    let again = new_client("").replace("ivy%40example.org", "other%40example.org");
    let r = send(&app, "POST", "/clients", Some(&fred), Some(&again)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("may be a client you already have") && r.body.contains(&chart), "{}", r.body);
    assert_eq!(app.store.studio(&a).search_clients("Ivy", 10).await.unwrap().len(), 1, "not saved yet");
    let r = send(&app, "POST", "/clients", Some(&fred), Some(&format!("{again}&not_a_duplicate=on"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.studio(&a).search_clients("Ivy", 10).await.unwrap().len(), 2);

    // Another studio can neither read nor correct the details.
    assert_eq!(send(&app, "GET", &details, Some(&bo), None).await.status, StatusCode::NOT_FOUND);
    let r = send(&app, "POST", &details, Some(&bo), Some(&fix.replace(&fred_csrf, &bo_csrf))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A wrong photo is withdrawn with a reason: gone from the chart's photos
/// and the editor, kept for the record with the reason, audited.
#[tokio::test]
async fn a_wrong_photo_is_withdrawn_with_a_reason_and_kept() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), .. } = cast(&app, "A").await;
    let (chart, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let photo = editor.split("/photos/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let withdraw = format!("/photos/{photo}/withdraw");
    let r = send(&app, "POST", &withdraw, Some(&fred), Some(&format!("csrf={fred_csrf}&reason=wrong"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "photos are for practitioners");
    let r = send(&app, "POST", &withdraw, Some(&pia), Some(&format!("csrf={csrf}&reason=+"))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Say why"), "{}", r.body);
    let r = send(
        &app,
        "POST",
        &withdraw,
        Some(&pia),
        Some(&format!("csrf={csrf}&reason=Another+client%27s+photo")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = send(&app, "GET", &chart, Some(&pia), None).await.body;
    assert!(!body.contains(&format!("/photos/{photo}/thumbnail")), "not among the photos");
    assert!(body.contains("Withdrawn photos (1)") && body.contains("Another client&#39;s photo"), "{body}");
    assert_eq!(send(&app, "GET", &editor, Some(&pia), None).await.status, StatusCode::GONE);
    // Kept for the record: the file is still there and viewable.
    assert_eq!(send(&app, "GET", &format!("/photos/{photo}"), Some(&pia), None).await.status, StatusCode::OK);
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "withdraw-photo" && e.staff_name == "pia"));
}

/// A recorded session is corrected by amendment with a reason: the record
/// shows the corrected values and keeps the original beside them.
#[tokio::test]
async fn a_session_record_is_amended_with_the_original_kept() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    let chart = send(&app, "POST", "/clients", Some(&pia), Some(&format!("csrf={csrf}&full_name=Ivy")))
        .await
        .location
        .unwrap();
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &client_id, "proceed", None, true).await;
    let today = chrono::Utc::now().date_naive();
    let record = |batch: &str| {
        format!(
            "csrf={csrf}&health_unchanged=on&date={today}&number=1&zones=front&pigment_brand=PB&pigment_batch={batch}\
             &pigment_expiry=2099-01-01&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m&anaesthetic=none\
             &duration_min=190&pain=2&notes="
        )
    };
    let session = send(&app, "POST", &format!("{chart}/sessions"), Some(&pia), Some(&record("L23I1"))).await;
    let session = session.location.unwrap();
    let amend = format!("{session}/amend");
    let r = send(&app, "GET", &amend, Some(&pia), None).await;
    assert!(
        r.status.is_success() && r.body.contains("value=\"L23I1\"") && r.body.contains("Amend session 1"),
        "{}",
        r.body
    );
    assert_eq!(send(&app, "GET", &amend, Some(&fred), None).await.status, StatusCode::FORBIDDEN);

    // No reason: refused beside the field, the correction kept.
    let r = send(&app, "POST", &amend, Some(&pia), Some(&format!("{}&reason=", record("L2311")))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"reason-error\"") && r.body.contains("value=\"L2311\""), "{}", r.body);
    let r =
        send(&app, "POST", &amend, Some(&pia), Some(&format!("{}&reason=Batch+mistyped", record("L2311"))))
            .await;
    assert_eq!(r.location.as_deref(), Some(session.as_str()), "{}", r.body);
    let page = send(&app, "GET", &session, Some(&pia), None).await.body;
    assert!(page.contains("L2311") && page.contains("Amended") && page.contains("Batch mistyped"), "{page}");
    assert!(page.contains("L23I1"), "the original stays on the record");
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "amend-session"));
}

/// Staff who leave are deactivated (their session ends at once, their login
/// stops working, their records keep their name); roles change; the studio
/// always keeps an active admin.
#[tokio::test]
async fn admins_deactivate_staff_and_change_roles() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let ada = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    staff(&app, &a, "fred").await;
    let (ada_token, csrf) = login(&app, "ada", "a long password").await;
    let (fred_token, _) = login(&app, "fred", "a long password").await;
    let fred = app.store.studio(&a).users().await.unwrap().into_iter().find(|u| u.name == "fred").unwrap();
    let account = format!("/admin/users/{}/account", fred.id);

    let r = send(
        &app,
        "POST",
        &account,
        Some(&ada_token),
        Some(&format!("csrf={csrf}&role=practitioner&status=active")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = app.store.studio(&a).users().await.unwrap().into_iter().find(|u| u.name == "fred").unwrap();
    assert_eq!(back.role, Role::Practitioner);

    let r = send(
        &app,
        "POST",
        &account,
        Some(&ada_token),
        Some(&format!("csrf={csrf}&role=practitioner&status=inactive")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app, "GET", "/clients", Some(&fred_token), None).await.location.as_deref(),
        Some("/login"),
        "the session ended"
    );
    assert_eq!(
        try_login(&app, "fred", "a long password").await.status,
        StatusCode::UNAUTHORIZED,
        "cannot log in"
    );
    let page = send(&app, "GET", "/admin/users", Some(&ada_token), None).await.body;
    assert!(page.contains("Deactivated"), "{page}");

    // The last active admin cannot be demoted (through the store: the page
    // offers no control for oneself).
    let refused = app.store.studio(&a).set_account(&ada, &ada.id, Role::Practitioner, true).await;
    assert!(matches!(refused, Err(smp_store::StoreError::Invalid(_))), "{refused:?}");
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"deactivate-user".into()) && actions.contains(&"change-role".into()),
        "{actions:?}"
    );

    // Reactivated, fred logs in again.
    send(
        &app,
        "POST",
        &account,
        Some(&ada_token),
        Some(&format!("csrf={csrf}&role=front-desk&status=active")),
    )
    .await;
    assert_eq!(try_login(&app, "fred", "a long password").await.status, StatusCode::SEE_OTHER);
}

/// The tablet handed to the client for the consent shows that form and
/// nothing else (no staff menu, every other page leads to "hand it back"),
/// until the staff member re-enters their password.
#[tokio::test]
async fn a_tablet_handed_to_the_client_shows_only_the_consent() {
    let app = app().await;
    let Cast { a, fred: (fred, csrf), .. } = cast(&app, "A").await;
    let chart = send(&app, "POST", "/clients", Some(&fred), Some(&format!("csrf={csrf}&full_name=Ivy+Ink")))
        .await
        .location
        .unwrap();
    let consent = format!("{chart}/consent");
    let r =
        send(&app, "POST", &format!("{consent}/hand-over"), Some(&fred), Some(&format!("csrf={csrf}"))).await;
    assert_eq!(r.location.as_deref(), Some(consent.as_str()));
    let r = send(&app, "GET", &consent, Some(&fred), None).await;
    assert!(r.body.contains("Please read and sign, Ivy Ink"), "{}", r.body);
    assert!(
        !r.body.contains("Log out") && !r.body.contains("href=\"/clients\""),
        "no staff menu: {}",
        r.body
    );
    for uri in [chart.as_str(), "/clients", "/calendar", "/dashboard"] {
        assert_eq!(
            send(&app, "GET", uri, Some(&fred), None).await.location.as_deref(),
            Some("/handback"),
            "{uri}"
        );
    }
    let text_id =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let sign = format!(
        "csrf={csrf}&text_id={text_id}&agree=on&signed_name=Ivy+Ink&signature={}",
        drawn_signature(true)
    );
    let r = send(&app, "POST", &consent, Some(&fred), Some(&sign)).await;
    assert_eq!(r.location.as_deref(), Some("/handback?signed=1"));
    let r = send(&app, "GET", "/handback?signed=1", Some(&fred), None).await;
    assert!(r.body.contains("Thank you") && r.body.contains("hand the tablet back"), "{}", r.body);

    let r =
        send(&app, "POST", "/handback", Some(&fred), Some(&format!("csrf={csrf}&password=a+guess"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, "GET", &chart, Some(&fred), None).await.location.as_deref(), Some("/handback"));
    let r =
        send(&app, "POST", "/handback", Some(&fred), Some(&format!("csrf={csrf}&password=a+long+password")))
            .await;
    assert_eq!(r.location.as_deref(), Some(format!("{chart}#consent").as_str()));
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(r.status.is_success() && r.body.contains("In force"), "{}", r.body);
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"hand-to-client".into()) && actions.contains(&"take-back-from-client".into()));
}

/// Each member of staff may set a short PIN (their password asked; one too
/// easy to guess refused) that takes the tablet back from a client as the
/// password does; it never logs anyone in.
#[tokio::test]
async fn a_pin_takes_the_tablet_back() {
    let app = app().await;
    let Cast { fred: (fred, csrf), .. } = cast(&app, "A").await;
    let set = |form: String| {
        let app = &app;
        let fred = fred.clone();
        async move { send(app, "POST", "/password/pin", Some(&fred), Some(&form)).await }
    };
    let r = set(format!("csrf={csrf}&current=wrong+password&pin=4071")).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST && r.body.contains("current password is not right"),
        "{}",
        r.body
    );
    let r = set(format!("csrf={csrf}&current=a+long+password&pin=1234")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("too easy"), "{}", r.body);
    let r = set(format!("csrf={csrf}&current=a+long+password&pin=4071")).await;
    assert!(r.status.is_success() && r.body.contains("Your PIN is set"), "{}", r.body);

    let chart = send(&app, "POST", "/clients", Some(&fred), Some(&format!("csrf={csrf}&full_name=Ivy+Pin")))
        .await
        .location
        .unwrap();
    let consent = format!("{chart}/consent");
    send(&app, "POST", &format!("{consent}/hand-over"), Some(&fred), Some(&format!("csrf={csrf}"))).await;
    assert_eq!(send(&app, "GET", &chart, Some(&fred), None).await.location.as_deref(), Some("/handback"));
    let r = send(&app, "POST", "/handback", Some(&fred), Some(&format!("csrf={csrf}&password=4072"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = send(&app, "POST", "/handback", Some(&fred), Some(&format!("csrf={csrf}&password=4071"))).await;
    assert_eq!(r.location.as_deref(), Some(format!("{chart}#consent").as_str()));
    assert_eq!(try_login(&app, "fred", "4071").await.status, StatusCode::UNAUTHORIZED, "no login by PIN");
}

/// "Design on this photo" opens the latest version drawn on it (it opened
/// blank after a save); a blank drawing is asked for explicitly.
#[tokio::test]
async fn the_editor_opens_the_latest_version_on_its_photo() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    let (_, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let drawing = "scale_from=20%2C280&scale_to=380%2C280&scale_mm=140&hairline=50%2C80+200%2C60+350%2C80\
                   &zone=30%2C60+370%2C60+370%2C260+30%2C260&style=soft&density=20&diameter_mm=0.45";
    assert!(!send(&app, "GET", &editor, Some(&pia), None).await.body.contains("Version 1 by"));
    for density in ["20", "35"] {
        let form = format!("csrf={csrf}&{}", drawing.replace("density=20", &format!("density={density}")));
        assert_eq!(send(&app, "POST", &editor, Some(&pia), Some(&form)).await.status, StatusCode::SEE_OTHER);
    }
    let r = send(&app, "GET", &editor, Some(&pia), None).await;
    assert!(r.body.contains("Version 2 by") && r.body.contains("value=\"35\""), "{}", r.body);
    let r = send(&app, "GET", &format!("{editor}?blank=1"), Some(&pia), None).await;
    assert!(!r.body.contains("Version 2 by"), "{}", r.body);
}

/// The planner never books more sessions at once than the studio has
/// chairs: a new plan takes the first free time of each day, a session
/// moved onto another client's is refused naming it (what was typed kept),
/// a day with no room says so, and a second chair makes room.
#[tokio::test]
async fn plans_share_the_studios_chairs() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let mut plans = Vec::new();
    for name in ["Ann First", "Bea Second"] {
        let (client, design) = screened_client_with_design(&app, &a, &pia_user, name).await;
        let url = format!("/clients/{}/plan", client.id);
        let make = format!("csrf={csrf}&design_id={}&start={start}", design.id);
        let r = send(&app, "POST", &url, Some(&pia), Some(&make)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        plans.push((url, make, studio.plan(&client.id).await.unwrap().unwrap()));
    }
    let minute = |t: &Option<String>| {
        let t = chrono::NaiveTime::parse_from_str(t.as_deref().unwrap(), "%H:%M").unwrap();
        chrono::Timelike::num_seconds_from_midnight(&t) / 60
    };
    let (ann, bea) = (&plans[0].2.sessions[0], &plans[1].2.sessions[0]);
    assert_eq!(ann.start_time.as_deref(), Some("10:00"));
    let ann_end = minute(&ann.start_time) + smp_clinic::booking::booked_minutes(ann.hours);
    let bea_start = minute(&bea.start_time);
    assert!(bea_start >= ann_end && bea_start < ann_end + 15, "Bea at {bea:?} after Ann until {ann_end}");

    // Bea moved onto Ann's morning: refused, naming Ann's booking.
    let (bea_url, bea_make, bea_plan) = &plans[1];
    let dates: String = bea_plan.sessions.iter().map(|s| format!("&date_{}={}", s.number, s.date)).collect();
    let clash = format!("csrf={csrf}{dates}&time_1=11%3A00");
    let r = send(&app, "POST", bea_url, Some(&pia), Some(&clash)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("overlaps Ann First&#39;s session 10:00–"), "{}", r.body);
    assert!(r.body.contains("the studio has 1 chair"), "{}", r.body);
    assert!(r.body.contains("value=\"11:00\""), "kept: {}", r.body);
    assert_eq!(&studio.plan(&client_of_plan(&plans[1].0)).await.unwrap().unwrap(), bea_plan, "unchanged");

    // A day too short for both: the studio closes once Ann is done.
    let closes = format!("{:02}:{:02}", (ann_end + 30) / 60, (ann_end + 30) % 60);
    studio
        .set_opening_hours(&pia_user, &smp_store::OpeningHours { opens: "10:00".into(), closes })
        .await
        .unwrap();
    let r = send(&app, "POST", bea_url, Some(&pia), Some(bea_make)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("has no free chair for") && r.body.contains("Choose another first date"),
        "{}",
        r.body
    );

    // With a second chair, Bea sits beside Ann at 11:00.
    studio
        .set_opening_hours(
            &pia_user,
            &smp_store::OpeningHours { opens: "10:00".into(), closes: "19:00".into() },
        )
        .await
        .unwrap();
    studio.set_chairs(&pia_user, 2).await.unwrap();
    let r = send(&app, "POST", bea_url, Some(&pia), Some(&clash)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let moved = studio.plan(&client_of_plan(&plans[1].0)).await.unwrap().unwrap();
    assert_eq!(moved.sessions[0].start_time.as_deref(), Some("11:00"));
}

/// The client id in a plan page's address.
fn client_of_plan(url: &str) -> String {
    url.trim_start_matches("/clients/").trim_end_matches("/plan").to_string()
}

/// The planner puts sessions on the studio's open days only, and a date
/// moved onto a closed day is refused with the day's name.
#[tokio::test]
async fn plans_keep_to_the_studios_open_days() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let weekdays = smp_store::StudioDetails {
        name: "A".into(),
        time_zone: "UTC".into(),
        open_days: "mon tue wed thu fri".into(),
        ..Default::default()
    };
    studio.set_details(&pia_user, &weekdays).await.unwrap();
    let client = studio
        .create_client(
            &pia_user,
            &smp_store::ClientFields { full_name: "Wes Weekday".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let photo = smp_store::new_photo_id();
    studio.add_photo(&photo, &client.id, &pia_user, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
    let design =
        studio.save_design(&client.id, &photo, &pia_user, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap();
    screened(&app, &a, &pia_user, &client.id, "proceed", None, false).await;
    // The next Saturday at least a week away.
    let today = chrono::Utc::now().date_naive();
    let saturday =
        (7..14).map(|d| today + chrono::Days::new(d)).find(|d| d.format("%a").to_string() == "Sat").unwrap();
    let url = format!("/clients/{}/plan", client.id);
    let r = send(
        &app,
        "POST",
        &url,
        Some(&pia),
        Some(&format!("csrf={csrf}&design_id={}&start={saturday}", design.id)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    let days: Vec<String> = plan
        .sessions
        .iter()
        .map(|s| s.date.parse::<chrono::NaiveDate>().unwrap().format("%a").to_string())
        .collect();
    assert!(days.iter().all(|d| d != "Sat" && d != "Sun"), "{days:?}");
    assert_eq!(plan.sessions[0].date, (saturday + chrono::Days::new(2)).to_string(), "the Monday after");
    // Session 3 moved onto a Sunday: refused, saying which day.
    let sunday = plan.sessions[2].date.parse::<chrono::NaiveDate>().unwrap();
    let sunday =
        (0..7).map(|d| sunday + chrono::Days::new(d)).find(|d| d.format("%a").to_string() == "Sun").unwrap();
    let moved = format!(
        "csrf={csrf}&date_1={}&date_2={}&date_3={sunday}",
        plan.sessions[0].date, plan.sessions[1].date
    );
    let r = send(&app, "POST", &url, Some(&pia), Some(&moved)).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("closed on Sunday"), "{}", r.body);
}
