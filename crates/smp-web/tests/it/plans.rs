//! Treatment plans and the calendar: the protocol, the studio's pace, chairs and open days.

use crate::support::*;

/// Once a few planned sessions are recorded with their duration, new plans
/// take their times from the studio's own pace (the median of those
/// sessions, less the set-up), and the plan page says which pace it uses.
#[tokio::test]
async fn plans_learn_the_studios_own_pace() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Sam Slow").await;
    let url = format!("/clients/{}/plan", client.id);
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let make = format!("csrf={csrf}&design_id={}&start={start}", design.id);
    let r = app.get(&url).by(&pia).await;
    assert!(r.body.contains("the protocol&#39;s pace, 5,000 impressions an hour"), "{}", r.body);
    assert_eq!(app.post(&url).by(&pia).form(&make).await.status, StatusCode::SEE_OTHER);
    let first = studio.plan(&client.id).await.unwrap().unwrap();
    // Each session recorded as taking 45 minutes of set-up plus an hour per
    // thousand impressions: a pace of 1,000 an hour.
    let setup = smp_clinic::Protocol::default_protocol().plan.setup_minutes;
    for s in &first.sessions {
        let minutes = setup as i64 + s.impressions * 60 / 1000;
        let passport = format!("{{\"duration_min\": {minutes}}}");
        studio
            .record_session(&client.id, &pia_user, &s.date, s.number, None, &passport, None)
            .await
            .unwrap()
            .unwrap();
    }
    let r = app.get(&url).by(&pia).await;
    // (Whole minutes: the pace comes out within a few impressions of 1,000.)
    let note = r.body.split("own pace: about ").nth(1).unwrap_or_else(|| panic!("{}", r.body));
    let rate: f64 = note.split(' ').next().unwrap().replace(',', "").parse().unwrap();
    assert!((990.0..=1010.0).contains(&rate), "{note}");
    assert!(note.contains("impressions an hour, from its last 3 recorded sessions"), "{note}");
    assert_eq!(app.post(&url).by(&pia).form(&make).await.status, StatusCode::SEE_OTHER);
    let again = studio.plan(&client.id).await.unwrap().unwrap();
    for s in &again.sessions {
        let expected = ((setup as f64 / 60.0 + s.impressions as f64 / 1000.0) * 10.0).round() / 10.0;
        assert!((s.hours - expected).abs() < 0.11, "session {}: {} h, not {expected} h", s.number, s.hours);
    }
    assert!(again.sessions[0].hours > first.sessions[0].hours, "slower than the protocol's default");
}

#[tokio::test]
async fn plans_follow_the_protocol_and_fill_the_calendar() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), fred: (fred, _), bo: (bo, bo_csrf), pia_user, .. } =
        cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let (client, design) = screened_client_with_design(&app, &a, &pia_user, "Paul Plan").await;
    let url = format!("/clients/{}/plan", client.id);
    let r = app.get(&url).by(&pia).await;
    assert!(r.status.is_success() && r.body.contains("Make a plan"), "{}", r.body);

    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&design_id={}&start={start}", design.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    assert_eq!(plan.sessions.len(), 3);
    assert_eq!(plan.sessions[0].date, start.to_string());
    // The chart's summary names the next session, for every role.
    let chart = app.get(&format!("/clients/{}", client.id)).by(&fred).await.body;
    let next = format!("{}, session 1", start.format("%-d %B %Y"));
    assert!(chart.contains(&next), "{next} in {chart}");
    assert!(plan.sessions.iter().all(|s| s.impressions > 0 && s.hours > 0.0));

    // Session 2 moved to the day after session 1: refused with the reason.
    let too_soon = start + chrono::Days::new(1);
    let dates = format!("date_1={start}&date_2={too_soon}&date_3={}", plan.sessions[2].date);
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&{dates}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("healing window") && r.body.contains(&format!("value=\"{too_soon}\"")),
        "{}",
        r.body
    );
    assert_eq!(studio.plan(&client.id).await.unwrap().unwrap(), plan, "nothing changed");
    // A later date is fine.
    let later = start + chrono::Days::new(20);
    let dates = format!("date_1={start}&date_2={later}&date_3={}", later + chrono::Days::new(30));
    let r = app.post(&url).by(&pia).form(&format!("csrf={csrf}&{dates}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(studio.plan(&client.id).await.unwrap().unwrap().sessions[1].date, later.to_string());

    // Sessions start at opening time (10:00 by default); a start moved so
    // that the session would end after closing (19:00) is refused with the
    // reason, what was typed kept; one within the hours is kept.
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    assert!(plan.sessions.iter().all(|s| s.start_time.as_deref() == Some("10:00")), "{plan:?}");
    let dates = format!("date_1={start}&date_2={later}&date_3={}", plan.sessions[2].date);
    let late = format!("csrf={csrf}&{dates}&time_1=18%3A30");
    let r = app.post(&url).by(&pia).form(&late).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Session 1: starting at 18:30") && r.body.contains("after closing time (19:00)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"18:30\""), "kept: {}", r.body);
    let early = format!("csrf={csrf}&{dates}&time_1=08%3A00");
    assert!(app.post(&url).by(&pia).form(&early).await.body.contains("before the studio opens"));
    let fine = format!("csrf={csrf}&{dates}&time_1=14%3A15");
    assert_eq!(app.post(&url).by(&pia).form(&fine).await.status, StatusCode::SEE_OTHER);
    let first = &studio.plan(&client.id).await.unwrap().unwrap().sessions[0];
    assert_eq!(first.start_time.as_deref(), Some("14:15"));

    // The calendar's week shows the planned sessions of that week, on their
    // day; another studio's does not; a date that is none is refused.
    let week = format!("/calendar?week={start}");
    let r = app.get(&week).by(&fred).await;
    assert!(r.body.contains("Paul Plan") && r.body.contains("session 1"), "{}", r.body);
    assert!(r.body.contains("<span class=\"time\">14:15–"), "with its time: {}", r.body);
    let day = start.format("%a %-d %b").to_string();
    let column = r.body.split(&format!("<span aria-hidden=\"true\">{day}</span>")).nth(1).unwrap();
    assert!(column.split("</li>").next().unwrap().contains("Paul Plan"), "on its day: {}", r.body);
    let next_week = format!("/calendar?week={}", start + chrono::Days::new(7));
    assert!(!app.get(&next_week).by(&fred).await.body.contains("Paul Plan"));
    assert!(!app.get(&week).by(&bo).await.body.contains("Paul"));
    let r = app.get("/calendar?week=someday").by(&fred).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("not a date"), "{}", r.body);
    assert_eq!(app.get(&url).by(&fred).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&url).by(&bo).await.status, StatusCode::NOT_FOUND);
    let r =
        app.post(&url).by(&bo).form(&format!("csrf={bo_csrf}&design_id={}&start={start}", design.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The planner never books more sessions at once than the studio has
/// chairs: a new plan takes the first free time of each day, a session
/// moved onto another client's is refused naming it (what was typed kept),
/// a day with no room says so, and a second chair makes room.
#[tokio::test]
async fn plans_share_the_studios_chairs() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let start = chrono::Utc::now().date_naive() + chrono::Days::new(3);
    let mut plans = Vec::new();
    for name in ["Ann First", "Bea Second"] {
        let (client, design) = screened_client_with_design(&app, &a, &pia_user, name).await;
        let url = format!("/clients/{}/plan", client.id);
        let make = format!("csrf={csrf}&design_id={}&start={start}", design.id);
        let r = app.post(&url).by(&pia).form(&make).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        plans.push((url, make, studio.plan(&client.id).await.unwrap().unwrap()));
    }
    let minute = |t: &Option<String>| {
        let t = chrono::NaiveTime::parse_from_str(t.as_deref().unwrap(), "%H:%M").unwrap();
        chrono::Timelike::num_seconds_from_midnight(&t) / 60
    };
    let (ann, bea) = (&plans[0].2.sessions[0], &plans[1].2.sessions[0]);
    assert_eq!(ann.start_time.as_deref(), Some("10:00"));
    let ann_end = minute(&ann.start_time) + smp_clinic::booking::booked_minutes(ann.hours);
    let bea_start = minute(&bea.start_time);
    assert!(bea_start >= ann_end && bea_start < ann_end + 15, "Bea at {bea:?} after Ann until {ann_end}");

    // Bea moved onto Ann's morning: refused, naming Ann's booking.
    let (bea_url, bea_make, bea_plan) = &plans[1];
    let dates: String = bea_plan.sessions.iter().map(|s| format!("&date_{}={}", s.number, s.date)).collect();
    let clash = format!("csrf={csrf}{dates}&time_1=11%3A00");
    let r = app.post(bea_url).by(&pia).form(&clash).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("overlaps Ann First&#39;s session 10:00–"), "{}", r.body);
    assert!(r.body.contains("the studio has 1 chair"), "{}", r.body);
    assert!(r.body.contains("value=\"11:00\""), "kept: {}", r.body);
    assert_eq!(&studio.plan(&client_of_plan(&plans[1].0)).await.unwrap().unwrap(), bea_plan, "unchanged");

    // A day too short for both: the studio closes once Ann is done.
    let closes = format!("{:02}:{:02}", (ann_end + 30) / 60, (ann_end + 30) % 60);
    studio
        .set_opening_hours(&pia_user, &smp_store::OpeningHours { opens: "10:00".into(), closes })
        .await
        .unwrap();
    let r = app.post(bea_url).by(&pia).form(bea_make).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("has no free chair for") && r.body.contains("Choose another first date"),
        "{}",
        r.body
    );

    // With a second chair, Bea sits beside Ann at 11:00.
    studio
        .set_opening_hours(
            &pia_user,
            &smp_store::OpeningHours { opens: "10:00".into(), closes: "19:00".into() },
        )
        .await
        .unwrap();
    studio.set_chairs(&pia_user, 2).await.unwrap();
    let r = app.post(bea_url).by(&pia).form(&clash).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let moved = studio.plan(&client_of_plan(&plans[1].0)).await.unwrap().unwrap();
    assert_eq!(moved.sessions[0].start_time.as_deref(), Some("11:00"));
}

/// The planner puts sessions on the studio's open days only, and a date
/// moved onto a closed day is refused with the day's name.
#[tokio::test]
async fn plans_keep_to_the_studios_open_days() {
    let app = app().await;
    let Cast { a, pia: (pia, csrf), pia_user, .. } = cast(&app, "A").await;
    let studio = app.store.studio(&a);
    let weekdays = smp_store::StudioDetails {
        name: "A".into(),
        time_zone: "UTC".into(),
        open_days: "mon tue wed thu fri".into(),
        ..Default::default()
    };
    studio.set_details(&pia_user, &weekdays).await.unwrap();
    let client = studio
        .create_client(
            &pia_user,
            &smp_store::ClientFields { full_name: "Wes Weekday".into(), ..Default::default() },
        )
        .await
        .unwrap();
    let photo = smp_store::new_photo_id();
    studio.add_photo(&photo, &client.id, &pia_user, smp_store::PhotoAngle::Top, 10, 10, 10).await.unwrap();
    let design =
        studio.save_design(&client.id, &photo, &pia_user, smp_core::EXAMPLE_DESIGN).await.unwrap().unwrap();
    screened(&app, &a, &pia_user, &client.id, "proceed", None, false).await;
    // The next Saturday at least a week away.
    let today = chrono::Utc::now().date_naive();
    let saturday =
        (7..14).map(|d| today + chrono::Days::new(d)).find(|d| d.format("%a").to_string() == "Sat").unwrap();
    let url = format!("/clients/{}/plan", client.id);
    let r =
        app.post(&url).by(&pia).form(&format!("csrf={csrf}&design_id={}&start={saturday}", design.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = studio.plan(&client.id).await.unwrap().unwrap();
    let days: Vec<String> = plan
        .sessions
        .iter()
        .map(|s| s.date.parse::<chrono::NaiveDate>().unwrap().format("%a").to_string())
        .collect();
    assert!(days.iter().all(|d| d != "Sat" && d != "Sun"), "{days:?}");
    assert_eq!(plan.sessions[0].date, (saturday + chrono::Days::new(2)).to_string(), "the Monday after");
    // Session 3 moved onto a Sunday: refused, saying which day.
    let sunday = plan.sessions[2].date.parse::<chrono::NaiveDate>().unwrap();
    let sunday =
        (0..7).map(|d| sunday + chrono::Days::new(d)).find(|d| d.format("%a").to_string() == "Sun").unwrap();
    let moved = format!(
        "csrf={csrf}&date_1={}&date_2={}&date_3={sunday}",
        plan.sessions[0].date, plan.sessions[1].date
    );
    let r = app.post(&url).by(&pia).form(&moved).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.body.contains("closed on Sunday"), "{}", r.body);
}
