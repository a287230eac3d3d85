//! TLS to PostgreSQL with libpq's `sslmode` meanings, against the test server's own
//! certificate (Debian's PostgreSQL has `ssl = on` with a self-signed "snakeoil"
//! certificate for `localhost`).

use crate::support::{FreshDatabase, purrlist, skipped, test_url};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::{self, SharedStore, StoreOptions};

/// `url` with `query` appended to its query string.
fn with_query(url: &str, query: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}{query}")
}

async fn open(url: &str) -> anyhow::Result<SharedStore> {
    let store = store::open(url, &StoreOptions::default()).await?;
    // A pooled connection, kept open while the store lives, for pg_stat_ssl to show.
    store
        .create_workspace("tls".into(), Timestamp::now())
        .await?;
    Ok(store)
}

/// purrlist's open connections to `db`, and how many of them are encrypted.
fn connections(db: &FreshDatabase) -> (i64, i64) {
    let name = db.url.rsplit('/').next().unwrap_or_default().to_owned();
    let filter = format!(
        "FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.datname = '{name}' AND a.application_name = 'purrlist'"
    );
    (
        db.query_i64(&format!("SELECT count(*) {filter}")),
        db.query_i64(&format!("SELECT count(*) FILTER (WHERE s.ssl) {filter}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_encrypts_and_checks_the_certificate_as_libpq_does() {
    let test = "sslmode_encrypts_and_checks_the_certificate_as_libpq_does";
    let Some(admin) = test_url(test) else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    if db.query_i64("SELECT (current_setting('ssl') = 'on')::int::bigint") == 0 {
        skipped(test, "the test PostgreSQL has ssl = off");
        return;
    }
    let cert_file = {
        let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        let driver = tokio::spawn(connection);
        let file: String = client
            .query_one("SELECT current_setting('ssl_cert_file')", &[])
            .await
            .expect("ssl_cert_file")
            .get(0);
        drop(client);
        let _ = driver.await;
        file
    };

    // require: encrypted, certificate not checked (libpq's meaning).
    let store = open(&with_query(&db.url, "sslmode=require"))
        .await
        .expect("sslmode=require connects");
    let (open_connections, encrypted) = connections(&db);
    assert!(open_connections > 0);
    assert_eq!(encrypted, open_connections);
    drop(store);

    // disable: plain.
    let store = open(&with_query(&db.url, "sslmode=disable"))
        .await
        .expect("sslmode=disable connects");
    let (open_connections, encrypted) = connections(&db);
    assert!(open_connections > 0);
    assert_eq!(encrypted, 0);
    drop(store);

    // verify-ca: the chain to sslrootcert, whatever the host is called.
    let trusted = format!("sslrootcert={cert_file}");
    let store = open(&with_query(
        &db.url,
        &format!("sslmode=verify-ca&{trusted}"),
    ))
    .await
    .expect("verify-ca with the server's certificate as root connects");
    drop(store);

    // verify-full: the name must match too. The certificate names `localhost`.
    if db.url.contains("@127.0.0.1") {
        let error = open(&with_query(
            &db.url,
            &format!("sslmode=verify-full&{trusted}"),
        ))
        .await
        .err()
        .expect("verify-full at 127.0.0.1 against a certificate for localhost is refused");
        assert!(format!("{error:#}").contains("certificate"), "{error:#}");
        let by_name = db.url.replace("@127.0.0.1", "@localhost");
        let store = open(&with_query(
            &by_name,
            &format!("sslmode=verify-full&{trusted}"),
        ))
        .await
        .expect("verify-full at localhost connects");
        drop(store);
    }

    // Without sslrootcert the system's CA roots are used, found where OpenSSL looks
    // (SSL_CERT_FILE, SSL_CERT_DIR): through the CLI, so each run has its own environment.
    let empty = tempfile::tempdir().expect("tempdir");
    let verify_ca = with_query(&db.url, "sslmode=verify-ca");
    let migrate_with_roots = |file: &std::path::Path| {
        purrlist()
            .env("SSL_CERT_FILE", file)
            .env("SSL_CERT_DIR", empty.path())
            .args(["migrate", "--database", &verify_ca])
            .output()
            .expect("run purrlist")
    };
    let trusted_by_system = migrate_with_roots(std::path::Path::new(&cert_file));
    assert!(
        trusted_by_system.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted_by_system.stderr)
    );
    let no_roots = migrate_with_roots(&empty.path().join("none.pem"));
    assert!(!no_roots.status.success());
    let said = String::from_utf8_lossy(&no_roots.stderr);
    assert!(said.contains("none were found"), "{said}");
}
