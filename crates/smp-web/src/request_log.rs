//! One log line per request, through `tracing`: a request id, the method,
//! the path (tokens in it hidden), the status and the time taken; a 5xx
//! carries its cause. The id is shown on error pages, so a studio can quote
//! it and the log line can be found.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

tokio::task_local! {
    /// The id of the request being handled, for its error page.
    static REQUEST_ID: String;
}

/// The current request's id, when inside one.
pub(crate) fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Notes why a request failed on its log line (the cause stays in the log;
/// the person sees a plain message and the request id).
pub(crate) fn record_cause(cause: &dyn std::fmt::Display) {
    tracing::Span::current().record("cause", tracing::field::display(cause));
}

/// The path as logged: a token in it (an aftercare link) is not.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/aftercare/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/aftercare/…/{tail}"),
            None => "/aftercare/…".to_string(),
        },
        None => path.to_string(),
    }
}

/// The middleware: wraps every request.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        cause = tracing::field::Empty,
    );
    let started = Instant::now();
    let response =
        REQUEST_ID.scope(id, crate::clock::scope(next.run(request)).instrument(span.clone())).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::error!(status, ms = format_args!("{ms:.1}"), "failed");
        } else {
            tracing::info!(status, ms = format_args!("{ms:.1}"), "done");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aftercare_tokens_are_not_logged() {
        assert_eq!(loggable_path("/aftercare/abc123"), "/aftercare/…");
        assert_eq!(loggable_path("/aftercare/abc123/calendar.ics"), "/aftercare/…/calendar.ics");
        assert_eq!(loggable_path("/clients/x"), "/clients/x");
    }
}
