//! E-mail to clients, the studio's side: the settings (its SMTP server or
//! the server's default, the sender, the reminder's lead time), each
//! message's text and whether it is sent, a test message, and the
//! messages that failed, to send again. And the client's side: the
//! unsubscribe page their messages link to.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_clinic::messages::{MessageKind, MessageTemplate, PLACEHOLDERS};
use smp_store::{MailSettings, MessageText, NewMessage, OutboxMessage, Session};

use crate::auth::CsrfForm;
use crate::{AppState, Error, Result, Staff};

/// The longest lead time of a reminder, hours (two weeks).
const MAX_REMINDER_HOURS: i64 = 336;

/// A message kind's text, as the page shows it.
struct TextView {
    kind: &'static str,
    label: &'static str,
    subject: String,
    body: String,
    enabled: bool,
    edited: bool,
    essential: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_email.html")]
struct EmailPage<'a> {
    who: &'a Session,
    form: SettingsForm,
    /// Field name → what is wrong with it.
    errors: HashMap<&'static str, String>,
    default_smtp: Option<String>,
    texts: Vec<TextView>,
    placeholders: &'static [(&'static str, &'static str)],
    failed: Vec<(String, OutboxMessage)>,
    note: Option<String>,
}

impl EmailPage<'_> {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The settings form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SettingsForm {
    csrf: String,
    enabled: Option<String>,
    smtp_url: String,
    from: String,
    reply_to: String,
    reminder_hours: String,
}

impl SettingsForm {
    fn of(settings: Option<&MailSettings>) -> Self {
        match settings {
            Some(s) => Self {
                csrf: String::new(),
                enabled: s.enabled.then(|| "on".into()),
                smtp_url: s.smtp_url.clone().unwrap_or_default(),
                from: s.from.clone(),
                reply_to: s.reply_to.clone().unwrap_or_default(),
                reminder_hours: s.reminder_hours.to_string(),
            },
            None => Self { reminder_hours: "48".into(), ..Self::default() },
        }
    }

    /// The settings, or what is wrong beside each field.
    fn checked(&self) -> Result<MailSettings, HashMap<&'static str, String>> {
        let mut errors = HashMap::new();
        let address = |text: &str| text.trim().parse::<lettre::message::Mailbox>().is_ok();
        let from = self.from.trim();
        if !address(from) {
            errors.insert("from", "Type the address messages come from, such as studio@example.com.".into());
        }
        let reply_to = self.reply_to.trim();
        if !reply_to.is_empty() && !address(reply_to) {
            errors.insert("reply_to", format!("{reply_to:?} is not an e-mail address."));
        }
        let smtp_url = self.smtp_url.trim();
        if !smtp_url.is_empty()
            && let Err(why) = crate::mail_sender::check_smtp_url(smtp_url)
        {
            errors.insert("smtp_url", why);
        }
        let hours =
            self.reminder_hours.trim().parse::<i64>().ok().filter(|h| (1..=MAX_REMINDER_HOURS).contains(h));
        if hours.is_none() {
            errors.insert("reminder_hours", format!("A whole number of hours, 1 to {MAX_REMINDER_HOURS}."));
        }
        match hours {
            Some(reminder_hours) if errors.is_empty() => Ok(MailSettings {
                smtp_url: (!smtp_url.is_empty()).then(|| smtp_url.to_string()),
                from: from.to_string(),
                reply_to: (!reply_to.is_empty()).then(|| reply_to.to_string()),
                reminder_hours,
                enabled: self.enabled.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    note: Option<String>,
}

/// What a finished step says at the top of the page.
fn note_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "Saved.",
        "text" => "The text is saved: messages written from now on use it.",
        "test" => "The test message is in the outbox: it goes within a few seconds.",
        "again" => "The message is back in the outbox.",
        _ => return None,
    })
}

async fn render(
    state: &AppState,
    who: &Staff,
    form: Option<SettingsForm>,
    errors: HashMap<&'static str, String>,
    text_error: Option<(MessageKind, MessageTemplate, bool, String)>,
    note: Option<String>,
) -> Result<Response> {
    let studio = who.studio(state);
    let stored = studio.message_texts().await?;
    let edited: Vec<String> = stored.iter().map(|t| t.kind.clone()).collect();
    let texts = crate::client_mail::texts_with(stored);
    let texts = MessageKind::ALL
        .into_iter()
        .map(|kind| {
            let (template, enabled) = texts[&kind].clone();
            let mut view = TextView {
                kind: kind.as_str(),
                label: kind.label(),
                subject: template.subject,
                body: template.body,
                enabled,
                edited: edited.iter().any(|e| e == kind.as_str()),
                essential: kind.essential(),
                error: None,
            };
            if let Some((_, typed, on, why)) = text_error.as_ref().filter(|(k, ..)| *k == kind) {
                (view.subject, view.body, view.enabled, view.error) =
                    (typed.subject.clone(), typed.body.clone(), *on, Some(why.clone()));
            }
            view
        })
        .collect();
    let failed =
        studio.failed_messages().await?.into_iter().map(|m| (crate::clock::moment(m.due_at), m)).collect();
    let status =
        if errors.is_empty() && text_error.is_none() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let form = match form {
        Some(form) => form,
        None => SettingsForm::of(studio.mail_settings().await?.as_ref()),
    };
    let page = EmailPage {
        who: &who.session,
        form,
        errors,
        default_smtp: state.default_smtp.as_deref().map(redacted),
        texts,
        placeholders: &PLACEHOLDERS,
        failed,
        note,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// An SMTP address without its password, to show.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// `GET /admin/email`.
pub(crate) async fn page(
    State(state): State<AppState>,
    who: Staff,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    who.require_admin("E-mail to clients")?;
    let note = query.note.as_deref().and_then(note_text).map(String::from);
    render(&state, &who, None, HashMap::new(), None, note).await
}

/// `POST /admin/email`: the settings, every field checked before any is saved.
pub(crate) async fn save_settings(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<SettingsForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("E-mail to clients")?;
    match form.checked() {
        Ok(settings) => {
            who.studio(&state).save_mail_settings(&settings).await?;
            Ok(Redirect::to("/admin/email?note=saved").into_response())
        }
        Err(errors) => render(&state, &who, Some(form), errors, None, None).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct TextForm {
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    enabled: Option<String>,
    /// Back to the app's own text.
    #[serde(default)]
    reset: Option<String>,
}

/// `POST /admin/email/texts/{kind}`: one message's text and switch.
pub(crate) async fn save_text(
    State(state): State<AppState>,
    who: Staff,
    Path(kind): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("E-mail to clients")?;
    let kind =
        MessageKind::parse(&kind).ok_or_else(|| Error::NotFound("There is no such message.".into()))?;
    let enabled = form.enabled.is_some() || kind == MessageKind::Test;
    let typed = match form.reset {
        Some(_) => kind.default_template(),
        None => MessageTemplate {
            subject: form.subject.trim().to_string(),
            body: form.body.replace("\r\n", "\n"),
        },
    };
    if let Err(why) = typed.check() {
        return render(&state, &who, None, HashMap::new(), Some((kind, typed, enabled, why)), None).await;
    }
    let text = MessageText { kind: kind.as_str().into(), subject: typed.subject, body: typed.body, enabled };
    who.studio(&state).save_message_text(&text).await?;
    Ok(Redirect::to(&format!("/admin/email?note=text#{}", kind.as_str())).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TestForm {
    csrf: String,
    #[serde(default)]
    to: String,
}

/// `POST /admin/email/test`: a test message to an address, through the
/// outbox like any other.
pub(crate) async fn send_test(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<TestForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("E-mail to clients")?;
    let studio = who.studio(&state);
    let to = form.to.trim();
    let mut errors = HashMap::new();
    if to.parse::<lettre::message::Mailbox>().is_err() {
        errors.insert("to", "Type the address to send the test to.".to_string());
    } else if !studio.mail_settings().await?.is_some_and(|s| s.enabled) {
        errors.insert("to", "Save the settings with e-mail switched on first.".to_string());
    }
    if !errors.is_empty() {
        return render(&state, &who, None, errors, None, None).await;
    }
    let filling = smp_clinic::messages::Filling { studio: studio.name().await?, ..Default::default() };
    let (template, _) = crate::client_mail::texts(&studio).await?[&MessageKind::Test].clone();
    let filled = template.fill(&filling, None);
    let message = NewMessage {
        kind: MessageKind::Test.as_str().into(),
        key: format!("test:{}", uuid::Uuid::new_v4().simple()),
        to: to.to_string(),
        subject: filled.subject,
        body: filled.body,
        due_at: chrono::Utc::now().timestamp_millis(),
        unsubscribe_url: None,
    };
    studio.enqueue(None, &message).await?;
    Ok(Redirect::to("/admin/email?note=test").into_response())
}

/// `POST /admin/email/again/{message}`: a failed message back in line.
pub(crate) async fn send_again(
    State(state): State<AppState>,
    who: Staff,
    Path(message): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("E-mail to clients")?;
    if !who.studio(&state).send_again(&message).await? {
        return Err(Error::NotFound("There is no such failed message.".into()));
    }
    Ok(Redirect::to("/admin/email?note=again#failed").into_response())
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    /// Whether it is done.
    done: bool,
    /// Whether the link is one the app made.
    known: bool,
}

/// The optional kinds an unsubscribe stops.
fn optional_kinds() -> Vec<&'static str> {
    MessageKind::ALL.into_iter().filter(|k| !k.essential()).map(MessageKind::as_str).collect()
}

/// `GET /unsubscribe/{token}`: a page with one button (a link opened by a
/// mail scanner changes nothing).
pub(crate) async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let known = state.store.unsubscribe_known(&token).await?;
    let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, Html(UnsubscribePage { done: false, known }.render()?)).into_response())
}

/// `POST /unsubscribe/{token}`: stops the optional messages.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let known = state.store.unsubscribe(&token, &optional_kinds()).await?.is_some();
    let status = if known { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, Html(UnsubscribePage { done: known, known }.render()?)).into_response())
}
