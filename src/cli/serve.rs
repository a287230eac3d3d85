//! `purrlist serve`: lock a SQLite file (one server per file), open the store, bind the
//! listener, and only then make the first workspace and key, so that a first start that
//! cannot serve leaves no key nobody saw.

use crate::app::{Application, first_start, shutdown_signal};
use crate::config::Config;
use crate::domain::workspace::{DEFAULT_NAME, parse_workspace_name};
use crate::store::sqlite::ServerLock;
use crate::store::{self, DatabaseUrl, redact_url};

pub async fn run(config: Config, workspace_name: Option<String>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let name = parse_workspace_name(workspace_name.as_deref().unwrap_or(DEFAULT_NAME))
        .map_err(|e| anyhow::anyhow!("--workspace-name (PURRLIST_WORKSPACE_NAME): {e}"))?;
    // Held until serving ends; dropped (and released) when this function returns.
    let _lock = match DatabaseUrl::parse(&config.database_url) {
        Ok(DatabaseUrl::Sqlite(path)) => Some(ServerLock::acquire(&path)?),
        _ => None,
    };
    let store = store::open(&config.database_url, &config.store_options()).await?;
    let app = Application::build(&config, store.clone()).await?;
    let created = first_start(&*store, name).await?;
    // Listen for signals before announcing readiness, so an early SIGTERM still stops cleanly.
    let shutdown = shutdown_signal();
    let addr = app.local_addr();
    if let Some((workspace, secret)) = created {
        let key = secret.expose();
        println!(
            "First start: created a workspace and a full-access API key. The key is shown only this once.\n\
             \n  workspace: {workspace}\n  name:      {name}\n  api key:   {key}\n\
             \nTry it (adds a contact; README.md has the whole curl session):\n  \
             curl -s -X POST http://{addr}/v1/contacts -H 'Authorization: Bearer {key}' \
             -H 'Content-Type: application/json' \
             -d '{{\"newsletter_id\": \"{workspace}\", \"contacts\": [{{\"email\": \"noto@example.com\"}}]}}'\n\
             \nSubscribers see the name on the unsubscribe page. To rename the workspace:\n  \
             purrlist workspace rename {workspace} --name 'Cat Facts Weekly'\n\
             (with the same --database; or PATCH /v1/workspaces/{workspace} with {{\"name\": …}}).\n",
            workspace = workspace.id,
            name = workspace.name,
        );
    }
    tracing::info!(
        listen = %addr,
        database = %redact_url(&config.database_url),
        ready_ms = started.elapsed().as_millis() as u64,
        "purrlist is ready"
    );
    println!(
        "unsubscribe links: {}/u/<unsub_token>",
        config.public_base_url(addr)
    );
    println!("purrlist listening on http://{addr}");
    app.run_until(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
