//! `thiqa serve --demo`: loads the demo data (`thiqa_app::demo`) and
//! prints its public credentials and the operators' current codes.

use std::time::Duration;

use thiqa_app::demo::{self, ORGANISATION, PROVIDER, USERS};
use thiqa_app::App;
use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_domain::{Clock, Directory, SystemClock};

#[derive(Clone)]
pub struct DemoInfo {
    pub codes: Vec<(&'static str, TotpSecretText)>,
}

/// Demo TOTP secrets are public constants; kept as text to print codes.
#[derive(Clone)]
pub struct TotpSecretText(pub &'static str);

/// Loads the demo data once; later runs on the same data directory reuse it.
pub async fn load(app: &App) -> anyhow::Result<DemoInfo> {
    demo::load(app).await?;
    Ok(DemoInfo {
        codes: USERS
            .iter()
            .filter_map(|u| u.4.map(|s| (u.1, TotpSecretText(s))))
            .collect(),
    })
}

impl DemoInfo {
    pub fn print(&self, public_url: &str, admin_url: &str) {
        println!();
        println!("Demo data loaded ({PROVIDER}). These credentials are public: demo only.");
        println!();
        println!("Operator console {admin_url}  (second factor mandatory: TOTP secret below,");
        println!("  or the current code printed here every 30 s)");
        for (dir, user, name, password, secret, roles) in USERS {
            if *dir == Directory::Operators {
                let what = if roles.is_empty() {
                    "auditeur PASSI invité sur Atlas IaaS Souverain".to_string()
                } else {
                    roles.join(", ")
                };
                println!(
                    "  {user:<14} {password:<26} TOTP secret {}  ({name}: {what})",
                    secret.unwrap_or("-"),
                );
            }
        }
        println!();
        println!("Customer portal {public_url}  ({ORGANISATION})");
        for (dir, user, name, password, _, roles) in USERS {
            if *dir == Directory::Customers {
                println!("  {user:<14} {password:<26} ({name}: {})", roles.join(", "));
            }
        }
        println!();
    }
}

/// Prints the operators' current TOTP codes at each new 30-second step, so
/// the demo can be tried without an authenticator app.
pub async fn print_codes(info: DemoInfo) {
    let totp = Totp::default();
    let mut last_step = None;
    loop {
        let now = SystemClock.now_s().max(0) as u64;
        let step = Totp::step_at(now);
        if last_step != Some(step) {
            let line: Vec<String> = info
                .codes
                .iter()
                .filter_map(|(user, secret)| {
                    let s = TotpSecret::from_base32(secret.0).ok()?;
                    Some(format!("{user}={}", totp.code_for_step(&s, step)))
                })
                .collect();
            println!("demo TOTP codes (valid ~30 s): {}", line.join("  "));
            last_step = Some(step);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
