//! A real HTTP telemetry collector on loopback, recording every batch it accepts, with switchable
//! behaviour for fault injection (500, 429 + Retry-After, hang); over plain TCP or TLS (rustls,
//! with a certificate from a throwaway CA made per test).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// A CA made for one test, and a server certificate for `127.0.0.1` / `localhost` it signed.
pub struct TestCa {
    pub ca_pem: String,
    pub server: rustls::ServerConfig,
}

impl TestCa {
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Skiff test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
        leaf.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
            )
            .unwrap();
        Self {
            ca_pem: ca_cert.pem(),
            server,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    Fail,
    TooMany,
    Hang,
}

#[derive(Debug, Clone)]
pub struct Sink {
    pub url: String,
    pub mode: Arc<Mutex<Mode>>,
    pub events: Arc<Mutex<Vec<serde_json::Value>>>,
    pub requests: Arc<Mutex<Vec<Mode>>>,
}

impl Sink {
    pub async fn start() -> Self {
        Self::serve(None).await
    }

    /// The same collector behind TLS with `ca`'s server certificate.
    pub async fn start_tls(ca: &TestCa) -> Self {
        Self::serve(Some(tokio_rustls::TlsAcceptor::from(Arc::new(
            ca.server.clone(),
        ))))
        .await
    }

    async fn serve(tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/v1/events", listener.local_addr().unwrap());
        let sink = Self {
            url,
            mode: Arc::new(Mutex::new(Mode::Accept)),
            events: Arc::new(Mutex::new(Vec::new())),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        // A handshake the client refuses (untrusted CA) just ends here.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(sock).await {
                                s.exchange(stream).await;
                            }
                        }
                        None => s.exchange(sock).await,
                    }
                });
            }
        });
        sink
    }

    /// One request and its answer, as the current mode says.
    async fn exchange(&self, mut sock: impl AsyncRead + AsyncWrite + Unpin) {
        let s = self;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        // Read the head, then Content-Length bytes of body.
        let (head_end, len) = loop {
            let n = sock.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..pos]).to_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (pos + 4, len);
            }
        };
        while buf.len() < head_end + len {
            let n = sock.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let mode = *s.mode.lock().unwrap();
        s.requests.lock().unwrap().push(mode);
        let response: &[u8] = match mode {
            Mode::Accept => {
                let body: serde_json::Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap();
                s.events.lock().unwrap().extend(body["events"].as_array().unwrap().iter().cloned());
                b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
            }
            Mode::Fail => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            Mode::TooMany => b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            Mode::Hang => {
                std::future::pending::<()>().await;
                unreachable!()
            }
        };
        let _ = sock.write_all(response).await;
        let _ = sock.shutdown().await;
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn names(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }
}
