//! Forms before the visit: the link from the chart (e-mailed through the
//! outbox), the client's answers at home, screened and kept as theirs, the
//! link spent.

use std::time::Duration;

use smp_web::mail_sender::{MailSender, SenderConfig};

use crate::smtp::{SmtpSink, header};
use crate::support::*;

/// Answers to the health questions as the phone sends them, with the
/// isotretinoin question ticked and its date as given.
fn answers(birth_date: &str, last_dose: &str) -> String {
    format!(
        "birth_date={birth_date}&medication_isotretinoin=on&medication_isotretinoin_last_dose={last_dose}"
    )
}

#[tokio::test]
async fn a_client_answers_the_health_questions_at_home_through_a_link_that_works_once() {
    let sink = SmtpSink::start(0, 0.0);
    let app = app().await;
    let Cast { a, pia: (pia, _), fred: (fred, fred_csrf), pia_user, .. } = cast(&app, "A").await;
    // E-mail set up by an admin; the consent text published.
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let form = format!(
        "csrf={csrf}&enabled=on&from=studio%40example.org&reminder_hours=48&smtp_url={}",
        sink.url.replace(':', "%3A").replace('/', "%2F")
    );
    assert_eq!(app.post("/admin/email").by(&ada).form(&form).await.status, StatusCode::SEE_OTHER);
    let studio = app.store.studio(&a);
    studio.publish_consent_text(None, smp_clinic::DEFAULT_CONSENT_TEXT).await.unwrap();
    let fields = smp_store::ClientFields {
        full_name: "Marta Ruiz".into(),
        email: Some("marta@example.net".into()),
        birth_date: Some("1984-03-09".into()),
        ..Default::default()
    };
    let client = studio.create_client(&pia_user, &fields).await.unwrap();

    // The front desk sends the forms from the chart: e-mailed, and shown to copy.
    let r = app
        .post(&format!("/clients/{}/previsit", client.id))
        .by(&fred)
        .form(&format!("csrf={fred_csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("on its way to marta@example.net") && r.body.contains("data-copy="),
        "{}",
        r.body
    );
    let link = r.body.split("data-copy=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let path = link[link.find("/forms/").unwrap()..].to_string();
    MailSender::new(app.store.clone(), None, SenderConfig::default()).send_due().await.unwrap();
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(header(&got[0], "Subject").unwrap().contains("a few health questions"));
    assert!(got[0].contains(&path), "the e-mail carries the link: {}", got[0]);

    // Logged out, on a phone: the questions, the consent text to read,
    // nothing of the record beyond the first name.
    let r = app.get(&path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Hello Marta.") && !r.body.contains("Ruiz") && !r.body.contains("1984-03-09"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("The consent you will sign at your visit") && r.body.contains("Isotretinoin"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Log out"), "no staff header");

    // A missing date: said beside the answer, everything typed kept.
    let r = app.post(&path).form(&answers("1984-03-09", "")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("When was the last dose?") && r.body.contains("value=\"1984-03-09\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("name=\"medication_isotretinoin\" checked"), "{}", r.body);

    // Sent twice at once (a double tap): one is taken, the other finds the
    // link spent.
    let dose = (chrono::Utc::now().date_naive() - chrono::Days::new(60)).to_string();
    let body = answers("1984-03-09", &dose);
    let (one, two) = tokio::join!(app.post(&path).form(&body), app.post(&path).form(&body));
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::NOT_FOUND]);
    let thanks = if one.status == StatusCode::OK { one.body } else { two.body };
    assert!(thanks.contains("Your answers reached"), "{thanks}");
    for outcome in ["postpone", "Postpone", "proceed", "refer", "isotretinoin"] {
        assert!(!thanks.contains(outcome), "the client never sees the outcome: {thanks}");
    }
    let screenings = studio.screenings(&client.id).await.unwrap();
    assert_eq!(screenings.len(), 1);
    assert!(screenings[0].submitted_by_client && screenings[0].outcome == "postpone", "{screenings:?}");

    // The chart says whose answers they are, and that the link was used.
    let chart = app.get(&format!("/clients/{}", client.id)).by(&pia).await.body;
    assert!(chart.contains("by the client at home, through the pre-visit link fred made"), "{chart}");
    assert!(chart.contains("answered on"), "{chart}");

    // Spent, and unknown: one and the same page.
    let spent = app.get(&path).await;
    let unknown = app.get("/forms/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").await;
    assert_eq!((spent.status, unknown.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(spent.body, unknown.body);
    assert_eq!(app.post(&path).form(&body).await.status, StatusCode::NOT_FOUND);
    assert_eq!(studio.screenings(&client.id).await.unwrap().len(), 1, "nothing more stored");
}

#[tokio::test]
async fn a_studio_may_let_clients_sign_the_consent_at_home_and_the_record_says_so() {
    let app = app().await;
    let Cast { a, pia: (pia, _), pia_user, .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let studio = app.store.studio(&a);
    let text = studio.publish_consent_text(None, smp_clinic::DEFAULT_CONSENT_TEXT).await.unwrap();
    let client = studio
        .create_client(
            &pia_user,
            &smp_store::ClientFields { full_name: "Ines Home".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let link = async || {
        let token = studio.make_previsit_link(&client.id, &pia_user, 14, None).await.unwrap().unwrap();
        format!("/forms/{token}")
    };
    let signed = |agree: bool, name: &str, signature: &str| {
        format!(
            "{}&text_id={}{}&signed_name={name}&signature={signature}",
            answers("1984-03-09", "2026-01-10"),
            text.id,
            if agree { "&agree=on" } else { "" }
        )
    };

    // Off (the default): the text to read, no signature pad; a signature
    // sent anyway is not taken.
    let path = link().await;
    let page = app.get(&path).await.body;
    assert!(
        page.contains("The consent you will sign at your visit") && !page.contains("signature-pad"),
        "{page}"
    );
    let r = app.post(&path).form(&signed(true, "Ines+Home", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(studio.consents(&client.id).await.unwrap().is_empty());

    // An admin switches it on: the pad is there, and signing stays optional.
    let r = app.post("/admin/studio/consent-at-home").by(&ada).form(&format!("csrf={csrf}&allowed=on")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let path = link().await;
    let page = app.get(&path).await.body;
    assert!(page.contains("signature-pad") && page.contains("/assets/signature.js"), "{page}");
    // Begun but not finished: said beside the signature, the rest kept.
    let r = app.post(&path).form(&signed(false, "Ines+Home", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("signature-error") && r.body.contains("value=\"Ines Home\""), "{}", r.body);
    assert!(r.body.contains("value=\"2026-01-10\""), "the answers are kept");
    let r = app.post(&path).form(&signed(true, "Ines+Home", &drawn_signature(false))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("empty"), "{}", r.body);
    let r = app.post(&path).form(&signed(true, "Ines+Home", &drawn_signature(true))).await;
    assert!(r.status.is_success() && r.body.contains("Thank you"), "{}", r.body);
    let consents = studio.consents(&client.id).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert!(consents[0].at_home && consents[0].signed_name == "Ines Home");
    let chart = app.get(&format!("/clients/{}", client.id)).by(&pia).await.body;
    assert!(chart.contains("the client at home, through pia&#39;s link"), "{chart}");
    let record = app.get(&format!("/clients/{}/consents/{}", client.id, consents[0].id)).by(&pia).await.body;
    assert!(record.contains("by the client at home, through the pre-visit link pia made"), "{record}");
    // Answers alone, without signing: no consent, none needed.
    let path = link().await;
    let r = app.post(&path).form(&answers("1984-03-09", "2026-01-10")).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(studio.consents(&client.id).await.unwrap().len(), 1);
}
