//! Admins: staff, roles, the studio's settings and look, the audit log.

use crate::support::*;

#[tokio::test]
async fn only_admins_read_the_audit_log_of_their_own_studio() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.create_user(&a, "pat", Role::Practitioner, "a long password", false).await.unwrap();
    app.store.create_user(&b, "bob", Role::Admin, "a long password", false).await.unwrap();
    let pat = app.store.verify_login(&a, "pat", "a long password", "test").await.unwrap().unwrap();
    let client = app
        .store
        .studio(&a)
        .create_client(&pat, &smp_store::ClientFields { full_name: "Q".into(), ..Default::default() })
        .await
        .unwrap();
    app.store.studio(&a).audit(&pat, AuditAction::ViewHealth, &client.id).await.unwrap();
    let (ada, _) = login(&app, "ada", "a long password").await;
    let (pat_token, _) = login(&app, "pat", "a long password").await;
    let (bob, _) = login(&app, "bob", "a long password").await;
    let r = app.get("/audit").by(&ada).await;
    // A sentence with the client's name, not a code and an "open" link.
    let line =
        format!("<strong>pat</strong> viewed the health answers of <a href=\"/clients/{}\">Q</a>", client.id);
    assert!(r.status.is_success() && r.body.contains(&line), "{}", r.body);
    // Filtered by client, staff member, action and dates.
    let lines = |body: &str| body.matches("<li><span class=\"muted\">").count();
    let all = lines(&r.body);
    assert!(lines(&app.get("/audit?client=q").by(&ada).await.body) >= 2, "the view and the creation");
    let r = app.get("/audit?staff=ada").by(&ada).await;
    assert!(
        !r.body.contains("<strong>pat</strong>") && r.body.contains("<strong>ada</strong> logged in"),
        "{}",
        r.body
    );
    let r = app.get("/audit?action=view-health").by(&ada).await;
    assert_eq!(lines(&r.body), 1, "{}", r.body);
    assert!(lines(&app.get("/audit?until=2000-01-01").by(&ada).await.body) == 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(lines(&app.get(&format!("/audit?from={today}&until={today}")).by(&ada).await.body), all);
    assert_eq!(app.get("/audit").by(&pat_token).await.status, StatusCode::FORBIDDEN);
    let r = app.get("/audit").by(&bob).await;
    assert!(r.status.is_success() && !r.body.contains("<strong>pat</strong>"));
    assert_eq!(app.get("/audit").await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn admins_manage_their_own_studios_staff_and_settings() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.create_user(&a, "pia", Role::Practitioner, "a long password", false).await.unwrap();
    let bob = app.store.create_user(&b, "bob", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let (pia, pia_csrf) = login(&app, "pia", "a long password").await;

    let r = app.get("/admin/users").by(&ada).await;
    assert!(r.status.is_success() && r.body.contains("pia") && !r.body.contains("bob"), "{}", r.body);
    let r =
        app.post("/admin/users").by(&ada).form(&format!("csrf={csrf}&name=new+one&role=front-desk")).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("no spaces")
            && r.body.contains("value=\"new one\"")
    );
    let r = app.post("/admin/users").by(&ada).form(&format!("csrf={csrf}&name=nia&role=")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose a role"));
    let r = app.post("/admin/users").by(&ada).form(&format!("csrf={csrf}&name=nia&role=front-desk")).await;
    assert!(r.status.is_success(), "{}", r.body);
    let password = r.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let nia = app
        .store
        .verify_login(&a, "nia", &password, "test")
        .await
        .unwrap()
        .expect("the one-time password works");
    assert!(nia.must_change_password && nia.role == Role::FrontDesk && nia.studio == a);
    let r = app.post("/admin/users").by(&ada).form(&format!("csrf={csrf}&name=nia&role=admin")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("already exists"));

    let r = app.post(&format!("/admin/users/{}/reset", nia.id)).by(&ada).form(&format!("csrf={csrf}")).await;
    let fresh = r.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_ne!(fresh, password);
    assert!(app.store.verify_login(&a, "nia", &fresh, "test").await.unwrap().is_some());
    let r = app.post(&format!("/admin/users/{}/reset", bob.id)).by(&ada).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another studio's admin is out of reach");
    assert!(app.store.verify_login(&b, "bob", "a long password", "test").await.unwrap().is_some());

    let r = app
        .post("/admin/studio")
        .by(&ada)
        .form(&format!("csrf={csrf}&name=+&time_zone=UTC&day_mon=on&consent_text=x"))
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("needs a name"));
    let r = app.post("/admin/studio").by(&ada).form(&format!("csrf={csrf}&name=Main+Street&time_zone=Europe%2FMadrid&day_mon=on&day_tue=on&consent_text=Our+text")).await;
    assert!(r.status.is_success() && r.body.contains("Saved"));
    assert_eq!(app.store.studio(&a).name().await.unwrap(), "Main Street");
    assert_eq!(app.store.studio(&b).name().await.unwrap(), "B");
    // A time zone that is none is refused beside the form, what was typed kept.
    let r = app
        .post("/admin/studio")
        .by(&ada)
        .form(&format!(
            "csrf={csrf}&name=Main+Street&time_zone=Mars%2FOlympus&day_mon=on&consent_text=Our+text"
        ))
        .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("Time zone")
            && r.body.contains("Mars/Olympus")
    );
    // Chairs: a number from 1 to 50, refused beside the field otherwise.
    let with_chairs = |n: &str| {
        format!(
            "csrf={csrf}&name=Main+Street&time_zone=Europe%2FMadrid&day_mon=on&consent_text=Our+text&chairs={n}"
        )
    };
    let r = app.post("/admin/studio").by(&ada).form(&with_chairs("0")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Chairs: &#34;0&#34;"), "{}", r.body);
    assert!(
        r.body.contains(
            "name=\"chairs\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"50\" value=\"0\""
        )
    );
    assert_eq!(app.store.studio(&a).chairs().await.unwrap(), 1, "nothing saved");
    let r = app.post("/admin/studio").by(&ada).form(&with_chairs("3")).await;
    assert!(r.status.is_success() && r.body.contains("Saved"), "{}", r.body);
    assert_eq!(app.store.studio(&a).chairs().await.unwrap(), 3);
    // Times read in the studio's zone: the audit log's newest line (now) is
    // today's date and hour in Madrid, not in UTC.
    let madrid = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Madrid);
    let r = app.get("/audit").by(&ada).await;
    let shown = madrid.format("%-d %b %Y, %H:").to_string();
    assert!(r.body.contains(&shown), "{shown} in {}", r.body);

    // Practitioners manage neither.
    for (method, url, form) in [
        ("GET", "/admin/users".to_string(), None),
        ("POST", "/admin/users".to_string(), Some(format!("csrf={pia_csrf}&name=x1&role=admin"))),
        ("POST", format!("/admin/users/{}/reset", nia.id), Some(format!("csrf={pia_csrf}"))),
        ("GET", "/admin/studio".to_string(), None),
        ("POST", "/admin/studio".to_string(), Some(format!("csrf={pia_csrf}&name=Mine&consent_text=t"))),
    ] {
        assert_eq!(
            app.request(method, &url).by(&pia).maybe_form(form.as_deref()).await.status,
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    assert!(app.store.verify_login(&a, "x1", "whatever", "test").await.unwrap().is_none());
}

/// The studio's own look: an admin sets an accent colour (one too light
/// for white text is refused beside the field, nothing saved) and uploads a
/// logo, which every page's header then shows to the studio's staff only.
#[tokio::test]
async fn a_studio_sets_its_accent_and_logo() {
    let app = app().await;
    let Cast { a, pia: (pia, pia_csrf), bo: (bo, _), .. } = cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let form = |accent: &str| {
        format!(
            "csrf={csrf}&name=A&time_zone=UTC&day_mon=on&consent_text={}&accent=%23{accent}",
            smp_clinic::DEFAULT_CONSENT_TEXT.replace(' ', "+").replace('\n', "%0A")
        )
    };
    let r = app.post("/admin/studio").by(&ada).form(&form("ffee00")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("too light") && r.body.contains("value=\"#ffee00\""), "{}", r.body);
    assert_eq!(app.store.studio(&a).brand().await.unwrap().accent, None, "nothing saved");
    // Hours that close before they open: refused, nothing saved.
    let r = app
        .post("/admin/studio")
        .by(&ada)
        .form(&format!("{}&opens_at=19%3A00&closes_at=10%3A00", form("7a1f5c")))
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("open before it closes"), "{}", r.body);
    assert_eq!(app.store.studio(&a).brand().await.unwrap().accent, None, "nothing saved");
    let r = app
        .post("/admin/studio")
        .by(&ada)
        .form(&format!("{}&opens_at=09%3A30&closes_at=18%3A00", form("7a1f5c")))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let hours = app.store.studio(&a).opening_hours().await.unwrap();
    assert_eq!((hours.opens.as_str(), hours.closes.as_str()), ("09:30", "18:00"));
    let r = app.post("/admin/studio").by(&ada).form(&form("7a1f5c")).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(page_with_styles(&app, "/admin/studio", Some(&ada)).await.contains("--accent: #7a1f5c"));
    assert!(page_with_styles(&app, "/clients", Some(&pia)).await.contains("--accent: #7a1f5c"));
    assert!(!page_with_styles(&app, "/clients", Some(&bo)).await.contains("#7a1f5c"), "A's only");

    let logo = image::RgbaImage::from_pixel(900, 300, image::Rgba([122, 31, 92, 200]));
    let mut png = Vec::new();
    logo.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    async fn upload(app: &App, who: &str, token: &str, bytes: &[u8]) -> Reply {
        let body = multipart_with(&[("csrf", token)], "logo", Some(("logo.png", bytes)));
        app.post("/admin/studio/logo").by(who).body(body).await
    }
    assert_eq!(upload(&app, &pia, &pia_csrf, b"x").await.status, StatusCode::FORBIDDEN);
    let r = upload(&app, &ada, &csrf, b"not an image").await;
    assert_eq!(r.location.as_deref(), Some("/admin/studio?logo=unreadable#logo"));
    let r = app.get("/admin/studio?logo=unreadable").by(&ada).await;
    assert!(r.body.contains("not an image the app can read"), "{}", r.body);
    assert_eq!(app.get("/studio/logo.png").by(&pia).await.status, StatusCode::NOT_FOUND);
    let r = upload(&app, &ada, &csrf, &png).await;
    assert_eq!(r.location.as_deref(), Some("/admin/studio?logo=saved#logo"));
    let r = app.get("/clients").by(&pia).await;
    assert!(r.body.contains("<img class=\"logo\" src=\"/studio/logo.png\""), "{}", r.body);
    let r = app.get("/studio/logo.png").by(&pia).await;
    assert_eq!(r.content_type.as_deref(), Some("image/png"));
    let stored = image::load_from_memory(&r.bytes).unwrap();
    assert_eq!((stored.width(), stored.height()), (600, 200), "fitted");
    assert_eq!(app.get("/studio/logo.png").by(&bo).await.status, StatusCode::NOT_FOUND);
    let r = app.post("/admin/studio/logo/remove").by(&ada).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app.store.studio(&a).brand().await.unwrap().has_logo);
}

/// Staff who leave are deactivated (their session ends at once, their login
/// stops working, their records keep their name); roles change; the studio
/// always keeps an active admin.
#[tokio::test]
async fn admins_deactivate_staff_and_change_roles() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let ada = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    staff(&app, &a, "fred").await;
    let (ada_token, csrf) = login(&app, "ada", "a long password").await;
    let (fred_token, _) = login(&app, "fred", "a long password").await;
    let fred = app.store.studio(&a).users().await.unwrap().into_iter().find(|u| u.name == "fred").unwrap();
    let account = format!("/admin/users/{}/account", fred.id);

    let r =
        app.post(&account).by(&ada_token).form(&format!("csrf={csrf}&role=practitioner&status=active")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = app.store.studio(&a).users().await.unwrap().into_iter().find(|u| u.name == "fred").unwrap();
    assert_eq!(back.role, Role::Practitioner);

    let r = app
        .post(&account)
        .by(&ada_token)
        .form(&format!("csrf={csrf}&role=practitioner&status=inactive"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/clients").by(&fred_token).await.location.as_deref(),
        Some("/login"),
        "the session ended"
    );
    assert_eq!(
        try_login(&app, "fred", "a long password").await.status,
        StatusCode::UNAUTHORIZED,
        "cannot log in"
    );
    let page = app.get("/admin/users").by(&ada_token).await.body;
    assert!(page.contains("Deactivated"), "{page}");

    // The last active admin cannot be demoted (through the store: the page
    // offers no control for oneself).
    let refused = app.store.studio(&a).set_account(&ada, &ada.id, Role::Practitioner, true).await;
    assert!(matches!(refused, Err(smp_store::StoreError::Invalid(_))), "{refused:?}");
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(
        actions.contains(&"deactivate-user".into()) && actions.contains(&"change-role".into()),
        "{actions:?}"
    );

    // Reactivated, fred logs in again.
    app.post(&account).by(&ada_token).form(&format!("csrf={csrf}&role=front-desk&status=active")).await;
    assert_eq!(try_login(&app, "fred", "a long password").await.status, StatusCode::SEE_OTHER);
}
