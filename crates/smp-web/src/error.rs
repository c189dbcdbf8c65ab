//! The one error type of the app's handlers: each variant is an answer a
//! person gets as a page (status and words), built in one place.
//!
//! Handlers return [`Result`]; `?` turns store, template and work-pool
//! failures into the right variant. A failure of ours (500) keeps its cause
//! in the request's log line, never on the page, which names the request
//! so that the line can be found.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use smp_store::StoreError;

use crate::{MessagePage, kept_input, request_log};

/// A handler's result: an answer, or a page that says why not.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request got no answer but a message; the text is shown to the
/// person as it is, so it says what to do in the studio's words.
#[derive(Debug)]
pub(crate) enum Error {
    /// 400: the request itself is not acceptable (a value out of range, a
    /// stage that does not exist).
    BadRequest(String),
    /// 403: this person may not do this (their role, or a form's expired
    /// CSRF token).
    Forbidden(String),
    /// 404: no such record in this studio (another studio's records are
    /// answered the same way, so they cannot be probed).
    NotFound(String),
    /// 410: the record was there and is no longer usable (withdrawn,
    /// erased, a revoked or expired link).
    Gone(String),
    /// 413: a body over its route's limit.
    TooLarge(String),
    /// 503: the server cannot take the work now (shutting down, busy).
    Unavailable(String),
    /// 500: a failure of ours. The cause was recorded in the request's log
    /// line when the error was made ([`Error::internal`]).
    Internal(String),
}

impl Error {
    /// A failure of ours: `cause` goes to the request's log line, `shown`
    /// to the person.
    pub(crate) fn internal(cause: &dyn std::fmt::Display, shown: impl Into<String>) -> Self {
        request_log::record_cause(cause);
        Error::Internal(shown.into())
    }

    /// The answer's status.
    fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Gone(_) => StatusCode::GONE,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The words the person reads.
    fn into_message(self) -> String {
        match self {
            Error::BadRequest(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Gone(m)
            | Error::TooLarge(m)
            | Error::Unavailable(m)
            | Error::Internal(m) => m,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        // A failure of ours carries the request's id, to find its log line.
        let reference = status.is_server_error().then(request_log::current_request_id).flatten();
        let message = self.into_message();
        let page = MessagePage {
            title: status.canonical_reason().unwrap_or("Error"),
            message: &message,
            reference: reference.as_deref(),
        };
        let mut response = (status, Html(page.render().unwrap_or_default())).into_response();
        response.extensions_mut().insert(kept_input::FailureMessage(message));
        response
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => Error::BadRequest(m),
            StoreError::Files(_) => {
                Error::internal(&e, "The photo store did not answer. Nothing was changed.")
            }
            StoreError::Corrupt(_) => {
                Error::internal(&e, "A stored record could not be read. Nothing was changed.")
            }
            // Details stay in the server's log: they may name records.
            e => Error::internal(&e, "The database did not answer. Nothing was changed."),
        }
    }
}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Error::internal(&e, "The page could not be drawn.")
    }
}
