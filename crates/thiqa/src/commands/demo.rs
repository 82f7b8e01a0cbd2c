//! Demo data: a provider with three operators (showing separation of
//! duties), two services, a commanditaire with three users. The demo
//! credentials are fixed and public: never use `thiqa demo` for real data.

use std::time::Duration;

use anyhow::anyhow;
use secrecy::SecretString;
use thiqa_app::tenants::{role_by_name, seed_tenant};
use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_domain::{Clock, Directory, SystemClock, Tenant};
use thiqa_server::config::Config;
use thiqa_store::{Actor, NewAccount, NewService, Store};

pub const PROVIDER: &str = "Atlas Cloud Maroc (démo)";
const ORGANISATION: &str = "Banque Exemple du Maroc (démo)";

/// (directory, username, display name, password, TOTP secret, roles)
type DemoUser = (
    Directory,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

const USERS: &[DemoUser] = &[
    (
        Directory::Operators,
        "admin",
        "Amal Bennani",
        "Atlas-demo-console-2026",
        Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        &["Administrateur des comptes", "Responsable conformité"],
    ),
    (
        Directory::Operators,
        "habilitations",
        "Hicham Alaoui",
        "Atlas-demo-approval-2026",
        Some("KRUGS4ZANFZSAYJAMRSW23ZAONSWG4TF"),
        &["Approbateur des accès"],
    ),
    (
        Directory::Operators,
        "rssi",
        "Rachida Tazi",
        "Atlas-demo-security-2026",
        Some("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
        &["RSSI"],
    ),
    // An external PASSI auditor: no role, access through an engagement.
    (
        Directory::Operators,
        "auditeur",
        "Nadia Filali",
        "Atlas-demo-auditor-2026",
        Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        &[],
    ),
    (
        Directory::Customers,
        "karim",
        "Karim El Idrissi",
        "Banque-demo-portal-2026",
        None,
        &["Administrateur de l'organisation"],
    ),
    (
        Directory::Customers,
        "salma",
        "Salma Berrada",
        "Banque-demo-approve-2026",
        None,
        &["Approbateur des accès"],
    ),
    (
        Directory::Customers,
        "youssef",
        "Youssef Chraibi",
        "Banque-demo-reader-2026",
        None,
        &["Utilisateur"],
    ),
];

#[derive(Clone)]
pub struct DemoInfo {
    pub codes: Vec<(&'static str, TotpSecretText)>,
}

/// Demo TOTP secrets are public constants; kept as text to print codes.
#[derive(Clone)]
pub struct TotpSecretText(pub &'static str);

/// Loads the demo data once; later runs on the same data directory reuse it.
pub async fn load(store: &Store, config: &Config) -> anyhow::Result<DemoInfo> {
    let info = DemoInfo {
        codes: USERS
            .iter()
            .filter_map(|u| u.4.map(|s| (u.1, TotpSecretText(s))))
            .collect(),
    };
    if store.default_provider().await?.is_some() {
        return Ok(info);
    }
    let actor = Actor::system();
    let hasher = config.sign_in_rules()?.hasher;
    let provider = store.create_provider(PROVIDER, &actor).await?;
    let pt = Tenant::Provider(provider);
    seed_tenant(store, pt, &actor).await?;
    let org = store
        .create_organisation(provider, ORGANISATION, false, &actor)
        .await?;
    let ot = Tenant::Organisation(org);
    seed_tenant(store, ot, &actor).await?;
    for (dir, username, display, password, secret, roles) in USERS {
        let tenant = if *dir == Directory::Operators { pt } else { ot };
        let hash = hasher.hash(&SecretString::from(password.to_string()))?;
        let id = store
            .create_account(
                *dir,
                NewAccount {
                    tenant,
                    username: username.to_string(),
                    display_name: display.to_string(),
                    email: Some(format!("{username}@demo.thiqa.ma")),
                    password_hash: Some(hash),
                    totp_secret: None,
                    language: "fr".into(),
                },
                &actor,
            )
            .await?;
        if let Some(secret) = secret {
            let account = store.account(*dir, id).await?;
            store.enable_totp(&account, secret, 0, &[], &actor).await?;
        }
        for role in *roles {
            let role_id = role_by_name(store, tenant, role)
                .await?
                .ok_or_else(|| anyhow!("demo role {role}"))?;
            store.assign_role(tenant, id, role_id, &actor).await?;
        }
    }
    let facts = serde_json::json!({"internal_development": false}).to_string();
    for service in [
        NewService {
            provider,
            name: "Atlas IaaS Souverain",
            description: "Machines virtuelles et stockage en bloc, hébergés à Rabat et Casablanca.",
            model: "iaas",
            level: 2,
            facts_json: &facts,
        },
        NewService {
            provider,
            name: "Atlas Messagerie",
            description: "Messagerie collaborative en SaaS.",
            model: "saas",
            level: 1,
            facts_json: "{}",
        },
    ] {
        store.create_service(&service, &actor).await?;
    }
    assess_demo_service(store, provider).await?;
    audit_demo_service(store, provider).await?;
    Ok(info)
}

/// An audit under way on the first service: the demo auditor is invited for
/// 90 days and has recorded two findings, one already answered and planned.
async fn audit_demo_service(
    store: &Store,
    provider: thiqa_domain::ProviderId,
) -> anyhow::Result<()> {
    use thiqa_domain::ServiceId;
    use thiqa_store::{NewAction, NewEngagement, NewFinding};
    let service = ServiceId(1);
    let auditor = store
        .account_by_username(Directory::Operators, "auditeur")
        .await?
        .ok_or_else(|| anyhow!("demo auditor"))?;
    let now = SystemClock.now_s();
    let engagement = store
        .create_engagement(
            provider,
            &NewEngagement {
                service,
                auditor_id: auditor.id,
                firm: "Cabinet Atlas Audit PASSI (démo)".into(),
                starts_at: now - 86_400,
                expires_at: now + 90 * 86_400,
            },
            &Actor::system(),
        )
        .await?;
    let as_auditor = Actor {
        directory: Some(Directory::Operators),
        id: Some(auditor.id),
        name: auditor.username.clone(),
        source_ip: None,
    };
    let tls = store
        .record_finding(
            provider,
            service,
            Some(engagement),
            &NewFinding {
                obligation_id: "3.6.2.a".into(),
                severity: "major".into(),
                description: "L'interface d'administration accepte encore TLS 1.0 (démo).".into(),
            },
            &as_auditor,
        )
        .await?;
    store
        .record_finding(
            provider,
            service,
            Some(engagement),
            &NewFinding {
                obligation_id: "3.1.1.a".into(),
                severity: "observation".into(),
                description: "La politique de sécurité n'est pas datée (démo).".into(),
            },
            &as_auditor,
        )
        .await?;
    store
        .respond_to_finding(
            provider,
            service,
            tls,
            "Désactivation de TLS 1.0 et 1.1 planifiée (démo).",
            None,
            &Actor::system(),
        )
        .await?;
    store
        .create_action(
            provider,
            service,
            &NewAction {
                title: "Retirer TLS 1.0 et 1.1 de l'interface d'administration".into(),
                description: String::new(),
                owner: "rssi".into(),
                due_date: "2027-01-31".into(),
                obligations: vec!["3.6.2.a".into()],
                findings: vec![tls],
            },
            &Actor::system(),
        )
        .await?;
    Ok(())
}

/// A self-assessment under way on the first demo service, so the dashboard
/// has something to show: chapters 3.1–3.3 mostly done, a few gaps.
async fn assess_demo_service(
    store: &Store,
    provider: thiqa_domain::ProviderId,
) -> anyhow::Result<()> {
    use thiqa_domain::{AssessmentInput, AssessmentStatus, ServiceId};
    let catalog = thiqa_catalog::dgssi_cloud_2025();
    let mut inputs = Vec::new();
    for (i, (chapter, _, o)) in catalog.obligations().enumerate() {
        if !["3.1", "3.2", "3.3", "3.6"].contains(&chapter.id.as_str()) {
            continue;
        }
        let status = match i % 7 {
            0 => AssessmentStatus::PartiallyCompliant,
            3 => AssessmentStatus::NonCompliant,
            _ => AssessmentStatus::Compliant,
        };
        let input = AssessmentInput {
            status,
            statement: format!("Voir la procédure interne PR-{:03} (démo).", i + 1),
            justification: String::new(),
            owner: if chapter.id == "3.6" {
                "rssi".into()
            } else {
                "conformite".into()
            },
            next_review: if i % 5 == 0 {
                "2026-12-15".into()
            } else {
                "2027-06-30".into()
            },
        };
        inputs.push((o.id.clone(), input));
    }
    store
        .save_assessments(provider, ServiceId(1), &inputs, &Actor::system())
        .await?;
    Ok(())
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
