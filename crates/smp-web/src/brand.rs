//! The studio's logo: uploaded by an admin on the studio's settings page,
//! made into a small PNG (transparency kept, at most 600 x 200 pixels, every
//! piece of metadata dropped), and served to its staff for the header.

use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};

use crate::{AppState, CsrfForm, Error, LoggedIn, Result, Staff};

/// Largest logo file accepted.
pub(crate) const MAX_UPLOAD_BYTES: usize = 5 << 20;
/// Largest logo request: the file and the token.
pub(crate) const BODY_LIMIT_BYTES: usize = MAX_UPLOAD_BYTES + (16 << 10);
/// Largest logo decoded, in pixels.
const MAX_PIXELS: u64 = 16_000_000;
/// The box the stored logo fits in.
const LOGO_BOX: (u32, u32) = (600, 200);

/// What became of a logo, as the studio page says it (`?logo=...`).
pub(crate) fn logo_note(code: &str) -> Option<(bool, String)> {
    Some(match code {
        "saved" => (true, "The logo is saved: it shows in the header of every page.".into()),
        "removed" => (true, "The logo is removed.".into()),
        "missing" => (false, "Choose an image file for the logo.".into()),
        "too-large" => (false, format!("The logo file may be up to {} MB.", MAX_UPLOAD_BYTES >> 20)),
        "unreadable" => {
            (false, "This file is not an image the app can read: choose a PNG, JPEG or WebP.".into())
        }
        _ => return None,
    })
}

/// The logo as stored: fitted into [`LOGO_BOX`], as PNG with its transparency.
fn logo_png(bytes: &[u8]) -> Option<Vec<u8>> {
    // The header is read first: a huge image is refused before any pixel
    // buffer is allocated.
    let reader = || {
        let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok()?;
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_PIXELS * 4);
        reader.limits(limits);
        Some(reader)
    };
    let (width, height) = reader()?.into_dimensions().ok()?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return None;
    }
    let image = reader()?.decode().ok()?;
    let fitted = if image.width() > LOGO_BOX.0 || image.height() > LOGO_BOX.1 {
        image.resize(LOGO_BOX.0, LOGO_BOX.1, image::imageops::FilterType::Lanczos3)
    } else {
        image
    };
    let mut png = Vec::new();
    fitted.to_rgba8().write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).ok()?;
    (png.len() <= smp_store::MAX_LOGO_BYTES).then_some(png)
}

/// `POST /admin/studio/logo`: the token first, then the file.
pub(crate) async fn upload(
    State(state): State<AppState>,
    who: Staff,
    mut multipart: Multipart,
) -> Result<Response> {
    who.require_admin("The studio's logo")?;
    let back = |code: &str| Ok(Redirect::to(&format!("/admin/studio?logo={code}#logo")).into_response());
    let (mut checked, mut file) = (false, None::<Vec<u8>>);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return back("too-large"),
            Err(_) => return back("missing"),
        };
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.unwrap_or_default();
                who.check_csrf(&token)?;
                checked = true;
            }
            Some("logo") if checked => match field.bytes().await {
                Ok(bytes) if !bytes.is_empty() => file = Some(bytes.to_vec()),
                Ok(_) => {}
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return back("too-large"),
                Err(_) => return back("missing"),
            },
            // A file before the token is refused unread.
            Some("logo") => who.check_csrf("")?,
            _ => {}
        }
    }
    if !checked {
        who.check_csrf("")?;
    }
    let Some(bytes) = file else { return back("missing") };
    if bytes.len() > MAX_UPLOAD_BYTES {
        return back("too-large");
    }
    let _decoding = state
        .decodes
        .acquire()
        .await
        .map_err(|_| Error::Unavailable("The server is shutting down.".into()))?;
    let png = tokio::task::spawn_blocking(move || logo_png(&bytes)).await.ok().flatten();
    let Some(png) = png else { return back("unreadable") };
    who.studio(&state).set_logo(who.user(), Some(&png)).await?;
    back("saved")
}

/// `POST /admin/studio/logo/remove`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("The studio's logo")?;
    who.studio(&state).set_logo(who.user(), None).await?;
    Ok(Redirect::to("/admin/studio?logo=removed#logo").into_response())
}

/// `GET /studio/accent.css`: the studio's accent colour as the design
/// system's `--accent`, for its own staff (linked by every staff page with
/// the colour in its address, so a change shows at once).
pub(crate) async fn accent(who: LoggedIn) -> Result<Response> {
    let css = match &who.session.brand.accent {
        Some(accent) => format!(":root {{ --accent: {accent}; }}\n"),
        None => String::new(),
    };
    Ok(([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "private, max-age=86400")], css)
        .into_response())
}

/// `GET /studio/logo.png`, for the studio's own staff.
pub(crate) async fn logo(State(state): State<AppState>, who: LoggedIn) -> Result<Response> {
    let png = state
        .store
        .studio(&who.user().studio)
        .logo()
        .await?
        .ok_or_else(|| Error::NotFound("This studio has no logo.".into()))?;
    Ok(([(CONTENT_TYPE, "image/png"), (CACHE_CONTROL, "private, max-age=300")], png).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_is_fitted_and_keeps_its_transparency() {
        let wide = image::RgbaImage::from_fn(1200, 300, |x, _| image::Rgba([20, 40, 60, (x % 256) as u8]));
        let mut png = Vec::new();
        wide.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let stored = image::load_from_memory(&logo_png(&png).unwrap()).unwrap();
        assert_eq!((stored.width(), stored.height()), (600, 150));
        assert!(stored.to_rgba8().pixels().any(|p| p[3] < 255), "transparency kept");
        assert_eq!(logo_png(b"not an image"), None);
    }
}
