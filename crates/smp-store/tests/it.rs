//! The storage suite: runs on SQLite always, and on PostgreSQL as well when
//! `TEST_DATABASE_URL` names one.

use smp_store::{ClientFields, Role, Store, StoreError};

/// Every backend this run can reach, each with a fresh database or schema.
async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(Store::open_in(dir.path()).await.unwrap(), Some(dir))];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        out.push((Store::open(&url).await.expect("TEST_DATABASE_URL is reachable"), None));
    }
    out
}

/// A name no earlier run used (PostgreSQL keeps its data between runs).
fn unique(name: &str) -> String {
    format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
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
        let back = store.verify_login(&name, "correct horse battery").await.unwrap().expect("logs in");
        assert_eq!(back, user);
        assert!(store.verify_login(&name, "wrong password!!").await.unwrap().is_none());
        assert!(store.verify_login(&unique("nobody"), "correct horse battery").await.unwrap().is_none());
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
        let client = store
            .studio(&a)
            .create_client(&ClientFields { full_name: format!("{marker} Client"), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(store.studio(&a).client(&client.id).await.unwrap(), Some(client.clone()));
        assert_eq!(store.studio(&b).client(&client.id).await.unwrap(), None, "B cannot read A's client");
        assert!(store.studio(&b).search_clients(&marker, 50).await.unwrap().is_empty(), "nor find it");
        let edit = ClientFields { full_name: "Taken over".into(), ..Default::default() };
        assert!(!store.studio(&b).update_client(&client.id, &edit).await.unwrap(), "nor change it");
        assert_eq!(store.studio(&a).client(&client.id).await.unwrap().unwrap().full_name, client.full_name);
    }
}

#[tokio::test]
async fn clients_are_found_by_name_and_edited() {
    for (store, _dir) in stores().await {
        let studio = store.create_studio("Search").await.unwrap();
        let s = store.studio(&studio);
        let tag = unique("q");
        for name in ["Alice Adams", "Bob Brown", "alice cooper", "50% Sale"] {
            s.create_client(&ClientFields { full_name: format!("{name} {tag}"), ..Default::default() })
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
        assert!(s.update_client(&bob.id, &edit).await.unwrap());
        let back = s.client(&bob.id).await.unwrap().unwrap();
        assert_eq!(
            (back.full_name.as_str(), back.email.as_deref()),
            ("Robert Brown", Some("rb@example.org"))
        );
        assert!(matches!(s.create_client(&ClientFields::default()).await, Err(StoreError::Invalid(_))));
    }
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
    assert_eq!(store.first_studio().await.unwrap(), Some(id));
    let user = store.verify_login("keeper", "a long password").await.unwrap().unwrap();
    assert!(user.must_change_password);
    assert!(matches!(Store::open("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
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
        store.set_password(&user, "second password", &one.token).await.unwrap();
        assert!(store.session(&two.token).await.unwrap().is_none(), "other sessions end");
        let kept = store.session(&one.token).await.unwrap().unwrap();
        assert!(!kept.user.must_change_password);
        assert!(store.verify_login(&user.name, "second password").await.unwrap().is_some());
        store.end_session(&one.token).await.unwrap();
        assert!(store.session(&one.token).await.unwrap().is_none());
        let expired = store.start_session(&user, -1).await.unwrap();
        assert!(store.session(&expired.token).await.unwrap().is_none(), "expired sessions are gone");
        assert!(store.session("no-such-token").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn screenings_are_kept_per_client_and_studio_with_an_audit_line() {
    for (store, _dir) in stores().await {
        let a = store.create_studio("A").await.unwrap();
        let b = store.create_studio("B").await.unwrap();
        let pia = store
            .create_user(&a, &unique("pia"), Role::Practitioner, "a long password", false)
            .await
            .unwrap();
        let bob = store
            .create_user(&b, &unique("bob"), Role::Practitioner, "a long password", false)
            .await
            .unwrap();
        let client = store
            .studio(&a)
            .create_client(&ClientFields { full_name: "Cy".into(), ..Default::default() })
            .await
            .unwrap();
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
        assert_eq!(log[0].action, "record-screening");
        assert_eq!(log[0].subject, client.id);
        assert!(store.studio(&b).audit_log(10).await.unwrap().is_empty());
    }
}
