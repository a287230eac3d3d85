//! `purrlist serve`.

use crate::app::{Application, first_start, shutdown_signal};
use crate::config::Config;
use crate::store::{self, redact_url};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = store::open(&config.database_url, &config.store_options()).await?;
    let created = first_start(&store).await?;
    let app = Application::build(&config, store).await?;
    // Listen for signals before announcing readiness, so an early SIGTERM still stops cleanly.
    let shutdown = shutdown_signal();
    let addr = app.local_addr();
    if let Some((workspace, secret)) = created {
        let key = secret.expose();
        println!(
            "First start: created a workspace and a full-access API key. The key is shown only this once.\n\
             \n  workspace: {workspace}\n  api key:   {key}\n\
             \nTry it (adds a contact; README.md has the whole curl session):\n  \
             curl -s -X POST http://{addr}/v1/contacts -H 'Authorization: Bearer {key}' \
             -H 'Content-Type: application/json' \
             -d '{{\"newsletter_id\": \"{workspace}\", \"contacts\": [{{\"email\": \"noto@example.com\"}}]}}'\n",
            workspace = workspace.id,
        );
    }
    tracing::info!(
        listen = %addr,
        database = %redact_url(&config.database_url),
        ready_ms = started.elapsed().as_millis() as u64,
        "purrlist is ready"
    );
    println!("purrlist listening on http://{addr}");
    app.run_until(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
