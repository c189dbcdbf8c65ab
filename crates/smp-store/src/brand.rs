//! The studio's own look: its accent colour and its logo, shown on every
//! page its staff and clients see.

use sqlx::Row;

use crate::{AuditAction, Store, StoreError, StudioId, StudioStore, User};

/// Largest logo kept (the app stores a small PNG it made itself).
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// What a page needs of the studio's look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    /// The accent colour, `#rrggbb`, when the studio chose one.
    pub accent: Option<String>,
    /// Whether the studio has a logo.
    pub has_logo: bool,
}

/// The contrast white text needs on an accent (WCAG 2 AA for body text):
/// buttons are white on the accent.
const MIN_CONTRAST_WITH_WHITE: f64 = 4.5;

/// The contrast ratio of white on the sRGB colour `rgb` (WCAG 2).
fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (luminance + 0.05)
}

/// `#rrggbb`, in lower case, dark enough for white text on it, or why not.
pub fn checked_accent(text: &str) -> Result<String, StoreError> {
    let text = text.trim().to_ascii_lowercase();
    let hex = text.strip_prefix('#').unwrap_or(&text);
    let rgb = (hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| [0, 2, 4].map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16)))
        .and_then(|[r, g, b]| Some([r.ok()?, g.ok()?, b.ok()?]))
        .ok_or_else(|| {
            StoreError::Invalid(format!("Accent colour: {text:?} is not a colour like #2b5cab."))
        })?;
    let contrast = contrast_with_white(rgb);
    if contrast < MIN_CONTRAST_WITH_WHITE {
        return Err(StoreError::Invalid(format!(
            "Accent colour: #{hex} is too light for the white text of buttons (contrast {contrast:.1}:1, \
             at least {MIN_CONTRAST_WITH_WHITE}:1 needed). Choose a darker shade."
        )));
    }
    Ok(format!("#{hex}"))
}

/// The look from a row with the columns of [`brand_columns`].
pub(crate) fn brand_from(row: &sqlx::any::AnyRow) -> Brand {
    Brand { accent: row.get("accent"), has_logo: row.get::<i64, _>("has_logo") != 0 }
}

/// The columns [`brand_from`] reads, from the table `studios` named `studios`
/// in the query.
pub(crate) fn brand_columns(studios: &str) -> String {
    format!("{studios}.accent, CASE WHEN {studios}.logo_png IS NULL THEN 0 ELSE 1 END AS has_logo")
}

impl Store {
    /// The look of `studio`.
    pub(crate) async fn brand_in(
        conn: &mut sqlx::AnyConnection,
        studio: &StudioId,
    ) -> Result<Brand, StoreError> {
        let row = sqlx::query(&format!("SELECT {} FROM studios s WHERE s.id = $1", brand_columns("s")))
            .bind(&studio.0)
            .fetch_one(conn)
            .await?;
        Ok(brand_from(&row))
    }
}

impl StudioStore<'_> {
    /// The studio's look.
    pub async fn brand(&self) -> Result<Brand, StoreError> {
        let mut conn = self.store.pool.acquire().await?;
        Store::brand_in(&mut conn, &self.studio).await
    }

    /// Sets (or with `None` clears) the accent colour, audited.
    pub async fn set_accent(&self, staff: &User, accent: Option<&str>) -> Result<(), StoreError> {
        let accent = accent.map(checked_accent).transpose()?;
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET accent = $1 WHERE id = $2")
            .bind(&accent)
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        self.audit_in(&mut tx, staff, AuditAction::StudioAccent, accent.as_deref().unwrap_or("")).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (or with `None` removes) the logo, a PNG the caller made, audited.
    pub async fn set_logo(&self, staff: &User, png: Option<&[u8]>) -> Result<(), StoreError> {
        if png.is_some_and(|p| p.len() > MAX_LOGO_BYTES || !p.starts_with(b"\x89PNG")) {
            return Err(StoreError::Invalid("The logo must be a PNG of up to 256 KB.".into()));
        }
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE studios SET logo_png = $1 WHERE id = $2")
            .bind(png)
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        let what = if png.is_some() { AuditAction::StudioLogo } else { AuditAction::StudioLogoRemoved };
        self.audit_in(&mut tx, staff, what, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// The logo's PNG, when there is one.
    pub async fn logo(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT logo_png FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.get("logo_png"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_are_colours() {
        assert_eq!(checked_accent(" #2B5CAB ").unwrap(), "#2b5cab");
        assert_eq!(checked_accent("7a1f5c").unwrap(), "#7a1f5c");
        for bad in ["", "#12345", "#12345g", "red", "#1234567", "#+1+2+3"] {
            assert!(checked_accent(bad).is_err(), "{bad:?}");
        }
        // Yellow under white text cannot be read; the default blue can.
        let light = checked_accent("#ffee00").unwrap_err().to_string();
        assert!(light.contains("too light") && light.contains("1.2:1"), "{light}");
        assert!((contrast_with_white([0x2b, 0x5c, 0xab]) - 6.6).abs() < 0.1);
    }
}
