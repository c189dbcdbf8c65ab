//! Who may reach what: one row per route of the router, walked with every
//! kind of visitor. Anonymous visitors go to the login page; a role without
//! the right gets 403; staff of another studio get 404 for this studio's
//! records; the right role gets its answer. A route added to the router
//! without a row here fails `every_route_has_a_row`.

use std::collections::BTreeSet;

use crate::support::*;

/// Who a route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, without a login (the login page, health check, assets).
    Public,
    /// Anyone holding the link's token (a client's aftercare page).
    Link,
    /// Anyone logged in, even before choosing their own password.
    LoggedIn,
    /// Staff of any role.
    Staff,
    /// Practitioners and admins.
    Clinical,
    /// Admins only.
    Admin,
}

use Access::{Admin, Clinical, Link, LoggedIn, Public, Staff};

/// Every route: method, path as the router spells it, who may.
const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", LoggedIn),
    ("GET", "/password", LoggedIn),
    ("POST", "/password", LoggedIn),
    ("POST", "/password/pin", LoggedIn),
    ("GET", "/clients", Staff),
    ("POST", "/clients", Staff),
    ("GET", "/clients/{id}/details", Staff),
    ("POST", "/clients/{id}/details", Staff),
    ("GET", "/clients/{id}", Staff),
    ("GET", "/clients/{id}/intake", Clinical),
    ("POST", "/clients/{id}/intake", Clinical),
    ("GET", "/clients/{id}/consents/{consent}", Staff),
    ("POST", "/clients/{id}/consent/hand-over", Staff),
    ("GET", "/handback", LoggedIn),
    ("POST", "/handback", LoggedIn),
    ("GET", "/clients/{id}/consents/{consent}/signature.png", Staff),
    ("GET", "/clients/{id}/portfolio-consent", Staff),
    ("POST", "/clients/{id}/portfolio-consent", Staff),
    ("GET", "/clients/{id}/portfolio-consents/{portfolio}/signature.png", Staff),
    // Taken out before the consent is revoked below (which empties it).
    ("POST", "/clients/{id}/gallery/{pair}", Clinical),
    ("POST", "/clients/{id}/gallery/{pair}/remove", Clinical),
    ("POST", "/clients/{id}/gallery", Clinical),
    ("POST", "/clients/{id}/portfolio-consent/revoke", Staff),
    ("GET", "/gallery", Staff),
    ("POST", "/gallery/public", Admin),
    ("GET", "/gallery/{pair}/{side}", Staff),
    ("GET", "/g/{gallery}", Link),
    ("GET", "/g/{gallery}/logo.png", Link),
    ("GET", "/g/{gallery}/{pair}/{side}", Link),
    ("GET", "/photos/{photo}", Clinical),
    ("GET", "/photos/{photo}/thumbnail", Clinical),
    ("GET", "/photos/{photo}/screen", Clinical),
    ("POST", "/photos/{photo}/withdraw", Clinical),
    ("GET", "/clients/{id}/photos/{photo}/design", Clinical),
    ("POST", "/clients/{id}/photos/{photo}/design", Clinical),
    ("POST", "/clients/{id}/photos/{photo}/preview", Clinical),
    ("POST", "/clients/{id}/photos/{photo}/advice", Clinical),
    ("POST", "/clients/{id}/photos/{photo}/hair", Clinical),
    ("POST", "/clients/{id}/photos/{photo}/hair-mask", Clinical),
    ("GET", "/clients/{id}/designs/{design}/export", Clinical),
    ("POST", "/clients/{id}/sessions", Clinical),
    ("GET", "/clients/{id}/sessions/new", Clinical),
    ("GET", "/clients/{id}/sessions/{session}", Clinical),
    ("GET", "/clients/{id}/sessions/{session}/amend", Clinical),
    ("POST", "/clients/{id}/sessions/{session}/amend", Clinical),
    ("POST", "/clients/{id}/sessions/{session}/aftercare-link", Clinical),
    ("POST", "/clients/{id}/sessions/{session}/aftercare-link/revoke", Clinical),
    ("GET", "/aftercare/{token}", Link),
    ("GET", "/aftercare/{token}/calendar.ics", Link),
    ("GET", "/aftercare/{token}/logo.png", Link),
    ("GET", "/aftercare/{token}/style.css", Link),
    ("GET", "/clients/{id}/erase", Admin),
    ("POST", "/clients/{id}/erase", Admin),
    ("GET", "/clients/{id}/head", Clinical),
    ("POST", "/clients/{id}/head", Clinical),
    ("POST", "/calendar/feed", Staff),
    ("POST", "/calendar/feed/revoke", Staff),
    ("GET", "/calendar/feed/{feed}/sessions.ics", Link),
    ("GET", "/clients/{id}/assessment", Clinical),
    ("POST", "/clients/{id}/assessment", Clinical),
    ("GET", "/clients/{id}/head-design", Clinical),
    ("POST", "/clients/{id}/head-design", Clinical),
    ("POST", "/clients/{id}/head-design/fit", Clinical),
    ("POST", "/clients/{id}/head-design/preview/{photo}", Clinical),
    ("GET", "/dashboard", Staff),
    ("GET", "/calendar", Staff),
    ("GET", "/clients/{id}/plan", Clinical),
    ("POST", "/clients/{id}/plan", Clinical),
    ("GET", "/audit", Admin),
    ("GET", "/admin/users", Admin),
    ("POST", "/admin/users", Admin),
    ("POST", "/admin/users/{user}/reset", Admin),
    ("POST", "/admin/users/{user}/account", Admin),
    ("GET", "/admin/studio", Admin),
    ("POST", "/admin/studio", Admin),
    ("POST", "/admin/studio/logo/remove", Admin),
    ("GET", "/admin/prices", Admin),
    ("POST", "/admin/prices", Admin),
    ("POST", "/clients/{id}/designs/{design}/quote", Clinical),
    ("POST", "/clients/{id}/quotes/{quote}/deposit", Staff),
    ("POST", "/clients/{id}/designs/{design}/report", Clinical),
    ("GET", "/clients/{id}/reports/{report}", Clinical),
    ("POST", "/clients/{id}/reports/{report}/share", Clinical),
    ("GET", "/reports/{report_link}", Link),
    ("POST", "/admin/studio/paper", Admin),
    ("POST", "/admin/studio/consent-at-home", Admin),
    ("GET", "/admin/email", Admin),
    ("POST", "/admin/email", Admin),
    ("POST", "/admin/email/texts/{kind}", Admin),
    ("POST", "/admin/email/test", Admin),
    ("POST", "/admin/email/again/{message}", Admin),
    ("POST", "/clients/{id}/previsit", Staff),
    ("GET", "/forms/{previsit}", Link),
    ("POST", "/forms/{previsit}", Link),
    ("GET", "/unsubscribe/{unsubscribe}", Link),
    ("POST", "/unsubscribe/{unsubscribe}", Link),
    ("GET", "/studio/logo.png", LoggedIn),
    ("GET", "/studio/accent.css", LoggedIn),
    ("GET", "/assets/{*path}", Public),
    ("GET", "/clients/{id}/consent", Staff),
    ("POST", "/clients/{id}/consent", Staff),
    ("POST", "/clients/{id}/photos", Clinical),
    ("POST", "/admin/studio/logo", Admin),
];

/// The routes as the router declares them, read from its source: each
/// `.route("PATH", get(..).post(..))` line gives PATH once per method. (The
/// router keeps no list of its routes to ask; its source is the list.)
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/lib.rs");
    let mut routes = BTreeSet::new();
    for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
        let path = line[".route(\"".len()..].split('"').next().unwrap().to_string();
        let handlers = line.split_once(", ").map_or("", |(_, rest)| rest);
        if handlers.starts_with("get(") {
            routes.insert(("GET".to_string(), path.clone()));
        }
        if handlers.starts_with("post(") || handlers.contains(".post(") {
            routes.insert(("POST".to_string(), path));
        }
    }
    routes
}

#[test]
fn every_route_has_a_row() {
    let declared = declared_routes();
    assert!(declared.len() > 40, "the router's routes were not found: {declared:?}");
    let table: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(method, path, _)| (method.to_string(), path.to_string())).collect();
    assert_eq!(table.len(), ROUTES.len(), "a route is in the table twice");
    let missing: Vec<_> = declared.difference(&table).collect();
    assert!(missing.is_empty(), "routes without a row in the access table: {missing:?}");
    let stale: Vec<_> = table.difference(&declared).collect();
    assert!(stale.is_empty(), "rows for routes the router no longer has: {stale:?}");
}

/// The records of studio A the paths name, and the people who visit.
struct World {
    app: App,
    /// Path parameters and their values in studio A.
    params: Vec<(&'static str, String)>,
    admin: smp_store::User,
    practitioner: smp_store::User,
    front_desk: smp_store::User,
    /// An admin of studio B: every role, another studio.
    other_admin: smp_store::User,
}

async fn world() -> World {
    let app = app().await;
    let a = app.store.create_studio("A").await.unwrap();
    let b = app.store.create_studio("B").await.unwrap();
    let user = |studio: StudioId, name: &'static str, role| {
        let store = app.store.clone();
        async move { store.create_user(&studio, name, role, "a long password", false).await.unwrap() }
    };
    let admin = user(a.clone(), "ada", Role::Admin).await;
    let practitioner = user(a.clone(), "pia", Role::Practitioner).await;
    let front_desk = user(a.clone(), "fred", Role::FrontDesk).await;
    let other_admin = user(b, "bob", Role::Admin).await;
    // The account the admin routes change (reset, deactivate): nobody who
    // visits, so that no visit finds its own account changed.
    let colleague = user(a.clone(), "cal", Role::FrontDesk).await;

    let session = app.store.start_session(&practitioner, 1).await.unwrap();
    let (chart, editor) = client_with_photo(&app, &session.token, &session.csrf, "Cleo Access").await;
    let client = chart.rsplit('/').next().unwrap().to_string();
    let photo = editor.split("/photos/").nth(1).unwrap().split('/').next().unwrap().to_string();
    screened(&app, &a, &practitioner, &client, "proceed", None, true).await;
    let studio = app.store.studio(&a);
    let consent = studio.consents(&client).await.unwrap().remove(0).id;
    let design = studio
        .save_design(&client, &photo, &practitioner, smp_core::EXAMPLE_DESIGN)
        .await
        .unwrap()
        .unwrap()
        .id;
    let passport = r#"{"duration_min": 180}"#;
    let treatment = studio
        .record_session(&client, &practitioner, "2026-11-02", 1, Some(&design), passport, None)
        .await
        .unwrap()
        .unwrap();
    let token = studio.share_aftercare(&treatment, &practitioner, 30).await.unwrap().unwrap();
    let mut logo = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([40, 90, 170]))
        .write_to(&mut std::io::Cursor::new(&mut logo), image::ImageFormat::Png)
        .unwrap();
    studio.set_logo(&admin, Some(&logo)).await.unwrap();
    let feed = studio.make_calendar_feed(&admin).await.unwrap();
    let (unsubscribe, _) = studio.contact_preference(&client).await.unwrap().unwrap();
    // A failed message, for "send again".
    let test = smp_store::NewMessage {
        kind: "test".into(),
        key: "test:access".into(),
        to: "owner@example.org".into(),
        subject: "Test".into(),
        body: "Test".into(),
        due_at: 0,
        unsubscribe_url: None,
    };
    studio.enqueue(None, &test).await.unwrap();
    let message = app.store.claim_due("access", 1, 1000, 1).await.unwrap().remove(0).id;
    app.store
        .finish_send("access", &message, &smp_store::SendOutcome::Failed("refused".into()))
        .await
        .unwrap();
    let previsit = studio.make_previsit_link(&client, &admin, 14, None).await.unwrap().unwrap();
    let priced = smp_store::NewQuote {
        treatment: "full-head".into(),
        area_cm2: 300.0,
        sessions: 3,
        currency: "EUR".into(),
        net: 100_000,
        tax: 21_000,
        total: 121_000,
        valid_until: "2027-01-31".into(),
    };
    let quote = studio.save_quote(&client, &design, &practitioner, &priced).await.unwrap().unwrap();
    let report = studio.save_report(&client, &design, &practitioner, b"%PDF-1.7").await.unwrap().unwrap();
    let prices = smp_store::StoredPriceList {
        currency: "EUR".into(),
        tax_basis_points: 2100,
        prices: vec![smp_store::StoredPrice {
            treatment: "full-head".into(),
            basis: "session".into(),
            amount: 45_000,
            per_cm2: None,
        }],
    };
    studio.save_price_list(&prices).await.unwrap();
    // A second photo, later, for the gallery's before/healed pair.
    let photos = format!("/clients/{client}/photos");
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image::RgbImage::from_pixel(400, 300, image::Rgb([150, 110, 90])))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let upload = multipart(&[("csrf", &session.csrf), ("angle", "top")], Some(("healed.jpg", &jpeg)));
    assert_eq!(app.post(&photos).by(&session.token).body(upload).await.status, StatusCode::SEE_OTHER);
    let healed = studio.photos(&client).await.unwrap().into_iter().find(|p| p.id != photo).unwrap().id;
    let portfolio = studio
        .sign_portfolio_consent(&client, &practitioner, "Show my photos.", false, "Cleo", b"png")
        .await
        .unwrap()
        .unwrap();
    let pair = smp_store::NewGalleryPair {
        before_photo: photo.clone(),
        healed_photo: healed,
        before_face_line: 1000,
        healed_face_line: 1000,
        caption: String::new(),
    };
    let pair = studio.add_gallery_pair(&client, &practitioner, &pair).await.unwrap().unwrap();
    let gallery = studio.set_public_gallery(&admin, true).await.unwrap().unwrap();
    let report_link = studio.share_report(&client, &report, &practitioner, 30, None).await.unwrap().unwrap();
    let params = vec![
        ("{feed}", feed),
        ("{portfolio}", portfolio),
        ("{pair}", pair),
        ("{side}", "before.jpg".to_string()),
        ("{gallery}", gallery),
        ("{report_link}", report_link),
        ("{previsit}", previsit),
        ("{quote}", quote),
        ("{report}", report),
        ("{unsubscribe}", unsubscribe),
        ("{message}", message),
        ("{kind}", "session-reminder".to_string()),
        ("{id}", client),
        ("{consent}", consent),
        ("{photo}", photo),
        ("{design}", design),
        ("{session}", treatment),
        ("{user}", colleague.id),
        ("{token}", token),
        ("{*path}", "app.css".to_string()),
    ];
    World { app, params, admin, practitioner, front_desk, other_admin }
}

impl World {
    fn uri(&self, path: &str) -> String {
        self.params.iter().fold(path.to_string(), |uri, (name, value)| uri.replace(name, value))
    }

    /// Sends the route's request as `user` (a fresh login each time, so
    /// that a logout or a hand-over cannot touch the next request), with
    /// the login's CSRF token in a form or a multipart body.
    async fn visit(&self, method: &str, path: &str, user: Option<&smp_store::User>) -> Reply {
        let uri = self.uri(path);
        let Some(user) = user else {
            let call = self.app.request(method, &uri);
            return if method == "GET" {
                call.await
            } else {
                call.form(&format!("csrf={}", fields_of(path))).await
            };
        };
        let session = self.app.store.start_session(user, 1).await.unwrap();
        let call = self.app.request(method, &uri).by(&session.token);
        if method == "GET" {
            return call.await;
        }
        match path {
            "/clients/{id}/photos" | "/admin/studio/logo" => {
                call.body(multipart(&[("csrf", &session.csrf)], None)).await
            }
            _ => call.form(&format!("csrf={}{}", session.csrf, self.uri(fields_of(path)))).await,
        }
    }
}

/// What a form needs beyond its CSRF token for its handler to run at all
/// (a form without them is refused before anyone is asked who they are).
fn fields_of(path: &str) -> &'static str {
    match path {
        "/login" => "&name=nobody&password=not+the+password",
        "/clients/{id}/details" => "&full_name=Cleo+Access",
        "/clients/{id}/consent" => "&text_id=none",
        "/clients/{id}/sessions/{session}/aftercare-link/revoke" => "&token=none",
        "/clients/{id}/plan" => "&design_id={design}&start=2027-01-04",
        "/clients/{id}/head" => "&circumference_mm=549&ear_to_ear_mm=295&front_to_back_mm=327",
        "/admin/users/{user}/account" => "&role=front-desk&status=active",
        "/forms/{previsit}" => "&birth_date=1980-01-01",
        "/clients/{id}/designs/{design}/quote" => "&treatment=full-head",
        "/clients/{id}/quotes/{quote}/deposit" => "&amount=100",
        "/gallery/public" => "&public=on",
        "/admin/studio/paper" => "&paper=letter",
        _ => "",
    }
}

fn goes_to_login(r: &Reply) -> bool {
    r.status.is_redirection() && r.location.as_deref() == Some("/login")
}

/// Whether the path names a record of studio A (another studio's staff
/// must find nothing there).
fn names_a_record(path: &str) -> bool {
    [
        "{id}",
        "{photo}",
        "{design}",
        "{session}",
        "{consent}",
        "{user}",
        "{message}",
        "{quote}",
        "{report}",
        "{portfolio}",
        "{pair}",
    ]
    .iter()
    .any(|p| path.contains(p))
}

#[tokio::test]
async fn every_route_answers_each_visitor_as_the_table_says() {
    let w = world().await;
    let mut wrong = Vec::new();
    // Reads before writes, so that a write (a logo removed) cannot change
    // what a later read finds.
    let mut routes = ROUTES.to_vec();
    routes.sort_by_key(|(method, ..)| *method != "GET");
    for (method, path, access) in routes {
        let mut check = |who: &str, r: &Reply, ok: bool, expected: &str| {
            if !ok {
                wrong.push(format!(
                    "{method} {path} as {who}: {} (expected {expected}) {}",
                    r.status,
                    r.location.as_deref().unwrap_or("")
                ));
            }
        };
        let anonymous = w.visit(method, path, None).await;
        match access {
            // Answered without a login (a login form with a wrong token is
            // refused, but as a form, not by sending the visitor away).
            Public | Link => {
                let answered = match access {
                    Link => anonymous.status.is_success(),
                    _ => !goes_to_login(&anonymous) && anonymous.status.as_u16() < 500,
                };
                check("anonymous", &anonymous, answered, "an answer without a login");
            }
            _ => check("anonymous", &anonymous, goes_to_login(&anonymous), "the login page"),
        }
        // The right role: any answer but a refusal or a failure of ours.
        let right = match access {
            Public | Link => continue,
            LoggedIn | Staff => &w.front_desk,
            Clinical => &w.practitioner,
            Admin => &w.admin,
        };
        let r = w.visit(method, path, Some(right)).await;
        let refused = [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status);
        // Logging out answers with the login page; nothing else may.
        let sent_away = goes_to_login(&r) && path != "/logout";
        check("the right role", &r, !refused && !sent_away && r.status.as_u16() < 500, "its answer");
        // A role without the right.
        let without = match access {
            Clinical => Some(&w.front_desk),
            Admin => Some(&w.practitioner),
            _ => None,
        };
        if let Some(user) = without {
            let r = w.visit(method, path, Some(user)).await;
            check("a role without the right", &r, r.status == StatusCode::FORBIDDEN, "403");
        }
        // Staff of another studio, with every role there.
        if names_a_record(path) {
            let r = w.visit(method, path, Some(&w.other_admin)).await;
            check("another studio's admin", &r, r.status == StatusCode::NOT_FOUND, "404");
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));
}
