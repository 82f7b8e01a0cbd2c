//! `thiqa-bench notices`: one notice to 10,000 recipients in 1,000
//! organisations (issue 14). Measured against the real `thiqa serve` and a
//! real SMTP server (aiosmtpd, the delivery crate's test server): the time
//! the console's POST takes to commit the notice with its 10,000 outbox
//! rows, the rate at which the outbox then delivers them, the server's
//! peak resident memory while it does, and the console's p99 during
//! delivery beside its idle p99 measured in the same run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream as StdTcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use thiqa_app::tenants::{seed_tenant, PROVIDER_ADMIN_ROLE};
use thiqa_domain::{Permission, Tenant};
use thiqa_store::{Actor, Contact, NewAccount, NewContract, NewService};

use crate::load::{load_at_rate, on_own_thread, Figures};
use crate::pages::{bench_dir, prepare_at, proc_kib, reset_peak, Server, Watch, CSRF};

#[derive(clap::Args)]
pub struct NoticesArgs {
    /// Commanditaire organisations, each with a contract on the service.
    #[arg(long, default_value_t = 1000)]
    organisations: usize,
    /// Members with an e-mail address per organisation.
    #[arg(long, default_value_t = 10)]
    members: usize,
    /// Seconds of console load, idle and then during delivery.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Requests/s offered to the console in both runs (open loop).
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Where the benchmark data directory goes (default: the system's temporary directory).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

/// The SMTP server the delivery crate's tests use (aiosmtpd), in its
/// `raw` mode: it stores the bytes and parses nothing, so what is measured
/// is Thiqa's sending, not Python's e-mail parser.
const SMTP_SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../thiqa-delivery/tests/support/smtp_server.py"
);

struct SmtpServer {
    child: Child,
    port: u16,
}

impl SmtpServer {
    fn start(dir: &Path) -> anyhow::Result<SmtpServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new("python3")
            .arg(SMTP_SERVER)
            .arg(port.to_string())
            .arg(dir)
            .arg("raw")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the SMTP server (python3 with aiosmtpd: run scripts/test once)")?;
        let out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        if !line.contains("READY") {
            let _ = child.kill();
            bail!(
                "the SMTP server did not start (is aiosmtpd installed? run scripts/test): {line}"
            );
        }
        Ok(SmtpServer { child, port })
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn received(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count()
    })
}

/// Posts the notice form to the console; the time until its answer.
fn post_notice(addr: &str, token: &str, service: i64) -> anyhow::Result<Duration> {
    let body = format!(
        "{CSRF}={CSRF}&kind=planned-operation&title=Maintenance+du+stockage&service={service}\
         &answer_by=&f.starts_at=2027-01-10T22%3A00&f.ends_at=2027-01-11T02%3A00\
         &f.nature=Remplacement+des+contr%C3%B4leurs&f.impacts=Aucune+interruption+attendue\
         &f.contact=noc%40atlas.ma"
    );
    let mut stream = StdTcpStream::connect(addr)?;
    let request = format!(
        "POST /notices HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let start = Instant::now();
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let took = start.elapsed();
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    if status != "303" {
        bail!(
            "the notice was refused: {}",
            answer.chars().take(400).collect::<String>()
        );
    }
    Ok(took)
}

/// 1,000 organisations, each with a contract on one service and members
/// who read the portal, made through the store as the console would.
async fn seed(dir: &Path, args: &NoticesArgs) -> anyhow::Result<(String, i64)> {
    let location = thiqa_store::DatabaseLocation::Sqlite {
        data_dir: dir.to_path_buf(),
    };
    let fixture = prepare_at(&location, &[PROVIDER_ADMIN_ROLE]).await?;
    let (store, provider) = (&fixture.store, fixture.provider);
    let actor = Actor::system();
    let service = store
        .provider(provider)
        .create_service(
            &NewService {
                name: "Stockage objet",
                description: "",
                model: "iaas",
                level: 1,
                facts_json: "{}",
            },
            &actor,
        )
        .await?;
    let started = Instant::now();
    for o in 0..args.organisations {
        let org = store
            .provider(provider)
            .create_organisation(&format!("Organisation {o:04}"), false, &actor)
            .await?;
        let tenant = Tenant::Organisation(org);
        seed_tenant(store, tenant, &actor).await?;
        let role = store
            .tenant(tenant)
            .create_role(
                "Lecteur du portail",
                "",
                &[Permission::PortalRead],
                false,
                &actor,
            )
            .await?;
        store
            .provider(provider)
            .create_contract(
                &NewContract {
                    organisation: org,
                    service,
                    reference: format!("CONV-{o:04}"),
                    level: 1,
                    starts_on: "2026-01-01".into(),
                    ends_on: None,
                    sites: vec![],
                    // Its contact is one of its members: written to once.
                    contacts: vec![Contact {
                        role: "security".into(),
                        name: "Membre 0".into(),
                        email: format!("m0.o{o}@bench.ma"),
                    }],
                },
                &actor,
            )
            .await?;
        for m in 0..args.members {
            store
                .tenant(tenant)
                .create_account_with(
                    NewAccount {
                        username: format!("m{m}.o{o}"),
                        display_name: format!("Membre {m}"),
                        email: Some(format!("m{m}.o{o}@bench.ma")),
                        password_hash: None,
                        totp_secret: None,
                        language: if m % 2 == 0 { "fr" } else { "en" }.into(),
                    },
                    None,
                    &[role],
                    &actor,
                )
                .await?;
        }
        if o % 100 == 99 {
            eprintln!(
                "  seeded {} organisations ({:.0} s)",
                o + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let token = fixture.token.clone();
    fixture.store.close().await;
    Ok((token, service.0))
}

pub async fn notices(args: NoticesArgs) -> anyhow::Result<ExitCode> {
    let dir = bench_dir(args.dir.as_deref(), "notices")?;
    let result = notices_in(&dir, &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn notices_in(dir: &Path, args: &NoticesArgs) -> anyhow::Result<ExitCode> {
    let recipients = args.organisations * args.members;
    eprintln!(
        "thiqa-bench notices: seeding {} organisations × {} members",
        args.organisations, args.members
    );
    let (token, service) = seed(dir, args).await?;
    let mail_dir = dir.join("smtp");
    std::fs::create_dir_all(&mail_dir)?;
    let smtp = SmtpServer::start(&mail_dir)?;
    let server = Server::start(
        dir,
        &[
            ("THIQA_SMTP_HOST", "127.0.0.1".into()),
            ("THIQA_SMTP_PORT", smtp.port.to_string()),
            ("THIQA_SMTP_SECURITY", "none".into()),
            ("THIQA_SMTP_FROM", "Thiqa <no-reply@bench.thiqa.ma>".into()),
        ],
    )?;
    let (pid, addr) = (server.pid, server.addr.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (seconds, rate) = (args.seconds, args.rate);
    let console = |addr: String, token: String| {
        on_own_thread(
            move || async move { load_at_rate(&addr, &token, 4, seconds, "/me", rate).await },
        )
    };
    let idle = Figures::of(console(addr.clone(), token.clone())?)?;
    let idle_rss = proc_kib(pid, "VmRSS")?;
    let peak_reset = reset_peak(pid);
    let watch = Watch::start(pid, Duration::from_millis(20));

    let commit = post_notice(&addr, &token, service)?;
    let sending = Instant::now();
    let during = Figures::of(console(addr.clone(), token.clone())?)?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut last = 0;
    while received(&mail_dir) < recipients {
        if Instant::now() > deadline {
            bail!(
                "only {} of {recipients} messages arrived in 10 minutes",
                received(&mail_dir)
            );
        }
        let now = received(&mail_dir);
        if now / 1000 != last / 1000 {
            eprintln!("  delivered {now} / {recipients}");
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = sending.elapsed();
    let (rss_sampled, hwm) = watch.stop();
    let peak_rss = if peak_reset {
        hwm.max(rss_sampled)
    } else {
        rss_sampled
    };
    drop(server);
    drop(smtp);
    let delivered = received(&mail_dir);
    let rate_out = delivered as f64 / delivery.as_secs_f64();

    println!(
        "thiqa-bench notices: one planned-operation notice to {recipients} recipients in {} organisations (SQLite, release build, aiosmtpd on this machine)",
        args.organisations
    );
    println!(
        "  commit         {:.0} ms   (the console's POST /notices: notice, {} targets, {recipients} outbox rows, journal; target < 2000 ms)",
        commit.as_secs_f64() * 1000.0,
        args.organisations
    );
    println!(
        "  delivery       {delivered} messages in {:.1} s = {rate_out:.0} messages/s   (target ≥ 200/s)",
        delivery.as_secs_f64()
    );
    println!(
        "  resident       idle {:.1} MB   peak during delivery {:.1} MB   (target < 100 MB)",
        idle_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    println!("{}", idle.line("console idle"));
    println!("{}", during.line("while sending"));
    println!(
        "                 (GET /me at {rate:.0}/s offered by 4 clients, open loop, {seconds} s each, the second run started with the delivery)"
    );
    let ratio = during.p99 / idle.p99;
    println!("  console p99    {ratio:.2}× idle   (target ≤ 2×)");
    let met = commit < Duration::from_secs(2)
        && rate_out >= 200.0
        && peak_rss < 100 * 1024
        && ratio <= 2.0
        && delivered >= recipients;
    println!("  targets        {}", if met { "met" } else { "MISSED" });
    Ok(if idle.errors + during.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
