//! The client list, a new client (with possible duplicates shown before it
//! is saved), and corrections to a client's details (every change audited,
//! the values it replaced kept and shown).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{Client, ClientFields, Session, StoreError};

use crate::{AppState, Error, Result, Staff, day_of};

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage<'a> {
    who: &'a Session,
    query: &'a str,
    clients: Vec<Client>,
    form: ClientFields,
    error: Option<&'a str>,
    /// Clients who may be the person typed: shown before a new one is saved.
    duplicates: Vec<Client>,
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    who: Staff,
    Query(search): Query<SearchQuery>,
) -> Result<Response> {
    let clients = who.studio(&state).search_clients(&search.q, 200).await?;
    let page = ClientsPage {
        who: &who.session,
        query: &search.q,
        clients,
        form: ClientFields::default(),
        error: None,
        duplicates: Vec::new(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ClientForm {
    csrf: String,
    full_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    /// Ticked when the person was told of possible duplicates and is
    /// someone else.
    #[serde(default)]
    not_a_duplicate: Option<String>,
}

impl ClientForm {
    fn fields(&self) -> ClientFields {
        ClientFields {
            full_name: self.full_name.clone(),
            birth_date: Some(self.birth_date.clone()),
            email: Some(self.email.clone()),
            phone: Some(self.phone.clone()),
        }
    }
}

/// What a save of a client's details comes to before it is written: a
/// message for the form, or possible duplicates to confirm, or nothing.
async fn checks(
    studio: &smp_store::StudioStore<'_>,
    form: &ClientForm,
    except: Option<&str>,
) -> Result<(Option<String>, Vec<Client>), Error> {
    match studio.possible_duplicates(&form.fields(), except).await {
        Err(StoreError::Invalid(m)) => Ok((Some(m), Vec::new())),
        Err(e) => Err(e.into()),
        Ok(_) if form.not_a_duplicate.is_some() => Ok((None, Vec::new())),
        Ok(found) => Ok((None, found)),
    }
}

pub(crate) async fn create(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<ClientForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let studio = who.studio(&state);
    let (error, duplicates) = checks(&studio, &form, None).await?;
    if error.is_none() && duplicates.is_empty() {
        let client = studio.create_client(who.user(), &form.fields()).await?;
        return Ok(Redirect::to(&format!("/clients/{}", client.id)).into_response());
    }
    // Keep what was typed, and say what is wrong (or who this may be)
    // beside the form.
    let clients = studio.search_clients("", 200).await?;
    let page = ClientsPage {
        who: &who.session,
        query: "",
        clients,
        form: form.fields(),
        error: error.as_deref(),
        duplicates,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::CONFLICT };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "client_details.html")]
struct DetailsPage<'a> {
    who: &'a Session,
    client: Client,
    form: ClientFields,
    error: Option<String>,
    duplicates: Vec<Client>,
    /// Earlier values, newest first: (when, by whom, the values).
    history: Vec<(String, String, ClientFields)>,
}

async fn details_page(
    state: &AppState,
    who: &Staff,
    client: Client,
    form: ClientFields,
    error: Option<String>,
    duplicates: Vec<Client>,
) -> Result<Response> {
    let history = who
        .studio(state)
        .client_changes(&client.id)
        .await?
        .into_iter()
        .map(|c| (day_of(c.changed_at), c.staff_name, c.before))
        .collect();
    let status = match (&error, duplicates.is_empty()) {
        (Some(_), _) => StatusCode::BAD_REQUEST,
        (None, false) => StatusCode::CONFLICT,
        (None, true) => StatusCode::OK,
    };
    let page = DetailsPage { who: &who.session, client, form, error, duplicates, history };
    Ok((status, Html(page.render()?)).into_response())
}

/// The client's details to correct, with the history of earlier values.
pub(crate) async fn edit_page(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    let client = who.client(&state, &id).await?;
    let form = ClientFields {
        full_name: client.full_name.clone(),
        birth_date: client.birth_date.clone(),
        email: client.email.clone(),
        phone: client.phone.clone(),
    };
    details_page(&state, &who, client, form, None, Vec::new()).await
}

/// Saves corrected details (the old values are kept and the change audited).
pub(crate) async fn save_details(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<ClientForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let client = who.client(&state, &id).await?;
    let studio = who.studio(&state);
    let (error, duplicates) = checks(&studio, &form, Some(&id)).await?;
    if error.is_none() && duplicates.is_empty() {
        studio.update_client(who.user(), &id, &form.fields()).await?;
        return Ok(Redirect::to(&format!("/clients/{id}")).into_response());
    }
    details_page(&state, &who, client, form.fields(), error, duplicates).await
}
