//! `purrlist migrate`: brings the database schema up to date (serve does it too).

use crate::config::Config;
use crate::store::{self, redact_url};

pub async fn run(config: &Config) -> anyhow::Result<()> {
    // Opening a store runs its migrations, under a lock when several nodes start together.
    store::open(&config.database_url, &config.store_options()).await?;
    println!(
        "The schema of {} is up to date.",
        redact_url(&config.database_url)
    );
    Ok(())
}
