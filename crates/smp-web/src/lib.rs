//! The studio web app: HTTP and pages. Only this crate knows HTTP.
//!
//! Server-rendered pages (askama); every state-changing request carries the
//! session's CSRF token; sessions live in the database (cookie: HttpOnly,
//! SameSite=Strict); repeated failed logins for a name are slowed down.
#![warn(missing_docs)]

mod admin;
mod assets;
mod audit;
mod brand;
mod clients;
mod clock;
mod consent;
mod cpu;
mod dashboard;
mod designs;
mod erasure;
mod error;
mod intake;
mod kept_input;
mod photos;
mod plans;
mod request_log;
mod server;
mod sessions;
mod standing;
mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequestParts, Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use smp_store::{PhotoFiles, Role, Session, Store, StoreError};

pub(crate) use error::{Error, Result};
use smp_store::AuditAction;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "smp_session";
/// How long a login lasts.
const SESSION_HOURS: i64 = 12;
/// Largest form body accepted.
const FORM_LIMIT_BYTES: usize = 64 * 1024;
/// Uploaded photos decoded at once.
const MAX_DECODES: usize = 2;
/// The cookie that carries the login form's CSRF token (the login form is
/// shown before there is a session to hold one).
const LOGIN_COOKIE: &str = "smp_login";
/// The cookie that remembers a device's studio for the login form.
const STUDIO_COOKIE: &str = "smp_studio";

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    photo_files: PhotoFiles,
    failures: Arc<throttle::LoginThrottle>,
    secure_cookies: bool,
    /// Whether a proxy on this machine forwards the requests: the client's
    /// address is then the last one in `X-Forwarded-For`.
    behind_proxy: bool,
    /// The address clients reach the app at (no trailing slash), for every
    /// link the app hands out; empty gives links relative to the app.
    public_url: String,
    previews: Arc<Mutex<designs::PreviewCache>>,
    /// Photo decodes at once (each may hold 150 MB of pixels).
    decodes: Arc<tokio::sync::Semaphore>,
    /// Renders and advice, bounded and fair between users.
    cpu: Arc<cpu::CpuWork>,
}

impl AppState {
    /// The state over a store, with client photos kept under `data_dir`.
    pub fn new(store: Store, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            store,
            photo_files: PhotoFiles::in_folder(data_dir.into().join("photos")),
            failures: Arc::default(),
            secure_cookies: false,
            behind_proxy: false,
            public_url: String::new(),
            previews: Arc::default(),
            decodes: Arc::new(tokio::sync::Semaphore::new(MAX_DECODES)),
            cpu: Arc::default(),
        }
    }

    /// Keeps client photos in `files` (an S3-compatible bucket, for a
    /// chain) instead of the data folder.
    pub fn with_photo_files(mut self, files: PhotoFiles) -> Self {
        self.photo_files = files;
        self
    }

    /// Marks the session cookie `Secure` (sent over HTTPS only): for an app
    /// served behind a TLS proxy, as it should be beyond the studio's own
    /// machine.
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// Takes the client's address from the last `X-Forwarded-For` entry
    /// when the request comes from this machine (a TLS proxy in front).
    pub fn with_proxy(mut self, behind_proxy: bool) -> Self {
        self.behind_proxy = behind_proxy;
        self
    }

    /// The address clients reach the app at (`https://studio.example`),
    /// for the links it hands out (aftercare), instead of any address a
    /// request's `Host` or `X-Forwarded-*` headers claim.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_string();
        self
    }

    /// The session cookie's attributes.
    fn cookie_attributes(&self) -> &'static str {
        if self.secure_cookies {
            "HttpOnly; SameSite=Strict; Secure; Path=/"
        } else {
            "HttpOnly; SameSite=Strict; Path=/"
        }
    }
}

/// The app's routes.
pub fn router(state: AppState) -> Router {
    let forms = Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(|| async { Redirect::to("/clients") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(change_password))
        .route("/password/pin", post(set_pin))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}/details", get(clients::edit_page).post(clients::save_details))
        .route("/clients/{id}", get(client_chart))
        .route("/clients/{id}/intake", get(intake::intake_page).post(intake::submit_intake))
        .route("/clients/{id}/consents/{consent}", get(consent::view))
        .route("/clients/{id}/consent/hand-over", post(consent::hand_over))
        .route("/handback", get(consent::handback_page).post(consent::hand_back))
        .route("/clients/{id}/consents/{consent}/signature.png", get(consent::signature))
        .route("/photos/{photo}", get(photos::full))
        .route("/photos/{photo}/thumbnail", get(photos::thumbnail))
        .route("/photos/{photo}/screen", get(photos::screen))
        .route("/photos/{photo}/withdraw", post(photos::withdraw))
        .route("/clients/{id}/photos/{photo}/design", get(designs::edit).post(designs::save))
        .route("/clients/{id}/photos/{photo}/preview", post(designs::preview))
        .route("/clients/{id}/photos/{photo}/advice", post(designs::advice))
        .route("/clients/{id}/designs/{design}/export", get(designs::export))
        .route("/clients/{id}/sessions", post(sessions::record))
        .route("/clients/{id}/sessions/new", get(sessions::new))
        .route("/clients/{id}/sessions/{session}", get(sessions::view))
        .route("/clients/{id}/sessions/{session}/amend", get(sessions::amend_page).post(sessions::amend))
        .route("/clients/{id}/sessions/{session}/aftercare-link", post(sessions::share))
        .route("/clients/{id}/sessions/{session}/aftercare-link/revoke", post(sessions::revoke))
        .route("/aftercare/{token}", get(sessions::aftercare))
        .route("/aftercare/{token}/calendar.ics", get(sessions::calendar))
        .route("/aftercare/{token}/logo.png", get(sessions::aftercare_logo))
        .route("/clients/{id}/erase", get(erasure::form).post(erasure::erase))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/calendar", get(plans::calendar))
        .route("/clients/{id}/plan", get(plans::view).post(plans::save))
        .route("/audit", get(audit::log))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{user}/reset", post(admin::reset_password))
        .route("/admin/users/{user}/account", post(admin::set_account))
        .route("/admin/studio", get(admin::studio).post(admin::save_studio))
        .route("/admin/studio/logo/remove", post(brand::remove))
        .route("/studio/logo.png", get(brand::logo))
        .route("/assets/{*path}", get(assets::serve))
        .layer(RequestBodyLimitLayer::new(FORM_LIMIT_BYTES));
    // A drawn signature and a photo are larger than any typed form.
    let signatures = Router::new()
        .route("/clients/{id}/consent", get(consent::form).post(consent::sign))
        .layer(RequestBodyLimitLayer::new(consent::BODY_LIMIT_BYTES));
    let uploads = Router::new()
        .route("/clients/{id}/photos", post(photos::upload))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(photos::BODY_LIMIT_BYTES));
    let logos = Router::new()
        .route("/admin/studio/logo", post(brand::upload))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(brand::BODY_LIMIT_BYTES));
    forms
        .merge(signatures)
        .merge(uploads)
        .merge(logos)
        .layer(axum::middleware::map_response(explain_too_large))
        .layer(axum::middleware::from_fn(kept_input::keep_typed_input))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(server::BODY_PAUSE_TIMEOUT))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // Aftercare links carry their token in the path: never hand it on.
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state)
}

/// The body limit answers with a bare status; a person needs words.
async fn explain_too_large(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    Error::TooLarge(format!(
        "That was too large to accept: a photo may be up to {} MB. Go back and choose a smaller file.",
        photos::MAX_UPLOAD_BYTES >> 20
    ))
    .into_response()
}

pub use photos::{sweep_orphans, sweep_orphans_older_than};

/// Serves the app on `addr` until Ctrl-C (or SIGTERM), letting requests in
/// flight (a photo being saved, say) finish first.
pub async fn serve(addr: std::net::SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, state, shutdown_signal()).await
}

/// Serves the app on `listener` until `shutdown` completes (the bench's
/// load run serves it this way, on a port of its own).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    server::run(listener, router(state), shutdown, server::HEADER_TIMEOUT).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The logged-in session; requests without one go to the login page.
struct LoggedIn {
    session: Session,
}

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            cookie_value(parts, SESSION_COOKIE).ok_or_else(|| Redirect::to("/login").into_response())?;
        match state.store.session(&token).await {
            Ok(Some(session)) => {
                clock::set(&session.time_zone);
                Ok(LoggedIn { session })
            }
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(Error::from(e).into_response()),
        }
    }
}

impl LoggedIn {
    /// The person signed in.
    fn user(&self) -> &smp_store::User {
        &self.session.user
    }

    /// Refuses a form whose CSRF token is not this session's.
    fn check_csrf(&self, token: &str) -> Result<()> {
        csrf_matches(&self.session, token)
    }

    /// Sends a user who must change their password to do that first.
    fn require_ready(&self) -> Result<(), Redirect> {
        if self.user().must_change_password { Err(Redirect::to("/password")) } else { Ok(()) }
    }
}

/// A logged-in staff member who has chosen their own password: what every
/// page past the login needs. Others go to the login or password page.
struct Staff {
    session: Session,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let who = LoggedIn::from_request_parts(parts, state).await?;
        who.require_ready().map_err(IntoResponse::into_response)?;
        // A tablet handed to a client opens that client's consent form and
        // nothing else, until staff take it back with their password.
        if let Some(client) = &who.session.client_mode_for
            && parts.uri.path() != format!("/clients/{client}/consent")
        {
            return Err(Redirect::to("/handback").into_response());
        }
        Ok(Staff { session: who.session })
    }
}

impl Staff {
    /// The staff member signed in.
    fn user(&self) -> &smp_store::User {
        &self.session.user
    }

    fn check_csrf(&self, token: &str) -> Result<()> {
        csrf_matches(&self.session, token)
    }

    /// Refuses anyone but practitioners and admins.
    fn require_clinical(&self, what: &str) -> Result<()> {
        if clinical(&self.session) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{what} are for practitioners.")))
        }
    }

    /// Refuses anyone but admins.
    fn require_admin(&self, what: &str) -> Result<()> {
        if self.user().role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{what} is for admins.")))
        }
    }

    fn studio<'a>(&self, state: &'a AppState) -> smp_store::StudioStore<'a> {
        state.store.studio(&self.user().studio)
    }

    /// One of this studio's clients; another studio's is as absent as a
    /// missing one.
    async fn client(&self, state: &AppState, id: &str) -> Result<smp_store::Client> {
        self.studio(state)
            .client(id)
            .await?
            .ok_or_else(|| Error::NotFound("There is no such client in this studio.".into()))
    }
}

/// Whether two tokens are equal, compared in constant time so that a token
/// cannot be guessed byte by byte.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a form whose CSRF token is not the session's.
fn csrf_matches(session: &Session, token: &str) -> Result<()> {
    if constant_time_eq(token, &session.csrf) {
        Ok(())
    } else {
        Err(Error::Forbidden("This form has expired. Go back, reload the page and try again.".into()))
    }
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
    /// The request's id on a failure of ours.
    reference: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    /// The studio's sign-in code as typed or remembered, when the
    /// installation holds several studios (else no such field).
    studio: Option<&'a str>,
    /// Whether the studio field is the one to fill first (empty).
    ask_studio_first: bool,
    name: &'a str,
    error: Option<&'a str>,
    csrf: &'a str,
}

/// The address a request came from: the peer, or behind a proxy on this
/// machine the address the proxy names last.
struct ClientAddress(IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|a| a.trim().parse::<IpAddr>().ok())
        };
        Ok(ClientAddress(match state.behind_proxy && peer.is_loopback() {
            true => forwarded().unwrap_or(peer),
            false => peer,
        }))
    }
}

/// The login page, with a fresh CSRF token in its form and in a cookie.
/// `studio` is what the studio field holds: `None` on an installation of
/// one studio, which has no such field.
fn login_form(
    state: &AppState,
    status: StatusCode,
    studio: Option<&str>,
    name: &str,
    error: Option<&str>,
) -> Result<Response> {
    let csrf = smp_store::random_token();
    let ask_studio_first = studio.is_some_and(str::is_empty);
    let page = LoginPage { studio, ask_studio_first, name, error, csrf: &csrf };
    let cookie = format!("{LOGIN_COOKIE}={csrf}; {}", state.cookie_attributes());
    Ok((status, [(SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

/// Whether the login asks which studio: only where there is a choice.
async fn asks_for_studio(state: &AppState) -> Result<bool> {
    Ok(state.store.studio_count().await? > 1)
}

async fn login_page(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Result<Response> {
    let remembered = cookie_in(&headers, STUDIO_COOKIE).unwrap_or_default();
    let studio = asks_for_studio(&state).await?.then_some(remembered.as_str());
    login_form(&state, StatusCode::OK, studio, "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    /// The studio's sign-in code, where the form asks for it.
    #[serde(default)]
    studio: String,
    name: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let several = asks_for_studio(&state).await?;
    let typed_studio: String = form.studio.trim().chars().take(smp_store::MAX_CODE_CHARS + 8).collect();
    let studio_field = several.then_some(typed_studio.as_str());
    let expected = cookie_in(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &form.csrf) {
        let message = "This login form has expired: log in again.";
        return login_form(&state, StatusCode::FORBIDDEN, studio_field, &form.name, Some(message));
    }
    if several && typed_studio.is_empty() {
        let message = "Enter your studio's sign-in code (your admin has it, under Studio).";
        return login_form(&state, StatusCode::BAD_REQUEST, studio_field, &form.name, Some(message));
    }
    // Throttled per studio and name: the same name may be staff elsewhere.
    let account = format!("{}/{}", typed_studio.to_ascii_lowercase(), form.name);
    if let Some(wait) = state.failures.wait(address, &account) {
        let message =
            format!("Too many failed attempts for this name. Try again in {} seconds.", wait.as_secs() + 1);
        return login_form(&state, StatusCode::TOO_MANY_REQUESTS, studio_field, &form.name, Some(&message));
    }
    let studio = match several {
        true => state.store.studio_by_code(&typed_studio).await?,
        false => state.store.first_studio().await?,
    };
    // An unknown studio is looked up like an unknown name (the same answer,
    // the same time): codes cannot be probed either.
    let studio = studio.unwrap_or_else(|| smp_store::StudioId(String::new()));
    // No account has a longer name: no need to look, nor to keep it whole.
    let user = if form.name.trim().chars().count() > throttle::MAX_NAME_CHARS {
        None
    } else {
        state.store.verify_login(&studio, &form.name, &form.password, &address.to_string()).await?
    };
    let Some(user) = user else {
        state.failures.failed(address, &account);
        let shown: String = form.name.chars().take(throttle::MAX_NAME_CHARS).collect();
        let message = match several {
            true => "That studio code, name and password do not match.",
            false => "That name and password do not match.",
        };
        return login_form(&state, StatusCode::UNAUTHORIZED, studio_field, &shown, Some(message));
    };
    state.failures.succeeded(address, &account);
    let session = state.store.start_session(&user, SESSION_HOURS).await?;
    let attributes = state.cookie_attributes();
    let cookie =
        format!("{SESSION_COOKIE}={}; {attributes}; Max-Age={}", session.token, SESSION_HOURS * 3600);
    let spent = format!("{LOGIN_COOKIE}=; {attributes}; Max-Age=0");
    // The studio is remembered on this device for the next login.
    let code = state.store.studio(&user.studio).sign_in_code().await?;
    let remember = format!("{STUDIO_COOKIE}={code}; {attributes}; Max-Age={}", 365 * 24 * 3600);
    let to = if user.must_change_password { "/password" } else { "/clients" };
    Ok((AppendHeaders([(SET_COOKIE, cookie), (SET_COOKIE, spent), (SET_COOKIE, remember)]), Redirect::to(to))
        .into_response())
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    state.store.end_session(&who.session).await?;
    let cookie = format!("{SESSION_COOKIE}=; {}; Max-Age=0", state.cookie_attributes());
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    who: &'a Session,
    forced: bool,
    error: Option<&'a str>,
    /// Whether the person has a PIN for taking the tablet back.
    has_pin: bool,
    /// What became of a PIN just sent: (whether it was taken, in words).
    pin_note: Option<(bool, String)>,
}

/// The password page (and the PIN's), with what became of a form sent.
async fn password_view(
    state: &AppState,
    who: &LoggedIn,
    error: Option<&str>,
    pin_note: Option<(bool, String)>,
) -> Result<Html<String>> {
    let has_pin = state.store.has_pin(who.user()).await?;
    let forced = who.user().must_change_password;
    Ok(Html(PasswordPage { who: &who.session, forced, error, has_pin, pin_note }.render()?))
}

async fn password_page(State(state): State<AppState>, who: LoggedIn) -> Result<Html<String>> {
    password_view(&state, &who, None, None).await
}

#[derive(Deserialize)]
struct PinForm {
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    pin: String,
    /// Ticked: remove the PIN.
    #[serde(default)]
    remove: Option<String>,
}

/// Sets or removes the PIN that takes the tablet back from a client.
async fn set_pin(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<PinForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let pin = form.remove.is_none().then_some(form.pin.as_str());
    let (status, note) = match state.store.set_pin(who.user(), &form.current, pin).await {
        Ok(()) if pin.is_some() => {
            (StatusCode::OK, (true, "Your PIN is set: it takes the tablet back from a client.".into()))
        }
        Ok(()) => (StatusCode::OK, (true, "Your PIN is removed.".to_string())),
        Err(StoreError::Invalid(m)) => (StatusCode::BAD_REQUEST, (false, m)),
        Err(e) => return Err(e.into()),
    };
    Ok((status, password_view(&state, &who, None, Some(note)).await?).into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current: String,
    password: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let problem = if form.password != form.repeat {
        Some("The two passwords differ.".to_string())
    } else {
        match state.store.set_password(who.user(), &form.current, &form.password, &who.session.token).await {
            Ok(()) => None,
            Err(StoreError::Invalid(m)) => Some(m),
            Err(e) => return Err(e.into()),
        }
    };
    match problem {
        None => Ok(Redirect::to("/clients").into_response()),
        Some(m) => {
            Ok((StatusCode::BAD_REQUEST, password_view(&state, &who, Some(&m), None).await?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    clinical: bool,
    timeline: Vec<Event>,
    screenings: Vec<ScreeningView>,
    consents: Vec<consent::ConsentView>,
    photos: Vec<photos::PhotoView>,
    withdrawn_photos: Vec<photos::PhotoView>,
    designs: Vec<(String, smp_store::DesignVersion)>,
    sessions: Vec<smp_store::TreatmentSession>,
    upload: photos::UploadForm,
    status: standing::StatusBadge,
    consent_in_force: bool,
    /// The summary at the top: age, the next planned session, the touch-up
    /// forecast from the last session's design.
    age: Option<u32>,
    next_session: Option<String>,
    touch_up: Option<String>,
    /// Practitioners' overrides of the screening (for clinical roles).
    overrides: Vec<(String, smp_store::GateOverride)>,
    /// For an erased record: when, and on what request.
    erased: Option<(String, String)>,
    /// Whether the person may erase the record (admins).
    can_erase: bool,
}

/// "1st", "2nd", "3rd", "4th"... session.
fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix} session")
}

/// One line of the chart's timeline.
struct Event {
    at: i64,
    when: String,
    what: &'static str,
    detail: String,
    href: Option<String>,
}

/// A stored screening as the chart shows it.
struct ScreeningView {
    when: String,
    staff: String,
    outcome: String,
    earliest: Option<String>,
    rules_version: String,
    /// Every rule that fired, most severe first (none when the stored
    /// result cannot be read).
    findings: Vec<smp_clinic::Finding>,
}

/// Now, unix milliseconds.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A moment as staff read it: in the studio's time zone (see [`clock`]).
fn day_of(ms: i64) -> String {
    clock::moment(ms)
}

fn screening_view(s: &smp_store::Screening) -> ScreeningView {
    let result = serde_json::from_str::<smp_clinic::Screening>(&s.result_json).ok();
    ScreeningView {
        when: day_of(s.created_at),
        staff: s.staff_name.clone(),
        outcome: s.outcome.clone(),
        earliest: result.as_ref().and_then(|r| r.earliest_date).map(|d| d.to_string()),
        rules_version: s.rules_version.clone(),
        findings: result.map(|r| r.findings).unwrap_or_default(),
    }
}

/// The badge class of a stored outcome's name: its colour, beside its name.
fn badge_class(outcome: &str) -> &'static str {
    standing::outcome_class(standing::outcome_of(outcome))
}

/// Whether a role may see health answers, screening details and photos.
fn clinical(session: &Session) -> bool {
    matches!(session.user.role, Role::Admin | Role::Practitioner)
}

async fn client_chart(State(state): State<AppState>, who: Staff, Path(id): Path<String>) -> Result<Response> {
    chart(&state, &who, &id, photos::UploadForm::default(), StatusCode::OK).await
}

/// The chart: the client's details, a timeline of everything recorded, and
/// each kind of record in full, as far as the viewer's role allows. Views of
/// health answers, consents and photos are audited.
async fn chart(
    state: &AppState,
    who: &Staff,
    id: &str,
    upload: photos::UploadForm,
    status: StatusCode,
) -> Result<Response> {
    let client = who.client(state, id).await?;
    let studio = who.studio(state);
    let clinical = clinical(&who.session);
    let stored_screenings = studio.screenings(id).await?;
    let stored_consents = studio.consents(id).await?;
    let stored_photos = if clinical { studio.photos(id).await? } else { Vec::new() };
    let withdrawn_photos = if clinical { studio.withdrawn_photos(id).await? } else { Vec::new() };
    let stored_designs = if clinical { studio.designs(id).await? } else { Vec::new() };
    let stored_sessions = studio.treatment_sessions(id).await?;
    for (shown, action) in [
        (clinical && !stored_screenings.is_empty(), AuditAction::ViewHealth),
        (!stored_consents.is_empty(), AuditAction::ViewConsent),
        (!stored_photos.is_empty(), AuditAction::ViewPhotos),
    ] {
        if shown {
            studio.audit(who.user(), action, id).await?;
        }
    }
    let mut timeline: Vec<Event> = Vec::new();
    timeline.extend(stored_screenings.iter().map(|s| Event {
        at: s.created_at,
        when: day_of(s.created_at),
        what: "Health screening",
        detail: if clinical {
            format!("{}, by {}", s.outcome, s.staff_name)
        } else {
            format!("by {}", s.staff_name)
        },
        href: Some("#screening".into()),
    }));
    timeline.extend(stored_consents.iter().map(|c| Event {
        at: c.signed_at,
        when: day_of(c.signed_at),
        what: "Consent signed",
        detail: format!("version {} as “{}”, with {}", c.text_version, c.signed_name, c.staff_name),
        href: Some(format!("/clients/{id}/consents/{}", c.id)),
    }));
    timeline.extend(stored_photos.iter().map(|p| Event {
        at: p.created_at,
        when: day_of(p.created_at),
        what: "Photo",
        detail: format!("{}, by {}", p.angle.as_str(), p.staff_name),
        href: Some(format!("/photos/{}", p.id)),
    }));
    timeline.extend(stored_designs.iter().map(|d| Event {
        at: d.created_at,
        when: day_of(d.created_at),
        what: "Design",
        detail: format!("version {}, by {}", d.version, d.staff_name),
        href: Some(format!("/clients/{id}/photos/{}/design?design={}", d.photo_id, d.id)),
    }));
    timeline.extend(stored_sessions.iter().map(|t| Event {
        at: t.created_at,
        when: day_of(t.created_at),
        what: "Session",
        detail: format!("{} of {}, by {}", ordinal(t.number), t.date, t.staff_name),
        href: clinical.then(|| format!("/clients/{id}/sessions/{}", t.id)),
    }));
    timeline.sort_by_key(|e| std::cmp::Reverse(e.at));
    // From the records already read for the chart.
    let current_text = studio.consent_text().await?.map(|t| t.version);
    let standing = standing::standing_of(&stored_screenings, &stored_consents, current_text);
    let overrides = if clinical { studio.overrides(id).await? } else { Vec::new() };
    let today = clock::today();
    let next_session = studio.plan(id).await?.and_then(|plan| {
        plan.sessions
            .into_iter()
            .filter_map(|s| s.date.parse::<chrono::NaiveDate>().ok().map(|d| (d, s.number)))
            .filter(|(d, _)| *d >= today)
            .min()
            .map(|(d, n)| format!("{}, session {n}", smp_clinic::gate::long_date(d)))
    });
    let touch_up = match stored_sessions.first() {
        Some(last) => {
            let design = match &last.design_id {
                Some(design_id) => studio.design(design_id).await?,
                None => None,
            };
            last.date
                .parse()
                .ok()
                .zip(design)
                .and_then(|(date, d)| dashboard::touch_up_date(date, &d.design_toml))
                .map(smp_clinic::gate::long_date)
        }
        None => None,
    };
    let page = ClientPage {
        erased: client.erased.as_ref().map(|(at, why)| (day_of(*at), why.clone())),
        can_erase: who.user().role == Role::Admin && client.erased.is_none(),
        age: designs::age_of(client.birth_date.as_deref()),
        next_session,
        touch_up,
        status: standing::StatusBadge::of(&standing),
        consent_in_force: standing.consent_in_force,
        overrides: overrides.into_iter().map(|o| (day_of(o.created_at), o)).collect(),
        who: &who.session,
        clinical,
        timeline,
        screenings: stored_screenings.iter().map(screening_view).collect(),
        consents: stored_consents.iter().map(consent::ConsentView::of).collect(),
        photos: stored_photos.iter().map(photos::PhotoView::of).collect(),
        withdrawn_photos: withdrawn_photos.iter().map(photos::PhotoView::of).collect(),
        designs: stored_designs.iter().map(|d| (day_of(d.created_at), d.clone())).collect(),
        sessions: stored_sessions,
        upload,
        client,
    };
    Ok((status, Html(page.render()?)).into_response())
}
