//! `purrlist import` of every format's fixture (tests/fixtures/import/) through the binary,
//! on both backends: each contact's `subscribed`, names, createdAt (the sign-up time),
//! custom fields and the suppression of its address as the API shows them; a dry run
//! before each import writes nothing and prints what the import then prints; after every
//! contact is unsubscribed through the API, importing the file again re-subscribes none
//! (every row that says subscribed is counted as kept unsubscribed, or kept suppressed for
//! an address the file suppressed), and `--resubscribe` does, but for suppressed addresses.

mod expect;

use expect::*;

use crate::cli_import::{import, text};
use crate::helpers::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Output;

/// What a fixture must leave in a fresh workspace (generated: see `expect`).
pub struct Fixture {
    pub file: &'static str,
    pub format: &'static str,
    /// Arguments beside `--skip-invalid`.
    pub args: &'static [&'static str],
    /// The physical lines of the rows that fail.
    pub bad_lines: &'static [u64],
    /// Rows that say subscribed, for addresses the file does not suppress.
    pub in_rows: u64,
    /// Rows that say subscribed, for addresses the file suppresses.
    pub suppressed_in_rows: u64,
    pub contacts: &'static [Expect],
}

/// One contact, after every row of its email.
pub struct Expect {
    pub email: &'static str,
    pub subscribed: bool,
    /// Whether any of its rows says subscribed or not (else it keeps what it had).
    pub said: bool,
    pub names: [&'static str; 3],
    pub created_at: Option<&'static str>,
    pub custom_fields: &'static str,
    /// The reason of the suppression its rows leave on its address (`bounced`, …).
    pub suppression: Option<&'static str>,
}

pub fn fixture_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(file)
}

/// The workspace's contacts and change feed, to show a dry run changed nothing.
pub async fn state(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    let feed = send(app.req(
        reqwest::Method::GET,
        &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
    ))
    .await;
    feed.expect_status(200);
    let events = feed.json["data"].as_array().cloned().unwrap_or_default();
    (app.list_all().await, events)
}

/// What a run printed, without log lines, with a dry run's own words made a real run's.
pub fn printed(out: &Output) -> (String, String) {
    let stdout = text(&out.stdout)
        .replace("Dry run of ", "Imported ")
        .replace("Dry run: nothing was written.\n", "");
    let stderr: String = text(&out.stderr)
        .lines()
        .filter(|l| !l.contains(" WARN "))
        .map(|l| format!("{l}\n"))
        .collect();
    (stdout, stderr)
}

/// The bad rows' lines, as listed.
pub fn bad_lines(out: &Output) -> Vec<u64> {
    text(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("  line ")?.split(':').next()?.parse().ok())
        .collect()
}

/// The count before `what` in the summary line (`3 created`, `2 kept unsubscribed`).
pub fn count(out: &Output, what: &str) -> u64 {
    let stdout = text(&out.stdout);
    let at = stdout
        .find(&format!(" {what}"))
        .unwrap_or_else(|| panic!("no {what:?} in {stdout}"));
    let start = stdout[..at].rfind(' ').map_or(0, |i| i + 1);
    stdout[start..at].parse().expect("a count")
}

/// The rows kept suppressed, from the line the summary has only when there are some.
fn kept_suppressed(out: &Output) -> u64 {
    text(&out.stdout)
        .lines()
        .find_map(|l| Some(l.split_once(" row(s) kept suppressed")?.0.to_owned()))
        .map_or(0, |n| n.parse().expect("a count"))
}

/// Runs the import dry, checks that changed nothing, runs it for real, checks both said
/// the same, and returns the real run's output.
pub async fn dry_then_real(app: &TestApp, file: &std::path::Path, args: &[&str]) -> Output {
    let before = state(app).await;
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let dry = import(app, &app.workspace, file, &dry_args);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("Dry run: nothing was written."));
    assert_eq!(state(app).await, before, "a dry run writes nothing");
    let real = import(app, &app.workspace, file, args);
    assert!(real.status.success(), "{}", text(&real.stderr));
    assert_eq!(
        printed(&dry),
        printed(&real),
        "the dry run said what the run did"
    );
    real
}

/// Checks every contact; `all_unsubscribed_before` says every contact was unsubscribed
/// before this run, so one whose rows never say subscribed or not stays so.
async fn check_contacts(
    app: &TestApp,
    fixture: &Fixture,
    all: &[Value],
    all_unsubscribed_before: bool,
) {
    assert_eq!(
        all.len(),
        fixture.contacts.len(),
        "{}: contacts",
        fixture.file
    );
    for want in fixture.contacts {
        let got = all
            .iter()
            .find(|c| c["email"] == want.email)
            .unwrap_or_else(|| panic!("{}: no contact {}", fixture.file, want.email));
        let at = format!("{} {}", fixture.file, want.email);
        let subscribed = want.subscribed && (want.said || !all_unsubscribed_before);
        assert_eq!(got["subscribed"], subscribed, "{at}: subscribed");
        let names = [&got["name"], &got["first_name"], &got["last_name"]];
        assert_eq!(names, want.names.map(Value::from).each_ref(), "{at}: names");
        if let Some(created) = want.created_at {
            assert_eq!(got["createdAt"], created, "{at}: createdAt");
        }
        let fields: Value = serde_json::from_str(want.custom_fields).expect("expected JSON");
        assert_eq!(got["custom_fields"], fields, "{at}: custom fields");
        let consent = app.consent(id_of(got)).await;
        consent.expect_status(200);
        assert_eq!(
            consent.json["suppression"]["reason"],
            want.suppression.map_or(Value::Null, Value::from),
            "{at}: suppression"
        );
    }
}

async fn check_fixture(app: &TestApp, fixture: &Fixture) {
    let path = fixture_path(fixture.file);
    let mut args = vec!["--skip-invalid"];
    args.extend_from_slice(fixture.args);

    let first = dry_then_real(app, &path, &args).await;
    let stdout = text(&first.stdout);
    assert!(
        stdout.starts_with(&format!("Format: {} (detected)\n", fixture.format)),
        "{stdout}"
    );
    assert_eq!(
        bad_lines(&first),
        fixture.bad_lines,
        "{}",
        text(&first.stderr)
    );
    assert_eq!(count(&first, "created"), fixture.contacts.len() as u64);
    let all = app.list_all().await;
    check_contacts(app, fixture, &all, false).await;

    // Every contact unsubscribed through the API; the file again re-subscribes none.
    for contact in all.iter().filter(|c| c["subscribed"] == true) {
        let reply = app
            .put_contact(
                id_of(contact),
                &json!({"email": contact["email"], "subscribed": false}),
            )
            .await;
        reply.expect_status(200);
    }
    let again = dry_then_real(app, &path, &args).await;
    assert_eq!(count(&again, "kept unsubscribed"), fixture.in_rows);
    assert_eq!(kept_suppressed(&again), fixture.suppressed_in_rows);
    let all = app.list_all().await;
    assert!(
        all.iter().all(|c| c["subscribed"] == false),
        "{}: an import re-subscribed someone",
        fixture.file
    );

    // --resubscribe (the people's renewed consent) lets the file's word stand again.
    args.push("--resubscribe");
    let resubscribed = dry_then_real(app, &path, &args).await;
    assert_eq!(count(&resubscribed, "kept unsubscribed"), 0);
    assert_eq!(kept_suppressed(&resubscribed), fixture.suppressed_in_rows);
    check_contacts(app, fixture, &app.list_all().await, true).await;
}

/// NDJSON in the API's shape (its lines are read by the API's own parser, so this table is
/// written by hand): line 3 is blank, lines 5 to 8 fail.
const NDJSON: Fixture = Fixture {
    file: "ndjson.ndjson",
    format: "ndjson",
    args: &[],
    bad_lines: &[5, 6, 7, 8],
    in_rows: 1,
    suppressed_in_rows: 0,
    contacts: &[
        Expect {
            email: "noto@example.com",
            subscribed: true,
            said: true,
            names: ["Noto", "Noto", "Cat"],
            created_at: Some("2023-04-25T14:34:03.000Z"),
            custom_fields: r#"{"plan":"pro"}"#,
            suppression: None,
        },
        Expect {
            email: "LEFT@example.com",
            subscribed: false,
            said: true,
            names: ["", "", ""],
            created_at: None,
            custom_fields: r#"{"tags":"a, b"}"#,
            suppression: None,
        },
        Expect {
            email: "arr@example.com",
            subscribed: true,
            said: false,
            names: ["", "", ""],
            created_at: Some("2024-05-01T00:00:00.000Z"),
            custom_fields: r#"{"city":"Oslo","seats":3}"#,
            suppression: None,
        },
    ],
};

macro_rules! fixture_test {
    ($($name:ident => $fixture:ident),+ $(,)?) => {
        $(backend_test!($name, |app| async move {
            check_fixture(&app, &$fixture).await;
        });)+
    };
}

fixture_test!(
    mailchimp_subscribed => MAILCHIMP,
    mailchimp_unsubscribed => MAILCHIMP_UNSUBSCRIBED,
    mailchimp_cleaned => MAILCHIMP_CLEANED,
    substack => SUBSTACK,
    ghost => GHOST,
    listmonk => LISTMONK,
    buttondown => BUTTONDOWN,
    kit => KIT,
    beehiiv => BEEHIIV,
    resend => RESEND,
    generic_csv => CSV,
    purrlist_export => PURRLIST,
    ndjson => NDJSON,
);
