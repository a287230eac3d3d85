//! The cross-workspace matrix (reliability.md §2): workspaces A and B; a key for each, a
//! read-only key for A, a revoked key for A and a key for every workspace; every route and
//! method with each. Nothing of B is read, changed, counted or deleted through a key that
//! lacks B, and a key that lacks B cannot tell B's contact or workspace from one that does
//! not exist: the answers are the same, status and body.

use crate::helpers::*;
use purrlist::domain::api_key::WorkspaceGrant;
use reqwest::Method;
use serde_json::json;

const MISSING_CONTACT: &str = "con_AAAAAAAAAAAAAAAAAAAAA";
const MISSING_WORKSPACE: &str = "wks_AAAAAAAAAAAAAAAAAAAAA";

/// The six `/v1` operations; `target` is a workspace for the list routes, a contact for the
/// single-contact ones.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Route {
    List,
    BulkUpsert,
    BulkDelete,
    GetOne,
    PutOne,
    DeleteOne,
}

const ROUTES: [Route; 6] = [
    Route::List,
    Route::BulkUpsert,
    Route::BulkDelete,
    Route::GetOne,
    Route::PutOne,
    Route::DeleteOne,
];

impl Route {
    fn is_write(self) -> bool {
        matches!(
            self,
            Route::BulkUpsert | Route::BulkDelete | Route::PutOne | Route::DeleteOne
        )
    }

    fn takes_contact(self) -> bool {
        matches!(self, Route::GetOne | Route::PutOne | Route::DeleteOne)
    }

    async fn call(self, app: &TestApp, key: &str, target: &str) -> Reply {
        let (method, path, body) = match self {
            Route::List => (
                Method::GET,
                format!("/v1/contacts?newsletter_id={target}"),
                None,
            ),
            Route::BulkUpsert => (
                Method::POST,
                "/v1/contacts".to_owned(),
                Some(json!({"newsletter_id": target, "contacts": [{"email": "new@a.example"}]})),
            ),
            Route::BulkDelete => (
                Method::DELETE,
                format!("/v1/contacts?newsletter_id={target}&subscribed=true"),
                None,
            ),
            Route::GetOne => (Method::GET, format!("/v1/contacts/{target}"), None),
            Route::PutOne => (
                Method::PUT,
                format!("/v1/contacts/{target}"),
                Some(json!({"email": "changed@a.example", "name": "changed"})),
            ),
            Route::DeleteOne => (Method::DELETE, format!("/v1/contacts/{target}"), None),
        };
        let mut request = app.req_as(key, method, &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }
}

/// A's and B's contacts, as the store has them (ids, emails, counts).
async fn contacts_of(app: &TestApp, workspace: &str) -> Vec<purrlist::domain::contact::Contact> {
    app.snapshot()
        .await
        .into_iter()
        .filter(|c| c.workspace_id.as_str() == workspace)
        .collect()
}

/// Puts A back to one known contact and returns its id (a successful write may have
/// changed or deleted it).
async fn reset_a(app: &TestApp) -> String {
    app.delete(&format!(
        "/v1/contacts?newsletter_id={}&subscribed=true",
        app.workspace
    ))
    .await
    .expect_status(200);
    let created = app
        .upsert(json!([{"email": "mine@a.example", "name": "A's"}]))
        .await;
    created["results"][0]["id"].as_str().expect("id").to_owned()
}

#[track_caller]
fn assert_same_answer(foreign: &Reply, missing: &Reply, what: &str) {
    assert_eq!(
        (foreign.status, &foreign.json),
        (missing.status, &missing.json),
        "{what}: another workspace's thing must look exactly like a missing one"
    );
}

backend_test!(
    no_key_reaches_a_workspace_it_was_not_given,
    |app| async move {
        let b = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": b, "contacts": [
            {"email": "theirs@b.example", "name": "B's", "subscribed": false},
            {"email": "mine@a.example", "name": "same email, other workspace"}
        ]}))
        .await
        .expect_status(200);
        let b_contact = contacts_of(&app, &b).await[0].id.to_string();
        let b_before = contacts_of(&app, &b).await;
        let key_a = app.key_for(&[&app.workspace]).await;
        let key_b = app.key_for(&[&b]).await;
        let read_only_a = app.key(grant_of(&[&app.workspace]), true).await;
        let revoked_a = app.key_for(&[&app.workspace]).await;
        app.revoke(&revoked_a).await;
        let everything = app.key(WorkspaceGrant::All, false).await;

        for route in ROUTES {
            // A key for A only: B's things and missing things give the same answer.
            for key in [&key_a.secret, &read_only_a.secret] {
                let a_contact = reset_a(&app).await;
                let (foreign, missing) = if route.takes_contact() {
                    (b_contact.as_str(), MISSING_CONTACT)
                } else {
                    (b.as_str(), MISSING_WORKSPACE)
                };
                let foreign_reply = route.call(&app, key, foreign).await;
                let missing_reply = route.call(&app, key, missing).await;
                assert_same_answer(&foreign_reply, &missing_reply, &format!("{route:?}"));
                let expected = match route {
                    _ if route.is_write() && key == &read_only_a.secret => (403, "forbidden"),
                    _ if route.takes_contact() => (404, "contact_not_found"),
                    _ => (403, "forbidden"),
                };
                foreign_reply.expect_error(expected.0, expected.1);
                assert_eq!(contacts_of(&app, &b).await, b_before, "{route:?} touched B");

                // The same key on its own workspace works (writes only when it may write).
                let own = if route.takes_contact() {
                    a_contact.as_str()
                } else {
                    app.workspace.as_str()
                };
                let reply = route.call(&app, key, own).await;
                if route.is_write() && key == &read_only_a.secret {
                    reply.expect_error(403, "forbidden");
                } else {
                    assert!(
                        reply.status == 200 || reply.status == 204,
                        "{route:?}: {}",
                        reply.text
                    );
                }
                if route == Route::List {
                    assert_eq!(
                        reply.json["total"],
                        json!(1),
                        "B's contacts are never counted"
                    );
                    assert_eq!(reply.json["data"][0]["name"], json!("A's"));
                }
                if route == Route::BulkDelete && reply.status == 200 {
                    assert_eq!(
                        reply.json["contacts_removed"],
                        json!(1),
                        "only A's contact is deleted"
                    );
                }
                assert_eq!(
                    contacts_of(&app, &b).await,
                    b_before,
                    "{route:?} on A touched B"
                );
            }

            // A revoked key gets 401 whatever it names.
            let a_contact = reset_a(&app).await;
            for target in [
                app.workspace.as_str(),
                b.as_str(),
                a_contact.as_str(),
                b_contact.as_str(),
            ] {
                route
                    .call(&app, &revoked_a.secret, target)
                    .await
                    .expect_error(401, "unauthorized");
            }

            // B's key and the all-workspace key read B; A's key never did.
            let target = if route.takes_contact() {
                b_contact.as_str()
            } else {
                b.as_str()
            };
            if !route.is_write() {
                for key in [&key_b.secret, &everything.secret] {
                    route.call(&app, key, target).await.expect_status(200);
                }
                // The all-workspace key still gets 403 for a workspace that does not exist.
                if !route.takes_contact() {
                    route
                        .call(&app, &everything.secret, MISSING_WORKSPACE)
                        .await
                        .expect_error(403, "forbidden");
                }
            }
        }
        assert_eq!(contacts_of(&app, &b).await, b_before);
    }
);

backend_test!(
    bulk_items_naming_another_workspaces_contact_fail_like_a_missing_id,
    |app| async move {
        let b = app.create_workspace().await;
        let theirs = app
            .bulk(&json!({"newsletter_id": b, "contacts": [{"email": "theirs@b.example"}]}))
            .await;
        let b_contact = theirs.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let key_a = app.key_for(&[&app.workspace]).await;
        let b_before = contacts_of(&app, &b).await;
        let bulk = |id: &str| {
            app.req_as(&key_a.secret, Method::POST, "/v1/contacts")
                .json(&json!({"contacts": [{"id": id, "name": "taken over"}]}))
        };
        let foreign = send(bulk(&b_contact)).await;
        let missing = send(bulk(MISSING_CONTACT)).await;
        foreign.expect_error(400, "invalid_contacts");
        assert_eq!(
            foreign.json["details"][0]["code"],
            json!("contact_not_found")
        );
        assert_same_answer(&foreign, &missing, "bulk item id");
        assert_eq!(contacts_of(&app, &b).await, b_before);
    }
);

backend_test!(
    an_email_used_in_another_workspace_is_free_in_this_one,
    |app| async move {
        let b = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": b, "contacts": [
            {"email": "shared@example.com", "name": "B's"},
            {"email": "only-b@example.com", "name": "B's"}
        ]}))
        .await
        .expect_status(200);
        let b_before = contacts_of(&app, &b).await;
        let key_a = app.key_for(&[&app.workspace]).await;
        // Bulk matches by email only inside A: a new contact, B's is untouched.
        let created = send(
            app.req_as(&key_a.secret, Method::POST, "/v1/contacts")
                .json(&json!({"contacts": [{"email": "Shared@Example.com", "name": "A's"}]})),
        )
        .await;
        created.expect_status(200);
        assert_eq!(created.json["results"][0]["status"], json!("created"));
        // Moving an A contact to an address only B has is no conflict: no 409 reveals B's.
        let mine = app.new_contact(json!({"email": "mine@a.example"})).await;
        send(
            app.req_as(
                &key_a.secret,
                Method::PUT,
                &format!("/v1/contacts/{}", id_of(&mine)),
            )
            .json(&json!({"email": "only-b@example.com"})),
        )
        .await
        .expect_status(200);
        let searched = send(app.req_as(
            &key_a.secret,
            Method::GET,
            "/v1/contacts?email=shared@example.com",
        ))
        .await;
        assert_eq!(searched.json["total"], json!(1));
        assert_eq!(searched.json["data"][0]["name"], json!("A's"));
        assert_eq!(contacts_of(&app, &b).await, b_before);
    }
);
