//! `thiqa dossier build` and `thiqa dossier verify`: the signed
//! qualification dossier of one service, and its offline check.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use ed25519_dalek::SigningKey;
use serde_json::json;
use thiqa_domain::ServiceId;
use thiqa_export::dossier::{self, Source};
use thiqa_server::i18n::Lang;
use thiqa_server::AppState;
use thiqa_store::{Actor, NewEvent};

use super::{load_config, open_store};
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
            let config = load_config(&data, vec![])?;
            let key = signing_key(&config.data_dir)?;
            println!("{}", hex(key.verifying_key().as_bytes()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The provider's dossier key, created on first use in
/// `<data_dir>/keys/dossier.ed25519` (readable by its owner only).
fn signing_key(data_dir: &Path) -> anyhow::Result<SigningKey> {
    let path = data_dir.join("keys").join("dossier.ed25519");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes: Vec<u8> = (0..text.trim().len() / 2)
            .map(|i| u8::from_str_radix(&text.trim()[2 * i..2 * i + 2], 16))
            .collect::<Result<_, _>>()
            .context("reading the dossier key")?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow!("{} is not a 32-byte key", path.display()))?;
        return Ok(SigningKey::from_bytes(&seed));
    }
    std::fs::create_dir_all(path.parent().unwrap_or(data_dir))?;
    let seed = thiqa_crypto::secret_seed()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(hex(seed.as_slice()).as_bytes())?;
    Ok(SigningKey::from_bytes(&seed))
}

async fn build(data: DataArgs, service: ServiceId, out: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(&data, vec![])?;
    let store = open_store(&config).await?;
    let key = signing_key(&config.data_dir)?;
    let app = AppState::new(store.clone(), config.clone())?;
    let (provider, _) = store
        .default_provider()
        .await?
        .ok_or_else(|| anyhow!("no provider in this database"))?;
    let page = |e: thiqa_server::web::error::PageError| anyhow!("{e:?}");
    let (name, profile, rows) =
        thiqa_server::pages::reports::soa_rows(&app, provider, service, Lang::Fr)
            .await
            .map_err(page)?;
    let mut files: Vec<(String, Source)> = Vec::new();
    let mut csv = Vec::new();
    thiqa_export::soa_csv(&rows, &mut csv)?;
    files.push((
        "soa/declaration-applicabilite.csv".into(),
        Source::Bytes(csv),
    ));
    let chapters: Vec<(String, String)> = app
        .catalog
        .chapters
        .iter()
        .map(|c| (c.id.clone(), c.title_fr.clone()))
        .collect();
    files.push((
        "soa/declaration-applicabilite.xlsx".into(),
        Source::Bytes(thiqa_export::soa_xlsx(&name, &chapters, &rows)?),
    ));
    files.push((
        "catalog/oscal-catalog.json".into(),
        Source::Bytes(serde_json::to_vec_pretty(&thiqa_catalog::oscal::catalog(
            app.catalog,
            thiqa_catalog::Lang::Fr,
        ))?),
    ));
    let assessments = store.assessments(provider, service).await?;
    files.push((
        "assessment/assessments.json".into(),
        Source::Bytes(serde_json::to_vec_pretty(&assessments)?),
    ));
    files.push((
        "assessment/action-plan.json".into(),
        Source::Bytes(serde_json::to_vec_pretty(
            &store.actions(provider, service).await?,
        )?),
    ));
    let evidence = store.evidence(provider, service, None).await?;
    files.push((
        "evidence/index.json".into(),
        Source::Bytes(serde_json::to_vec_pretty(&evidence)?),
    ));
    for e in &evidence {
        if let (Some(sha), Some(fname)) = (&e.sha256, &e.filename) {
            let path = app
                .blobs
                .path_of(sha)
                .ok_or_else(|| anyhow!("evidence {} ({fname}): stored file missing", e.id))?;
            files.push((format!("evidence/{}-{fname}", e.id), Source::File(path)));
        }
    }
    let meta = json!({
        "dossier": "Thiqa qualification dossier",
        "service": {"id": service.0, "name": name, "profile": profile},
        "catalog": {"id": app.catalog.id(), "version": app.catalog.version()},
        "generated_at": thiqa_server::auth::login::format_utc(store.clock().now_s()),
        "generator": format!("thiqa {}", env!("CARGO_PKG_VERSION")),
    });
    if out.exists() {
        bail!("{} already exists", out.display());
    }
    let tmp = out.with_extension("zip.partial");
    let file = std::fs::File::create(&tmp)?;
    let count = files.len();
    let result = dossier::build(std::io::BufWriter::new(file), files, meta, &key);
    match result {
        Ok(w) => {
            w.into_inner().map_err(|e| anyhow!("{e}"))?.sync_all()?;
            std::fs::rename(&tmp, out)?;
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    }
    store
        .record_event(
            &Actor::cli(),
            NewEvent::success("dossier.build")
                .target(format!("service:{}", service.0))
                .tenant(thiqa_domain::Tenant::Provider(provider))
                .details(format!(
                    "{} files, key {}",
                    count,
                    hex(key.verifying_key().as_bytes())
                )),
        )
        .await?;
    println!("dossier written: {} ({count} files)", out.display());
    println!(
        "signed with public key {}",
        hex(key.verifying_key().as_bytes())
    );
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
