//! PostgreSQL-only behaviour, through the built binary: several nodes on one database,
//! outages of a PostgreSQL the test owns, `migrate`, and `copy` from SQLite.
//!
//! Every test needs PURRLIST_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres);
//! without it each test says it was skipped and passes. Each test makes its own database.

mod consent_copy;
mod copy;
mod cross_node;
mod feed_order;
mod fresh_database;
mod login;
mod migrate;
mod multi_node;
mod outage;
mod support;
mod tls;
mod webhook_copy;
mod write_batch;
