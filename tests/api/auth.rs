//! Authentication and access (api.md §2).

use crate::helpers::*;
use purrlist::domain::api_key::WorkspaceGrant;
use reqwest::Method;
use serde_json::json;

const NO_ACCESS: &str = "You do not have access to this resource.";

/// Every /v1 route and method, with a body where one is read.
fn every_route(workspace: &str, contact: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let one = format!("/v1/contacts/{contact}");
    let many = format!("/v1/contacts?newsletter_id={workspace}");
    vec![
        (Method::GET, many.clone(), None),
        (
            Method::POST,
            "/v1/contacts".to_owned(),
            Some(json!({"newsletter_id": workspace, "contacts": [{"email": "w@example.com"}]})),
        ),
        (Method::DELETE, format!("{many}&subscribed=true"), None),
        (Method::GET, one.clone(), None),
        (
            Method::PUT,
            one.clone(),
            Some(json!({"email": "w@example.com"})),
        ),
        (Method::DELETE, one, None),
    ]
}

#[track_caller]
fn assert_unauthorized(reply: &Reply) {
    reply.expect_error(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

backend_test!(
    missing_malformed_and_unknown_keys_are_401_with_www_authenticate,
    |app| async move {
        let c = app.new_contact(json!({"email": "a@example.com"})).await;
        let before = app.snapshot().await;
        let headers = [
            None,
            Some("".to_owned()),
            Some("Bearer".to_owned()),
            Some("Bearer ".to_owned()),
            Some(format!("Basic {}", app.api_key)),
            Some(format!("Token {}", app.api_key)),
            Some("Bearer purr_short".to_owned()),
            Some(format!("Bearer {}x", app.api_key)),
            Some("Bearer purr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
            Some(format!("Bearer {}", app.api_key.to_uppercase())),
        ];
        for header in headers {
            for (method, path, body) in every_route(&app.workspace, id_of(&c)) {
                let mut request = app.anonymous(method, &path);
                if let Some(h) = &header {
                    request = request.header("authorization", h);
                }
                if let Some(b) = body {
                    request = request.json(&b);
                }
                assert_unauthorized(&send(request).await);
            }
        }
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(bearer_scheme_is_case_insensitive, |app| async move {
    let reply = send(
        app.anonymous(
            Method::GET,
            &format!("/v1/contacts?newsletter_id={}", app.workspace),
        )
        .header("authorization", format!("bearer {}", app.api_key)),
    )
    .await;
    reply.expect_status(200);
});

backend_test!(authentication_comes_before_routing, |app| async move {
    for (method, path) in [
        (Method::GET, "/v1/nope"),
        (Method::GET, "/v1"),
        (Method::GET, "/v1/"),
        (Method::POST, "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAAA"),
        (Method::PATCH, "/v1/contacts"),
        (Method::GET, "/v1/events"),
    ] {
        assert_unauthorized(&send(app.anonymous(method, path)).await);
    }
});

backend_test!(revoked_key_is_401_at_once, |app| async move {
    let key = app.key(WorkspaceGrant::All, false).await;
    let path = format!("/v1/contacts?newsletter_id={}", app.workspace);
    send(app.req_as(&key.secret, Method::GET, &path))
        .await
        .expect_status(200);
    app.revoke(&key).await;
    assert_unauthorized(&send(app.req_as(&key.secret, Method::GET, &path)).await);
    send(app.req(Method::GET, &path)).await.expect_status(200);
});

backend_test!(
    read_only_key_reads_but_every_write_is_403,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "ro@example.com", "subscribed": false}))
            .await;
        let reader = app.key(WorkspaceGrant::All, true).await;
        let before = app.snapshot().await;
        for (method, path, body) in every_route(&app.workspace, id_of(&c)) {
            let is_read = method == Method::GET;
            let mut request = app.req_as(&reader.secret, method.clone(), &path);
            if let Some(b) = body {
                request = request.json(&b);
            }
            let reply = send(request).await;
            if is_read {
                reply.expect_status(200);
            } else {
                reply.expect_error(403, "forbidden");
            }
        }
        let unsub_delete = format!("/v1/contacts?newsletter_id={}", app.workspace);
        send(app.req_as(&reader.secret, Method::DELETE, &unsub_delete))
            .await
            .expect_error(403, "forbidden");
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    foreign_unknown_or_malformed_newsletter_id_is_403_with_one_message,
    |app| async move {
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "b@example.com", "subscribed": false}]}))
            .await
            .expect_status(200);
        let mine = app.key_for(&[&app.workspace]).await;
        let before = app.snapshot().await;
        let mut answers = Vec::new();
        for target in [
            other.as_str(),
            "wks_AAAAAAAAAAAAAAAAAAAAA",
            "wks_bad",
            "con_AAAAAAAAAAAAAAAAAAAAA",
            "%00%FF",
        ] {
            for (method, path, body) in every_route(target, "unused").into_iter().take(3) {
                let mut request = app.req_as(&mine.secret, method, &path);
                if let Some(b) = body {
                    request = request.json(&b);
                }
                let reply = send(request).await;
                reply.expect_error(403, "forbidden");
                assert_eq!(reply.json["message"], json!(NO_ACCESS));
                answers.push(reply.json);
            }
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "one answer for every case"
        );
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    full_access_key_gets_403_for_a_workspace_that_does_not_exist,
    |app| async move {
        let reply = app.list("newsletter_id=wks_AAAAAAAAAAAAAAAAAAAAA").await;
        reply.expect_error(403, "forbidden");
        assert_eq!(reply.json["message"], json!(NO_ACCESS));
        let reply = app
            .bulk(&json!({"newsletter_id": "wks_AAAAAAAAAAAAAAAAAAAAA", "contacts": [{"email": "x@example.com"}]}))
            .await;
        reply.expect_error(403, "forbidden");
        assert!(app.snapshot().await.is_empty());
    }
);

backend_test!(
    full_access_key_reaches_a_workspace_made_after_it,
    |app| async move {
        let later = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": later, "contacts": [{"email": "l@example.com"}]}))
            .await
            .expect_status(200);
    }
);

backend_test!(
    bulk_with_a_one_workspace_key_may_leave_out_newsletter_id,
    |app| async move {
        let one = app.key_for(&[&app.workspace]).await;
        let reply = send(
            app.req_as(&one.secret, Method::POST, "/v1/contacts")
                .json(&json!({"contacts": [{"email": "solo@example.com"}]})),
        )
        .await;
        reply.expect_status(200);
        assert_eq!(app.list_all().await.len(), 1);
    }
);

backend_test!(
    bulk_without_newsletter_id_on_a_multi_workspace_key_is_400,
    |app| async move {
        let other = app.create_workspace().await;
        let two = app.key_for(&[&app.workspace, &other]).await;
        for key in [&app.api_key, &two.secret] {
            let reply = send(
                app.req_as(key, Method::POST, "/v1/contacts")
                    .json(&json!({"contacts": [{"email": "who@example.com"}]})),
            )
            .await;
            reply.expect_error(400, "missing_field");
            assert_eq!(reply.json["field"], json!("newsletter_id"));
        }
        assert!(app.snapshot().await.is_empty());
    }
);

backend_test!(
    a_key_for_two_workspaces_uses_both_but_no_third,
    |app| async move {
        let second = app.create_workspace().await;
        let third = app.create_workspace().await;
        let two = app.key_for(&[&app.workspace, &second]).await;
        for (workspace, status) in [(&app.workspace, 200), (&second, 200), (&third, 403)] {
            let reply = send(app.req_as(&two.secret, Method::POST, "/v1/contacts").json(
                &json!({"newsletter_id": workspace, "contacts": [{"email": "k@example.com"}]}),
            ))
            .await;
            assert_eq!(reply.status, status, "{}", reply.text);
        }
    }
);
