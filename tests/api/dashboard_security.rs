//! The dashboard as an attacker sees it (docs/dashboard.md, reliability.md item 12): CSRF,
//! other workspaces, read-only sessions writing, guessing keys, headers on every page,
//! sessions outliving their key, their idle time or their lifetime.

use crate::dashboard_browser::{Browser, Page};
use crate::helpers::*;
use purrlist::config::Config;
use purrlist::domain::session::SessionLifetime;
use serde_json::json;
use std::time::Duration;

async fn subscribed(app: &TestApp, id: &str) -> bool {
    let reply = app.get_contact(id).await;
    reply.expect_status(200);
    reply.json["subscribed"].as_bool().expect("subscribed")
}

backend_test!(
    signing_in_needs_a_valid_key_and_sets_a_strict_session_cookie,
    |app| async move {
        let mut browser = Browser::new(&app);
        assert_eq!(browser.get("/admin").await.location(), "/admin/login");
        let form = browser.get("/admin/login").await;
        assert_eq!(form.status, 200);
        assert!(
            form.text.contains(r#"type="password" name="key""#),
            "{}",
            form.text
        );

        let wrong = browser
            .sign_in("purr_notarealkeynotarealkeynotareal1")
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.text.contains("not valid"), "{}", wrong.text);
        assert!(browser.cookie.is_none());

        let page = browser.sign_in(&app.api_key).await;
        assert_eq!(page.location(), "/admin");
        let cookie = page.header("set-cookie");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
        assert!(!cookie.contains(&app.api_key), "the key is not the session");
        let home = browser.get("/admin").await;
        assert_eq!(home.status, 200);
        assert!(home.text.contains("Test newsletter"), "{}", home.text);
        assert!(home.text.contains(&app.workspace));
    }
);

backend_test!(
    the_session_cookie_is_secure_when_the_public_url_is_https,
    config = Config {
        public_url: Some("https://news.example.com".to_owned()),
        ..TestApp::config()
    },
    |app| async move {
        let mut browser = Browser::new(&app);
        let page = browser.sign_in(&app.api_key).await;
        assert!(
            page.header("set-cookie").contains("; Secure"),
            "{}",
            page.header("set-cookie")
        );
    }
);

backend_test!(
    a_post_without_the_session_csrf_token_or_from_another_site_is_refused,
    |app| async move {
        let contact = app.new_contact(json!({"email": "c@example.com"})).await;
        let id = id_of(&contact);
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let path = format!("/admin/w/{}/contacts/{id}/unsubscribe", app.workspace);

        let missing = browser.post_raw(&path, &[]).await;
        assert_eq!(missing.status, 403, "{}", missing.text);
        let wrong = browser
            .post_raw(&path, &[("csrf", "0".repeat(64).as_str())])
            .await;
        assert_eq!(wrong.status, 403);
        let other_session = Browser::signed_in(&app, &app.api_key).await;
        let foreign = browser
            .post_raw(&path, &[("csrf", other_session.csrf.as_str())])
            .await;
        assert_eq!(
            foreign.status, 403,
            "a token is good for its own session only"
        );
        let cross_site = browser
            .post_with(
                &path,
                &[("csrf", browser.csrf.as_str())],
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(cross_site.status, 403);
        assert!(subscribed(&app, id).await, "nothing changed");

        let done = browser.post(&path, &[]).await;
        assert_eq!(done.status, 303, "{}", done.text);
        assert!(!subscribed(&app, id).await);
    }
);

backend_test!(
    a_session_of_a_one_workspace_key_sees_nothing_of_another_workspace,
    |app| async move {
        let other = app.create_workspace().await;
        let theirs = app
            .bulk(&json!({"newsletter_id": other, "contacts": [{"email": "secret@example.com"}]}))
            .await;
        theirs.expect_status(200);
        let their_id = theirs.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let key = app.key_for(&[&app.workspace]).await;
        let browser = Browser::signed_in(&app, &key.secret).await;

        let home = browser.get("/admin").await;
        assert!(home.text.contains(&app.workspace));
        assert!(!home.text.contains(&other), "{}", home.text);
        assert!(!home.text.contains("Another newsletter"));
        for path in [
            format!("/admin/w/{other}"),
            format!("/admin/w/{other}/contacts"),
            format!("/admin/w/{other}/contacts/{their_id}"),
            format!("/admin/w/{other}/export/contacts.csv"),
            format!("/admin/w/{other}/imports"),
            format!("/admin/w/{other}/webhooks"),
            format!("/admin/w/{}/contacts/{their_id}", app.workspace),
            format!("/admin/w/{}/contacts/{their_id}/delete", app.workspace),
            "/admin/keys".to_owned(),
        ] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, 404, "{path}: {}", page.text);
            assert!(!page.text.contains("secret@example.com"));
        }
        let search = browser
            .get(&format!("/admin/w/{}/contacts?q=secret", app.workspace))
            .await;
        assert!(!search.text.contains("secret@example.com"));
        for path in [
            format!("/admin/w/{other}/contacts/{their_id}/unsubscribe"),
            format!("/admin/w/{}/contacts/{their_id}/delete", app.workspace),
            format!("/admin/w/{other}/rename"),
        ] {
            let page = browser.post(&path, &[("name", "Mine now")]).await;
            assert_eq!(page.status, 404, "{path}");
        }
        let created = browser
            .post(
                &format!("/admin/w/{other}/contacts"),
                &[("email", "x@example.com")],
            )
            .await;
        assert_eq!(created.status, 404);
        assert!(subscribed(&app, &their_id).await);
        assert_eq!(app.list_all_of(&other).await.len(), 1);
        assert!(
            !app.store
                .list_workspaces()
                .await
                .expect("list")
                .iter()
                .any(|w| w.name == "Mine now")
        );
    }
);

backend_test!(
    a_read_only_session_shows_no_buttons_and_the_server_refuses_its_writes,
    |app| async move {
        let contact = app.new_contact(json!({"email": "r@example.com"})).await;
        let id = id_of(&contact);
        let key = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
            .await;
        let browser = Browser::signed_in(&app, &key.secret).await;
        let base = format!("/admin/w/{}/contacts/{id}", app.workspace);
        let page = browser.get(&base).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("r@example.com"));
        assert!(!page.text.contains(">Unsubscribe<"), "{}", page.text);
        assert!(!page.text.contains("Save changes"));
        assert!(!page.text.contains("Delete"));
        let list = browser
            .get(&format!("/admin/w/{}/contacts", app.workspace))
            .await;
        assert!(!list.text.contains("Add contact"));

        for (path, fields) in [
            (format!("{base}/unsubscribe"), vec![]),
            (format!("{base}/delete"), vec![]),
            (base.clone(), vec![("email", "changed@example.com")]),
            (
                format!("/admin/w/{}/contacts", app.workspace),
                vec![("email", "new@example.com")],
            ),
            (
                format!("/admin/w/{}/rename", app.workspace),
                vec![("name", "Renamed")],
            ),
            ("/admin/workspaces".to_owned(), vec![("name", "Mine")]),
            (
                "/admin/keys".to_owned(),
                vec![("name", "k"), ("workspace", "all")],
            ),
        ] {
            let refused = browser.post(&path, &fields).await;
            assert_eq!(refused.status, 403, "{path}: {}", refused.text);
        }
        assert!(subscribed(&app, id).await);
        assert_eq!(app.list_all().await.len(), 1);
        assert_eq!(app.store.list_workspaces().await.expect("list").len(), 1);
        assert_eq!(app.store.list_api_keys().await.expect("keys").len(), 2);
        let confirm = browser.get(&format!("{base}/delete")).await;
        assert_eq!(confirm.status, 403);
    }
);

backend_test!(sign_in_attempts_are_limited_per_address, |app| async move {
    let mut browser = Browser::new(&app);
    for _ in 0..10 {
        let page = browser
            .sign_in("purr_notarealkeynotarealkeynotareal1")
            .await;
        assert_eq!(page.status, 401);
    }
    let page = browser.sign_in(&app.api_key).await;
    assert_eq!(page.status, 429, "even the right key waits: {}", page.text);
    assert!(
        page.header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s > 0)
    );
    assert!(browser.cookie.is_none());
});

fn assert_headers(path: &str, page: &Page) {
    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{path}: {csp}"
    );
    assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
    assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
    assert!(!page.text.contains("<script"), "{path}");
    assert!(
        !page.text.contains("style=\""),
        "{path}: inline styles would need unsafe-inline"
    );
}

backend_test!(
    every_page_has_strict_security_headers_and_is_not_cached,
    |app| async move {
        let contact = app
            .new_contact(json!({"email": "h@example.com", "custom_fields": {"plan": "pro"}}))
            .await;
        let id = id_of(&contact);
        let signed_out = Browser::new(&app);
        let mut pages = vec![
            (
                "/admin/login".to_owned(),
                signed_out.get("/admin/login").await,
            ),
            (
                "/admin (signed out)".to_owned(),
                signed_out.get("/admin").await,
            ),
        ];
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let w = &app.workspace;
        for path in [
            "/admin".to_owned(),
            format!("/admin/w/{w}"),
            format!("/admin/w/{w}/contacts"),
            format!("/admin/w/{w}/contacts?q=h"),
            format!("/admin/w/{w}/contacts/{id}"),
            format!("/admin/w/{w}/contacts/{id}/delete"),
            format!("/admin/w/{w}?period=month"),
            format!("/admin/w/{w}/imports"),
            format!("/admin/w/{w}/webhooks"),
            format!("/admin/w/{w}/suppressions"),
            "/admin/keys".to_owned(),
            "/admin/nothing-here".to_owned(),
        ] {
            let page = browser.get(&path).await;
            pages.push((path, page));
        }
        pages.push((
            "csrf refusal".to_owned(),
            browser.post_raw("/admin/workspaces", &[]).await,
        ));
        for (path, page) in &pages {
            assert_headers(path, page);
            assert_eq!(page.header("cache-control"), "no-store", "{path}");
        }
        let home = &pages[2].1;
        let stylesheet = home
            .links()
            .into_iter()
            .find(|l| l.starts_with("/admin/assets/"))
            .expect("a stylesheet link");
        let css = browser.get(&stylesheet).await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").starts_with("text/css"));
        assert!(css.header("cache-control").contains("immutable"));
        assert_headers(&stylesheet, &css);
        assert_eq!(browser.get("/admin/assets/other.css").await.status, 404);
    }
);

backend_test!(
    a_session_ends_with_its_key_and_on_signing_out,
    |app| async move {
        let key = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, false)
            .await;
        let browser = Browser::signed_in(&app, &key.secret).await;
        app.revoke(&key).await;
        let page = browser.get("/admin").await;
        assert_eq!(page.location(), "/admin/login");
        assert!(page.header("set-cookie").contains("Max-Age=0"));

        let browser = Browser::signed_in(&app, &app.api_key).await;
        let out = browser.post("/admin/logout", &[]).await;
        assert_eq!(out.location(), "/admin/login");
        assert_eq!(
            browser.get("/admin").await.location(),
            "/admin/login",
            "the old cookie is dead"
        );
        let mut again = Browser::new(&app);
        again.sign_in(&app.api_key).await;
        assert_ne!(
            again.cookie, browser.cookie,
            "every sign-in gets a new session"
        );
    }
);

backend_test!(
    a_session_ends_when_idle_too_long,
    config = Config {
        dashboard_sessions: SessionLifetime {
            idle: Duration::from_millis(400),
            absolute: Duration::from_secs(3600),
        },
        ..TestApp::config()
    },
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(browser.get("/admin").await.location(), "/admin/login");
    }
);

backend_test!(
    a_session_ends_when_too_old_however_busy,
    config = Config {
        dashboard_sessions: SessionLifetime {
            idle: Duration::from_secs(3600),
            absolute: Duration::from_millis(600),
        },
        ..TestApp::config()
    },
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        for _ in 0..3 {
            assert_eq!(browser.get("/admin").await.status, 200);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(browser.get("/admin").await.location(), "/admin/login");
    }
);

backend_test!(
    ended_sessions_are_removed_at_the_next_sign_in,
    config = Config {
        dashboard_sessions: SessionLifetime {
            idle: Duration::from_millis(400),
            absolute: Duration::from_secs(3600),
        },
        ..TestApp::config()
    },
    |app| async move {
        let stored = |browser: &Browser| {
            let cookie = browser.cookie.clone().expect("a session cookie");
            let secret = cookie.trim_start_matches("purrlist_session=").to_owned();
            purrlist::domain::session::SessionSecret::parse(&secret)
                .expect("a session secret")
                .hash()
        };
        let old = Browser::signed_in(&app, &app.api_key).await;
        let old_hash = stored(&old);
        assert!(
            app.store
                .find_session(old_hash)
                .await
                .expect("find")
                .is_some()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let new = Browser::signed_in(&app, &app.api_key).await;
        assert!(
            app.store
                .find_session(old_hash)
                .await
                .expect("find")
                .is_none(),
            "pruned"
        );
        assert!(
            app.store
                .find_session(stored(&new))
                .await
                .expect("find")
                .is_some()
        );
    }
);
