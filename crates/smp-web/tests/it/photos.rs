//! Photos: uploads checked and cleaned, who sees them, withdrawals, the orphan sweep, audited views.

use crate::support::*;

#[tokio::test]
async fn photos_are_stored_upright_without_metadata_for_practitioners_only() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let chart =
        app.post("/clients").by(&pia).form(&format!("csrf={csrf}&full_name=Ivy")).await.location.unwrap();
    let upload = format!("{chart}/photos");
    let photo = phone_jpeg(64, 40);
    let form = |csrf: &str, angle: &str, file: Option<(&str, &[u8])>| {
        multipart(&[("csrf", csrf), ("angle", angle)], file)
    };

    let r =
        app.post(&upload).by(&pia).body(form(&csrf, "crown", Some(("IMG_0042 at home.jpg", &photo)))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&chart).by(&pia).await;
    assert!(r.body.contains("crown") && r.body.contains("40 × 64"), "upright: {}", r.body);
    assert!(!r.body.contains("IMG_0042"), "the uploaded name is not kept");
    let id = r.body.split("/photos/").nth(1).unwrap().split(['"', '/']).next().unwrap().to_string();

    // Stored: the server's names only, no metadata, upright.
    let files = app.stored(&a).await;
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(names, [&format!("{id}.jpg"), &format!("{id}.screen.jpg"), &format!("{id}.thumb.jpg")]);
    let stored = files[&format!("{id}.jpg")].clone();
    assert!(!contains(&stored, b"Exif") && !contains(&stored, b"GPS"));
    let folder = app._dir.path().join("photos").join(&a.0);
    #[cfg(unix)]
    if std::env::var("SMP_WEB_TEST_S3_URL").is_err() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(folder.clone()), 0o700, "the studio's photo folder is private");
        for name in &names {
            assert_eq!(mode(folder.join(name)), 0o600, "{name} is private");
        }
    }

    let r = app.get(&format!("/photos/{id}")).by(&pia).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")));
    assert_eq!(r.bytes, stored);
    let r = app.get(&format!("/photos/{id}/thumbnail")).by(&pia).await;
    let thumb = image::load_from_memory(&r.bytes).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (40, 64));

    // Bad uploads: a message beside the field, the angle kept, nothing stored.
    let r = app.post(&upload).by(&pia).body(form(&csrf, "top", Some(("notes.pdf", b"%PDF-1.7")))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not a photo") && r.body.contains("value=\"top\" selected"), "{}", r.body);
    let r = app
        .post(&upload)
        .by(&pia)
        .body(form(&csrf, "top", Some(("huge.png", &png_claiming(9000, 9000)))))
        .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("9000 × 9000")
            && r.body.contains("50 megapixels"),
        "{}",
        r.body
    );
    let r = app.post(&upload).by(&pia).body(form(&csrf, "", Some(("a.jpg", &photo)))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose the angle"));
    let r = app.post(&upload).by(&pia).body(form(&csrf, "front", None)).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Choose a photo"));
    let r = app.post(&upload).by(&pia).body(form("forged", "front", Some(("a.jpg", &photo)))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let big = vec![0u8; 31 << 20];
    let r = app.post(&upload).by(&pia).body(form(&csrf, "front", Some(("big.jpg", &big)))).await;
    assert!(r.status == StatusCode::PAYLOAD_TOO_LARGE && r.body.contains("30 MB"), "{}", r.status);
    assert_eq!(app.stored(&a).await.len(), 3, "nothing else was stored");

    // The front desk neither uploads nor sees photos; another studio finds none.
    let r = app.post(&upload).by(&fred).body(form(&fred_csrf, "front", Some(("a.jpg", &photo)))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/photos/{id}")).by(&fred).await.status, StatusCode::FORBIDDEN);
    let r = app.get(&chart).by(&fred).await;
    assert!(r.body.contains("Photos are for practitioners") && !r.body.contains(&id));
    assert_eq!(app.get(&format!("/photos/{id}")).by(&bo).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/photos/{id}/thumbnail")).by(&bo).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&upload).by(&bo).body(form(&bo_csrf, "front", Some(("a.jpg", &photo)))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/photos/{id}")).await.location.as_deref(), Some("/login"));

    let actions: Vec<String> =
        app.store.studio(&a).audit_log(50).await.unwrap().into_iter().map(|e| e.action).collect();
    for action in ["upload-photo", "view-photos", "view-photo"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

/// A photo cut short (a dropped upload) decodes with its missing part grey:
/// refused with a message instead, and nothing is stored.
#[tokio::test]
async fn photos_cut_short_are_refused_and_not_stored() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    let chart =
        app.post("/clients").by(&pia).form(&format!("csrf={csrf}&full_name=Ivy")).await.location.unwrap();
    let photo =
        image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x * 7) as u8, (x ^ y) as u8, y as u8]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&photo).unwrap();
    for cut in [jpeg.len() * 6 / 10, 2048] {
        let r = app
            .post(&format!("{chart}/photos"))
            .by(&pia)
            .body(multipart(&[("csrf", &csrf), ("angle", "top")], Some(("top.jpg", &jpeg[..cut]))))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "cut at {cut}");
        assert!(r.body.contains("damaged or incomplete"), "{}", r.body);
    }
    // The form's token comes before the file; a file sent before it is
    // refused without being read.
    let r = app
        .post(&format!("{chart}/photos"))
        .by(&pia)
        .body(multipart(&[("angle", "top")], Some(("top.jpg", &jpeg))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let client_id = chart.rsplit('/').next().unwrap();
    assert!(app.store.studio(&a).photos(client_id).await.unwrap().is_empty());
    assert!(app.stored(&a).await.is_empty(), "no file left");
}

/// What a crash leaves in the photo store (files written before their
/// record, temporary files) is swept at start; recorded photos and files
/// young enough to belong to an upload in flight stay.
#[tokio::test]
async fn the_sweep_removes_what_a_crash_left_and_nothing_else() {
    let app = local_app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let folder = app._dir.path().join("photos").join(&a.0);
    let kept: std::collections::BTreeSet<_> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let make = |name: &str, old: bool| {
        let path = folder.join(name);
        std::fs::write(&path, b"left by a crash").unwrap();
        if old {
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(an_hour_ago).unwrap();
        }
    };
    make("0123456789abcdef0123456789abcdef.jpg", true);
    make("0123456789abcdef0123456789abcdef.thumb.jpg", true);
    make(".smp-partial-Xy12", true);
    make("fedcba9876543210fedcba9876543210.jpg", false);
    // The recorded photo's files are old too: they stay.
    for name in &kept {
        std::fs::File::options()
            .write(true)
            .open(folder.join(name))
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }
    let state = AppState::new(app.store.clone(), app._dir.path());
    assert_eq!(smp_web::sweep_orphans(&state).await.unwrap(), 3);
    let mut left: std::collections::BTreeSet<_> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.remove(std::ffi::OsStr::new("fedcba9876543210fedcba9876543210.jpg")), "young: kept");
    assert_eq!(left, kept);
}

/// Every view of a photo is audited, the smaller copies too (a thumbnail
/// or screen copy fetched without the chart left no trace), once per person
/// and client for a few minutes rather than once per picture.
#[tokio::test]
async fn views_of_every_photo_size_are_audited_once_a_while() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), .. } = cast(&app, "A").await;
    client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let id = app.store.studio(&a).photo_ids().await.unwrap().into_iter().next().unwrap();
    app.store.create_user(&a, "lou", Role::Practitioner, "a long password", false).await.unwrap();
    let (lou, _) = login(&app, "lou", "a long password").await;
    for copy in ["thumbnail", "screen", "thumbnail"] {
        let r = app.get(&format!("/photos/{id}/{copy}")).by(&lou).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    let lous: Vec<&str> = log.iter().filter(|e| e.staff_name == "lou").map(|e| e.action.as_str()).collect();
    assert_eq!(lous.iter().filter(|a| **a == "view-photos").count(), 1, "{lous:?}");
}

/// A wrong photo is withdrawn with a reason: gone from the chart's photos
/// and the editor, kept for the record with the reason, audited.
#[tokio::test]
async fn a_wrong_photo_is_withdrawn_with_a_reason_and_kept() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), .. } = cast(&app, "A").await;
    let (chart, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let photo = editor.split("/photos/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let withdraw = format!("/photos/{photo}/withdraw");
    let r = app.post(&withdraw).by(&fred).form(&format!("csrf={fred_csrf}&reason=wrong")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "photos are for practitioners");
    let r = app.post(&withdraw).by(&pia).form(&format!("csrf={csrf}&reason=+")).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("Say why"), "{}", r.body);
    let r = app.post(&withdraw).by(&pia).form(&format!("csrf={csrf}&reason=Another+client%27s+photo")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = app.get(&chart).by(&pia).await.body;
    assert!(!body.contains(&format!("/photos/{photo}/thumbnail")), "not among the photos");
    assert!(body.contains("Withdrawn photos (1)") && body.contains("Another client&#39;s photo"), "{body}");
    assert_eq!(app.get(&editor).by(&pia).await.status, StatusCode::GONE);
    // Kept for the record: the file is still there and viewable.
    assert_eq!(app.get(&format!("/photos/{photo}")).by(&pia).await.status, StatusCode::OK);
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "withdraw-photo" && e.staff_name == "pia"));
}
