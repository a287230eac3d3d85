//! Suppression against the other ways in (api.md §8, docs/consent.md): imports keep
//! suppressed addresses out and turn a tool's bounced members into suppressions; the
//! unsubscribe page's Resubscribe leaves a suppressed address alone.

use crate::cli_import::{csv_file, import, text};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

backend_test!(
    imports_keep_suppressed_addresses_out_and_turn_cleaned_rows_into_suppressions,
    |app| async move {
        let out = app.new_contact(json!({"email": "out@example.com"})).await;
        app.suppress("out@example.com", "complained")
            .await
            .expect_status(200);
        app.suppress("gone@example.com", "bounced")
            .await
            .expect_status(200);
        let (_dir, file) = csv_file(
            b"email,name,subscribed\nout@example.com,Out,true\ngone@example.com,Gone,true\n\
              new@example.com,New,true\n",
        );
        let run = import(&app, &app.workspace, &file, &["--resubscribe"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        assert!(
            text(&run.stdout).contains("2 row(s) kept suppressed"),
            "{}",
            text(&run.stdout)
        );
        let contact = app.get_contact(id_of(&out)).await;
        assert_eq!(
            (&contact.json["subscribed"], &contact.json["name"]),
            (&json!(false), &json!("Out"))
        );
        let gone = app.by_email("gone@example.com").await;
        assert_eq!(gone["subscribed"], json!(false));
        let new = app.by_email("new@example.com").await;
        assert_eq!(new["subscribed"], json!(true));

        let both = ["--resubscribe", "--override-suppression"];
        let run = import(&app, &app.workspace, &file, &both);
        assert!(run.status.success(), "{}", text(&run.stderr));
        assert_eq!(
            app.get_contact(id_of(&out)).await.json["subscribed"],
            json!(true)
        );
        assert!(app.suppressions().await.is_empty());

        // Mailchimp's cleaned export: every row becomes a `bounced` suppression.
        let (_dir, cleaned) = csv_file(
            b"Email Address,First Name,Last Name,OPTIN_TIME,CLEAN_TIME\n\
              c1@example.com,Dolor,,2018-02-05 19:28:23,2020-03-23 17:30:05\n\
              new@example.com,,,2018-02-05 19:28:23,2020-03-23 17:30:05\n",
        );
        let run = import(&app, &app.workspace, &cleaned, &["--format", "mailchimp"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let mut emails: Vec<(String, String)> = app
            .suppressions()
            .await
            .iter()
            .map(|s| {
                let text = |k: &str| s[k].as_str().expect(k).to_owned();
                (text("email"), text("reason"))
            })
            .collect();
        emails.sort();
        assert_eq!(
            emails,
            [
                ("c1@example.com".to_owned(), "bounced".to_owned()),
                ("new@example.com".to_owned(), "bounced".to_owned())
            ]
        );
        let c1 = app.by_email("c1@example.com").await;
        assert_eq!(c1["subscribed"], json!(false));
        assert!(c1["custom_fields"].get("suppression").is_none(), "{c1}");
        let new_id = app.by_email("new@example.com").await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let types = app.event_types(&new_id).await;
        assert_eq!(
            types.last().map(String::as_str),
            Some("suppressed"),
            "{types:?}"
        );
        let events = send(app.req(
            Method::GET,
            &format!(
                "/v1/events?newsletter_id={}&contact_id={new_id}",
                app.workspace
            ),
        ))
        .await;
        let last = events.json["data"]
            .as_array()
            .expect("data")
            .last()
            .cloned();
        assert_eq!(
            last.map(|e| e["source"].clone()),
            Some(json!("import:mailchimp"))
        );
    }
);

backend_test!(
    the_unsubscribe_pages_resubscribe_leaves_a_suppressed_address_alone,
    |app| async move {
        use crate::unsubscribe::{press_resubscribe, press_unsubscribe, token_of};
        let c = app.new_contact(json!({"email": "page@example.com"})).await;
        assert_eq!(press_unsubscribe(&app, token_of(&c)).await.status, 200);
        app.suppress("page@example.com", "bounced")
            .await
            .expect_status(200);
        assert_eq!(press_resubscribe(&app, token_of(&c)).await.status, 200);
        assert_eq!(
            app.get_contact(id_of(&c)).await.json["subscribed"],
            json!(false)
        );
        // Without a suppression the same button subscribes again.
        let d = app.new_contact(json!({"email": "free@example.com"})).await;
        press_unsubscribe(&app, token_of(&d)).await;
        press_resubscribe(&app, token_of(&d)).await;
        assert_eq!(
            app.get_contact(id_of(&d)).await.json["subscribed"],
            json!(true)
        );
    }
);

backend_test!(
    an_http_import_keeps_suppressed_addresses_out_unless_it_overrides,
    |app| async move {
        let out = app.new_contact(json!({"email": "out@example.com"})).await;
        app.suppress("out@example.com", "manual")
            .await
            .expect_status(200);
        app.suppress("new@example.com", "bounced")
            .await
            .expect_status(200);
        let file = b"email,name,subscribed\nout@example.com,Out,true\nnew@example.com,New,true\n";

        let job = app.start_import("resubscribe=true", file).await;
        let done = app.finished_import(&job).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["override_suppression"], json!(false));
        assert_eq!(done["report"]["kept_suppressed"], json!(2), "{done}");
        let kept = |c: Value| (c["subscribed"].clone(), c["name"].clone());
        assert_eq!(
            kept(app.get_contact(id_of(&out)).await.json),
            (json!(false), json!("Out"))
        );
        assert_eq!(kept(app.by_email("new@example.com").await).0, json!(false));
        assert_eq!(app.suppressions().await.len(), 2);

        let job = app
            .start_import("resubscribe=true&override_suppression=true", file)
            .await;
        let done = app.finished_import(&job).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["override_suppression"], json!(true));
        assert_eq!(
            app.get_contact(id_of(&out)).await.json["subscribed"],
            json!(true)
        );
        assert_eq!(
            app.by_email("new@example.com").await["subscribed"],
            json!(true)
        );
        assert!(app.suppressions().await.is_empty(), "both lifted");
        let lifted = app.event_types(id_of(&out)).await;
        assert!(lifted.iter().any(|t| t == "unsuppressed"), "{lifted:?}");
    }
);
