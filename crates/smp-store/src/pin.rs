//! A short PIN each member of staff may set to take the tablet back from a
//! client (after the consent) without typing the whole password at the
//! chair. It opens nothing else: logging in always takes the password. It
//! is hashed like the password, and the web layer throttles wrong tries as
//! it does wrong passwords, so its few digits cannot be run through.

use sqlx::Row;

use crate::users::{hash_password, password_matches};
use crate::{AuditAction, Store, StoreError, User};

/// How many digits a PIN has.
pub const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;

/// Whether `pin` is a PIN a person would be told to change: one digit
/// repeated, or a run up or down ("1234", "9876").
fn too_easy(pin: &[u8]) -> bool {
    let steps: Vec<i16> = pin.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
    steps.iter().all(|s| *s == 0) || steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

/// `pin` as a PIN, or why not.
fn checked_pin(pin: &str) -> Result<&str, StoreError> {
    let pin = pin.trim();
    if !PIN_DIGITS.contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::Invalid(format!(
            "A PIN is {} to {} digits.",
            PIN_DIGITS.start(),
            PIN_DIGITS.end()
        )));
    }
    if too_easy(pin.as_bytes()) {
        return Err(StoreError::Invalid(
            "That PIN is too easy to guess (a digit repeated, or a run).".into(),
        ));
    }
    Ok(pin)
}

impl Store {
    /// Sets (or with `None` removes) `user`'s PIN, the current password
    /// asked; audited.
    pub async fn set_pin(
        &self,
        user: &User,
        current_password: &str,
        pin: Option<&str>,
    ) -> Result<(), StoreError> {
        let pin = pin.map(checked_pin).transpose()?;
        if !self.password_is(user, current_password).await? {
            return Err(StoreError::Invalid("The current password is not right.".into()));
        }
        let hash = match pin {
            Some(pin) => Some(hash_password(pin).await),
            None => None,
        };
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET pin_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
        let what = if hash.is_some() { AuditAction::SetPin } else { AuditAction::RemovePin };
        self.studio(&user.studio).audit_in(&mut tx, user, what, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `user` has a PIN.
    pub async fn has_pin(&self, user: &User) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT pin_hash FROM users WHERE id = $1")
            .bind(&user.id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get::<Option<String>, _>("pin_hash").is_some())
    }

    /// Whether `typed` is `user`'s password, or their PIN when they have one.
    pub async fn password_or_pin_is(&self, user: &User, typed: &str) -> Result<bool, StoreError> {
        let looks_like_pin =
            PIN_DIGITS.contains(&typed.trim().len()) && typed.trim().bytes().all(|b| b.is_ascii_digit());
        if looks_like_pin {
            let row = sqlx::query("SELECT pin_hash FROM users WHERE id = $1")
                .bind(&user.id)
                .fetch_one(&self.pool)
                .await?;
            if let Some(hash) = row.get::<Option<String>, _>("pin_hash")
                && password_matches(typed.trim(), hash).await
            {
                return Ok(true);
            }
        }
        self.password_is(user, typed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_short_numbers_not_easily_guessed() {
        for good in ["4071", "90210", "13572468"] {
            assert_eq!(checked_pin(good).unwrap(), good);
        }
        for bad in ["123", "123456789", "12a4", "1111", "1234", "9876", "0000000"] {
            assert!(checked_pin(bad).is_err(), "{bad}");
        }
    }
}
