//! `PATCH /v1/workspaces/{id}`: renaming a workspace, the name its unsubscribe page shows.

use crate::helpers::*;
use crate::unsubscribe::{open_page, token_of};
use reqwest::Method;
use serde_json::{Value, json};

async fn rename_as(app: &TestApp, key: &str, workspace: &str, body: &Value) -> Reply {
    send(
        app.req_as(key, Method::PATCH, &format!("/v1/workspaces/{workspace}"))
            .json(body),
    )
    .await
}

async fn stored_name(app: &TestApp, workspace: &str) -> String {
    app.store
        .list_workspaces()
        .await
        .expect("list workspaces")
        .into_iter()
        .find(|w| w.id.as_str() == workspace)
        .expect("the workspace")
        .name
}

backend_test!(
    rename_returns_the_workspace_and_the_unsubscribe_page_shows_the_new_name,
    |app| async move {
        let contact = app.new_contact(json!({"email": "u@example.com"})).await;
        let reply = rename_as(
            &app,
            &app.api_key,
            &app.workspace,
            &json!({"name": "  Cat Facts & <Purrs> "}),
        )
        .await;
        reply.expect_status(200);
        assert_eq!(reply.json["id"], json!(app.workspace));
        assert_eq!(reply.json["name"], json!("Cat Facts & <Purrs>"));
        assert!(
            reply.json["createdAt"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        assert_eq!(
            reply.json.as_object().map(|o| o.len()),
            Some(3),
            "{}",
            reply.text
        );
        assert_eq!(
            stored_name(&app, &app.workspace).await,
            "Cat Facts & <Purrs>"
        );

        let page = open_page(&app, token_of(&contact)).await;
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains("Cat Facts &amp; &lt;Purrs&gt;"),
            "{}",
            page.text
        );
        assert!(!page.text.contains("Test newsletter"));
    }
);

backend_test!(
    a_key_for_the_workspace_may_rename_it_but_no_other,
    |app| async move {
        let other = app.create_workspace().await;
        let mine = app.key_for(&[&app.workspace]).await;
        rename_as(&app, &mine.secret, &app.workspace, &json!({"name": "Mine"}))
            .await
            .expect_status(200);
        rename_as(&app, &mine.secret, &other, &json!({"name": "Taken over"}))
            .await
            .expect_error(403, "forbidden");
        let read_only = app.key(grant_of(&[&app.workspace]), true).await;
        rename_as(
            &app,
            &read_only.secret,
            &app.workspace,
            &json!({"name": "Read only"}),
        )
        .await
        .expect_error(403, "forbidden");
        assert_eq!(stored_name(&app, &app.workspace).await, "Mine");
        assert_eq!(stored_name(&app, &other).await, "Another newsletter");
    }
);

backend_test!(
    unknown_and_malformed_workspaces_are_403_like_newsletter_id,
    |app| async move {
        for id in [
            "wks_AAAAAAAAAAAAAAAAAAAAA",
            "wks_short",
            "con_AAAAAAAAAAAAAAAAAAAAA",
        ] {
            rename_as(&app, &app.api_key, id, &json!({"name": "x"}))
                .await
                .expect_error(403, "forbidden");
        }
        send(
            app.anonymous(Method::PATCH, &format!("/v1/workspaces/{}", app.workspace))
                .json(&json!({"name": "x"})),
        )
        .await
        .expect_error(401, "unauthorized");
    }
);

backend_test!(bad_names_are_400_and_change_nothing, |app| async move {
    let cases = [
        (json!({}), "missing_field"),
        (json!({"name": null}), "missing_field"),
        (json!({"name": ""}), "invalid_field"),
        (json!({"name": " \t "}), "invalid_field"),
        (json!({"name": "line\nbreak"}), "invalid_field"),
        (json!({"name": "bell\u{7}"}), "invalid_field"),
        (json!({"name": "x".repeat(201)}), "invalid_field"),
        (json!({"name": 42}), "invalid_field"),
        (json!({"name": ["a"]}), "invalid_field"),
    ];
    for (body, code) in cases {
        let reply = rename_as(&app, &app.api_key, &app.workspace, &body).await;
        reply.expect_error(400, code);
        assert_eq!(reply.json["field"], json!("name"), "{body}");
    }
    let longest = "ü".repeat(200);
    rename_as(
        &app,
        &app.api_key,
        &app.workspace,
        &json!({"name": longest}),
    )
    .await
    .expect_status(200);
    let not_json = send(
        app.req(Method::PATCH, &format!("/v1/workspaces/{}", app.workspace))
            .header("content-type", "text/plain")
            .body("name=x"),
    )
    .await;
    not_json.expect_error(415, "unsupported_media_type");
    assert_eq!(stored_name(&app, &app.workspace).await, longest);
});

#[tokio::test]
async fn the_openapi_document_lists_the_rename() {
    let app = TestApp::spawn().await;
    let doc = send(app.anonymous(Method::GET, "/v1/openapi.json")).await;
    let operation = &doc.json["paths"]["/v1/workspaces/{id}"]["patch"];
    assert!(operation.is_object(), "{}", doc.json["paths"]);
    for status in ["200", "400", "401", "403"] {
        assert!(operation["responses"][status].is_object(), "{status}");
    }
    assert_eq!(
        doc.json["components"]["schemas"]["WorkspaceRename"]["properties"]["name"]["maxLength"],
        json!(200)
    );
}
