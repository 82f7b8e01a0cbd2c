//! Write transactions that never leave a connection in doubt.
//!
//! sqlx's `Transaction` returns its connection to the pool even when COMMIT
//! failed. SQLite may already have rolled back on "database or disk is full"
//! while sqlx still counts a transaction open; the connection then starts
//! later "transactions" as savepoints inside a transaction that never
//! commits: their writes are acknowledged and lost (issue 12). Here a
//! transaction that does not end with a successful COMMIT closes its
//! connection instead of returning it: closing rolls back whatever was
//! pending, and the pool opens a fresh connection when it needs one.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};

pub(crate) struct Tx<'a> {
    /// Always `Some` until `commit` or `drop` takes it.
    conn: Option<PoolConnection<Any>>,
    _scope: PhantomData<&'a ()>,
}

impl Tx<'static> {
    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later
    /// could otherwise be refused outright ("database is locked", no wait)
    /// while another connection, just refused and closing, still held the
    /// lock; taken at the start, the lock is waited for (busy timeout).
    pub(crate) async fn begin(pool: &AnyPool, sqlite: bool) -> Result<Tx<'static>, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let begin = if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        if let Err(e) = conn.execute(begin).await {
            conn.close_on_drop();
            return Err(e);
        }
        Ok(Tx {
            conn: Some(conn),
            _scope: PhantomData,
        })
    }
}

impl Tx<'_> {
    /// Commits; on failure the connection is closed, never reused.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let Some(mut conn) = self.conn.take() else {
            return Err(sqlx::Error::PoolClosed);
        };
        match conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(e) => {
                conn.close_on_drop();
                Err(e)
            }
        }
    }

    fn conn(&self) -> &PoolConnection<Any> {
        self.conn
            .as_ref()
            .expect("a transaction holds its connection until it ends")
    }
}

impl Drop for Tx<'_> {
    /// Ended without COMMIT (a refusal or an error on the way): the
    /// connection closes, which rolls the transaction back.
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

impl Deref for Tx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn()
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a transaction holds its connection until it ends")
    }
}
