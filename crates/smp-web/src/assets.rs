//! Static files (htmx, the signature pad, the stylesheet's companions),
//! embedded in the binary so that running the app needs no build step and
//! no files beside it.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

pub(crate) async fn serve(Path(path): Path<String>) -> Response {
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
    // Assets change only with the binary; an hour keeps tablets quick
    // without pinning an old script after an upgrade for long.
    ([(CONTENT_TYPE, kind), (CACHE_CONTROL, "public, max-age=3600")], file.data).into_response()
}
