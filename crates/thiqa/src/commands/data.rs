//! migrate, backup, restore.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use thiqa_domain::{Clock, SystemClock};
use thiqa_store::{restore_into, Store};

use super::{load_config, load_existing_config, location, open_store};
use crate::cli::DataArgs;

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

pub async fn backup(data: DataArgs, out: PathBuf) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(&data)?;
    let store = open_store(&config).await?;
    store.backup_to(&out).await?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({size} bytes)", out.display());
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
    let stamp = SystemClock.now_s().to_string();
    let (check, kept) = restore_into(
        &config.data_dir,
        &file,
        &Store::sqlite_migration_versions(),
        &stamp,
    )
    .await
    .context("restore refused")?;
    println!(
        "restored {} into {}: {} operators, {} organisations, {} security events, migrations {:?}",
        file.display(),
        config.data_dir.display(),
        check.operators,
        check.organisations,
        check.events,
        check.migrations
    );
    if let Some(kept) = kept {
        println!("the previous database is kept as {}", kept.display());
    }
    // Apply migrations the backup may lack, so the server starts on it.
    let store = Store::open(&location(&config), Arc::new(SystemClock)).await?;
    store.close().await;
    thiqa_store::mark_data_dir(&config.data_dir)?;
    Ok(ExitCode::SUCCESS)
}
