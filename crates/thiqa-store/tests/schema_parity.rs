//! The SQLite and PostgreSQL migrations describe one schema (issue 13,
//! item 4): after every migration, both databases have the same tables,
//! the same columns with the same nullability, and the same indexes (by
//! table, columns, uniqueness and partiality; names and column types are
//! each dialect's own). A migration written for one backend only, or a
//! column forgotten in one, fails here with the difference named.

mod support;

use std::collections::BTreeSet;

use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use thiqa_store::DatabaseLocation;

/// What both dialects must agree on.
#[derive(Default, Debug)]
struct Schema {
    /// (table, column, nullable)
    columns: BTreeSet<(String, String, bool)>,
    /// (table, columns in order, unique, partial)
    indexes: BTreeSet<(String, String, bool, bool)>,
}

/// Tables of the migration tool itself, not of Thiqa.
fn ours(table: &str) -> bool {
    !table.starts_with("_sqlx") && !table.starts_with("sqlite_")
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    for table in tables.into_iter().filter(|t| ours(t)) {
        for col in sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        {
            let name: String = col.get("name");
            // A primary key column is never null (SQLite reports 0 for it).
            let nullable = col.get::<i64, _>("notnull") == 0 && col.get::<i64, _>("pk") == 0;
            schema.columns.insert((table.clone(), name, nullable));
        }
        for idx in sqlx::query(&format!("PRAGMA index_list(\"{table}\")"))
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        {
            // The primary key's own index: PostgreSQL's is excluded too.
            if idx.get::<String, _>("origin") == "pk" {
                continue;
            }
            let name: String = idx.get("name");
            let columns: Vec<String> = sqlx::query(&format!("PRAGMA index_info(\"{name}\")"))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|c| c.get::<String, _>("name"))
                .collect();
            schema.indexes.insert((
                table.clone(),
                columns.join(","),
                idx.get::<i64, _>("unique") == 1,
                idx.get::<i64, _>("partial") == 1,
            ));
        }
    }
    schema
}

async fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let mut schema = Schema::default();
    for row in sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    {
        let table: String = row.get(0);
        if ours(&table) {
            schema
                .columns
                .insert((table, row.get(1), row.get::<String, _>(2) == "YES"));
        }
    }
    for row in sqlx::query(
        "SELECT t.relname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) \
                   FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum), \
                i.indisunique, i.indpred IS NOT NULL \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         WHERE ns.nspname = 'public' AND NOT i.indisprimary",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    {
        let table: String = row.get(0);
        if ours(&table) {
            schema.indexes.insert((
                table,
                row.get::<Option<String>, _>(1).unwrap_or_default(),
                row.get(2),
                row.get(3),
            ));
        }
    }
    schema
}

/// Lines present on one side only, labelled with the side.
fn differences<T: Ord + std::fmt::Debug>(
    sqlite: &BTreeSet<T>,
    postgres: &BTreeSet<T>,
) -> Vec<String> {
    let mut lines: Vec<String> = sqlite
        .difference(postgres)
        .map(|x| format!("SQLite only:     {x:?}"))
        .collect();
    lines.extend(
        postgres
            .difference(sqlite)
            .map(|x| format!("PostgreSQL only: {x:?}")),
    );
    lines
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_describe_one_schema() {
    let lite = support::sqlite().await;
    let pg = support::postgres().await;
    let DatabaseLocation::Sqlite { data_dir } = &lite.location else {
        unreachable!()
    };
    let DatabaseLocation::Postgres { url } = &pg.location else {
        unreachable!()
    };
    let mut sqlite = SqliteConnection::connect(&format!(
        "sqlite://{}",
        DatabaseLocation::sqlite_path(data_dir).display()
    ))
    .await
    .unwrap();
    let mut postgres = PgConnection::connect(url).await.unwrap();
    let (a, b) = (
        sqlite_schema(&mut sqlite).await,
        postgres_schema(&mut postgres).await,
    );
    let tables =
        |s: &Schema| -> BTreeSet<String> { s.columns.iter().map(|(t, _, _)| t.clone()).collect() };
    eprintln!(
        "compared {} tables, {} columns, {} indexes",
        tables(&a).len(),
        a.columns.len(),
        a.indexes.len()
    );
    assert!(
        tables(&a).len() > 20,
        "the migrations ran: {:?}",
        tables(&a)
    );
    let mut problems = differences(&tables(&a), &tables(&b));
    problems.extend(differences(&a.columns, &b.columns));
    problems.extend(differences(&a.indexes, &b.indexes));
    assert!(
        problems.is_empty(),
        "the migrations disagree:\n{}",
        problems.join("\n")
    );
}
