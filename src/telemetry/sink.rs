//! Sending a batch: `POST {"events":[…]}` to the configured collector, over HTTPS (rustls on
//! ring, the platform's root certificates) or plain HTTP.
//!
//! The HTTP side is hyper's pooled client and the TLS side hyper-rustls: no hand-written HTTP.
//! Trust comes from the platform's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` are honoured, as
//! OpenSSL does) plus, when set, one more PEM file of CAs ([`SinkClient::new`]'s `extra_ca`, the
//! app's `SKIFF_TELEMETRY_CA`) for a collector behind a private CA. Certificates are always
//! verified: there is no switch to turn that off.
//!
//! What a failure says is kept short and human ("cannot connect: Connection refused", "TLS:
//! invalid peer certificate: UnknownIssuer", "collector answered 500"), because the Telemetry page
//! and `skiff telemetry show` print it as the reason nothing was sent.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::TelemetryEvent;

/// How long one request may take; a hanging sink costs this, in the sender task only.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a collector's answer that is read (its body is not used; a hostile one could
/// send gigabytes).
pub const RESPONSE_CAP: usize = 64 * 1024;

/// What the sink answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    Accepted,
    /// 429: try again after this long.
    RetryAfter(Duration),
    /// Anything else: back off and retry. The text is the reason shown to the user.
    Failed(String),
}

/// Why a collector cannot be used: its address or the CA file to trust for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    #[error("telemetry endpoint {url:?}: {detail}")]
    Url { url: String, detail: String },
    #[error("telemetry endpoint {url:?} has no host")]
    NoHost { url: String },
    #[error("telemetry CA file {path}: {detail}")]
    CaFile { path: String, detail: String },
    #[error("telemetry CA file {path} has no certificate")]
    NoCertificate { path: String },
    #[error("TLS set-up: {0}")]
    Tls(String),
}

/// A collector address: `https://host[:port]/path` or `http://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkUrl(hyper::Uri);

impl SinkUrl {
    pub fn parse(url: &str) -> Result<Self, SinkError> {
        let bad = |detail: String| SinkError::Url {
            url: url.to_owned(),
            detail,
        };
        let uri: hyper::Uri = url.parse().map_err(|e| bad(format!("{e}")))?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) {
            return Err(bad("only https:// and http:// are supported".to_owned()));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(SinkError::NoHost {
                url: url.to_owned(),
            });
        }
        Ok(Self(uri))
    }

    #[must_use]
    pub fn is_https(&self) -> bool {
        self.0.scheme_str() == Some("https")
    }
}

impl std::fmt::Display for SinkUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// The pooled HTTPS/HTTP client of the telemetry task.
#[derive(Debug, Clone)]
pub struct SinkClient {
    client: Client<Connector, Full<bytes::Bytes>>,
}

impl SinkClient {
    /// A client trusting the platform's roots and, when given, the CAs in `extra_ca` (PEM).
    pub fn new(extra_ca: Option<&Path>) -> Result<Self, SinkError> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if let Some(path) = extra_ca {
            use rustls::pki_types::pem::PemObject;
            let unusable = |detail: String| SinkError::CaFile {
                path: path.display().to_string(),
                detail,
            };
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| unusable(e.to_string()))?;
            if certs.is_empty() {
                return Err(SinkError::NoCertificate {
                    path: path.display().to_string(),
                });
            }
            for cert in certs {
                roots.add(cert).map_err(|e| unusable(e.to_string()))?;
            }
        } else if added == 0 {
            tracing::debug!("no platform root certificates found; https collectors will fail");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SinkError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self { client })
    }

    /// Posts one batch within [`REQUEST_TIMEOUT`].
    pub async fn post(&self, url: &SinkUrl, events: &[TelemetryEvent]) -> Reply {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.post_inner(url, events)).await {
            Ok(reply) => reply,
            Err(_) => Reply::Failed(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())),
        }
    }

    async fn post_inner(&self, url: &SinkUrl, events: &[TelemetryEvent]) -> Reply {
        let body = match serde_json::to_vec(&serde_json::json!({ "events": events })) {
            Ok(body) => body,
            Err(e) => return Reply::Failed(format!("cannot encode the batch: {e}")),
        };
        let request = match hyper::Request::post(url.0.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("skiff/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(bytes::Bytes::from(body)))
        {
            Ok(r) => r,
            Err(e) => return Reply::Failed(format!("bad request: {e}")),
        };
        let response = match self.client.request(request).await {
            Ok(r) => r,
            Err(e) => return Reply::Failed(reason(&e)),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(hyper::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Drain (capped) so the connection can be reused; the content is not needed.
        let _ = Limited::new(response.into_body(), RESPONSE_CAP)
            .collect()
            .await;
        if status.is_success() {
            Reply::Accepted
        } else if status.as_u16() == 429 {
            // Honour the sink, within reason (an hour at most).
            Reply::RetryAfter(Duration::from_secs(retry_after.unwrap_or(60).min(3600)))
        } else {
            Reply::Failed(format!("collector answered {status}"))
        }
    }
}

/// The innermost useful words of a client error: hyper-util's own `Display` is only "client
/// error (Connect)".
fn reason(error: &hyper_util::client::legacy::Error) -> String {
    let mut words = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = source {
        words.push(e.to_string());
        source = e.source();
    }
    let detail = words.last().cloned().unwrap_or_else(|| error.to_string());
    if error.is_connect() {
        if words
            .iter()
            .any(|w| w.contains("certificate") || w.contains("tls") || w.contains("TLS"))
        {
            return format!("TLS: {detail}");
        }
        return format!("cannot connect: {detail}");
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_https_and_http_and_refuse_the_rest() {
        assert!(SinkUrl::parse("https://telemetry.example/v1/events")
            .unwrap()
            .is_https());
        assert!(!SinkUrl::parse("http://127.0.0.1:9/v1/events")
            .unwrap()
            .is_https());
        assert!(SinkUrl::parse("ftp://h/x").is_err());
        assert!(SinkUrl::parse("https:///x").is_err());
        assert!(SinkUrl::parse("not a url").is_err());
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "no pem here").unwrap();
        let err = SinkClient::new(Some(&path)).unwrap_err();
        assert!(matches!(err, SinkError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }
}
