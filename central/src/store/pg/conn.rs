//! A pooled PostgreSQL connection that prepares each SQL text once and keeps the statement for
//! the connection's life. The `postgres` client's `query(&str, …)` prepares the text on every
//! call — a round trip and a parse-and-plan on the server before the one that runs it — which
//! on the fleet benchmark cost about as much as the work itself. [`Db`] is what the store's
//! code queries through, on a connection ([`Conn`]) or in a transaction ([`Tx`]), with the
//! `postgres` client's method names and arguments.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{GenericClient, IsolationLevel, Row, Statement};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Statements kept per connection at most (the store has a few hundred texts).
const MAX_STATEMENTS: usize = 1024;

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];
type Cache = HashMap<String, Statement>;

/// A connection and its prepared statements.
pub(crate) struct Conn {
    client: postgres::Client,
    cache: Cache,
}

/// A transaction on a [`Conn`], using and filling its statements.
pub(crate) struct Tx<'a> {
    tx: postgres::Transaction<'a>,
    cache: &'a mut Cache,
}

fn prepared(
    c: &mut impl GenericClient,
    cache: &mut Cache,
    sql: &str,
) -> Result<Statement, postgres::Error> {
    if let Some(s) = cache.get(sql) {
        return Ok(s.clone());
    }
    let s = c.prepare(sql)?;
    if cache.len() >= MAX_STATEMENTS {
        cache.clear();
    }
    cache.insert(sql.to_owned(), s.clone());
    Ok(s)
}

/// Queries with the `postgres` client's names, each text prepared once per connection.
pub(crate) trait Db {
    /// The rows of `sql`.
    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error>;
    /// The one row of `sql` (an error when there is none or more).
    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error>;
    /// The row of `sql`, if any (an error when more).
    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, postgres::Error>;
    /// Runs `sql`; the rows it changed.
    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error>;
}

/// The client to prepare and run on, and the statements kept for it.
trait Parts {
    type Client: GenericClient;
    fn parts(&mut self) -> (&mut Self::Client, &mut Cache);
}

impl<'a> Parts for Tx<'a> {
    type Client = postgres::Transaction<'a>;
    fn parts(&mut self) -> (&mut postgres::Transaction<'a>, &mut Cache) {
        (&mut self.tx, &mut *self.cache)
    }
}

impl Parts for Conn {
    type Client = postgres::Client;
    fn parts(&mut self) -> (&mut postgres::Client, &mut Cache) {
        (&mut self.client, &mut self.cache)
    }
}

impl<T: Parts> Db for T {
    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        let (c, cache) = self.parts();
        let s = prepared(c, cache, sql)?;
        c.query(&s, params)
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error> {
        let (c, cache) = self.parts();
        let s = prepared(c, cache, sql)?;
        c.query_one(&s, params)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, postgres::Error> {
        let (c, cache) = self.parts();
        let s = prepared(c, cache, sql)?;
        c.query_opt(&s, params)
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        let (c, cache) = self.parts();
        let s = prepared(c, cache, sql)?;
        c.execute(&s, params)
    }
}

impl Conn {
    /// A read-committed transaction.
    pub(crate) fn transaction(&mut self) -> Result<Tx<'_>, postgres::Error> {
        Ok(Tx {
            tx: self.client.transaction()?,
            cache: &mut self.cache,
        })
    }

    /// A read-only transaction reading one snapshot (repeatable read).
    pub(crate) fn snapshot(&mut self) -> Result<Tx<'_>, postgres::Error> {
        Ok(Tx {
            tx: self
                .client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?,
            cache: &mut self.cache,
        })
    }
}

impl Tx<'_> {
    /// Commits.
    pub(crate) fn commit(self) -> Result<(), postgres::Error> {
        self.tx.commit()
    }

    /// Runs statements without parameters, unprepared (migrations).
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.tx.batch_execute(sql)
    }
}

/// The pool's manager: `r2d2_postgres`'s connections, each with its statements.
pub(crate) struct Manager(pub(crate) PostgresConnectionManager<MakeRustlsConnect>);

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Manager")
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.0.connect()?,
            cache: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}
