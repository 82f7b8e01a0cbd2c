//! `thiqa dossier build` and `thiqa dossier verify`: the signed
//! qualification dossier of one service, and its offline check.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use thiqa_app::Shell;
use thiqa_domain::ServiceId;
use thiqa_export::dossier;

use super::{load_existing_config, open_app, open_reading_store};
use crate::args::DataArgs;

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
    /// Check the archive, every file's hash and the signature; names what
    /// was altered, added or removed. Exit status 1 on any problem, and
    /// when the signer's key is neither pinned (--key) nor explicitly
    /// trusted (--trust-embedded-key).
    Verify {
        file: PathBuf,
        /// Expected public key (hex) or its fingerprint, e.g. from
        /// `thiqa dossier key` or the provider portal's `/dossier/key`.
        #[arg(long)]
        key: Option<String>,
        /// Accept whatever key signed the dossier (anyone can re-sign a
        /// dossier with a key of their own: compare the printed
        /// fingerprint with the provider's published one).
        #[arg(long, conflicts_with = "key")]
        trust_embedded_key: bool,
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
        DossierCommand::Verify {
            file,
            key,
            trust_embedded_key,
        } => verify(&file, key.as_deref(), trust_embedded_key),
        DossierCommand::Key { data } => {
            // A read command: the key is created by the first dossier built.
            let config = load_existing_config(&data)?;
            let store = open_reading_store(&config).await?;
            let custody = config.key_custody().map_err(|e| anyhow!(e))?;
            let key = thiqa_app::dossier::key_in(&store, &custody, false).await?;
            let key = key.ok_or_else(|| {
                anyhow::anyhow!("no dossier key yet: the first thiqa dossier build creates it")
            })?;
            println!(
                "{}",
                thiqa_domain::text::hex(key.verifying_key().as_bytes())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn build(data: DataArgs, service: ServiceId, out: &Path) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(&data)?;
    let (app, provider) = open_app(&config).await?;
    if out.exists() {
        bail!("{} already exists", out.display());
    }
    let signer = Shell::for_provider(provider).dossier_signer();
    let built = thiqa_app::dossier::build(&app, &signer, service, out).await?;
    println!("dossier written: {} ({} files)", out.display(), built.files);
    println!(
        "signed with public key {} (fingerprint {})",
        built.public_key, built.fingerprint
    );
    println!(
        "manifest SHA-256 {} (journaled as dossier.build)",
        built.manifest_sha256
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(file: &Path, expected_key: Option<&str>, trust: bool) -> anyhow::Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let report = match dossier::verify(std::io::BufReader::new(f)) {
        Ok(r) => r,
        Err(dossier::DossierError::Invalid(why)) => {
            println!("{why}");
            println!("dossier NOT intact");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let mut ok = report.ok();
    println!("{} files checked", report.checked);
    println!(
        "signer key {} (fingerprint {})",
        report.public_key, report.fingerprint
    );
    println!(
        "signature: {}",
        if report.signature_valid {
            "valid"
        } else {
            "INVALID"
        }
    );
    match expected_key.map(str::trim) {
        // A manifest without a key has an empty one: never a match.
        Some(k)
            if !k.is_empty()
                && (k.eq_ignore_ascii_case(&report.public_key)
                    || k.eq_ignore_ascii_case(&report.fingerprint)) =>
        {
            println!("key: pinned, matches");
        }
        Some(_) => {
            println!("signed by another key: {}", report.public_key);
            ok = false;
        }
        None if trust => println!("key: NOT pinned, trusted as asked (--trust-embedded-key)"),
        None => {
            // Anyone can re-sign an altered dossier with a key of their own.
            println!(
                "key: NOT pinned: anyone can re-sign a dossier with their own key; \
                 compare the fingerprint with the provider's (its portal's /dossier/key, \
                 or `thiqa dossier key`) and pass --key, or --trust-embedded-key"
            );
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
        } else if report.ok() {
            "dossier NOT verified: its signer's key is not the one expected"
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
