//! The price list and quotes: money in minor units, figures that add up,
//! mistakes said beside their fields.

use crate::support::*;

#[tokio::test]
async fn a_quote_prices_a_design_version_from_the_studios_list_to_the_cent() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), pia_user, .. } =
        cast(&app, "A").await;
    app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    let (ada, ada_csrf) = login(&app, "ada", "a long password").await;

    // Mistakes: beside their fields, everything typed kept, nothing saved.
    let wrong = format!(
        "csrf={ada_csrf}&currency=E1&tax_percent=abc&offer_full-head=on&amount_full-head=12.345&basis_full-head=session"
    );
    let r = app.post("/admin/prices").by(&ada).form(&wrong).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for said in [
        "id=\"currency-error\"",
        "id=\"tax_percent-error\"",
        "Full head: &#34;12.345&#34; is not an amount",
        "value=\"12.345\"",
        "value=\"abc\"",
    ] {
        assert!(r.body.contains(said), "{said} in {}", r.body);
    }
    let studio = app.store.studio(&a);
    assert_eq!(studio.price_list().await.unwrap(), None);
    let good = format!(
        "csrf={ada_csrf}&currency=eur&tax_percent=21&offer_full-head=on&amount_full-head=450&basis_full-head=session\
         &per_cm2_full-head=1.50&base_cm2_full-head=100&offer_hairline=on&amount_hairline=999.99&basis_hairline=treatment"
    );
    let r = app.post("/admin/prices").by(&ada).form(&good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/admin/prices").by(&ada).await.body;
    assert!(
        page.contains("value=\"EUR\"")
            && page.contains("value=\"450.00\"")
            && page.contains("value=\"1.50\""),
        "{page}"
    );
    assert_eq!(app.get("/admin/prices").by(&pia).await.status, StatusCode::FORBIDDEN);

    // A practitioner quotes a design version.
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Quinn Quote").await;
    let url = format!("/clients/{}/designs/{}/quote", client.id, design.id);
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&treatment=full-head")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().unwrap().ends_with("#quotes"));
    let quotes = studio.quotes(&design.id).await.unwrap();
    assert_eq!(quotes.len(), 1);
    let q = &quotes[0].quoted;
    let over = (q.area_cm2 - 100.0).max(0.0).ceil() as i64;
    assert_eq!(q.net, q.sessions * (45_000 + over * 150), "{q:?}");
    assert_eq!(q.tax, (q.net * 21 + 50) / 100);
    assert_eq!(q.total, q.net + q.tax);
    let editor = app.get(r.location.as_deref().unwrap()).by(&pia).await.body;
    let total = smp_clinic::pricing::money(q.total, "EUR");
    assert!(editor.contains(&total) && editor.contains("Quotes for this version"), "{total} in {editor}");
    // A treatment the list does not price: said so.
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&treatment=crown")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("no price for Crown"), "{}", r.body);
    // The front desk records the deposit, once; quotes are not theirs to make.
    assert_eq!(
        app.post(&url).by(&fred).form(&format!("csrf={fred_csrf}&treatment=full-head")).await.status,
        StatusCode::FORBIDDEN
    );
    let deposit = format!("/clients/{}/quotes/{}/deposit", client.id, quotes[0].id);
    let r = app.post(&deposit).by(&fred).form(&format!("csrf={fred_csrf}&amount=150")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(studio.quotes(&design.id).await.unwrap()[0].deposit.map(|(amount, _)| amount), Some(15_000));
    assert_eq!(
        app.post(&deposit).by(&fred).form(&format!("csrf={fred_csrf}&amount=150")).await.status,
        StatusCode::NOT_FOUND
    );
    // Another studio finds nothing.
    assert_eq!(
        app.post(&url).by(&bo).form(&format!("csrf={bo_csrf}&treatment=full-head")).await.status,
        StatusCode::NOT_FOUND
    );
    // A later price change leaves the quote given as it was.
    let dearer = good.replace("amount_full-head=450", "amount_full-head=500");
    assert_eq!(app.post("/admin/prices").by(&ada).form(&dearer).await.status, StatusCode::SEE_OTHER);
    assert_eq!(studio.quotes(&design.id).await.unwrap()[0].quoted.net, q.net);
}
