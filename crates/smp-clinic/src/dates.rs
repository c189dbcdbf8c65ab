//! Calendar arithmetic for screening, plans and aftercare.

use chrono::{Datelike, Days, Months, NaiveDate};

/// A TOML date (`2026-12-01`, no time) as a calendar date.
pub fn from_toml(value: &toml::value::Datetime) -> Option<NaiveDate> {
    if value.time.is_some() || value.offset.is_some() {
        return None;
    }
    let d = value.date?;
    NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)
}

/// `date` plus `months` calendar months, clamped to the month's last day
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// `date` plus `days` days.
pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days as u64)).unwrap_or(NaiveDate::MAX)
}

/// Age in whole years on `on` of someone born on `birth` (a 29 February
/// birthday counts on 1 March in common years).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn month_ends_and_leap_years() {
        assert_eq!(add_months(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(add_months(d(2028, 1, 31), 1), d(2028, 2, 29));
        assert_eq!(add_months(d(2026, 8, 31), 6), d(2027, 2, 28));
        assert_eq!(add_months(d(2026, 9, 1), 6), d(2027, 3, 1));
        assert_eq!(add_days(d(2028, 2, 28), 1), d(2028, 2, 29));
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
        assert_eq!(age_on(d(1985, 4, 2), d(2026, 12, 1)), 41);
    }

    #[test]
    fn toml_dates_convert_and_times_are_refused() {
        let v: toml::Value = toml::from_str("a = 2026-12-01\nb = 2026-12-01T10:00:00").unwrap();
        assert_eq!(from_toml(v["a"].as_datetime().unwrap()), Some(d(2026, 12, 1)));
        assert_eq!(from_toml(v["b"].as_datetime().unwrap()), None);
    }

    proptest! {
        #[test]
        fn adding_months_never_skips_a_month(y in 1900i32..2200, m in 1u32..=12, day in 1u32..=31, n in 0u32..60) {
            prop_assume!(NaiveDate::from_ymd_opt(y, m, day).is_some());
            let start = d(y, m, day);
            let end = add_months(start, n);
            let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
            prop_assert_eq!(months, n as i32);
            prop_assert!(end.day() <= start.day());
            // Clamped only when the target month is shorter.
            if end.day() < start.day() {
                prop_assert!(add_days(end, 1).month() != end.month());
            }
        }

        #[test]
        fn age_grows_by_one_on_each_birthday(y in 1920i32..2020, m in 1u32..=12, day in 1u32..=28, years in 0u32..100) {
            let birth = d(y, m, day);
            let birthday = add_months(birth, years * 12);
            prop_assert_eq!(age_on(birth, birthday), years as i32);
            prop_assert_eq!(age_on(birth, birthday.pred_opt().unwrap()), years as i32 - 1);
        }

        #[test]
        fn adding_days_is_consistent_with_differences(y in 1950i32..2100, doy in 1u32..365, n in 0u32..4000) {
            let start = NaiveDate::from_yo_opt(y, doy).unwrap();
            prop_assert_eq!((add_days(start, n) - start).num_days(), n as i64);
        }
    }
}
