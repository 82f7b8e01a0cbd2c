//! Demo data: a provider with three operators (showing separation of
//! duties), a vetted support engineer and an invited PASSI auditor, two services, the first one part
//! assessed and under audit with two findings, and a commanditaire with
//! three users. The demo credentials are fixed and public: never load the
//! demo into an installation that holds real data.

use secrecy::SecretString;
use thiqa_domain::{Directory, ProviderId, ServiceId, Tenant};
use thiqa_store::{Actor, NewAccount, NewService, SecondFactor};

use crate::signin::hash_password;
use crate::tenants::{role_by_name, seed_tenant};
use crate::{App, AppError};

pub const PROVIDER: &str = "Atlas Cloud Maroc (démo)";
pub const ORGANISATION: &str = "Banque Exemple du Maroc (démo)";

/// (directory, username, display name, password, TOTP secret, roles)
pub type DemoUser = (
    Directory,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

pub const USERS: &[DemoUser] = &[
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
    // A support engineer, vetted (3.3.1), whose request for access to the
    // bank's data awaits its consent (3.5.7).
    (
        Directory::Operators,
        "support",
        "Samir Ouazzani",
        "Atlas-demo-support-2026",
        Some("MF2GYYLTFVZXK4DQN5ZHILLEMVWW6IJB"),
        &["Support technique"],
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

/// Loads the demo data into an installation that has no provider yet;
/// false (nothing done) when it has one, so later runs on the same data
/// reuse what the first loaded.
pub async fn load(app: &App) -> Result<bool, AppError> {
    let store = &app.store;
    if store.default_provider().await?.is_some() {
        return Ok(false);
    }
    let actor = Actor::system();
    let provider = store.create_provider(PROVIDER, &actor).await?;
    let pt = Tenant::Provider(provider);
    seed_tenant(store, pt, &actor).await?;
    let org = store
        .provider(provider)
        .create_organisation(ORGANISATION, false, &actor)
        .await?;
    let ot = Tenant::Organisation(org);
    seed_tenant(store, ot, &actor).await?;
    for (dir, username, display, password, secret, roles) in USERS {
        let tenant = if *dir == Directory::Operators { pt } else { ot };
        let hash = hash_password(app, SecretString::from(password.to_string())).await?;
        let mut role_ids = Vec::new();
        for role in *roles {
            role_ids.push(
                role_by_name(store, tenant, role)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("demo role {role}")))?,
            );
        }
        store
            .tenant(tenant)
            .create_account_with(
                NewAccount {
                    username: username.to_string(),
                    display_name: display.to_string(),
                    email: Some(format!("{username}@demo.thiqa.ma")),
                    password_hash: Some(hash),
                    totp_secret: None,
                    language: "fr".into(),
                },
                secret.map(|secret| SecondFactor {
                    secret,
                    last_step: 0,
                    recovery_hashes: &[],
                }),
                &role_ids,
                &actor,
            )
            .await?;
    }
    let facts = serde_json::json!({"internal_development": false}).to_string();
    let mut services = Vec::new();
    for service in [
        NewService {
            name: "Atlas IaaS Souverain",
            description: "Machines virtuelles et stockage en bloc, hébergés à Rabat et Casablanca.",
            model: "iaas",
            level: 2,
            facts_json: &facts,
        },
        NewService {
            name: "Atlas Messagerie",
            description: "Messagerie collaborative en SaaS.",
            model: "saas",
            level: 1,
            facts_json: "{}",
        },
    ] {
        services.push(
            store
                .provider(provider)
                .create_service(&service, &actor)
                .await?,
        );
    }
    // The first service is the one assessed and audited.
    assess_demo_service(app, provider, services[0]).await?;
    audit_demo_service(app, provider, services[0]).await?;
    let contract = contract_demo_service(app, provider, org, services[0]).await?;
    incident_demo_preferences(app, ot).await?;
    notices_demo(app, provider, ot, services[0]).await?;
    support_demo(app, provider, contract).await?;
    Ok(true)
}

/// The support engineer's checks recorded by the account administrator,
/// and its request for access to the bank's volumes, awaiting the bank's
/// consent (3.5.7), so the portal's support page shows real content.
async fn support_demo(
    app: &App,
    provider: ProviderId,
    contract: thiqa_domain::ContractId,
) -> Result<(), AppError> {
    use thiqa_store::NewSupportRequest;
    let operator = |name: &'static str| async move {
        app.store
            .account_by_username(Directory::Operators, name)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo account {name}")))
    };
    let (admin, engineer) = (operator("admin").await?, operator("support").await?);
    let as_actor = |a: &thiqa_store::Account| Actor {
        directory: Some(Directory::Operators),
        id: Some(a.id),
        name: a.username.clone(),
        source_ip: None,
    };
    let scope = app.store.provider(provider);
    scope
        .record_vetting(engineer.id, "RH-2026-031", "2026-02-16", &as_actor(&admin))
        .await?;
    let now = app.store.clock().now_ms();
    let hour = 3_600_000;
    let settings = crate::support::SupportSettings::default();
    scope
        .create_support_request(
            &NewSupportRequest {
                contract,
                operator: engineer.id,
                reason: "Latence anormale des volumes de la base de production ; diagnostic \
                         des files d'entrée-sortie sur les hôtes concernés."
                    .into(),
                ticket: "INC-2026-0417".into(),
                resources: vec!["vm-bdd-prod-01".into(), "vol-bdd-prod-01".into()],
                abroad: false,
                country: None,
                jump_host: None,
                starts_at: now,
                ends_at: now + 4 * hour,
                answer_by: now + settings.request_hours * hour,
            },
            &as_actor(&engineer),
        )
        .await?;
    Ok(())
}

/// Two notices to the bank: a planned operation it has acknowledged, and a
/// change of subcontractor awaiting its consent (3.8.2, 3.11.1), so the
/// portal's inbox and the console's answers show real content.
async fn notices_demo(
    app: &App,
    provider: ProviderId,
    bank: Tenant,
    service: ServiceId,
) -> Result<(), AppError> {
    use crate::notices::{send_for, NoticeInput, NoticeText};
    use thiqa_store::NoticeAnswer;
    let now_s = app.store.clock().now_s();
    let day = |d: i64| now_s + d * 86_400;
    let service = service.0.to_string();
    // Through the console's own check and sending: the demo's notices
    // carry exactly what their kinds in notices/kinds.toml ask.
    let send = async |kind: &str, title: &str, fields: &[(&str, &str)]| {
        let input = NoticeInput::check(&NoticeText {
            kind,
            title,
            services: vec![service.as_str()],
            answer_by: "",
            fields: fields.to_vec(),
        })
        .map_err(|p| AppError::Internal(format!("demo notice {kind}: {p:?}")))?;
        send_for(app, provider, &input, &Actor::system()).await
    };
    let (starts, ends) = (
        crate::time::rfc3339(day(7)),
        crate::time::rfc3339(day(7) + 4 * 3600),
    );
    let operation = send(
        "planned-operation",
        "Mise à jour des hyperviseurs — zone Rabat",
        &[
            ("starts_at", &starts[..16]),
            ("ends_at", &ends[..16]),
            ("nature", "Mise à jour de sécurité des hyperviseurs, migration à chaud des machines virtuelles."),
            ("impacts", "Aucune interruption attendue ; performances réduites de 10 % pendant la migration."),
            ("contact", "Centre de supervision Atlas — noc@atlas-cloud.ma — 05 37 00 00 00"),
        ],
    )
    .await?;
    let effective = crate::time::iso_date(day(45));
    send(
        "subcontractor-change",
        "Nouveau prestataire de sauvegarde hors site",
        &[
            ("third_party", "Sauvegarde Maroc SA"),
            ("change", "ajout"),
            (
                "role",
                "Conserve les copies chiffrées des sauvegardes ; n'a pas accès aux clés.",
            ),
            ("location", "Benguerir (MA)"),
            ("effective_on", &effective),
        ],
    )
    .await?;
    // The bank's administrator has read the operation's notice.
    let karim = app
        .store
        .account_by_username(Directory::Customers, "karim")
        .await?
        .ok_or_else(|| AppError::Internal("demo account karim".into()))?;
    let actor = Actor {
        directory: Some(Directory::Customers),
        id: Some(karim.id),
        name: "karim".into(),
        source_ip: None,
    };
    app.store
        .tenant(bank)
        .answer_notice(operation.id, NoticeAnswer::Acknowledge, "", &actor)
        .await?;
    Ok(())
}

/// The bank's security approver is e-mailed critical and high incidents,
/// its reader sees critical ones in the portal's inbox (3.12.2).
async fn incident_demo_preferences(app: &App, bank: Tenant) -> Result<(), AppError> {
    use thiqa_store::IncidentPreference;
    let mut chosen = Vec::new();
    for (username, severities, channel) in [
        ("salma", &["critical", "high"][..], "email"),
        ("youssef", &["critical"][..], "inbox"),
    ] {
        let account = app
            .store
            .account_by_username(Directory::Customers, username)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo account {username}")))?;
        for severity in severities {
            chosen.push(IncidentPreference {
                severity: severity.to_string(),
                user_id: account.id,
                channel: channel.into(),
            });
        }
    }
    Ok(app
        .store
        .tenant(bank)
        .set_incident_preferences(&chosen, &Actor::system())
        .await?)
}

/// The bank's contract on the first service: its data in Rabat, its
/// security contact, and a checklist half filled, so both the console and
/// the portal show what a gap looks like.
async fn contract_demo_service(
    app: &App,
    provider: ProviderId,
    org: thiqa_domain::OrganisationId,
    service: ServiceId,
) -> Result<thiqa_domain::ContractId, AppError> {
    use thiqa_store::{ClauseState, Contact, NewContract};
    let scope = app.store.provider(provider);
    let actor = Actor::system();
    let mut sites = Vec::new();
    for (name, city) in [
        ("DC Rabat Technopolis", "Rabat"),
        ("DC Casablanca Nearshore", "Casablanca"),
    ] {
        sites.push(scope.add_site(service, name, city, "MA", &actor).await?);
    }
    let contract = scope
        .create_contract(
            &NewContract {
                organisation: org,
                service,
                reference: "CONV-2026-001 (démo)".into(),
                level: 2,
                starts_on: "2026-01-01".into(),
                ends_on: None,
                sites,
                contacts: vec![
                    Contact {
                        role: "security".into(),
                        name: "Salma Berrada".into(),
                        email: "salma@banque-exemple.ma".into(),
                    },
                    Contact {
                        role: "technical".into(),
                        name: "Karim El Idrissi".into(),
                        email: "karim@banque-exemple.ma".into(),
                    },
                ],
            },
            &actor,
        )
        .await?;
    for (clause, where_) in [
        ("3.15.1.a", "préambule"),
        ("3.15.1.c.3", "article 4"),
        ("3.15.1.g", "article 12"),
    ] {
        let state = ClauseState {
            present: true,
            reference: where_.into(),
            evidence: None,
        };
        scope.set_clause(contract, clause, &state, &actor).await?;
    }
    Ok(contract)
}

/// An audit under way on the first service: the demo auditor is invited for
/// 90 days and has recorded two findings, one already answered and planned.
async fn audit_demo_service(
    app: &App,
    provider: ProviderId,
    service: ServiceId,
) -> Result<(), AppError> {
    use thiqa_store::{NewAction, NewEngagement, NewFinding};
    let store = &app.store;
    let auditor = store
        .account_by_username(Directory::Operators, "auditeur")
        .await?
        .ok_or_else(|| AppError::Internal("demo auditor".into()))?;
    let now = store.clock().now_s();
    let engagement = store
        .provider(provider)
        .create_engagement(
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
        .provider(provider)
        .record_finding(
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
        .provider(provider)
        .record_finding(
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
        .provider(provider)
        .respond_to_finding(
            service,
            tls,
            "Désactivation de TLS 1.0 et 1.1 planifiée (démo).",
            None,
            &Actor::system(),
        )
        .await?;
    store
        .provider(provider)
        .create_action(
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
    app: &App,
    provider: ProviderId,
    service: ServiceId,
) -> Result<(), AppError> {
    use thiqa_domain::{AssessmentInput, AssessmentStatus};
    let catalog = app.catalog;
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
    app.store
        .provider(provider)
        .save_assessments(service, &inputs, &Actor::system())
        .await?;
    Ok(())
}
