//! The studio web app: HTTP and pages. Only this crate knows HTTP.
//!
//! Server-rendered pages (askama); every state-changing request carries the
//! session's CSRF token; sessions live in the database (cookie: HttpOnly,
//! SameSite=Strict); repeated failed logins for a name are slowed down.
#![warn(missing_docs)]

mod admin;
mod assessment;
mod assets;
mod audit;
mod auth;
mod brand;
mod chart;
mod client_mail;
mod clients;
mod clock;
mod consent;
mod cpu;
mod dashboard;
mod designs;
mod editor_form;
mod erasure;
mod error;
mod feed;
mod gallery;
mod hair_masks;
mod head;
mod head_editor;
mod head_form;
mod intake;
mod kept_input;
mod login;
mod mail_admin;
pub mod mail_sender;
mod photos;
mod plans;
mod portfolio;
mod preview;
mod previsit;
mod prices;
mod report;
mod request_log;
mod server;
mod sessions;
mod standing;
mod throttle;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use smp_store::{PhotoFiles, Store};

pub(crate) use auth::{ClientAddress, CsrfForm, LoggedIn, Staff};
pub(crate) use chart::{ChartForms, chart};
pub(crate) use error::{Error, Result};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "smp_session";
/// Largest form body accepted.
const FORM_LIMIT_BYTES: usize = 64 * 1024;

/// The largest design editor form: its drawing and the hair mask's brush
/// strokes as a PNG.
const DRAWING_LIMIT_BYTES: usize = 4 * 1024 * 1024;
/// Uploaded photos decoded at once.
const MAX_DECODES: usize = 2;

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
    /// The SMTP server of studios without one of their own (`smp serve
    /// --smtp`), shown on the e-mail settings page.
    default_smtp: Option<String>,
    previews: Arc<Mutex<preview::PreviewCache>>,
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
            default_smtp: None,
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

    /// The SMTP server for studios without one of their own.
    pub fn with_default_smtp(mut self, url: Option<String>) -> Self {
        self.default_smtp = url;
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
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .route("/password", get(login::password_page).post(login::change_password))
        .route("/password/pin", post(login::set_pin))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}/details", get(clients::edit_page).post(clients::save_details))
        .route("/clients/{id}", get(chart::client_chart))
        .route("/clients/{id}/intake", get(intake::intake_page).post(intake::submit_intake))
        .route("/clients/{id}/previsit", post(previsit::make))
        .route("/forms/{previsit}", get(previsit::form).post(previsit::submit))
        .route("/clients/{id}/consents/{consent}", get(consent::view))
        .route("/clients/{id}/portfolio-consent/revoke", post(portfolio::revoke))
        .route("/clients/{id}/portfolio-consents/{portfolio}/signature.png", get(portfolio::signature))
        .route("/clients/{id}/gallery", post(portfolio::add))
        .route("/clients/{id}/gallery/{pair}", post(portfolio::adjust))
        .route("/clients/{id}/gallery/{pair}/remove", post(portfolio::remove))
        .route("/gallery", get(gallery::page))
        .route("/gallery/public", post(gallery::set_public))
        .route("/gallery/{pair}/{side}", get(gallery::staff_picture))
        .route("/g/{gallery}", get(gallery::public_page))
        .route("/g/{gallery}/logo.png", get(gallery::public_logo))
        .route("/g/{gallery}/{pair}/{side}", get(gallery::public_picture))
        .route("/clients/{id}/consent/hand-over", post(consent::hand_over))
        .route("/handback", get(consent::handback_page).post(consent::hand_back))
        .route("/clients/{id}/consents/{consent}/signature.png", get(consent::signature))
        .route("/photos/{photo}", get(photos::full))
        .route("/photos/{photo}/thumbnail", get(photos::thumbnail))
        .route("/photos/{photo}/screen", get(photos::screen))
        .route("/photos/{photo}/withdraw", post(photos::withdraw))
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
        .route("/aftercare/{token}/style.css", get(sessions::aftercare_style))
        .route("/clients/{id}/erase", get(erasure::form).post(erasure::erase))
        .route("/clients/{id}/head", get(head::form).post(head::save))
        .route("/clients/{id}/assessment", get(assessment::form).post(assessment::save))
        .route("/clients/{id}/head-design", get(head_editor::edit).post(head_editor::save))
        .route("/clients/{id}/head-design/fit", post(head_editor::fit))
        .route("/clients/{id}/head-design/preview/{photo}", post(head_editor::preview))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/calendar", get(plans::calendar))
        .route("/calendar/feed", post(feed::make))
        .route("/calendar/feed/revoke", post(feed::revoke))
        .route("/calendar/feed/{feed}/sessions.ics", get(feed::sessions))
        .route("/clients/{id}/plan", get(plans::view).post(plans::save))
        .route("/audit", get(audit::log))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{user}/reset", post(admin::reset_password))
        .route("/admin/users/{user}/account", post(admin::set_account))
        .route("/admin/studio", get(admin::studio).post(admin::save_studio))
        .route("/admin/studio/logo/remove", post(brand::remove))
        .route("/admin/prices", get(prices::page).post(prices::save))
        .route("/clients/{id}/designs/{design}/quote", post(prices::make_quote))
        .route("/clients/{id}/designs/{design}/report", post(report::make))
        .route("/clients/{id}/reports/{report}", get(report::download))
        .route("/clients/{id}/reports/{report}/share", post(report::share))
        .route("/reports/{report_link}", get(report::shared))
        .route("/admin/studio/paper", post(admin::save_paper))
        .route("/admin/studio/consent-at-home", post(admin::save_consent_at_home))
        .route("/clients/{id}/quotes/{quote}/deposit", post(prices::record_deposit))
        .route("/admin/email", get(mail_admin::page).post(mail_admin::save_settings))
        .route("/admin/email/texts/{kind}", post(mail_admin::save_text))
        .route("/admin/email/test", post(mail_admin::send_test))
        .route("/admin/email/again/{message}", post(mail_admin::send_again))
        .route("/unsubscribe/{unsubscribe}", get(mail_admin::unsubscribe_page).post(mail_admin::unsubscribe))
        .route("/studio/logo.png", get(brand::logo))
        .route("/studio/accent.css", get(brand::accent))
        .route("/assets/{*path}", get(assets::serve))
        .layer(RequestBodyLimitLayer::new(FORM_LIMIT_BYTES));
    // The design editor's forms carry the hair mask's brush strokes (a
    // PNG of the screen copy's size, mostly empty).
    let drawings = Router::new()
        .route("/clients/{id}/photos/{photo}/design", get(designs::edit).post(designs::save))
        .route("/clients/{id}/photos/{photo}/preview", post(designs::preview))
        .route("/clients/{id}/photos/{photo}/advice", post(designs::advice))
        .route("/clients/{id}/photos/{photo}/hair", post(designs::hair))
        .route("/clients/{id}/photos/{photo}/hair-mask", post(hair_masks::base))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(DRAWING_LIMIT_BYTES));
    // A drawn signature and a photo are larger than any typed form.
    let signatures = Router::new()
        .route("/clients/{id}/consent", get(consent::form).post(consent::sign))
        .route("/clients/{id}/portfolio-consent", get(portfolio::form).post(portfolio::sign))
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
        .merge(drawings)
        .merge(signatures)
        .merge(uploads)
        .merge(logos)
        .layer(axum::middleware::map_response(explain_too_large))
        .layer(axum::middleware::from_fn(kept_input::keep_typed_input))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(server::BODY_PAUSE_TIMEOUT))
        .layer(axum::middleware::from_fn(request_log::log_request))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Aftercare links carry their token in the path: never hand it on.
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; form-action 'self'",
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

/// Now, unix milliseconds.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A moment as staff read it: in the studio's time zone (see [`clock`]).
fn day_of(ms: i64) -> String {
    clock::moment(ms)
}
