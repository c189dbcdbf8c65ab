//! The portfolio consent and the gallery: only photos of clients who
//! consented appear, by any route, cropped and blurred as their consent
//! says; revoking takes them out of every route at once.

use crate::support::*;

/// Uploads a photo of the client at `angle`: its id.
async fn upload(
    app: &App,
    chart: &str,
    login: &(String, String),
    angle: &str,
    photo: &image::RgbImage,
) -> String {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(photo).unwrap();
    let r = app
        .post(&format!("{chart}/photos"))
        .by(&login.0)
        .body(multipart(&[("csrf", &login.1), ("angle", angle)], Some(("p.jpg", &jpeg))))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Photos are ordered by when they were taken, to the millisecond.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let client = chart.rsplit('/').next().unwrap();
    let studio = app.store.studio(&app.store.session(&login.0).await.unwrap().unwrap().user.studio);
    studio.photos(client).await.unwrap().into_iter().max_by_key(|p| p.created_at).unwrap().id
}

/// A head-and-shoulders photo whose lower part is all sharp detail (a
/// stand-in for a face): 400 x 500.
fn busy_photo(shade: u8) -> image::RgbImage {
    image::RgbImage::from_fn(400, 500, |x, y| {
        if y < 200 {
            image::Rgb([shade, shade - 30, shade - 50])
        } else if (x / 3 + y / 3) % 2 == 0 {
            image::Rgb([240, 240, 240])
        } else {
            image::Rgb([10, 10, 10])
        }
    })
}

/// Mean absolute difference between horizontal neighbours over rows
/// `rows` of an encoded picture: high where there is detail, low where it is blurred.
fn detail(jpeg: &[u8], rows: std::ops::Range<f64>) -> f64 {
    let image = image::load_from_memory(jpeg).unwrap().to_luma8();
    let (from, to) = ((rows.start * image.height() as f64) as u32, (rows.end * image.height() as f64) as u32);
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in from..to {
        for x in 1..image.width() {
            sum += (image.get_pixel(x, y)[0] as f64 - image.get_pixel(x - 1, y)[0] as f64).abs();
            n += 1.0;
        }
    }
    sum / n
}

fn signed(csrf: &str, agree: bool, faces: bool, name: &str, signature: &str) -> String {
    format!(
        "csrf={csrf}{}{}&signed_name={name}&signature={signature}",
        if agree { "&agree=on" } else { "" },
        if faces { "&faces=on" } else { "" }
    )
}

/// A new client `name` with two front photos, before and healed: (chart,
/// before, healed).
async fn client_with_two_photos(app: &App, pia: &(String, String), name: &str) -> (String, String, String) {
    let form = format!("csrf={}&full_name={name}", pia.1);
    let chart = app.post("/clients").by(&pia.0).form(&form).await.location.unwrap();
    let before = upload(app, &chart, pia, "front", &busy_photo(200)).await;
    let healed = upload(app, &chart, pia, "front", &busy_photo(120)).await;
    (chart, before, healed)
}

/// Signs the portfolio consent for the client at `chart`.
async fn portfolio_consent(app: &App, pia: &(String, String), chart: &str, faces: bool) {
    let form = signed(&pia.1, true, faces, "The+Client", &drawn_signature(true));
    let r = app.post(&format!("{chart}/portfolio-consent")).by(&pia.0).form(&form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Adds the pair with empty face lines: the picture of its healed photo.
async fn pair_with_default_lines(
    app: &App,
    cast: &Cast,
    chart: &str,
    before: &str,
    healed: &str,
) -> image::DynamicImage {
    let pia = &cast.pia;
    let form = format!("csrf={}&before={before}&healed={healed}&before_face=&healed_face=&caption=", pia.1);
    assert_eq!(
        app.post(&format!("{chart}/gallery")).by(&pia.0).form(&form).await.status,
        StatusCode::SEE_OTHER
    );
    let pair = app.store.studio(&cast.a).gallery().await.unwrap().remove(0).id;
    let r = app.get(&format!("/gallery/{pair}/healed.jpg")).by(&pia.0).await;
    image::load_from_memory(&r.bytes).unwrap()
}

#[tokio::test]
async fn only_consented_photos_reach_the_gallery_and_revoking_takes_them_out_of_every_route() {
    let app = app().await;
    let cast = cast(&app, "A").await;
    app.store.create_user(&cast.a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let ada = login(&app, "ada", "a long password").await;
    let pia = &cast.pia;
    let new_client = async |name: &str| {
        app.post("/clients")
            .by(&pia.0)
            .form(&format!("csrf={}&full_name={name}", pia.1))
            .await
            .location
            .unwrap()
    };
    let chart = new_client("Gil+Gallery").await;
    let before = upload(&app, &chart, pia, "front", &busy_photo(200)).await;
    let healed = upload(&app, &chart, pia, "front", &busy_photo(120)).await;
    // Another client, who never consents, with photos of their own.
    let other = new_client("Nora+Never").await;
    let other_before = upload(&app, &other, pia, "front", &busy_photo(190)).await;
    let other_healed = upload(&app, &other, pia, "front", &busy_photo(110)).await;
    let pair_form = |before: &str, healed: &str, face: &str, caption: &str| {
        format!(
            "csrf={}&before={before}&healed={healed}&before_face={face}&healed_face={face}&caption={caption}",
            pia.1
        )
    };

    // Without the portfolio consent, no pair: the reason beside the form,
    // what was typed kept.
    let r = app
        .post(&format!("{other}/gallery"))
        .by(&pia.0)
        .form(&pair_form(&other_before, &other_healed, "40", "Crown+work"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not consented"), "{}", r.body);
    assert!(app.store.studio(&cast.a).gallery().await.unwrap().is_empty());

    // The consent is signed at the chair, separately from the treatment's.
    let consent_url = format!("{chart}/portfolio-consent");
    let r = app.get(&consent_url).by(&cast.fred.0).await;
    assert!(r.status.is_success() && r.body.contains("separate from my consent to treatment"), "{}", r.body);
    let r = app
        .post(&consent_url)
        .by(&cast.fred.0)
        .form(&signed(&cast.fred.1, false, true, "Gil+G", &drawn_signature(true)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("ticks the box")
            && r.body.contains("value=\"Gil G\"")
            && r.body.contains("name=\"faces\" checked")
    );
    let r = app
        .post(&consent_url)
        .by(&cast.fred.0)
        .form(&signed(&cast.fred.1, true, false, "Gil+G", &drawn_signature(true)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&chart).by(&cast.fred.0).await.body;
    assert!(page.contains("their face is blurred") && page.contains("signed “Gil G” with fred"), "{page}");

    // A face line that is not a percentage is refused beside the form.
    let r = app
        .post(&format!("{chart}/gallery"))
        .by(&pia.0)
        .form(&pair_form(&before, &healed, "half", "Hairline"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("percentage from 0 to 100") && r.body.contains("value=\"Hairline\""),
        "{}",
        r.body
    );
    // The front desk shows the gallery but does not choose its photos.
    let r = app
        .post(&format!("{chart}/gallery"))
        .by(&cast.fred.0)
        .form(&pair_form(&before, &healed, "40", "x").replace(&pia.1, &cast.fred.1))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("{chart}/gallery"))
        .by(&pia.0)
        .form(&pair_form(&before, &healed, "40", "Hairline%2C+three+sessions"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pair = app.store.studio(&cast.a).gallery().await.unwrap().remove(0).id;

    // The staff gallery: the pair, no names, no photo ids.
    let page = app.get("/gallery").by(&cast.fred.0).await;
    assert!(page.status.is_success());
    assert!(
        page.body.contains(&format!("/gallery/{pair}/before.jpg"))
            && page.body.contains("Hairline, three sessions")
    );
    for secret in ["Gil", "Nora", &before, &healed, &other_before, &other_healed] {
        assert!(!page.body.contains(secret), "the gallery shows {secret}");
    }
    // The picture: cropped 12 % below the line at 40 %, the face blurred,
    // the scalp sharp as it was.
    let r = app.get(&format!("/gallery/{pair}/before.jpg")).by(&cast.fred.0).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.cache_control.as_deref(), Some("no-store"));
    let shown = image::load_from_memory(&r.bytes).unwrap();
    assert_eq!((shown.width(), shown.height()), (400, 260));
    let full = app.get(&format!("/photos/{before}/screen")).by(&pia.0).await.bytes;
    assert!(detail(&full, 0.8..1.0) > 40.0, "the photo's face is sharp");
    assert!(
        detail(&r.bytes, 0.8..1.0) < 12.0,
        "the gallery's face is blurred: {}",
        detail(&r.bytes, 0.8..1.0)
    );

    // Another client's photos: not through the gallery's address, whatever
    // is put in it, nor from another studio.
    for wrong in [&other_before, &other_healed, &before] {
        let r = app.get(&format!("/gallery/{wrong}/before.jpg")).by(&pia.0).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.get(&format!("/gallery/{pair}/face.jpg")).by(&pia.0).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/gallery/{pair}/before.jpg")).by(&cast.bo.0).await.status,
        StatusCode::NOT_FOUND
    );

    // The public page: off until an admin switches it on.
    let r = app.post("/gallery/public").by(&pia.0).form(&format!("csrf={}&public=on", pia.1)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post("/gallery/public").by(&ada.0).form(&format!("csrf={}&public=on", ada.1)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/gallery").by(&ada.0).await.body;
    let public = page.split("/g/").nth(1).unwrap().split('"').next().unwrap().to_string();
    // With the studio's logo, as its staff pages have it.
    let mut logo = Vec::new();
    image::RgbaImage::from_pixel(60, 20, image::Rgba([30, 60, 140, 255]))
        .write_to(&mut std::io::Cursor::new(&mut logo), image::ImageFormat::Png)
        .unwrap();
    app.store.studio(&cast.a).set_logo(&cast.pia_user, Some(&logo)).await.unwrap();
    let public_page = app.get(&format!("/g/{public}")).await;
    assert!(public_page.body.contains(&format!("/g/{public}/logo.png")));
    assert_eq!(app.get(&format!("/g/{public}/logo.png")).await.bytes, logo);
    assert!(
        public_page.status.is_success() && public_page.body.contains("Results at A"),
        "{}",
        public_page.body
    );
    assert!(public_page.body.contains(&format!("/g/{public}/{pair}/healed.jpg")));
    assert!(!public_page.body.contains("Gil") && !public_page.body.contains("Log out"));
    let r = app.get(&format!("/g/{public}/{pair}/healed.jpg")).await;
    assert!(r.status.is_success() && image::load_from_memory(&r.bytes).is_ok());
    assert_eq!(
        app.get(&format!("/g/{public}/{other_before}/before.jpg")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&format!("/g/not-{public}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/photos/{before}/screen")).await.location.as_deref(), Some("/login"));

    // The client withdraws their consent: gone from every route at once.
    let r = app
        .post(&format!("{chart}/portfolio-consent/revoke"))
        .by(&cast.fred.0)
        .form(&format!("csrf={}", cast.fred.1))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app.get("/gallery").by(&pia.0).await.body.contains(&pair));
    assert!(!app.get(&format!("/g/{public}")).await.body.contains(&pair));
    assert_eq!(
        app.get(&format!("/gallery/{pair}/before.jpg")).by(&pia.0).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&format!("/g/{public}/{pair}/healed.jpg")).await.status, StatusCode::NOT_FOUND);
    let page = app.get(&chart).by(&pia.0).await.body;
    assert!(page.contains("revoked") && page.contains("Record the client's portfolio consent"), "{page}");

    // Switched off, the public address answers nothing.
    app.post("/gallery/public").by(&ada.0).form(&format!("csrf={}&public=off", ada.1)).await;
    assert_eq!(app.get(&format!("/g/{public}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_consent_that_allows_faces_shows_them_cropped_but_sharp() {
    let app = app().await;
    let cast = cast(&app, "A").await;
    let (chart, before, healed) = client_with_two_photos(&app, &cast.pia, "Fay+Face").await;
    portfolio_consent(&app, &cast.pia, &chart, true).await;
    // Empty face lines: the front photo's default, under the hairline.
    let shown = pair_with_default_lines(&app, &cast, &chart, &before, &healed).await;
    assert_eq!((shown.width(), shown.height()), (400, 285), "45 % and 12 % of 500");
    let mut png = Vec::new();
    shown.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    assert!(detail(&png, 0.9..1.0) > 40.0, "the face stays sharp: {}", detail(&png, 0.9..1.0));
}

#[tokio::test]
async fn an_empty_face_line_is_taken_from_the_hairline_drawn_on_the_photo() {
    let app = app().await;
    let cast = cast(&app, "A").await;
    let pia = &cast.pia;
    let (chart, before, healed) = client_with_two_photos(&app, pia, "Hal+Line").await;
    // A design on the before photo: its hairline's lowest point 150 px down
    // of 500.
    let drawing = "scale_from=20%2C450&scale_to=380%2C450&scale_mm=140&hairline=50%2C150+200%2C120+350%2C150\
                   &zone=20%2C100+380%2C100+380%2C300+20%2C300&style=soft&density=60&diameter_mm=0.45";
    let editor = format!("{chart}/photos/{before}/design");
    let r = app.post(&editor).by(&pia.0).form(&format!("csrf={}&{drawing}", pia.1)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    portfolio_consent(&app, pia, &chart, false).await;
    // 150/500 and 4 % under it; the healed photo, without a design, the same.
    let shown = pair_with_default_lines(&app, &cast, &chart, &before, &healed).await;
    let pair = app.store.studio(&cast.a).gallery().await.unwrap().remove(0);
    assert_eq!((pair.pair.before_face_line, pair.pair.healed_face_line), (340, 340));
    assert_eq!(shown.height(), 230, "(34 % + 12 %) of 500");
}

#[tokio::test]
async fn a_pairs_face_lines_are_adjusted_after_seeing_it_with_mistakes_said_beside_them() {
    let app = app().await;
    let cast = cast(&app, "A").await;
    let pia = &cast.pia;
    let (chart, before, healed) = client_with_two_photos(&app, pia, "Adi+Just").await;
    portfolio_consent(&app, pia, &chart, false).await;
    let shown = pair_with_default_lines(&app, &cast, &chart, &before, &healed).await;
    assert_eq!(shown.height(), 285, "45 % and 12 % of 500");
    let pair = app.store.studio(&cast.a).gallery().await.unwrap().remove(0).id;
    let page = app.get(&chart).by(&pia.0).await.body;
    assert!(
        page.contains(&format!(
            "id=\"before-face-{pair}\" name=\"before_face\" type=\"text\" inputmode=\"decimal\" value=\"45\""
        )),
        "{page}"
    );
    // A mistake: said beside that pair's form, what was typed kept, the
    // pair as it was.
    let adjust = format!("{chart}/gallery/{pair}");
    let r = app
        .post(&adjust)
        .by(&pia.0)
        .form(&format!("csrf={}&before_face=120&healed_face=30&caption=Top", pia.1))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("percentage from 0 to 100")
            && r.body.contains("value=\"120\"")
            && r.body.contains("<details class=\"no-print\" open>"),
        "{}",
        r.body
    );
    assert_eq!(
        app.store.studio(&cast.a).gallery_pair(&pair).await.unwrap().unwrap().pair.before_face_line,
        450
    );
    // Right: the pictures follow at once.
    let r = app
        .post(&adjust)
        .by(&pia.0)
        .form(&format!("csrf={}&before_face=30&healed_face=32.5&caption=Hairline", pia.1))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let adjusted = app.store.studio(&cast.a).gallery_pair(&pair).await.unwrap().unwrap();
    assert_eq!(
        (adjusted.pair.before_face_line, adjusted.pair.healed_face_line, adjusted.pair.caption.as_str()),
        (300, 325, "Hairline")
    );
    let r = app.get(&format!("/gallery/{pair}/healed.jpg")).by(&pia.0).await;
    assert_eq!(image::load_from_memory(&r.bytes).unwrap().height(), 223, "(32.5 % + 12 %) of 500");
    // Another studio, or the front desk: no.
    assert_eq!(
        app.post(&adjust).by(&cast.bo.0).form(&format!("csrf={}&before_face=10", cast.bo.1)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&adjust).by(&cast.fred.0).form(&format!("csrf={}&before_face=10", cast.fred.1)).await.status,
        StatusCode::FORBIDDEN
    );
}
