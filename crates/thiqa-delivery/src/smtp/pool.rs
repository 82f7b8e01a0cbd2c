//! Connections to the relay, opened on demand and kept for the next message.
//!
//! Why not lettre's own pool: lettre opens its sockets without TCP_NODELAY
//! and writes a message's body and its final `.` in two writes. Nagle's
//! algorithm then holds the `.` until the relay acknowledges the body, which
//! a relay delays (40 ms on Linux) since it waits for that very `.`: each
//! message costs one delayed-ACK period, whatever the network. Measured
//! against a local relay with 8 senders: about 100 messages/s through
//! lettre's pool. Here the socket is ours, with TCP_NODELAY, and lettre
//! speaks SMTP over it; the pool itself is a list of idle connections.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How the relay is reached, fixed at start.
pub(super) struct Target {
    pub host: String,
    pub port: u16,
    pub connect_timeout: Duration,
    pub hello: ClientId,
    pub credentials: Option<Credentials>,
    pub tls: TargetTls,
}

pub(super) enum TargetTls {
    None,
    /// STARTTLS, done by lettre (which needs its own TLS parameters).
    StartTls(TlsParameters),
    /// TLS from the first byte, done here with the crate's rustls settings.
    Implicit(tokio_rustls::TlsConnector, ServerName<'static>),
}

/// A connection idle longer than this is closed rather than reused: relays
/// drop idle clients after a few minutes, and the NOOP check would fail.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Connections kept open to the relay between messages. A few more than the
/// outbox's concurrent senders would need; beyond, they are closed after use.
const IDLE_CONNECTIONS: usize = 16;

pub(super) struct Pool {
    target: Target,
    idle: Mutex<Vec<(Instant, AsyncSmtpConnection)>>,
}

/// Why no connection could be had: reaching the relay, or the relay's
/// answer (a greeting refused, STARTTLS or authentication failing).
pub(super) enum ConnectError {
    Io(std::io::Error),
    Smtp(lettre::transport::smtp::Error),
}

impl Pool {
    pub fn new(target: Target) -> Pool {
        Pool {
            target,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection that still answers NOOP, or a new one.
    pub async fn take(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        loop {
            // The lock is never held across an await: a poisoned list is
            // still a list of connections.
            let parked = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some((since, mut conn)) = parked else {
                return self.connect().await;
            };
            if since.elapsed() < MAX_IDLE && conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
    }

    /// Puts a connection back after a send, unless it broke or enough are
    /// kept already.
    pub async fn give_back(&self, mut conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < IDLE_CONNECTIONS {
                idle.push((Instant::now(), conn));
                return;
            }
        }
        conn.abort().await;
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let t = &self.target;
        let tcp = tokio::time::timeout(
            t.connect_timeout,
            TcpStream::connect((t.host.as_str(), t.port)),
        )
        .await
        .map_err(|_| ConnectError::Io(std::io::ErrorKind::TimedOut.into()))?
        .map_err(ConnectError::Io)?;
        tcp.set_nodelay(true).map_err(ConnectError::Io)?;
        let stream: Box<dyn AsyncTokioStream> = match &t.tls {
            TargetTls::Implicit(connector, name) => {
                let tls =
                    tokio::time::timeout(t.connect_timeout, connector.connect(name.clone(), tcp))
                        .await
                        .map_err(|_| ConnectError::Io(std::io::ErrorKind::TimedOut.into()))?
                        .map_err(ConnectError::Io)?;
                Box::new(TlsTcp(tls))
            }
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &t.hello)
            .await
            .map_err(ConnectError::Smtp)?;
        if let TargetTls::StartTls(parameters) = &t.tls {
            conn.starttls(parameters.clone(), &t.hello)
                .await
                .map_err(ConnectError::Smtp)?;
        }
        if let Some(credentials) = &t.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(ConnectError::Smtp)?;
        }
        Ok(conn)
    }
}

/// A TLS stream lettre can speak SMTP over (its trait, our stream).
#[derive(Debug)]
struct TlsTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
