//! What every page shares: headers and limits, assets, concurrent saves, kept input on a failure, two instances on one database.

use crate::support::*;

#[tokio::test]
async fn pages_carry_protective_headers_and_bodies_are_limited() {
    let app = app().await;
    let res = app.router.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let policy = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'") && policy.contains("style-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "no inline script or style may run: {policy}");
    let big = format!("name={}&password=x", "a".repeat(100_000));
    let r = app.post("/login").form(&big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn assets_are_served_from_the_binary() {
    let app = app().await;
    let r = app.get("/assets/vendor/htmx.min.js").await;
    assert_eq!(
        (r.status, r.content_type.as_deref()),
        (StatusCode::OK, Some("text/javascript; charset=utf-8"))
    );
    assert!(r.body.contains("htmx"));
    let r = app.get("/assets/signature.js").await;
    assert!(r.status.is_success() && r.body.contains("toDataURL"));
    assert_eq!(app.get("/assets/../Cargo.toml").await.status, StatusCode::NOT_FOUND);

    // Every page links the one stylesheet (no page-long <style> block), by an
    // address stamped with its content, so a new version is fetched at once.
    let login = app.get("/login").await.body;
    assert!(!login.contains("<style>"), "{login}");
    let href = login.split("<link rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(
        href.starts_with("/assets/app.css?v=") && href.len() == "/assets/app.css?v=".len() + 12,
        "{href}"
    );
    let r = app.get(href).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("text/css; charset=utf-8")));
    assert!(r.body.contains("--text-base") && r.body.contains("--touch: 44px"), "the design tokens");
}

/// Twenty of each kind of save sent at once, on real threads against the real
/// database: every one is stored (a deferred BEGIN failed most of them with
/// "busy" on SQLite), and design versions are numbered without a gap or a
/// clash.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saves_sent_at_once_all_succeed() {
    const N: usize = 20;
    let app = std::sync::Arc::new(app().await);
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    let mut charts = Vec::new();
    for i in 0..N {
        charts.push(
            app.post("/clients")
                .by(&pia)
                .form(&format!("csrf={csrf}&full_name=Client+{i}"))
                .await
                .location
                .unwrap(),
        );
    }
    let (shared_chart, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let consent_form = app.get(&format!("{}/consent", charts[0])).by(&pia).await.body;
    let text_id = consent_form
        .split("name=\"text_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let signature = drawn_signature(true);
    let mut photo = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut photo)
        .encode_image(&image::RgbImage::from_pixel(320, 240, image::Rgb([180, 140, 120])))
        .unwrap();
    let drawing = "scale_from=20%2C280&scale_to=380%2C280&scale_mm=140&hairline=50%2C80+200%2C60+350%2C80\
                   &zone=30%2C60+370%2C60+370%2C260+30%2C260&style=soft&density=20&diameter_mm=0.45";

    let mut tasks = Vec::new();
    for (i, chart) in charts.iter().enumerate() {
        let kinds: [(String, RequestBody); 4] = [
            (
                format!("{chart}/intake"),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02").into_bytes(),
                )),
            ),
            (
                format!("{chart}/consent"),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!(
                        "csrf={csrf}&text_id={text_id}&agree=on&signed_name=Client+{i}&signature={signature}"
                    )
                    .into_bytes(),
                )),
            ),
            (
                editor.clone(),
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("csrf={csrf}&{drawing}").into_bytes(),
                )),
            ),
            (
                format!("{chart}/photos"),
                Some(multipart(&[("csrf", &csrf), ("angle", "crown")], Some(("crown.jpg", &photo)))),
            ),
        ];
        for (uri, body) in kinds {
            let (app, pia) = (app.clone(), pia.clone());
            tasks.push(tokio::spawn(async move {
                let r = app.post(&uri).by(&pia).maybe_body(body).await;
                (uri, r.status, r.body)
            }));
        }
    }
    let mut failures = Vec::new();
    for task in tasks {
        let (uri, status, body) = task.await.unwrap();
        if status != StatusCode::SEE_OTHER {
            failures.push(format!("{uri}: {status} {}", body.chars().take(200).collect::<String>()));
        }
    }
    assert!(failures.is_empty(), "{} of {} saves failed: {failures:#?}", failures.len(), 4 * N);

    let studio = app.store.studio(&a);
    let client_id = shared_chart.rsplit('/').next().unwrap();
    let mut versions: Vec<i64> = studio.designs(client_id).await.unwrap().iter().map(|d| d.version).collect();
    versions.sort();
    assert_eq!(versions, (1..=N as i64).collect::<Vec<_>>());
    for chart in &charts {
        let id = chart.rsplit('/').next().unwrap();
        assert_eq!(studio.screenings(id).await.unwrap().len(), 1, "{chart}");
        assert_eq!(studio.consents(id).await.unwrap().len(), 1, "{chart}");
        assert_eq!(studio.photos(id).await.unwrap().len(), 1, "{chart}");
    }
}

/// A form sent while the database does not answer is not lost: the error
/// page shows what was typed and sends it again with one tap, with the
/// request's reference; the log line has the cause.
#[tokio::test]
async fn a_server_error_keeps_what_was_typed() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    app.store.close().await;
    let form = format!("csrf={csrf}&full_name=Ivy+Typed&phone=%2B44+20+7946+0000&email=");
    let req = Request::post("/clients")
        .header(header::COOKIE, format!("{SESSION_COOKIE}={pia}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, form.len())
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::from(form))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_server_error());
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("database did not answer") && body.contains("Send again"), "{body}");
    assert!(body.contains("<form method=\"post\" action=\"/clients\">"), "{body}");
    for hidden in [format!("name=\"csrf\" value=\"{csrf}\""), "name=\"full_name\" value=\"Ivy Typed\"".into()]
    {
        assert!(body.contains(&hidden), "{hidden} in {body}");
    }
    assert!(body.contains("<dd>+44 20 7946 0000</dd>") && body.contains("reference <code>"), "{body}");
    assert!(!body.contains(&format!("<dd>{csrf}</dd>")), "the token is not shown");
}

/// A chain runs several instances of the app on one PostgreSQL database and
/// one S3-compatible bucket: a login on one works on the other, a photo
/// uploaded through one is shown by the other, and the sweep at either's
/// start removes only what no record names. Runs where the suite has both
/// (`scripts/test`'s PostgreSQL run, with its S3-compatible server).
#[tokio::test]
async fn two_instances_share_one_database_and_one_bucket() {
    let first = app().await;
    let (Some(url), Ok(_)) = (first.url.clone(), std::env::var("SMP_WEB_TEST_S3_URL")) else {
        eprintln!("skipped: needs SMP_WEB_TEST_DATABASE_URL and SMP_WEB_TEST_S3_URL");
        return;
    };
    // The second instance: its own connections, bucket client, caches and
    // throttles; nothing shared but the addresses.
    let dir = tempfile::tempdir().unwrap();
    let files = PhotoFiles::in_bucket(&first.files.describe()).unwrap();
    let store = Store::open(&url).await.unwrap();
    let second = App {
        router: router(AppState::new(store.clone(), dir.path()).with_photo_files(files.clone())),
        store,
        files,
        url: Some(url),
        _dir: dir,
    };
    let studio = first.store.create_studio("Chain").await.unwrap();
    first.store.create_user(&studio, "pia", Role::Practitioner, "a long password", false).await.unwrap();

    // Logged in through the first, working through the second.
    let (pia, csrf) = login(&first, "pia", "a long password").await;
    let (chart, _) = client_with_photo(&second, &pia, &csrf, "Ivy").await;
    let on_first = first.get(&chart).by(&pia).await;
    assert_eq!(on_first.status, StatusCode::OK);
    let photo = on_first.body.split("/photos/").nth(1).unwrap().split(['"', '/']).next().unwrap().to_string();
    let from_first = first.get(&format!("/photos/{photo}")).by(&pia).await;
    let from_second = second.get(&format!("/photos/{photo}")).by(&pia).await;
    assert_eq!((from_first.status, from_second.status), (StatusCode::OK, StatusCode::OK));
    assert!(from_first.bytes.len() > 1000 && from_first.bytes == from_second.bytes);
    // Logged out through the second: the session is gone on the first too.
    let r = second.post("/logout").by(&pia).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(first.get(&chart).by(&pia).await.status, StatusCode::SEE_OTHER);

    // A file a crashed instance left without its record is swept; the
    // recorded photo's files stay, whichever instance sweeps.
    second
        .files
        .put(&studio, "0123456789abcdef0123456789abcdef.jpg", b"left by a crash".to_vec())
        .await
        .unwrap();
    let before = first.stored(&studio).await;
    assert_eq!(before.len(), 4);
    let swept = smp_web::sweep_orphans_older_than(&first.state(), std::time::Duration::ZERO).await.unwrap();
    assert_eq!(swept, 1);
    let after: Vec<String> = second.stored(&studio).await.into_keys().collect();
    assert_eq!(after, [format!("{photo}.jpg"), format!("{photo}.screen.jpg"), format!("{photo}.thumb.jpg")]);
}
