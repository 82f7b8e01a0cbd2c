//! Operator accounts from the shell: the way in for the first operator, and
//! a way back when every administrator is locked out (the use cases are
//! `thiqa_app::operators`).

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use thiqa_app::operators::{self, NewOperator};
use thiqa_app::AppError;
use thiqa_crypto::totp::Totp;

use super::{app_over, load_config, load_existing_config};
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
            let app = app_over(&config).await?;
            let password = read_password(password_stdin)?;
            let created = operators::create_operator(
                &app,
                NewOperator {
                    provider_name: &provider,
                    username: &username,
                    display_name,
                    email,
                    password,
                    roles: &roles,
                },
            )
            .await
            .map_err(refused)?;
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
            let uri = Totp::default().provisioning_uri(
                &created.totp_secret,
                &config.totp_issuer,
                &created.username,
            );
            println!("  {}", uri.expose_secret());
            println!();
            println!("One-time recovery codes (keep them safe; shown only once):");
            for code in &created.recovery_codes {
                println!("  {}", code.expose_secret());
            }
            Ok(ExitCode::SUCCESS)
        }
        OperatorCommand::Unlock { data, username } => {
            let config = load_existing_config(&data)?;
            let app = app_over(&config).await?;
            operators::unlock_operator(&app, &username)
                .await
                .map_err(|e| no_such(e, &username))?;
            println!("operator {username} unlocked");
            Ok(ExitCode::SUCCESS)
        }
        OperatorCommand::ResetLink { data, username } => {
            let config = load_existing_config(&data)?;
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
            let app = app_over(&config).await?;
            let link =
                operators::operator_reset_link(&app, &username, config.reset_link_minutes * 60)
                    .await
                    .map_err(|e| no_such(e, &username))?;
            println!(
                "one-time link for {username}, valid until {}:",
                thiqa_app::time::format_utc(link.until)
            );
            println!(
                "  {}/reset/{}",
                base.trim_end_matches('/'),
                link.token.expose()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A refusal in the words the shell shows.
fn refused(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn no_such(e: AppError, username: &str) -> anyhow::Error {
    match e {
        AppError::NotFound => anyhow::anyhow!("no active operator named {username}"),
        other => refused(other),
    }
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
