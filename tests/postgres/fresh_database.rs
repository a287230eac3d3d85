//! A fresh PostgreSQL database per test, on the server PURRLIST_TEST_POSTGRES_URL names,
//! dropped afterwards. Shared by `tests/postgres` and `tests/api` (included by path).

use std::future::Future;

/// The server URL of the PostgreSQL the tests may use, or `None` (and a notice) to skip.
pub fn test_url(test: &str) -> Option<String> {
    match std::env::var("PURRLIST_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            skipped(test, "PURRLIST_TEST_POSTGRES_URL not set");
            None
        }
    }
}

/// The PgBouncer (transaction pooling, in front of the server PURRLIST_TEST_POSTGRES_URL
/// names) that PURRLIST_TEST_POSTGRES_POOLER_URL names, if the tests should reach
/// PostgreSQL through it (`scripts/pooler-check` sets it).
#[allow(dead_code)]
pub fn pooler_url() -> Option<String> {
    std::env::var("PURRLIST_TEST_POSTGRES_POOLER_URL")
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// Says a test was skipped, on the real stderr so it shows even when output is captured.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}

/// The same server URL with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..host_end])
}

/// Runs `future` to the end on a small runtime of its own thread, from sync or async code.
fn on_own_runtime<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(future)
    })
    .join()
    .expect("admin thread")
}

async fn admin_execute(url: String, sql: String) {
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    let driver = tokio::spawn(connection);
    client.batch_execute(&sql).await.expect(&sql);
    drop(client);
    let _ = driver.await;
}

/// A database made for one test, dropped when it goes.
pub struct FreshDatabase {
    admin_url: String,
    name: String,
    /// The URL purrlist uses.
    pub url: String,
}

impl FreshDatabase {
    /// Creates `purrlist_test_<random>` on the server `admin_url` names: empty, or a copy
    /// of the database PURRLIST_TEST_POSTGRES_TEMPLATE names (`scripts/partition-check`
    /// makes one with the contacts and the feed partitioned).
    pub fn create(admin_url: &str) -> FreshDatabase {
        let name = format!("purrlist_test_{:016x}", rand::random::<u64>());
        let template = std::env::var("PURRLIST_TEST_POSTGRES_TEMPLATE")
            .map(|t| format!(" TEMPLATE {}", t.trim()))
            .unwrap_or_default();
        on_own_runtime(admin_execute(
            admin_url.to_owned(),
            format!("CREATE DATABASE {name}{template}"),
        ));
        FreshDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        }
    }

    /// This database's URL on another server in front of the same PostgreSQL (a pooler).
    #[allow(dead_code)]
    pub fn url_on(&self, server_url: &str) -> String {
        with_database(server_url, &self.name)
    }

    /// Runs SQL in this database (to set up what the API cannot, such as an older schema).
    #[allow(dead_code)]
    pub fn execute(&self, sql: &str) {
        on_own_runtime(admin_execute(self.url.clone(), sql.to_owned()));
    }

    /// One number from SQL run in this database (for checks the API cannot make).
    #[allow(dead_code)]
    pub fn query_i64(&self, sql: &str) -> i64 {
        let (url, sql) = (self.url.clone(), sql.to_owned());
        on_own_runtime(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect to the test database");
            let driver = tokio::spawn(connection);
            let value: i64 = client.query_one(&sql, &[]).await.expect(&sql).get(0);
            drop(client);
            let _ = driver.await;
            value
        })
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections a server under test may still hold.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let url = self.admin_url.clone();
        let _ = std::thread::spawn(move || on_own_runtime(admin_execute(url, sql))).join();
    }
}
