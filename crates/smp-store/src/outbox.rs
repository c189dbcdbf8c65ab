//! E-mail to clients from a durable outbox. Every message is a row, written
//! in the same transaction as the change that causes it (planning a
//! session writes its confirmation and reminder); a sender claims due rows
//! and marks each sent, retried later or failed.
//!
//! Sent once: a claimed row is `sending` until its lease ends. A sender
//! that stops mid-send (a crash, a kill) leaves the row `sending`; when the
//! lease has ended the row is marked failed as "in doubt", never sent
//! again on its own: an SMTP server may have taken a message whose
//! acknowledgement never arrived, and a client must not get it twice. An
//! admin sees it and may send it again. Several instances on one
//! PostgreSQL claim with `FOR UPDATE SKIP LOCKED`, so no two take a row;
//! on SQLite the write transaction excludes other writers.

use sqlx::Row;

use crate::users::random_token;
use crate::{Backend, Store, StoreError, StudioStore, Tx, new_id, now_ms};

/// A studio's e-mail settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Its own SMTP server (`smtp://`, `smtps://`), or the server's default.
    pub smtp_url: Option<String>,
    /// The sender's address.
    pub from: String,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<String>,
    /// How long before a session its reminder goes, hours.
    pub reminder_hours: i64,
    /// Whether the studio sends e-mail at all.
    pub enabled: bool,
}

/// A message text an admin edited (the others are the app's defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText {
    /// The message's kind (`smp_clinic::messages::MessageKind`'s words).
    pub kind: String,
    /// Its subject, with placeholders.
    pub subject: String,
    /// Its body, with placeholders.
    pub body: String,
    /// Whether this kind is sent.
    pub enabled: bool,
}

/// A message to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Its kind.
    pub kind: String,
    /// What it is about, unique among the client's messages: a message
    /// whose key is in the outbox already is not written again (a plan
    /// saved twice confirms its sessions once).
    pub key: String,
    /// The address it goes to.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// When it is due, unix ms.
    pub due_at: i64,
    /// The client's one-click unsubscribe address, for the header that
    /// offers it (an optional message carries it; a test message does not).
    pub unsubscribe_url: Option<String>,
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Waiting for its time (or its next try).
    Pending,
    /// Claimed by a sender.
    Sending,
    /// Taken by the SMTP server.
    Sent,
    /// Given up, or in doubt; an admin may send it again.
    Failed,
    /// Its cause went (a session moved or cancelled) before it was sent.
    Withdrawn,
}

impl MessageState {
    /// The word the database keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(word: &str) -> Self {
        match word {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Pending,
        }
    }
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Its id.
    pub id: String,
    /// The studio it is from.
    pub studio_id: String,
    /// The client it is for (none for an admin's test message).
    pub client_id: Option<String>,
    /// Its kind.
    pub kind: String,
    /// The address it goes to.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// When it is due, unix ms.
    pub due_at: i64,
    /// Where it is.
    pub state: MessageState,
    /// Tries so far.
    pub attempts: i64,
    /// The last try's error.
    pub last_error: Option<String>,
    /// When it was sent, unix ms.
    pub sent_at: Option<i64>,
    /// The client's one-click unsubscribe address.
    pub unsubscribe_url: Option<String>,
}

const MESSAGE_COLUMNS: &str = "id, studio_id, client_id, kind, to_address, subject, body, due_at, state, \
     attempts, last_error, sent_at, unsubscribe_url";

fn message_from(r: &sqlx::any::AnyRow) -> OutboxMessage {
    OutboxMessage {
        id: r.get("id"),
        studio_id: r.get("studio_id"),
        client_id: r.get("client_id"),
        kind: r.get("kind"),
        to: r.get("to_address"),
        subject: r.get("subject"),
        body: r.get("body"),
        due_at: r.get("due_at"),
        state: MessageState::parse(&r.get::<String, _>("state")),
        attempts: r.get("attempts"),
        last_error: r.get("last_error"),
        sent_at: r.get("sent_at"),
        unsubscribe_url: r.get("unsubscribe_url"),
    }
}

/// What a sender's try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server took it.
    Sent,
    /// Try again later: the server refused for now or could not be reached.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again, unix ms.
        at: i64,
    },
    /// Given up.
    Failed(String),
}

/// What a recorded session's messages hold where the link to its
/// aftercare page goes: the link is made with the session.
pub const AFTERCARE_TOKEN: &str = "{aftercare-token}";

/// The longest text kept of an error.
const MAX_ERROR_CHARS: usize = 500;

/// The words of a message claimed by a sender that stopped before it said
/// how the send went.
pub const IN_DOUBT: &str = "The server stopped while sending this message: it may or may not have \
     arrived. Ask the client before sending it again.";

impl StudioStore<'_> {
    /// The studio's e-mail settings, if an admin saved them.
    pub async fn mail_settings(&self) -> Result<Option<MailSettings>, StoreError> {
        let row = sqlx::query(
            "SELECT smtp_url, from_address, reply_to, reminder_hours, enabled FROM mail_settings WHERE studio_id = $1",
        )
        .bind(&self.studio.0)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(row.map(|r| MailSettings {
            smtp_url: r.get("smtp_url"),
            from: r.get("from_address"),
            reply_to: r.get("reply_to"),
            reminder_hours: r.get::<i64, _>("reminder_hours"),
            enabled: r.get::<i64, _>("enabled") != 0,
        }))
    }

    /// Saves the studio's e-mail settings (checked by the caller).
    pub async fn save_mail_settings(&self, settings: &MailSettings) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        sqlx::query("DELETE FROM mail_settings WHERE studio_id = $1")
            .bind(&self.studio.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO mail_settings (studio_id, smtp_url, from_address, reply_to, reminder_hours, enabled, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&self.studio.0)
        .bind(&settings.smtp_url)
        .bind(&settings.from)
        .bind(&settings.reply_to)
        .bind(settings.reminder_hours)
        .bind(settings.enabled as i64)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The message texts admins edited.
    pub async fn message_texts(&self) -> Result<Vec<MessageText>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, subject, body, enabled FROM message_texts WHERE studio_id = $1 ORDER BY kind",
        )
        .bind(&self.studio.0)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| MessageText {
                kind: r.get("kind"),
                subject: r.get("subject"),
                body: r.get("body"),
                enabled: r.get::<i64, _>("enabled") != 0,
            })
            .collect())
    }

    /// Saves an edited message text (checked by the caller).
    pub async fn save_message_text(&self, text: &MessageText) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        sqlx::query("DELETE FROM message_texts WHERE studio_id = $1 AND kind = $2")
            .bind(&self.studio.0)
            .bind(&text.kind)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO message_texts (studio_id, kind, subject, body, enabled, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&self.studio.0)
        .bind(&text.kind)
        .bind(&text.subject)
        .bind(&text.body)
        .bind(text.enabled as i64)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client's unsubscribe token (made on first use) and when they
    /// unsubscribed, if they did. `None` when the client is not this
    /// studio's.
    pub async fn contact_preference(
        &self,
        client_id: &str,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let mut tx = self.store.write().await?;
        let found = self.contact_preference_in(&mut tx, client_id).await?;
        tx.commit().await?;
        Ok(found)
    }

    pub(crate) async fn contact_preference_in(
        &self,
        tx: &mut Tx,
        client_id: &str,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let ours = sqlx::query("SELECT 1 FROM clients WHERE studio_id = $1 AND id = $2")
            .bind(&self.studio.0)
            .bind(client_id)
            .fetch_optional(&mut **tx)
            .await?;
        if ours.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT unsubscribe_token, unsubscribed_at FROM contact_preferences WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = row {
            return Ok(Some((r.get("unsubscribe_token"), r.get("unsubscribed_at"))));
        }
        let token = random_token();
        sqlx::query(
            "INSERT INTO contact_preferences (client_id, studio_id, unsubscribe_token) VALUES ($1, $2, $3)",
        )
        .bind(client_id)
        .bind(&self.studio.0)
        .bind(&token)
        .execute(&mut **tx)
        .await?;
        Ok(Some((token, None)))
    }

    /// When the client stopped the optional messages, if they did.
    pub async fn unsubscribed_at(&self, client_id: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT unsubscribed_at FROM contact_preferences WHERE studio_id = $1 AND client_id = $2",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(row.and_then(|r| r.get("unsubscribed_at")))
    }

    /// Writes `messages` for the client in `tx`, as the messages of
    /// `family` (such as the plan's; each message's key within it): a
    /// pending message of the family whose key is not among them is
    /// withdrawn (its session moved or went), and one whose key is in the
    /// outbox already (pending, sent or failed) is not written again.
    pub(crate) async fn schedule_in(
        &self,
        tx: &mut Tx,
        client_id: &str,
        family: &str,
        messages: &[NewMessage],
    ) -> Result<(), StoreError> {
        let family = format!("{family}:");
        let messages: Vec<NewMessage> =
            messages.iter().map(|m| NewMessage { key: format!("{family}{}", m.key), ..m.clone() }).collect();
        let pending = sqlx::query(
            "SELECT id, dedupe_key FROM outbox WHERE studio_id = $1 AND client_id = $2 AND state = 'pending'",
        )
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&mut **tx)
        .await?;
        for row in &pending {
            let key: String = row.get("dedupe_key");
            if key.starts_with(&family) && !messages.iter().any(|m| m.key == key) {
                sqlx::query("UPDATE outbox SET state = 'withdrawn' WHERE id = $1 AND state = 'pending'")
                    .bind(row.get::<String, _>("id"))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        let now = now_ms();
        for m in &messages {
            let known = sqlx::query(
                "SELECT 1 FROM outbox WHERE studio_id = $1 AND dedupe_key = $2 AND state <> 'withdrawn'",
            )
            .bind(&self.studio.0)
            .bind(&m.key)
            .fetch_optional(&mut **tx)
            .await?;
            if known.is_none() {
                insert_message(tx, &self.studio.0, Some(client_id), m, now).await?;
            }
        }
        Ok(())
    }

    /// Writes one message now (an admin's test message, say).
    pub async fn enqueue(&self, client_id: Option<&str>, message: &NewMessage) -> Result<(), StoreError> {
        let mut tx = self.store.write().await?;
        insert_message(&mut tx, &self.studio.0, client_id, message, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every message to the client, newest first.
    pub async fn client_messages(&self, client_id: &str) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE studio_id = $1 AND client_id = $2 \
             ORDER BY due_at DESC, created_at DESC"
        ))
        .bind(&self.studio.0)
        .bind(client_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(message_from).collect())
    }

    /// The studio's failed messages, newest first (for its admins).
    pub async fn failed_messages(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE studio_id = $1 AND state = 'failed' ORDER BY due_at DESC LIMIT 100"
        ))
        .bind(&self.studio.0)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(message_from).collect())
    }

    /// Puts a failed message back in line, now. `false` when there is no
    /// such failed message in this studio.
    pub async fn send_again(&self, message_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.store.write().await?;
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', next_try_at = $1, claimed_by = NULL, claimed_until = NULL \
             WHERE studio_id = $2 AND id = $3 AND state = 'failed'",
        )
        .bind(now_ms())
        .bind(&self.studio.0)
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }
}

async fn insert_message(
    tx: &mut Tx,
    studio_id: &str,
    client_id: Option<&str>,
    m: &NewMessage,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (id, studio_id, client_id, kind, dedupe_key, to_address, subject, body, due_at, state, \
         attempts, next_try_at, created_at, unsubscribe_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(studio_id)
    .bind(client_id)
    .bind(&m.kind)
    .bind(&m.key)
    .bind(&m.to)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(m.due_at)
    .bind(m.due_at)
    .bind(now)
    .bind(&m.unsubscribe_url)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Claims up to `limit` messages due by `now` for the sender
    /// `instance`, for `lease_ms`. Rows another sender holds are skipped.
    pub async fn claim_due(
        &self,
        instance: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let skip_locked = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET state = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_try_at <= $3 \
             ORDER BY next_try_at LIMIT $4{skip_locked}) RETURNING {MESSAGE_COLUMNS}"
        ))
        .bind(instance)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.iter().map(message_from).collect())
    }

    /// Records how the send of a message `instance` claimed went. `false`
    /// when the claim was no longer its own (its lease ended first).
    pub async fn finish_send(
        &self,
        instance: &str,
        id: &str,
        outcome: &SendOutcome,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let cut = |e: &str| e.chars().take(MAX_ERROR_CHARS).collect::<String>();
        let (state, next_try, error, sent_at) = match outcome {
            SendOutcome::Sent => ("sent", now, None, Some(now)),
            SendOutcome::Retry { error, at } => ("pending", *at, Some(cut(error)), None),
            SendOutcome::Failed(error) => ("failed", now, Some(cut(error)), None),
        };
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE outbox SET state = $1, next_try_at = $2, last_error = $3, sent_at = $4, claimed_by = NULL, \
             claimed_until = NULL WHERE id = $5 AND claimed_by = $6 AND state = 'sending'",
        )
        .bind(state)
        .bind(next_try)
        .bind(error)
        .bind(sent_at)
        .bind(id)
        .bind(instance)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Marks failed, as in doubt, every message whose sender stopped
    /// before saying how its send went (its lease ended by `now`).
    pub async fn expire_in_doubt(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE outbox SET state = 'failed', last_error = $1, claimed_by = NULL, claimed_until = NULL \
             WHERE state = 'sending' AND claimed_until < $2",
        )
        .bind(IN_DOUBT)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done)
    }

    /// Whether `token` is a client's unsubscribe link.
    pub async fn unsubscribe_known(&self, token: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM contact_preferences WHERE unsubscribe_token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Stops the optional messages to the client whose unsubscribe link
    /// holds `token`: their pending ones are withdrawn, and no more are
    /// written. Returns the studio's id, or `None` for an unknown token.
    pub async fn unsubscribe(
        &self,
        token: &str,
        optional_kinds: &[&str],
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write().await?;
        let row =
            sqlx::query("SELECT client_id, studio_id FROM contact_preferences WHERE unsubscribe_token = $1")
                .bind(token)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let (client_id, studio_id): (String, String) = (row.get("client_id"), row.get("studio_id"));
        sqlx::query(
            "UPDATE contact_preferences SET unsubscribed_at = $1 WHERE client_id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(now_ms())
        .bind(&client_id)
        .execute(&mut *tx)
        .await?;
        for kind in optional_kinds {
            sqlx::query("UPDATE outbox SET state = 'withdrawn' WHERE client_id = $1 AND kind = $2 AND state = 'pending'")
                .bind(&client_id)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(studio_id))
    }
}
