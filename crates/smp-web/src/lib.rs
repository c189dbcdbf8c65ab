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
use smp_store::{ClientFields, Role, Session, Store, StoreError};
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
/// Names whose failures are remembered before old ones are forgotten.
const MAX_TRACKED_NAMES: usize = 10_000;

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
        .route("/clients/{id}/intake", get(intake_page).post(submit_intake))
        .route("/audit", get(audit_log))
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
        // Forget old failures once the table grows, so random names cannot fill memory.
        if failures.len() > MAX_TRACKED_NAMES {
            failures.retain(|_, (_, last)| last.elapsed() < Duration::from_secs(3600));
        }
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
    clinical: bool,
    screenings: Vec<ScreeningView>,
}

/// A stored screening as the chart shows it.
struct ScreeningView {
    when: String,
    staff: String,
    outcome: String,
    earliest: Option<String>,
    rules_version: String,
    findings: Vec<(String, String, String, String)>,
}

fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn screening_view(s: &smp_store::Screening) -> ScreeningView {
    let result: serde_json::Value = serde_json::from_str(&s.result_json).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    ScreeningView {
        when: day_of(s.created_at),
        staff: s.staff_name.clone(),
        outcome: s.outcome.clone(),
        earliest: result["earliest_date"].as_str().map(String::from),
        rules_version: s.rules_version.clone(),
        findings: result["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| (text(&f["outcome"]), text(&f["rule"]), text(&f["because"]), text(&f["source"])))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Whether a role may see health answers and screening details.
fn clinical(session: &Session) -> bool {
    matches!(session.user.role, Role::Admin | Role::Practitioner)
}

async fn client_chart(State(state): State<AppState>, who: LoggedIn, Path(id): Path<String>) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        // Another studio's client is as absent as a missing one.
        let studio = state.store.studio(&who.0.user.studio);
        let client = studio.client(&id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such client in this studio.".into())
        })?;
        let stored = studio.screenings(&id).await?;
        let clinical = clinical(&who.0);
        if clinical && !stored.is_empty() {
            studio.audit(&who.0.user, "view-health", &id).await?;
        }
        let screenings = stored.iter().map(screening_view).collect();
        Ok::<_, PageError>(
            Html(ClientPage { who: &who.0, client, clinical, screenings }.render()?).into_response(),
        )
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

// ---- intake and screening ------------------------------------------------

/// The date an answer needs, by code (the intake file's key).
fn date_key(code: &str) -> Option<&'static str> {
    match code {
        "chemotherapy" => Some("ended"),
        "laser_treatment_scalp" | "scalp_peel" => Some("date"),
        "isotretinoin" => Some("last_dose"),
        _ => None,
    }
}

/// One checkbox of the intake form.
struct Question {
    field: String,
    label: String,
    checked: bool,
    date_field: Option<String>,
    date_label: &'static str,
    date: String,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    consultation_date: String,
    birth_date: String,
    pregnant: bool,
    breastfeeding: bool,
    sections: Vec<(&'static str, Vec<Question>)>,
    error: Option<String>,
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.date_naive().to_string()).unwrap_or_default()
}

fn questions(prefix: &str, codes: &[&str], answers: &[(String, String)]) -> Vec<Question> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    codes
        .iter()
        .map(|code| {
            let field = format!("{prefix}_{code}");
            let date_field = date_key(code).map(|k| format!("{field}_{k}"));
            Question {
                label: smp_clinic::intake::label(code).to_string(),
                checked: value(&field).is_some(),
                date: date_field.as_deref().and_then(value).unwrap_or_default(),
                date_label: match date_key(code) {
                    Some("ended") => "ended on",
                    Some("last_dose") => "last dose on",
                    Some(_) => "on",
                    None => "",
                },
                date_field,
                field,
            }
        })
        .collect()
}

fn intake_form<'a>(
    who: &'a Session,
    client: smp_store::Client,
    answers: &[(String, String)],
    error: Option<String>,
) -> IntakePage<'a> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    IntakePage {
        who,
        consultation_date: value("consultation_date").unwrap_or_else(today),
        birth_date: value("birth_date").or_else(|| client.birth_date.clone()).unwrap_or_default(),
        client,
        pregnant: value("pregnant").is_some(),
        breastfeeding: value("breastfeeding").is_some(),
        sections: vec![
            ("Allergies", questions("allergy", smp_clinic::intake::ALLERGIES, answers)),
            ("Conditions", questions("condition", smp_clinic::intake::CONDITIONS, answers)),
            ("Medications", questions("medication", smp_clinic::intake::MEDICATIONS, answers)),
        ],
        error,
    }
}

/// The answers as the intake file `smp screen` reads. Only known codes are
/// written, and dates only once they parse, so nothing typed can change the
/// document's shape.
fn intake_toml(answers: &[(String, String)]) -> Result<String, String> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string());
    let date = |key: &str, label: &str| -> Result<Option<String>, String> {
        match value(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<chrono::NaiveDate>()
                .map(|d| Some(d.to_string()))
                .map_err(|_| format!("{label}: {v:?} is not a date (YYYY-MM-DD)")),
        }
    };
    let mut out = String::new();
    let consultation =
        date("consultation_date", "Consultation date")?.ok_or("The consultation date is missing.")?;
    let birth = date("birth_date", "Birth date")?.ok_or("The birth date is missing.")?;
    out.push_str(&format!("consultation_date = {consultation}\nbirth_date = {birth}\n"));
    out.push_str(&format!(
        "pregnant = {}\nbreastfeeding = {}\n",
        value("pregnant").is_some(),
        value("breastfeeding").is_some()
    ));
    let allergies: Vec<String> = smp_clinic::intake::ALLERGIES
        .iter()
        .filter(|c| value(&format!("allergy_{c}")).is_some())
        .map(|c| format!("\"{c}\""))
        .collect();
    out.push_str(&format!("allergies = [{}]\n", allergies.join(", ")));
    for (prefix, table, codes) in [
        ("condition", "conditions", smp_clinic::intake::CONDITIONS),
        ("medication", "medications", smp_clinic::intake::MEDICATIONS),
    ] {
        for code in codes.iter().filter(|c| value(&format!("{prefix}_{c}")).is_some()) {
            out.push_str(&format!("[[{table}]]\ncode = \"{code}\"\n"));
            if let Some(key) = date_key(code)
                && let Some(d) = date(&format!("{prefix}_{code}_{key}"), &code.replace('_', " "))?
            {
                out.push_str(&format!("{key} = {d}\n"));
            }
        }
    }
    Ok(out)
}

async fn intake_page(State(state): State<AppState>, who: LoggedIn, Path(id): Path<String>) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        if !clinical(&who.0) {
            return Err(PageError(StatusCode::FORBIDDEN, "Health questions are for practitioners.".into()));
        }
        let client = state.store.studio(&who.0.user.studio).client(&id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such client in this studio.".into())
        })?;
        Ok(Html(intake_form(&who.0, client, &[], None).render()?).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn submit_intake(
    State(state): State<AppState>,
    who: LoggedIn,
    Path(id): Path<String>,
    Form(answers): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        who.check_csrf(answers.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str()))?;
        if !clinical(&who.0) {
            return Err(PageError(StatusCode::FORBIDDEN, "Health questions are for practitioners.".into()));
        }
        let studio = state.store.studio(&who.0.user.studio);
        let client = studio.client(&id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such client in this studio.".into())
        })?;
        let parsed = intake_toml(&answers).and_then(|text| {
            smp_clinic::intake::parse(&text).map(|intake| (text, intake)).map_err(|e| e.message)
        });
        let (text, intake) = match parsed {
            Ok(v) => v,
            Err(message) => {
                let page = intake_form(&who.0, client, &answers, Some(message));
                return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
            }
        };
        let rules = smp_clinic::RuleSet::default_rules();
        let result = smp_clinic::screen(&intake, &rules);
        let json = serde_json::to_string(&result).map_err(|_| {
            PageError(StatusCode::INTERNAL_SERVER_ERROR, "The result could not be stored.".into())
        })?;
        studio
            .record_screening(&id, &who.0.user, &text, &rules.version, result.outcome.as_str(), &json)
            .await?;
        Ok(Redirect::to(&format!("/clients/{id}")).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    who: &'a Session,
    entries: Vec<(String, smp_store::AuditEntry)>,
}

/// Who viewed or changed health answers, newest first: for admins.
async fn audit_log(State(state): State<AppState>, who: LoggedIn) -> Response {
    if let Err(r) = who.require_ready() {
        return r.into_response();
    }
    let run = async {
        if who.0.user.role != Role::Admin {
            return Err(PageError(StatusCode::FORBIDDEN, "The audit log is for admins.".into()));
        }
        let entries = state.store.studio(&who.0.user.studio).audit_log(500).await?;
        let entries = entries.into_iter().map(|e| (day_of(e.at), e)).collect();
        Ok(Html(AuditPage { who: &who.0, entries }.render()?).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
