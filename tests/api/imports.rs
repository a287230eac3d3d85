//! `POST /v1/imports` and `GET /v1/imports[/{id}]`: a file imported in the background by
//! the engine of `purrlist import`, its job read back, on every backend.

use crate::helpers::*;
use purrlist::domain::api_key::WorkspaceGrant;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MAILCHIMP: &[u8] = include_bytes!("../fixtures/import/mailchimp.csv");
const GENERIC: &[u8] = include_bytes!("../fixtures/import/csv.csv");

impl TestApp {
    /// `POST /v1/imports?{query}` of `body` as CSV, with `key`.
    pub async fn post_import_as(&self, key: &str, query: &str, body: &[u8]) -> Reply {
        send(
            self.req_as(key, Method::POST, &format!("/v1/imports?{query}"))
                .header("content-type", "text/csv")
                .body(body.to_vec()),
        )
        .await
    }

    /// `POST /v1/imports` into the test workspace; panics unless 202; returns the job id.
    pub async fn start_import(&self, query: &str, body: &[u8]) -> String {
        let query = format!("newsletter_id={}&{query}", self.workspace);
        let reply = self.post_import_as(&self.api_key, &query, body).await;
        reply.expect_status(202);
        let id = reply.json["id"].as_str().expect("job id").to_owned();
        assert_eq!(
            reply.header("location"),
            Some(format!("/v1/imports/{id}").as_str())
        );
        assert_eq!(reply.json["status"], "queued", "{}", reply.text);
        id
    }

    /// The job, polled until its status is final (by the clock, 60 s at most).
    pub async fn finished_import(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let reply = send(self.req(Method::GET, &format!("/v1/imports/{id}"))).await;
            reply.expect_status(200);
            let status = reply.json["status"].as_str().unwrap_or("").to_owned();
            if !["queued", "running"].contains(&status.as_str()) {
                return reply.json;
            }
            assert!(Instant::now() < deadline, "still {status}: {}", reply.text);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The change feed of the test workspace (first page).
    pub async fn feed(&self) -> Vec<Value> {
        let reply = send(self.req(
            Method::GET,
            &format!("/v1/events?newsletter_id={}&limit=1000", self.workspace),
        ))
        .await;
        reply.expect_status(200);
        reply.json["data"].as_array().expect("data").clone()
    }
}

/// Each count of a finished job, by name.
fn counts(job: &Value, names: &[&str]) -> Vec<u64> {
    names.iter().map(|k| job[k].as_u64().expect(k)).collect()
}

fn lines_of(job: &Value) -> Vec<u64> {
    job["bad_rows"]
        .as_array()
        .expect("bad_rows")
        .iter()
        .map(|row| row["line"].as_u64().expect("line"))
        .collect()
}

backend_test!(
    a_mailchimp_file_imports_with_its_counts_and_feed_source,
    |app| async move {
        let id = app.start_import("skip_invalid=true", MAILCHIMP).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["format"], "mailchimp");
        let names = ["created", "updated", "unchanged", "skipped", "rows_written"];
        assert_eq!(counts(&job, &names), [5, 1, 0, 1, 6], "{job}");
        assert_eq!(job["rows_read"], 7);
        assert_eq!(lines_of(&job), [9], "the physical line of not-an-email");
        assert_eq!(job["bad_row_count"], 1);
        assert!(job["finishedAt"].is_string() && job["startedAt"].is_string());
        assert_eq!(app.list_all().await.len(), 5);
        let feed = app.feed().await;
        // One event per contact a chunk changed: Ada's two rows make one contact, one event.
        assert_eq!(feed.len(), 5, "{feed:?}");
        assert!(
            feed.iter().all(|e| e["source"] == "import:mailchimp"),
            "{feed:?}"
        );
        let metrics = send(app.anonymous(Method::GET, "/metrics")).await.text;
        assert!(
            metrics.contains("purrlist_imports_total{status=\"succeeded\"} 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("purrlist_import_rows_written_total 6"),
            "{metrics}"
        );
        assert!(metrics.contains("purrlist_imports_running 0"), "{metrics}");
        let listed = send(app.req(
            Method::GET,
            &format!("/v1/imports?newsletter_id={}", app.workspace),
        ))
        .await;
        listed.expect_status(200);
        assert_eq!(listed.json["data"][0]["id"], id.as_str());
    }
);

backend_test!(
    a_dry_run_reports_the_same_counts_and_writes_nothing,
    |app| async move {
        let id = app
            .start_import("skip_invalid=true&dry_run=true", MAILCHIMP)
            .await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["dry_run"], true);
        assert_eq!(
            (job["created"].as_u64(), job["updated"].as_u64()),
            (Some(5), Some(1))
        );
        assert_eq!(job["rows_written"], 0);
        assert!(app.snapshot().await.is_empty());
        assert!(app.feed().await.is_empty());
    }
);

backend_test!(
    bad_rows_refuse_the_file_and_are_listed_by_physical_line,
    |app| async move {
        let id = app.start_import("", GENERIC).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "failed", "{job}");
        // Line 3 is blank and a quoted cell spans lines 5 and 6: lines count as in the file.
        assert_eq!(lines_of(&job), [8, 9], "{job}");
        let fields: Vec<&str> = job["bad_rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["field"].as_str().expect("field"))
            .collect();
        assert_eq!(fields, ["email", "subscribed"]);
        assert!(
            job["message"]
                .as_str()
                .expect("message")
                .contains("nothing was written")
        );
        assert_eq!(job["rows_written"], 0);
        assert!(app.snapshot().await.is_empty());
    }
);

backend_test!(
    a_body_over_the_import_limit_is_413_with_or_without_a_length,
    config = {
        let mut config = TestApp::config();
        config.limits.import_body_bytes = 2048;
        config
    },
    |app| async move {
        let big = "email\n".to_owned() + &"someone@example.com\n".repeat(200);
        let query = format!("newsletter_id={}", app.workspace);
        let reply = app
            .post_import_as(&app.api_key, &query, big.as_bytes())
            .await;
        reply.expect_error(413, "payload_too_large");
        // Chunked, with no Content-Length: cut off once past the limit.
        let host = app.address.trim_start_matches("http://").to_owned();
        let request = format!(
            "POST /v1/imports?{query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             {:x}\r\n{big}\r\n0\r\n\r\n",
            app.api_key,
            big.len()
        );
        let answer = crate::bad_input::raw_exchange(host, request.into_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
        let listed = send(app.req(Method::GET, &format!("/v1/imports?{query}"))).await;
        assert_eq!(listed.json["data"], serde_json::json!([]), "no job");
        assert!(app.snapshot().await.is_empty());
    }
);

backend_test!(
    another_workspaces_import_is_out_of_reach,
    |app| async move {
        let other = app.create_workspace().await;
        let outsider = app.key_for(&[&other]).await;
        let id = app.start_import("skip_invalid=true", MAILCHIMP).await;
        let query = format!("newsletter_id={}", app.workspace);
        app.post_import_as(&outsider.secret, &query, MAILCHIMP)
            .await
            .expect_error(403, "forbidden");
        for path in [
            format!("/v1/imports/{id}"),
            "/v1/imports/imp_short".to_owned(),
        ] {
            send(app.req_as(&outsider.secret, Method::GET, &path))
                .await
                .expect_error(404, "import_not_found");
        }
        send(app.req_as(
            &outsider.secret,
            Method::GET,
            &format!("/v1/imports?{query}"),
        ))
        .await
        .expect_error(403, "forbidden");
        let theirs = send(app.req_as(&outsider.secret, Method::GET, "/v1/imports")).await;
        assert_eq!(
            theirs.json["data"],
            serde_json::json!([]),
            "{}",
            theirs.text
        );
        app.finished_import(&id).await;
    }
);

backend_test!(
    a_read_only_key_reads_imports_but_cannot_start_one,
    |app| async move {
        let reader = app.key(WorkspaceGrant::All, true).await;
        let query = format!("newsletter_id={}&skip_invalid=true", app.workspace);
        app.post_import_as(&reader.secret, &query, MAILCHIMP)
            .await
            .expect_error(403, "forbidden");
        let id = app.start_import("skip_invalid=true", MAILCHIMP).await;
        app.finished_import(&id).await;
        let read =
            send(app.req_as(&reader.secret, Method::GET, &format!("/v1/imports/{id}"))).await;
        read.expect_status(200);
        assert_eq!(read.json["status"], "succeeded");
    }
);

backend_test!(bad_requests_are_refused_before_any_job, |app| async move {
    let query = format!("newsletter_id={}", app.workspace);
    let as_json = send(
        app.req(Method::POST, &format!("/v1/imports?{query}"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    as_json.expect_error(415, "unsupported_media_type");
    app.post_import_as(
        &app.api_key,
        &format!("{query}&format=mailchimpp"),
        MAILCHIMP,
    )
    .await
    .expect_error(400, "invalid_parameter");
    app.post_import_as(&app.api_key, &format!("{query}&dry_run=perhaps"), MAILCHIMP)
        .await
        .expect_error(400, "invalid_parameter");
    app.post_import_as(&app.api_key, &query, b"")
        .await
        .expect_error(400, "invalid_body");
    let listed = send(app.req(Method::GET, &format!("/v1/imports?{query}"))).await;
    assert_eq!(listed.json["data"], serde_json::json!([]));
});

backend_test!(
    an_idempotency_key_starts_one_job_for_two_requests,
    |app| async move {
        let post = || {
            app.req(
                Method::POST,
                &format!(
                    "/v1/imports?newsletter_id={}&skip_invalid=true",
                    app.workspace
                ),
            )
            .header("content-type", "text/csv")
            .header("idempotency-key", "import-1")
            .body(MAILCHIMP.to_vec())
        };
        let first = send(post()).await;
        first.expect_status(202);
        let again = send(post()).await;
        again.expect_status(202);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json["id"], first.json["id"]);
        let id = first.json["id"].as_str().expect("id");
        app.finished_import(id).await;
        let listed = send(app.req(
            Method::GET,
            &format!("/v1/imports?newsletter_id={}", app.workspace),
        ))
        .await;
        assert_eq!(listed.json["data"].as_array().map(Vec::len), Some(1));
    }
);

backend_test!(
    an_import_keeps_unsubscribed_contacts_so_and_counts_them_unless_asked_to_resubscribe,
    |app| async move {
        let left = app
            .new_contact(json!({"email": "left@example.com", "name": "Left"}))
            .await;
        let quiet = app.new_contact(json!({"email": "quiet@example.com"})).await;
        let stays = app.new_contact(json!({"email": "stays@example.com"})).await;
        for gone in [&left, &quiet] {
            app.put_contact(
                id_of(gone),
                &json!({"email": gone["email"], "subscribed": false}),
            )
            .await
            .expect_status(200);
        }
        let file = b"email,name,subscribed\nLEFT@example.com,Left Again,true\n\
                     quiet@example.com,,yes\nstays@example.com,,true\nnew@example.com,New,true\n";
        let subscribed = |c: Value| c["subscribed"].clone();

        let id = app.start_import("", file).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["resubscribe"], false);
        let names = ["created", "updated", "unchanged", "kept_unsubscribed"];
        assert_eq!(counts(&job, &names), [1, 1, 2, 2], "{job}");
        assert_eq!(job["rows_read"], 4);
        let after = app.get_contact(id_of(&left)).await.json;
        assert_eq!(
            (&after["subscribed"], &after["name"]),
            (&json!(false), &json!("Left Again")),
            "the row's other fields still apply"
        );
        let quiet_now = app.get_contact(id_of(&quiet)).await.json;
        assert_eq!(subscribed(quiet_now), false);
        assert_eq!(subscribed(app.get_contact(id_of(&stays)).await.json), true);
        assert_eq!(subscribed(app.by_email("new@example.com").await), true);

        let id = app.start_import("resubscribe=true", file).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["resubscribe"], true);
        assert_eq!(counts(&job, &names), [0, 2, 2, 0], "{job}");
        for back in [&left, &quiet] {
            assert_eq!(subscribed(app.get_contact(id_of(back)).await.json), true);
        }
    }
);

backend_test!(
    an_ndjson_body_is_read_as_ndjson_every_row_counted,
    |app| async move {
        // A blank line, one row that fails, and the API's own shape on every line.
        let file = b"{\"email\":\"nd1@example.com\",\"name\":\"Nd One\",\"custom_fields\":{\"plan\":\"pro\"}}\n\
                     \n\
                     {\"email\":\"nd2@example.com\",\"subscribed\":false}\n\
                     {\"email\":\"not-an-email\"}\n\
                     {\"email\":\"nd3@example.com\",\"createdAt\":\"2021-06-01T00:00:00.000Z\"}\n";
        let reply = send(
            app.req(
                Method::POST,
                &format!(
                    "/v1/imports?newsletter_id={}&skip_invalid=true",
                    app.workspace
                ),
            )
            .header("content-type", "application/x-ndjson")
            .body(file.to_vec()),
        )
        .await;
        reply.expect_status(202);
        let id = reply.json["id"].as_str().expect("job id").to_owned();
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["format"], "ndjson");
        assert_eq!(counts(&job, &["created", "skipped"]), [3, 1], "{job}");
        assert_eq!(job["rows_read"], 4, "every non-blank line is a row");
        assert_eq!(lines_of(&job), [4]);
        let one = app.by_email("nd1@example.com").await;
        assert_eq!(
            (&one["name"], &one["custom_fields"]),
            (&json!("Nd One"), &json!({"plan": "pro"}))
        );
        assert_eq!(app.by_email("nd2@example.com").await["subscribed"], false);
        assert_eq!(
            app.by_email("nd3@example.com").await["createdAt"],
            "2021-06-01T00:00:00.000Z"
        );
        assert!(
            app.feed()
                .await
                .iter()
                .all(|e| e["source"] == "import:ndjson"),
            "the feed source names the format"
        );
    }
);

backend_test!(
    format_reads_a_file_as_a_tool_its_header_would_not_be_detected_as,
    |app| async move {
        // Mailchimp's cleaned export cut down to the columns kept: without OPTIN_TIME, LEID,
        // EUID or MEMBER_RATING the header reads as generic CSV, CLEAN_TIME as text.
        let file = b"Email Address,First Name,Last Name,CLEAN_TIME\n\
                     gone@example.com,Gone,,2020-03-23 17:30:05\n\
                     away@example.com,,Away,2021-01-02 03:04:05\n";
        let id = app.start_import("dry_run=true", file).await;
        let detected = app.finished_import(&id).await;
        assert_eq!(detected["format"], "csv", "{detected}");

        let id = app.start_import("format=mailchimp", file).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["format"], "mailchimp");
        assert_eq!(job["created"], 2);
        assert_eq!(job["rows_read"], 2);
        let mut suppressed: Vec<(Value, Value)> = app
            .suppressions()
            .await
            .iter()
            .map(|s| (s["email"].clone(), s["reason"].clone()))
            .collect();
        suppressed.sort_by_key(|(email, _)| email.to_string());
        assert_eq!(
            suppressed,
            [
                (json!("away@example.com"), json!("bounced")),
                (json!("gone@example.com"), json!("bounced"))
            ]
        );
        for contact in app.list_all().await {
            assert_eq!(contact["subscribed"], false, "{contact}");
            assert!(
                contact["custom_fields"]["CLEAN_TIME"].is_string(),
                "{contact}"
            );
        }
        assert!(
            app.feed()
                .await
                .iter()
                .all(|e| e["source"] == "import:mailchimp")
        );
    }
);
