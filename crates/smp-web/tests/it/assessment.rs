//! The scalp assessment: chosen from drawings of the stages, errors beside
//! their fields with everything typed kept, every assessment kept with its
//! date, on the chart, erased with the client's record.

use crate::support::*;

#[tokio::test]
async fn the_scalp_is_assessed_and_every_assessment_kept() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), .. } = cast(&app, "A").await;
    let chart = app
        .post("/clients")
        .by(&pia)
        .form(&format!("csrf={csrf}&full_name=Noor&birth_date=1975-06-01"))
        .await
        .location
        .unwrap();
    let form = format!("{chart}/assessment");
    let page = app.get(&form).by(&pia).await;
    assert!(page.status.is_success(), "{}", page.body);
    // Every stage is a drawing to choose, with its name.
    assert_eq!(page.body.matches("class=\"pattern-choice\"").count(), 14);
    assert!(page.body.contains("Norwood 3 vertex") && page.body.contains("Ludwig II"));
    assert!(app.get(&chart).by(&pia).await.body.contains("Assess the scalp"));

    // No pattern chosen: said beside it, everything typed kept.
    let typed = "condition=oily&sensitivity=high&scar_kind_1=fut-strip&scar_mm_1=180&active=psoriasis&notes=Strip+from+2019";
    let r = app.post(&form).by(&pia).form(&format!("csrf={csrf}&{typed}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"pattern-error\"") && r.body.contains("Choose the pattern"), "{}", r.body);
    assert!(r.body.contains("value=\"180\"") && r.body.contains("Strip from 2019"));
    assert!(r.body.contains("value=\"psoriasis\" checked"));
    // A scar size that is not a number: beside the scars.
    let r = app
        .post(&form)
        .by(&pia)
        .form(&format!("csrf={csrf}&pattern=norwood-5&{}", typed.replace("scar_mm_1=180", "scar_mm_1=long")))
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("id=\"scars-error\""), "{}", r.body);
    assert!(r.body.contains("value=\"norwood-5\" checked"));

    let r = app.post(&form).by(&pia).form(&format!("csrf={csrf}&pattern=norwood-5&{typed}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = app.get(&chart).by(&pia).await.body;
    assert!(
        body.contains("Norwood 5 · oily scalp · high sensitivity · FUT strip scar, 180 mm · Psoriasis"),
        "{body}"
    );
    // A later assessment: both kept, the latest first; the form starts from it.
    let r = app
        .post(&form)
        .by(&pia)
        .form(&format!("csrf={csrf}&pattern=norwood-6&condition=normal&sensitivity=normal&active=infection"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&form).by(&pia).await.body;
    let (six, five) =
        (page.find("<strong>Norwood 6</strong>").unwrap(), page.find("<strong>Norwood 5</strong>").unwrap());
    assert!(six < five, "newest first");
    assert!(page.contains("value=\"norwood-6\" checked"));
    assert!(app.get(&chart).by(&pia).await.body.contains("treat after it heals"));

    // The front desk neither sees nor records it.
    assert_eq!(app.get(&form).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert!(!app.get(&chart).by(&fred).await.body.contains("Norwood"));

    // Erased with the client's record.
    let client_id = chart.rsplit('/').next().unwrap();
    let admin = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let studio = app.store.studio(&a);
    assert_eq!(studio.assessments(client_id).await.unwrap().len(), 2);
    // The page that asks to confirm says so.
    let ada = app.store.start_session(&admin, 1).await.unwrap();
    let confirm = app.get(&format!("{chart}/erase")).by(&ada.token).await;
    assert!(confirm.body.contains("the scalp assessments"), "{}", confirm.body);
    studio.erase_client(&admin, client_id, "the client asked").await.unwrap().unwrap();
    assert!(studio.assessments(client_id).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_hair_samples_figures_are_kept_with_the_assessment() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    // Stubble of 40 per cm2 at 0.1 mm per pixel.
    let (stubble, _) =
        smp_render::synthetic::stubble_photo(400, 0.1, 40.0, 0.3, [196, 150, 124], [42, 34, 29], 5);
    let (chart, _) = client_with_photo_of(&app, &pia, &csrf, "Omar", &stubble).await;
    let client_id = chart.rsplit('/').next().unwrap().to_string();
    let studio = app.store.studio(&a);
    let photo = studio.photos(&client_id).await.unwrap().remove(0);
    let design = format!(
        r##"schema = 1
seed = 1
[photo]
path = "{}.jpg"
view = "left"
scale = {{ from = [0, 0], to = [100, 0], mm = 10.0 }}
[client]
fitzpatrick = 3
hair_color = "#2a221d"
hair_sample = [[20, 20], [380, 20], [380, 380], [20, 380]]
[[zones]]
name = "side"
polygon = [[0, 0], [400, 0], [400, 400], [0, 400]]
density = 40.0
feather_mm = 2.0
[impressions]
diameter_mm = 0.3
size_variation = 0.15
[pigment]
dilution = 0.6
depth_mm = 0.35
"##,
        photo.id
    );
    studio.save_design(&client_id, &photo.id, &pia_user, &design).await.unwrap().unwrap();
    let r = app
        .post(&format!("{chart}/assessment"))
        .by(&pia)
        .form(&format!("csrf={csrf}&pattern=norwood-4&condition=normal&sensitivity=normal"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let kept = studio.assessments(&client_id).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&kept[0].assessment_json).unwrap();
    let density = doc["hair"]["density_per_cm2"].as_f64().unwrap();
    assert!((density / 40.0 - 1.0).abs() < 0.15, "{doc}");
    assert_eq!(doc["hair"]["design_version"], 1);
    assert!(app.get(&chart).by(&pia).await.body.contains("own stubble"));
}
