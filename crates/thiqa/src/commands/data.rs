//! migrate, backup, restore.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use thiqa_domain::{Clock, SystemClock};
use thiqa_store::{restore_into, BackupOptions, RestoreRequest, Store};

use super::{load_config, load_existing_config, location, open_store};
use crate::args::DataArgs;

pub async fn migrate(data: DataArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&data, vec![])?;
    let store = open_store(&config).await?;
    let applied = store.applied_migrations().await?;
    println!("database: {:?}", location(&config));
    for (version, description) in store.known_migrations() {
        let state = if applied.contains(&version) {
            "applied"
        } else {
            "pending"
        };
        println!("  {version:04} {description}: {state}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(data: DataArgs, out: PathBuf, without_keys: bool) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(&data)?;
    let store = open_store(&config).await?;
    let blobs = config.blob_store().map_err(anyhow::Error::msg)?;
    let options = BackupOptions {
        include_keys: !without_keys,
    };
    let summary = store
        .backup_to(&config.data_dir, &blobs, &out, &options, &mut |step| {
            eprintln!("{step}")
        })
        .await?;
    println!(
        "backup written: {} ({} bytes)",
        out.display(),
        summary.bytes
    );
    println!(
        "  database: {} bytes, migrations up to {:04}",
        summary.database_bytes,
        summary.migrations.last().copied().unwrap_or(0)
    );
    if config.keys.wrapping_key_file.is_some() {
        println!("  signing keys: sealed in the database (restoring needs the wrapping key of keys.wrapping_key_file, which is not in the backup)");
    } else if summary.keys.is_empty() {
        println!("  signing keys: none (restoring needs them in <data-dir>/keys first)");
    } else {
        println!(
            "  signing keys: {} (keep this file as safe as the data directory)",
            summary.keys.join(", ")
        );
    }
    println!(
        "  evidence: {} file(s), {} bytes{}",
        summary.evidence_files,
        summary.evidence_bytes,
        if summary.evidence_in_archive {
            ""
        } else {
            ", listed (they stay in the bucket)"
        }
    );
    println!(
        "restore it with: thiqa restore {} (server stopped)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(data: DataArgs, file: PathBuf) -> anyhow::Result<ExitCode> {
    let config = load_config(&data, vec![])?;
    if config.database_url.is_some() {
        bail!("PostgreSQL databases are restored with pg_restore: pg_restore --clean --dbname \"$THIQA_DATABASE_URL\" thiqa.dump");
    }
    let blobs = config.blob_store().map_err(anyhow::Error::msg)?;
    let clock = Arc::new(SystemClock);
    let stamp = clock.now_s().to_string();
    let request = RestoreRequest {
        data_dir: &config.data_dir,
        blobs: &blobs,
        backup: &file,
        known_migrations: &Store::sqlite_migration_versions(),
        origin: &config.journal.origin,
        custody: &config.key_custody().map_err(anyhow::Error::msg)?,
        stamp: &stamp,
        clock: clock.clone(),
    };
    let report = restore_into(&request, &mut |step| eprintln!("{step}"))
        .await
        .context("restore refused")?;
    thiqa_store::mark_data_dir(&config.data_dir)?;
    let check = &report.check;
    println!(
        "restored {} into {}: {} operators, {} organisations, {} security events, migrations {:?}",
        file.display(),
        config.data_dir.display(),
        check.operators,
        check.organisations,
        check.events,
        check.migrations
    );
    println!(
        "  proven: journal of {} leaves verified ({} checkpoints), {} evidence file(s) found",
        report.journal_leaves, report.checkpoints_verified, report.evidence_files
    );
    if !report.keys.is_empty() {
        println!("  signing keys restored: {}", report.keys.join(", "));
    }
    for kept in &report.kept {
        println!("  kept what it replaced as {}", kept.display());
    }
    Ok(ExitCode::SUCCESS)
}
