//! `purrlist import` beyond the formats: physical line numbers (blank lines, CRLF, quoted
//! line breaks, NDJSON), `--map` (to a field or `custom_fields.KEY`) and `--ignore`, a
//! `--format` given (and said so), no progress drawn off a terminal, a move between
//! purrlist servers that keeps every id, token and createdAt (so a `/u/<token>` link mailed
//! before works after), and the import's writes in the change feed with the source
//! `import:<format>`.

use crate::cli_import::{csv_file, import, text};
use crate::cli_import_formats::{bad_lines, count, dry_then_real};
use crate::helpers::*;
use crate::unsubscribe::{open_page, press_unsubscribe};
use serde_json::{Value, json};

backend_test!(
    bad_rows_are_listed_by_the_files_physical_lines,
    |app| async move {
        let (_dir, file) = csv_file(
            b"email,name,subscribed,note\r\n\
              a@example.com,A,yes,\r\n\
              \r\n\
              \r\n\
              bad-email,B,,\r\n\
              c@example.com,C,,\"Multi\r\nline\"\r\n\
              \n\
              d@example.com,D,perhaps,\n\
              \r\n\
              e@example.com,E,no,",
        );
        let refused = import(&app, &app.workspace, &file, &[]);
        assert!(!refused.status.success());
        assert_eq!(bad_lines(&refused), [5, 9], "{}", text(&refused.stderr));
        assert!(app.list_all().await.is_empty());

        let out = dry_then_real(&app, &file, &["--skip-invalid"]).await;
        assert_eq!(bad_lines(&out), [5, 9]);
        assert_eq!((count(&out, "created"), count(&out, "skipped")), (3, 2));
        let all = app.list_all().await;
        let multi = all.iter().find(|c| c["email"] == "c@example.com");
        let note = multi.map(|c| &c["custom_fields"]);
        assert_eq!(note, Some(&json!({"note": "Multi\r\nline"})));

        let (_dir2, ndjson) = csv_file(
            b"{\"email\":\"n1@example.com\"}\r\n\r\n{\"email\":\"bad\"}\n\n{\"email\":\"n2@example.com\",\"subscribed\":\"x\"}\n{\"email\":\"n3@example.com\"}",
        );
        let out = dry_then_real(&app, &ndjson, &["--skip-invalid"]).await;
        assert!(text(&out.stdout).starts_with("Format: ndjson (detected)"));
        assert_eq!(bad_lines(&out), [3, 5], "{}", text(&out.stderr));
        assert_eq!(count(&out, "created"), 2);
    }
);

backend_test!(map_and_ignore_say_what_columns_mean, |app| async move {
    let (_dir, file) =
        csv_file(b"E-mail,Opted out,LEID,Plan?\nx@example.com,yes,1,gold\ny@example.com,no,2,\n");
    let args = [
        "--map",
        "E-mail=email",
        "--map",
        "Opted out=unsubscribed",
        "--ignore",
        "LEID",
    ];
    let out = dry_then_real(&app, &file, &args).await;
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Format: csv (detected)\n"), "{stdout}");
    assert!(
        stdout.contains("Column 4 \"Plan?\" is imported as the custom field \"Plan\"."),
        "{stdout}"
    );
    let all = app.list_all().await;
    let by = |email: &str| all.iter().find(|c| c["email"] == email).cloned();
    let x = by("x@example.com").expect("x");
    assert_eq!(
        (&x["subscribed"], &x["custom_fields"]),
        (&json!(false), &json!({"Plan": "gold"}))
    );
    assert_eq!(by("y@example.com").expect("y")["subscribed"], true);

    // A column the header does not have refuses the file, and writes nothing.
    let wrong = import(&app, &app.workspace, &file, &["--map", "Email=email"]);
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("\"Email\""),
        "{}",
        text(&wrong.stderr)
    );
    let forced = import(&app, &app.workspace, &file, &["--format", "mailchimp"]);
    assert!(!forced.status.success(), "no `Email Address` column");
    assert_eq!(app.list_all().await.len(), 2);
});

backend_test!(
    map_to_custom_fields_key_puts_the_value_under_that_key,
    |app| async move {
        let (_dir, file) =
            csv_file(b"email,Plan?,Zip/Postal Code,city\nx@example.com,gold,N1 9GU,Oslo\n");
        let args = [
            "--map",
            "Plan?=custom_fields.tier",
            "--map",
            "Zip/Postal Code=custom_fields.postcode",
        ];
        let out = dry_then_real(&app, &file, &args).await;
        let stdout = text(&out.stdout);
        assert!(
            !stdout.contains("is imported as the custom field"),
            "a mapped column is not renamed: {stdout}"
        );
        let x = app.by_email("x@example.com").await;
        assert_eq!(
            x["custom_fields"],
            json!({"tier": "gold", "postcode": "N1 9GU", "city": "Oslo"})
        );
    }
);

backend_test!(
    a_given_format_is_said_so_and_its_columns_are_read,
    |app| async move {
        // Kit's columns with the email column spelled `email`: by its header a generic CSV,
        // where `state` would be text. Given as Kit, its states are consent.
        let (_dir, file) = csv_file(
            b"email,first_name,state,created_at\n\
              al@example.com,Al,active,2023-01-27T11:43:55Z\n\
              ben@example.com,Ben,cancelled,2023-02-03T11:43:55Z\n\
              bo@example.com,,bounced,2023-02-05T11:43:55Z\n",
        );
        let out = dry_then_real(&app, &file, &["--format", "kit"]).await;
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("Format: kit (given)\n"), "{stdout}");
        let mut got = Vec::new();
        for email in ["al@example.com", "ben@example.com", "bo@example.com"] {
            let contact = app.by_email(email).await;
            let consent = app.consent(id_of(&contact)).await;
            consent.expect_status(200);
            got.push((
                contact["subscribed"].clone(),
                contact["custom_fields"]["state"].clone(),
                consent.json["suppression"]["reason"].clone(),
            ));
        }
        assert_eq!(
            got,
            [
                (json!(true), json!("active"), Value::Null),
                (json!(false), json!("cancelled"), Value::Null),
                (json!(false), json!("bounced"), json!("bounced")),
            ]
        );
    }
);

backend_test!(
    import_draws_no_progress_when_stderr_is_not_a_terminal,
    |app| async move {
        // Enough rows for several chunks of both passes, and one bad row so stderr has words.
        let mut csv = String::from("email,name\n");
        for i in 0..2500 {
            csv.push_str(&format!("p{i}@example.com,P {i}\n"));
        }
        csv.push_str("not-an-email,Bad\n");
        let (_dir, file) = csv_file(csv.as_bytes());
        let out = import(&app, &app.workspace, &file, &["--skip-invalid"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(count(&out, "created"), 2500);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("  line 2502: email:"),
            "the bad row is still listed: {stderr}"
        );
        // What the bar (src/cli/import/progress.rs, indicatif) draws: carriage returns, escape
        // sequences, its block characters, its rate and time left.
        for drawn in ["\r", "\u{1b}", "\u{2588}", "\u{2591}", "rows/s", " left)"] {
            assert!(!stderr.contains(drawn), "{drawn:?} on stderr: {stderr:?}");
        }
    }
);

/// A purrlist export of `contacts` (the columns `purrlist export` writes).
fn purrlist_file(contacts: &[Value]) -> String {
    let mut csv = String::from(
        "id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,custom.plan\n",
    );
    for c in contacts {
        let s = |f: &str| c[f].as_str().unwrap_or_default().to_owned();
        let plan = c["custom_fields"]["plan"].as_str().unwrap_or_default();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{plan}\n",
            s("id"),
            s("email"),
            s("name"),
            s("first_name"),
            s("last_name"),
            c["subscribed"],
            s("unsub_token"),
            s("createdAt"),
            s("updatedAt"),
        ));
    }
    csv
}

backend_test!(
    a_move_between_purrlists_keeps_ids_tokens_and_every_unsubscribe_link,
    |app| async move {
        app.upsert(json!([
            {"email": "a@example.com", "name": "Ann", "custom_fields": {"plan": "pro"}},
            {"email": "b@example.com", "subscribed": false},
            {"email": "c@example.com", "first_name": "Cy"}
        ]))
        .await;
        let before = app.list_all().await;
        let (_dir, file) = csv_file(purrlist_file(&before).as_bytes());
        for c in &before {
            let token = c["unsub_token"].as_str().expect("token");
            assert_eq!(open_page(&app, token).await.status, 200);
            app.delete(&format!("/v1/contacts/{}", id_of(c)))
                .await
                .expect_status(204);
            assert_eq!(
                open_page(&app, token).await.status,
                404,
                "gone before the move"
            );
        }

        let out = dry_then_real(&app, &file, &[]).await;
        assert!(text(&out.stdout).starts_with("Format: purrlist (detected)\n"));
        assert_eq!(count(&out, "created"), 3);
        let after = app.list_all().await;
        let keep = |c: &Value| {
            [
                "id",
                "unsub_token",
                "createdAt",
                "email",
                "name",
                "first_name",
                "subscribed",
                "custom_fields",
            ]
            .map(|f| c[f].clone())
        };
        assert_eq!(
            after.iter().map(keep).collect::<Vec<_>>(),
            before.iter().map(keep).collect::<Vec<_>>()
        );

        // A link mailed before the move works after it, on the same contact.
        let a = &before[0];
        let token = a["unsub_token"].as_str().expect("token");
        assert_eq!(open_page(&app, token).await.status, 200);
        assert_eq!(press_unsubscribe(&app, token).await.status, 200);
        let reply = app.get_contact(id_of(a)).await;
        reply.expect_status(200);
        assert_eq!(reply.json["subscribed"], false);

        // The creations are in the feed, from the import, with its format.
        let feed = send(app.req(
            reqwest::Method::GET,
            &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
        ))
        .await;
        let imported: Vec<&Value> = feed.json["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter(|e| e["source"] == "import:purrlist")
            .collect();
        assert_eq!(imported.len(), 3);
        assert!(
            imported
                .iter()
                .all(|e| e["type"] == "created" && e["actor"] == json!({"type": "import"}))
        );

        // The same ids into another workspace: taken, so every row fails and nothing is written.
        let other = app.create_workspace().await;
        let refused = import(&app, &other, &file, &[]);
        assert!(!refused.status.success());
        assert!(
            text(&refused.stderr).contains("line 2: id: Another contact already has this id."),
            "{}",
            text(&refused.stderr)
        );
        assert!(app.list_all_of(&other).await.is_empty());
    }
);
