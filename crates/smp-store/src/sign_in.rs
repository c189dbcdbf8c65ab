//! Which studio a sign-in is for. Staff names are unique within a studio
//! only (one studio of a chain must not learn another's staff by being
//! refused a name), so an installation with several studios needs the
//! studio too: each has a short sign-in code made from its name
//! ("Main Street Studio" gives `main-street-studio`), unique in the
//! installation.

use sqlx::Row;

use crate::{Store, StoreError, StudioId, StudioStore};

/// The longest sign-in code.
pub const MAX_CODE_CHARS: usize = 32;

/// A studio's sign-in code made from its name: lower-case ASCII letters and
/// digits, words joined by hyphens ("Café Nord" gives `caf-nord`).
pub fn code_from_name(name: &str) -> String {
    let mut code = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c.to_ascii_lowercase());
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    code.truncate(MAX_CODE_CHARS);
    let code = code.trim_end_matches('-');
    if code.is_empty() { "studio".into() } else { code.to_string() }
}

/// A code typed at the login, as stored.
fn typed(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// The first of `base`, `base-2`, `base-3`... no studio holds.
async fn free_code(conn: &mut sqlx::AnyConnection, base: &str) -> Result<String, StoreError> {
    let taken: std::collections::HashSet<String> =
        sqlx::query("SELECT code FROM studios WHERE code = $1 OR code LIKE $2")
            .bind(base)
            .bind(format!("{base}-%"))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.get("code"))
            .collect();
    Ok((1..)
        .map(|n| if n == 1 { base.to_string() } else { format!("{base}-{n}") })
        .find(|code| !taken.contains(code))
        .unwrap_or_else(|| base.to_string()))
}

impl Store {
    /// Inserts a studio with a sign-in code of its own, in the caller's
    /// write transaction (which holds the write lock, so no other studio
    /// takes the code meanwhile on SQLite; on PostgreSQL the unique index
    /// refuses a race, and the caller's transaction fails whole).
    pub(crate) async fn insert_studio(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: &StudioId,
        name: &str,
    ) -> Result<(), StoreError> {
        let code = free_code(conn, &code_from_name(name)).await?;
        sqlx::query("INSERT INTO studios (id, name, code, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&id.0)
            .bind(name)
            .bind(code)
            .bind(crate::now_ms())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Gives every studio made before sign-in codes existed its code. Run
    /// at open.
    pub(crate) async fn fill_sign_in_codes(&self) -> Result<(), StoreError> {
        let missing = sqlx::query("SELECT id, name FROM studios WHERE code IS NULL ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        for row in missing {
            let mut tx = self.write().await?;
            let code = free_code(&mut tx, &code_from_name(&row.get::<String, _>("name"))).await?;
            sqlx::query("UPDATE studios SET code = $1 WHERE id = $2 AND code IS NULL")
                .bind(code)
                .bind(row.get::<String, _>("id"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// How many studios the installation holds: with more than one, the
    /// login asks for the studio's code.
    pub async fn studio_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM studios").fetch_one(&self.pool).await?.get::<i64, _>("n"))
    }

    /// The studio whose sign-in code is `code` (as typed: case and spaces
    /// around it do not matter).
    pub async fn studio_by_code(&self, code: &str) -> Result<Option<StudioId>, StoreError> {
        let code = typed(code);
        if code.is_empty() || code.chars().count() > MAX_CODE_CHARS + 8 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id FROM studios WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StudioId(r.get("id"))))
    }
}

impl StudioStore<'_> {
    /// The studio's sign-in code.
    pub async fn sign_in_code(&self) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT code FROM studios WHERE id = $1")
            .bind(&self.studio.0)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.get::<Option<String>, _>("code").unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_made_from_names() {
        assert_eq!(code_from_name("Main Street Studio"), "main-street-studio");
        assert_eq!(code_from_name("  SMP & Co. (Leeds) "), "smp-co-leeds");
        assert_eq!(code_from_name("Café Nord"), "caf-nord");
        assert_eq!(code_from_name("東京"), "studio");
        let long = code_from_name(&"word ".repeat(20));
        assert!(long.len() <= MAX_CODE_CHARS && !long.ends_with('-'), "{long}");
    }
}
