//! `thiqa keys`: the wrapping key that seals the journal and dossier
//! signing keys in the database, for several instances sharing one
//! PostgreSQL (configuration key `keys.wrapping_key_file`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Write a new random wrapping key (256 bits, hex) to FILE, readable by
    /// its owner only; never overwrites. Give every instance the same file
    /// and name it in `keys.wrapping_key_file`.
    NewWrappingKey {
        /// File to write; must not exist.
        file: PathBuf,
    },
}

pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::NewWrappingKey { file } => {
            thiqa_store::write_new_wrapping_key(&file)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("wrapping key written: {}", file.display());
            println!(
                "  name it in every instance's configuration: [keys] wrapping_key_file = \"{}\" \
                 (or THIQA_KEYS_WRAPPING_KEY_FILE); the journal and dossier keys are then sealed \
                 in the database under it. Keep a copy apart from the database's backups.",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
