//! The consultation report from a saved design version: made, kept,
//! listed and downloaded; its pages looked at through poppler.

use crate::support::*;

#[tokio::test]
async fn a_consultation_report_is_made_from_a_version_kept_and_downloaded() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), pia_user, .. } =
        cast(&app, "A").await;
    // The studio's paper and logo (a transparent one), set by an admin.
    let studio = app.store.studio(&a);
    studio.set_report_paper(&pia_user, "letter").await.unwrap();
    let mut logo = Vec::new();
    image::RgbaImage::from_fn(300, 100, |x, _| image::Rgba([30, 60, 140, if x < 150 { 255 } else { 0 }]))
        .write_to(&mut std::io::Cursor::new(&mut logo), image::ImageFormat::Png)
        .unwrap();
    studio.set_logo(&pia_user, Some(&logo)).await.unwrap();
    let photo = smp_render::synthetic::scalp_photo(800, 600, [196, 150, 124], 4);
    let (chart, editor) = client_with_photo_of(&app, &pia, &csrf, "Rita Report", &photo).await;
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    screened(&app, &a, &pia_user, &client_id, "proceed", None, true).await;
    // The latest screening's instructions for before a session.
    let result = serde_json::json!({
        "outcome": "proceed", "earliest_date": null, "rules_version": "test",
        "findings": [{"rule": "anticoagulants", "outcome": "proceed", "because": "Takes warfarin daily"}],
        "pre_session": ["Come with a clean, dry scalp.", "Ask the doctor who prescribed your blood thinner first."],
    });
    studio.record_screening(&client_id, &pia_user, "", "test", "proceed", &result.to_string()).await.unwrap();
    let drawing = "scale_from=50%2C550&scale_to=750%2C550&scale_mm=140&hairline=100%2C150+400%2C100+700%2C150\
                   &zone=60%2C120+740%2C120+740%2C520+60%2C520&style=soft&density=60&diameter_mm=0.45";
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{drawing}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let version = r.location.unwrap();
    let design_id = version.rsplit("design=").next().unwrap().to_string();
    let make = format!("/clients/{client_id}/designs/{design_id}/report");

    // Front desk and another studio: no.
    assert_eq!(
        app.post(&make).by(&fred).form(&format!("csrf={fred_csrf}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post(&make).by(&bo).form(&format!("csrf={bo_csrf}")).await.status, StatusCode::NOT_FOUND);

    // The client's plan follows this version: the report gives its days.
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(5);
    let r = app
        .post(&format!("/clients/{client_id}/plan"))
        .by(&pia)
        .form(&format!("csrf={csrf}&design_id={design_id}&start={start}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.post(&make).by(&pia).form(&format!("csrf={csrf}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().unwrap().ends_with("#reports"));
    let page = app.get(&version).by(&pia).await.body;
    let href = page
        .split("href=\"/clients/")
        .find(|s| s.contains("/reports/"))
        .map(|s| format!("/clients/{}", s.split('"').next().unwrap()))
        .unwrap_or_else(|| panic!("{page}"));
    let r = app.get(&href).by(&pia).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("application/pdf")));
    assert!(r.bytes.starts_with(b"%PDF-"));
    // Its pages, as a person would see them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.pdf"), &r.bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["r.pdf", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Consultation for Rita Report")
            && text.contains("The plan")
            && text.contains("Aftercare"),
        "{text}"
    );
    // What to do before a session (never the answers behind it), and
    // where the consents stand.
    assert!(
        text.contains("Before each session") && text.contains("You signed our consent to treatment on"),
        "{text}"
    );
    assert!(text.contains("Ask the doctor who prescribed your blood thinner first."), "{text}");
    assert!(
        text.contains("booked on these days") && text.contains(&start.format("%-d %B %Y").to_string()),
        "{text}"
    );
    assert!(text.contains("not shown in the studio") && !text.contains("warfarin"), "{text}");
    let tool = |name: &str, args: &[&str]| {
        let out = std::process::Command::new(name).args(args).current_dir(dir.path()).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(tool("pdfinfo", &["r.pdf"]).contains("612 x 792 pts (letter)"));
    // The logo keeps its transparency: an image with a soft mask.
    assert!(tool("pdfimages", &["-list", "r.pdf"]).contains("smask"));
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "40", "-png", "r.pdf", "p"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(rendered.success());
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
        .count();
    assert!((2..=4).contains(&pages), "{pages} pages");
    // Each making is kept; the download is the practitioners'.
    assert_eq!(app.post(&make).by(&pia).form(&format!("csrf={csrf}")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.studio(&a).reports(&design_id).await.unwrap().len(), 2);
    // The chart lists them too, with the version they were made from, for
    // practitioners only.
    let page = app.get(&chart).by(&pia).await.body;
    assert_eq!(page.matches("Report of version 1,").count(), 2, "{page}");
    assert!(page.contains(&href));
    assert!(!app.get(&chart).by(&fred).await.body.contains("Report of"));
    assert_eq!(app.get(&href).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&href).by(&bo).await.status, StatusCode::NOT_FOUND);
}
