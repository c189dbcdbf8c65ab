//! Erasing a client's record at their request (admins only): a page that
//! lists what goes and what the studio keeps, confirmed by typing the
//! client's name and the request, then the erasure itself (the store's
//! transaction, then the photo files).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{ErasureCounts, Session, StoreError};

use crate::{AppState, Error, Result, Staff, photos};

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    counts: ErasureCounts,
    /// What was typed, kept on a refusal.
    typed_name: String,
    reason: String,
    error: Option<String>,
}

async fn erase_page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    form: EraseForm,
    error: Option<String>,
) -> Result<Response> {
    who.require_admin("Erasing a client's record")?;
    let client = who.client(state, client_id).await?;
    if client.erased.is_some() {
        return Err(Error::Gone("This client's record is erased already.".into()));
    }
    let counts = who.studio(state).erasure_counts(client_id).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page =
        ErasePage { who: &who.session, client, counts, typed_name: form.name, reason: form.reason, error };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn form(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
) -> Result<Response> {
    erase_page(&state, &who, &client_id, EraseForm::default(), None).await
}

#[derive(Deserialize, Default)]
pub(crate) struct EraseForm {
    #[serde(default)]
    csrf: String,
    /// The client's name, typed to confirm.
    #[serde(default)]
    name: String,
    /// The client's request (when and how it came).
    #[serde(default)]
    reason: String,
}

pub(crate) async fn erase(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(form): Form<EraseForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("Erasing a client's record")?;
    let client = who.client(&state, &client_id).await?;
    if !form.name.trim().eq_ignore_ascii_case(client.full_name.trim()) {
        let message = format!("Type the client's name, {}, to confirm.", client.full_name);
        return erase_page(&state, &who, &client_id, form, Some(message)).await;
    }
    let studio = who.studio(&state);
    let photo_ids = match studio.erase_client(who.user(), &client_id, &form.reason).await {
        Ok(Some(ids)) => ids,
        Ok(None) => {
            return Err(Error::Gone("This client's record is erased already.".into()));
        }
        Err(StoreError::Invalid(message)) => {
            return erase_page(&state, &who, &client_id, form, Some(message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    // The records are gone; the files follow. One that cannot be
    // removed now has no record, so the sweep at the next start takes it.
    photos::delete_files(&state, &who.user().studio, &photo_ids).await;
    Ok(Redirect::to(&format!("/clients/{client_id}")).into_response())
}
