//! Idempotent intake: a batch sent with an `Idempotency-Key` is appended
//! once. A source that lost the acknowledgement and sends the same batch
//! again gets the original receipt; the same key with another batch is
//! refused, so a key reused by mistake never swallows new events.

use sqlx::Row;

use super::IntakeReceipt;
use crate::Tx;

/// How long receipts are kept: a retry comes within minutes, not weeks.
const KEEP_MS: i64 = 7 * 86_400_000;

/// The key a source chose for one batch, and the SHA-256 of the batch.
#[derive(Debug, Clone)]
pub struct BatchKey {
    pub key: String,
    pub batch_sha256: String,
}

impl BatchKey {
    /// 1 to 128 visible ASCII characters (a UUID, a counter, a hash…).
    pub fn parse(key: &str, batch_sha256: String) -> Result<BatchKey, String> {
        if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key: 1 to 128 visible ASCII characters".into());
        }
        Ok(BatchKey {
            key: key.to_string(),
            batch_sha256,
        })
    }
}

/// The receipt already given for this key, or whether the key names
/// another batch (`Err`).
pub(super) async fn earlier(
    tx: &mut Tx<'_>,
    source_id: i64,
    key: &BatchKey,
) -> Result<Option<Result<IntakeReceipt, ()>>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT batch_sha256, first_index, last_index, event_count FROM intake_receipts \
         WHERE source_id = $1 AND idempotency_key = $2",
    )
    .bind(source_id)
    .bind(&key.key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| {
        if r.get::<String, _>(0) != key.batch_sha256 {
            return Err(());
        }
        Ok(IntakeReceipt {
            first_index: r.get::<i64, _>(1) as u64,
            last_index: r.get::<i64, _>(2) as u64,
            count: r.get::<i64, _>(3) as u64,
        })
    }))
}

/// Keeps the receipt, in the batch's transaction, and forgets old ones.
pub(super) async fn record(
    tx: &mut Tx<'_>,
    source_id: i64,
    key: &BatchKey,
    receipt: &IntakeReceipt,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM intake_receipts WHERE created_at_ms < $1")
        .bind(now_ms - KEEP_MS)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO intake_receipts (source_id, idempotency_key, batch_sha256, first_index, \
         last_index, event_count, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(source_id)
    .bind(&key.key)
    .bind(&key.batch_sha256)
    .bind(receipt.first_index as i64)
    .bind(receipt.last_index as i64)
    .bind(receipt.count as i64)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
