//! Logging in and out, passwords and PINs, the login throttle, sign-in codes, the tablet handed to a client.

use crate::support::*;

#[tokio::test]
async fn health_and_logged_out_redirects() {
    let app = app().await;
    let r = app.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    for uri in ["/clients", "/clients/abc", "/password"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.location.as_deref(), Some("/login"), "{uri}");
    }
    let r = app.get("/clients").cookie("forged-token").await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let r = app.get("/login").await;
    assert!(r.status.is_success() && r.body.contains("Log in"));
}

#[tokio::test]
async fn wrong_passwords_fail_and_are_slowed_down() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    for _ in 0..5 {
        let r = try_login(&app, "fay", "nope").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("do not match") && r.body.contains("value=\"fay\""), "keeps the name");
    }
    let r = try_login(&app, "fay", "a long password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits now");
    // Each failure on an existing account is in its studio's audit log.
    let log = app.store.studio(&studio).audit_log(100).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "login-failed").count(), 5);
}

/// Guessing at a name from one address slows that address's tries at that
/// name, and many names from one address slow that address; neither keeps
/// the account's owner out from their own tablet. Names of any length are
/// answered without keeping them.
#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_a_colleague_out() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "admin").await;
    let (attacker, tablet) = ([203, 0, 113, 9], [192, 168, 1, 20]);
    for _ in 0..8 {
        login_from(&app, attacker, "admin", "guess").await;
    }
    assert_eq!(login_from(&app, attacker, "admin", "a long password").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_from(&app, tablet, "admin", "a long password").await, StatusCode::SEE_OTHER);
    for i in 0..20 {
        login_from(&app, attacker, &format!("name{i}"), "guess").await;
    }
    assert_eq!(login_from(&app, attacker, "someone", "guess").await, StatusCode::TOO_MANY_REQUESTS);
    let long = "n".repeat(40_000);
    assert_eq!(login_from(&app, [198, 51, 100, 1], &long, "guess").await, StatusCode::UNAUTHORIZED);
}

/// Names are a studio's own: the same name signs in at two studios, each to
/// its own account, with the studio's sign-in code, and an admin adding a
/// name another studio uses learns nothing of it (it was "already exists").
/// The code is asked for only where there are several studios, remembered on
/// the device; a missing one is asked for beside the form, an unknown one
/// answered as a wrong password, what was typed kept.
#[tokio::test]
async fn sign_in_names_are_each_studios_own() {
    let app = app().await;
    let a = app.store.create_studio("Main Street").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    assert!(!app.get("/login").await.body.contains("name=\"studio\""), "one studio");
    let (ada, csrf) = login(&app, "ada", "a long password").await;
    let b = app.store.create_studio("Main Street").await.unwrap();
    assert_eq!(app.store.studio(&b).sign_in_code().await.unwrap(), "main-street-2");
    app.store.create_user(&b, "sam", Role::Practitioner, "b's own password", false).await.unwrap();
    let r = app.post("/admin/users").by(&ada).form(&format!("csrf={csrf}&name=sam&role=practitioner")).await;
    assert!(r.status.is_success() && r.body.contains("class=\"secret\""), "{}", r.body);
    let r = app.get("/admin/studio").by(&ada).await;
    assert!(r.body.contains("Sign-in code: <strong>main-street</strong>"), "{}", r.body);

    let r = app.get("/login").await;
    assert!(r.body.contains("name=\"studio\"") && r.body.contains("Studio code"), "{}", r.body);
    let post = |form: String| {
        let app = &app;
        async move {
            let (cookie, csrf) = login_form(app).await;
            app.post("/login").cookie(&cookie).form(&format!("csrf={csrf}&{form}")).await
        }
    };
    let r = post("studio=&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("sign-in code") && r.body.contains("value=\"sam\""), "{}", r.body);
    let r = post("studio=nowhere&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("do not match") && r.body.contains("value=\"nowhere\""), "{}", r.body);
    let r = post("studio=main-street&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "A's sam has another password");
    let r = post("studio=+Main-Street-2+&name=sam&password=b%27s+own+password".into()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.cookies.iter().any(|c| c.starts_with("smp_studio=main-street-2;")), "{:?}", r.cookies);
    let token = r.cookie.as_deref().unwrap().split(';').next().unwrap().split_once('=').unwrap().1;
    let session = app.store.session(token).await.unwrap().unwrap();
    assert_eq!((session.user.studio, session.user.name.as_str()), (b, "sam"));
    // The device remembers the studio for the next login.
    let r = app.get("/login").cookie("smp_studio=main-street-2").await;
    assert!(r.body.contains("value=\"main-street-2\""), "{}", r.body);
}

/// The login form carries a CSRF token (a cookie and a field that must
/// match): a login posted from another site, without them, is refused.
#[tokio::test]
async fn the_login_form_carries_a_csrf_token() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    let r = app.post("/login").form("name=fay&password=a+long+password").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("expired") && r.cookie.is_some(), "a fresh form to try again");
    let (cookie, _) = login_form(&app).await;
    let r = app.post("/login").cookie(&cookie).form("csrf=forged&name=fay&password=a+long+password").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// What the database keeps of a session does not open it: a token read from
/// a backup is useless on the live server.
#[tokio::test]
async fn session_tokens_are_stored_as_digests() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    let (token, _) = login(&app, "fay", "a long password").await;
    let store_url = app._dir.path().join("smp.db");
    if store_url.exists() {
        let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", store_url.display())).await.unwrap();
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT token FROM sessions").fetch_all(&db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], token, "not the token itself");
        let r = app.get("/clients").cookie(&stored[0]).await;
        assert_eq!(r.location.as_deref(), Some("/login"), "the stored value opens nothing");
    }
    assert_eq!(app.get("/clients").by(&token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_first_password_must_be_replaced() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    app.store.create_user(&studio, "admin", Role::Admin, "one time password", true).await.unwrap();
    let r = try_login(&app, "admin", "one time password").await;
    assert_eq!(r.location.as_deref(), Some("/password"));
    let (token, csrf) = login(&app, "admin", "one time password").await;
    let r = app.get("/clients").by(&token).await;
    assert_eq!(r.location.as_deref(), Some("/password"), "nothing else until it is changed");
    let r = app
        .post("/password")
        .by(&token)
        .form(&format!("csrf={csrf}&current=one+time+password&password=new+password+1&repeat=other+one+22"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("differ"));
    // The current password is asked for: a session left open is not enough.
    let r = app
        .post("/password")
        .by(&token)
        .form(&format!("csrf={csrf}&current=a+guess+at+it&password=new+password+1&repeat=new+password+1"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("current password is not right"), "{}", r.body);
    let r = app
        .post("/password")
        .by(&token)
        .form(&format!("csrf={csrf}&current=one+time+password&password=new+password+1&repeat=new+password+1"))
        .await;
    assert_eq!(r.location.as_deref(), Some("/clients"));
    let actions: Vec<String> =
        app.store.studio(&studio).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"change-password".into()) && actions.contains(&"login".into()), "{actions:?}");
    let r = app.get("/clients").by(&token).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_tls_the_login_cookie_is_secure() {
    let app = app().await;
    let studio = app.store.create_studio("A").await.unwrap();
    staff(&app, &studio, "fred").await;
    let secure = router(app.state().with_secure_cookies(true));
    let (form_cookie, csrf) = login_form(&app).await;
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, form_cookie)
        .body(Body::from(format!("csrf={csrf}&name=fred&password=a+long+password")))
        .unwrap();
    let res = secure.oneshot(req).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure;") && cookie.contains("HttpOnly"), "{cookie}");
    let (plain, _) = login(&app, "fred", "a long password").await;
    assert!(!plain.is_empty(), "the default stays usable over plain HTTP on the studio's own machine");
}

/// The tablet handed to the client for the consent shows that form and
/// nothing else (no staff menu, every other page leads to "hand it back"),
/// until the staff member re-enters their password.
#[tokio::test]
async fn a_tablet_handed_to_the_client_shows_only_the_consent() {
    let app = app().await;
    let Cast { a, fred: (fred, csrf), .. } = cast(&app, "A").await;
    let chart = app
        .post("/clients")
        .by(&fred)
        .form(&format!("csrf={csrf}&full_name=Ivy+Ink"))
        .await
        .location
        .unwrap();
    let consent = format!("{chart}/consent");
    let r = app.post(&format!("{consent}/hand-over")).by(&fred).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.location.as_deref(), Some(consent.as_str()));
    let r = app.get(&consent).by(&fred).await;
    assert!(r.body.contains("Please read and sign, Ivy Ink"), "{}", r.body);
    assert!(
        !r.body.contains("Log out") && !r.body.contains("href=\"/clients\""),
        "no staff menu: {}",
        r.body
    );
    for uri in [chart.as_str(), "/clients", "/calendar", "/dashboard"] {
        assert_eq!(app.get(uri).by(&fred).await.location.as_deref(), Some("/handback"), "{uri}");
    }
    let text_id =
        r.body.split("name=\"text_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let sign = format!(
        "csrf={csrf}&text_id={text_id}&agree=on&signed_name=Ivy+Ink&signature={}",
        drawn_signature(true)
    );
    let r = app.post(&consent).by(&fred).form(&sign).await;
    assert_eq!(r.location.as_deref(), Some("/handback?signed=1"));
    let r = app.get("/handback?signed=1").by(&fred).await;
    assert!(r.body.contains("Thank you") && r.body.contains("hand the tablet back"), "{}", r.body);

    let r = app.post("/handback").by(&fred).form(&format!("csrf={csrf}&password=a+guess")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&chart).by(&fred).await.location.as_deref(), Some("/handback"));
    let r = app.post("/handback").by(&fred).form(&format!("csrf={csrf}&password=a+long+password")).await;
    assert_eq!(r.location.as_deref(), Some(format!("{chart}#consent").as_str()));
    let r = app.get(&chart).by(&fred).await;
    assert!(r.status.is_success() && r.body.contains("In force"), "{}", r.body);
    let actions: Vec<String> =
        app.store.studio(&a).audit_log(100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"hand-to-client".into()) && actions.contains(&"take-back-from-client".into()));
}

/// Each member of staff may set a short PIN (their password asked; one too
/// easy to guess refused) that takes the tablet back from a client as the
/// password does; it never logs anyone in.
#[tokio::test]
async fn a_pin_takes_the_tablet_back() {
    let app = app().await;
    let Cast { fred: (fred, csrf), .. } = cast(&app, "A").await;
    let set = |form: String| {
        let app = &app;
        let fred = fred.clone();
        async move { app.post("/password/pin").by(&fred).form(&form).await }
    };
    let r = set(format!("csrf={csrf}&current=wrong+password&pin=4071")).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST && r.body.contains("current password is not right"),
        "{}",
        r.body
    );
    let r = set(format!("csrf={csrf}&current=a+long+password&pin=1234")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("too easy"), "{}", r.body);
    let r = set(format!("csrf={csrf}&current=a+long+password&pin=4071")).await;
    assert!(r.status.is_success() && r.body.contains("Your PIN is set"), "{}", r.body);

    let chart = app
        .post("/clients")
        .by(&fred)
        .form(&format!("csrf={csrf}&full_name=Ivy+Pin"))
        .await
        .location
        .unwrap();
    let consent = format!("{chart}/consent");
    app.post(&format!("{consent}/hand-over")).by(&fred).form(&format!("csrf={csrf}")).await;
    assert_eq!(app.get(&chart).by(&fred).await.location.as_deref(), Some("/handback"));
    let r = app.post("/handback").by(&fred).form(&format!("csrf={csrf}&password=4072")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.post("/handback").by(&fred).form(&format!("csrf={csrf}&password=4071")).await;
    assert_eq!(r.location.as_deref(), Some(format!("{chart}#consent").as_str()));
    assert_eq!(try_login(&app, "fred", "4071").await.status, StatusCode::UNAUTHORIZED, "no login by PIN");
}
