//! What was typed survives a failure of ours. A form sent when the database
//! or the photo store did not answer (a 5xx) comes back as a page that says
//! what went wrong, shows what was typed, and sends it again with one tap:
//! nothing typed at the chair (an intake, a session's ink passport, a
//! client's signature) is lost to a hiccup on the server.
//!
//! Only form posts from a page (urlencoded, with a declared length within
//! the largest form's limit, asking for HTML) are kept; uploads are not
//! (the photo is still on the tablet), nor the editor's background calls.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

/// The message of a failure, as its page said it, for the page that
/// replaces it (set by `Error` on its response).
#[derive(Clone)]
pub(crate) struct FailureMessage(pub String);

/// Fields longer than this are sent again but not shown (a signature's
/// image, say).
const SHOWN_CHARS: usize = 2000;

#[derive(Template)]
#[template(path = "send_again.html")]
struct SendAgainPage<'a> {
    message: &'a str,
    reference: Option<String>,
    action: &'a str,
    /// Every field, to send again.
    fields: Vec<(String, String)>,
    /// The fields a person typed, to see (the form's token left out), by
    /// their names in words.
    shown: Vec<(String, String)>,
}

/// Whether a request is a form a page sent, and how long it says it is.
fn kept_form_length(method: &Method, headers: &HeaderMap, limit: usize) -> Option<usize> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let wants_page =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let length = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse::<usize>().ok()?;
    (method == Method::POST && is_form && wants_page && length <= limit).then_some(length)
}

/// The middleware: keeps a form's body until its answer is known.
pub(crate) async fn keep_typed_input(request: Request, next: Next) -> Response {
    let Some(length) =
        kept_form_length(request.method(), request.headers(), crate::consent::BODY_LIMIT_BYTES)
    else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, length).await else {
        // A body other than it said: let the route's own checks answer.
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let action = parts.uri.path().to_string();
    let response = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;
    if !response.status().is_server_error() {
        return response;
    }
    let message = response
        .extensions()
        .get::<FailureMessage>()
        .map_or_else(|| "The server could not finish this.".to_string(), |m| m.0.clone());
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let shown = fields
        .iter()
        .filter(|(name, value)| name != "csrf" && !value.is_empty() && value.chars().count() <= SHOWN_CHARS)
        .map(|(name, value)| (name.replace('_', " "), value.clone()))
        .collect();
    let page = SendAgainPage {
        message: &message,
        reference: crate::request_log::current_request_id(),
        action: &action,
        fields,
        shown,
    };
    match page.render() {
        Ok(html) => (response.status(), Html(html)).into_response(),
        Err(_) => response,
    }
}
