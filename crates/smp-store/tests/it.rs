//! The storage suite: runs on SQLite always, and on PostgreSQL as well when
//! `TEST_DATABASE_URL` names one (a fresh schema per test).

use smp_store::{AuditAction, Client, ClientFields, PhotoAngle, Role, Store, StoreError, StudioId, User};

/// Every backend this run can reach, each with a fresh database or schema.
async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    stores_with_urls().await.into_iter().map(|(store, dir, _)| (store, dir)).collect()
}

/// As [`stores`], with each database's URL, for tests that go around the API.
async fn stores_with_urls() -> Vec<(Store, Option<tempfile::TempDir>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("smp.db").display());
    let mut out = vec![(Store::open_in(dir.path()).await.unwrap(), Some(dir), url)];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        // A schema of its own per test, so that no run depends on what an
        // earlier one (of another version) left in the database.
        sqlx::any::install_default_drivers();
        let schema = format!("store_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::AnyPool::connect(&url).await.expect("TEST_DATABASE_URL is reachable");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
        admin.close().await;
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
        out.push((Store::open(&url).await.expect("the test schema opens"), None, url));
    }
    out
}

/// A client's details as a form would hold them.
fn edit_of(client: &smp_store::Client) -> ClientFields {
    ClientFields {
        full_name: client.full_name.clone(),
        birth_date: client.birth_date.clone(),
        email: client.email.clone(),
        phone: client.phone.clone(),
    }
}

/// A name no earlier run used (PostgreSQL keeps its data between runs).
fn unique(name: &str) -> String {
    format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// Two studios with a practitioner each, and a client of the first:
/// (studio A, studio B, A's practitioner, B's practitioner, A's client).
async fn two_studios(store: &Store, a_name: &str) -> (StudioId, StudioId, User, User, Client) {
    let a = store.create_studio(a_name).await.unwrap();
    let b = store.create_studio("B").await.unwrap();
    let pia =
        store.create_user(&a, &unique("pia"), Role::Practitioner, "a long password", false).await.unwrap();
    let bob =
        store.create_user(&b, &unique("bob"), Role::Practitioner, "a long password", false).await.unwrap();
    let client = store
        .studio(&a)
        .create_client(&pia, &ClientFields { full_name: "Cy".into(), ..Default::default() })
        .await
        .unwrap();
    (a, b, pia, bob, client)
}

#[tokio::test]
async fn users_log_in_with_their_password_only() {
    for (store, _dir) in stores().await {
        let studio = store.create_studio("Main street").await.unwrap();
        let name = unique("ana");
        let user = store
            .create_user(&studio, &name, Role::Practitioner, "correct horse battery", false)
            .await
            .unwrap();
        let back = store
            .verify_login(&studio, &name, "correct horse battery", "test")
            .await
            .unwrap()
            .expect("logs in");
        assert_eq!(back, user);
        assert!(store.verify_login(&studio, &name, "wrong password!!", "test").await.unwrap().is_none());
        assert!(
            store
                .verify_login(&studio, &unique("nobody"), "correct horse battery", "test")
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            store.create_user(&studio, &name, Role::Admin, "another password", false).await,
            Err(StoreError::UserExists(_))
        ));
        assert!(matches!(
            store.create_user(&studio, "x y", Role::Admin, "long enough pw", false).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.create_user(&studio, &unique("b"), Role::Admin, "short", false).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(store.user_count().await.unwrap() >= 1);
        assert!(store.ping().await);
    }
}

#[tokio::test]
async fn no_studio_reaches_another_studios_clients() {
    for (store, _dir) in stores().await {
        let a = store.create_studio("A").await.unwrap();
        let b = store.create_studio("B").await.unwrap();
        let marker = unique("Zed");
        let ann = store
            .create_user(&a, &unique("ann"), Role::Practitioner, "a long password", false)
            .await
            .unwrap();
        let client = store
            .studio(&a)
            .create_client(
                &ann,
                &ClientFields { full_name: format!("{marker} Client"), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(store.studio(&a).client(&client.id).await.unwrap(), Some(client.clone()));
        assert_eq!(store.studio(&b).client(&client.id).await.unwrap(), None, "B cannot read A's client");
        assert!(store.studio(&b).search_clients(&marker, 50).await.unwrap().is_empty(), "nor find it");
        let edit = ClientFields { full_name: "Taken over".into(), ..Default::default() };
        let bo = store.create_user(&b, &unique("bo"), Role::Admin, "a long password", false).await.unwrap();
        assert!(!store.studio(&b).update_client(&bo, &client.id, &edit).await.unwrap(), "nor change it");
        assert!(store.studio(&b).possible_duplicates(&edit_of(&client), None).await.unwrap().is_empty());
        assert_eq!(store.studio(&a).client(&client.id).await.unwrap().unwrap().full_name, client.full_name);
    }
}

#[tokio::test]
async fn clients_are_found_by_name_and_edited() {
    for (store, _dir) in stores().await {
        let studio = store.create_studio("Search").await.unwrap();
        let s = store.studio(&studio);
        let tag = unique("q");
        let sue = store
            .create_user(&studio, &unique("sue"), Role::FrontDesk, "a long password", false)
            .await
            .unwrap();
        for name in ["Alice Adams", "Bob Brown", "alice cooper", "50% Sale"] {
            s.create_client(&sue, &ClientFields { full_name: format!("{name} {tag}"), ..Default::default() })
                .await
                .unwrap();
        }
        let found: Vec<String> =
            s.search_clients("alice", 50).await.unwrap().into_iter().map(|c| c.full_name).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(s.search_clients("50%", 50).await.unwrap().len(), 1, "% is matched literally");
        assert_eq!(s.search_clients(&tag, 2).await.unwrap().len(), 2, "the limit holds");
        let bob = s.search_clients("bob", 5).await.unwrap().remove(0);
        let edit = ClientFields {
            full_name: "Robert Brown".into(),
            email: Some(" rb@example.org ".into()),
            ..Default::default()
        };
        assert!(s.update_client(&sue, &bob.id, &edit).await.unwrap());
        let back = s.client(&bob.id).await.unwrap().unwrap();
        assert_eq!(
            (back.full_name.as_str(), back.email.as_deref()),
            ("Robert Brown", Some("rb@example.org"))
        );
        // The old values are kept, with who changed them; saving the same
        // values again is no change.
        assert!(s.update_client(&sue, &bob.id, &edit).await.unwrap());
        let changes = s.client_changes(&bob.id).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].before.full_name, format!("Bob Brown {tag}"));
        assert_eq!(
            (changes[0].before.email.as_deref(), changes[0].staff_name.as_str()),
            (None, sue.name.as_str())
        );
        // The same person again: by e-mail (any case), by phone digits, by
        // name and birth date; the one edited is left out.
        let probe = |name: &str, email: Option<&str>, phone: Option<&str>, born: Option<&str>| ClientFields {
            full_name: name.into(),
            email: email.map(String::from),
            phone: phone.map(String::from),
            birth_date: born.map(String::from),
        };
        let found =
            s.possible_duplicates(&probe("Someone", Some("RB@example.org"), None, None), None).await.unwrap();
        assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [bob.id.as_str()]);
        assert!(
            s.possible_duplicates(&probe("Someone", Some("rb@example.org"), None, None), Some(&bob.id))
                .await
                .unwrap()
                .is_empty()
        );
        let with_phone = ClientFields { phone: Some("+34 600-111 222".into()), ..edit.clone() };
        s.update_client(&sue, &bob.id, &with_phone).await.unwrap();
        assert_eq!(
            s.possible_duplicates(&probe("X", None, Some("34600111222"), None), None).await.unwrap().len(),
            1
        );
        let born = ClientFields { birth_date: Some("1980-01-02".into()), ..with_phone.clone() };
        s.update_client(&sue, &bob.id, &born).await.unwrap();
        assert_eq!(
            s.possible_duplicates(&probe("robert brown", None, None, Some("1980-01-02")), None)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.possible_duplicates(&probe("Robert Brown", None, None, Some("1981-01-02")), None)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(s.create_client(&sue, &ClientFields::default()).await, Err(StoreError::Invalid(_))));
    }
}

/// The data folder and the database are private whatever the umask (they
/// were 0755 and 0644), and an existing wider one is narrowed.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let store = Store::open_in(&data).await.unwrap();
    store.create_studio("Private").await.unwrap();
    assert_eq!(mode(&data), 0o700);
    for file in ["smp.db", "smp.db-wal"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    store.close().await;
    std::fs::set_permissions(data.join("smp.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open_in(&data).await.unwrap();
    assert_eq!(mode(&data.join("smp.db")), 0o600, "narrowed on open");
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open_in(dir.path()).await.unwrap();
        let studio = store.create_studio("Kept").await.unwrap();
        store.create_user(&studio, "keeper", Role::Admin, "a long password", true).await.unwrap();
        studio
    };
    let store = Store::open_in(dir.path()).await.unwrap();
    assert_eq!(store.first_studio().await.unwrap(), Some(id.clone()));
    let user = store.verify_login(&id, "keeper", "a long password", "test").await.unwrap().unwrap();
    assert!(user.must_change_password);
    assert!(matches!(Store::open("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
}

#[tokio::test]
async fn a_backup_is_a_sound_copy_taken_while_in_use() {
    for (store, dir, _) in stores_with_urls().await {
        let (a, _, pia, _, client) = two_studios(&store, "Backed up").await;
        let Some(dir) = dir else {
            // PostgreSQL: pg_dump's job, said in words.
            let err = store.backup_to(std::path::Path::new("/tmp/never.db")).await.unwrap_err();
            assert!(err.to_string().contains("pg_dump"), "{err}");
            assert!(store.integrity_ok().await.unwrap());
            continue;
        };
        let copy_dir = tempfile::tempdir().unwrap();
        store.backup_to(&copy_dir.path().join("smp.db")).await.unwrap();
        // The original goes on; the copy holds what was there when it was taken.
        store
            .studio(&a)
            .create_client(&pia, &ClientFields { full_name: "After".into(), ..Default::default() })
            .await
            .unwrap();
        let copy = Store::open_in(copy_dir.path()).await.unwrap();
        assert!(copy.integrity_ok().await.unwrap());
        let found = copy.studio(&a).search_clients("", 10).await.unwrap();
        assert_eq!(found.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![client.id.clone()]);
        // A backup never overwrites.
        assert!(store.backup_to(&copy_dir.path().join("smp.db")).await.is_err());
        drop(dir);
    }
}

#[tokio::test]
async fn sessions_live_until_ended_and_a_new_password_ends_the_others() {
    for (store, _dir) in stores().await {
        let studio = store.create_studio("Sessions").await.unwrap();
        let user =
            store.create_user(&studio, &unique("sam"), Role::Admin, "first password", true).await.unwrap();
        let one = store.start_session(&user, 12).await.unwrap();
        let two = store.start_session(&user, 12).await.unwrap();
        assert_ne!(one.token, two.token);
        assert_ne!(one.csrf, one.token);
        assert_eq!(store.session(&one.token).await.unwrap().unwrap().user, user);
        assert!(matches!(
            store.set_password(&user, "not the password", "second password", &one.token).await,
            Err(StoreError::Invalid(_))
        ));
        store.set_password(&user, "first password", "second password", &one.token).await.unwrap();
        assert!(store.session(&two.token).await.unwrap().is_none(), "other sessions end");
        let kept = store.session(&one.token).await.unwrap().unwrap();
        assert!(!kept.user.must_change_password);
        assert!(
            store.verify_login(&user.studio, &user.name, "second password", "test").await.unwrap().is_some()
        );
        store.end_session(&kept).await.unwrap();
        assert!(store.session(&one.token).await.unwrap().is_none());
        let expired = store.start_session(&user, -1).await.unwrap();
        assert!(store.session(&expired.token).await.unwrap().is_none(), "expired sessions are gone");
        assert!(store.session("no-such-token").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn screenings_are_kept_per_client_and_studio_with_an_audit_line() {
    for (store, _dir) in stores().await {
        let (a, b, pia, bob, client) = two_studios(&store, "A").await;
        assert!(
            store
                .studio(&a)
                .record_screening(&client.id, &pia, "pregnant = false", "v1", "proceed", "{}")
                .await
                .unwrap()
        );
        assert!(
            !store.studio(&b).record_screening(&client.id, &bob, "x", "v1", "proceed", "{}").await.unwrap(),
            "B cannot screen A's client"
        );
        let list = store.studio(&a).screenings(&client.id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].outcome.as_str(), list[0].rules_version.as_str(), list[0].staff_name.as_str()),
            ("proceed", "v1", pia.name.as_str())
        );
        assert!(store.studio(&b).screenings(&client.id).await.unwrap().is_empty());
        let log = store.studio(&a).audit_log(10).await.unwrap();
        let screening = log.iter().find(|e| e.action == "record-screening").expect("audited");
        assert_eq!(screening.subject, client.id);
        assert!(store.studio(&b).audit_log(10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn consent_texts_are_versioned_and_signatures_supersede_never_change() {
    for (store, _dir, url) in stores_with_urls().await {
        let (a, b, pia, bob, client) = two_studios(&store, "A").await;
        let sa = store.studio(&a);
        assert_eq!(sa.consent_text().await.unwrap(), None);
        let v1 = sa.publish_consent_text(None, "I agree.\r\n").await.unwrap();
        assert_eq!((v1.version, v1.body.as_str()), (1, "I agree."));
        let same = sa.publish_consent_text(Some(&pia), "  I agree.  ").await.unwrap();
        assert_eq!(same, v1, "an unchanged text is not a new version");
        assert!(matches!(sa.publish_consent_text(Some(&pia), "   ").await, Err(StoreError::Invalid(_))));
        let first = sa.sign_consent(&client.id, &pia, &v1.id, "Cy", b"png-1").await.unwrap().unwrap();
        let v2 = sa.publish_consent_text(Some(&pia), "I agree, version two.").await.unwrap();
        assert_eq!(v2.version, 2);
        assert!(
            matches!(
                sa.sign_consent(&client.id, &pia, &v1.id, "Cy", b"png").await,
                Err(StoreError::Invalid(_))
            ),
            "an outdated text cannot be signed"
        );
        assert!(matches!(
            sa.sign_consent(&client.id, &pia, &v2.id, "  ", b"png").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            sa.sign_consent(&client.id, &pia, &v2.id, "Cy", b"").await,
            Err(StoreError::Invalid(_))
        ));
        let second = sa.sign_consent(&client.id, &pia, &v2.id, "Cy", b"png-2").await.unwrap().unwrap();
        let list = sa.consents(&client.id).await.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].id.as_str(), list[0].text_version, list[0].superseded_by.as_deref()),
            (second.as_str(), 2, None)
        );
        assert_eq!((list[1].id.as_str(), list[1].text_version), (first.as_str(), 1));
        assert_eq!(list[1].superseded_by.as_deref(), Some(second.as_str()));
        assert_eq!(list[1].text_body, "I agree.", "the text signed is kept word for word");
        assert_eq!(sa.consent_signature(&first).await.unwrap().as_deref(), Some(&b"png-1"[..]));

        // Another studio can neither sign for this client nor read the consent.
        let sb = store.studio(&b);
        let vb = sb.publish_consent_text(None, "B's text").await.unwrap();
        assert_eq!(sb.sign_consent(&client.id, &bob, &vb.id, "Cy", b"png").await.unwrap(), None);
        assert!(sb.consents(&client.id).await.unwrap().is_empty());
        assert_eq!(sb.consent_signature(&first).await.unwrap(), None);

        // The database itself refuses to change or delete what was signed.
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        for sql in [
            format!("UPDATE consents SET signed_name = 'Someone else' WHERE id = '{first}'"),
            format!("UPDATE consents SET superseded_by = NULL WHERE id = '{first}'"),
            format!("DELETE FROM consents WHERE id = '{second}'"),
            format!("UPDATE consent_texts SET body = 'changed' WHERE id = '{}'", v1.id),
            format!("DELETE FROM consent_texts WHERE id = '{}'", v1.id),
        ] {
            assert!(sqlx::query(&sql).execute(&raw).await.is_err(), "refused: {sql}");
        }
        assert_eq!(sa.consents(&client.id).await.unwrap(), list);
    }
}

#[tokio::test]
async fn photos_are_recorded_per_client_and_studio() {
    for (store, _dir) in stores().await {
        let (a, b, pia, bob, client) = two_studios(&store, "A").await;
        let sa = store.studio(&a);
        let id = smp_store::new_photo_id();
        assert!(sa.add_photo(&id, &client.id, &pia, PhotoAngle::Crown, 4000, 3000, 123_456).await.unwrap());
        let other = smp_store::new_photo_id();
        assert!(
            !store.studio(&b).add_photo(&other, &client.id, &bob, PhotoAngle::Top, 1, 1, 1).await.unwrap()
        );
        let list = sa.photos(&client.id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].angle, list[0].width, list[0].height, list[0].bytes),
            (PhotoAngle::Crown, 4000, 3000, 123_456)
        );
        assert_eq!(sa.photo(&id).await.unwrap(), Some(list[0].clone()));
        assert_eq!(store.studio(&b).photo(&id).await.unwrap(), None);
        assert!(store.studio(&b).photos(&client.id).await.unwrap().is_empty());
        // (The client's creation may share the upload's millisecond: looked
        // up by action, not by place.)
        let log = sa.audit_log(10).await.unwrap();
        assert!(log.iter().any(|e| e.action == "upload-photo" && e.subject == client.id), "{log:?}");
        for angle in PhotoAngle::ALL {
            assert_eq!(PhotoAngle::parse(angle.as_str()), Some(angle));
        }
    }
}

#[tokio::test]
async fn admins_reset_passwords_and_rename_only_their_own_studio() {
    for (store, _dir) in stores().await {
        let a = store.create_studio("A").await.unwrap();
        let b = store.create_studio("B").await.unwrap();
        let admin =
            store.create_user(&a, &unique("adm"), Role::Admin, "a long password", false).await.unwrap();
        let pia = store
            .create_user(&a, &unique("pia"), Role::Practitioner, "a long password", false)
            .await
            .unwrap();
        let bob = store
            .create_user(&b, &unique("bob"), Role::Practitioner, "a long password", false)
            .await
            .unwrap();
        let sa = store.studio(&a);
        let names: Vec<String> = sa.users().await.unwrap().into_iter().map(|u| u.name).collect();
        assert!(names.contains(&pia.name) && names.contains(&admin.name) && !names.contains(&bob.name));
        let session = store.start_session(&pia, 1).await.unwrap();
        let fresh = sa.reset_password(&admin, &pia.id).await.unwrap().expect("pia is A's");
        assert!(fresh.chars().count() >= 20);
        assert!(store.session(&session.token).await.unwrap().is_none(), "her sessions ended");
        let back = store
            .verify_login(&pia.studio, &pia.name, &fresh, "test")
            .await
            .unwrap()
            .expect("the new password works");
        assert!(back.must_change_password);
        assert_eq!(sa.reset_password(&admin, &bob.id).await.unwrap(), None, "B's user is out of reach");
        assert!(
            store.verify_login(&bob.studio, &bob.name, "a long password", "test").await.unwrap().is_some()
        );
        let details = smp_store::StudioDetails {
            name: "Main Street Studio".into(),
            phone: Some("+44 20 7946 0000".into()),
            email: Some("hello@mainstreet.example".into()),
            address: Some("1 Main Street\nLondon".into()),
            time_zone: "Europe/London".into(),
            open_days: "tue wed thu fri sat".into(),
        };
        sa.set_details(&admin, &details).await.unwrap();
        assert_eq!(sa.name().await.unwrap(), "Main Street Studio");
        assert_eq!(sa.details().await.unwrap(), details);
        assert_eq!(store.studio(&b).name().await.unwrap(), "B");
        let blank = smp_store::StudioDetails { name: " ".into(), ..Default::default() };
        assert!(matches!(sa.set_details(&admin, &blank).await, Err(StoreError::Invalid(_))));
        let bad_phone = smp_store::StudioDetails { phone: Some("call us".into()), ..details.clone() };
        assert!(matches!(sa.set_details(&admin, &bad_phone).await, Err(StoreError::Invalid(_))));
        let never_open = smp_store::StudioDetails { open_days: "someday".into(), ..details.clone() };
        assert!(matches!(sa.set_details(&admin, &never_open).await, Err(StoreError::Invalid(_))));
    }
}

#[tokio::test]
async fn sessions_and_aftercare_links_stay_in_their_studio_and_expire() {
    for (store, _dir) in stores().await {
        let (a, b, pia, bob, client) = two_studios(&store, "Studio A").await;
        let sa = store.studio(&a);
        let photo = smp_store::new_photo_id();
        assert!(sa.add_photo(&photo, &client.id, &pia, PhotoAngle::Top, 10, 10, 10).await.unwrap());
        let design = sa.save_design(&client.id, &photo, &pia, "schema = 1").await.unwrap().unwrap();
        assert_eq!(design.version, 1);
        assert_eq!(sa.save_design(&client.id, &photo, &pia, "schema = 1").await.unwrap().unwrap().version, 2);
        assert!(store.studio(&b).save_design(&client.id, &photo, &bob, "x").await.unwrap().is_none());

        let id = sa
            .record_session(&client.id, &pia, "2026-12-01", 1, Some(&design.id), "{\"pain\":3}", None)
            .await
            .unwrap()
            .expect("recorded");
        let list = sa.treatment_sessions(&client.id).await.unwrap();
        assert_eq!(
            (list[0].id.as_str(), list[0].date.as_str(), list[0].design_version),
            (id.as_str(), "2026-12-01", Some(1))
        );
        assert!(store.studio(&b).treatment_sessions(&client.id).await.unwrap().is_empty());
        assert!(store.studio(&b).treatment_session(&id).await.unwrap().is_none());
        assert!(
            store
                .studio(&b)
                .record_session(&client.id, &bob, "2026-12-01", 1, None, "{}", None)
                .await
                .unwrap()
                .is_none()
        );

        let token = sa.share_aftercare(&id, &pia, 30).await.unwrap().unwrap();
        assert!(token.len() >= 64);
        let shared = store.shared_aftercare(&token).await.unwrap().unwrap();
        assert_eq!((shared.session_date.as_str(), shared.studio.name.as_str()), ("2026-12-01", "Studio A"));
        assert!(store.shared_aftercare("not-a-token").await.unwrap().is_none());
        assert!(store.studio(&b).share_aftercare(&id, &bob, 30).await.unwrap().is_none());
    }
}

/// Every photo store this run can reach: a folder always, and a prefix of
/// its own in an S3-compatible bucket when `TEST_S3_URL` names one
/// (`scripts/test` starts a server and does).
fn photo_stores(dir: &std::path::Path) -> Vec<smp_store::PhotoFiles> {
    let mut out = vec![smp_store::PhotoFiles::in_folder(dir.join("photos"))];
    if let Ok(url) = std::env::var("TEST_S3_URL") {
        let prefix = format!("{url}/store-test-{}", uuid::Uuid::new_v4().simple());
        out.push(smp_store::PhotoFiles::in_bucket(&prefix).expect("TEST_S3_URL is usable"));
    }
    out
}

/// The photo store keeps files whole, per studio, under the names given;
/// a second instance on the same bucket sees the same files; what could
/// climb out of the store is refused. (A store that cannot be reached is
/// refused at `smp serve`'s start: the CLI suite.)
#[tokio::test]
async fn photo_files_are_kept_whole_per_studio_in_a_folder_and_a_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (StudioId("studio-a".into()), StudioId("studio-b".into()));
    for files in photo_stores(dir.path()) {
        let place = files.describe();
        files.check().await.unwrap();
        assert_eq!(files.get(&a, "0a.jpg").await.unwrap(), None, "{place}");
        files.put(&a, "0a.jpg", vec![1; 3000]).await.unwrap();
        files.put(&a, "0a.thumb.jpg", vec![2; 10]).await.unwrap();
        files.put(&b, "0b.jpg", vec![3; 10]).await.unwrap();
        files.put(&a, "0a.jpg", vec![4; 5]).await.unwrap();
        assert_eq!(files.get(&a, "0a.jpg").await.unwrap(), Some(vec![4; 5]), "replaced whole: {place}");
        let mut names: Vec<String> = files.list(&a).await.unwrap().into_iter().map(|f| f.name).collect();
        names.sort();
        assert_eq!(names, ["0a.jpg", "0a.thumb.jpg"], "{place}");
        let mut studios: Vec<String> = files.studios().await.unwrap().into_iter().map(|s| s.0).collect();
        studios.sort();
        assert!(studios.contains(&a.0) && studios.contains(&b.0), "{place}: {studios:?}");
        let young = files.list(&b).await.unwrap()[0].modified.elapsed().unwrap_or_default();
        assert!(young < std::time::Duration::from_secs(120), "{place}: written {young:?} ago");
        files.delete(&a, "0a.thumb.jpg").await.unwrap();
        files.delete(&a, "0a.thumb.jpg").await.unwrap();
        assert_eq!(files.get(&a, "0a.thumb.jpg").await.unwrap(), None);
        for bad in ["../0b.jpg", ".hidden", "a/b.jpg", ""] {
            let e = files.get(&a, bad).await.unwrap_err();
            assert!(matches!(e, StoreError::Files(_)), "{bad:?}: {e}");
            assert!(files.put(&a, bad, vec![0]).await.is_err());
        }
        assert!(files.list(&StudioId("..".into())).await.is_err());
        // Another instance, its own client, the same files.
        let again = if place.starts_with("s3://") {
            smp_store::PhotoFiles::in_bucket(&place).unwrap()
        } else {
            smp_store::PhotoFiles::in_folder(&place)
        };
        assert_eq!(again.get(&b, "0b.jpg").await.unwrap(), Some(vec![3; 10]), "{place}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path().join("photos/studio-a")), 0o700);
        assert_eq!(mode(dir.path().join("photos/studio-a/0a.jpg")), 0o600);
    }
    assert!(smp_store::PhotoFiles::in_bucket("https://example.com/x").is_err());
    assert!(smp_store::PhotoFiles::in_bucket("s3:///x").is_err());
}

/// A database of the release before sign-in names were per studio (schema
/// 17: names unique across studios) is brought up to date in place: every
/// account, its references and its login sessions kept, each studio given
/// its sign-in code, and a name one studio uses now free in another.
#[tokio::test]
async fn a_schema_17_database_is_upgraded_keeping_accounts_and_sessions() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smp.db");
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
        sqlx::query("PRAGMA foreign_keys = ON").execute(&pool).await.unwrap();
        let mut old = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/sqlite")).await.unwrap();
        old.migrations = old.migrations.iter().filter(|m| m.version <= 17).cloned().collect();
        old.run(&pool).await.unwrap();
        let digest: String =
            sha2::Sha256::digest(b"token-of-a-tablet").iter().map(|b| format!("{b:02x}")).collect();
        let hash = password_auth::generate_hash("a long password");
        for statement in [
            "INSERT INTO studios (id, name, created_at) VALUES ('s1', 'Main Street', 1), ('s2', 'Main Street', 2)"
                .to_string(),
            format!(
                "INSERT INTO users (id, studio_id, name, role, password_hash, must_change_password, created_at) \
                 VALUES ('u1', 's1', 'ada', 'admin', '{hash}', 0, 1), ('u2', 's2', 'bo', 'practitioner', '{hash}', 0, 2)"
            ),
            format!(
                "INSERT INTO sessions (token, user_id, csrf, created_at, expires_at) \
                 VALUES ('{digest}', 'u1', 'csrf-1', 1, 99999999999999)"
            ),
            "INSERT INTO audit (id, studio_id, staff_id, action, subject, at) VALUES ('a1', 's1', 'u1', 'login', '', 1)"
                .to_string(),
        ] {
            sqlx::query(&statement).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let store = Store::open_in(dir.path()).await.unwrap();
    let (s1, s2) = (StudioId("s1".into()), StudioId("s2".into()));
    assert_eq!(store.studio(&s1).sign_in_code().await.unwrap(), "main-street");
    assert_eq!(store.studio(&s2).sign_in_code().await.unwrap(), "main-street-2");
    let session = store.session("token-of-a-tablet").await.unwrap().expect("still logged in");
    assert_eq!((session.user.id.as_str(), session.user.name.as_str()), ("u1", "ada"));
    assert!(store.verify_login(&s2, "bo", "a long password", "test").await.unwrap().is_some());
    assert_eq!(store.studio(&s1).audit_log(10).await.unwrap().len(), 1, "the log still names ada");
    // The name ada is s1's; s2 may have an ada of its own now, s1 not twice.
    store.create_user(&s2, "ada", Role::Practitioner, "another password", false).await.unwrap();
    let twice = store.create_user(&s1, "ada", Role::Practitioner, "another password", false).await;
    assert!(matches!(twice, Err(StoreError::UserExists(_))), "{twice:?}");
    assert!(store.integrity_ok().await.unwrap());
}

/// Audit lines written within the same millisecond are listed in the order
/// they were written (they came in the order of their random ids).
#[tokio::test]
async fn the_audit_log_keeps_the_order_of_writing() {
    for (store, _dir) in stores().await {
        let (a, _, pia, _, client) = two_studios(&store, "Order").await;
        let studio = store.studio(&a);
        let written: Vec<String> = (0..40).map(|i| format!("step-{i:02}")).collect();
        for subject in &written {
            studio.audit(&pia, AuditAction::ViewHealth, subject).await.unwrap();
        }
        let listed: Vec<String> = studio
            .audit_log(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.subject.starts_with("step-"))
            .map(|e| e.subject)
            .rev()
            .collect();
        assert_eq!(listed, written, "{:?}", store.backend());
        let _ = client;
    }
}

/// Two practitioners plan two clients into the studio's one chair at the
/// same time, in parallel: the room is checked under the studio's lock, so
/// exactly one plan is saved and the other is told why, never both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parallel_plans_never_both_take_the_last_chair() {
    for (store, _dir) in stores().await {
        let (a, _, pia, _, cy) = two_studios(&store, "Studio A").await;
        let sa = store.studio(&a);
        let dee = sa
            .create_client(&pia, &ClientFields { full_name: "Dee".into(), ..Default::default() })
            .await
            .unwrap();
        let mut plans = Vec::new();
        for client in [&cy, &dee] {
            let photo = smp_store::new_photo_id();
            assert!(sa.add_photo(&photo, &client.id, &pia, PhotoAngle::Top, 10, 10, 10).await.unwrap());
            let design = sa.save_design(&client.id, &photo, &pia, "schema = 1").await.unwrap().unwrap();
            plans.push((client.id.clone(), design.id));
        }
        assert_eq!(sa.chairs().await.unwrap(), 1);
        let session = smp_store::PlannedSession {
            number: 1,
            date: "2027-01-12".into(),
            impressions: 2000,
            hours: 3.0,
            focus: "hairline".into(),
            start_time: Some("10:00".into()),
        };
        let tasks: Vec<_> = plans
            .into_iter()
            .map(|(client_id, design_id)| {
                let (store, a, pia, session) = (store.clone(), a.clone(), pia.clone(), session.clone());
                tokio::spawn(async move {
                    let fits = |chairs: u32, others: &[(String, String, smp_store::PlannedSession)]| {
                        // Slow, so that without the lock both would read an
                        // empty day before either writes.
                        std::thread::sleep(std::time::Duration::from_millis(300));
                        let taken = others.iter().filter(|(_, _, s)| s.date == "2027-01-12").count();
                        if taken < chairs as usize { Ok(()) } else { Err(format!("{taken} booked")) }
                    };
                    store
                        .studio(&a)
                        .save_plan(&client_id, &design_id, &pia, &[session], fits, &[])
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            [smp_store::SavedPlan::Refused("1 booked".into()), smp_store::SavedPlan::Saved],
            "{:?}",
            store.backend()
        );
        let booked = sa.planned_between("2027-01-12", "2027-01-12").await.unwrap();
        assert_eq!(booked.len(), 1);

        // A second chair takes the other client.
        sa.set_chairs(&pia, 2).await.unwrap();
        assert_eq!(sa.chairs().await.unwrap(), 2);
        assert!(matches!(sa.set_chairs(&pia, 0).await, Err(StoreError::Invalid(m)) if m.contains("Chairs")));
    }
}

/// Adds a photo of the client at `angle`, a few milliseconds after the
/// last (pairs are ordered by when their photos were taken).
async fn photo_of(
    studio: &smp_store::StudioStore<'_>,
    client: &Client,
    staff: &User,
    angle: PhotoAngle,
) -> String {
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let id = smp_store::new_photo_id();
    assert!(studio.add_photo(&id, &client.id, staff, angle, 400, 300, 1000).await.unwrap());
    id
}

#[tokio::test]
async fn the_gallery_shows_only_photos_under_a_portfolio_consent_in_force() {
    for (store, _dir) in stores().await {
        let (a, b, pia, bob, client) = two_studios(&store, "A").await;
        let sa = store.studio(&a);
        let before = photo_of(&sa, &client, &pia, PhotoAngle::Front).await;
        let healed = photo_of(&sa, &client, &pia, PhotoAngle::Front).await;
        let top = photo_of(&sa, &client, &pia, PhotoAngle::Top).await;
        let pair = smp_store::NewGalleryPair {
            before_photo: before.clone(),
            healed_photo: healed.clone(),
            before_face_line: 450,
            healed_face_line: 430,
            caption: "Hairline, three sessions".into(),
        };
        // No consent, no pair: the treatment consent does not stand for it.
        sa.sign_consent(
            &client.id,
            &pia,
            &sa.publish_consent_text(Some(&pia), "Treatment.").await.unwrap().id,
            "Cy",
            b"png",
        )
        .await
        .unwrap();
        let refused = sa.add_gallery_pair(&client.id, &pia, &pair).await.unwrap_err();
        assert!(refused.to_string().contains("not consented"), "{refused}");
        assert!(sa.gallery().await.unwrap().is_empty());

        let first = sa
            .sign_portfolio_consent(&client.id, &pia, "Show my photos.", false, "Cy", b"png")
            .await
            .unwrap();
        assert!(first.is_some());
        // Another studio can neither sign for nor show this client.
        assert_eq!(
            store.studio(&b).sign_portfolio_consent(&client.id, &bob, "x", true, "Cy", b"png").await.unwrap(),
            None
        );
        for (wrong, why) in [
            (smp_store::NewGalleryPair { healed_photo: top.clone(), ..pair.clone() }, "same angle"),
            (
                smp_store::NewGalleryPair {
                    before_photo: healed.clone(),
                    healed_photo: before.clone(),
                    ..pair.clone()
                },
                "older",
            ),
            (smp_store::NewGalleryPair { before_face_line: 1001, ..pair.clone() }, "between 0 and 100"),
            (
                smp_store::NewGalleryPair { healed_photo: "nope".into(), ..pair.clone() },
                "this client's photos",
            ),
        ] {
            let e = sa.add_gallery_pair(&client.id, &pia, &wrong).await.unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
        let id = sa.add_gallery_pair(&client.id, &pia, &pair).await.unwrap().unwrap();
        let shown = sa.gallery().await.unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(
            (shown[0].id.as_str(), &shown[0].pair, shown[0].faces_allowed),
            (id.as_str(), &pair, false)
        );
        assert!(store.studio(&b).gallery().await.unwrap().is_empty());
        assert_eq!(store.studio(&b).gallery_pair(&id).await.unwrap(), None);

        // A changed choice about faces replaces the consent; the pair stays.
        sa.sign_portfolio_consent(&client.id, &pia, "Show my photos.", true, "Cy", b"png").await.unwrap();
        assert!(sa.gallery_pair(&id).await.unwrap().unwrap().faces_allowed);
        let consents = sa.portfolio_consents(&client.id).await.unwrap();
        assert_eq!(consents.iter().filter(|c| c.in_force()).count(), 1);
        assert!(consents[1].superseded);

        // A withdrawn photo leaves the gallery with its pair.
        sa.withdraw_photo(&pia, &healed, "Blurred").await.unwrap();
        assert!(sa.gallery().await.unwrap().is_empty());
        let healed = photo_of(&sa, &client, &pia, PhotoAngle::Front).await;
        let id = sa
            .add_gallery_pair(
                &client.id,
                &pia,
                &smp_store::NewGalleryPair { healed_photo: healed, ..pair.clone() },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sa.client_gallery(&client.id).await.unwrap().len(), 1);

        // Revoking takes everything out at once, and no pair can come back.
        assert_eq!(sa.revoke_portfolio_consent(&client.id, &pia).await.unwrap(), Some(2));
        assert!(sa.gallery().await.unwrap().is_empty());
        assert_eq!(sa.gallery_pair(&id).await.unwrap(), None);
        assert_eq!(sa.revoke_portfolio_consent(&client.id, &pia).await.unwrap(), None);
        assert!(sa.add_gallery_pair(&client.id, &pia, &pair).await.is_err());
        let log = sa.audit_log(20).await.unwrap();
        for action in ["sign-portfolio-consent", "gallery-add", "revoke-portfolio-consent"] {
            assert!(log.iter().any(|e| e.action == action && e.subject == client.id), "{action}: {log:?}");
        }

        // The public address: off, on, a new one, off.
        assert_eq!(sa.public_gallery().await.unwrap(), None);
        let on = sa.set_public_gallery(&pia, true).await.unwrap().unwrap();
        assert_eq!(store.public_gallery_studio(&on).await.unwrap(), Some(a.clone()));
        let again = sa.set_public_gallery(&pia, true).await.unwrap().unwrap();
        assert_ne!(on, again);
        assert_eq!(store.public_gallery_studio(&on).await.unwrap(), None);
        sa.set_public_gallery(&pia, false).await.unwrap();
        assert_eq!(store.public_gallery_studio(&again).await.unwrap(), None);
    }
}

#[tokio::test]
async fn erasing_a_client_ends_their_portfolio_consent_and_empties_their_gallery() {
    for (store, _dir) in stores().await {
        let (a, _b, pia, _bob, client) = two_studios(&store, "A").await;
        let admin =
            store.create_user(&a, &unique("ada"), Role::Admin, "a long password", false).await.unwrap();
        let sa = store.studio(&a);
        let before = photo_of(&sa, &client, &pia, PhotoAngle::Crown).await;
        let healed = photo_of(&sa, &client, &pia, PhotoAngle::Crown).await;
        sa.sign_portfolio_consent(&client.id, &pia, "Show my photos.", false, "Cy", b"png").await.unwrap();
        let pair = smp_store::NewGalleryPair {
            before_photo: before,
            healed_photo: healed,
            before_face_line: 1000,
            healed_face_line: 1000,
            caption: String::new(),
        };
        sa.add_gallery_pair(&client.id, &pia, &pair).await.unwrap().unwrap();
        sa.erase_client(&admin, &client.id, "The client asked by e-mail").await.unwrap().unwrap();
        assert!(sa.gallery().await.unwrap().is_empty());
        let kept = sa.portfolio_consents(&client.id).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert!(!kept[0].in_force());
    }
}

#[tokio::test]
async fn a_shared_report_opens_by_its_link_until_the_record_is_erased() {
    for (store, _dir) in stores().await {
        let (a, b, pia, bob, client) = two_studios(&store, "A").await;
        let admin =
            store.create_user(&a, &unique("ada"), Role::Admin, "a long password", false).await.unwrap();
        let sa = store.studio(&a);
        let photo = photo_of(&sa, &client, &pia, PhotoAngle::Top).await;
        let design = sa.save_design(&client.id, &photo, &pia, "schema = 1\n").await.unwrap().unwrap().id;
        let report = sa.save_report(&client.id, &design, &pia, b"%PDF-1.7 report").await.unwrap().unwrap();
        // Only the client's own report, in the studio's own records.
        assert_eq!(sa.share_report("someone-else", &report, &pia, 30, None).await.unwrap(), None);
        assert_eq!(store.studio(&b).share_report(&client.id, &report, &bob, 30, None).await.unwrap(), None);
        let message = smp_store::NewMessage {
            kind: "report".into(),
            key: "link".into(),
            to: "cy@example.org".into(),
            subject: "Your report".into(),
            body: format!("Download: https://studio.example/reports/{}", smp_store::REPORT_TOKEN),
            due_at: 0,
            unsubscribe_url: None,
        };
        let token = sa.share_report(&client.id, &report, &pia, 30, Some(&message)).await.unwrap().unwrap();
        let mail = sa.client_messages(&client.id).await.unwrap();
        assert!(mail[0].body.ends_with(&format!("/reports/{token}")), "{}", mail[0].body);
        assert_eq!(sa.reports(&design).await.unwrap()[0].links[0].opened_at, None);
        let (studio, pdf) = store.shared_report(&token).await.unwrap().unwrap();
        assert_eq!((studio, pdf.as_slice()), (a.clone(), b"%PDF-1.7 report".as_slice()));
        assert!(sa.reports(&design).await.unwrap()[0].links[0].opened_at.is_some());
        assert_eq!(store.shared_report("not-a-token").await.unwrap(), None);
        sa.erase_client(&admin, &client.id, "Asked in person").await.unwrap().unwrap();
        assert_eq!(store.shared_report(&token).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_added_while_the_consent_is_revoked_never_outlives_the_revocation() {
    for (store, _dir) in stores().await {
        let (a, _, pia, _, client) = two_studios(&store, "A").await;
        let sa = store.studio(&a);
        let before = photo_of(&sa, &client, &pia, PhotoAngle::Crown).await;
        let healed = photo_of(&sa, &client, &pia, PhotoAngle::Crown).await;
        let pair = smp_store::NewGalleryPair {
            before_photo: before,
            healed_photo: healed,
            before_face_line: 1000,
            healed_face_line: 1000,
            caption: String::new(),
        };
        for round in 0..40 {
            sa.sign_portfolio_consent(&client.id, &pia, "Show my photos.", false, "Cy", b"png")
                .await
                .unwrap();
            // The practitioner adds a pair as the front desk records the
            // client's withdrawal, at once, on two connections.
            let add = {
                let (store, a, pia, client, pair) =
                    (store.clone(), a.clone(), pia.clone(), client.id.clone(), pair.clone());
                tokio::spawn(async move { store.studio(&a).add_gallery_pair(&client, &pia, &pair).await })
            };
            let revoke = {
                let (store, a, pia, client) = (store.clone(), a.clone(), pia.clone(), client.id.clone());
                tokio::spawn(async move { store.studio(&a).revoke_portfolio_consent(&client, &pia).await })
            };
            let (added, revoked) = (add.await.unwrap(), revoke.await.unwrap());
            assert!(revoked.unwrap().is_some(), "round {round}: the consent was in force");
            // Either the pair came first and went with the consent, or the
            // consent went first and the pair was refused.
            match added {
                Ok(_) => {}
                Err(StoreError::Invalid(why)) => assert!(why.contains("not consented"), "{why}"),
                Err(e) => panic!("round {round}: {e}"),
            }
            // Nothing added then may come back under a later consent.
            sa.sign_portfolio_consent(&client.id, &pia, "Show my photos.", false, "Cy", b"png")
                .await
                .unwrap();
            assert!(sa.gallery().await.unwrap().is_empty(), "round {round} on {:?}", store.backend());
            sa.revoke_portfolio_consent(&client.id, &pia).await.unwrap();
        }
    }
}
