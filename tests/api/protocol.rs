//! Conventions every answer follows (api.md §1, §2, §4): request ids, content type,
//! error envelopes for unknown paths and methods, health, and the API description.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

backend_test!(request_id_is_echoed_when_sent, |app| async move {
    for (method, path) in [
        (Method::GET, "/v1/contacts"),
        (Method::GET, "/healthz"),
        (Method::GET, "/v1/nope"),
    ] {
        let reply = send(app.req(method, path).header("x-request-id", "trace-me-42")).await;
        assert_eq!(reply.header("x-request-id"), Some("trace-me-42"));
    }
    let anonymous = send(
        app.anonymous(Method::GET, "/v1/contacts")
            .header("x-request-id", "who-am-i"),
    )
    .await;
    assert_eq!(
        anonymous.header("x-request-id"),
        Some("who-am-i"),
        "401s too"
    );
});

backend_test!(
    request_id_is_generated_when_not_sent_and_differs_per_request,
    |app| async move {
        let a = send(app.req(Method::GET, "/healthz")).await;
        let b = send(app.req(Method::GET, "/healthz")).await;
        let (a, b) = (
            a.header("x-request-id").expect("id"),
            b.header("x-request-id").expect("id"),
        );
        assert!(!a.is_empty());
        assert_ne!(a, b);
    }
);

backend_test!(json_answers_say_utf8, |app| async move {
    for path in ["/v1/contacts", "/healthz", "/v1/openapi.json"] {
        let reply = send(app.req(
            Method::GET,
            &format!("{path}?newsletter_id={}", app.workspace),
        ))
        .await;
        reply.expect_status(200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8"),
            "{path}"
        );
    }
});

backend_test!(
    unknown_path_with_a_valid_key_is_404_not_found_in_the_envelope,
    |app| async move {
        for path in [
            "/v1/nope",
            "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAAA/extra",
            "/nope",
        ] {
            let reply = send(app.req(Method::GET, path)).await;
            reply.expect_error(404, "not_found");
        }
    }
);

backend_test!(
    wrong_method_with_a_valid_key_is_405_in_the_envelope,
    |app| async move {
        for (method, path) in [
            (Method::PATCH, "/v1/contacts"),
            (Method::PUT, "/v1/contacts"),
            (Method::POST, "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAAA"),
            (Method::PATCH, "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAAA"),
        ] {
            let reply = send(app.req(method.clone(), path)).await;
            reply.expect_error(405, "method_not_allowed");
        }
    }
);

backend_test!(healthz_and_readyz_answer_without_a_key, |app| async move {
    let health = send(app.anonymous(Method::GET, "/healthz")).await;
    health.expect_status(200);
    assert_eq!(health.json, json!({"status": "ok"}));
    let ready = send(app.anonymous(Method::GET, "/readyz")).await;
    ready.expect_status(200);
    assert_eq!(ready.json, json!({"status": "ready"}));
});

/// The same on every backend, so run once.
#[tokio::test]
async fn openapi_is_public_valid_json_and_lists_every_route() {
    let app = TestApp::spawn().await;
    let reply = send(app.anonymous(Method::GET, "/v1/openapi.json")).await;
    reply.expect_status(200);
    let doc = &reply.json;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/v1/contacts", &["get", "post", "delete"][..]),
        ("/v1/contacts/{id}", &["get", "put", "delete"][..]),
        ("/healthz", &["get"][..]),
        ("/readyz", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} is documented"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ContactBody"].is_object());
}

/// The same on every backend, so run once.
#[tokio::test]
async fn docs_page_is_public_html_naming_every_route() {
    let app = TestApp::spawn().await;
    let reply = send(app.anonymous(Method::GET, "/docs")).await;
    reply.expect_status(200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    for route in ["/v1/contacts", "/v1/contacts/{id}", "/healthz", "/readyz"] {
        assert!(reply.text.contains(route), "{route}");
    }
    for remote in ["src=\"http", "href=\"http", "@import"] {
        assert!(!reply.text.contains(remote), "works offline: no {remote}");
    }
}

backend_test!(head_and_options_never_500, |app| async move {
    for method in [Method::HEAD, Method::OPTIONS] {
        for path in [
            "/v1/contacts",
            "/v1/contacts/x",
            "/healthz",
            "/v1/openapi.json",
        ] {
            let response = app.req(method.clone(), path).send().await.expect("answer");
            assert!(response.status().as_u16() < 500, "{method} {path}");
        }
    }
});

backend_test!(
    metrics_count_answers_by_route_and_status,
    |app| async move {
        for _ in 0..3 {
            send(app.req(Method::GET, "/v1/contacts?limit=abc")).await;
        }
        send(app.anonymous(Method::GET, "/v1/contacts")).await;
        let reply = send(app.anonymous(Method::GET, "/metrics")).await;
        reply.expect_status(200);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let text = &reply.text;
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.starts_with(needle))
                .map(str::to_owned)
        };
        assert_eq!(
            line(r#"purrlist_http_requests_total{route="/v1/contacts",method="GET",status="400"}"#)
                .as_deref()
                .and_then(|l| l.rsplit(' ').next()),
            Some("3"),
            "{text}"
        );
        assert!(
            line(
                r#"purrlist_http_requests_total{route="/v1/contacts",method="GET",status="401"} 1"#
            )
            .is_some()
        );
        assert!(
            line(r#"purrlist_http_request_duration_seconds_count{route="/v1/contacts"} 4"#)
                .is_some()
        );
        assert!(line("process_resident_memory_bytes ").is_some());
    }
);
