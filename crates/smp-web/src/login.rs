//! Logging in and out, and a person's own password and PIN: the login
//! form (with its own CSRF cookie, as there is no session yet), the
//! throttle on failures, the first password replaced.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{Session, StoreError};

use crate::auth::{constant_time_eq, cookie_in};
use crate::{AppState, ClientAddress, CsrfForm, LoggedIn, Result, SESSION_COOKIE, throttle};

/// How long a login lasts.
const SESSION_HOURS: i64 = 12;

/// The cookie that carries the login form's CSRF token (the login form is
/// shown before there is a session to hold one).
const LOGIN_COOKIE: &str = "smp_login";

/// The cookie that remembers a device's studio for the login form.
const STUDIO_COOKIE: &str = "smp_studio";

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

pub(crate) async fn login_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    let remembered = cookie_in(&headers, STUDIO_COOKIE).unwrap_or_default();
    let studio = asks_for_studio(&state).await?.then_some(remembered.as_str());
    login_form(&state, StatusCode::OK, studio, "", None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    /// The studio's sign-in code, where the form asks for it.
    #[serde(default)]
    studio: String,
    name: String,
    password: String,
}

pub(crate) async fn login(
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

pub(crate) async fn logout(
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

pub(crate) async fn password_page(State(state): State<AppState>, who: LoggedIn) -> Result<Html<String>> {
    password_view(&state, &who, None, None).await
}

#[derive(Deserialize)]
pub(crate) struct PinForm {
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
pub(crate) async fn set_pin(
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
pub(crate) struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current: String,
    password: String,
    repeat: String,
}

pub(crate) async fn change_password(
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
