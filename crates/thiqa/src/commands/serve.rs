//! serve and demo: both listeners, graceful shutdown, housekeeping.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use axum_server::Handle;
use thiqa_server::config::{Config, LogFormat};
use thiqa_server::{admin_router, public_router, serve, AppState};

use super::{load_config, open_store};
use crate::args::{LogFormatArg, ServeArgs};

fn overrides(args: &ServeArgs) -> thiqa_server::config::Overrides {
    let mut o: thiqa_server::config::Overrides = Vec::new();
    let s = |v: String| toml::Value::String(v);
    if let Some(a) = args.listen {
        o.push(("listen", s(a.to_string())));
    }
    if let Some(a) = args.admin_listen {
        o.push(("admin_listen", s(a.to_string())));
    }
    if let (Some(c), Some(k)) = (&args.tls_cert, &args.tls_key) {
        o.push(("tls.cert", s(c.display().to_string())));
        o.push(("tls.key", s(k.display().to_string())));
    }
    if let (Some(c), Some(k)) = (&args.admin_tls_cert, &args.admin_tls_key) {
        o.push(("admin_tls.cert", s(c.display().to_string())));
        o.push(("admin_tls.key", s(k.display().to_string())));
    }
    if args.insecure_http {
        o.push(("insecure_http", toml::Value::Boolean(true)));
    }
    if let Some(f) = args.log_format {
        let v = match f {
            LogFormatArg::Text => "text",
            LogFormatArg::Json => "json",
        };
        o.push(("log_format", s(v.into())));
    }
    o
}

/// Refuses plain HTTP off loopback unless asked (3.6.2).
fn check_exposure(config: &Config) -> anyhow::Result<()> {
    let exposed = config.plain_http_exposures();
    if exposed.is_empty() {
        return Ok(());
    }
    let list = exposed
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if !config.insecure_http {
        bail!(
            "refusing to serve plain HTTP on {list}: give --tls-cert/--tls-key (or --admin-tls-cert/--admin-tls-key), \
             listen on a loopback address behind a TLS proxy, or pass --insecure-http"
        );
    }
    tracing::warn!(addresses = %list, "serving PLAIN HTTP on a non-loopback address (--insecure-http): credentials cross the network unencrypted");
    eprintln!("WARNING: plain HTTP on {list} (--insecure-http): not for production");
    Ok(())
}

pub async fn serve(args: ServeArgs, demo: bool) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.data, overrides(&args))?;
    crate::logging::init(config.log_format);
    if config.log_format == LogFormat::Json {
        tracing::info!("structured JSON logs");
    }
    check_exposure(&config)?;
    // One process owns an embedded database (held until exit).
    let _lock = match config.database_url {
        None => Some(
            thiqa_store::lock_data_dir(&config.data_dir)
                .map_err(|e| anyhow::anyhow!("cannot lock the data directory: {e}"))?,
        ),
        Some(_) => None,
    };
    if config.database_url.is_none() {
        // A restore cut short may have put the new keys beside the old
        // database: serving that would sign with a key its journal does
        // not know. Running the same restore again completes it.
        if let Some(marker) = thiqa_store::interrupted_restore(&config.data_dir) {
            bail!(
                "{} is in the middle of a restore ({}): {}",
                config.data_dir.display(),
                thiqa_store::RESTORE_MARKER,
                marker.trim()
            );
        }
    }
    if config.database_url.is_none()
        && !args.allow_empty
        && thiqa_store::database_missing_from(&config.data_dir)
    {
        bail!(
            "{} held a Thiqa database, but {} is missing: restore a backup (thiqa restore FILE), or start anew with --allow-empty",
            config.data_dir.display(),
            thiqa_store::DatabaseLocation::sqlite_path(&config.data_dir).display()
        );
    }
    let store = open_store(&config).await?;
    if config.database_url.is_none() {
        thiqa_store::mark_data_dir(&config.data_dir).with_context(|| {
            format!(
                "writing {} in the data directory",
                thiqa_store::HELD_DATA_MARKER
            )
        })?;
    }
    let app = AppState::new(store.clone(), config.clone()).await?;
    let demo_info = if demo {
        Some(super::demo::load(&app.core).await?)
    } else {
        None
    };
    // A wrong bucket, key or endpoint stops the start, not the first upload.
    app.blobs
        .check()
        .await
        .map_err(|e| anyhow::anyhow!("evidence storage ({}): {e}", app.blobs.describe()))?;
    // Both listeners bound and their TLS loaded before anything is served:
    // a taken port or bad certificate stops here, naming it.
    let public_listener = serve::BoundListener::bind(config.listen, &config.tls)
        .with_context(|| format!("customer portal listener ({})", config.listen))?;
    let admin_listener = serve::BoundListener::bind(config.admin_listen, &config.admin_tls)
        .with_context(|| format!("operator console listener ({})", config.admin_listen))?;
    let (p, a) = (public_listener.addr, admin_listener.addr);
    // Links Thiqa builds on a loopback listener name its real port.
    let _ = app.bound.public.set(p);
    let _ = app.bound.admin.set(a);
    let public = public_router(&app);
    let admin = admin_router(&app);
    let (public_handle, admin_handle) = (Handle::new(), Handle::new());
    // A listener that fails stops the other: never half a server.
    let serve_one = |listener: serve::BoundListener,
                     router,
                     own: Handle<SocketAddr>,
                     other: Handle<SocketAddr>| async move {
        let result = listener.serve(router, own).await;
        if result.is_err() {
            other.graceful_shutdown(None);
        }
        result
    };
    let public_task = tokio::spawn(serve_one(
        public_listener,
        public,
        public_handle.clone(),
        admin_handle.clone(),
    ));
    let admin_task = tokio::spawn(serve_one(
        admin_listener,
        admin,
        admin_handle.clone(),
        public_handle.clone(),
    ));
    let scheme = |tls: bool| if tls { "https" } else { "http" };
    let public_url = format!("{}://{p}", scheme(config.tls.enabled()));
    let admin_url = format!("{}://{a}", scheme(config.admin_tls.enabled()));
    tracing::info!(portal = %public_url, console = %admin_url, backend = ?store.backend(), "thiqa is serving");
    if let Some(addr) = thiqa_server::syslog::start(&app)
        .await
        .map_err(|e| anyhow::anyhow!(e))?
    {
        tracing::info!(%addr, "syslog intake listening (RFC 5425)");
        println!("Syslog intake:    {addr} (RFC 5425: TLS, client certificates)");
    }
    println!("Customer portal:  {public_url}");
    println!("Operator console: {admin_url}");
    if let Some(info) = &demo_info {
        info.print(&public_url, &admin_url);
        tokio::spawn(super::demo::print_codes(info.clone()));
    }
    // On PostgreSQL: sessions are cached while changes to them are heard.
    let sessions = app.store.clone();
    tokio::spawn(async move { sessions.follow_auth_changes().await });
    tokio::spawn(thiqa_server::background::housekeeping_loop(app.clone()));
    thiqa_server::delivery::spawn_sender(app.clone());
    tokio::spawn(thiqa_server::delivery::reminder_loop(app.clone()));
    tokio::spawn(thiqa_server::journal_export::checkpoint_loop(app.clone()));
    tokio::spawn(thiqa_server::alerting::alert_loop(app.clone()));
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        public_handle.graceful_shutdown(Some(Duration::from_secs(10)));
        admin_handle.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let (p, a) = tokio::join!(public_task, admin_task);
    // The events acknowledged up to the stop are covered by a signed
    // checkpoint before the process ends.
    if let Err(cause) = thiqa_server::journal_export::checkpoint_if_behind(&app).await {
        tracing::error!(%cause, "journal checkpoint at shutdown refused");
    }
    p??;
    a??;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
