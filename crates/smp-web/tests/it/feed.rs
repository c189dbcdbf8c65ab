//! Staff's calendar on their phones: a private address, shown once, that
//! lists the studio's planned sessions and stops when revoked.

use crate::support::*;

/// The address the page shows, from its scheme to its end.
fn address_in(page: &str) -> String {
    let code = page.split("id=\"feed-address\"").nth(1).expect("the address is shown");
    code.split('>').nth(1).unwrap().split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn a_staff_calendar_address_lists_the_planned_sessions_until_revoked() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, fred: (fred, fred_csrf), .. } = cast(&app, "A").await;
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Marta Ruiz").await;
    let session = smp_store::PlannedSession {
        number: 2,
        date: (chrono::Utc::now().date_naive() + chrono::Days::new(10)).to_string(),
        impressions: 4000,
        hours: 2.5,
        focus: "crown".into(),
        start_time: Some("10:30".into()),
    };
    let saved = app
        .store
        .studio(&a)
        .save_plan(&client.id, &design.id, &pia_user, &[session], |_, _| Ok(()), &[])
        .await
        .unwrap();
    assert_eq!(saved, smp_store::SavedPlan::Saved);

    // The calendar offers it; making it shows the address once.
    assert!(app.get("/calendar").by(&fred).await.body.contains("Make my calendar address"));
    let r = app.post("/calendar/feed").by(&fred).form(&format!("csrf={fred_csrf}")).await;
    assert!(r.status.is_success(), "{}", r.body);
    let address = address_in(&r.body);
    let path = address.split("127.0.0.1").last().unwrap();
    let path = &path[path.find("/calendar/feed/").unwrap()..];
    assert!(app.get("/calendar").by(&fred).await.body.contains("You made a calendar address"));

    // Anyone holding it (a phone, not logged in) gets the sessions: who and
    // which, not the surname or anything clinical.
    let ics = app.get(path).await;
    assert_eq!(ics.content_type.as_deref(), Some("text/calendar; charset=utf-8"), "{}", ics.body);
    assert!(ics.body.contains("SUMMARY:Marta R.: SMP session 2"), "{}", ics.body);
    assert!(ics.body.contains(&format!("UID:smp-session-{}-2@smp-studio", client.id)));
    assert!(!ics.body.contains("Ruiz") && !ics.body.contains("crown"), "{}", ics.body);

    // A new address ends the old one; revoking ends the new one; a made-up
    // one answers the same.
    let r = app.post("/calendar/feed").by(&fred).form(&format!("csrf={fred_csrf}")).await;
    let second = address_in(&r.body);
    let second = &second[second.find("/calendar/feed/").unwrap()..];
    assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND);
    assert!(app.get(second).await.status.is_success());
    let r = app.post("/calendar/feed/revoke").by(&fred).form(&format!("csrf={fred_csrf}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(second).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/calendar/feed/0123456789abcdef/sessions.ics").await.status, StatusCode::NOT_FOUND);

    // Someone who leaves takes no calendar with them.
    let r = app.post("/calendar/feed").by(&pia).form(&format!("csrf={csrf}")).await;
    let mine = address_in(&r.body);
    let mine = &mine[mine.find("/calendar/feed/").unwrap()..];
    assert!(app.get(mine).await.status.is_success());
    let admin = app.store.create_user(&a, "ada", Role::Admin, "a long password", false).await.unwrap();
    app.store.studio(&a).set_account(&admin, &pia_user.id, Role::Practitioner, false).await.unwrap();
    assert_eq!(app.get(mine).await.status, StatusCode::NOT_FOUND);
}
