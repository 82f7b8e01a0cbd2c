//! Posting one signed webhook. reqwest with rustls (ring, TLS 1.2 at least,
//! the public web roots), no proxy from the environment, no redirect
//! followed (a redirect would lead past the URL check), bounded time, and a
//! resolver that drops private addresses (see `ssrf.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::Deserialize;

use super::signature::signature_header;
use super::ssrf::{check_url, is_public_ip};
use super::WebhookSecret;
use crate::text::clean;
use crate::{DeliveryError, SendError};

/// The `[webhooks]` table of the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// The whole exchange with the receiver, connection included.
    #[serde(rename = "timeout_seconds", with = "crate::seconds")]
    pub timeout: Duration,
    /// Admits `http://` and private addresses: tests, or receivers on the
    /// provider's own network. Off by default.
    pub allow_private: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            timeout: Duration::from_secs(15),
            allow_private: false,
        }
    }
}

/// Posts webhooks; cheap to clone (a reqwest client inside), one per process.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
}

/// Connecting takes at most this long, or the whole timeout if shorter.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl WebhookClient {
    pub fn new(settings: &WebhookSettings) -> Result<WebhookClient, DeliveryError> {
        let tls = crate::tls::client_config()
            .map_err(|e| DeliveryError::Config(format!("webhooks TLS: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(!settings.allow_private)
            .redirect(reqwest::redirect::Policy::none())
            // Straight to the customer's host: a proxy of the environment
            // would resolve names itself, past the guard below.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private,
            }))
            .connect_timeout(CONNECT_TIMEOUT.min(settings.timeout))
            .timeout(settings.timeout)
            .referer(false)
            .user_agent(concat!("Thiqa-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeliveryError::Config(format!("webhooks HTTP client: {e}")))?;
        Ok(WebhookClient {
            http,
            allow_private: settings.allow_private,
        })
    }

    /// Posts `body` (JSON) to `url`, signed with every secret of `secrets`
    /// (the new one first during a rotation). `msg_id` is the idempotency key,
    /// the same on every attempt; `timestamp_s` is the time of this attempt.
    pub async fn post(
        &self,
        url: &str,
        msg_id: &str,
        timestamp_s: i64,
        body: &[u8],
        secrets: &[WebhookSecret],
    ) -> Result<(), SendError> {
        // Checked again at each send: the rules may have changed since the
        // URL was saved, and a literal address never reaches the resolver.
        let url = check_url(url, self.allow_private)
            .map_err(|problem| SendError::Permanent(format!("webhook URL refused: {problem}")))?;
        if secrets.is_empty() {
            return Err(SendError::Permanent(
                "the endpoint has no signing secret".into(),
            ));
        }
        let headers = headers(
            msg_id,
            timestamp_s,
            signature_header(secrets, msg_id, timestamp_s, body),
        )?;
        let response = self
            .http
            .post(url)
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .map_err(network_error)?;
        outcome(response.status())
    }
}

fn headers(msg_id: &str, timestamp_s: i64, signature: String) -> Result<HeaderMap, SendError> {
    let refused =
        |what: &str| SendError::Permanent(format!("the {what} cannot be sent as an HTTP header"));
    let mut map = HeaderMap::new();
    map.insert(
        "webhook-id",
        HeaderValue::from_str(msg_id).map_err(|_| refused("webhook id"))?,
    );
    map.insert("webhook-timestamp", HeaderValue::from(timestamp_s));
    // Base64 and spaces only: always a valid value, taken without a copy.
    map.insert(
        "webhook-signature",
        HeaderValue::try_from(signature).map_err(|_| refused("signature"))?,
    );
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(map)
}

/// 2xx delivered; 408, 429 and 5xx may pass; any other answer will not
/// change by itself (3xx included: redirects are not followed, the customer
/// must give the final URL).
fn outcome(status: StatusCode) -> Result<(), SendError> {
    let text = format!("the endpoint answered HTTP {status}");
    match status.as_u16() {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(SendError::Transient(text)),
        300..=399 => Err(SendError::Permanent(format!(
            "{text}: redirects are not followed, configure the final URL"
        ))),
        _ => Err(SendError::Permanent(text)),
    }
}

/// A failure before any answer. Of the URL only the host is named:
/// customers put tokens in paths and query strings.
fn network_error(error: reqwest::Error) -> SendError {
    let host = error
        .url()
        .and_then(|url| url.host_str())
        .unwrap_or("(unknown)")
        .to_owned();
    if is_blocked(&error) {
        return SendError::Permanent(format!(
            "webhook host {host} resolves only to private or reserved addresses"
        ));
    }
    if error.is_builder() {
        return SendError::Permanent(clean(
            &format!(
                "the request cannot be made: {}",
                chain(&error.without_url())
            ),
            &[],
        ));
    }
    let what = if error.is_timeout() {
        "did not answer in time"
    } else {
        "could not be reached"
    };
    SendError::Transient(clean(
        &format!(
            "webhook host {host} {what}: {}",
            chain(&error.without_url())
        ),
        &[],
    ))
}

/// An error and its causes on one line (reqwest's own text is terse).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn is_blocked(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<Blocked>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// A name that resolves to no public address.
#[derive(Debug, thiserror::Error)]
#[error("every address of the name is private or reserved")]
struct Blocked;

/// The system resolver, then only the public addresses, unless
/// `allow_private`. The connection goes to an address checked here, so a
/// name that changes between the URL check and the send (DNS rebinding)
/// gains nothing.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept = admitted(found, allow_private);
            if kept.is_empty() {
                return Err(Box::new(Blocked) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

fn admitted(addrs: impl Iterator<Item = SocketAddr>, allow_private: bool) -> Vec<SocketAddr> {
    addrs
        .filter(|a| allow_private || is_public_ip(a.ip()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(outcome(StatusCode::NO_CONTENT), Ok(()));
        assert_eq!(outcome(StatusCode::OK), Ok(()));
        for code in [408, 429, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).expect("status");
            assert!(
                matches!(outcome(status), Err(SendError::Transient(_))),
                "{code}"
            );
        }
        for code in [301, 302, 307, 400, 401, 403, 404, 410, 413, 422] {
            let status = StatusCode::from_u16(code).expect("status");
            assert!(
                matches!(outcome(status), Err(SendError::Permanent(_))),
                "{code}"
            );
        }
    }

    #[test]
    fn the_resolver_drops_private_addresses() {
        let addrs: Vec<SocketAddr> = [
            "127.0.0.1:0",
            "[::1]:0",
            "10.0.0.1:0",
            "93.184.215.14:0",
            "[2a00:1450::1]:0",
        ]
        .iter()
        .map(|a| a.parse().expect("addr"))
        .collect();
        let kept: Vec<IpAddr> = admitted(addrs.iter().copied(), false)
            .iter()
            .map(|a| a.ip())
            .collect();
        assert_eq!(
            kept,
            [
                "93.184.215.14".parse::<IpAddr>().expect("ip"),
                "2a00:1450::1".parse().expect("ip")
            ]
        );
        assert_eq!(admitted(addrs.into_iter(), true).len(), 5);
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_and_said_so() {
        // `localhost` really goes through the system resolver here.
        let resolver = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().expect("name");
        let error = match resolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(error) => error,
        };
        assert!(is_blocked(error.as_ref()));
        let open = GuardedResolver {
            allow_private: true,
        };
        let addrs: Vec<SocketAddr> = open
            .resolve("localhost".parse().expect("name"))
            .await
            .expect("resolves")
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    /// A name that passes the URL check and resolves to a private address
    /// at send time (DNS rebinding): reqwest connects through the guarded
    /// resolver, so nothing is sent and the failure is permanent.
    #[tokio::test]
    async fn a_name_that_turns_private_after_the_check_reaches_nothing() {
        let client = WebhookClient::new(&WebhookSettings::default()).expect("client");
        // Past `check_url`, which would refuse `localhost` by its name.
        let error = client
            .http
            .post("https://localhost:9/hook?token=hidden")
            .send()
            .await
            .expect_err("blocked");
        assert!(is_blocked(&error), "{error:?}");
        let refused = network_error(error);
        assert!(
            matches!(refused, SendError::Permanent(ref t) if t.contains("webhook host localhost resolves only to private")),
            "{refused}"
        );
        assert!(!refused.message().contains("hidden"), "{refused}");
    }

    #[tokio::test]
    async fn literal_private_addresses_and_missing_secrets_are_permanent() {
        let client = WebhookClient::new(&WebhookSettings::default()).expect("client");
        let secret = WebhookSecret::generate().expect("random");
        for url in [
            "https://127.0.0.1:9/",
            "https://[::ffff:7f00:1]:9/",
            "http://hooks.example.ma/",
            "https://u:p@hooks.example.ma/",
        ] {
            let error = client
                .post(url, "msg_1", 1, b"{}", std::slice::from_ref(&secret))
                .await
                .expect_err("refused");
            assert!(
                matches!(error, SendError::Permanent(ref t) if t.contains("URL refused")),
                "{url}: {error}"
            );
        }
        let error = client
            .post("https://hooks.example.ma/", "msg_1", 1, b"{}", &[])
            .await
            .expect_err("refused");
        assert!(matches!(error, SendError::Permanent(_)));
        let error = client
            .post(
                "https://hooks.example.ma/",
                "bad\nid",
                1,
                b"{}",
                std::slice::from_ref(&secret),
            )
            .await
            .expect_err("refused");
        assert!(
            matches!(error, SendError::Permanent(ref t) if t.contains("header")),
            "{error}"
        );
    }
}
