//! A byte-level fingerprint of a SQLite database, for "the database is unchanged" checks
//! that go below what the API or the store can show.

use sha2::{Digest, Sha256};
use std::path::Path;

/// SHA-256 of a `VACUUM INTO` copy: a fresh file written from the live database's content
/// (WAL included), so it is the same for the same content whatever the WAL or free pages hold.
pub fn of_sqlite_file(path: &Path) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.db");
    let conn = rusqlite::Connection::open(path).expect("open database");
    conn.execute("VACUUM INTO ?1", [copy.to_str().expect("utf-8 path")])
        .expect("VACUUM INTO");
    drop(conn);
    let bytes = std::fs::read(&copy).expect("read copy");
    hex::encode(Sha256::digest(&bytes))
}
