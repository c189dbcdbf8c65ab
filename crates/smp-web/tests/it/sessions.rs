//! Session records with their ink passport, amendments, aftercare links, the follow-up list.

use crate::support::*;

#[tokio::test]
async fn sessions_keep_their_ink_passport_and_hand_over_aftercare() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, _), pia_user, .. } =
        cast(&app, "Main Street SMP").await;
    let chart = app
        .post("/clients")
        .by(&pia)
        .form(&format!("csrf={csrf}&full_name=Ivy+Secret"))
        .await
        .location
        .unwrap();
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &client_id, "proceed", None, true).await;
    let r = app.get(&format!("{chart}/sessions/new")).by(&pia).await;
    assert!(
        r.status.is_success() && r.body.contains("name=\"number\" type=\"number\" value=\"1\""),
        "{}",
        r.body
    );
    // A tablet offers the keypad for decimals and room for a few lines of notes.
    assert!(r.body.contains("name=\"needle_mm\" type=\"text\" inputmode=\"decimal\""), "{}", r.body);
    assert!(r.body.contains("<textarea id=\"notes\" name=\"notes\""), "{}", r.body);

    let passport = |expiry: &str| {
        format!(
            "csrf={csrf}&health_unchanged=on&design_id=&date=2026-12-01&number=1&zones=front&pigment_brand=Perma+Blend&pigment_batch=L2311-07\
             &pigment_expiry={expiry}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=3.5+mm&anaesthetic=none\
             &duration_min=210&pain=3&notes=calm%0Aasked+about+sport"
        )
    };
    let r = app.post(&format!("{chart}/sessions")).by(&pia).form(&passport("2026-11-01")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("expired on 2026-11-01") && r.body.contains("value=\"L2311-07\""), "{}", r.body);
    assert!(r.body.contains("id=\"pigment_expiry-error\""), "the message sits by its field");
    let r = app.post(&format!("{chart}/sessions")).by(&pia).form(&passport("2027-06-30")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let session = r.location.unwrap();
    let r = app.get(&session).by(&pia).await;
    assert!(
        r.body.contains("L2311-07") && r.body.contains("Perma Blend") && r.body.contains("3RL"),
        "{}",
        r.body
    );
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "view-session" && e.staff_name == "pia"), "the view is audited");
    assert!(r.body.contains("No photo was uploaded on 2026-12-01"));
    assert!(r.body.contains("class=\"keep-lines\">calm\nasked about sport<"), "notes keep their lines");
    // A session recorded today lists the photos taken today.
    let today = chrono::Utc::now().date_naive().to_string();
    let r = app
        .post(&format!("{chart}/photos"))
        .by(&pia)
        .body(multipart(&[("csrf", &csrf), ("angle", "crown")], Some(("a.jpg", &phone_jpeg(64, 40)))))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let today_form = passport("2027-06-30")
        .replace("date=2026-12-01", &format!("date={today}"))
        .replace("number=1", "number=2");
    let r = app.post(&format!("{chart}/sessions")).by(&pia).form(&today_form).await;
    let r = app.get(&r.location.unwrap()).by(&pia).await;
    assert!(
        r.body.contains("Photos of the day") && r.body.contains("/thumbnail") && r.body.contains("crown"),
        "{}",
        r.body
    );
    let r = app.get(&chart).by(&fred).await;
    assert!(r.body.contains("Session 1") && !r.body.contains("L2311-07"), "front desk sees the schedule");

    // The studio's phone and the next planned session reach the client.
    let admin = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let details = smp_store::StudioDetails {
        name: "Main Street SMP".into(),
        phone: Some("+44 20 7946 0000".into()),
        time_zone: "UTC".into(),
        open_days: "mon tue wed thu fri sat sun".into(),
        ..Default::default()
    };
    app.store.studio(&a).set_details(&admin, &details).await.unwrap();
    let client_id = chart.rsplit('/').next().unwrap();
    let design = {
        let photo = smp_store::new_photo_id();
        let studio = app.store.studio(&a);
        studio.add_photo(&photo, client_id, &admin, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
        studio.save_design(client_id, &photo, &admin, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap()
    };
    let next = smp_store::PlannedSession {
        number: 2,
        date: "2026-12-20".into(),
        impressions: 100,
        hours: 2.0,
        focus: "crown".into(),
        start_time: Some("11:00".into()),
    };
    let saved = app
        .store
        .studio(&a)
        .save_plan(client_id, &design.id, &admin, &[next], |_, _| Ok(()), &[])
        .await
        .unwrap();
    assert_eq!(saved, smp_store::SavedPlan::Saved);

    // The aftercare link: public, read-only, no health data or client name;
    // with a QR code of itself and a copy button on the session page.
    let r = app.post(&format!("{session}/aftercare-link")).by(&pia).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.location.as_deref(), Some(format!("{session}?made=1#aftercare").as_str()));
    let r = app.get(&format!("{session}?made=1")).by(&pia).await;
    assert!(
        r.body.contains("<svg role=\"img\" aria-label=\"QR code") && r.body.contains("data-copy="),
        "{}",
        r.body
    );
    let link =
        r.body.split("id=\"aftercare-link\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = app.get(&link).await;
    assert!(
        r.status.is_success() && r.body.contains("Your SMP aftercare") && r.body.contains("Main Street SMP")
    );
    assert!(
        r.body.contains("tel:+44 20 7946 0000") && r.body.contains("Sunday 20 December 2026"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Ivy") && !r.body.contains("L2311") && !r.body.contains("Secret"));
    let r = app.get(&format!("{link}/calendar.ics")).await;
    assert!(
        r.content_type.as_deref().unwrap().starts_with("text/calendar") && r.body.contains("BEGIN:VCALENDAR")
    );
    let r = app.get("/aftercare/0123456789abcdef").await;
    assert!(r.status == StatusCode::NOT_FOUND && r.body.contains("expired or does not exist"));
    // The studio's colour and logo on the client's page, the logo through
    // the link's token.
    let studio = app.store.studio(&a);
    studio.set_accent(&pia_user, Some("#7a1f5c")).await.unwrap();
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(60, 20, image::Rgba([122, 31, 92, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    studio.set_logo(&pia_user, Some(&png)).await.unwrap();
    let r = page_with_styles(&app, &link, None).await;
    assert!(r.contains("color: #7a1f5c") && r.contains(&format!("src=\"{link}/logo.png\"")), "{r}");
    let r = app.get(&format!("{link}/logo.png")).await;
    assert_eq!((r.content_type.as_deref(), r.bytes.clone()), (Some("image/png"), png));
    // Listed on the session page with its expiry, and ended there at once.
    let token = link.rsplit('/').next().unwrap().to_string();
    let r = app.get(&session).by(&pia).await;
    assert!(r.body.contains("works until") && r.body.contains("End this link now"), "{}", r.body);
    let r = app
        .post(&format!("{session}/aftercare-link/revoke"))
        .by(&pia)
        .form(&format!("csrf={csrf}&token={token}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&link).await.status, StatusCode::NOT_FOUND, "ended");
    assert_eq!(app.get(&format!("{link}/logo.png")).await.status, StatusCode::NOT_FOUND);
    assert!(app.get(&session).by(&pia).await.body.contains("ended "));
    // Links are made from the configured public address, never from what a
    // request's headers claim.
    let public = router(app.state().with_public_url("https://smp.example/"));
    app.post(&format!("{session}/aftercare-link")).by(&pia).form(&format!("csrf={csrf}")).await;
    let req = Request::get(session.as_str())
        .header(header::COOKIE, format!("{SESSION_COOKIE}={pia}"))
        .header(header::HOST, "evil.example")
        .header("x-forwarded-proto", "javascript")
        .body(Body::empty())
        .unwrap();
    let res = public.oneshot(req).await.unwrap();
    let body =
        String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(body.contains("href=\"https://smp.example/aftercare/") && !body.contains("evil"), "{body}");

    // Roles and studios.
    assert_eq!(app.get(&session).by(&fred).await.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("{chart}/sessions"))
        .by(&fred)
        .form(&passport("2027-06-30").replace(&csrf, &fred_csrf))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&session).by(&bo).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{chart}/sessions/new")).by(&bo).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&format!("{session}/aftercare-link")).by(&pia).form("csrf=forged").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(20).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"record-session".to_string()) && actions.contains(&"share-aftercare".to_string())
    );
}

#[tokio::test]
async fn the_follow_up_list_shows_this_week_healing_checks_and_touch_ups() {
    let app = app().await;
    let Cast { a, fred: (fred, _), bo: (bo, _), pia_user: pia, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let client = |name: &str| {
        let fields = smp_store::ClientFields { full_name: name.into(), ..Default::default() };
        let (studio, pia) = (app.store.studio(&a), &pia);
        async move { studio.create_client(pia, &fields).await.unwrap() }
    };
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let (now, healing, faded) =
        (client("Nina Now").await, client("Hal Healing").await, client("Fay Faded").await);
    studio.record_session(&now.id, &pia, &today.to_string(), 2, None, "{}", None).await.unwrap().unwrap();
    studio.record_session(&healing.id, &pia, &days_ago(35), 1, None, "{}", None).await.unwrap().unwrap();
    let photo = smp_store::new_photo_id();
    studio.add_photo(&photo, &faded.id, &pia, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
    let design =
        studio.save_design(&faded.id, &photo, &pia, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap();
    studio
        .record_session(&faded.id, &pia, &days_ago(5 * 365), 3, Some(&design.id), "{}", None)
        .await
        .unwrap()
        .unwrap();

    let r = app.get("/dashboard").by(&fred).await;
    assert!(r.status.is_success(), "{}", r.body);
    let section = |id: &str| {
        r.body.split(&format!("id=\"{id}\"")).nth(1).unwrap().split("</div>").next().unwrap().to_string()
    };
    assert!(section("this-week").contains("Nina Now") && !section("this-week").contains("Hal"));
    assert!(section("healing").contains("Hal Healing") && !section("healing").contains("Nina"));
    assert!(section("touch-ups").contains("Fay Faded"), "{}", section("touch-ups"));
    assert!(!app.get("/dashboard").by(&bo).await.body.contains("Nina"), "another studio sees none");
    assert_eq!(app.get("/dashboard").await.location.as_deref(), Some("/login"));
}

/// A recorded session is corrected by amendment with a reason: the record
/// shows the corrected values and keeps the original beside them.
#[tokio::test]
async fn a_session_record_is_amended_with_the_original_kept() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    let chart =
        app.post("/clients").by(&pia).form(&format!("csrf={csrf}&full_name=Ivy")).await.location.unwrap();
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &client_id, "proceed", None, true).await;
    let today = chrono::Utc::now().date_naive();
    let record = |batch: &str| {
        format!(
            "csrf={csrf}&health_unchanged=on&date={today}&number=1&zones=front&pigment_brand=PB&pigment_batch={batch}\
             &pigment_expiry=2099-01-01&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m&anaesthetic=none\
             &duration_min=190&pain=2&notes="
        )
    };
    let session = app.post(&format!("{chart}/sessions")).by(&pia).form(&record("L23I1")).await;
    let session = session.location.unwrap();
    let amend = format!("{session}/amend");
    let r = app.get(&amend).by(&pia).await;
    assert!(
        r.status.is_success() && r.body.contains("value=\"L23I1\"") && r.body.contains("Amend session 1"),
        "{}",
        r.body
    );
    assert_eq!(app.get(&amend).by(&fred).await.status, StatusCode::FORBIDDEN);

    // No reason: refused beside the field, the correction kept.
    let r = app.post(&amend).by(&pia).form(&format!("{}&reason=", record("L2311"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"reason-error\"") && r.body.contains("value=\"L2311\""), "{}", r.body);
    let r = app.post(&amend).by(&pia).form(&format!("{}&reason=Batch+mistyped", record("L2311"))).await;
    assert_eq!(r.location.as_deref(), Some(session.as_str()), "{}", r.body);
    let page = app.get(&session).by(&pia).await.body;
    assert!(page.contains("L2311") && page.contains("Amended") && page.contains("Batch mistyped"), "{page}");
    assert!(page.contains("L23I1"), "the original stays on the record");
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "amend-session"));
}
