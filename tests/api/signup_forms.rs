//! Public sign-up forms (api.md §8, docs/consent.md): form keys made and revoked through
//! the API and the CLI, `POST /f/{key}` as a form post and as `fetch()`, CORS, the
//! honeypot, the budgets, the same answer for every address, and what a form key can
//! never do.

use crate::cli::{Cli, last_line};
use crate::double_opt_in::{events_of, link_of, press_confirm};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const ORIGIN: &str = "https://shop.example.com";

/// Makes a form key through the API; returns its body.
pub async fn form_key(app: &TestApp, settings: Value) -> Value {
    let mut body = json!({"newsletter_id": app.workspace});
    if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
        b.extend(s.clone());
    }
    let reply = send(app.req(Method::POST, "/v1/form-keys").json(&body)).await;
    reply.expect_status(201);
    reply.json
}

pub fn key_of(body: &Value) -> &str {
    body["id"].as_str().expect("form key")
}

/// A client that does not follow redirects, so the 303 can be seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An answer of `/f/…`, whatever its type.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request reaches the server");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// A form post as a browser sends it from `origin`.
async fn form_post(app: &TestApp, key: &str, fields: &[(&str, &str)], origin: &str) -> Answer {
    answer(
        browser()
            .post(format!("{}/f/{key}", app.address))
            .header("origin", origin)
            .header("referer", format!("{origin}/join"))
            .header("user-agent", "Mozilla/5.0 (test)")
            .form(fields),
    )
    .await
}

/// A `fetch()` with JSON from `origin`.
async fn fetch_json(app: &TestApp, key: &str, body: Value, origin: &str) -> Answer {
    answer(
        browser()
            .post(format!("{}/f/{key}", app.address))
            .header("origin", origin)
            .json(&body),
    )
    .await
}

backend_test!(
    a_form_post_redirects_and_the_link_confirms,
    |app| async move {
        let key = form_key(
            &app,
            json!({"allowed_origins": [ORIGIN], "redirect_url": "https://shop.example.com/thanks",
                   "custom_fields": ["plan"]}),
        )
        .await;
        assert!(key_of(&key).starts_with("pk_"));
        assert_eq!(
            key["form_url"],
            format!("{}/f/{}", app.address, key_of(&key))
        );
        let posted = form_post(
            &app,
            key_of(&key),
            &[
                ("email", "Form@Example.com"),
                ("first_name", "Fo"),
                ("plan", "pro"),
                ("role", "admin"),
                ("subscribed", "true"),
                ("_gotcha", ""),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(posted.status, 303, "{}", posted.text);
        assert_eq!(posted.header("location"), "https://shop.example.com/thanks");

        let list = app.list_all().await;
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(c["email"], "Form@Example.com");
        assert_eq!(c["first_name"], "Fo");
        assert_eq!(c["subscribed"], false, "always double opt-in");
        assert_eq!(
            c["custom_fields"],
            json!({"plan": "pro"}),
            "only allowed fields"
        );

        let requested = events_of(&app, "confirmation_requested").await;
        assert_eq!(requested.len(), 1);
        let evidence = &requested[0]["confirmation"];
        assert_eq!(evidence["source"], "form");
        assert_eq!(evidence["page_url"], "https://shop.example.com/join");
        assert_eq!(evidence["user_agent"], "Mozilla/5.0 (test)");
        assert!(evidence["ip"].is_string());
        assert_eq!(
            requested[0]["actor"],
            json!({"type": "form", "id": key_of(&key)})
        );

        let token = link_of(&app, id_of(c)).await;
        assert_eq!(press_confirm(&app, &token).await.status, 200);
        assert_eq!(app.get_contact(id_of(c)).await.json["subscribed"], true);
    }
);

backend_test!(
    fetch_gets_json_and_cors_only_for_listed_origins,
    |app| async move {
        let key = form_key(&app, json!({"allowed_origins": [ORIGIN]})).await;
        let k = key_of(&key);
        let ok = fetch_json(&app, k, json!({"email": "f@example.com"}), ORIGIN).await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        assert_eq!(ok.header("access-control-allow-origin"), ORIGIN);
        let body: Value = serde_json::from_str(&ok.text).expect("json");
        assert_eq!(body["ok"], true);

        let preflight = answer(
            browser()
                .request(Method::OPTIONS, format!("{}/f/{k}", app.address))
                .header("origin", ORIGIN)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type"),
        )
        .await;
        assert_eq!(preflight.status, 204);
        assert_eq!(preflight.header("access-control-allow-origin"), ORIGIN);
        assert!(
            preflight
                .header("access-control-allow-methods")
                .contains("POST")
        );
        assert!(
            preflight
                .header("access-control-allow-headers")
                .contains("content-type")
        );

        let before = app.snapshot().await;
        let evil = "https://evil.example.net";
        let refused = fetch_json(&app, k, json!({"email": "x@example.com"}), evil).await;
        assert_eq!(refused.status, 403);
        assert!(refused.text.contains("origin_not_allowed"));
        assert_eq!(refused.header("access-control-allow-origin"), "");
        let refused_form = form_post(&app, k, &[("email", "y@example.com")], evil).await;
        assert_eq!(refused_form.status, 403);
        let bad_preflight = answer(
            browser()
                .request(Method::OPTIONS, format!("{}/f/{k}", app.address))
                .header("origin", evil)
                .header("access-control-request-method", "POST"),
        )
        .await;
        assert_eq!(bad_preflight.status, 403);
        assert_eq!(bad_preflight.header("access-control-allow-origin"), "");
        assert_eq!(
            app.snapshot().await,
            before,
            "refused origins write nothing"
        );
    }
);

backend_test!(
    the_answer_is_the_same_for_new_pending_subscribed_and_bot,
    |app| async move {
        let key = form_key(&app, json!({})).await;
        let k = key_of(&key);
        app.new_contact(json!({"email": "known@example.com", "first_name": "Kept"}))
            .await;
        let address = app.address.clone();
        let post = move |email: &'static str, gotcha: &'static str| {
            let url = format!("{address}/f/{k}");
            async move {
                answer(
                    browser()
                        .post(url)
                        .header("accept", "application/json")
                        .form(&[
                            ("email", email),
                            ("first_name", "Changed"),
                            ("_gotcha", gotcha),
                        ]),
                )
                .await
            }
        };
        let new = post("new@example.com", "").await;
        let pending = post("new@example.com", "").await;
        let known = post("known@example.com", "").await;
        let bot = post("bot@example.com", "I am a bot").await;
        for a in [&new, &pending, &known, &bot] {
            assert_eq!((a.status, a.text.as_str()), (new.status, new.text.as_str()));
        }
        assert_eq!(new.status, 200);

        let emails: Vec<String> = app
            .list_all()
            .await
            .iter()
            .map(|c| c["email"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(
            !emails.contains(&"bot@example.com".to_owned()),
            "the honeypot writes nothing"
        );
        let known = app
            .list(&format!(
                "newsletter_id={}&email=known@example.com",
                app.workspace
            ))
            .await
            .json["data"][0]
            .clone();
        assert_eq!(
            known["first_name"], "Kept",
            "a form never changes an existing contact"
        );
        assert_eq!(known["subscribed"], true, "nor unsubscribes it");
        // Asked for the new address twice; the subscribed one is not asked.
        assert_eq!(events_of(&app, "confirmation_requested").await.len(), 2);

        // Without a thank-you URL, a form post gets a small page.
        let page = answer(
            browser()
                .post(format!("{}/f/{k}", app.address))
                .form(&[("email", "page@example.com")]),
        )
        .await;
        assert_eq!(page.status, 200);
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(page.text.contains("Check your inbox"));
    }
);

backend_test!(
    an_address_is_asked_a_few_times_at_most_and_a_client_is_limited,
    |app| async move {
        let key = form_key(&app, json!({})).await;
        let k = key_of(&key);
        let address = app.address.clone();
        let post = move |email: String| {
            let url = format!("{address}/f/{k}");
            async move { answer(browser().post(url).json(&json!({"email": email}))).await }
        };
        let per_address = purrlist::double_opt_in::throttle::PER_ADDRESS as usize;
        for _ in 0..per_address + 2 {
            assert_eq!(post("often@example.com".into()).await.status, 200);
        }
        assert_eq!(
            events_of(&app, "confirmation_requested").await.len(),
            per_address,
            "past its budget an address gets the same answer and no more mail"
        );
        // Every post so far came from this client too.
        let per_client = purrlist::double_opt_in::throttle::PER_CLIENT as usize;
        let mut statuses = Vec::new();
        for i in 0..per_client - (per_address + 2) {
            statuses.push(post(format!("c{i}@example.com")).await.status);
        }
        let refused = post("last@example.com".into()).await;
        assert_eq!(refused.status, 429, "{statuses:?}");
        assert!(refused.text.contains("rate_limited"));
        assert!(!refused.header("retry-after").is_empty());
    }
);

backend_test!(
    bad_sign_ups_get_clear_errors_and_write_nothing,
    |app| async move {
        let key = form_key(&app, json!({})).await;
        let k = key_of(&key);
        let before = app.snapshot().await;
        let bad = fetch_json(&app, k, json!({"email": "nope"}), ORIGIN).await;
        assert_eq!(bad.status, 400);
        assert!(bad.text.contains("invalid_email"));
        let page = form_post(&app, k, &[("first_name", "A")], ORIGIN).await;
        assert_eq!(page.status, 400);
        assert!(page.header("content-type").starts_with("text/html"));
        let text = answer(
            browser()
                .post(format!("{}/f/{k}", app.address))
                .header("content-type", "text/plain")
                .body("email=a@example.com"),
        )
        .await;
        assert_eq!(text.status, 415);
        let unknown = fetch_json(
            &app,
            "pk_AAAAAAAAAAAAAAAAAAAAA",
            json!({"email": "a@b.co"}),
            ORIGIN,
        )
        .await;
        assert_eq!(unknown.status, 404);
        assert!(unknown.text.contains("form_key_not_found"));
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(a_revoked_form_key_is_refused, |app| async move {
    let key = form_key(&app, json!({})).await;
    let k = key_of(&key).to_owned();
    send(app.req(Method::DELETE, &format!("/v1/form-keys/{k}")))
        .await
        .expect_status(204);
    let listed = send(app.req(
        Method::GET,
        &format!("/v1/form-keys?newsletter_id={}", app.workspace),
    ))
    .await;
    listed.expect_status(200);
    assert!(listed.json["data"][0]["revokedAt"].is_string());
    let refused = fetch_json(&app, &k, json!({"email": "a@example.com"}), ORIGIN).await;
    assert_eq!(refused.status, 404);
    assert!(app.list_all().await.is_empty());
    // A key of another workspace cannot revoke it: the same 404 as for none.
    let other = app.create_workspace().await;
    let theirs = app.key_for(&[&other]).await;
    send(app.req_as(
        &theirs.secret,
        Method::DELETE,
        &format!("/v1/form-keys/{k}"),
    ))
    .await
    .expect_error(404, "form_key_not_found");
});

/// Every operation of the OpenAPI document under `/v1`, with its path made concrete.
async fn every_v1_operation(app: &TestApp) -> Vec<(Method, String)> {
    let doc = send(app.anonymous(Method::GET, "/v1/openapi.json"))
        .await
        .json;
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/v1/") || path == "/v1/openapi.json" {
            continue;
        }
        let concrete = path
            .replace("{id}", "con_AAAAAAAAAAAAAAAAAAAAA")
            .replace("{", "")
            .replace("}", "");
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                all.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    concrete.clone(),
                ));
            }
        }
    }
    all
}

backend_test!(a_form_key_is_refused_on_every_v1_route, |app| async move {
    let key = form_key(&app, json!({})).await;
    let k = key_of(&key).to_owned();
    app.new_contact(json!({"email": "safe@example.com"})).await;
    let before = app.snapshot().await;
    let operations = every_v1_operation(&app).await;
    assert!(operations.len() > 10, "{operations:?}");
    for (method, path) in operations {
        let query = format!("{path}?newsletter_id={}", app.workspace);
        let reply = send(app.req_as(&k, method.clone(), &query).json(
            &json!({"newsletter_id": app.workspace, "email": "safe@example.com",
                                  "contacts": [{"email": "x@example.com"}]}),
        ))
        .await;
        reply.expect_error(401, "unauthorized");
        assert!(
            reply.text.contains("form key"),
            "{method} {path}: {}",
            reply.text
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing read into or changed");
});

backend_test!(form_key_settings_are_checked, |app| async move {
    for (bad, field) in [
        (
            json!({"allowed_origins": ["https://example.com/path"]}),
            "allowed_origins",
        ),
        (
            json!({"redirect_url": "javascript:alert(1)"}),
            "redirect_url",
        ),
        (json!({"custom_fields": ["bad/key"]}), "custom_fields"),
    ] {
        let mut body = bad.clone();
        body["newsletter_id"] = json!(app.workspace);
        let reply = send(app.req(Method::POST, "/v1/form-keys").json(&body)).await;
        reply.expect_error(400, "invalid_field");
        assert_eq!(reply.json["field"], field);
    }
    let read_only = app
        .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
        .await;
    send(
        app.req_as(&read_only.secret, Method::POST, "/v1/form-keys")
            .json(&json!({"newsletter_id": app.workspace})),
    )
    .await
    .expect_error(403, "forbidden");
});

#[test]
fn form_key_create_list_and_revoke_on_the_command_line() {
    for cli in Cli::each_backend("form_key_create_list_and_revoke_on_the_command_line") {
        let workspace = last_line(&cli.ok(&["workspace", "create", "--name", "Cats"])).to_owned();
        let created = cli.ok(&[
            "form-key",
            "create",
            "--workspace",
            &workspace,
            "--origin",
            "https://example.com",
            "--redirect",
            "https://example.com/thanks",
            "--field",
            "plan",
            "--name",
            "Footer",
        ]);
        let key = last_line(&created).to_owned();
        assert!(key.starts_with("pk_") && key.len() == 24, "{key}");
        let list = cli.ok(&["form-key", "list"]);
        let line = list.lines().find(|l| l.starts_with(&key)).expect("listed");
        assert!(
            line.contains("active")
                && line.contains("https://example.com")
                && line.contains("plan"),
            "{line}"
        );
        cli.ok(&["form-key", "revoke", &key]);
        assert!(cli.ok(&["form-key", "list"]).contains("revoked"));
        assert!(
            cli.fails(&["form-key", "revoke", "pk_nope"])
                .contains("not a form key")
        );
        assert!(
            cli.fails(&[
                "form-key",
                "create",
                "--workspace",
                &workspace,
                "--origin",
                "example.com"
            ])
            .contains("origin")
        );
    }
}

#[test]
fn copy_carries_form_keys_to_postgres() {
    let clis = Cli::each_backend("copy_carries_form_keys_to_postgres");
    let [sqlite, postgres] = clis.as_slice() else {
        return; // PostgreSQL is not configured here
    };
    let workspace = last_line(&sqlite.ok(&["workspace", "create", "--name", "Cats"])).to_owned();
    let key = last_line(&sqlite.ok(&["form-key", "create", "--workspace", &workspace])).to_owned();
    let copied = sqlite.ok(&[
        "copy",
        "--from",
        &sqlite.database(),
        "--to",
        &postgres.database(),
    ]);
    assert!(
        copied.contains("1 form key(s), 0 pending confirmation(s)"),
        "{copied}"
    );
    assert!(postgres.ok(&["form-key", "list"]).contains(&key));
}
