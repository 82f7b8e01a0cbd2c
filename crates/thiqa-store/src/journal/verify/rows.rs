//! Reading the rows of a verification, one batch per statement, into flat
//! buffers.
//!
//! The database driver's cost per value (a copy and an allocation on its
//! thread, a conversion and another on ours) was most of a verification's
//! time, more than the hashing (`thiqa bench journal`). So each row comes as
//! two values, its index and `leaf_hash || chain || leaf` packed into one
//! blob; the rows are taken as they stream in, into buffers of the batch,
//! rather than collected and copied. A row whose hash or chain column is not
//! 32 bytes (an altered row) cannot be split that way: its columns are read
//! again on their own, and checked like any other.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyConnection, ConnectOptions, Row};
use thiqa_journal::{Hash, LeafRecord};

use crate::error::StoreError;

/// The packed rows of `idx` in `[$1, $2)`, at most `$3`, in order; NULL
/// instead of the packed value when a hash column is not 32 bytes. SQLite's
/// `||` makes text of the bytes unchanged (in the database's UTF-8), which
/// the outer cast makes a blob again; the inner casts measure bytes, not
/// characters, whatever a tamperer stored.
const SQLITE_SELECT: &str = "SELECT idx, CASE WHEN length(CAST(leaf_hash AS BLOB)) = 32 \
     AND length(CAST(chain AS BLOB)) = 32 THEN CAST(leaf_hash || chain || leaf AS BLOB) END \
     AS packed FROM journal_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3";
const POSTGRES_SELECT: &str = "SELECT idx, CASE WHEN length(leaf_hash) = 32 \
     AND length(chain) = 32 THEN leaf_hash || chain || leaf END \
     AS packed FROM journal_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3";

/// One batch of rows, in index order.
#[derive(Default)]
pub(super) struct Rows {
    pub idx: Vec<i64>,
    /// Row `i`'s leaf bytes are `bytes[spans[i].0..spans[i].1]`.
    spans: Vec<(usize, usize)>,
    bytes: Vec<u8>,
    /// The stored leaf hash and chain columns.
    stored: Vec<(Hash, Hash)>,
    /// What each row's leaf hash recomputes to, once [`Rows::hash`] ran.
    pub recomputed: Vec<Hash>,
    /// The stored subtrees the batch completes, for the verifier.
    pub nodes: HashMap<(u8, u64), Hash>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    fn push(&mut self, idx: i64, leaf: &[u8], leaf_hash: Hash, chain: Hash) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(leaf);
        self.idx.push(idx);
        self.spans.push((start, self.bytes.len()));
        self.stored.push((leaf_hash, chain));
    }

    /// Row `i` as the core verifier takes it.
    pub fn record(&self, i: usize) -> LeafRecord<'_> {
        let (start, end) = self.spans[i];
        LeafRecord {
            index: u64::try_from(self.idx[i]).unwrap_or(u64::MAX),
            data: &self.bytes[start..end],
            leaf_hash: Some(self.stored[i].0),
            chain: Some(self.stored[i].1),
        }
    }

    /// Fills [`Rows::recomputed`].
    pub fn hash(&mut self) {
        self.recomputed = (0..self.len())
            .map(|i| self.record(i).recomputed_hash())
            .collect();
    }
}

/// A stored hash column; one of the wrong length (altered) becomes a value
/// that matches nothing, so the row is reported rather than skipped.
fn column_hash(bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or([0; 32])
}

/// Where the rows are read from.
pub(super) enum Reader {
    /// The pool's connection (PostgreSQL, or SQLite without a file).
    Pool,
    Sqlite(SqliteConnection),
}

impl Reader {
    /// On SQLite, a read-only connection to the database file whose driver
    /// may buffer `limit` rows. Rows appended meanwhile are beyond the head
    /// the caller read, and are not read.
    pub async fn open(conn: &mut AnyConnection, limit: usize) -> Result<Reader, StoreError> {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            return Ok(Reader::Pool);
        }
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&mut *conn)
                .await?;
        if file.is_empty() {
            return Ok(Reader::Pool);
        }
        let options = SqliteConnectOptions::new()
            .filename(file)
            .read_only(true)
            .busy_timeout(std::time::Duration::from_secs(5))
            .row_buffer_size(limit + 1)
            .disable_statement_logging();
        Ok(Reader::Sqlite(options.connect().await?))
    }

    /// Rows with `idx` from `next` below `end`, at most `limit`.
    pub async fn read(
        &mut self,
        conn: &mut AnyConnection,
        next: i64,
        end: i64,
        limit: i64,
    ) -> Result<Rows, StoreError> {
        let mut rows = Rows {
            bytes: Vec::with_capacity(usize::try_from(limit).unwrap_or(0) * 320),
            ..Rows::default()
        };
        // (position in the batch, idx) of the rows to read on their own.
        let mut unpacked = Vec::new();
        let mut take = |idx: i64, packed: Option<&[u8]>| match packed {
            Some(p) if p.len() >= 64 => {
                rows.push(
                    idx,
                    &p[64..],
                    column_hash(&p[..32]),
                    column_hash(&p[32..64]),
                );
            }
            _ => {
                unpacked.push((rows.len(), idx));
                rows.push(idx, &[], [0; 32], [0; 32]);
            }
        };
        match self {
            Reader::Sqlite(own) => {
                let query = sqlx::query(SQLITE_SELECT).bind(next).bind(end).bind(limit);
                let mut stream = query.fetch(own);
                while let Some(row) = stream.try_next().await? {
                    take(row.try_get(0)?, row.try_get(1)?);
                }
            }
            Reader::Pool => {
                let postgres = conn.backend_name().eq_ignore_ascii_case("postgresql");
                let sql = if postgres {
                    POSTGRES_SELECT
                } else {
                    SQLITE_SELECT
                };
                let query = sqlx::query(sql).bind(next).bind(end).bind(limit);
                let mut stream = query.fetch(&mut *conn);
                while let Some(row) = stream.try_next().await? {
                    take(row.try_get(0)?, row.try_get(1)?);
                }
            }
        }
        fill_unpacked(conn, &mut rows, unpacked).await?;
        Ok(rows)
    }
}

/// Reads the rows that could not be packed, column by column.
async fn fill_unpacked(
    conn: &mut AnyConnection,
    rows: &mut Rows,
    unpacked: Vec<(usize, i64)>,
) -> Result<(), StoreError> {
    // As bytes whatever a tamperer stored (text of any bytes, on SQLite).
    let sql = if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        "SELECT leaf, leaf_hash, chain FROM journal_leaves WHERE idx = $1"
    } else {
        "SELECT CAST(leaf AS BLOB) AS leaf, CAST(leaf_hash AS BLOB) AS leaf_hash, \
         CAST(chain AS BLOB) AS chain FROM journal_leaves WHERE idx = $1"
    };
    for (i, idx) in unpacked {
        let row = sqlx::query(sql).bind(idx).fetch_one(&mut *conn).await?;
        let leaf: Vec<u8> = row.try_get("leaf")?;
        let start = rows.bytes.len();
        rows.bytes.extend_from_slice(&leaf);
        rows.spans[i] = (start, rows.bytes.len());
        rows.stored[i] = (
            column_hash(&row.try_get::<Vec<u8>, _>("leaf_hash")?),
            column_hash(&row.try_get::<Vec<u8>, _>("chain")?),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use thiqa_journal::{FirstBad, Problem};

    use crate::{journal_signer, Actor, DatabaseLocation, NewEvent, Store};

    /// A hash or chain column that is not 32 bytes cannot be packed: the row
    /// is read column by column and named like any altered row.
    #[tokio::test]
    async fn rows_with_odd_hash_columns_are_read_alone_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let location = DatabaseLocation::Sqlite {
            data_dir: dir.path().to_path_buf(),
        };
        let store = Store::open(&location, Arc::new(thiqa_domain::SystemClock))
            .await
            .unwrap();
        for i in 0..40 {
            let event = NewEvent::success("test.row").target(format!("t{i}"));
            store.record_event(&Actor::system(), event).await.unwrap();
        }
        let signer = journal_signer(dir.path(), "thiqa.test/journal").unwrap();
        store.journal_sign_checkpoint(&signer).await.unwrap();
        let trusted = [signer.verifier()];
        let verify = || async {
            let mut progress = |_, _| {};
            let v = store.journal_verify(signer.name(), &trusted, &mut progress);
            v.await.unwrap()
        };
        assert!(verify().await.is_ok());
        let set = |sql: &'static str| {
            let pool = store.pool.clone();
            async move { sqlx::query(sql).execute(&pool).await.unwrap() }
        };

        set("UPDATE journal_leaves SET leaf_hash = substr(leaf_hash, 1, 31) WHERE idx = 5").await;
        // Text of 32 characters but more bytes, and a longer chain.
        set("UPDATE journal_leaves SET leaf_hash = 'é' || hex(zeroblob(15)) WHERE idx = 9").await;
        set("UPDATE journal_leaves SET chain = chain || x'00' WHERE idx = 30").await;
        let v = verify().await;
        // Row 31's chain follows from row 30's, which no longer reads as a
        // hash: it is named too, as before packing.
        let expected = [
            Problem::LeafHashMismatch { index: 5 },
            Problem::LeafHashMismatch { index: 9 },
            Problem::ChainMismatch { index: 30 },
            Problem::ChainMismatch { index: 31 },
        ];
        assert_eq!(v.report.problems, expected);
        assert_eq!(v.first_bad(), Some(FirstBad::Row(5)));
    }
}
