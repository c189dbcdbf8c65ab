//! The session record ("ink passport", as tattoo studios keep one): what was
//! used and done in one treatment session, checked before it is kept. An
//! expired pigment is refused: it may no longer be sterile or stable.

use chrono::NaiveDate;
use serde::Serialize;

/// One treatment session as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    /// The day of the session.
    pub date: NaiveDate,
    /// Which session of the plan (1, 2, 3; 4+ for touch-ups).
    pub number: u32,
    /// Zones treated, in words.
    pub zones: String,
    /// Pigment brand and product.
    pub pigment_brand: String,
    /// Batch or lot number.
    pub pigment_batch: String,
    /// The pigment's expiry date.
    pub pigment_expiry: NaiveDate,
    /// Dilution used (1 = full strength).
    pub dilution: f64,
    /// Needle configuration (e.g. "1RL", "3RL").
    pub needle: String,
    /// Needle diameter, mm.
    pub needle_mm: f64,
    /// Machine settings (stroke, voltage, speed), in words.
    pub machine: String,
    /// Anaesthetic used, if any.
    pub anaesthetic: String,
    /// Duration, minutes.
    pub duration_min: u32,
    /// Pain reported by the client, 0-10.
    pub pain: u8,
    /// Anything else.
    pub notes: String,
}

/// A value of a session record that cannot be kept, by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RecordError {
    /// The form field.
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> RecordError {
    RecordError { field, message: message.into() }
}

/// The typed fields of a session form, before checking.
#[derive(Debug, Clone, Default)]
pub struct SessionForm<'a> {
    /// Each field as typed, by name.
    pub fields: &'a [(String, String)],
}

impl SessionForm<'_> {
    fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    fn date(&self, name: &'static str, label: &str) -> Result<NaiveDate, RecordError> {
        let v = self.get(name);
        v.parse().map_err(|_| refuse(name, format!("{label}: {v:?} is not a date (YYYY-MM-DD)")))
    }

    fn number(
        &self,
        name: &'static str,
        label: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<f64, RecordError> {
        let v = self.get(name);
        let n: f64 = v.parse().map_err(|_| refuse(name, format!("{label}: {v:?} is not a number")))?;
        if !range.contains(&n) {
            return Err(refuse(
                name,
                format!("{label} must be between {} and {}", range.start(), range.end()),
            ));
        }
        Ok(n)
    }

    fn text(&self, name: &'static str, label: &str, required: bool) -> Result<String, RecordError> {
        let v = self.get(name);
        if required && v.is_empty() {
            return Err(refuse(name, format!("{label} is missing")));
        }
        if v.chars().count() > 2000 {
            return Err(refuse(name, format!("{label} is too long (at most 2000 characters)")));
        }
        Ok(v.to_string())
    }

    /// The record, every value checked; the first problem otherwise.
    pub fn check(&self) -> Result<SessionRecord, RecordError> {
        let date = self.date("date", "The session date")?;
        let pigment_expiry = self.date("pigment_expiry", "The pigment's expiry date")?;
        if pigment_expiry < date {
            return Err(refuse(
                "pigment_expiry",
                format!(
                    "This pigment expired on {pigment_expiry}, before the session: use an unexpired batch"
                ),
            ));
        }
        Ok(SessionRecord {
            date,
            number: self.number("number", "The session number", 1.0..=20.0)? as u32,
            zones: self.text("zones", "The zones treated", true)?,
            pigment_brand: self.text("pigment_brand", "The pigment brand", true)?,
            pigment_batch: self.text("pigment_batch", "The batch or lot number", true)?,
            pigment_expiry,
            dilution: self.number("dilution", "The dilution", 0.05..=1.0)?,
            needle: self.text("needle", "The needle configuration", true)?,
            needle_mm: self.number("needle_mm", "The needle diameter (mm)", 0.1..=0.5)?,
            machine: self.text("machine", "The machine settings", false)?,
            anaesthetic: self.text("anaesthetic", "The anaesthetic", false)?,
            duration_min: self.number("duration_min", "The duration (minutes)", 1.0..=720.0)? as u32,
            pain: self.number("pain", "The pain score", 0.0..=10.0)? as u8,
            notes: self.text("notes", "The notes", false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = [
            ("date", "2026-12-01"),
            ("number", "1"),
            ("zones", "front, top"),
            ("pigment_brand", "Perma Blend SMP Black"),
            ("pigment_batch", "L2311-07"),
            ("pigment_expiry", "2027-06-30"),
            ("dilution", "0.6"),
            ("needle", "3RL"),
            ("needle_mm", "0.25"),
            ("machine", "stroke 3.5 mm, 8.2 V"),
            ("anaesthetic", "none"),
            ("duration_min", "210"),
            ("pain", "3"),
            ("notes", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            fields.iter_mut().find(|(f, _)| f == k).unwrap().1 = v.to_string();
        }
        fields
    }

    #[test]
    fn a_complete_record_is_kept() {
        let fields = form(&[]);
        let r = SessionForm { fields: &fields }.check().unwrap();
        assert_eq!((r.number, r.duration_min, r.pain, r.needle_mm), (1, 210, 3, 0.25));
    }

    #[test]
    fn an_expired_pigment_is_refused() {
        let fields = form(&[("pigment_expiry", "2026-11-30")]);
        let e = SessionForm { fields: &fields }.check().unwrap_err();
        assert_eq!(e.field, "pigment_expiry");
        assert!(e.message.contains("expired on 2026-11-30"), "{e}");
        let fields = form(&[("pigment_expiry", "2026-12-01")]);
        assert!(SessionForm { fields: &fields }.check().is_ok(), "expiring on the day is still in date");
    }

    #[test]
    fn each_bad_value_is_named() {
        for (field, value) in [
            ("date", "tomorrow"),
            ("pain", "11"),
            ("dilution", "2"),
            ("needle_mm", "0.05"),
            ("duration_min", "0"),
            ("pigment_batch", ""),
            ("zones", " "),
        ] {
            let fields = form(&[(field, value)]);
            assert_eq!(SessionForm { fields: &fields }.check().unwrap_err().field, field, "{field}={value}");
        }
    }
}
