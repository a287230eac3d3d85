//! GET and DELETE /v1/contacts/{id} (api.md §4).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

backend_test!(get_returns_the_contact, |app| async move {
    let c = app
        .new_contact(json!({"email": "g@example.com", "name": "G"}))
        .await;
    let reply = app.get_contact(id_of(&c)).await;
    reply.expect_status(200);
    assert_eq!(reply.json["email"], json!("g@example.com"));
    assert_eq!(reply.json["name"], json!("G"));
});

backend_test!(delete_is_204_then_the_contact_is_gone, |app| async move {
    let c = app.new_contact(json!({"email": "d@example.com"})).await;
    let keep = app.new_contact(json!({"email": "keep@example.com"})).await;
    let reply = app.delete(&format!("/v1/contacts/{}", id_of(&c))).await;
    reply.expect_status(204);
    assert!(reply.text.is_empty());
    app.get_contact(id_of(&c))
        .await
        .expect_error(404, "contact_not_found");
    app.delete(&format!("/v1/contacts/{}", id_of(&c)))
        .await
        .expect_error(404, "contact_not_found");
    app.put_contact(id_of(&c), &json!({"email": "d@example.com"}))
        .await
        .expect_error(404, "contact_not_found");
    assert_eq!(app.list_all().await, vec![keep]);
});

backend_test!(deleted_email_can_be_used_again, |app| async move {
    let c = app.new_contact(json!({"email": "again@example.com"})).await;
    app.delete(&format!("/v1/contacts/{}", id_of(&c)))
        .await
        .expect_status(204);
    let again = app.new_contact(json!({"email": "again@example.com"})).await;
    assert_ne!(id_of(&again), id_of(&c));
});

backend_test!(
    unknown_and_malformed_ids_are_404_never_500,
    |app| async move {
        for id in [
            "con_AAAAAAAAAAAAAAAAAAAAA",
            "con_AAAAAAAAAAAAAAAAAAAA",
            "con_AAAAAAAAAAAAAAAAAAAAAA",
            "con_AAAAAAAAAAAAAAAAAAAA%21",
            "con_%C3%A9AAAAAAAAAAAAAAAAAAAA",
            "wks_AAAAAAAAAAAAAAAAAAAAA",
            "%00",
            "x",
        ] {
            app.get_contact(id)
                .await
                .expect_error(404, "contact_not_found");
            app.delete(&format!("/v1/contacts/{id}"))
                .await
                .expect_error(404, "contact_not_found");
        }
    }
);

backend_test!(
    contact_of_a_workspace_the_key_may_not_use_is_404,
    |app| async move {
        let other = app.create_workspace().await;
        let c = app
            .new_contact(json!({"email": "hidden@example.com"}))
            .await;
        let before = app.snapshot().await;
        let outsider = app.key_for(&[&other]).await;
        let path = format!("/v1/contacts/{}", id_of(&c));
        let get = send(app.req_as(&outsider.secret, Method::GET, &path)).await;
        get.expect_error(404, "contact_not_found");
        let put = send(
            app.req_as(&outsider.secret, Method::PUT, &path)
                .json(&json!({"email": "hijack@example.com"})),
        )
        .await;
        put.expect_error(404, "contact_not_found");
        let delete = send(app.req_as(&outsider.secret, Method::DELETE, &path)).await;
        delete.expect_error(404, "contact_not_found");
        let unknown = app.get_contact("con_AAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!(
            get.text, unknown.text,
            "the same answer as a contact that does not exist"
        );
        assert_eq!(app.snapshot().await, before);
    }
);
