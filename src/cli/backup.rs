//! `purrlist backup --to FILE`: a consistent copy of a live SQLite database, in a new file
//! readable by its owner only.

use crate::store::DatabaseUrl;
use crate::store::sqlite::backup_to;
use anyhow::bail;
use std::path::Path;

pub fn run(database_url: &str, to: &Path) -> anyhow::Result<()> {
    let Ok(DatabaseUrl::Sqlite(path)) = DatabaseUrl::parse(database_url) else {
        bail!(
            "`purrlist backup` copies SQLite databases; for PostgreSQL use pg_dump (see docs/backups.md)"
        );
    };
    if to.exists() {
        bail!("{} already exists; choose a new file name", to.display());
    }
    let contacts = backup_to(&path, to)?;
    println!("Backed up {contacts} contacts to {}.", to.display());
    Ok(())
}
