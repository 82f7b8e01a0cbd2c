//! Operator accounts from the shell: the way in for the first operator, and
//! a way back when every administrator is locked out.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use secrecy::{ExposeSecret, SecretString};
use thiqa_app::tenants::{role_by_name, seed_tenant, PROVIDER_ADMIN_ROLE};
use thiqa_crypto::password::{HashParams, PasswordHasher};
use thiqa_crypto::recovery;
use thiqa_crypto::strength::PasswordPolicy;
use thiqa_crypto::token::Token;
use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_domain::{Directory, Tenant, Username};
use thiqa_server::config::Config;
use thiqa_store::{Actor, NewAccount, Store};

use super::{load_config, load_existing_config, open_store};
use crate::args::OperatorCommand;

pub async fn run(cmd: OperatorCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        OperatorCommand::Create {
            data,
            username,
            display_name,
            email,
            password_stdin,
            provider,
            roles,
        } => {
            let config = load_config(&data, vec![])?;
            let store = open_store(&config).await?;
            let password = read_password(password_stdin)?;
            let created = create(
                &store,
                &config,
                &provider,
                &username,
                display_name,
                email,
                password,
                &roles,
            )
            .await?;
            println!(
                "operator {} created with roles: {}",
                created.username,
                created.roles.join(", ")
            );
            println!();
            println!(
                "Second factor (mandatory for operators). Add this to an authenticator app now;"
            );
            println!("it is shown only once:");
            println!("  {}", created.provisioning_uri.expose_secret());
            println!();
            println!("One-time recovery codes (keep them safe; shown only once):");
            for code in &created.recovery_codes {
                println!("  {}", code.expose_secret());
            }
            Ok(ExitCode::SUCCESS)
        }
        OperatorCommand::Unlock { data, username } => {
            let config = load_existing_config(&data)?;
            let store = open_store(&config).await?;
            let account = find(&store, &username).await?;
            store.unlock_account(&account, &Actor::cli()).await?;
            println!("operator {username} unlocked");
            Ok(ExitCode::SUCCESS)
        }
        OperatorCommand::ResetLink { data, username } => {
            let config = load_existing_config(&data)?;
            let store = open_store(&config).await?;
            let account = find(&store, &username).await?;
            let token = Token::generate()?;
            let until = store
                .create_password_reset(
                    &account,
                    token.hash().as_str(),
                    config.reset_link_minutes * 60,
                    &Actor::cli(),
                )
                .await?;
            let Some(base) = thiqa_server::links::link_base(
                config.admin_url.as_deref(),
                config.admin_listen,
                config.admin_tls.enabled(),
            ) else {
                anyhow::bail!(
                    "the console listens on {}: set `admin_url` (THIQA_ADMIN_URL) to the address operators use, so the link points there",
                    config.admin_listen
                );
            };
            println!(
                "one-time link for {username}, valid until {}:",
                thiqa_app::time::format_utc(until)
            );
            println!("  {}/reset/{}", base.trim_end_matches('/'), token.expose());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn find(store: &Store, username: &str) -> anyhow::Result<thiqa_store::Account> {
    store
        .account_by_username(Directory::Operators, username)
        .await?
        .filter(|a| a.is_active())
        .ok_or_else(|| anyhow!("no active operator named {username}"))
}

fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    let line = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line
    } else {
        let first = rpassword::prompt_password("Password: ")
            .context("reading the password (use --password-stdin when not on a terminal)")?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    };
    Ok(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

pub struct Created {
    pub username: String,
    pub roles: Vec<String>,
    pub provisioning_uri: SecretString,
    pub recovery_codes: Vec<SecretString>,
}

/// Creates an operator with password, TOTP and roles; creates the provider
/// (with its built-in roles) when the installation has none yet.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    store: &Store,
    config: &Config,
    provider_name: &str,
    username: &str,
    display_name: Option<String>,
    email: Option<String>,
    password: SecretString,
    roles: &[String],
) -> anyhow::Result<Created> {
    let username = Username::parse(username).map_err(|e| anyhow!("username: {e}"))?;
    let display_name = display_name.unwrap_or_else(|| username.to_string());
    let policy = PasswordPolicy::new(config.password.min_length, 128, config.password.min_score)?;
    if let Err(rejection) = policy.check(
        &password,
        &[
            username.as_str(),
            &display_name,
            email.as_deref().unwrap_or(""),
        ],
    ) {
        bail!("password refused: {rejection}");
    }
    let hasher = PasswordHasher::new(HashParams {
        memory_kib: config.password.argon2_memory_kib,
        iterations: config.password.argon2_iterations,
        parallelism: config.password.argon2_parallelism,
    })?;
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&password)).await??;
    let actor = Actor::cli();
    let provider = match store.default_provider().await? {
        Some((id, _)) => id,
        None => {
            let id = store.create_provider(provider_name, &actor).await?;
            seed_tenant(store, Tenant::Provider(id), &actor).await?;
            id
        }
    };
    let tenant = Tenant::Provider(provider);
    let first = store.accounts_of(tenant).await?.is_empty();
    let roles: Vec<String> = if roles.is_empty() && first {
        vec![PROVIDER_ADMIN_ROLE.to_string()]
    } else {
        roles.to_vec()
    };
    let mut role_ids = Vec::new();
    let mut held = thiqa_domain::PermissionSet::new();
    for name in &roles {
        let id = role_by_name(store, tenant, name)
            .await?
            .ok_or_else(|| anyhow!("no role named \"{name}\""))?;
        for p in store.role(tenant, id).await?.permissions {
            held.insert(p);
        }
        role_ids.push(id);
    }
    // Check the roles together before creating anything, so a refused
    // combination leaves no half-made account behind.
    thiqa_domain::separation::check(&held, &store.incompatible_pairs(tenant).await?)?;
    let id = store
        .create_account(
            Directory::Operators,
            NewAccount {
                tenant,
                username: username.to_string(),
                display_name,
                email,
                password_hash: Some(hash),
                totp_secret: None,
                language: "fr".into(),
            },
            &actor,
        )
        .await?;
    let account = store.account(Directory::Operators, id).await?;
    let secret = TotpSecret::generate()?;
    let codes = recovery::generate(&account.username, recovery::DEFAULT_COUNT)?;
    store
        .enable_totp(
            &account,
            secret.to_base32().expose_secret(),
            0,
            &codes.hashes,
            &actor,
        )
        .await?;
    for role in role_ids {
        store.assign_role(tenant, id, role, &actor).await?;
    }
    Ok(Created {
        username: username.to_string(),
        roles,
        provisioning_uri: Totp::default().provisioning_uri(
            &secret,
            &config.totp_issuer,
            username.as_str(),
        ),
        recovery_codes: codes.codes,
    })
}
