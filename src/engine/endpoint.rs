//! Engine addresses.
//!
//! An endpoint is parsed once from the user's string so that every later step (connecting,
//! watching a socket's directory, naming the engine) works on a typed value instead of re-reading
//! URL prefixes.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where an engine listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A unix socket (`unix:///run/podman/podman.sock`).
    Unix(PathBuf),
    /// Plain HTTP over TCP (`tcp://127.0.0.1:2375`), stored as `host:port`.
    Tcp(String),
    /// A Windows named pipe (`npipe:////./pipe/docker_engine`), stored as `//./pipe/NAME`.
    NamedPipe(String),
}

/// Why a string is not an endpoint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointParseError {
    #[error("unsupported endpoint scheme in {0:?}: expected unix://, tcp:// or npipe://")]
    UnsupportedScheme(String),
    #[error("endpoint {0:?} has an empty address")]
    Empty(String),
    #[error("unix socket path in {0:?} must be absolute")]
    RelativeSocket(String),
    #[error("tcp endpoint {0:?} needs host:port")]
    MissingPort(String),
    /// The address is kept without its credentials: they must not reach a log line, an error
    /// dialog or the Settings page.
    #[error("endpoint {0:?} has credentials in its address; Docker's TCP API takes none (use TLS client certificates or an SSH tunnel)")]
    Credentials(String),
}

/// `tcp://user:secret@host:2375` → `tcp://***@host:2375`.
fn redact(s: &str) -> String {
    match (s.find("://"), s.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***{}", &s[..scheme + 3], &s[at..]),
        _ => s.to_owned(),
    }
}

impl FromStr for Endpoint {
    type Err = EndpointParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.split("://")
            .nth(1)
            .is_some_and(|rest| rest.split('/').next().unwrap_or_default().contains('@'))
        {
            return Err(EndpointParseError::Credentials(redact(s)));
        }
        if let Some(path) = s.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(EndpointParseError::Empty(s.to_owned()));
            }
            if !path.starts_with('/') {
                return Err(EndpointParseError::RelativeSocket(s.to_owned()));
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if let Some(addr) = s
            .strip_prefix("tcp://")
            .or_else(|| s.strip_prefix("http://"))
        {
            let addr = addr.trim_end_matches('/');
            if addr.is_empty() {
                return Err(EndpointParseError::Empty(s.to_owned()));
            }
            match addr.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    return Ok(Self::Tcp(addr.to_owned()));
                }
                _ => return Err(EndpointParseError::MissingPort(s.to_owned())),
            }
        }
        if let Some(pipe) = s.strip_prefix("npipe://") {
            // Docker writes `npipe:////./pipe/NAME`; accept the common `npipe://./pipe/NAME` too.
            let pipe = pipe.trim_start_matches('/');
            if pipe.is_empty() || pipe == "./pipe/" {
                return Err(EndpointParseError::Empty(s.to_owned()));
            }
            return Ok(Self::NamedPipe(format!("//{pipe}")));
        }
        Err(EndpointParseError::UnsupportedScheme(s.to_owned()))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp(addr) => write!(f, "tcp://{addr}"),
            Self::NamedPipe(pipe) => write!(f, "npipe://{pipe}"),
        }
    }
}

impl Endpoint {
    /// The socket file, for endpoints that have one (only unix sockets can be watched for
    /// appearance; named pipes and TCP fall back to timed retries).
    #[must_use]
    pub fn socket_path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Unix(p) => Some(p),
            _ => None,
        }
    }

    /// A stable engine id guessed from the address, for endpoints the user gave without a name.
    ///
    /// The kind is only known after `/version` answers, but the id must exist before the first
    /// attempt (it names the engine in logs, state lines and the UI while it is still down), so it
    /// is guessed from words in the address.
    #[must_use]
    pub fn guess_id(&self) -> &'static str {
        let text = self.to_string().to_lowercase();
        if text.contains("podman") {
            if text == "unix:///run/podman/podman.sock"
                || text == "unix:///var/run/podman/podman.sock"
            {
                "podman-rootful"
            } else {
                "podman"
            }
        } else if text.contains("colima") {
            "colima"
        } else if text.contains("orbstack") {
            "orbstack"
        } else if text.contains("rd/docker") || text.contains("rancher") {
            "rancher-desktop"
        } else if text.contains("docker") {
            "docker"
        } else {
            "engine"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_an_address_are_refused_and_never_repeated() {
        let err = "tcp://admin:hunter2@10.0.0.2:2375"
            .parse::<Endpoint>()
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, EndpointParseError::Credentials(_)));
        assert!(
            !text.contains("hunter2") && !text.contains("admin"),
            "{text}"
        );
        assert!(text.contains("tcp://***@10.0.0.2:2375"), "{text}");
        // An @ in a unix socket's path is a path, not credentials.
        assert!("unix:///tmp/a@b/docker.sock".parse::<Endpoint>().is_ok());
    }

    #[test]
    fn the_three_schemes_round_trip() {
        for s in [
            "unix:///run/podman/podman.sock",
            "tcp://127.0.0.1:2375",
            "npipe:////./pipe/docker_engine",
        ] {
            let e: Endpoint = s.parse().unwrap();
            assert_eq!(e.to_string(), s);
        }
    }

    #[test]
    fn short_named_pipe_form_is_accepted() {
        let e: Endpoint = "npipe://./pipe/podman-machine-default".parse().unwrap();
        assert_eq!(
            e,
            Endpoint::NamedPipe("//./pipe/podman-machine-default".into())
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        assert!(matches!(
            "ssh://host".parse::<Endpoint>(),
            Err(EndpointParseError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            "unix://relative.sock".parse::<Endpoint>(),
            Err(EndpointParseError::RelativeSocket(_))
        ));
        assert!(matches!(
            "tcp://localhost".parse::<Endpoint>(),
            Err(EndpointParseError::MissingPort(_))
        ));
        assert!(matches!(
            "unix://".parse::<Endpoint>(),
            Err(EndpointParseError::Empty(_))
        ));
    }

    #[test]
    fn ids_are_guessed_from_the_address() {
        let id = |s: &str| s.parse::<Endpoint>().unwrap().guess_id();
        assert_eq!(id("unix:///run/user/1000/podman/podman.sock"), "podman");
        assert_eq!(id("unix:///run/podman/podman.sock"), "podman-rootful");
        assert_eq!(id("unix:///var/run/docker.sock"), "docker");
        assert_eq!(id("npipe:////./pipe/docker_engine"), "docker");
        assert_eq!(id("tcp://10.0.0.1:2375"), "engine");
    }
}
