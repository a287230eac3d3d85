//! The overview's chart counts (docs/dashboard.md, "How the chart's counts are kept"): the
//! daily counts the rollup keeps from the feed hold what the feed implies, after creates,
//! unsubscribes, suppressions, deletes and an import too big to count in one request, and
//! counting again after more writes adds only the new events; pruning counts first.

use crate::dashboard_browser::Browser;
use crate::events::all_events;
use crate::helpers::*;
use purrlist::domain::bulk::parse_bulk_item;
use purrlist::domain::events::Actor;
use purrlist::domain::ids::WorkspaceId;
use purrlist::domain::timestamp::Timestamp;
use regex::Regex;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The chart's columns, in the table's order after the subscribed number.
const COLUMNS: [&str; 6] = [
    "Gained",
    "Lost",
    "Created",
    "Unsubscribed",
    "Bounced",
    "Deleted",
];

/// What the feed implies for each of [`COLUMNS`].
fn implied(events: &[Value]) -> [u64; 6] {
    let mut sums = [0; 6];
    for e in events {
        let subscribed = &e["changes"]["subscribed"];
        let (was, is) = (subscribed["old"] == true, subscribed["new"] == true);
        sums[0] += u64::from(!was && is);
        sums[1] += u64::from(was && !is);
        sums[2] += u64::from(e["type"] == "created");
        sums[3] += u64::from(e["type"] == "unsubscribed");
        let reason = &e["changes"]["suppression"]["new"];
        sums[4] +=
            u64::from(e["type"] == "suppressed" && (reason == "bounced" || reason == "complained"));
        sums[5] += u64::from(e["type"] == "deleted" || e["type"] == "erased");
    }
    sums
}

/// Each column of the chart's table summed over its rows (12 months: every event of the
/// test), once the page no longer says counting is still going on.
async fn charted(app: &TestApp, browser: &Browser) -> [u64; 6] {
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = browser
            .get(&format!("/admin/w/{}?period=month", app.workspace))
            .await;
        assert_eq!(page.status, 200);
        if !page.text.contains("still being counted") {
            break page;
        }
        assert!(Instant::now() < deadline, "the counts never caught up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    COLUMNS.map(|column| {
        Regex::new(&format!(r#"<td data-label="{column}">(\d+)</td>"#))
            .expect("regex")
            .captures_iter(&page.text)
            .map(|c| c[1].parse::<u64>().expect("a number"))
            .sum()
    })
}

backend_test!(
    the_charts_counts_match_what_the_feed_implies,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        assert_eq!(charted(&app, &browser).await, [0; 6]);

        let kept = app.new_contact(json!({"email": "kept@example.com"})).await;
        let quiet = app
            .new_contact(json!({"email": "quiet@example.com", "subscribed": false}))
            .await;
        let leaving = app
            .new_contact(json!({"email": "leaving@example.com"}))
            .await;
        app.new_contact(json!({"email": "bouncing@example.com"}))
            .await;
        app.put_contact(
            id_of(&leaving),
            &json!({"email": "leaving@example.com", "subscribed": false}),
        )
        .await
        .expect_status(200);
        app.suppress("bouncing@example.com", "bounced")
            .await
            .expect_status(200);
        assert_eq!(
            charted(&app, &browser).await,
            implied(&all_events(&app, None).await)
        );

        for gone in [&kept, &quiet, &leaving] {
            app.delete(&format!("/v1/contacts/{}", id_of(gone)))
                .await
                .expect_status(204);
        }
        // More events than one request counts (docs/dashboard.md): the rest in the background.
        let mut csv = String::from("email,name\n");
        for i in 0..4_500 {
            csv.push_str(&format!("imported{i}@example.com,Imported {i}\n"));
        }
        let job = app.start_import("", csv.as_bytes()).await;
        assert_eq!(app.finished_import(&job).await["status"], "succeeded");
        // Several views at once count side by side (and beside the background task): on
        // PostgreSQL each batch holds the cursor's row lock, so none counts an event twice.
        let overview = format!("/admin/w/{}", app.workspace);
        let views = tokio::join!(
            browser.get(&overview),
            browser.get(&overview),
            browser.get(&overview),
            browser.get(&overview)
        );
        for page in [views.0, views.1, views.2, views.3] {
            assert_eq!(page.status, 200);
        }
        let events = all_events(&app, None).await;
        assert!(events.len() > 4_500);
        let sums = charted(&app, &browser).await;
        assert_eq!(sums, implied(&events));
        assert_eq!(sums[0], 4_503, "3 created subscribed, 4,500 imported");
        assert_eq!(
            sums[1], 3,
            "unsubscribed, bounced, deleted while subscribed"
        );
        assert_eq!(sums[4], 1);
        assert_eq!(sums[5], 3);
    }
);

backend_test!(
    pruning_counts_the_feed_first_so_pruned_days_stay_in_the_chart,
    |app| async move {
        let workspace = WorkspaceId::parse(&app.workspace).expect("workspace");
        let old = Timestamp::from_millis(Timestamp::now().millis() - 3 * 86_400_000);
        let item = parse_bulk_item(&json!({"email": "old@example.com"})).expect("item");
        app.store
            .upsert_contacts(workspace, vec![item], old, Actor::Cli.into())
            .await
            .expect("seed an old write");
        app.new_contact(json!({"email": "new@example.com"})).await;
        purrlist::app::prune_once(
            &*app.store,
            Duration::from_secs(2 * 86_400),
            Timestamp::now(),
        )
        .await
        .expect("prune");
        assert_eq!(
            all_events(&app, None).await.len(),
            1,
            "the old event is pruned"
        );
        let browser = Browser::signed_in(&app, &app.api_key).await;
        assert_eq!(charted(&app, &browser).await, [2, 0, 2, 0, 0, 0]);
    }
);
