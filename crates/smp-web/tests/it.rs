//! In-process HTTP tests: every route, logged out, logged in, and across studios.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use smp_store::{Role, Store};
use smp_web::{AppState, SESSION_COOKIE, router};
use tower::ServiceExt;

struct App {
    router: axum::Router,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    App { router: router(AppState::new(store.clone())), store, _dir: dir }
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

async fn send(app: &App, method: &str, uri: &str, cookie: Option<&str>, form: Option<&str>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("{SESSION_COOKIE}={c}"));
    }
    let req = match form {
        Some(f) => req
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
    let cookie = res.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    Reply { status, location, cookie, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// Logs in and returns the session token and its CSRF token.
async fn login(app: &App, name: &str, password: &str) -> (String, String) {
    let r = send(
        app,
        "POST",
        "/login",
        None,
        Some(&format!("name={name}&password={}", password.replace(' ', "+"))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let session = app.store.session(&token).await.unwrap().unwrap();
    (token, session.csrf)
}

async fn staff(app: &App, studio: &smp_store::StudioId, name: &str) {
    app.store.create_user(studio, name, Role::FrontDesk, "a long password", false).await.unwrap();
}

#[tokio::test]
async fn health_and_logged_out_redirects() {
    let app = app().await;
    let r = send(&app, "GET", "/healthz", None, None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    for uri in ["/clients", "/clients/abc", "/password"] {
        let r = send(&app, "GET", uri, None, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.location.as_deref(), Some("/login"), "{uri}");
    }
    let r = send(&app, "GET", "/clients", Some("forged-token"), None).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let r = send(&app, "GET", "/login", None, None).await;
    assert!(r.status.is_success() && r.body.contains("Log in"));
}

#[tokio::test]
async fn wrong_passwords_fail_and_are_slowed_down() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    staff(&app, &studio, "fay").await;
    for _ in 0..5 {
        let r = send(&app, "POST", "/login", None, Some("name=fay&password=nope")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("do not match") && r.body.contains("value=\"fay\""), "keeps the name");
    }
    let r = send(&app, "POST", "/login", None, Some("name=fay&password=a+long+password")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits now");
}

#[tokio::test]
async fn a_first_password_must_be_replaced() {
    let app = app().await;
    let studio = app.store.create_studio("S").await.unwrap();
    app.store.create_user(&studio, "admin", Role::Admin, "one time password", true).await.unwrap();
    let r = send(&app, "POST", "/login", None, Some("name=admin&password=one+time+password")).await;
    assert_eq!(r.location.as_deref(), Some("/password"));
    let (token, csrf) = login(&app, "admin", "one time password").await;
    let r = send(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(r.location.as_deref(), Some("/password"), "nothing else until it is changed");
    let r = send(
        &app,
        "POST",
        "/password",
        Some(&token),
        Some(&format!("csrf={csrf}&password=new+password+1&repeat=other+one+22")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("differ"));
    let r = send(
        &app,
        "POST",
        "/password",
        Some(&token),
        Some(&format!("csrf={csrf}&password=new+password+1&repeat=new+password+1")),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/clients"));
    let r = send(&app, "GET", "/clients", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_are_charted_within_their_studio_only() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    staff(&app, &a, "amy").await;
    staff(&app, &b, "bea").await;
    let (amy, amy_csrf) = login(&app, "amy", "a long password").await;
    let (bea, _) = login(&app, "bea", "a long password").await;

    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&amy),
        Some(&format!("csrf={amy_csrf}&full_name=Carl+Client&phone=0123")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let chart = r.location.unwrap();
    let r = send(&app, "GET", &chart, Some(&amy), None).await;
    assert!(r.status.is_success() && r.body.contains("Carl Client") && r.body.contains("0123"));
    let r = send(&app, "GET", "/clients?q=carl", Some(&amy), None).await;
    assert!(r.body.contains("Carl Client"));

    // The other studio sees nothing of it.
    let r = send(&app, "GET", &chart, Some(&bea), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(&app, "GET", "/clients?q=carl", Some(&bea), None).await;
    assert!(!r.body.contains("Carl Client"));

    // A form without the session's CSRF token changes nothing.
    let r = send(&app, "POST", "/clients", Some(&amy), Some("csrf=forged&full_name=Eve")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&app, "POST", "/clients", Some(&amy), Some("full_name=Eve")).await;
    assert!(r.status.is_client_error());
    assert!(!send(&app, "GET", "/clients", Some(&amy), None).await.body.contains("Eve"));

    // Bad input gets a message and keeps what was typed.
    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&amy),
        Some(&format!("csrf={amy_csrf}&full_name=+&email=kept%40example.org")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("needs a name") && r.body.contains("kept@example.org"), "{}", r.body);

    // Logging out ends the session.
    let r = send(&app, "POST", "/logout", Some(&amy), Some(&format!("csrf={amy_csrf}"))).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert_eq!(send(&app, "GET", "/clients", Some(&amy), None).await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn pages_carry_protective_headers_and_bodies_are_limited() {
    let app = app().await;
    let res = app.router.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let big = format!("name={}&password=x", "a".repeat(100_000));
    let r = send(&app, "POST", "/login", None, Some(&big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn practitioners_screen_and_front_desk_sees_no_health_details() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "pia", Role::Practitioner, "a long password", false).await.unwrap();
    staff(&app, &a, "fred").await;
    app.store.create_user(&b, "bo", Role::Practitioner, "a long password", false).await.unwrap();
    let (pia, csrf) = login(&app, "pia", "a long password").await;
    let (fred, fred_csrf) = login(&app, "fred", "a long password").await;
    let (bo, bo_csrf) = login(&app, "bo", "a long password").await;
    let r = send(
        &app,
        "POST",
        "/clients",
        Some(&pia),
        Some(&format!("csrf={csrf}&full_name=Ivy&birth_date=1985-04-02")),
    )
    .await;
    let chart = r.location.unwrap();
    let intake = format!("{chart}/intake");

    let r = send(&app, "GET", &intake, Some(&pia), None).await;
    assert!(r.status.is_success() && r.body.contains("value=\"1985-04-02\""), "the birth date is filled in");

    // A wrong date gets a message and keeps what was ticked.
    let bad = format!(
        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&medication_isotretinoin=on&medication_isotretinoin_last_dose=soon"
    );
    let r = send(&app, "POST", &intake, Some(&pia), Some(&bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("is not a date") && r.body.contains("name=\"medication_isotretinoin\" checked"),
        "{}",
        r.body
    );

    let good = format!(
        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&allergy_latex=on\
         &medication_isotretinoin=on&medication_isotretinoin_last_dose=2026-09-01"
    );
    let r = send(&app, "POST", &intake, Some(&pia), Some(&good)).await;
    assert_eq!(r.location.as_deref(), Some(chart.as_str()));
    let r = send(&app, "GET", &chart, Some(&pia), None).await;
    assert!(r.body.contains("POSTPONE") && r.body.contains("not before 2027-03-01"), "{}", r.body);
    assert!(
        r.body.contains("allergy-latex") && r.body.contains("smp-default-"),
        "findings and the rules' version"
    );

    // Front desk: no form, no details.
    assert_eq!(send(&app, "GET", &intake, Some(&fred), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, "POST", &intake, Some(&fred), Some(&good.replace(&csrf, &fred_csrf))).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(&app, "GET", &chart, Some(&fred), None).await;
    assert!(
        r.status.is_success() && !r.body.contains("POSTPONE") && !r.body.contains("isotretinoin"),
        "{}",
        r.body
    );

    // Another studio cannot screen or see the client.
    assert_eq!(
        send(&app, "POST", &intake, Some(&bo), Some(&good.replace(&csrf, &bo_csrf))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(send(&app, "GET", &chart, Some(&bo), None).await.status, StatusCode::NOT_FOUND);

    // Who saw and changed health answers is logged.
    let log = app.store.studio(&a).audit_log(10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"record-screening") && actions.contains(&"view-health"), "{actions:?}");
    assert!(log.iter().all(|e| e.staff_name == "pia"), "front desk views are not health views");
}

#[tokio::test]
async fn only_admins_read_the_audit_log_of_their_own_studio() {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.create_user(&a, "pat", Role::Practitioner, "a long password", false).await.unwrap();
    app.store.create_user(&b, "bob", Role::Admin, "a long password", false).await.unwrap();
    let pat = app.store.verify_login("pat", "a long password").await.unwrap().unwrap();
    let client = app
        .store
        .studio(&a)
        .create_client(&smp_store::ClientFields { full_name: "Q".into(), ..Default::default() })
        .await
        .unwrap();
    app.store.studio(&a).audit(&pat, "view-health", &client.id).await.unwrap();
    let (ada, _) = login(&app, "ada", "a long password").await;
    let (pat_token, _) = login(&app, "pat", "a long password").await;
    let (bob, _) = login(&app, "bob", "a long password").await;
    let r = send(&app, "GET", "/audit", Some(&ada), None).await;
    assert!(r.status.is_success() && r.body.contains("view-health") && r.body.contains("pat"), "{}", r.body);
    assert_eq!(send(&app, "GET", "/audit", Some(&pat_token), None).await.status, StatusCode::FORBIDDEN);
    let r = send(&app, "GET", "/audit", Some(&bob), None).await;
    assert!(r.status.is_success() && !r.body.contains("view-health"));
    assert_eq!(send(&app, "GET", "/audit", None, None).await.location.as_deref(), Some("/login"));
}
