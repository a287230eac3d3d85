//! `purrlist copy` carries webhook endpoints as they are: secrets (both, during a
//! rotation), event types, state and the position in the feed.

use crate::support::{FreshDatabase, run_cli, test_url};
use purrlist::domain::ids::WebhookId;
use purrlist::domain::timestamp::Timestamp;
use purrlist::domain::webhooks::{EndpointState, WebhookEndpoint, WebhookSecret};
use purrlist::store::StoreOptions;

#[tokio::test]
async fn copy_carries_webhook_endpoints_with_their_secrets_and_cursors() {
    let Some(admin) = test_url("copy_carries_webhook_endpoints_with_their_secrets_and_cursors")
    else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("source.db").display());
    let source = purrlist::store::open(&sqlite, &StoreOptions::default())
        .await
        .expect("open SQLite");
    let workspace = source
        .create_workspace("W".to_owned(), Timestamp::now())
        .await
        .expect("workspace");
    let endpoint = source
        .create_webhook(WebhookEndpoint {
            id: WebhookId::generate(),
            workspace_id: workspace.id.clone(),
            url: "https://crm.example.com/hook".to_owned(),
            event_types: Some(vec!["contact.unsubscribed".to_owned()]),
            description: "crm".to_owned(),
            enabled: true,
            state: EndpointState::Active,
            secret: WebhookSecret::generate(),
            previous_secret: None,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            cursor: 0,
            attempt: 0,
            next_attempt_at: Timestamp::from_millis(0),
        })
        .await
        .expect("endpoint");
    let until = Timestamp::from_millis(Timestamp::now().millis() + 1000);
    source
        .rotate_webhook_secret(
            &endpoint.id,
            WebhookSecret::generate(),
            until,
            Timestamp::now(),
        )
        .await
        .expect("rotate");
    let before = source.export_webhooks().await.expect("export");
    assert!(before[0].previous_secret.is_some());
    drop(source);

    let copied = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    assert!(
        copied.status.success(),
        "copy failed: {}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let target = purrlist::store::open(&db.url, &StoreOptions::default())
        .await
        .expect("open PostgreSQL");
    assert_eq!(target.export_webhooks().await.expect("export"), before);
}
