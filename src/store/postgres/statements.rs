//! How statements reach PostgreSQL: every query of the store goes through [`Sql`].
//!
//! Directly, a connection prepares each statement once and keeps it (a named statement
//! cached per connection, so a call after the first is one round trip). Behind a pooler
//! in transaction mode (PgBouncer `pool_mode = transaction`; 1.18 cannot carry named
//! statements) one client connection's transactions run on whichever server connection
//! is free, so a statement prepared in one transaction is missing in the next, and one
//! another client prepared under the same name may be there. So with
//! [`StatementMode::Unnamed`] every call sends the unnamed statement, its parameters'
//! types and values in one message batch (`query_typed`: Parse, Bind, Describe, Execute,
//! Sync), which a pooler hands to one server connection whole. The types come from the
//! Rust values ([`param_type`]), so call sites pass the same parameters in both modes.
//!
//! The store sets the mode for each of its calls ([`with_mode`], from
//! `PostgresStore::timed`); code outside a store call gets the unnamed mode, which works
//! everywhere. Session state does not survive a transaction behind such a pooler either:
//! advisory locks are taken with `pg_advisory_xact_lock` inside the transaction they
//! guard, settings with `SET LOCAL`, and nothing uses LISTEN.

use async_trait::async_trait;
use deadpool_postgres::{Client, GenericClient, Transaction};
use futures_util::TryStreamExt;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row};

/// How the store's statements are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementMode {
    /// Named statements, prepared once per connection and cached (a direct connection).
    Prepared,
    /// The unnamed statement with typed parameters, one round trip, nothing kept (behind a
    /// pooler in transaction mode).
    Unnamed,
}

tokio::task_local! {
    static MODE: StatementMode;
}

/// Runs `call` with its statements sent in `mode`.
pub async fn with_mode<T>(mode: StatementMode, call: impl Future<Output = T>) -> T {
    MODE.scope(mode, call).await
}

fn mode() -> StatementMode {
    MODE.try_with(|m| *m).unwrap_or(StatementMode::Unnamed)
}

/// The PostgreSQL types tried, in order, for a parameter: the first its Rust type accepts
/// is the one a prepared statement would have inferred for every query of the store.
const CANDIDATES: [Type; 12] = [
    Type::TEXT,
    Type::INT8,
    Type::BOOL,
    Type::INT4,
    Type::BYTEA,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::BOOL_ARRAY,
    Type::INT4_ARRAY,
    Type::INT2,
    Type::FLOAT8,
    Type::BYTEA_ARRAY,
];

/// The PostgreSQL type to send `value` as. A Rust type none of the candidates fits gets
/// `UNKNOWN`, and the driver then refuses it with its own "cannot convert" error.
pub fn param_type(value: &(dyn ToSql + Sync)) -> Type {
    let mut scratch = bytes::BytesMut::new();
    CANDIDATES
        .into_iter()
        .find(|ty| {
            scratch.clear();
            value.to_sql_checked(ty, &mut scratch).is_ok()
        })
        .unwrap_or(Type::UNKNOWN)
}

fn typed<'a>(params: &[&'a (dyn ToSql + Sync)]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (*p, param_type(*p))).collect()
}

/// Queries that work directly and behind a transaction-mode pooler alike.
#[async_trait]
pub trait Sql: GenericClient {
    /// The rows of `sql` sent as the unnamed statement.
    async fn unnamed_rows(
        &self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, Error>;

    /// The exactly-one row of `sql` sent as the unnamed statement.
    async fn unnamed_one(
        &self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Row, Error>;

    /// The at-most-one row of `sql` sent as the unnamed statement.
    async fn unnamed_opt(
        &self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Option<Row>, Error>;

    /// How many rows `sql`, sent as the unnamed statement, changed.
    async fn unnamed_count(
        &self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, Error>;

    /// Every row `sql` returns.
    async fn rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, Error> {
        match mode() {
            StatementMode::Prepared => self.query(&self.prepare_cached(sql).await?, params).await,
            StatementMode::Unnamed => self.unnamed_rows(sql, &typed(params)).await,
        }
    }

    /// The one row `sql` returns (an error if it returns none or several).
    async fn row(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, Error> {
        match mode() {
            StatementMode::Prepared => {
                self.query_one(&self.prepare_cached(sql).await?, params)
                    .await
            }
            StatementMode::Unnamed => self.unnamed_one(sql, &typed(params)).await,
        }
    }

    /// The row `sql` returns, if any (an error if several).
    async fn row_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        match mode() {
            StatementMode::Prepared => {
                self.query_opt(&self.prepare_cached(sql).await?, params)
                    .await
            }
            StatementMode::Unnamed => self.unnamed_opt(sql, &typed(params)).await,
        }
    }

    /// Runs `sql`; how many rows it inserted, updated or deleted.
    async fn run(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        match mode() {
            StatementMode::Prepared => self.execute(&self.prepare_cached(sql).await?, params).await,
            StatementMode::Unnamed => self.unnamed_count(sql, &typed(params)).await,
        }
    }
}

/// `Sql` for a pooled connection and for a transaction on one, by the driver's
/// `query_typed` family both deref to.
macro_rules! unnamed_statements {
    ($($target:ty),+) => {$(
        #[async_trait]
        impl Sql for $target {
            async fn unnamed_rows(
                &self,
                sql: &str,
                params: &[(&(dyn ToSql + Sync), Type)],
            ) -> Result<Vec<Row>, Error> {
                self.query_typed(sql, params).await
            }

            async fn unnamed_one(
                &self,
                sql: &str,
                params: &[(&(dyn ToSql + Sync), Type)],
            ) -> Result<Row, Error> {
                self.query_typed_one(sql, params).await
            }

            async fn unnamed_opt(
                &self,
                sql: &str,
                params: &[(&(dyn ToSql + Sync), Type)],
            ) -> Result<Option<Row>, Error> {
                self.query_typed_opt(sql, params).await
            }

            async fn unnamed_count(
                &self,
                sql: &str,
                params: &[(&(dyn ToSql + Sync), Type)],
            ) -> Result<u64, Error> {
                let stream = self
                    .query_typed_raw(sql, params.iter().map(|(v, t)| (*v, t.clone())))
                    .await?;
                let mut stream = std::pin::pin!(stream);
                while stream.try_next().await?.is_some() {}
                Ok(stream.rows_affected().unwrap_or(0))
            }
        }
    )+};
}

unnamed_statements!(Client, Transaction<'_>);

#[cfg(test)]
mod tests {
    use super::param_type;
    use tokio_postgres::types::Type;

    #[test]
    fn parameters_get_the_type_a_prepared_statement_infers() {
        assert_eq!(param_type(&"text"), Type::TEXT);
        assert_eq!(param_type(&String::from("text")), Type::TEXT);
        assert_eq!(param_type(&1_i64), Type::INT8);
        assert_eq!(param_type(&Some(1_i64)), Type::INT8);
        assert_eq!(param_type(&None::<i64>), Type::INT8);
        assert_eq!(param_type(&None::<String>), Type::TEXT);
        assert_eq!(param_type(&1_i32), Type::INT4);
        assert_eq!(param_type(&true), Type::BOOL);
        assert_eq!(param_type(&vec![1_u8, 2]), Type::BYTEA);
        assert_eq!(param_type(&&[1_u8, 2][..]), Type::BYTEA);
        assert_eq!(param_type(&vec!["a", "b"]), Type::TEXT_ARRAY);
        assert_eq!(param_type(&vec![String::new()]), Type::TEXT_ARRAY);
        assert_eq!(param_type(&vec![1_i64]), Type::INT8_ARRAY);
        assert_eq!(param_type(&vec![true]), Type::BOOL_ARRAY);
        assert_eq!(param_type(&std::time::SystemTime::now()), Type::UNKNOWN);
    }
}
