//! Who is asking: the extractors every handler starts with (a login,
//! staff past their first password, the client's address), the role
//! checks, and the CSRF token every state-changing form carries.

use std::net::{IpAddr, SocketAddr};

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{Role, Session};

use crate::{AppState, Error, Result, SESSION_COOKIE, clock};

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

pub(crate) fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The logged-in session; requests without one go to the login page.
pub(crate) struct LoggedIn {
    pub(crate) session: Session,
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
    pub(crate) fn user(&self) -> &smp_store::User {
        &self.session.user
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub(crate) fn check_csrf(&self, token: &str) -> Result<()> {
        csrf_matches(&self.session, token)
    }

    /// Sends a user who must change their password to do that first.
    pub(crate) fn require_ready(&self) -> Result<(), Redirect> {
        if self.user().must_change_password { Err(Redirect::to("/password")) } else { Ok(()) }
    }
}

/// A logged-in staff member who has chosen their own password: what every
/// page past the login needs. Others go to the login or password page.
pub(crate) struct Staff {
    pub(crate) session: Session,
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
    pub(crate) fn user(&self) -> &smp_store::User {
        &self.session.user
    }

    pub(crate) fn check_csrf(&self, token: &str) -> Result<()> {
        csrf_matches(&self.session, token)
    }

    /// Refuses anyone but practitioners and admins.
    pub(crate) fn require_clinical(&self, what: &str) -> Result<()> {
        if clinical(&self.session) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{what} are for practitioners.")))
        }
    }

    /// Refuses anyone but admins.
    pub(crate) fn require_admin(&self, what: &str) -> Result<()> {
        if self.user().role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("{what} is for admins.")))
        }
    }

    pub(crate) fn studio<'a>(&self, state: &'a AppState) -> smp_store::StudioStore<'a> {
        state.store.studio(&self.user().studio)
    }

    /// One of this studio's clients; another studio's is as absent as a
    /// missing one.
    pub(crate) async fn client(&self, state: &AppState, id: &str) -> Result<smp_store::Client> {
        self.studio(state)
            .client(id)
            .await?
            .ok_or_else(|| Error::NotFound("There is no such client in this studio.".into()))
    }
}

/// Whether two tokens are equal, compared in constant time so that a token
/// cannot be guessed byte by byte.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
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

/// The address a request came from: the peer, or behind a proxy on this
/// machine the address the proxy names last.
pub(crate) struct ClientAddress(pub(crate) IpAddr);

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

/// Whether a role may see health answers, screening details and photos.
pub(crate) fn clinical(session: &Session) -> bool {
    matches!(session.user.role, Role::Admin | Role::Practitioner)
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}
