//! The studio's gallery of results: before/healed pairs of consenting
//! clients, cropped to the scalp and, unless the consent allows faces,
//! blurred below the face line; no names. Staff see it at `/gallery`; an
//! admin may switch on a public read-only copy at an unguessable address.
//!
//! Every page and picture is answered only after the store's gallery
//! queries, which join the consent in force, have found the pair, so a
//! revoked consent takes it out of every route at once. Pictures are kept
//! a while in memory (public visitors would otherwise make each one again)
//! but only ever read behind that check, and browsers are told to keep
//! none (`no-store`).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{GalleryPair, Session, StudioId, StudioStore};

use crate::{AppState, Error, Result, Staff, day_of};

/// Which photo of a pair.
#[derive(Clone, Copy)]
enum Side {
    Before,
    Healed,
}

impl Side {
    /// From the picture's file name in its address.
    fn parse(file: &str) -> Option<Self> {
        match file {
            "before.jpg" => Some(Side::Before),
            "healed.jpg" => Some(Side::Healed),
            _ => None,
        }
    }
}

/// A pair as a gallery page shows it.
struct PairView {
    id: String,
    caption: String,
    when: String,
}

impl PairView {
    fn of(p: &GalleryPair) -> Self {
        Self { id: p.id.clone(), caption: p.pair.caption.clone(), when: day_of(p.created_at) }
    }
}

#[derive(Template)]
#[template(path = "gallery.html")]
struct StaffPage<'a> {
    who: &'a Session,
    pairs: Vec<PairView>,
    is_admin: bool,
    /// The public copy's full address, when it is on.
    public: Option<String>,
}

/// `GET /gallery`: every staff member may show it to a client.
pub(crate) async fn page(State(state): State<AppState>, who: Staff) -> Result<Response> {
    let studio = who.studio(&state);
    let pairs = studio.gallery().await?.iter().map(PairView::of).collect();
    let public = studio.public_gallery().await?.map(|token| format!("{}/g/{token}", state.public_url));
    let is_admin = who.user().role == smp_store::Role::Admin;
    Ok(Html(StaffPage { who: &who.session, pairs, is_admin, public }.render()?).into_response())
}

/// `GET /gallery/{pair}/{side}`: one picture, as the gallery shows it.
pub(crate) async fn staff_picture(
    State(state): State<AppState>,
    who: Staff,
    Path((pair, file)): Path<(String, String)>,
) -> Result<Response> {
    let studio_id = who.user().studio.clone();
    picture(&state, &studio_id, &who.user().id, &pair, &file).await
}

#[derive(Deserialize)]
pub(crate) struct PublicForm {
    csrf: String,
    /// "on" (a new address), or "off".
    public: String,
}

/// `POST /gallery/public`: an admin switches the public copy on at a new
/// address (the old one stops working) or off.
pub(crate) async fn set_public(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<PublicForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("The public gallery")?;
    let on = match form.public.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(Error::BadRequest("Switch the public gallery on or off.".into())),
    };
    who.studio(&state).set_public_gallery(who.user(), on).await?;
    Ok(Redirect::to("/gallery#public").into_response())
}

#[derive(Template)]
#[template(path = "gallery_public.html")]
struct PublicPage {
    studio: String,
    base: String,
    has_logo: bool,
    pairs: Vec<PairView>,
}

/// The studio whose public gallery is at `token`; any other token is as
/// absent as a switched-off gallery.
async fn public_studio(state: &AppState, token: &str) -> Result<StudioId> {
    state
        .store
        .public_gallery_studio(token)
        .await?
        .ok_or_else(|| Error::NotFound("There is no gallery at this address.".into()))
}

/// `GET /g/{gallery}`: the public copy, read-only, without the studio's
/// menus.
pub(crate) async fn public_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let studio_id = public_studio(&state, &token).await?;
    let studio = state.store.studio(&studio_id);
    let pairs = studio.gallery().await?.iter().map(PairView::of).collect();
    let has_logo = studio.brand().await?.has_logo;
    let page = PublicPage { studio: studio.name().await?, base: format!("/g/{token}"), has_logo, pairs };
    Ok(([(CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// `GET /g/{gallery}/logo.png`: the studio's logo on its public page.
pub(crate) async fn public_logo(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let studio_id = public_studio(&state, &token).await?;
    let png = state
        .store
        .studio(&studio_id)
        .logo()
        .await?
        .ok_or_else(|| Error::NotFound("This studio has no logo.".into()))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

/// `GET /g/{gallery}/{pair}/{side}`: a picture of the public copy.
pub(crate) async fn public_picture(
    State(state): State<AppState>,
    Path((token, pair, file)): Path<(String, String, String)>,
) -> Result<Response> {
    let studio_id = public_studio(&state, &token).await?;
    // The public copy takes its turn on the CPU pool as one visitor.
    picture(&state, &studio_id, &format!("public-gallery:{}", studio_id.0), &pair, &file).await
}

/// A pair's picture, cropped and blurred as its consent says, made afresh.
async fn picture(
    state: &AppState,
    studio_id: &StudioId,
    worker: &str,
    pair: &str,
    file: &str,
) -> Result<Response> {
    let absent = || Error::NotFound("This picture is not in the gallery.".into());
    let side = Side::parse(file).ok_or_else(absent)?;
    let studio: StudioStore<'_> = state.store.studio(studio_id);
    let shown = studio.gallery_pair(pair).await?.ok_or_else(absent)?;
    let (photo_id, line) = match side {
        Side::Before => (&shown.pair.before_photo, shown.pair.before_face_line),
        Side::Healed => (&shown.pair.healed_photo, shown.pair.healed_face_line),
    };
    let faces = shown.faces_allowed;
    // Everything the picture is made of: a consent that comes to allow
    // faces makes a new one.
    let key = format!("{} {photo_id} {line} {faces}", shown.id);
    if let Some(jpeg) = state.recall_gallery(&key) {
        return Ok(
            ([(CONTENT_TYPE, "image/jpeg"), (CACHE_CONTROL, "no-store")], jpeg.to_vec()).into_response()
        );
    }
    let photo = studio.photo(photo_id).await?.ok_or_else(absent)?;
    let screen = crate::photos::screen_copy(state, studio_id, &photo).await?;
    let jpeg = state
        .cpu
        .run(worker, move || {
            let shown = smp_render::gallery::for_gallery(&screen, line as f64 / 1000.0, faces);
            let mut out = Vec::new();
            smp_render::photo::encode_jpeg(&shown, 88, &mut out).map(|()| out)
        })
        .await?
        .map_err(|e| Error::internal(&e, "The picture could not be made."))?;
    state.remember_gallery(key, std::sync::Arc::new(jpeg.clone()));
    Ok(([(CONTENT_TYPE, "image/jpeg"), (CACHE_CONTROL, "no-store")], jpeg).into_response())
}
