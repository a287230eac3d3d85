//! `purrlist backup --to FILE`: a consistent copy of a live SQLite database.

use crate::store::sqlite::backup_to;
use anyhow::bail;
use std::path::Path;

pub fn run(database_url: &str, to: &Path) -> anyhow::Result<()> {
    let Some(path) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        bail!(
            "`purrlist backup` copies SQLite databases; for PostgreSQL use pg_dump (see docs/backups.md)"
        );
    };
    if to.exists() {
        bail!("{} already exists; choose a new file name", to.display());
    }
    let contacts = backup_to(Path::new(path), to)?;
    println!("Backed up {contacts} contacts to {}.", to.display());
    Ok(())
}
