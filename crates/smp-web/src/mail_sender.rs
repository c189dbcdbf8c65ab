//! The sender in the server: sends what the outbox holds when it is due,
//! over SMTP (`lettre`; TLS where the server offers it, or as the address
//! says), each message once. A refused or unreachable server is tried
//! again after a growing pause; after the last try the message is marked
//! failed for the studio's admins. See `smp_store::outbox` for how a
//! message claimed by a sender that stopped mid-send is never sent twice.

use std::collections::HashMap;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use smp_store::{MailSettings, OutboxMessage, SendOutcome, Store, StudioId};

/// How the sender paces itself.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// How often it looks for due messages.
    pub poll: Duration,
    /// How long a claim lasts: longer than any one send takes.
    pub lease: Duration,
    /// The pauses before each further try; after the last, the message
    /// fails.
    pub backoff: Vec<Duration>,
    /// How long one SMTP conversation may take.
    pub timeout: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        Self {
            poll: Duration::from_secs(5),
            lease: minutes(10),
            backoff: vec![minutes(1), minutes(5), minutes(30), minutes(120), minutes(360)],
            timeout: Duration::from_secs(60),
        }
    }
}

/// Sends the outbox's due messages.
pub struct MailSender {
    store: Store,
    default_smtp: Option<String>,
    instance: String,
    config: SenderConfig,
}

/// The most messages one round claims.
const BATCH: i64 = 20;

impl MailSender {
    /// A sender on `store`, using `default_smtp` for studios without a
    /// server of their own.
    pub fn new(store: Store, default_smtp: Option<String>, config: SenderConfig) -> Self {
        let instance = format!("sender-{}", uuid::Uuid::new_v4().simple());
        Self { store, default_smtp, instance, config }
    }

    /// Sends due messages until `stop` resolves; a round that fails (the
    /// database away) is logged and tried again at the next poll.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            match self.send_due().await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "outbox: messages handled"),
                Err(e) => tracing::warn!(error = %e, "outbox: a round failed; trying again"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// One round: marks messages whose sender stopped mid-send as in
    /// doubt, then claims and sends what is due. Returns how many it
    /// handled.
    pub async fn send_due(&self) -> Result<usize, smp_store::StoreError> {
        let now = now_ms();
        let doubtful = self.store.expire_in_doubt(now).await?;
        if doubtful > 0 {
            tracing::warn!(doubtful, "outbox: messages left mid-send by a stopped sender are marked failed");
        }
        let lease = self.config.lease.as_millis() as i64;
        let claimed = self.store.claim_due(&self.instance, now, lease, BATCH).await?;
        let handled = claimed.len();
        // Each studio's settings read once a round, however many messages.
        let mut settings = HashMap::new();
        for message in claimed {
            let outcome = self.send(&message, &mut settings).await;
            match &outcome {
                SendOutcome::Sent => tracing::info!(id = %message.id, kind = %message.kind, "outbox: sent"),
                SendOutcome::Retry { error, .. } => {
                    tracing::warn!(id = %message.id, error = %error, "outbox: will try again")
                }
                SendOutcome::Failed(error) => {
                    tracing::warn!(id = %message.id, error = %error, "outbox: failed")
                }
            }
            if !self.store.finish_send(&self.instance, &message.id, &outcome).await? {
                tracing::warn!(id = %message.id, "outbox: the claim ended before the send did");
            }
        }
        Ok(handled)
    }

    /// One message's try.
    async fn send(
        &self,
        message: &OutboxMessage,
        known: &mut HashMap<String, Option<MailSettings>>,
    ) -> SendOutcome {
        let settings = match known.get(&message.studio_id) {
            Some(settings) => settings.clone(),
            None => match self.store.studio(&StudioId(message.studio_id.clone())).mail_settings().await {
                Ok(settings) => {
                    known.insert(message.studio_id.clone(), settings.clone());
                    settings
                }
                Err(e) => return self.retry(message, format!("the database did not answer: {e}")),
            },
        };
        let Some(settings) = settings.filter(|s| s.enabled) else {
            return SendOutcome::Failed("The studio's e-mail is switched off.".into());
        };
        let Some(url) = settings.smtp_url.clone().or_else(|| self.default_smtp.clone()) else {
            return SendOutcome::Failed("No SMTP server is set for the studio.".into());
        };
        let email = match compose(message, &settings.from, settings.reply_to.as_deref()) {
            Ok(email) => email,
            Err(why) => return SendOutcome::Failed(why),
        };
        let transport = match transport(&url) {
            Ok(t) => t.timeout(Some(self.config.timeout)).build::<Tokio1Executor>(),
            Err(why) => return SendOutcome::Failed(why),
        };
        match transport.send(email).await {
            Ok(_) => SendOutcome::Sent,
            Err(e) if e.is_permanent() => SendOutcome::Failed(format!("the mail server refused it: {e}")),
            Err(e) => self.retry(message, format!("the mail server did not take it: {e}")),
        }
    }

    /// Another try after the pause for this attempt, or failure after the
    /// last.
    fn retry(&self, message: &OutboxMessage, error: String) -> SendOutcome {
        let done = usize::try_from(message.attempts).unwrap_or(usize::MAX);
        match self.config.backoff.get(done.saturating_sub(1)) {
            Some(pause) => SendOutcome::Retry { error, at: now_ms() + pause.as_millis() as i64 },
            None => SendOutcome::Failed(format!("{error} (gave up after {done} tries)")),
        }
    }
}

/// The SMTP transport for `url`: `smtp://host[:port]` uses TLS when the
/// server offers it (add `?tls=required` to insist), `smtps://` is TLS
/// from the start.
fn transport(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    let url = if url.starts_with("smtp://") && !url.contains("tls=") {
        format!("{url}{}tls=opportunistic", if url.contains('?') { "&" } else { "?" })
    } else {
        url.to_string()
    };
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map_err(|e| format!("the SMTP address is not usable: {e}"))
}

/// Whether `url` is an SMTP address the sender can use.
pub(crate) fn check_smtp_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err("An SMTP address starts with smtp:// or smtps://.".into());
    }
    transport(url).map(|_| ())
}

/// The message as e-mail: plain text, the outbox id in its Message-ID, the
/// client's unsubscribe address in its List-Unsubscribe headers.
fn compose(message: &OutboxMessage, from: &str, reply_to: Option<&str>) -> Result<Message, String> {
    let mailbox = |what: &str, address: &str| {
        address.parse::<Mailbox>().map_err(|_| format!("{what} {address:?} is not an e-mail address"))
    };
    let mut builder = Message::builder()
        .from(mailbox("The sender", from)?)
        .to(mailbox("The client's address", &message.to)?)
        .subject(&message.subject)
        .message_id(Some(format!("<{}@smp-studio>", message.id)))
        .header(ContentType::TEXT_PLAIN);
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(mailbox("The reply-to address", reply_to)?);
    }
    // The mail client's own unsubscribe button, one click (RFC 2369 and
    // RFC 8058: it POSTs to the same page the link in the text opens).
    if let Some(url) = &message.unsubscribe_url {
        let raw =
            |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        builder = builder
            .raw_header(raw("List-Unsubscribe", format!("<{url}>")))
            .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()));
    }
    builder.body(message.body.clone()).map_err(|e| format!("the message could not be written: {e}"))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
