//! Admin pages: the studio's staff accounts and its settings (name and
//! consent text).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{AuditAction, Role, Session, StoreError, User};

use crate::{AppState, CsrfForm, Error, Result, Staff, consent};

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    who: &'a Session,
    users: Vec<User>,
    name: String,
    role: String,
    error: Option<String>,
    /// A one-time password just made, shown once: (user name, password).
    issued: Option<(String, String)>,
}

impl StudioPage<'_> {
    /// Whether the studio is open on the day `key` ("mon").
    fn open_on(&self, key: &str) -> bool {
        self.details.open_days.split_whitespace().any(|d| d == key)
    }
}

impl UsersPage<'_> {
    fn roles(&self) -> [(&'static str, &'static str, bool); 3] {
        [Role::FrontDesk, Role::Practitioner, Role::Admin].map(|r| {
            let label = match r {
                Role::Admin => "Admin: users and studio settings, and everything clinical",
                Role::Practitioner => "Practitioner: everything clinical",
                Role::FrontDesk => "Front desk: clients and consent, no health answers or photos",
            };
            (r.as_str(), label, r.as_str() == self.role)
        })
    }
}

async fn users_page(
    state: &AppState,
    who: &Staff,
    status: StatusCode,
    form: (String, String, Option<String>),
    issued: Option<(String, String)>,
) -> Result<Response> {
    let users = who.studio(state).users().await?;
    let (name, role, error) = form;
    let page = UsersPage { who: &who.session, users, name, role, error, issued };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn users(State(state): State<AppState>, who: Staff) -> Result<Response> {
    who.require_admin("Managing staff")?;
    users_page(&state, &who, StatusCode::OK, (String::new(), "practitioner".into(), None), None).await
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// Adds an account with a one-time password, shown once, to hand over.
pub(crate) async fn add_user(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<NewUser>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("Managing staff")?;
    let refused = |m: String| (form.name.clone(), form.role.clone(), Some(m));
    let Some(role) = Role::parse(&form.role) else {
        let form = refused("Choose a role.".into());
        return users_page(&state, &who, StatusCode::BAD_REQUEST, form, None).await;
    };
    let password = smp_store::one_time_password();
    match state.store.create_user(&who.user().studio, &form.name, role, &password, true).await {
        Ok(user) => {
            who.studio(&state).audit(who.user(), AuditAction::AddUser, &user.name).await?;
            let blank = (String::new(), "practitioner".into(), None);
            users_page(&state, &who, StatusCode::OK, blank, Some((user.name, password))).await
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::UserExists(_))) => {
            users_page(&state, &who, StatusCode::BAD_REQUEST, refused(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Gives an account a new one-time password (a forgotten password).
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    who: Staff,
    Path(user_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("Managing staff")?;
    let studio = who.studio(&state);
    let name = studio
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == user_id)
        .map(|u| u.name)
        .ok_or_else(|| Error::NotFound("There is no such user in this studio.".into()))?;
    let password = studio
        .reset_password(who.user(), &user_id)
        .await?
        .ok_or_else(|| Error::NotFound("There is no such user in this studio.".into()))?;
    let blank = (String::new(), "practitioner".into(), None);
    users_page(&state, &who, StatusCode::OK, blank, Some((name, password))).await
}

#[derive(Template)]
#[template(path = "admin_studio.html")]
struct StudioPage<'a> {
    who: &'a Session,
    details: smp_store::StudioDetails,
    weekdays: [(&'static str, &'static str); 7],
    /// The IANA zones, for the time zone's list.
    zones: Vec<&'static str>,
    consent_text: String,
    consent_version: i64,
    /// What staff type at the login when the installation holds several
    /// studios.
    sign_in_code: String,
    /// The accent colour shown in the picker (the studio's, or the default).
    accent: String,
    /// Whether the studio keeps the default colour.
    default_accent: bool,
    has_logo: bool,
    /// The opening hours (as typed, on a refusal).
    opening: smp_store::OpeningHours,
    /// How many sessions can run at once (as typed, on a refusal).
    chairs: String,
    /// What became of a logo just sent: (whether it was taken, in words).
    logo_note: Option<(bool, String)>,
    /// The paper consultation reports are set on: "a4" or "letter".
    paper: String,
    /// Whether clients may sign the consent at home.
    consent_at_home: bool,
    saved: bool,
    error: Option<String>,
}

/// The app's own accent, where the studio chose none.
const DEFAULT_ACCENT: &str = "#2b5cab";

#[derive(Deserialize, Default)]
pub(crate) struct StudioQuery {
    /// What became of a logo just sent (see `crate::brand`).
    #[serde(default)]
    logo: Option<String>,
}

pub(crate) async fn studio(
    State(state): State<AppState>,
    who: Staff,
    axum::extract::Query(query): axum::extract::Query<StudioQuery>,
) -> Result<Response> {
    who.require_admin("The studio's settings")?;
    let studio = who.studio(&state);
    let text = consent::current_text(&studio).await?;
    let brand = studio.brand().await?;
    let page = StudioPage {
        accent: brand.accent.clone().unwrap_or_else(|| DEFAULT_ACCENT.into()),
        default_accent: brand.accent.is_none(),
        has_logo: brand.has_logo,
        opening: studio.opening_hours().await?,
        chairs: studio.chairs().await?.to_string(),
        logo_note: query.logo.as_deref().and_then(crate::brand::logo_note),
        paper: studio.report_paper().await?,
        consent_at_home: studio.consent_at_home().await?,
        who: &who.session,
        details: studio.details().await?,
        zones: crate::clock::zone_names().collect(),
        weekdays: crate::clock::WEEKDAYS,
        consent_text: text.body,
        consent_version: text.version,
        sign_in_code: studio.sign_in_code().await?,
        saved: false,
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct StudioForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    time_zone: String,
    /// The open days' checkboxes (day_mon, day_tue, ...).
    #[serde(flatten)]
    days: std::collections::HashMap<String, String>,
    #[serde(default)]
    consent_text: String,
    #[serde(default)]
    accent: String,
    /// Ticked: the app's own colour.
    #[serde(default)]
    default_accent: Option<String>,
    /// "HH:MM"; a form without them leaves the hours as they are.
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    /// Sessions at once; a form without it leaves the number as it is.
    #[serde(default)]
    chairs: String,
}

/// Saves the name, and the consent text as a new version when it changed:
/// consents already signed keep the version they were signed under.
pub(crate) async fn save_studio(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<StudioForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("The studio's settings")?;
    let studio = who.studio(&state);
    let details = smp_store::StudioDetails {
        name: form.name,
        phone: Some(form.phone),
        email: Some(form.email),
        address: Some(form.address),
        time_zone: form.time_zone.trim().to_string(),
        open_days: crate::clock::WEEKDAYS
            .iter()
            .filter(|(key, _)| form.days.contains_key(&format!("day_{key}")))
            .map(|(key, _)| *key)
            .collect::<Vec<_>>()
            .join(" "),
    };
    let opening =
        smp_store::OpeningHours { opens: form.opens_at.trim().into(), closes: form.closes_at.trim().into() };
    // Every field is checked before anything is saved.
    // (The app's own colour, a colour, or, from a form without the
    // field, no change.)
    let accent = match (form.default_accent.is_some(), form.accent.trim()) {
        (true, _) => Ok(Some(None)),
        (false, "") => Ok(None),
        (false, typed) => smp_store::checked_accent(typed).map(|a| Some(Some(a))),
    };
    let hours_given = !form.opens_at.trim().is_empty() || !form.closes_at.trim().is_empty();
    let chairs = match form.chairs.trim() {
        "" => Ok(None),
        typed => typed
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=smp_store::MAX_CHAIRS).contains(n))
            .map(Some)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "Chairs: {typed:?} is not a number from 1 to {}.",
                    smp_store::MAX_CHAIRS
                ))
            }),
    };
    let result = match (accent, chairs) {
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(_), _) if hours_given && opening.checked().is_err() => opening.checked().map(|_| ()),
        (Ok(_), _) if !crate::clock::is_zone(&details.time_zone) => Err(StoreError::Invalid(format!(
            "Time zone: {:?} is not one; choose a place such as Europe/Madrid from the list.",
            details.time_zone
        ))),
        (Ok(accent), Ok(chairs)) => {
            async {
                studio.set_details(who.user(), &details).await?;
                if let Some(chairs) = chairs {
                    studio.set_chairs(who.user(), chairs).await?;
                }
                if let Some(accent) = accent {
                    studio.set_accent(who.user(), accent.as_deref()).await?;
                }
                if hours_given {
                    studio.set_opening_hours(who.user(), &opening).await?;
                }
                studio.publish_consent_text(Some(who.user()), &form.consent_text).await.map(|_| ())
            }
            .await
        }
    };
    let (status, error) = match result {
        Ok(()) => (StatusCode::OK, None),
        Err(StoreError::Invalid(m)) => (StatusCode::BAD_REQUEST, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let version = consent::current_text(&studio).await?.version;
    // The page shows the look just saved.
    let brand = studio.brand().await?;
    let who_now = Session { brand: brand.clone(), ..who.session.clone() };
    let page = StudioPage {
        who: &who_now,
        accent: match (&brand.accent, form.accent.trim()) {
            (_, typed) if !typed.is_empty() && error.is_some() => typed.to_string(),
            (Some(accent), _) => accent.clone(),
            (None, _) => DEFAULT_ACCENT.into(),
        },
        default_accent: brand.accent.is_none() && (error.is_none() || form.default_accent.is_some()),
        has_logo: brand.has_logo,
        opening: if error.is_some() { opening } else { studio.opening_hours().await? },
        chairs: if error.is_some() { form.chairs } else { studio.chairs().await?.to_string() },
        logo_note: None,
        paper: studio.report_paper().await?,
        consent_at_home: studio.consent_at_home().await?,
        saved: error.is_none(),
        details,
        zones: crate::clock::zone_names().collect(),
        weekdays: crate::clock::WEEKDAYS,
        consent_text: form.consent_text,
        consent_version: version,
        sign_in_code: who.studio(&state).sign_in_code().await?,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PaperForm {
    csrf: String,
    #[serde(default)]
    paper: String,
}

/// `POST /admin/studio/paper`: the paper the studio's reports are set on.
pub(crate) async fn save_paper(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<PaperForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("The studio's settings")?;
    match who.studio(&state).set_report_paper(who.user(), &form.paper).await {
        Ok(()) => Ok(Redirect::to("/admin/studio#reports").into_response()),
        Err(StoreError::Invalid(m)) => Err(Error::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct ConsentAtHomeForm {
    csrf: String,
    allowed: Option<String>,
}

/// `POST /admin/studio/consent-at-home`: whether clients may sign the
/// consent on the pre-visit form.
pub(crate) async fn save_consent_at_home(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<ConsentAtHomeForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("The studio's settings")?;
    who.studio(&state).set_consent_at_home(who.user(), form.allowed.is_some()).await?;
    Ok(Redirect::to("/admin/studio#consent-at-home").into_response())
}

#[derive(Deserialize)]
pub(crate) struct AccountForm {
    csrf: String,
    #[serde(default)]
    role: String,
    /// "active" or "inactive".
    #[serde(default)]
    status: String,
}

/// Changes an account's role, or deactivates it (its sessions end at once)
/// or reactivates it.
pub(crate) async fn set_account(
    State(state): State<AppState>,
    who: Staff,
    Path(user_id): Path<String>,
    Form(form): Form<AccountForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("Managing staff")?;
    let refused = |m: String| (String::new(), "practitioner".to_string(), Some(m));
    let (Some(role), Some(active)) = (
        Role::parse(&form.role),
        match form.status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
    ) else {
        return users_page(
            &state,
            &who,
            StatusCode::BAD_REQUEST,
            refused("Choose a role and a status.".into()),
            None,
        )
        .await;
    };
    match who.studio(&state).set_account(who.user(), &user_id, role, active).await {
        Ok(true) => Ok(axum::response::Redirect::to("/admin/users").into_response()),
        Ok(false) => Err(Error::NotFound("There is no such user in this studio.".into())),
        Err(StoreError::Invalid(m)) => {
            users_page(&state, &who, StatusCode::BAD_REQUEST, refused(m), None).await
        }
        Err(e) => Err(e.into()),
    }
}
