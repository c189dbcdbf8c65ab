//! Aftercare after a session: day by day, the restrictions with their end
//! dates, reminders, and the same as an iCalendar file and a printable page.

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::Serialize;

use crate::dates;
use crate::protocol::Protocol;

/// Days covered day by day (day 0 is the session).
pub const DAYS: u32 = 30;

/// One day of aftercare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    /// Days since the session.
    pub day: u32,
    /// The calendar day, in the studio's zone.
    pub date: NaiveDate,
    /// What to avoid that day.
    pub avoid: Vec<String>,
    /// What to do that day.
    #[serde(rename = "do")]
    pub to_do: Vec<String>,
}

/// A restriction and the last day it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestrictionSpan {
    /// The protocol's id for it (`no-sweat`...), the same in every version
    /// and in the calendar file's event ids.
    pub id: String,
    /// First day it holds, counted from the session (day 0).
    pub from_day: u32,
    /// Last day it holds, counted from the session.
    pub to_day: u32,
    /// First day it holds.
    pub from: NaiveDate,
    /// Last day it holds (inclusive).
    pub until: NaiveDate,
    /// In the client's words.
    pub avoid: String,
}

/// A dated reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    /// The protocol's id for it, the same in every version and in the
    /// calendar file's event ids.
    pub id: String,
    /// The calendar day it is due.
    pub date: NaiveDate,
    /// What it says.
    pub text: String,
}

/// Aftercare for one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aftercare {
    /// The session's day.
    pub session_date: NaiveDate,
    /// Day 0 to day 30.
    pub days: Vec<Day>,
    /// Every restriction with its end date.
    pub restrictions: Vec<RestrictionSpan>,
    /// Reminders past the first month (moisturiser, sun protection), by date.
    pub reminders: Vec<Reminder>,
    /// What to do, with its days.
    pub care: Vec<crate::protocol::Care>,
    /// The protocol's version.
    pub protocol_version: String,
}

/// What else is known about the client's course, for the reminders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUp {
    /// The next session, when planned.
    pub next_session: Option<NaiveDate>,
    /// The forecast touch-up, when known.
    pub touch_up: Option<NaiveDate>,
}

/// Aftercare for a session on `session_date`.
pub fn aftercare(session_date: NaiveDate, protocol: &Protocol, follow_up: FollowUp) -> Aftercare {
    let a = &protocol.aftercare;
    let days = (0..=DAYS)
        .map(|day| Day {
            day,
            date: dates::add_days(session_date, day),
            avoid: a
                .restrictions
                .iter()
                .filter(|r| (r.from_day..=r.to_day).contains(&day))
                .map(|r| r.avoid.clone())
                .collect(),
            to_do: a
                .care
                .iter()
                .filter(|c| day >= c.from_day && c.to_day.is_none_or(|t| day <= t))
                .map(|c| c.text.clone())
                .collect(),
        })
        .collect();
    let restrictions = a
        .restrictions
        .iter()
        .map(|r| RestrictionSpan {
            id: r.id.clone(),
            from_day: r.from_day,
            to_day: r.to_day,
            from: dates::add_days(session_date, r.from_day),
            until: dates::add_days(session_date, r.to_day),
            avoid: r.avoid.clone(),
        })
        .collect();
    let mut reminders: Vec<Reminder> = a
        .care
        .iter()
        .filter_map(|c| {
            c.reminder.as_ref().map(|text| Reminder {
                id: c.id.clone(),
                date: dates::add_days(session_date, c.from_day),
                text: text.clone(),
            })
        })
        .collect();
    if let Some(date) = follow_up.next_session {
        reminders.push(Reminder { id: "next-session".into(), date, text: "Your next SMP session".into() });
    }
    if let Some(date) = follow_up.touch_up {
        reminders.push(Reminder {
            id: "touch-up".into(),
            date,
            text: "Your SMP touch-up is due: book it".into(),
        });
    }
    reminders.sort_by_key(|r| r.date);
    Aftercare {
        session_date,
        days,
        restrictions,
        reminders,
        care: {
            let mut care = a.care.clone();
            care.sort_by_key(|c| c.from_day);
            care
        },
        protocol_version: protocol.version.clone(),
    }
}

impl Aftercare {
    fn uid(&self, id: &str) -> String {
        // Stable: exporting the same session's aftercare again updates the
        // events already imported instead of adding copies.
        format!("smp-aftercare-{}-{id}@smp-studio", self.session_date)
    }

    /// The aftercare as an RFC 5545 calendar: an all-day event spanning
    /// each restriction, and an all-day event for each reminder. `stamp` is
    /// the export time (DTSTAMP).
    pub fn to_ics(&self, stamp: DateTime<Utc>) -> String {
        let mut calendar = Calendar::new();
        calendar.name("SMP aftercare");
        for r in &self.restrictions {
            calendar.push(
                Event::new()
                    .uid(&self.uid(&r.id))
                    .timestamp(stamp)
                    .summary(&format!("SMP aftercare: {}", r.avoid))
                    .description(&format!("Until {} (inclusive).", r.until))
                    .starts(r.from)
                    // All-day events end on the day after (DTEND is exclusive).
                    .ends(dates::add_days(r.until, 1))
                    .done(),
            );
        }
        for r in &self.reminders {
            calendar.push(
                Event::new()
                    .uid(&self.uid(&r.id))
                    .timestamp(stamp)
                    .summary(&r.text)
                    .starts(r.date)
                    .ends(dates::add_days(r.date, 1))
                    .done(),
            );
        }
        calendar.done().to_string()
    }

    /// Runs of consecutive days with the same instructions: the day-by-day
    /// schedule in the fewest rows, for reading and printing.
    pub fn phases(&self) -> Vec<Phase> {
        let mut phases: Vec<Phase> = Vec::new();
        for d in &self.days {
            match phases.last_mut() {
                Some(p) if p.avoid == d.avoid && p.to_do == d.to_do => {
                    p.last_day = d.day;
                    p.last_date = d.date;
                }
                _ => phases.push(Phase {
                    first_day: d.day,
                    last_day: d.day,
                    first_date: d.date,
                    last_date: d.date,
                    avoid: d.avoid.clone(),
                    to_do: d.to_do.clone(),
                }),
            }
        }
        phases
    }

    /// A printable page in plain language (one A4 page): each restriction
    /// as a bar over the first month, then what to do and when.
    pub fn to_html(&self) -> String {
        AftercarePage {
            care: self,
            days: (0..=DAYS).collect(),
            studio: None,
            calendar_href: None,
            stylesheet_href: None,
            css: stylesheet(None),
        }
        .render()
        .expect("the template renders from plain values")
    }

    /// The same page as handed to a client online: from the studio, with
    /// how to reach it, the next session's date and a link to the calendar
    /// file.
    pub fn to_html_shared(&self, from: &HandedOver<'_>) -> String {
        AftercarePage {
            care: self,
            days: (0..=DAYS).collect(),
            studio: Some(from),
            calendar_href: Some(from.calendar_href),
            stylesheet_href: Some(from.stylesheet_href),
            css: String::new(),
        }
        .render()
        .expect("the template renders from plain values")
    }
}

/// Consecutive days with the same instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// First day (since the session).
    pub first_day: u32,
    /// Last day, inclusive.
    pub last_day: u32,
    /// First day's date.
    pub first_date: NaiveDate,
    /// Last day's date.
    pub last_date: NaiveDate,
    /// What to avoid.
    pub avoid: Vec<String>,
    /// What to do.
    pub to_do: Vec<String>,
}

#[derive(Template)]
#[template(path = "aftercare.html")]
struct AftercarePage<'a> {
    care: &'a Aftercare,
    days: Vec<u32>,
    studio: Option<&'a HandedOver<'a>>,
    calendar_href: Option<&'a str>,
    /// Where the page's stylesheet is ([`stylesheet`]), online; a page
    /// saved as a file carries it inline instead, in `css`.
    stylesheet_href: Option<&'a str>,
    css: String,
}

#[derive(Template)]
#[template(path = "aftercare.css", escape = "none")]
struct AftercareStyle<'a> {
    /// Columns of the day bars: the days shown.
    days: u32,
    accent: Option<&'a str>,
}

/// The aftercare page's stylesheet, in the studio's accent colour
/// (`#rrggbb`) where it has one. Served apart from the page online, where
/// the Content-Security-Policy allows no inline style.
pub fn stylesheet(accent: Option<&str>) -> String {
    AftercareStyle { days: DAYS + 1, accent }.render().expect("the stylesheet renders from plain values")
}

/// Who hands the aftercare over, and what the client needs of them.
#[derive(Debug, Clone, Copy)]
pub struct HandedOver<'a> {
    /// The studio's name.
    pub studio: &'a str,
    /// Its phone, to call when something looks wrong.
    pub phone: Option<&'a str>,
    /// Its e-mail.
    pub email: Option<&'a str>,
    /// The client's next planned session, if any.
    pub next_session: Option<NaiveDate>,
    /// Where the calendar file is.
    pub calendar_href: &'a str,
    /// Where the studio's logo is, when it has one.
    pub logo_href: Option<&'a str>,
    /// Where the page's stylesheet is ([`stylesheet`] in the accent).
    pub stylesheet_href: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn restrictions_end_on_the_protocol_days() {
        let a = aftercare(session(), &Protocol::default_protocol(), FollowUp::default());
        let until = |id: &str| a.restrictions.iter().find(|r| r.id == id).unwrap().until.to_string();
        assert_eq!(until("water"), "2026-12-04");
        assert_eq!(until("shave"), "2026-12-05");
        assert_eq!(until("sweat"), "2026-12-08");
        assert_eq!(until("sun"), "2026-12-29");
        assert_eq!(until("swim"), "2026-12-29");
        assert_eq!(a.days.len(), 31);
        assert!(a.days[3].avoid.iter().any(|t| t.contains("scalp dry")));
        assert!(!a.days[4].avoid.iter().any(|t| t.contains("scalp dry")));
        assert!(a.days[28].to_do.iter().any(|t| t.contains("SPF")));
        assert!(!a.days[27].to_do.iter().any(|t| t.contains("SPF")));
    }

    #[test]
    fn reminders_include_the_follow_up() {
        let next = NaiveDate::from_ymd_opt(2026, 12, 13).unwrap();
        let a = aftercare(
            session(),
            &Protocol::default_protocol(),
            FollowUp { next_session: Some(next), touch_up: None },
        );
        let ids: Vec<&str> = a.reminders.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["moisturise", "next-session", "spf"]);
    }
}
