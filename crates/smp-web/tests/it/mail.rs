//! E-mail to clients through the outbox, against a real SMTP server
//! process: what is written when, what arrives, retries, a sender stopped
//! mid-send, two senders on one database, unsubscribing.

use std::time::Duration;

use smp_web::mail_sender::{MailSender, SenderConfig};

use crate::smtp::{SmtpSink, header};
use crate::support::*;

/// A sender that tries again at once (the tests do not wait minutes).
fn quick(tries: usize) -> SenderConfig {
    SenderConfig {
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(600),
        backoff: vec![Duration::ZERO; tries.saturating_sub(1)],
        timeout: Duration::from_secs(20),
    }
}

/// An admin of studio `a`, logged in, with e-mail set up to `smtp`.
async fn mail_admin(app: &App, a: &StudioId, smtp: &str) -> (String, String) {
    app.store.create_user(a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(app, "ada", "a long password").await;
    let form = format!(
        "csrf={csrf}&enabled=on&from=studio%40example.org&reply_to=desk%40example.org&reminder_hours=48&smtp_url={}",
        smtp.replace(':', "%3A").replace('/', "%2F")
    );
    let r = app.post("/admin/email").by(&ada).form(&form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (ada, csrf)
}

/// A recorded session's form: the first, on `date`, following `design`.
fn session_form(csrf: &str, design: &str, date: chrono::NaiveDate) -> String {
    format!(
        "csrf={csrf}&health_unchanged=on&design_id={design}&date={date}&number=1&zones=front&pigment_brand=Ink\
         &pigment_batch=B1&pigment_expiry=2030-01-01&dilution=0.6&needle=3RL&needle_mm=0.25&machine=3.5+mm\
         &anaesthetic=none&duration_min=200&pain=3&notes="
    )
}

/// A screened client with a design and an e-mail address.
async fn client_with_email(app: &App, a: &StudioId, staff: &smp_store::User) -> (smp_store::Client, String) {
    let (client, design) = screened_client_with_design(app, a, staff, "Marta Ruiz Ortega").await;
    let fields = smp_store::ClientFields {
        full_name: client.full_name.clone(),
        email: Some("marta@example.net".into()),
        ..Default::default()
    };
    assert!(app.store.studio(a).update_client(staff, &client.id, &fields).await.unwrap());
    (client, design.id)
}

#[tokio::test]
async fn planning_a_session_sends_its_confirmation_and_keeps_its_reminder_until_due() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    mail_admin(&app, &a, &sink.url).await;
    let (client, design) = client_with_email(&app, &a, &pia_user).await;
    let url = format!("/clients/{}/plan", client.id);
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(5);
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&design_id={design}&start={start}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let studio = app.store.studio(&a);
    let outbox = studio.client_messages(&client.id).await.unwrap();
    // Three sessions: three confirmations due now, three reminders later.
    let count = |kind: &str| outbox.iter().filter(|m| m.kind == kind).count();
    assert_eq!((count("session-planned"), count("session-reminder")), (3, 3), "{outbox:#?}");

    let sender = MailSender::new(app.store.clone(), None, quick(3));
    assert_eq!(sender.send_due().await.unwrap(), 3, "the confirmations, not the reminders");
    let got = sink.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3);
    let first = got.iter().find(|m| header(m, "Subject").unwrap().starts_with("Your session 1 ")).unwrap();
    assert_eq!(header(first, "From").as_deref(), Some("studio@example.org"));
    assert_eq!(header(first, "Reply-To").as_deref(), Some("desk@example.org"));
    assert_eq!(header(first, "To").as_deref(), Some("marta@example.net"));
    assert!(header(first, "Message-ID").unwrap().ends_with("@smp-studio>"));
    assert!(header(first, "Content-Type").unwrap().starts_with("text/plain"));
    let day = start.format("%A %-d %B %Y").to_string();
    assert!(first.contains("Hello Marta,") && first.contains(&day), "{first}");
    assert!(!first.contains("Ruiz"), "the first name only: {first}");
    assert!(first.contains("/unsubscribe/"), "{first}");
    // The mail client's own one-click button: the same address as the text's.
    let offered = header(first, "List-Unsubscribe").unwrap();
    let address = offered.trim_start_matches('<').trim_end_matches('>');
    assert!(address.contains("/unsubscribe/") && first.contains(address), "{first}");
    assert_eq!(header(first, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    // Nothing twice.
    assert_eq!(sender.send_due().await.unwrap(), 0);

    // The chart shows the messages, sent and pending, to every role.
    let chart = app.get(&format!("/clients/{}", client.id)).by(&fred).await.body;
    assert!(chart.contains("Messages go to marta@example.net"), "{chart}");
    assert_eq!(chart.matches("state-sent").count(), 3);
    assert_eq!(chart.matches("state-pending").count(), 3);

    // Session 1 moved a day later: its reminder moves, and it is confirmed
    // again at its new date; the others are left as they were.
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    let moved = start + chrono::Days::new(1);
    let dates = format!("date_1={moved}&date_2={}&date_3={}", plan.sessions[1].date, plan.sessions[2].date);
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&{dates}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let outbox = studio.client_messages(&client.id).await.unwrap();
    let of = |kind: &str, state: smp_store::MessageState| {
        outbox.iter().filter(|m| m.kind == kind && m.state == state).count()
    };
    use smp_store::MessageState::*;
    assert_eq!(of("session-reminder", Withdrawn), 1, "{outbox:#?}");
    assert_eq!(of("session-reminder", Pending), 3);
    assert_eq!(of("session-planned", Pending), 1);
    assert_eq!(sender.send_due().await.unwrap(), 1);
    let got = sink.wait_for(4, Duration::from_secs(10)).await;
    assert!(got[3].contains(&moved.format("%A %-d %B %Y").to_string()), "{}", got[3]);
}

#[tokio::test]
async fn recording_a_session_schedules_aftercare_with_a_working_link_and_unsubscribing_stops_it() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    mail_admin(&app, &a, &sink.url).await;
    let (client, design) = client_with_email(&app, &a, &pia_user).await;
    // With a signed consent, as a session needs.
    screened(&app, &a, &pia_user, &client.id, "proceed", None, true).await;
    let studio = app.store.studio(&a);
    let today = chrono::Utc::now().date_naive();
    let form = session_form(&csrf, &design, today);
    let r = app.post(&format!("/clients/{}/sessions", client.id)).by(&pia).form(&form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let outbox = studio.client_messages(&client.id).await.unwrap();
    let kinds: Vec<&str> = outbox.iter().map(|m| m.kind.as_str()).collect();
    for kind in ["aftercare-day-3", "aftercare-day-7", "healing-check", "touch-up"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    // The touch-up reminder falls when the fading forecast says, years on.
    let touch_up = outbox.iter().find(|m| m.kind == "touch-up").unwrap();
    let years = (touch_up.due_at - chrono::Utc::now().timestamp_millis()) as f64 / (365.25 * 86_400_000.0);
    assert!((1.0..15.0).contains(&years), "due in {years:.1} years");
    // A later session's forecast replaces it.
    let later = smp_store::NewMessage {
        kind: touch_up.kind.clone(),
        key: "due:2035-01-01".into(),
        to: touch_up.to.clone(),
        subject: touch_up.subject.clone(),
        body: touch_up.body.clone(),
        due_at: touch_up.due_at + 1,
        unsubscribe_url: None,
    };
    let mail = smp_store::SessionMail { touch_up: Some(later), ..Default::default() };
    studio
        .record_session(&client.id, &pia_user, &today.to_string(), 2, None, "{}", Some(&mail))
        .await
        .unwrap();
    let touch_ups: Vec<_> = studio
        .client_messages(&client.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "touch-up")
        .collect();
    let pending = touch_ups.iter().filter(|m| m.state == smp_store::MessageState::Pending).count();
    assert_eq!((touch_ups.len(), pending), (2, 1), "{touch_ups:#?}");
    // The link in them opens the client's aftercare page, logged out.
    let day3 = outbox.iter().find(|m| m.kind == "aftercare-day-3").unwrap();
    let link = day3.body.split_whitespace().find(|w| w.contains("/aftercare/")).unwrap();
    let path = &link[link.find("/aftercare/").unwrap()..];
    let page = app.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");

    // Unsubscribing: a page with one button; the button stops the optional
    // messages, the chart says so.
    let unsubscribe = day3.body.split_whitespace().find(|w| w.contains("/unsubscribe/")).unwrap();
    let path = &unsubscribe[unsubscribe.find("/unsubscribe/").unwrap()..];
    let r = app.get(path).await;
    assert!(r.status.is_success() && r.body.contains("Stop these messages"), "{}", r.body);
    assert!(
        studio
            .client_messages(&client.id)
            .await
            .unwrap()
            .iter()
            .any(|m| m.state == smp_store::MessageState::Pending)
    );
    // As a mail client's one-click button sends it (RFC 8058).
    let r = app.post(path).form("List-Unsubscribe=One-Click").await;
    assert!(r.status.is_success() && r.body.contains("Done"), "{}", r.body);
    let after = studio.client_messages(&client.id).await.unwrap();
    assert!(
        after
            .iter()
            .filter(|m| m.kind.starts_with("aftercare") || m.kind == "healing-check")
            .all(|m| m.state == smp_store::MessageState::Withdrawn),
        "{after:#?}"
    );
    let chart = app.get(&format!("/clients/{}", client.id)).by(&pia).await.body;
    assert!(chart.contains("stopped the optional ones"), "{chart}");
    assert_eq!(app.get("/unsubscribe/not-a-token").await.status, StatusCode::NOT_FOUND);
    // Erasing the record takes its messages with it.
    let admin = studio.users().await.unwrap().into_iter().find(|u| u.name == "ada").unwrap();
    studio.erase_client(&admin, &client.id, "asked").await.unwrap().unwrap();
    assert!(studio.client_messages(&client.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_server_that_refuses_at_first_gets_the_message_later_and_a_lasting_refusal_reaches_the_admins() {
    let sink = SmtpSink::start(2, 0.0);
    let app = app().await;
    let Cast { a, .. } = cast(&app, "A").await;
    let (ada, csrf) = mail_admin(&app, &a, &sink.url).await;
    let r = app.post("/admin/email/test").by(&ada).form(&format!("csrf={csrf}&to=owner%40example.org")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sender = MailSender::new(app.store.clone(), None, quick(3));
    for _ in 0..3 {
        sender.send_due().await.unwrap();
    }
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "taken at the third try");
    assert!(header(&got[0], "Subject").unwrap().starts_with("A test message from"));

    // Refused every time: failed after the last try, shown to the admins,
    // sent again from there.
    let stubborn = SmtpSink::start(100, 0.0);
    let studio = app.store.studio(&a);
    let settings = smp_store::MailSettings {
        smtp_url: Some(stubborn.url.clone()),
        ..studio.mail_settings().await.unwrap().unwrap()
    };
    studio.save_mail_settings(&settings).await.unwrap();
    app.post("/admin/email/test").by(&ada).form(&format!("csrf={csrf}&to=owner%40example.org")).await;
    for _ in 0..4 {
        sender.send_due().await.unwrap();
    }
    let failed = studio.failed_messages().await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("gave up after 3 tries"), "{failed:?}");
    let page = app.get("/admin/email").by(&ada).await.body;
    assert!(page.contains("gave up after 3 tries") && page.contains("Send again"), "{page}");
    let r = app
        .post(&format!("/admin/email/again/{}", failed[0].id))
        .by(&ada)
        .form(&format!("csrf={csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(studio.failed_messages().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_sender_stopped_mid_send_never_sends_the_message_twice() {
    // The server keeps the message, then takes 3 s to say so.
    let sink = SmtpSink::start(0, 3.0);
    let app = app().await;
    let Cast { a, .. } = cast(&app, "A").await;
    let (ada, csrf) = mail_admin(&app, &a, &sink.url).await;
    app.post("/admin/email/test").by(&ada).form(&format!("csrf={csrf}&to=owner%40example.org")).await;
    let config = SenderConfig { lease: Duration::from_millis(800), ..quick(3) };
    let first = MailSender::new(app.store.clone(), None, config.clone());
    let sending = tokio::spawn(async move { first.send_due().await });
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    // Stopped before the acknowledgement: as a kill would.
    sending.abort();
    let _ = sending.await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    // Started again (a new instance): nothing is sent again.
    let again = MailSender::new(app.store.clone(), None, config);
    for _ in 0..3 {
        again.send_due().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "once");
    let failed = app.store.studio(&a).failed_messages().await.unwrap();
    assert_eq!(failed.len(), 1, "in doubt, for the admins");
    assert_eq!(failed[0].last_error.as_deref(), Some(smp_store::IN_DOUBT));
}

#[tokio::test]
async fn two_senders_on_one_database_send_each_message_once() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, .. } = cast(&app, "A").await;
    let (ada, csrf) = mail_admin(&app, &a, &sink.url).await;
    for i in 0..30 {
        let r = app
            .post("/admin/email/test")
            .by(&ada)
            .form(&format!("csrf={csrf}&to=owner{i}%40example.org"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let one = MailSender::new(app.store.clone(), None, quick(3));
    let two = MailSender::new(app.store.clone(), None, quick(3));
    let (mut by_one, mut by_two) = (0, 0);
    for _ in 0..10 {
        let (x, y) = tokio::join!(one.send_due(), two.send_due());
        by_one += x.unwrap();
        by_two += y.unwrap();
    }
    let got = sink.wait_for(30, Duration::from_secs(20)).await;
    let mut to: Vec<String> = got.iter().map(|m| header(m, "To").unwrap()).collect();
    to.sort();
    to.dedup();
    assert_eq!((got.len(), to.len(), by_one + by_two), (30, 30, 30), "each once");
    assert!(by_one > 0 && by_two > 0, "both sent: {by_one} and {by_two}");
}

#[tokio::test]
async fn the_email_settings_say_what_is_wrong_beside_each_field_and_keep_what_was_typed() {
    let app = app().await;
    let Cast { a, pia: (pia, pia_csrf), .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let r = app
        .post("/admin/email")
        .by(&ada)
        .form(&format!(
            "csrf={csrf}&enabled=on&from=not-an-address&reminder_hours=1000&smtp_url=http%3A%2F%2Fx"
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for said in
        ["id=\"from-error\"", "1 to 336", "smtp:// or smtps://", "value=\"not-an-address\"", "value=\"1000\""]
    {
        assert!(r.body.contains(said), "{said} in {}", r.body);
    }
    // An unknown placeholder in a text is refused, the text kept.
    let r = app
        .post("/admin/email/texts/session-reminder")
        .by(&ada)
        .form(&format!("csrf={csrf}&enabled=on&subject=Hi+%7Bname%7D&body=See+you"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("{name} is not a placeholder") && r.body.contains("value=\"Hi {name}\""),
        "{}",
        r.body
    );
    // Practitioners do not change it.
    assert_eq!(app.get("/admin/email").by(&pia).await.status, StatusCode::FORBIDDEN);
    let r = app.post("/admin/email").by(&pia).form(&format!("csrf={pia_csrf}&from=a%40b.c")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_report_sent_to_the_client_arrives_as_a_link_that_downloads_it_logged_out() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), pia_user, .. } = cast(&app, "A").await;
    mail_admin(&app, &a, &sink.url).await;
    let (client, design) = client_with_email(&app, &a, &pia_user).await;
    let studio = app.store.studio(&a);
    let pdf = b"%PDF-1.7 the consultation".to_vec();
    let report = studio.save_report(&client.id, &design, &pia_user, &pdf).await.unwrap().unwrap();
    let share = format!("/clients/{}/reports/{report}/share", client.id);
    assert_eq!(
        app.post(&share).by(&fred).form(&format!("csrf={fred_csrf}")).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post(&share).by(&pia).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("on its way to marta@example.net") && r.body.contains("<svg"), "{}", r.body);
    let shown = r.body.split("data-copy=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

    MailSender::new(app.store.clone(), None, quick(1)).send_due().await.unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(header(&got[0], "Subject").as_deref(), Some("Your consultation at A"));
    assert!(got[0].contains(&shown), "the e-mail carries the link shown: {}", got[0]);
    // Health never travels: not the screening, not the PDF itself.
    assert!(!got[0].contains("PDF-1.7") && !got[0].to_lowercase().contains("screening"), "{}", got[0]);
    assert!(header(&got[0], "List-Unsubscribe").is_some(), "{}", got[0]);
    let path = &shown[shown.find("/reports/").unwrap()..];
    let r = app.get(path).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("application/pdf")));
    assert_eq!(r.bytes, pdf);
    assert_eq!(r.cache_control.as_deref(), Some("private, no-store"));
    assert_eq!(app.get(&format!("{path}x")).await.status, StatusCode::NOT_FOUND);
    let shared = &studio.reports(&design).await.unwrap()[0].links;
    assert!(shared.len() == 1 && shared[0].opened_at.is_some(), "{shared:?}");
}

#[tokio::test]
async fn amending_a_sessions_date_moves_its_aftercare_messages_with_it() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    mail_admin(&app, &a, &sink.url).await;
    let (client, design) = client_with_email(&app, &a, &pia_user).await;
    screened(&app, &a, &pia_user, &client.id, "proceed", None, true).await;
    let studio = app.store.studio(&a);
    let today = chrono::Utc::now().date_naive();
    let fields = |date: chrono::NaiveDate| session_form(&csrf, &design, date);
    let r = app.post(&format!("/clients/{}/sessions", client.id)).by(&pia).form(&fields(today)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r.location.unwrap();
    let day3 = |messages: &[smp_store::OutboxMessage], state: smp_store::MessageState| {
        messages
            .iter()
            .filter(|m| m.kind == "aftercare-day-3" && m.state == state)
            .map(|m| m.due_at)
            .collect::<Vec<_>>()
    };
    let before = studio.client_messages(&client.id).await.unwrap();
    let first = day3(&before, smp_store::MessageState::Pending);
    assert_eq!(first.len(), 1);
    // The date was mistyped: the session was two days later.
    let later = today + chrono::Days::new(2);
    let form = format!("{}&reason=Date+mistyped", fields(later));
    let r = app.post(&format!("{session}/amend")).by(&pia).form(&form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = studio.client_messages(&client.id).await.unwrap();
    assert_eq!(day3(&after, smp_store::MessageState::Withdrawn), first, "the old day 3 is withdrawn");
    let moved = day3(&after, smp_store::MessageState::Pending);
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0] - first[0], 2 * 86_400_000, "day 3 of the amended date");
    // Its link opens the client's aftercare page.
    let body = &after.iter().find(|m| m.kind == "aftercare-day-3" && m.due_at == moved[0]).unwrap().body;
    let link = body.split_whitespace().find(|w| w.contains("/aftercare/")).unwrap();
    assert_eq!(app.get(&link[link.find("/aftercare/").unwrap()..]).await.status, StatusCode::OK);
    // An amendment that keeps the date leaves the messages as they are.
    let r =
        app.post(&format!("{session}/amend")).by(&pia).form(&format!("{}&reason=Batch", fields(later))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(studio.client_messages(&client.id).await.unwrap(), after);
}
