//! One module per command; shared set-up (configuration, store) here.

pub mod catalog;
pub mod data;
mod demo;
pub mod dossier;
pub mod journal;
pub mod keys;
pub mod operator;
pub mod serve;

use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use thiqa_domain::SystemClock;
use thiqa_server::config::{Config, Overrides};
use thiqa_store::{DatabaseLocation, Store};

use crate::args::DataArgs;

/// Defaults, then the TOML file, then `THIQA_*` variables, then flags.
pub fn load_config(data: &DataArgs, mut overrides: Overrides) -> anyhow::Result<Config> {
    if let Some(dir) = &data.data_dir {
        overrides.push(("data_dir", toml::Value::String(dir.display().to_string())));
    }
    Ok(Config::load(
        data.config.as_deref(),
        thiqa_env()?,
        overrides,
    )?)
}

/// The `THIQA_*` variables of the environment. Others are not ours and are
/// never read, whatever bytes they hold (`std::env::vars` would panic on a
/// value that is not UTF-8); one of ours that is not UTF-8 is named.
fn thiqa_env() -> anyhow::Result<Vec<(String, String)>> {
    use std::os::unix::ffi::OsStrExt;
    let mut ours = Vec::new();
    for (name, value) in std::env::vars_os() {
        if !name.as_bytes().starts_with(b"THIQA_") {
            continue;
        }
        let (Some(name_text), Some(value)) = (name.to_str(), value.to_str()) else {
            anyhow::bail!(
                "environment variable {}: its value is not UTF-8 text",
                name.to_string_lossy()
            );
        };
        ours.push((name_text.to_string(), value.to_string()));
    }
    Ok(ours)
}

/// The configuration of a command that reads an existing installation
/// (verify, prove, back up, print keys…): a data directory without a
/// database is refused instead of being created empty and reported healthy,
/// which is what a mistyped `--data-dir` would otherwise give.
pub fn load_existing_config(data: &DataArgs) -> anyhow::Result<Config> {
    let config = load_config(data, vec![])?;
    if config.database_url.is_none() {
        let file = thiqa_store::DatabaseLocation::sqlite_path(&config.data_dir);
        if !file.is_file() {
            anyhow::bail!(
                "no Thiqa database in {} (is --data-dir right? `thiqa serve` creates one there)",
                config.data_dir.display()
            );
        }
    }
    Ok(config)
}

pub fn location(config: &Config) -> DatabaseLocation {
    match &config.database_url {
        Some(url) => DatabaseLocation::Postgres {
            url: url.expose_secret().to_string(),
        },
        None => DatabaseLocation::Sqlite {
            data_dir: config.data_dir.clone(),
        },
    }
}

/// The store of a command that only reads: on SQLite it writes nothing
/// (no migration, no WAL index), so it also works on a read-only copy of a
/// data directory.
pub async fn open_reading_store(config: &Config) -> anyhow::Result<Store> {
    match config.database_url {
        Some(_) => open_store(config).await,
        None => Store::open_read_only(&config.data_dir, Arc::new(SystemClock))
            .await
            .with_context(|| {
                format!(
                    "opening the database in {} to read",
                    config.data_dir.display()
                )
            }),
    }
}

pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let location = location(config);
    Store::open(&location, Arc::new(SystemClock))
        .await
        .with_context(|| format!("opening the database {location:?}"))
}

/// The use cases' parts over the database, the evidence files and the keys
/// the configuration names, with its lockout and sign-in rules.
pub async fn app_over(config: &Config) -> anyhow::Result<thiqa_app::App> {
    let store = open_store(config).await?;
    config.app(store).map_err(|e| anyhow::anyhow!(e))
}

/// [`app_over`], and the provider the command acts for (the database's
/// first: one provider per installation).
pub async fn open_app(
    config: &Config,
) -> anyhow::Result<(thiqa_app::App, thiqa_domain::ProviderId)> {
    let app = app_over(config).await?;
    let Some((provider, _)) = app.store.default_provider().await? else {
        anyhow::bail!("no provider yet: create the first operator (thiqa operator create) first");
    };
    Ok((app, provider))
}
