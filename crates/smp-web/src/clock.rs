//! Time as the studio reads it: every moment shown, and "today", in the
//! studio's own time zone, in one format ("1 Dec 2026, 14:05"). The zone is
//! request-scoped: the request log opens a scope for each request, and the
//! login extractor sets the studio's zone in it, so the many places that
//! show a moment need no zone passed down to them. Outside a request (or
//! before a login is known) the zone is UTC.

use std::cell::Cell;

use chrono::NaiveDate;
use chrono_tz::Tz;

tokio::task_local! {
    static ZONE: Cell<Tz>;
}

/// Runs `request` with a zone of its own (UTC until a login sets it).
pub(crate) async fn scope<F: Future>(request: F) -> F::Output {
    ZONE.scope(Cell::new(Tz::UTC), request).await
}

/// Sets the current request's zone (the logged-in studio's); an unknown
/// name leaves UTC.
pub(crate) fn set(name: &str) {
    if let Ok(zone) = name.parse::<Tz>() {
        let _ = ZONE.try_with(|current| current.set(zone));
    }
}

fn zone() -> Tz {
    ZONE.try_with(Cell::get).unwrap_or(Tz::UTC)
}

/// A stored moment (unix milliseconds) as staff read it.
pub(crate) fn moment(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&zone()).format("%-d %b %Y, %H:%M").to_string())
        .unwrap_or_default()
}

/// The day a stored moment falls on, in the studio's zone.
pub(crate) fn day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&zone()).date_naive())
        .unwrap_or_default()
}

/// Today in the studio's zone.
pub(crate) fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&zone()).date_naive()
}

/// The days of the week as the studio's settings name them, Monday first,
/// with their names for people.
pub(crate) const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// Whether the studio, open on `open_days` ("mon tue ..."), is open on `day`.
pub(crate) fn is_open(open_days: &str, day: NaiveDate) -> bool {
    use chrono::Datelike;
    let (key, _) = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    open_days.split_whitespace().any(|d| d == key)
}

/// Whether `name` is a time zone of the IANA database.
pub(crate) fn is_zone(name: &str) -> bool {
    name.trim().parse::<Tz>().is_ok()
}

/// The IANA zone names, for the studio settings' list.
pub(crate) fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn moments_read_in_the_studios_zone() {
        // 2026-12-01 23:30 UTC is already 2 December in Madrid.
        let ms = 1_796_167_800_000;
        assert_eq!(scope(async { moment(ms) }).await, "1 Dec 2026, 23:30");
        let madrid = scope(async {
            set("Europe/Madrid");
            (moment(ms), day(ms))
        })
        .await;
        assert_eq!(madrid, ("2 Dec 2026, 00:30".to_string(), "2026-12-02".parse().unwrap()));
        assert!(is_zone("America/New_York") && !is_zone("Mars/Olympus"));
    }
}
