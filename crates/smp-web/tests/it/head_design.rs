//! The design on the head: points tapped on each photo, shapes drawn on
//! one and seen on the others, the fit beside each photo, versions.

use crate::support::*;

/// A client with a top and a front photo (plain skin, 1000 x 1000): the
/// chart's address and the two photos' ids.
async fn client_with_two_photos(app: &App, pia: &str, csrf: &str, name: &str) -> (String, String, String) {
    let chart = app
        .post("/clients")
        .by(pia)
        .form(&format!("csrf={csrf}&full_name={name}&birth_date=1980-02-01"))
        .await
        .location
        .unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_pixel(1000, 1000, image::Rgb([196, 150, 124])))
        .unwrap();
    for angle in ["top", "front"] {
        let r = app
            .post(&format!("{chart}/photos"))
            .by(pia)
            .body(multipart(&[("csrf", csrf), ("angle", angle)], Some(("p.jpg", &jpeg))))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let body = app.get(&chart).by(pia).await.body;
    let id_of = |angle: &str| {
        let at = body.find(&format!("alt=\"{angle} view")).unwrap();
        let before = &body[..at];
        let start = before.rfind("/photos/").unwrap() + "/photos/".len();
        before[start..].split('/').next().unwrap().to_string()
    };
    (chart, id_of("top"), id_of("front"))
}

/// The example design's drawing (its photos are 4000 px wide) at a quarter
/// of its size, on the photos `top` and `front`.
fn drawing(top: &str, front: &str) -> serde_json::Value {
    let example =
        smp_core::head_design::parse_head_design(smp_core::head_design::EXAMPLE_HEAD_DESIGN).unwrap();
    let quarter = |p: &[f64; 2]| serde_json::json!([p[0] / 4.0, p[1] / 4.0]);
    let points = |i: usize| {
        example.photos[i]
            .1
            .points
            .iter()
            .map(|(k, p)| (k.clone(), quarter(p)))
            .collect::<serde_json::Map<_, _>>()
    };
    let file = &example.file;
    serde_json::json!({
        "points": { top: points(0), front: points(1) },
        "hairline": { "on": front, "points": file.hairline.as_ref().unwrap().points.iter().map(quarter).collect::<Vec<_>>() },
        "zones": [{ "on": top, "points": file.zones[0].polygon.iter().map(quarter).collect::<Vec<_>>(), "density": "60" }],
    })
}

fn form(drawing: &serde_json::Value, extra: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("drawing", &drawing.to_string());
    out.append_pair("diameter_mm", "0.8");
    for (k, v) in extra {
        out.append_pair(k, v);
    }
    out.finish()
}

#[tokio::test]
async fn one_design_drawn_on_one_photo_shows_on_the_others_and_saves_in_versions() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, fred: (fred, _), bo: (bo, _) } = cast(&app, "A").await;
    let (chart, top, front) = client_with_two_photos(&app, &pia, &csrf, "Hugo").await;
    let editor = format!("{chart}/head-design");

    // The chart offers it; the page has a tab per photo and says the head
    // is a typical one until measured.
    assert!(app.get(&chart).by(&pia).await.body.contains(&format!("href=\"{editor}\"")));
    let page = app.get(&editor).by(&pia).await;
    assert!(page.status.is_success(), "{}", page.body);
    assert!(
        page.body.contains(&format!("data-photo=\"{top}\""))
            && page.body.contains(&format!("data-photo=\"{front}\""))
    );
    assert!(page.body.contains("a typical adult head is assumed"), "{}", page.body);
    assert!(page.body.contains("/assets/head-editor.js"));

    // The fit: both photos within a millimetre; the zone drawn on the top
    // photo carried onto the front one; areas of scalp and impressions.
    let drawn = drawing(&top, &front);
    let r = app.post(&format!("{editor}/fit")).by(&pia).form(&form(&drawn, &[])).await;
    assert_eq!(r.content_type.as_deref(), Some("application/json"), "{}", r.body);
    let fit: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(fit["problem"].is_null(), "{fit}");
    for id in [&top, &front] {
        assert!(fit["photos"][id]["rms_mm"].as_f64().unwrap() < 1.0, "{fit}");
        assert_eq!(fit["photos"][id]["poor"], false, "{fit}");
    }
    assert!(!fit["photos"][&front]["carried"].as_array().unwrap().is_empty(), "{fit}");
    assert!(fit["zones_cm2"][0].as_f64().unwrap() > 100.0, "{fit}");
    assert!(fit["impressions"].as_u64().unwrap() > 10_000, "{fit}");
    assert!(fit["warnings"].to_string().contains("typical adult head"), "{fit}");

    // The preview on the front photo shows the zone drawn on the top one,
    // and on the top photo too.
    for id in [&front, &top] {
        let r = app
            .post(&format!("{editor}/preview/{id}"))
            .by(&pia)
            .form(&form(&drawn, &[("stage", "healed")]))
            .await;
        assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);
        let shown = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
        let dark = shown.pixels().filter(|p| p[1] < 120).count();
        assert!(dark > 1000, "{id}: {dark} dark pixels");
    }

    // A tie point tapped in the wrong place is named beside its photo.
    let mut off = drawn.clone();
    off["points"][&front]["temple"] = serde_json::json!([150.0, 300.0]);
    let r = app.post(&format!("{editor}/fit")).by(&pia).form(&form(&off, &[])).await;
    let fit: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(fit["photos"][&front]["warnings"].to_string().contains("temple"), "{fit}");

    // Saving without a zone keeps the drawing and says what is missing.
    let mut no_zone = drawn.clone();
    no_zone["zones"] = serde_json::json!([]);
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{}", form(&no_zone, &[]))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Draw the zone to treat"), "{}", r.body);
    assert!(r.body.contains("glabella"), "the points tapped are kept");

    // Saved: a version that opens in this editor with the drawing.
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{}", form(&drawn, &[]))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let opened = r.location.unwrap();
    assert!(opened.starts_with(&format!("{editor}?design=")), "{opened}");
    let page = app.get(&opened).by(&pia).await;
    assert!(page.body.contains("Version 1 by") && page.body.contains("right_ear"), "{}", page.body);
    let chart_page = app.get(&chart).by(&pia).await.body;
    assert!(
        chart_page.contains(&opened.replace('&', "&amp;")) && chart_page.contains("on the head"),
        "{chart_page}"
    );
    // Opened from a photo's editor, it is sent here.
    let design_id = opened.split("design=").nth(1).unwrap();
    let r = app.get(&format!("{chart}/photos/{top}/design?design={design_id}")).by(&pia).await;
    assert_eq!(r.location.as_deref(), Some(opened.as_str()));

    // Exported at full size on the photo asked for.
    let r = app.get(&format!("{chart}/designs/{design_id}/export?stage=healed&photo={front}")).by(&pia).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);

    // Planned from: the counts are those on the scalp.
    let client_id = chart.rsplit('/').next().unwrap();
    screened(&app, &a, &pia_user, client_id, "proceed", None, false).await;
    let r = app
        .post(&format!("{chart}/plan"))
        .by(&pia)
        .form(&format!("csrf={csrf}&design_id={design_id}&start=2027-03-01"))
        .await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{} {}", r.status, r.body);

    // Once the head is measured, the design uses it.
    let r = app
        .post(&format!("{chart}/head"))
        .by(&pia)
        .form(&format!("csrf={csrf}&circumference_mm=549&ear_to_ear_mm=295&front_to_back_mm=327"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.post(&format!("{editor}/fit")).by(&pia).form(&form(&drawn, &[])).await;
    let fit: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(!fit["warnings"].to_string().contains("typical adult head"), "{fit}");
    assert!(app.get(&editor).by(&pia).await.body.contains("The head model is the client's own"));

    // The front desk may not; another studio finds no such client.
    assert_eq!(app.get(&editor).by(&fred).await.status, StatusCode::FORBIDDEN);
    let r = app.post(&format!("{editor}/fit")).by(&bo).form(&form(&drawn, &[])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_photo_of_another_client_cannot_be_drawn_on() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    let (chart, top, front) = client_with_two_photos(&app, &pia, &csrf, "Hugo").await;
    let (_, other_top, _) = client_with_two_photos(&app, &pia, &csrf, "Ines").await;
    let mut drawn = drawing(&top, &front);
    drawn["zones"][0]["on"] = serde_json::json!(other_top);
    let editor = format!("{chart}/head-design");
    let r = app.post(&format!("{editor}/fit")).by(&pia).form(&form(&drawn, &[])).await;
    let fit: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(fit["problem"].as_str().is_some_and(|p| p.contains("no longer has")), "{fit}");
    let r = app.post(&format!("{editor}/preview/{other_top}")).by(&pia).form(&form(&drawn, &[])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
