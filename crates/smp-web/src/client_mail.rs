//! The messages a change brings a client, made ready for the outbox: the
//! studio's texts (an admin's, or the app's defaults) filled for this
//! client, each due at its moment in the studio's time zone, with the
//! client's unsubscribe link. Nothing is made when the studio has e-mail
//! off, the client has no address, the kind is switched off, or the client
//! unsubscribed from an optional kind.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use smp_clinic::messages::{Filling, MessageKind, MessageTemplate, after_session, first_name};
use smp_store::{Client, MailSettings, NewMessage, PlannedSession, StudioStore};

use crate::{AppState, Result};

/// A studio's texts for each kind: (template, switched on).
pub(crate) async fn texts(studio: &StudioStore<'_>) -> Result<HashMap<MessageKind, (MessageTemplate, bool)>> {
    Ok(texts_with(studio.message_texts().await?))
}

/// Each kind's text: the `edited` ones, the app's defaults for the rest.
pub(crate) fn texts_with(
    edited: Vec<smp_store::MessageText>,
) -> HashMap<MessageKind, (MessageTemplate, bool)> {
    let mut texts: HashMap<_, _> =
        MessageKind::ALL.into_iter().map(|k| (k, (k.default_template(), true))).collect();
    for edited in edited {
        if let Some(kind) = MessageKind::parse(&edited.kind) {
            texts.insert(
                kind,
                (MessageTemplate { subject: edited.subject, body: edited.body }, edited.enabled),
            );
        }
    }
    texts
}

/// What makes one client's messages.
pub(crate) struct ClientMail {
    to: String,
    texts: HashMap<MessageKind, (MessageTemplate, bool)>,
    zone: Tz,
    base: Filling,
    /// The app's public address, for links.
    public_url: String,
    unsubscribe: String,
    unsubscribed: bool,
    reminder_hours: i64,
}

impl ClientMail {
    /// The client's messages' maker, or `None` when no message goes to
    /// them (e-mail off, or no address).
    pub(crate) async fn of(
        state: &AppState,
        studio: &StudioStore<'_>,
        client: &Client,
    ) -> Result<Option<ClientMail>> {
        let Some(settings) = studio.mail_settings().await?.filter(|s| s.enabled) else { return Ok(None) };
        let Some(to) = client.email.clone().filter(|e| !e.trim().is_empty()) else { return Ok(None) };
        let Some((token, unsubscribed_at)) = studio.contact_preference(&client.id).await? else {
            return Ok(None);
        };
        let details = studio.details().await?;
        Ok(Some(ClientMail {
            to,
            texts: texts(studio).await?,
            zone: details.time_zone.parse().unwrap_or(Tz::UTC),
            base: Filling {
                first_name: first_name(&client.full_name),
                reply: reply_words(&settings, details.phone.as_deref()),
                studio: details.name,
                ..Filling::default()
            },
            public_url: state.public_url.clone(),
            unsubscribe: format!("{}/unsubscribe/{token}", state.public_url),
            unsubscribed: unsubscribed_at.is_some(),
            reminder_hours: settings.reminder_hours,
        }))
    }

    /// A message of `kind`, due at `local` in the studio's zone, or `None`
    /// when it does not go.
    fn message(
        &self,
        kind: MessageKind,
        key: String,
        filling: &Filling,
        local: NaiveDateTime,
    ) -> Option<NewMessage> {
        let (template, on) = self.texts.get(&kind)?;
        if !on || (self.unsubscribed && !kind.essential()) {
            return None;
        }
        let due = self.zone.from_local_datetime(&local).earliest()?.timestamp_millis();
        let filled = template.fill(filling, Some(&self.unsubscribe));
        Some(NewMessage {
            kind: kind.as_str().into(),
            key,
            to: self.to.clone(),
            subject: filled.subject,
            body: filled.body,
            due_at: due,
            unsubscribe_url: Some(self.unsubscribe.clone()),
        })
    }

    /// A plan's messages: each session to come confirmed now, and reminded
    /// of before it (when that moment is still ahead). Keyed by the
    /// session's number and moment, so a moved session is confirmed again
    /// and its old reminder withdrawn.
    pub(crate) fn for_plan(&self, sessions: &[PlannedSession], now: NaiveDateTime) -> Vec<NewMessage> {
        let mut out = Vec::new();
        for s in sessions {
            let Ok(date) = s.date.parse::<NaiveDate>() else { continue };
            let start =
                s.start_time.as_deref().and_then(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok());
            let at = date.and_time(start.unwrap_or_default());
            if at <= now {
                continue;
            }
            let filling = Filling {
                date: date.format("%A %-d %B %Y").to_string(),
                time: start
                    .map(|t| t.format("%H:%M").to_string())
                    .unwrap_or_else(|| "the time we agreed".into()),
                session: s.number.to_string(),
                ..self.base.clone()
            };
            let moment = at.format("%Y-%m-%dT%H:%M");
            let key = |what: &str| format!("{what}:{}:{moment}", s.number);
            out.extend(self.message(MessageKind::SessionPlanned, key("booked"), &filling, now));
            let remind_at = at - chrono::Duration::hours(self.reminder_hours);
            if remind_at > now {
                out.extend(self.message(MessageKind::SessionReminder, key("reminder"), &filling, remind_at));
            }
        }
        out
    }

    /// The pre-visit link's message, due now; its link's token is made with
    /// the link.
    pub(crate) fn pre_visit(&self, now: NaiveDateTime) -> Option<NewMessage> {
        let link = format!("{}/forms/{}", self.public_url, smp_store::PREVISIT_TOKEN);
        let filling = Filling { link, ..self.base.clone() };
        self.message(MessageKind::PreVisit, "link".into(), &filling, now)
    }

    /// The consultation report's message, due now; its link's token is
    /// made with the link.
    pub(crate) fn report(&self, now: NaiveDateTime) -> Option<NewMessage> {
        let link = format!("{}/reports/{}", self.public_url, smp_store::REPORT_TOKEN);
        let filling = Filling { link, ..self.base.clone() };
        self.message(MessageKind::Report, "link".into(), &filling, now)
    }

    /// A recorded session's aftercare messages, those still ahead of `now`
    /// (a session recorded days late sends no stale evening message). Their
    /// link is made with the session.
    pub(crate) fn after_session(&self, date: NaiveDate, number: i64, now: NaiveDateTime) -> Vec<NewMessage> {
        let link = format!("{}/aftercare/{}", self.public_url, smp_store::AFTERCARE_TOKEN);
        let filling = Filling {
            date: date.format("%A %-d %B %Y").to_string(),
            session: number.to_string(),
            link,
            ..self.base.clone()
        };
        after_session(date)
            .into_iter()
            .filter(|(_, due)| *due > now)
            // Keyed by the day too: a session whose date is amended has its
            // messages written again, the old ones withdrawn.
            .filter_map(|(kind, due)| self.message(kind, format!("{}:{date}", kind.as_str()), &filling, due))
            .collect()
    }

    /// The touch-up reminder for a touch-up the forecast puts on `due`, at
    /// 10:00 that day.
    pub(crate) fn touch_up(&self, due: NaiveDate) -> Option<NewMessage> {
        let filling = Filling { date: due.format("%B %Y").to_string(), ..self.base.clone() };
        let at = due.and_time(chrono::NaiveTime::from_hms_opt(10, 0, 0)?);
        self.message(MessageKind::TouchUp, format!("due:{due}"), &filling, at)
    }

    /// Now, in the studio's zone.
    pub(crate) fn now(&self) -> NaiveDateTime {
        chrono::Utc::now().with_timezone(&self.zone).naive_local()
    }
}

/// How a client reaches the studio, in words for "{reply}".
fn reply_words(settings: &MailSettings, phone: Option<&str>) -> String {
    match phone.map(str::trim).filter(|p| !p.is_empty()) {
        Some(phone) => format!("reply to this message or call us on {phone}"),
        None if settings.reply_to.is_some() || !settings.from.is_empty() => "reply to this message".into(),
        None => "contact the studio".into(),
    }
}
