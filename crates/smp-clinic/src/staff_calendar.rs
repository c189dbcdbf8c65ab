//! The studio's planned sessions as a calendar a staff member subscribes
//! to on their phone (RFC 5545): who (first name and initial), which
//! session, where; nothing of the client's health.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

/// One planned session, as the calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSession {
    /// The client's record id (with `number`, the event's stable id: a
    /// session moved to another day stays the same event).
    pub client_id: String,
    /// The client's full name (only the first name and an initial show).
    pub client_name: String,
    /// 1-based.
    pub number: i64,
    /// Its day.
    pub date: NaiveDate,
    /// Its start, when planned with one (else an all-day event).
    pub start: Option<NaiveTime>,
    /// Estimated working hours.
    pub hours: f64,
}

/// "Marta R." for "Marta Ruiz": enough for staff to know who comes.
pub fn first_name_and_initial(full_name: &str) -> String {
    let mut words = full_name.split_whitespace();
    let first = words.next().unwrap_or_default();
    match words.last().and_then(|w| w.chars().next()) {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_string(),
    }
}

/// The calendar of `sessions` at `studio`; `stamp` is the export time.
/// Timed events are in local time without a zone (floating): the phone
/// shows them at the studio's clock time.
pub fn staff_calendar(studio: &str, sessions: &[CalendarSession], stamp: DateTime<Utc>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(&format!("{studio}: SMP sessions"));
    for s in sessions {
        let mut event = Event::new();
        event
            .uid(&format!("smp-session-{}-{}@smp-studio", s.client_id, s.number))
            .timestamp(stamp)
            .summary(&format!("{}: SMP session {}", first_name_and_initial(&s.client_name), s.number))
            .location(studio);
        match s.start {
            Some(start) => {
                let from = s.date.and_time(start);
                let minutes = (s.hours * 60.0).round().max(15.0) as i64;
                event.starts(from).ends(from + chrono::Duration::minutes(minutes));
            }
            None => {
                event.starts(s.date).ends(crate::dates::add_days(s.date, 1));
            }
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_show_who_and_which_and_nothing_more() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 4).unwrap();
        let sessions = [
            CalendarSession {
                client_id: "c1".into(),
                client_name: "Marta Ruiz Soler".into(),
                number: 2,
                date: day,
                start: NaiveTime::from_hms_opt(10, 30, 0),
                hours: 2.5,
            },
            CalendarSession {
                client_id: "c2".into(),
                client_name: "Cher".into(),
                number: 1,
                date: day,
                start: None,
                hours: 3.0,
            },
        ];
        let ics = staff_calendar("Studio Norte", &sessions, Utc::now());
        assert!(ics.contains("UID:smp-session-c1-2@smp-studio"), "{ics}");
        assert!(ics.contains("SUMMARY:Marta S.: SMP session 2"), "{ics}");
        assert!(ics.contains("DTSTART:20270304T103000") && ics.contains("DTEND:20270304T130000"), "{ics}");
        assert!(
            ics.contains("SUMMARY:Cher: SMP session 1") && ics.contains("DTSTART;VALUE=DATE:20270304"),
            "{ics}"
        );
        assert!(!ics.contains("Ruiz"));
    }
}
