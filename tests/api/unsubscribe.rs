//! The public unsubscribe link `/u/{unsub_token}` (api.md §4): pages, one-click, 404.

use crate::helpers::*;
use purrlist::domain::timestamp::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};

/// An answer from a page route (HTML, so not checked as an API error envelope).
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn fetch(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.expect("request reaches the server");
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("read body"),
    }
}

/// `GET /u/{token}`.
pub async fn open_page(app: &TestApp, token: &str) -> Page {
    fetch(app.anonymous(Method::GET, &format!("/u/{token}"))).await
}

/// `POST /u/{token}` as the page's form sends it (an empty form body).
pub async fn press_unsubscribe(app: &TestApp, token: &str) -> Page {
    fetch(
        app.anonymous(Method::POST, &format!("/u/{token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(""),
    )
    .await
}

/// `POST /u/{token}/resubscribe`.
pub async fn press_resubscribe(app: &TestApp, token: &str) -> Page {
    fetch(
        app.anonymous(Method::POST, &format!("/u/{token}/resubscribe"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(""),
    )
    .await
}

/// RFC 8058's one-click POST, as a mail client sends it.
pub async fn one_click(app: &TestApp, token: &str) -> Page {
    fetch(
        app.anonymous(Method::POST, &format!("/u/{token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click"),
    )
    .await
}

pub fn token_of(contact: &Value) -> &str {
    contact["unsub_token"].as_str().expect("unsub_token")
}

async fn subscribed(app: &TestApp, contact: &Value) -> bool {
    let reply = app.get_contact(id_of(contact)).await;
    reply.expect_status(200);
    reply.json["subscribed"].as_bool().expect("subscribed")
}

fn assert_page_headers(page: &Page) {
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.header("x-robots-tag").contains("noindex"));
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    let csp = page.header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(page.text.starts_with("<!doctype html>"));
    assert!(page.text.contains("<html lang=\"en\">"));
    assert!(page.text.contains("name=\"viewport\""));
    assert!(!page.text.contains("<script"), "pages need no JavaScript");
    assert!(!page.text.contains("http://") && !page.text.contains("https://"));
}

backend_test!(
    get_shows_the_newsletter_and_a_button_and_changes_nothing,
    |app| async move {
        let c = app.new_contact(json!({"email": "u@example.com"})).await;
        let before = app.snapshot().await;
        let page = open_page(&app, token_of(&c)).await;
        assert_eq!(page.status, 200);
        assert_page_headers(&page);
        assert!(page.text.contains("Test newsletter"), "{}", page.text);
        assert!(page.text.contains("<form method=\"post\""));
        assert!(
            page.text
                .contains("<button type=\"submit\">Unsubscribe</button>")
        );
        // A HEAD, as link checkers send, changes nothing either.
        let head = fetch(app.anonymous(Method::HEAD, &format!("/u/{}", token_of(&c)))).await;
        assert_eq!(head.status, 200);
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    post_unsubscribes_and_offers_to_resubscribe,
    |app| async move {
        let c = app.new_contact(json!({"email": "u@example.com"})).await;
        let other = app.new_contact(json!({"email": "o@example.com"})).await;
        let page = press_unsubscribe(&app, token_of(&c)).await;
        assert_eq!(page.status, 200);
        assert_page_headers(&page);
        assert!(page.text.contains("You have been unsubscribed"));
        assert!(
            page.text
                .contains(&format!("action=\"{}/resubscribe\"", token_of(&c)))
        );
        assert!(page.text.contains(">Resubscribe</button>"));
        assert!(!subscribed(&app, &c).await);
        assert!(subscribed(&app, &other).await, "only this contact changes");
        let after = app.get_contact(id_of(&c)).await.json;
        assert_ne!(after["updatedAt"], c["updatedAt"]);

        let again = open_page(&app, token_of(&c)).await;
        assert!(again.text.contains("You are unsubscribed"));
        assert!(again.text.contains(">Resubscribe</button>"));
    }
);

backend_test!(resubscribe_subscribes_again, |app| async move {
    let c = app.new_contact(json!({"email": "u@example.com"})).await;
    press_unsubscribe(&app, token_of(&c)).await;
    let page = press_resubscribe(&app, token_of(&c)).await;
    assert_eq!(page.status, 200);
    assert_page_headers(&page);
    assert!(page.text.contains("subscribed to Test newsletter again"));
    // The page lives one level down, so its form goes back up to /u/{token}.
    assert!(
        page.text
            .contains(&format!("action=\"../{}\"", token_of(&c)))
    );
    assert!(subscribed(&app, &c).await);
});

backend_test!(
    one_click_post_unsubscribes_with_an_empty_200,
    |app| async move {
        let c = app.new_contact(json!({"email": "u@example.com"})).await;
        let page = one_click(&app, token_of(&c)).await;
        assert_eq!(page.status, 200);
        assert!(page.text.is_empty(), "{}", page.text);
        assert!(!subscribed(&app, &c).await);
        // A multipart one-click body (RFC 8058 allows it) works too.
        let c2 = app.new_contact(json!({"email": "m@example.com"})).await;
        let form = reqwest::multipart::Form::new().text("List-Unsubscribe", "One-Click");
        let page = fetch(
            app.anonymous(Method::POST, &format!("/u/{}", token_of(&c2)))
                .multipart(form),
        )
        .await;
        assert_eq!((page.status, page.text.as_str()), (200, ""));
        assert!(!subscribed(&app, &c2).await);
    }
);

backend_test!(
    unsubscribing_twice_changes_nothing_the_second_time,
    |app| async move {
        let c = app.new_contact(json!({"email": "u@example.com"})).await;
        press_unsubscribe(&app, token_of(&c)).await;
        let once = app.get_contact(id_of(&c)).await.json;
        let page = press_unsubscribe(&app, token_of(&c)).await;
        assert_eq!(page.status, 200);
        assert_eq!(one_click(&app, token_of(&c)).await.status, 200);
        assert_eq!(app.get_contact(id_of(&c)).await.json, once);
    }
);

backend_test!(
    unknown_and_malformed_tokens_get_one_404_page_that_reveals_nothing,
    |app| async move {
        app.new_contact(json!({"email": "u@example.com"})).await;
        let before = app.snapshot().await;
        let mut bodies = Vec::new();
        for token in [
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA%21",
            "%C3%A9AAAAAAAAAAAAAAAAAAAA",
            "con_AAAAAAAAAAAAAAAAAAAAA",
        ] {
            for page in [
                open_page(&app, token).await,
                press_unsubscribe(&app, token).await,
                one_click(&app, token).await,
                press_resubscribe(&app, token).await,
            ] {
                assert_eq!(page.status, 404, "{token}");
                assert_page_headers(&page);
                assert!(!page.text.contains("Test newsletter"));
                bodies.push(page.text);
            }
        }
        bodies.dedup();
        assert_eq!(bodies.len(), 1, "every 404 page is the same");
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    the_newsletter_name_is_escaped_on_the_page,
    |app| async move {
        let evil = "<script>alert('x')</script> & \"Cats\"";
        let workspace = app
            .store
            .create_workspace(evil.to_owned(), Timestamp::now())
            .await
            .expect("workspace");
        let reply = app
            .bulk(&json!({"newsletter_id": workspace.id.as_str(),
                "contacts": [{"email": "u@example.com"}]}))
            .await;
        reply.expect_status(200);
        let id = reply.json["results"][0]["id"].as_str().expect("id");
        let c = app.get_contact(id).await.json;
        let page = open_page(&app, token_of(&c)).await;
        assert_eq!(page.status, 200);
        assert!(!page.text.contains("<script>"));
        assert!(
            page.text
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Cats&quot;")
        );
    }
);
