//! The studio web app: HTTP and pages. Only this crate knows HTTP.
//!
//! Server-rendered pages (askama); every state-changing request carries the
//! session's CSRF token; sessions live in the database (cookie: HttpOnly,
//! SameSite=Strict); repeated failed logins for a name are slowed down.
#![warn(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE, X_FRAME_OPTIONS};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use smp_store::{ClientFields, Session, Store, StoreError};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "smp_session";
/// How long a login lasts.
const SESSION_HOURS: i64 = 12;
/// Largest form body accepted.
const FORM_LIMIT_BYTES: usize = 64 * 1024;
/// Failed logins for one name before it is slowed down.
const FREE_FAILURES: u32 = 5;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl AppState {
    /// The state over a store.
    pub fn new(store: Store) -> Self {
        Self { store, failures: Arc::default() }
    }
}

/// The app's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(|| async { Redirect::to("/clients") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(change_password))
        .route("/clients", get(clients).post(create_client))
        .route("/clients/{id}", get(client_chart))
        .layer(RequestBodyLimitLayer::new(FORM_LIMIT_BYTES))
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state)
}

/// Serves the app on `addr` until the process ends.
pub async fn serve(addr: std::net::SocketAddr, store: Store) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router(AppState::new(store))).await
}

/// A failure shown to the user as a page.
struct PageError(StatusCode, String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = MessagePage { title: self.0.canonical_reason().unwrap_or("Error"), message: &self.1 };
        (self.0, Html(page.render().unwrap_or_default())).into_response()
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => PageError(StatusCode::BAD_REQUEST, m),
            // Details stay in the server's hands: they may name records.
            _ => PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The database did not answer. Nothing was changed.".into(),
            ),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(_: askama::Error) -> Self {
        PageError(StatusCode::INTERNAL_SERVER_ERROR, "The page could not be drawn.".into())
    }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(
        |c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        },
    )
}

/// The logged-in session; requests without one go to the login page.
struct LoggedIn(Session);

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token =
            cookie_value(parts, SESSION_COOKIE).ok_or_else(|| Redirect::to("/login").into_response())?;
        match state.store.session(&token).await {
            Ok(Some(session)) => Ok(LoggedIn(session)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

impl LoggedIn {
    /// Refuses a form whose CSRF token is not this session's.
    fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if token.len() == self.0.csrf.len()
            && token.bytes().zip(self.0.csrf.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0
        {
            Ok(())
        } else {
            Err(PageError(
                StatusCode::FORBIDDEN,
                "This form has expired. Go back, reload the page and try again.".into(),
            ))
        }
    }

    /// Sends a user who must change their password to do that first.
    fn require_ready(&self) -> Result<(), Redirect> {
        if self.0.user.must_change_password { Err(Redirect::to("/password")) } else { Ok(()) }
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
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    name: &'a str,
    error: Option<&'a str>,
}

async fn login_page() -> Result<Html<String>, PageError> {
    Ok(Html(LoginPage { name: "", error: None }.render()?))
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Result<Response, PageError> {
    let key = form.name.trim().to_lowercase();
    let wait = {
        let failures = state.failures.lock().expect("the lock is never poisoned: no panics while held");
        failures.get(&key).and_then(|(count, last)| {
            let wait = Duration::from_secs(2u64.saturating_pow(count.saturating_sub(FREE_FAILURES)).min(900));
            (*count >= FREE_FAILURES && last.elapsed() < wait).then(|| wait - last.elapsed())
        })
    };
    if let Some(wait) = wait {
        let page = LoginPage {
            name: &form.name,
            error: Some(&format!(
                "Too many failed attempts for this name. Try again in {} seconds.",
                wait.as_secs() + 1
            )),
        };
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(page.render()?)).into_response());
    }
    let Some(user) = state.store.verify_login(&form.name, &form.password).await? else {
        let mut failures = state.failures.lock().expect("the lock is never poisoned: no panics while held");
        let entry = failures.entry(key).or_insert((0, Instant::now()));
        *entry = (entry.0 + 1, Instant::now());
        let page = LoginPage { name: &form.name, error: Some("That name and password do not match.") };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    state.failures.lock().expect("the lock is never poisoned: no panics while held").remove(&key);
    let session = state.store.start_session(&user, SESSION_HOURS).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        session.token,
        SESSION_HOURS * 3600
    );
    let to = if user.must_change_password { "/password" } else { "/clients" };
    Ok(([(SET_COOKIE, cookie)], Redirect::to(to)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    who.check_csrf(&form.csrf)?;
    state.store.end_session(&who.0.token).await?;
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    who: &'a Session,
    forced: bool,
    error: Option<&'a str>,
}

async fn password_page(who: LoggedIn) -> Result<Html<String>, PageError> {
    Ok(Html(PasswordPage { who: &who.0, forced: who.0.user.must_change_password, error: None }.render()?))
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    password: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    who.check_csrf(&form.csrf)?;
    let problem = if form.password != form.repeat {
        Some("The two passwords differ.".to_string())
    } else {
        match state.store.set_password(&who.0.user, &form.password, &who.0.token).await {
            Ok(()) => None,
            Err(StoreError::Invalid(m)) => Some(m),
            Err(e) => return Err(e.into()),
        }
    };
    match problem {
        None => Ok(Redirect::to("/clients").into_response()),
        Some(m) => {
            let page = PasswordPage { who: &who.0, forced: who.0.user.must_change_password, error: Some(&m) };
            Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage<'a> {
    who: &'a Session,
    query: &'a str,
    clients: Vec<smp_store::Client>,
    form: ClientFields,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn clients(
    State(state): State<AppState>,
    who: LoggedIn,
    Query(search): Query<SearchQuery>,
) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let render = async {
        let clients = state.store.studio(&who.0.user.studio).search_clients(&search.q, 200).await?;
        let page = ClientsPage {
            who: &who.0,
            query: &search.q,
            clients,
            form: ClientFields::default(),
            error: None,
        };
        Ok::<_, PageError>(Html(page.render()?))
    };
    render.await.into_response()
}

#[derive(Deserialize)]
struct ClientForm {
    csrf: String,
    full_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

async fn create_client(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(form): Form<ClientForm>,
) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        who.check_csrf(&form.csrf)?;
        let fields = ClientFields {
            full_name: form.full_name,
            birth_date: Some(form.birth_date),
            email: Some(form.email),
            phone: Some(form.phone),
        };
        let studio = state.store.studio(&who.0.user.studio);
        match studio.create_client(&fields).await {
            Ok(client) => Ok(Redirect::to(&format!("/clients/{}", client.id)).into_response()),
            Err(StoreError::Invalid(m)) => {
                // Keep what was typed, and say what is wrong beside the form.
                let clients = studio.search_clients("", 200).await?;
                let page = ClientsPage { who: &who.0, query: "", clients, form: fields, error: Some(&m) };
                Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
            }
            Err(e) => Err(PageError::from(e)),
        }
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
}

async fn client_chart(State(state): State<AppState>, who: LoggedIn, Path(id): Path<String>) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        // Another studio's client is as absent as a missing one.
        let client = state.store.studio(&who.0.user.studio).client(&id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such client in this studio.".into())
        })?;
        Ok::<_, PageError>(Html(ClientPage { who: &who.0, client }.render()?).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
