//! The design editor: drawing, preview, versions, limits.

use crate::support::*;

#[tokio::test]
async fn designs_are_drawn_previewed_and_saved_in_versions() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let chart = app
        .post("/clients")
        .by(&pia)
        .form(&format!("csrf={csrf}&full_name=Ivy&birth_date=1970-05-01"))
        .await
        .location
        .unwrap();
    // A plain skin-coloured photo, 800 x 600.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::from_pixel(800, 600, image::Rgb([196, 150, 124])))
        .unwrap();
    let r = app
        .post(&format!("{chart}/photos"))
        .by(&pia)
        .body(multipart(&[("csrf", &csrf), ("angle", "top")], Some(("top.jpg", &jpeg))))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = app.get(&chart).by(&pia).await.body;
    let editor = body
        .split("href=\"")
        .find(|s| s.contains("/design\""))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let base = editor.trim_end_matches("/design").to_string();

    let r = app.get(&editor).by(&pia).await;
    assert!(
        r.status.is_success()
            && r.body.contains("/assets/editor.js")
            && r.body.contains("data-width=\"800\""),
        "{}",
        r.body
    );

    let drawing = "scale_from=50%2C550&scale_to=750%2C550&scale_mm=140&hairline=100%2C150+400%2C100+700%2C150\
                   &zone=60%2C120+740%2C120+740%2C520+60%2C520&style=soft&density=60&diameter_mm=0.45";
    let r = app.post(&format!("{base}/preview")).by(&pia).form(&format!("{drawing}&stage=healed")).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);
    let healed = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
    assert_eq!(healed.dimensions(), (800, 600), "screen size (the photo is smaller than a screen)");
    let r = app.post(&format!("{base}/preview")).by(&pia).form(&format!("{drawing}&stage=before")).await;
    let before = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
    let darker = |img: &image::RgbImage| img.pixels().filter(|p| p[1] < 120).count();
    assert!(darker(&healed) > 10 * (darker(&before) + 1000), "dots appear inside the zone");
    assert!(healed.get_pixel(20, 20)[1] > 140, "nothing outside the zone");

    // Advice in plain words, for the design and for the pigment on this skin.
    let r = app.post(&format!("{base}/advice")).by(&pia).form(drawing).await;
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let advice: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(advice["problem"].is_null(), "{advice}");
    assert!(advice["skin"].as_str().is_some_and(|s| s.contains("zones looks like type")), "{advice}");
    // A skin sample: read there instead; three points at least.
    let sampled = format!("{drawing}&skin_region=600%2C450+700%2C450+700%2C520");
    let r = app.post(&format!("{base}/advice")).by(&pia).form(&sampled).await;
    let advice: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert!(advice["skin"].as_str().is_some_and(|s| s.contains("skin sample looks like")), "{advice}");
    let r = app
        .post(&format!("{base}/preview"))
        .by(&pia)
        .form(&format!("{drawing}&skin_region=600%2C450+700%2C450"))
        .await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("skin sample"), "{}", r.body);
    let r = app
        .post(&format!("{base}/advice"))
        .by(&pia)
        .form(&format!("{}&depth_mm=1.2", drawing.replace("diameter_mm=0.45", "diameter_mm=0.8")))
        .await;
    let advice = String::from_utf8_lossy(&r.bytes).to_string();
    assert!(advice.contains("larger than stubble") && advice.contains("blue"), "{advice}");
    // The brows marked 5.8 cm below the hairline's lowest point: low for a client in their fifties.
    let r = app.post(&format!("{base}/advice")).by(&pia).form(&format!("{drawing}&glabella=400%2C440")).await;
    let advice = String::from_utf8_lossy(&r.bytes).to_string();
    assert!(advice.contains("5.8 cm above the brows") && advice.contains("too young"), "{advice}");
    let r = app.post(&format!("{base}/advice")).by(&pia).form("scale_mm=1").await;
    assert!(String::from_utf8_lossy(&r.bytes).contains("Set the scale"));
    assert_eq!(
        app.post(&format!("{base}/advice")).by(&fred).form(drawing).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post(&format!("{base}/advice")).by(&bo).form(drawing).await.status, StatusCode::NOT_FOUND);

    // An unfinished drawing gets words, not a picture.
    let r = app.post(&format!("{base}/preview")).by(&pia).form("scale_mm=140&stage=healed").await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("scale"), "{}", r.body);
    let r = app.post(&format!("{base}/preview")).by(&pia).form(&format!("{drawing}&density=900")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("density"), "{}", r.body);

    // Saving makes versions; each can be opened again.
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{drawing}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = r.location.unwrap();
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{drawing}&dilution=0.4")).await;
    let second = r.location.unwrap();
    let r = app.get(&second).by(&pia).await;
    assert!(
        r.body.contains("version 2") && r.body.contains("value=\"0.4\"") && r.body.contains("Version 1"),
        "{}",
        r.body
    );
    let r = app.get(&first).by(&pia).await;
    assert!(r.body.contains("version 1") && r.body.contains("value=\"0.6\""));
    assert!(r.body.contains("<option selected>3</option>"), "the type it was saved with");
    // The skin type left to the photo, read in a skin sample: saved so, opened again as such.
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{sampled}&fitzpatrick=photo")).await;
    let third = r.location.unwrap();
    let r = app.get(&third).by(&pia).await;
    assert!(r.body.contains("<option value=\"photo\" selected>From the photo</option>"), "{}", r.body);
    assert!(r.body.contains("name=\"skin_region\" value=\"600,450 700,450 700,520\""), "{}", r.body);
    let r = app.post(&format!("{base}/preview")).by(&pia).form(&format!("{drawing}&fitzpatrick=photo")).await;
    assert_eq!(r.content_type.as_deref(), Some("image/jpeg"), "{}", r.body);
    let r = app.post(&format!("{base}/preview")).by(&pia).form(&format!("{drawing}&fitzpatrick=7")).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("skin type"), "{}", r.body);
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&scale_mm=140")).await;
    assert!(
        r.status == StatusCode::BAD_REQUEST
            && r.body.contains("Set the scale")
            && r.body.contains("value=\"140\"")
    );
    let r = app.post(&editor).by(&pia).form(&format!("csrf=forged&{drawing}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.get(&chart).by(&pia).await.body.contains("Version 3"));

    // Full-resolution export of a saved version at a stage.
    let design_id = second.rsplit("design=").next().unwrap().to_string();
    let export = format!("{chart}/designs/{design_id}/export?stage=years%3A5");
    let r = app.get(&export).by(&pia).await;
    assert_eq!(r.content_type.as_deref(), Some("image/jpeg"), "{}", r.body);
    assert_eq!(image::load_from_memory(&r.bytes).unwrap().to_rgb8().dimensions(), (800, 600));
    let r = app.get(&format!("{chart}/designs/{design_id}/export?stage=someday")).by(&pia).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("not a stage"));
    assert_eq!(app.get(&export).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&export).by(&bo).await.status, StatusCode::NOT_FOUND);

    // Front desk and other studios: nothing.
    assert_eq!(app.get(&editor).by(&fred).await.status, StatusCode::FORBIDDEN);
    let r = app.post(&format!("{base}/preview")).by(&fred).form(drawing).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&editor).by(&bo).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&first).by(&bo).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&editor).by(&bo).form(&format!("csrf={bo_csrf}&{drawing}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post(&format!("{base}/preview")).by(&bo).form(drawing).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.store.studio(&a).audit_log(5).await.unwrap().iter().any(|e| e.action == "save-design"));
}

/// What a request may ask of the CPU is bounded before any work: a zone of
/// more points than a drawn outline needs, or more zones than a design may
/// have, is refused in words naming the key; a zone of the largest size
/// allowed, drawn over the whole photo at an absurd scale (the attack that
/// took minutes: every grid cell tested against every vertex), is answered.
#[tokio::test]
async fn designs_beyond_the_limits_are_refused_before_any_work() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    let (_, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let preview = editor.replace("/design", "/preview");
    // A star of `n` points filling the 400 x 300 photo.
    let star = |n: usize| {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 140.0 } else { 120.0 };
                format!("{:.2}%2C{:.2}", 200.0 + r * a.cos(), 150.0 + r * a.sin() * 0.9)
            })
            .collect::<Vec<_>>()
            .join("+")
    };
    let form = |zone: &str, extra: &str| {
        format!(
            "scale_from=0%2C290&scale_to=400%2C290&scale_mm=400&zone={zone}&style=soft&density=0.1\
             &diameter_mm=0.45{extra}"
        )
    };
    let r = app.post(&preview).by(&pia).form(&form(&star(1001), "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("zones[0].polygon") && r.body.contains("1001 points"), "{}", r.body);
    let many = format!(
        "&extra_zones={}&extra_densities={}",
        vec!["10%2C10+30%2C10+30%2C30"; 24].join("%7C"),
        vec!["20"; 24].join("%7C")
    );
    let r = app.post(&preview).by(&pia).form(&form("50%2C50+90%2C50+90%2C90", &many)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("25 zones"), "{}", r.body);
    let r = app.post(&preview).by(&pia).form(&form(&star(1000), "")).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/jpeg")), "{}", r.body);
}

/// "Design on this photo" opens the latest version drawn on it (it opened
/// blank after a save); a blank drawing is asked for explicitly.
#[tokio::test]
async fn the_editor_opens_the_latest_version_on_its_photo() {
    let app = app().await;
    let Cast { pia: (pia, csrf), .. } = cast(&app, "A").await;
    let (_, editor) = client_with_photo(&app, &pia, &csrf, "Ivy").await;
    let drawing = "scale_from=20%2C280&scale_to=380%2C280&scale_mm=140&hairline=50%2C80+200%2C60+350%2C80\
                   &zone=30%2C60+370%2C60+370%2C260+30%2C260&style=soft&density=20&diameter_mm=0.45";
    assert!(!app.get(&editor).by(&pia).await.body.contains("Version 1 by"));
    for density in ["20", "35"] {
        let form = format!("csrf={csrf}&{}", drawing.replace("density=20", &format!("density={density}")));
        assert_eq!(app.post(&editor).by(&pia).form(&form).await.status, StatusCode::SEE_OTHER);
    }
    let r = app.get(&editor).by(&pia).await;
    assert!(r.body.contains("Version 2 by") && r.body.contains("value=\"35\""), "{}", r.body);
    let r = app.get(&format!("{editor}?blank=1")).by(&pia).await;
    assert!(!r.body.contains("Version 2 by"), "{}", r.body);
}

#[tokio::test]
async fn the_editor_measures_the_clients_stubble_and_keeps_the_sample() {
    let app = app().await;
    let Cast { pia: (pia, csrf), fred: (fred, _), bo: (bo, _), .. } = cast(&app, "A").await;
    // 45 hairs per cm2, 0.3 mm across, at 0.1 mm per pixel.
    let (photo, truth) =
        smp_render::synthetic::stubble_photo(400, 0.1, 45.0, 0.3, [196, 150, 124], [42, 34, 29], 21);
    let (_, editor) = client_with_photo_of(&app, &pia, &csrf, "Hal Stubble", &photo).await;
    let hair = editor.replace("/design", "/hair");
    let drawing = "scale_from=0%2C380&scale_to=400%2C380&scale_mm=40\
                   &zone=60%2C60+340%2C60+340%2C340+60%2C340&density=60&diameter_mm=0.45\
                   &hair_sample=30%2C30+370%2C30+370%2C370+30%2C370";
    let r = app.post(&hair).by(&pia).form(drawing).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let inside = truth
        .centres
        .iter()
        .filter(|c| (30.0..370.0).contains(&c[0]) && (30.0..370.0).contains(&c[1]))
        .count();
    let true_density = inside as f64 / (34.0 * 34.0 / 100.0);
    let density = v["density_per_cm2"].as_f64().unwrap();
    assert!((density / true_density - 1.0).abs() < 0.1, "{density} against {true_density}: {v}");
    assert!(v["suggested_dilution"].is_f64() && v["color_hex"].as_str().unwrap().starts_with('#'), "{v}");
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("denser")), "{v}");
    // Without a sample: nothing measured, and what to do.
    let r = app.post(&hair).by(&pia).form(&drawing.replace("&hair_sample=", "&other=")).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["density_per_cm2"].is_null() && v["warnings"][0].as_str().unwrap().contains("stubble"), "{v}");
    // The front desk and another studio get nothing.
    assert_eq!(app.post(&hair).by(&fred).form(drawing).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&hair).by(&bo).form(drawing).await.status, StatusCode::NOT_FOUND);
    // The sample is saved with the version and comes back in the editor.
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{drawing}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location.as_deref().unwrap()).by(&pia).await.body;
    assert!(page.contains("name=\"hair_sample\" value=\"30,30 370,30 370,370 30,370\""), "{page}");
}

/// A client with longer hair: the editor proposes where hair lies over the
/// scalp, the brush corrects it, the preview and the export keep every
/// strand in front of the pigment, the mask is stored with the version
/// (the same file while unchanged), and it goes when the record is erased.
#[tokio::test]
async fn a_client_with_longer_hair_is_simulated_without_painting_over_the_hair() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), bo: (bo, _), .. } = cast(&app, "A").await;
    // Strands over bare scalp, 600 px at 0.05 mm per pixel.
    let (photo, truth) =
        smp_render::synthetic::long_hair_photo(600, 0.05, 120, [196, 150, 124], [110, 86, 70], 7);
    let (chart, editor) = client_with_photo_of(&app, &pia, &csrf, "Lena Long", &photo).await;
    let (mask_url, preview) =
        (editor.replace("/design", "/hair-mask"), editor.replace("/design", "/preview"));
    let drawing = "scale_from=0%2C590&scale_to=600%2C590&scale_mm=30\
                   &zone=0%2C0+600%2C0+600%2C600+0%2C600&density=120&diameter_mm=0.5&feather_mm=0";

    // Nothing to start from, then the proposal: most strand pixels, little bare scalp.
    let r = app.post(&mask_url).by(&pia).form(drawing).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let proposed = format!("{drawing}&hair_mask=proposed");
    let r = app.post(&mask_url).by(&pia).form(&proposed).await;
    assert_eq!((r.status, r.content_type.as_deref()), (StatusCode::OK, Some("image/png")), "{}", r.body);
    let mask = image::load_from_memory(&r.bytes).unwrap().to_luma8();
    assert_eq!(mask.dimensions(), (600, 600), "the screen copy's size");
    let (strands, found) = truth
        .pixels()
        .zip(mask.pixels())
        .filter(|(t, _)| t[0] == 255)
        .fold((0, 0), |(n, f), (_, m)| (n + 1, f + (m[0] >= 128) as usize));
    assert!(found * 10 >= strands * 7, "{found} of {strands} strand pixels proposed");
    assert_eq!(app.post(&mask_url).by(&bo).form(&proposed).await.status, StatusCode::NOT_FOUND);

    // The preview: strands untouched under the proposed mask, painted over without it.
    let render = |form: String| {
        let (app, pia, preview) = (&app, &pia, &preview);
        async move {
            let r = app.post(preview).by(pia).form(&form).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            image::load_from_memory(&r.bytes).unwrap().to_rgb8()
        }
    };
    let before = render(format!("{drawing}&stage=before")).await;
    let bare_render = render(format!("{drawing}&stage=healed")).await;
    let masked_render = render(format!("{proposed}&stage=healed")).await;
    // The share of `covered` pixels the pigment darkened, by their
    // luminance (a JPEG keeps it at full resolution; the colour it shares
    // with the neighbours, pigmented or not).
    let changed_from =
        |before: &image::RgbImage, img: &image::RgbImage, covered: &dyn Fn(u32, u32) -> bool| {
            let luma = |p: &image::Rgb<u8>| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
            let (mut n, mut changed) = (0, 0);
            for (x, y, p) in before.enumerate_pixels().filter(|(x, y, _)| covered(*x, *y)) {
                n += 1;
                changed += (luma(p) - luma(img.get_pixel(x, y)) > 15.0) as usize;
            }
            changed as f64 / n as f64
        };
    let changed_on =
        |img: &image::RgbImage, covered: &dyn Fn(u32, u32) -> bool| changed_from(&before, img, covered);
    // The strands the proposal covers wholly (the rest the brush is for).
    let on_strands = |x: u32, y: u32| truth.get_pixel(x, y)[0] == 255 && mask.get_pixel(x, y)[0] == 255;
    let (painted_over, kept) =
        (changed_on(&bare_render, &on_strands), changed_on(&masked_render, &on_strands));
    eprintln!("strand pixels darkened: {painted_over:.3} without the mask, {kept:.3} with the proposed one");
    assert!(
        painted_over > 0.1 && kept < 0.02,
        "strands changed: {painted_over:.3} without the mask, {kept:.3} with it"
    );

    // The brush: the left half painted as hair on no mask at all.
    let mut layer = image::RgbaImage::new(300, 300);
    for (x, _, p) in layer.enumerate_pixels_mut() {
        if x < 150 {
            *p = image::Rgba([255, 255, 255, 255]);
        }
    }
    let painted = format!("{drawing}&hair_mask_paint={}", png_data_url(&layer));
    let brushed = render(format!("{painted}&stage=healed")).await;
    assert!(changed_on(&brushed, &|x, _| x < 290) == 0.0, "painted as hair: nothing on it changes");
    assert!(changed_on(&brushed, &|x, _| x > 310) > 0.1, "the rest is pigmented");
    // Brush strokes that are not an image, a mask of another photo: said so.
    for wrong in [
        "hair_mask_paint=data%3Aimage%2Fpng%3Bbase64%2CAAAA",
        "hair_mask=other.hair-0f3c2d3e9a8b4c5d6e7f8a9b0c1d2e3f.png",
    ] {
        let r = app.post(&preview).by(&pia).form(&format!("{drawing}&{wrong}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
        assert!(r.body.contains("hair mask"), "{}", r.body);
    }

    // Saved: the proposal with the brush over it, at the photo's size.
    let both = format!("{proposed}&hair_mask_paint={}", png_data_url(&layer));
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{both}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let version = r.location.unwrap();
    let page = app.get(&version).by(&pia).await.body;
    let name =
        page.split("name=\"hair_mask\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(name.contains(".hair-") && name.ends_with(".png"), "{name}");
    let files = app.stored(&a).await;
    let stored = image::load_from_memory(&files[&name]).unwrap().to_luma8();
    assert_eq!(stored.dimensions(), (600, 600));
    assert!(stored.enumerate_pixels().filter(|(x, _, _)| *x < 290).all(|(_, _, m)| m[0] == 255), "the brush");
    let kept_strands = truth.enumerate_pixels().filter(|(x, _, t)| *x > 310 && t[0] == 255);
    let (n, found) = kept_strands
        .fold((0, 0), |(n, f), (x, y, _)| (n + 1, f + (stored.get_pixel(x, y)[0] >= 128) as usize));
    assert!(found * 10 >= n * 7, "the proposal beside it, to the strand: {found} of {n}");
    // The export keeps the hair too.
    let design_id = version.rsplit("design=").next().unwrap();
    let export = |stage: &'static str| {
        let (app, pia, url) = (&app, &pia, format!("{chart}/designs/{design_id}/export?stage={stage}"));
        async move {
            let r = app.get(&url).by(pia).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            image::load_from_memory(&r.bytes).unwrap().to_rgb8()
        }
    };
    let (photo_before, exported) = (export("before").await, export("healed").await);
    assert!(
        changed_from(&photo_before, &exported, &|x, _| x < 290) == 0.0,
        "the export keeps the painted hair"
    );
    assert!(changed_from(&photo_before, &exported, &|x, _| x > 310) > 0.1);
    // Saved again unchanged: the same file.
    let r = app.post(&editor).by(&pia).form(&format!("csrf={csrf}&{drawing}&hair_mask={name}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app.get(&r.location.unwrap()).by(&pia).await.body.contains(&format!("value=\"{name}\"")));
    assert_eq!(app.stored(&a).await.keys().filter(|k| k.contains(".hair-")).count(), 1);

    // Erased with the record.
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, ada_csrf) = login(&app, "ada", "a long password").await;
    let r = app
        .post(&format!("{chart}/erase"))
        .by(&ada)
        .form(&format!("csrf={ada_csrf}&name=Lena+Long&reason=asked"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app.stored(&a).await.is_empty(), "the photo and its masks went");
}
