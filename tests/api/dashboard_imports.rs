//! The dashboard's import page: a file uploaded with a dry run reports its bad row by line
//! and writes nothing; uploaded again for real it writes the good rows; the CSRF token and
//! a read-only key are checked before any of the file is kept.

use crate::dashboard_browser::{Browser, Page};
use reqwest::multipart::{Form, Part};
use std::time::Duration;

const FILE: &str = "email,name\nok1@example.com,One\nnot-an-email,Bad\nok2@example.com,Two\n";

fn upload(csrf: &str, options: &[&str]) -> Form {
    let mut form = Form::new().text("csrf", csrf.to_owned());
    for option in options {
        form = form.text(option.to_string(), "yes");
    }
    let file = Part::bytes(FILE.as_bytes().to_vec())
        .file_name("list.csv")
        .mime_str("text/csv")
        .expect("mime");
    form.part("file", file)
}

/// The job's page once the job is over.
async fn finished(browser: &Browser, path: &str) -> Page {
    for _ in 0..300 {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        if page.header("refresh").is_empty() {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

backend_test!(
    a_dry_run_reports_the_bad_row_and_a_real_run_writes_the_good_ones,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = format!("/admin/w/{}/imports", app.workspace);
        let form = browser.get(&base).await;
        assert!(form.text.contains(r#"enctype="multipart/form-data""#));

        let dry = browser
            .post_multipart(&base, upload(&browser.csrf, &["dry_run"]))
            .await;
        let job = dry.location().to_owned();
        let report = finished(&browser, &job).await;
        assert!(report.text.contains("dry run"), "{}", report.text);
        assert!(
            report.text.contains(r#"data-label="Line">3</td>"#),
            "the bad row by its line: {}",
            report.text
        );
        assert!(app.list_all().await.is_empty(), "a dry run writes nothing");

        let real = browser
            .post_multipart(&base, upload(&browser.csrf, &["skip_invalid"]))
            .await;
        let report = finished(&browser, real.location()).await;
        assert!(report.text.contains("succeeded"), "{}", report.text);
        assert_eq!(app.list_all().await.len(), 2);
        let list = browser.get(&base).await;
        assert!(list.text.contains("succeeded") && list.text.contains("(dry run)"));
    }
);

backend_test!(
    an_upload_without_the_token_or_by_a_read_only_key_keeps_nothing,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = format!("/admin/w/{}/imports", app.workspace);
        let forged = browser
            .post_multipart(&base, upload(&"0".repeat(64), &[]))
            .await;
        assert_eq!(forged.status, 403);
        let key = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
            .await;
        let reader = Browser::signed_in(&app, &key.secret).await;
        let page = reader.get(&base).await;
        assert!(!page.text.contains("multipart/form-data"), "no upload form");
        let refused = reader
            .post_multipart(&base, upload(&reader.csrf, &[]))
            .await;
        assert_eq!(refused.status, 403);
        assert!(app.list_all().await.is_empty());
        assert!(
            !browser.get(&base).await.text.contains("<tbody>"),
            "no job was made"
        );
    }
);
