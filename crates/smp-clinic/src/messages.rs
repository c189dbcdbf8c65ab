//! The messages a studio sends its clients: their kinds, their default
//! texts (which admins may edit), when each is due, and the placeholders
//! filled in for each client.
//!
//! A message says when and where, and links to the client's aftercare
//! page; it never carries health answers, screening results or photos,
//! and names the client by their first name at most. Every message ends
//! with the one-click unsubscribe link, which no edit can remove; it stops
//! the optional messages, not those a client needs for their next visit.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

/// A kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// The link to the health questions and the consent, before the first
    /// visit.
    PreVisit,
    /// A session was planned (or moved): its date and time.
    SessionPlanned,
    /// The session is near (the studio's setting, 48 hours by default).
    SessionReminder,
    /// The evening of a session: the first night's care.
    AftercareEvening,
    /// Day 3 of healing.
    AftercareDay3,
    /// Day 7 of healing.
    AftercareDay7,
    /// About four weeks on: how it healed, and the next step.
    HealingCheck,
    /// The fading forecast says a touch-up is due.
    TouchUp,
    /// The consultation report, as a link to download it.
    Report,
    /// An admin's test of the e-mail settings.
    Test,
}

/// A message's subject and body, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// The placeholders a template may use, with what each becomes.
pub const PLACEHOLDERS: [(&str, &str); 7] = [
    ("{first_name}", "the client's first name"),
    ("{studio}", "the studio's name"),
    ("{date}", "the session's day"),
    ("{time}", "the session's start"),
    ("{session}", "the session's number"),
    ("{link}", "the client's page: the pre-visit forms, the aftercare, or the report"),
    ("{reply}", "how to reach the studio"),
];

/// The longest subject and body an admin may write, characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// See [`MAX_SUBJECT_CHARS`].
pub const MAX_BODY_CHARS: usize = 4000;

impl MessageKind {
    /// Every kind, in the order admins see them.
    pub const ALL: [MessageKind; 10] = [
        Self::PreVisit,
        Self::SessionPlanned,
        Self::SessionReminder,
        Self::AftercareEvening,
        Self::AftercareDay3,
        Self::AftercareDay7,
        Self::HealingCheck,
        Self::TouchUp,
        Self::Report,
        Self::Test,
    ];

    /// The word stored and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreVisit => "pre-visit",
            Self::SessionPlanned => "session-planned",
            Self::SessionReminder => "session-reminder",
            Self::AftercareEvening => "aftercare-evening",
            Self::AftercareDay3 => "aftercare-day-3",
            Self::AftercareDay7 => "aftercare-day-7",
            Self::HealingCheck => "healing-check",
            Self::TouchUp => "touch-up",
            Self::Report => "report",
            Self::Test => "test",
        }
    }

    /// The kind a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// Its name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::PreVisit => "Pre-visit forms",
            Self::SessionPlanned => "Session booked",
            Self::SessionReminder => "Session reminder",
            Self::AftercareEvening => "Aftercare, the evening of a session",
            Self::AftercareDay3 => "Aftercare, day 3",
            Self::AftercareDay7 => "Aftercare, day 7",
            Self::HealingCheck => "Healing check, about day 28",
            Self::TouchUp => "Touch-up due, by the fading forecast",
            Self::Report => "The consultation report",
            Self::Test => "Test message",
        }
    }

    /// Whether the client gets it even after unsubscribing: what they need
    /// for their next visit.
    pub fn essential(self) -> bool {
        matches!(
            self,
            Self::PreVisit | Self::SessionPlanned | Self::SessionReminder | Self::Report | Self::Test
        )
    }

    /// The app's own text of this kind.
    pub fn default_template(self) -> MessageTemplate {
        let (subject, body) = match self {
            Self::PreVisit => (
                "Before your visit to {studio}: a few health questions",
                "Hello {first_name},\n\nbefore your first session, please answer a few health questions and \
                 read our consent, at home and at your own pace:\n{link}\n\nThe link works for 14 days, once. \
                 Your answers go to the studio only.\n\nIf anything is unclear, {reply}.\n\n{studio}",
            ),
            Self::SessionPlanned => (
                "Your session {session} at {studio}: {date}",
                "Hello {first_name},\n\nyour session {session} is booked for {date} at {time}.\n\n\
                 If the time no longer suits you, {reply}, and we will find another.\n\nSee you soon,\n{studio}",
            ),
            Self::SessionReminder => (
                "Reminder: your session {session} on {date}",
                "Hello {first_name},\n\na reminder of your session {session} on {date} at {time}.\n\n\
                 Before you come: wash your scalp the evening before, leave out alcohol for a day, and \
                 come rested. Anything the practitioner asked of you at your consultation still applies.\n\n\
                 If you cannot come, {reply}.\n\n{studio}",
            ),
            Self::AftercareEvening => (
                "Your aftercare for the first days",
                "Hello {first_name},\n\nthank you for coming in today. For the first days, keep your scalp \
                 dry and out of the sun, and leave out the gym, the sauna and swimming. Everything for the \
                 days ahead is on your aftercare page:\n{link}\n\nIf anything worries you, {reply}.\n\n{studio}",
            ),
            Self::AftercareDay3 => (
                "Day 3 of your healing",
                "Hello {first_name},\n\nthree days on, your scalp may feel tight or flake a little: let it \
                 be, and do not scratch or pick. Your aftercare page has the next steps:\n{link}\n\n{studio}",
            ),
            Self::AftercareDay7 => (
                "One week on",
                "Hello {first_name},\n\na week on, the dots settle and soften; they can look lighter while \
                 the skin heals. Your aftercare page says what you may do again now:\n{link}\n\n{studio}",
            ),
            Self::HealingCheck => (
                "How has it healed?",
                "Hello {first_name},\n\nabout four weeks have passed since your session. We would like to \
                 see how it has healed: {reply} to arrange a short check.\n\n{studio}",
            ),
            Self::TouchUp => (
                "Time for a touch-up?",
                "Hello {first_name},\n\nscalp micropigmentation fades slowly with the years, and by our \
                 forecast yours is due for a touch-up around {date}: a short session that brings back its \
                 depth and colour. If you would like one, {reply}.\n\n{studio}",
            ),
            Self::Report => (
                "Your consultation at {studio}",
                "Hello {first_name},\n\nthank you for coming in. Here is the report of your consultation: \
                 what we proposed, how it would look on your photos through the sessions and the years, the \
                 plan, the price and the aftercare, to read at home and share with whom you like:\n{link}\n\n\
                 The link works for 30 days. If you have any questions, {reply}.\n\n{studio}",
            ),
            Self::Test => (
                "A test message from {studio}",
                "This is a test of {studio}'s e-mail settings in SMP Studio. If it arrived, messages to \
                 clients will too.",
            ),
        };
        MessageTemplate { subject: subject.into(), body: body.into() }
    }

    /// When a recorded session's aftercare message of this kind is due,
    /// in the studio's local time, for a session on `date`.
    fn after_session(self, date: NaiveDate) -> Option<NaiveDateTime> {
        let (days, hour) = match self {
            Self::AftercareEvening => (0, 19),
            Self::AftercareDay3 => (3, 10),
            Self::AftercareDay7 => (7, 10),
            Self::HealingCheck => (28, 10),
            _ => return None,
        };
        let day = date.checked_add_days(Days::new(days))?;
        Some(day.and_time(NaiveTime::from_hms_opt(hour, 0, 0)?))
    }
}

/// The messages a session recorded on `date` brings, with when each is
/// due in the studio's local time: the evening's, day 3, day 7 and the
/// healing check.
pub fn after_session(date: NaiveDate) -> Vec<(MessageKind, NaiveDateTime)> {
    [
        MessageKind::AftercareEvening,
        MessageKind::AftercareDay3,
        MessageKind::AftercareDay7,
        MessageKind::HealingCheck,
    ]
    .into_iter()
    .filter_map(|kind| kind.after_session(date).map(|due| (kind, due)))
    .collect()
}

/// What the placeholders become for one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filling {
    /// The client's first name (the first word of their name).
    pub first_name: String,
    /// The studio's name.
    pub studio: String,
    /// The session's day, in words.
    pub date: String,
    /// The session's start, "14:30".
    pub time: String,
    /// The session's number.
    pub session: String,
    /// The aftercare page's address.
    pub link: String,
    /// How to reach the studio, in words ("reply to this message").
    pub reply: String,
}

/// The first word of a name: all a message says of who the client is.
pub fn first_name(full_name: &str) -> String {
    full_name.split_whitespace().next().unwrap_or_default().to_string()
}

impl MessageTemplate {
    /// The message with its placeholders filled, and the unsubscribe line
    /// (when given) after it.
    pub fn fill(&self, filling: &Filling, unsubscribe: Option<&str>) -> MessageTemplate {
        let put = |text: &str| {
            text.replace("{first_name}", &filling.first_name)
                .replace("{studio}", &filling.studio)
                .replace("{date}", &filling.date)
                .replace("{time}", &filling.time)
                .replace("{session}", &filling.session)
                .replace("{link}", &filling.link)
                .replace("{reply}", &filling.reply)
        };
        // A subject is one line, whatever a placeholder held.
        let subject = put(&self.subject).replace(['\r', '\n'], " ");
        let mut body = put(&self.body);
        if let Some(address) = unsubscribe {
            body.push_str(&format!(
                "\n\n--\nTo stop reminders and aftercare messages (you will still hear about your booked \
                 sessions): {address}"
            ));
        }
        MessageTemplate { subject, body }
    }

    /// What is wrong with an admin's text, in words: empty, too long, or a
    /// placeholder the app does not know.
    pub fn check(&self) -> Result<(), String> {
        if self.subject.trim().is_empty() || self.body.trim().is_empty() {
            return Err("Write a subject and a text.".into());
        }
        if self.subject.chars().count() > MAX_SUBJECT_CHARS || self.body.chars().count() > MAX_BODY_CHARS {
            return Err(format!(
                "A subject may have up to {MAX_SUBJECT_CHARS} characters, a text up to {MAX_BODY_CHARS}."
            ));
        }
        for text in [&self.subject, &self.body] {
            let mut rest = text.as_str();
            while let Some(start) = rest.find('{') {
                let end = rest[start..].find('}').map(|e| start + e + 1).unwrap_or(rest.len());
                let word = &rest[start..end];
                if !PLACEHOLDERS.iter().any(|(p, _)| *p == word) {
                    let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                    return Err(format!("{word} is not a placeholder: use {}.", known.join(", ")));
                }
                rest = &rest[end..];
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_text_passes_its_own_check_and_kinds_read_back() {
        for kind in MessageKind::ALL {
            kind.default_template().check().unwrap();
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MessageKind::parse("health-answers"), None);
    }

    #[test]
    fn a_filled_message_names_the_first_name_only_and_ends_with_the_unsubscribe_link() {
        let filling = Filling {
            first_name: first_name("Marta Ruiz Ortega"),
            studio: "Ink & Scalp".into(),
            date: "Tuesday 8 December 2026".into(),
            time: "10:30".into(),
            session: "2".into(),
            link: String::new(),
            reply: "reply to this message".into(),
        };
        let m = MessageKind::SessionReminder.default_template().fill(&filling, Some("https://s/u/abc"));
        assert_eq!(m.subject, "Reminder: your session 2 on Tuesday 8 December 2026");
        assert!(m.body.starts_with("Hello Marta,") && !m.body.contains("Ruiz"), "{}", m.body);
        assert!(m.body.contains("10:30") && m.body.trim_end().ends_with("https://s/u/abc"), "{}", m.body);
        let evil = MessageTemplate { subject: "{first_name}".into(), body: "x".into() };
        let line = evil.fill(&Filling { first_name: "A\r\nBcc: x@y".into(), ..filling }, None);
        assert_eq!(line.subject, "A  Bcc: x@y", "one line");
    }

    #[test]
    fn an_admins_text_with_an_unknown_placeholder_is_refused_in_words() {
        let text = MessageTemplate { subject: "Hi {name}".into(), body: "x".into() };
        assert!(text.check().unwrap_err().contains("{name} is not a placeholder"));
        let open = MessageTemplate { subject: "Hi".into(), body: "{first_name".into() };
        assert!(open.check().is_err());
        assert!(MessageTemplate { subject: " ".into(), body: "x".into() }.check().is_err());
    }

    #[test]
    fn aftercare_follows_the_session_in_local_time() {
        let due = after_session(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap());
        let days: Vec<String> = due.iter().map(|(_, t)| t.format("%Y-%m-%d %H:%M").to_string()).collect();
        assert_eq!(days, ["2026-12-30 19:00", "2027-01-02 10:00", "2027-01-06 10:00", "2027-01-27 10:00"]);
    }
}
