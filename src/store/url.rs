//! The database URL, parsed in one place: which backend, and where its data is.

use std::fmt;
use std::path::PathBuf;

/// A database URL: `sqlite://PATH` (also `sqlite:PATH`) or `postgres://…` (also `postgresql://…`).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// The SQLite file at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, kept whole for the driver (its query names TLS options).
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads a URL; anything but the two schemes is refused, with the password hidden.
    pub fn parse(url: &str) -> anyhow::Result<DatabaseUrl> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        anyhow::bail!(
            "unsupported database URL (expected sqlite://PATH or postgres://…): {}",
            redact_url(url)
        )
    }
}

/// Shows the URL with any password replaced by `***`, so it is safe to log.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{DatabaseUrl, redact_url};
    use std::path::PathBuf;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn each_scheme_names_its_backend() {
        let sqlite = |p: &str| Some(DatabaseUrl::Sqlite(PathBuf::from(p)));
        assert_eq!(DatabaseUrl::parse("sqlite://a/b.db").ok(), sqlite("a/b.db"));
        assert_eq!(DatabaseUrl::parse("sqlite:b.db").ok(), sqlite("b.db"));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs.db").ok(),
            sqlite("/abs.db")
        );
        for pg in ["postgres://u@h/db", "postgresql://h/db?sslmode=require"] {
            assert_eq!(
                DatabaseUrl::parse(pg).ok(),
                Some(DatabaseUrl::Postgres(pg.to_owned()))
            );
        }
    }

    #[test]
    fn other_schemes_are_refused_without_the_password() {
        let error = DatabaseUrl::parse("mysql://u:secret@h/db")
            .expect_err("not ours")
            .to_string();
        assert!(error.contains("unsupported database URL"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn display_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://u:secret@h/db").expect("valid");
        assert_eq!(url.to_string(), "postgres://u:***@h/db");
        assert_eq!(format!("{url:?}"), "DatabaseUrl(postgres://u:***@h/db)");
    }
}
