//! `thiqa dossier build` and `thiqa dossier verify`: the signed
//! qualification dossier of one service, and its offline check.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use thiqa_domain::ServiceId;
use thiqa_export::dossier;
use thiqa_server::AppState;
use thiqa_store::Actor;

use super::{load_existing_config, open_store};
use crate::cli::DataArgs;

#[derive(clap::Subcommand)]
pub enum DossierCommand {
    /// Build the signed dossier of a service (ZIP).
    Build {
        #[command(flatten)]
        data: DataArgs,
        /// Service id (shown in the console's URL: /services/<id>).
        #[arg(long)]
        service: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check every file's hash and the signature; names what was altered,
    /// added or removed. Exit status 1 on any problem.
    Verify {
        file: PathBuf,
        /// Expected public key (hex), e.g. from `thiqa dossier key`.
        #[arg(long)]
        key: Option<String>,
    },
    /// Print the provider's dossier public key (hex).
    Key {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(cmd: DossierCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DossierCommand::Build { data, service, out } => build(data, ServiceId(service), &out).await,
        DossierCommand::Verify { file, key } => verify(&file, key.as_deref()),
        DossierCommand::Key { data } => {
            let config = load_existing_config(&data)?;
            let key = thiqa_server::dossier::signing_key(&config.data_dir)?;
            println!(
                "{}",
                thiqa_server::dossier::hex(key.verifying_key().as_bytes())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn build(data: DataArgs, service: ServiceId, out: &Path) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(&data)?;
    let store = open_store(&config).await?;
    let app = AppState::new(store.clone(), config)?;
    let (provider, _) = store
        .default_provider()
        .await?
        .ok_or_else(|| anyhow!("no provider in this database"))?;
    if out.exists() {
        bail!("{} already exists", out.display());
    }
    let (count, public) =
        thiqa_server::dossier::build(&app, provider, service, out, &Actor::cli()).await?;
    println!("dossier written: {} ({count} files)", out.display());
    println!("signed with public key {public}");
    Ok(ExitCode::SUCCESS)
}

fn verify(file: &Path, expected_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let report = dossier::verify(std::io::BufReader::new(f))?;
    let mut ok = report.ok();
    println!("{} files checked", report.checked);
    println!(
        "signature: {}",
        if report.signature_valid {
            "valid"
        } else {
            "INVALID"
        }
    );
    if let Some(k) = expected_key {
        if !k.eq_ignore_ascii_case(&report.public_key) {
            println!("signed by another key: {}", report.public_key);
            ok = false;
        }
    }
    for f in &report.altered {
        println!("ALTERED: {f}");
    }
    for f in &report.added {
        println!("ADDED: {f}");
    }
    for f in &report.removed {
        println!("REMOVED: {f}");
    }
    println!(
        "{}",
        if ok {
            "dossier intact"
        } else {
            "dossier NOT intact"
        }
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
