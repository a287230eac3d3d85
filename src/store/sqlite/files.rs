//! The database's files on disk: new ones are private (mode 0600), existing ones that
//! other users may read are reported, and one lock file keeps a second server off the same
//! database (docs/security.md, docs/operations.md).

use anyhow::Context;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Creates `path` new and empty, readable by its owner only; fails if it exists.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes the database file (empty, 0600) when there is none, before SQLite opens it: SQLite
/// would make it 0644, and it gives the `-wal` and `-shm` files it makes later the mode of
/// the database file, so they are private too.
pub fn create_if_missing(path: &Path) -> anyhow::Result<()> {
    match create_private(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("cannot create the SQLite database {}", path.display()))
        }
    }
}

/// Logs a warning for each of the database's files that users other than its owner may
/// read or write; their modes are left alone (the operator may mean it).
pub fn warn_if_shared(database: &Path) {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o066 != 0 {
            tracing::warn!(
                "{} can be read or written by other users (mode {mode:04o}); it holds every contact \
                 and API key hash: `chmod 600` it (docs/security.md)",
                path.display()
            );
        }
    }
}

/// The lock `purrlist serve` holds on `<database>.lock` for as long as it runs, so a second
/// server on the same file is refused; the CLI commands take no lock and keep working beside it.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the lock of the database at `database` (creating the database file first, so
    /// that every name of the file, through links too, finds the same lock), or says which
    /// process holds it.
    pub fn acquire(database: &Path) -> anyhow::Result<ServerLock> {
        create_if_missing(database)?;
        let canonical = std::fs::canonicalize(database)
            .with_context(|| format!("cannot find the SQLite database {}", database.display()))?;
        let mut name = canonical.into_os_string();
        name.push(".lock");
        let path = PathBuf::from(name);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                anyhow::bail!(
                    "another purrlist server{holder} is already serving {}: one server per SQLite \
                     file (the lock is {}). Stop it first, or use PostgreSQL to run several nodes. \
                     The other commands (backup, export, key, workspace…) work beside it.",
                    database.display(),
                    path.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // The holder's pid, for the message above; the lock is what counts, not the text.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "{}", std::process::id());
        Ok(ServerLock { _file: file })
    }
}
