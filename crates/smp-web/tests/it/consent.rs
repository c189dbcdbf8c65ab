//! Consents: signed, shown, superseded, never edited.

use crate::support::*;

#[tokio::test]
async fn consents_are_signed_shown_superseded_and_never_edited() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    staff(&app, &a, "fred").await;
    app.store.create_user(&b, "bo", Role::Practitioner, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let (fred, fred_csrf) = login(&app, "fred", "a long password").await;
    let (bo, bo_csrf) = login(&app, "bo", "a long password").await;
    let chart = app
        .post("/clients")
        .by(&fred)
        .form(&format!("csrf={fred_csrf}&full_name=Ivy+Ink"))
        .await
        .location
        .unwrap();
    let form_url = format!("{chart}/consent");

    // The front desk takes the consent: the studio's text, version 1.
    let r = app.get(&form_url).by(&fred).await;
    assert!(r.status.is_success() && r.body.contains("Consent to scalp micropigmentation"), "{}", r.body);
    assert!(r.body.contains("Version 1") && r.body.contains("/assets/signature.js"));
    let text_id =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let sign = |csrf: &str, agree: bool, name: &str, signature: &str| {
        format!(
            "csrf={csrf}&text_id={text_id}{}&signed_name={name}&signature={signature}",
            if agree { "&agree=on" } else { "" }
        )
    };

    // Each thing missing gets its own message, and the typed name is kept.
    let r =
        app.post(&form_url).by(&fred).form(&sign(&fred_csrf, false, "Ivy+Ink", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("read and understood") && r.body.contains("value=\"Ivy Ink\""), "{}", r.body);
    let r =
        app.post(&form_url).by(&fred).form(&sign(&fred_csrf, true, "Ivy+Ink", &drawn_signature(false))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("empty"), "{}", r.body);
    let r = app.post(&form_url).by(&fred).form(&sign(&fred_csrf, true, "Ivy+Ink", "")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("sign in the box"), "{}", r.body);
    let r = app.post(&form_url).by(&fred).form(&sign(&fred_csrf, true, "+", &drawn_signature(true))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("full name"), "{}", r.body);
    let r =
        app.post(&form_url).by(&fred).form(&sign("forged", true, "Ivy+Ink", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r =
        app.post(&form_url).by(&fred).form(&sign(&fred_csrf, true, "Ivy+Ink", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let record = r.location.unwrap();
    let r = app.get(&record).by(&fred).await;
    assert!(
        r.body.contains("In force") && r.body.contains("Ivy Ink") && r.body.contains("fred"),
        "{}",
        r.body
    );
    let r = app.get(&format!("{record}/signature.png")).by(&ada).await;
    assert_eq!(r.content_type.as_deref(), Some("image/png"));
    assert_eq!(image::load_from_memory(&r.bytes).unwrap().width(), 400);

    // The admin publishes a new text; the client signs again under it, and
    // the first record stays as signed, marked superseded.
    let r = app
        .post("/admin/studio")
        .by(&ada)
        .form(&format!("csrf={csrf}&name=A&time_zone=UTC&day_mon=on&consent_text=Version+two+text."))
        .await;
    assert!(r.status.is_success() && r.body.contains("version 2"), "{}", r.body);
    let r = app.get(&form_url).by(&ada).await;
    assert!(r.body.contains("Version two text."));
    let r = app.post(&form_url).by(&ada).form(&sign(&csrf, true, "Ivy+Ink", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the form carried version 1's id");
    assert!(r.body.contains("changed while") && r.body.contains("Version two text."), "{}", r.body);
    let text_v2 =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let again = sign(&csrf, true, "Ivy+Ink", &drawn_signature(true)).replace(&text_id, &text_v2);
    let r = app.post(&form_url).by(&ada).form(&again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&record).by(&ada).await;
    assert!(r.body.contains("Superseded") && r.body.contains("Consent to scalp micropigmentation"));
    let r = app.get(&chart).by(&fred).await;
    assert!(
        r.body.contains("superseded") && r.body.contains("in force") && r.body.contains("Consent signed")
    );

    // Another studio reaches none of it.
    for url in [&form_url, &record, &format!("{record}/signature.png")] {
        assert_eq!(app.get(url).by(&bo).await.status, StatusCode::NOT_FOUND, "{url}");
    }
    let r = app.post(&form_url).by(&bo).form(&sign(&bo_csrf, true, "Ivy", &drawn_signature(true))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&form_url).await.location.as_deref(), Some("/login"));

    let actions: Vec<String> =
        app.store.studio(&a).audit_log(50).await.unwrap().into_iter().map(|e| e.action).collect();
    for action in ["sign-consent", "view-consent", "publish-consent-text"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}
