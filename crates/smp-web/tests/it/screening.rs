//! Health questions, screening, and the gate it keeps on every path to a session.

use crate::support::*;

#[tokio::test]
async fn practitioners_screen_and_front_desk_sees_no_health_details() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, fred_csrf), bo: (bo, bo_csrf), .. } = cast(&app, "A").await;
    let r =
        app.post("/clients").by(&pia).form(&format!("csrf={csrf}&full_name=Ivy&birth_date=1985-04-02")).await;
    let chart = r.location.unwrap();
    let intake = format!("{chart}/intake");

    let r = app.get(&intake).by(&pia).await;
    assert!(r.status.is_success() && r.body.contains("value=\"1985-04-02\""), "the birth date is filled in");

    // A wrong date gets a message and keeps what was ticked.
    let bad = format!(
        "csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&medication_isotretinoin=on&medication_isotretinoin_last_dose=soon"
    );
    let r = app.post(&intake).by(&pia).form(&bad).await;
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
    let r = app.post(&intake).by(&pia).form(&good).await;
    assert_eq!(r.location.as_deref(), Some(chart.as_str()));
    let r = app.get(&chart).by(&pia).await;
    assert!(r.body.contains("POSTPONE") && r.body.contains("not before 2027-03-01"), "{}", r.body);
    assert!(
        r.body.contains("Allergic to latex")
            && r.body.contains("smp-default-")
            && !r.body.contains("allergy-latex"),
        "findings and the rules' version"
    );

    // A medication that needs a date, ticked without it: asked for beside
    // the field, nothing saved (it was screened as "needs a doctor").
    let undated =
        format!("csrf={csrf}&consultation_date=2026-12-01&birth_date=1985-04-02&medication_isotretinoin=on");
    let r = app.post(&intake).by(&pia).form(&undated).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("id=\"medication_isotretinoin_last_dose-error\"")
            && r.body.contains("When was the last dose?"),
        "{}",
        r.body
    );
    let client_id = chart.rsplit('/').next().unwrap();
    assert_eq!(app.store.studio(&a).screenings(client_id).await.unwrap().len(), 1, "nothing saved");

    // The intake opens with the last answers, to correct; a new screening
    // folds the earlier one away as replaced.
    let r = app.get(&intake).by(&pia).await;
    assert!(r.body.contains("name=\"allergy_latex\" checked"), "{}", r.body);
    assert!(r.body.contains("value=\"2026-09-01\"") && r.body.contains("are filled in"), "{}", r.body);
    let corrected = good.replace("2026-09-01", "2025-01-15");
    assert_eq!(app.post(&intake).by(&pia).form(&corrected).await.status, StatusCode::SEE_OTHER);
    let r = app.get(&chart).by(&pia).await;
    assert!(
        r.body.contains("Replaced screening of") && r.body.contains("replaced by a later screening"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Proceed with caution") || r.body.contains(">Proceed<"),
        "the standing follows the new one"
    );

    // Front desk: no form, no details.
    assert_eq!(app.get(&intake).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&intake).by(&fred).form(&good.replace(&csrf, &fred_csrf)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.get(&chart).by(&fred).await;
    assert!(
        r.status.is_success() && !r.body.contains("POSTPONE") && !r.body.contains("isotretinoin"),
        "{}",
        r.body
    );

    // Another studio cannot screen or see the client.
    assert_eq!(
        app.post(&intake).by(&bo).form(&good.replace(&csrf, &bo_csrf)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&chart).by(&bo).await.status, StatusCode::NOT_FOUND);

    // Who saw and changed health answers is logged.
    let log = app.store.studio(&a).audit_log(100).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"record-screening") && actions.contains(&"view-health"), "{actions:?}");
    assert!(
        log.iter()
            .filter(|e| e.action.contains("health") || e.action.contains("screening"))
            .all(|e| e.staff_name == "pia"),
        "front desk views are not health views"
    );
}

/// Every path that creates or moves a session (a new plan, moved plan
/// dates, a recorded session), for every standing the screening can leave:
/// refused with the reason, and allowed with a practitioner's typed reason,
/// which is recorded on the chart and audited.
#[tokio::test]
async fn the_screening_guards_every_path_that_plans_or_records_a_session() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let today = chrono::Utc::now().date_naive();
    let in_days = |n: u64| today + chrono::Days::new(n);
    let later = in_days(400);
    // (outcome, postponed until, consent signed, may plan from in 3 days, may record today)
    let cases: [(&str, Option<chrono::NaiveDate>, bool, bool, bool); 7] = [
        ("none", None, true, false, false),
        ("proceed", None, true, true, true),
        ("caution", None, true, true, true),
        ("proceed", None, false, true, false),
        ("postpone", Some(later), true, false, false),
        ("clearance", None, true, false, false),
        ("decline", None, true, false, false),
    ];
    // Every case plans on the same days: chairs enough for all (the chairs
    // have their own test).
    studio.set_chairs(&pia_user, smp_store::MAX_CHAIRS).await.unwrap();
    for (outcome, until, consent, may_plan, may_record) in cases {
        let case = format!("{outcome}, until {until:?}, consent {consent}");
        let client = studio
            .create_client(
                &pia_user,
                &smp_store::ClientFields { full_name: format!("Client {outcome}"), ..Default::default() },
            )
            .await
            .unwrap();
        let photo = smp_store::new_photo_id();
        studio
            .add_photo(&photo, &client.id, &pia_user, smp_store::PhotoAngle::Top, 10, 10, 10)
            .await
            .unwrap();
        let design = studio
            .save_design(&client.id, &photo, &pia_user, smp_core::EXAMPLE_DESIGN)
            .await
            .unwrap()
            .unwrap();
        if outcome != "none" {
            screened(&app, &a, &pia_user, &client.id, outcome, until, consent).await;
        }
        let chart = format!("/clients/{}", client.id);
        let plan_url = format!("{chart}/plan");
        let new_plan = format!("csrf={csrf}&design_id={}&start={}", design.id, in_days(3));
        let refused = |r: &Reply| {
            r.status == StatusCode::BAD_REQUEST && r.body.contains("Not allowed by the screening")
        };

        // A new plan.
        let r = app.post(&plan_url).by(&pia).form(&new_plan).await;
        if may_plan {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: {} {}", r.status, r.body);
            assert!(studio.plan(&client.id).await.unwrap().is_none(), "{case}: nothing planned");
            // The override form replays the request with the reason.
            assert!(
                r.body.contains("name=\"start\"") && r.body.contains("name=\"override_reason\""),
                "{case}"
            );
            if outcome == "postpone" {
                assert!(r.body.contains("too early"), "{case}: {}", r.body);
            }
            let r = app
                .post(&plan_url)
                .by(&pia)
                .form(&format!("{new_plan}&override_reason=Physician%27s+clearance+received+1+Dec"))
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        }
        let plan = studio.plan(&client.id).await.unwrap().unwrap();

        // Moving the plan's dates.
        let moved: Vec<String> = plan
            .sessions
            .iter()
            .map(|s| {
                let d: chrono::NaiveDate = s.date.parse().unwrap();
                format!("date_{}={}", s.number, d + chrono::Days::new(1))
            })
            .collect();
        let move_form = format!("csrf={csrf}&{}", moved.join("&"));
        let r = app.post(&plan_url).by(&pia).form(&move_form).await;
        if may_plan {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: moving {} {}", r.status, r.body);
            let r = app.post(&plan_url).by(&pia).form(&format!("{move_form}&override_reason=asked")).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        }

        // Recording a session today.
        let record = format!(
            "csrf={csrf}&health_unchanged=on&design_id=&date={today}&number=1&zones=front&pigment_brand=PB\
             &pigment_batch=L1&pigment_expiry={}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m\
             &anaesthetic=none&duration_min=120&pain=2&notes=",
            in_days(300)
        );
        let r = app.post(&format!("{chart}/sessions")).by(&pia).form(&record).await;
        if may_record {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
        } else {
            assert!(refused(&r), "{case}: recording {} {}", r.status, r.body);
            assert!(r.body.contains("value=\"L1\""), "{case}: what was typed is kept");
            assert!(studio.treatment_sessions(&client.id).await.unwrap().is_empty(), "{case}");
            let r = app
                .post(&format!("{chart}/sessions"))
                .by(&pia)
                .form(&format!("{record}&override_reason=Clearance+letter+scanned"))
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{case}: {}", r.body);
            let overrides = studio.overrides(&client.id).await.unwrap();
            assert!(overrides.iter().any(|o| o.reason == "Clearance letter scanned"), "{case}");
            let r = app.get(&chart).by(&pia).await;
            assert!(
                r.body.contains("Went ahead despite the screening")
                    && r.body.contains("Clearance letter scanned")
            );
        }
    }
    // Unconfirmed health answers are refused too.
    let client = studio
        .create_client(
            &pia_user,
            &smp_store::ClientFields { full_name: "Unconfirmed".into(), ..Default::default() },
        )
        .await
        .unwrap();
    screened(&app, &a, &pia_user, &client.id, "proceed", None, true).await;
    let r = app
        .post(&format!("/clients/{}/sessions", client.id))
        .by(&pia)
        .form(&format!(
            "csrf={csrf}&design_id=&date={today}&number=1&zones=front&pigment_brand=PB&pigment_batch=L1\
             &pigment_expiry={}&dilution=0.6&needle=3RL&needle_mm=0.25&machine=m&anaesthetic=none\
             &duration_min=120&pain=2&notes=",
            in_days(300)
        ))
        .await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("nothing has changed"), "{}", r.body);

    // The front desk sees the standing and its date, never the reasons.
    let postponed = studio.search_clients("Client postpone", 1).await.unwrap().remove(0);
    let r = app.get(&format!("/clients/{}", postponed.id)).by(&fred).await;
    let long = format!("{}", later.format("%-d %B %Y"));
    assert!(r.body.contains("Postponed until") && r.body.contains(&long), "{}", r.body);
    assert!(
        !r.body.contains("Clearance letter") && !r.body.contains("Went ahead"),
        "no reasons for the front desk"
    );
    let actions: Vec<String> = studio.audit_log(1000).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().filter(|a| *a == "override-screening").count() >= 10, "{actions:?}");
}
