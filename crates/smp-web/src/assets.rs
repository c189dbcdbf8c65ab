//! Static files (the stylesheet, htmx, the signature pad, the editor),
//! embedded in the binary so that running the app needs no build step and
//! no files beside it.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

pub(crate) async fn serve(Path(path): Path<String>, RawQuery(query): RawQuery) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let kind = match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    // Assets change only with the binary. An address stamped with the
    // content's digest ([`url`]) never changes meaning: kept for a year. An
    // unstamped one for an hour, which keeps tablets quick without pinning
    // an old script after an upgrade for long.
    let cache = match query {
        Some(q) if q.starts_with("v=") => "public, max-age=31536000, immutable",
        _ => "public, max-age=3600",
    };
    ([(CONTENT_TYPE, kind), (CACHE_CONTROL, cache)], file.data).into_response()
}

/// The address of the asset `path` with its content's digest in the query,
/// so that it can be cached for long and an upgrade is fetched at once.
/// (Every template links its stylesheet through this.)
pub(crate) fn url(path: &str) -> String {
    match Assets::get(path) {
        Some(file) => {
            let digest = file.metadata.sha256_hash();
            let stamp: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            format!("/assets/{path}?v={stamp}")
        }
        None => format!("/assets/{path}"),
    }
}
