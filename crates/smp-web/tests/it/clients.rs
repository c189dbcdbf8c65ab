//! Clients and their chart: within their studio only, corrections with history, duplicates, erasure on request.

use crate::support::*;

#[tokio::test]
async fn clients_are_charted_within_their_studio_only() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    staff(&app, &a, "amy").await;
    staff(&app, &b, "bea").await;
    let (amy, amy_csrf) = login(&app, "amy", "a long password").await;
    let (bea, _) = login(&app, "bea", "a long password").await;

    let r = app
        .post("/clients")
        .by(&amy)
        .form(&format!("csrf={amy_csrf}&full_name=Carl+Client&phone=0123"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let chart = r.location.unwrap();
    let r = app.get(&chart).by(&amy).await;
    assert!(r.status.is_success() && r.body.contains("Carl Client") && r.body.contains("0123"));
    let r = app.get("/clients?q=carl").by(&amy).await;
    assert!(r.body.contains("Carl Client"));

    // The other studio sees nothing of it.
    let r = app.get(&chart).by(&bea).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/clients?q=carl").by(&bea).await;
    assert!(!r.body.contains("Carl Client"));

    // A form without the session's CSRF token changes nothing.
    let r = app.post("/clients").by(&amy).form("csrf=forged&full_name=Eve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post("/clients").by(&amy).form("full_name=Eve").await;
    assert!(r.status.is_client_error());
    assert!(!app.get("/clients").by(&amy).await.body.contains("Eve"));

    // Bad input gets a message and keeps what was typed.
    let r = app
        .post("/clients")
        .by(&amy)
        .form(&format!("csrf={amy_csrf}&full_name=+&email=kept%40example.org"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("needs a name") && r.body.contains("kept@example.org"), "{}", r.body);
    // E-mail, phone and birth date are checked and bounded (a 60 KB e-mail
    // and any text as a birth date were accepted).
    for (field, value, message) in [
        ("email", "a".repeat(60_000) + "@example.org", "E-mail"),
        ("email", "not-an-address".to_string(), "E-mail"),
        ("phone", "7".repeat(100), "Phone"),
        ("phone", "call me maybe".to_string(), "Phone"),
        ("birth_date", "last spring".to_string(), "Birth date"),
        ("birth_date", "2999-01-01".to_string(), "Birth date"),
        ("birth_date", "1985-02-30".to_string(), "Birth date"),
    ] {
        let form = format!("csrf={amy_csrf}&full_name=Ivy+Ink&{field}={}", value.replace(' ', "+"));
        let r = app.post("/clients").by(&amy).form(&form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}={value:.40}");
        assert!(r.body.contains(message) && r.body.contains("value=\"Ivy Ink\""), "{field}: {:.300}", r.body);
    }
    let good = format!(
        "csrf={amy_csrf}&full_name=Ivy+Ink&email=ivy%40example.org&phone=%2B34+600+000+000&birth_date=1985-02-28"
    );
    assert_eq!(app.post("/clients").by(&amy).form(&good).await.status, StatusCode::SEE_OTHER);

    // Logging out ends the session.
    let r = app.post("/logout").by(&amy).form(&format!("csrf={amy_csrf}")).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(app.get("/clients").by(&amy).await.location.as_deref(), Some("/login"));
}

/// A client's record is erased at their request by an admin, after a page
/// that lists what goes and what stays and a typed confirmation: the name,
/// contact details, health answers, photos (files too), designs and plan go;
/// the signed consents, session records and audit log stay; nothing new can
/// be added to it, and it no longer appears in searches.
#[tokio::test]
async fn a_client_is_erased_on_request_keeping_what_the_law_allows() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, ada_csrf) = login(&app, "ada", "a long password").await;
    let (chart, _) = client_with_photo(&app, &pia, &csrf, "Ivy Erase").await;
    let id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &id, "proceed", None, true).await;
    let studio = app.store.studio(&a);
    let passport = r#"{"duration_min": 200}"#;
    studio.record_session(&id, &pia_user, "2026-12-01", 1, None, passport, None).await.unwrap().unwrap();
    assert!(studio.record_head(&id, &pia_user, [549.0, 295.0, 327.0]).await.unwrap());
    assert_eq!(app.stored(&a).await.len(), 3);

    let erase = format!("{chart}/erase");
    for who in [&pia, &fred] {
        assert_eq!(app.get(&erase).by(who).await.status, StatusCode::FORBIDDEN);
    }
    let r = app.get(&chart).by(&ada).await;
    assert!(r.body.contains(&format!("href=\"{erase}\"")), "admins find it on the chart");
    let r = app.get(&erase).by(&ada).await;
    assert!(r.status.is_success(), "{}", r.body);
    for listed in ["1 health screening", "1 photo, with their files", "1 signed consent", "1 session record"]
    {
        assert!(r.body.contains(listed), "{listed} in {}", r.body);
    }
    // The wrong name: refused beside the form, what was typed kept.
    let r =
        app.post(&erase).by(&ada).form(&format!("csrf={ada_csrf}&name=Ivy&reason=E-mail+of+30+Nov")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Type the client&#39;s name, Ivy Erase") && r.body.contains("E-mail of 30 Nov"),
        "{}",
        r.body
    );
    assert_eq!(studio.client(&id).await.unwrap().unwrap().full_name, "Ivy Erase", "nothing erased");
    let r = app
        .post(&erase)
        .by(&ada)
        .form(&format!("csrf={ada_csrf}&name=ivy+erase&reason=E-mail+of+30+Nov"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let client = studio.client(&id).await.unwrap().unwrap();
    assert_eq!((client.full_name.as_str(), client.email, client.phone), ("Erased client", None, None));
    assert!(studio.screenings(&id).await.unwrap().is_empty() && studio.photos(&id).await.unwrap().is_empty());
    assert!(studio.head_measurements(&id).await.unwrap().is_empty(), "the head's measurements go too");
    assert!(studio.designs(&id).await.unwrap().is_empty());
    assert!(app.stored(&a).await.is_empty(), "the photo files went too");
    assert_eq!(studio.consents(&id).await.unwrap().len(), 1, "the consent is kept");
    assert_eq!(studio.treatment_sessions(&id).await.unwrap().len(), 1, "the session record is kept");
    let r = app.get(&chart).by(&pia).await;
    assert!(r.body.contains("Erased on") && r.body.contains("E-mail of 30 Nov"), "{}", r.body);
    assert!(!r.body.contains("Record a session"), "no actions on an erased record");
    assert!(studio.search_clients("", 100).await.unwrap().iter().all(|c| c.id != id));
    // Nothing new lands on it.
    let r = app
        .post(&format!("{chart}/intake"))
        .by(&pia)
        .form(&format!("csrf={csrf}&consultation_date=2026-12-01"))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(studio.screenings(&id).await.unwrap().is_empty());
    assert_eq!(app.get(&erase).by(&ada).await.status, StatusCode::GONE);
    let log = studio.audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "erase-client" && e.staff_name == "ada"));
}

/// A client's details are corrected in place, by any staff member: the old
/// values are kept and shown, the change is audited. The same person twice
/// (name and birth date, e-mail or phone) is shown before a new client is
/// saved, and saved only when confirmed as someone else.
#[tokio::test]
async fn details_are_corrected_with_their_history_and_duplicates_are_caught() {
    let app = app().await;
    let Cast { a, fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let new_client = |extra: &str| {
        format!("csrf={fred_csrf}&full_name=Ivy+Ink&birth_date=1985-04-02&email=ivy%40example.org{extra}")
    };
    let chart = app.post("/clients").by(&fred).form(&new_client("")).await.location.unwrap();
    let details = format!("{chart}/details");
    let r = app.get(&details).by(&fred).await;
    assert!(r.status.is_success() && r.body.contains("value=\"ivy@example.org\""), "{}", r.body);

    // A typo in the e-mail, corrected; then a bad phone refused beside the form.
    let fix = format!(
        "csrf={fred_csrf}&full_name=Ivy+Ink&birth_date=1985-04-02&email=ivy.ink%40example.org&phone="
    );
    let r = app.post(&details).by(&fred).form(&fix).await;
    assert_eq!(r.location.as_deref(), Some(chart.as_str()), "{}", r.body);
    let r = app.post(&details).by(&fred).form(&format!("{fix}call+me")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Phone") && r.body.contains("value=\"call me\""), "{}", r.body);
    let r = app.get(&details).by(&fred).await;
    assert!(
        r.body.contains("ivy@example.org") && r.body.contains("changed by fred"),
        "the old value stays: {}",
        r.body
    );
    assert!(app.get(&chart).by(&fred).await.body.contains("ivy.ink@example.org"));
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "edit-client" && e.staff_name == "fred"));

    // The same person again: shown, not saved, until confirmed.
    let again = new_client("").replace("ivy%40example.org", "other%40example.org");
    let r = app.post("/clients").by(&fred).form(&again).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("may be a client you already have") && r.body.contains(&chart), "{}", r.body);
    assert_eq!(app.store.studio(&a).search_clients("Ivy", 10).await.unwrap().len(), 1, "not saved yet");
    let r = app.post("/clients").by(&fred).form(&format!("{again}&not_a_duplicate=on")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.studio(&a).search_clients("Ivy", 10).await.unwrap().len(), 2);

    // Another studio can neither read nor correct the details.
    assert_eq!(app.get(&details).by(&bo).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&details).by(&bo).form(&fix.replace(&fred_csrf, &bo_csrf)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_head_is_measured_checked_and_every_measuring_kept() {
    let app = app().await;
    let Cast { pia: (pia, csrf), fred: (fred, _), bo: (bo, _), .. } = cast(&app, "A").await;
    let (chart, _) = client_with_photo(&app, &pia, &csrf, "Hal Head").await;
    let head = format!("{chart}/head");
    assert!(app.get(&chart).by(&pia).await.body.contains(&format!("href=\"{head}\"")));
    let page = app.get(&head).by(&pia).await;
    assert!(page.status.is_success() && page.body.contains("Not measured yet"), "{}", page.body);

    // Three that fit no head: refused beside the form, what was typed kept.
    let r = app
        .post(&head)
        .by(&pia)
        .form(&format!("csrf={csrf}&circumference_mm=780&ear_to_ear_mm=160&front_to_back_mm=160"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("do not fit one head") && r.body.contains("value=\"780\""), "{}", r.body);
    let r = app
        .post(&head)
        .by(&pia)
        .form(&format!("csrf={csrf}&circumference_mm=lots&ear_to_ear_mm=295&front_to_back_mm=327"))
        .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("Around the head: &#34;lots&#34; is not a number"),
        "{}",
        r.body
    );

    // Kept, twice: both listed, the newest in the form.
    for around in ["549", "552.5"] {
        let r = app
            .post(&head)
            .by(&pia)
            .form(&format!("csrf={csrf}&circumference_mm={around}&ear_to_ear_mm=295&front_to_back_mm=327"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = app.get(&head).by(&pia).await.body;
    assert!(page.contains("value=\"552.5\"") && page.contains("549 · 295 · 327 mm"), "{page}");
    assert!(page.contains("a head 152 mm wide, 196 mm long"), "{page}");

    // The front desk does not measure; another studio finds nothing.
    assert_eq!(app.get(&head).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&head).by(&bo).await.status, StatusCode::NOT_FOUND);
}
