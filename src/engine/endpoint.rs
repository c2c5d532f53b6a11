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
    /// An engine on another machine, over the system's OpenSSH (`crate::engine::ssh`).
    Ssh(Box<SshTarget>),
}

/// `ssh://[user@]host[:port][/path/to/socket]`: without a path, the remote Docker is reached as
/// the Docker CLI does (`docker system dial-stdio`); with one (Podman's form), that unix socket
/// is forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    /// A host name, an address, or a `Host` alias of the ssh config.
    pub host: String,
    pub port: Option<u16>,
    pub socket: Option<String>,
    /// A key file to use (`ssh -i`), from a Podman connection; not part of the address.
    pub identity: Option<String>,
}

/// Why a string is not an endpoint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointParseError {
    #[error("unsupported endpoint scheme in {0:?}: expected unix://, tcp://, npipe:// or ssh://")]
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
        if let Some(rest) = s.strip_prefix("ssh://") {
            return ssh_target(s, rest).map(|t| Self::Ssh(Box::new(t)));
        }
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

/// The part of `ssh://…` after the scheme. A user name is no secret, a password is: `user:pw@`
/// is refused (OpenSSH takes keys and the agent; Skiff never handles a password).
fn ssh_target(s: &str, rest: &str) -> Result<SshTarget, EndpointParseError> {
    let (authority, socket) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i..].to_owned())),
        None => (rest, None),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            return Err(EndpointParseError::Credentials(redact(s)))
        }
        Some((user, host)) => (Some(user.to_owned()), host),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || host.ends_with(']') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => return Err(EndpointParseError::MissingPort(s.to_owned())),
        },
        _ => (hostport, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || user.as_deref() == Some("") {
        return Err(EndpointParseError::Empty(s.to_owned()));
    }
    // Anything that would reach ssh's command line as an option is refused.
    if host.starts_with('-') || user.as_deref().is_some_and(|u| u.starts_with('-')) {
        return Err(EndpointParseError::UnsupportedScheme(s.to_owned()));
    }
    Ok(SshTarget {
        user,
        host: host.to_owned(),
        port,
        socket: socket.filter(|p| p.len() > 1),
        identity: None,
    })
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(socket) = &self.socket {
            f.write_str(socket)?;
        }
        Ok(())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Tcp(addr) => write!(f, "tcp://{addr}"),
            Self::NamedPipe(pipe) => write!(f, "npipe://{pipe}"),
            Self::Ssh(target) => target.fmt(f),
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
    /// is guessed from words in the address. Rancher Desktop's word is its `.rd` directory
    /// (`~/.rd/docker.sock`), matched as a whole path component: the text `rd/docker` is also in
    /// `/home/ford/docker.sock`, or in a temporary directory whose random name ends in "rd".
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
        } else if text.split('/').any(|component| component == ".rd") || text.contains("rancher") {
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
    fn the_four_schemes_round_trip() {
        for s in [
            "unix:///run/podman/podman.sock",
            "tcp://127.0.0.1:2375",
            "npipe:////./pipe/docker_engine",
            "ssh://dev@build-box:2222/run/user/1000/podman/podman.sock",
            "ssh://build-box",
            "ssh://[::1]:22",
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
            "ftp://host".parse::<Endpoint>(),
            Err(EndpointParseError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            "ssh://dev:secret@host".parse::<Endpoint>(),
            Err(EndpointParseError::Credentials(t)) if !t.contains("secret")
        ));
        assert!(matches!(
            "ssh://-oProxyCommand=x".parse::<Endpoint>(),
            Err(EndpointParseError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            "ssh://host:port".parse::<Endpoint>(),
            Err(EndpointParseError::MissingPort(_))
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
        assert_eq!(id("unix:///Users/me/.rd/docker.sock"), "rancher-desktop");
        assert_eq!(id("unix:///home/ford/docker.sock"), "docker");
        // A test engine's temporary directory whose random name happened to end in "Rd" (CI).
        assert_eq!(id("unix:///tmp/skiff-engine-x4kbRd/docker.sock"), "docker");
        assert_eq!(id("npipe:////./pipe/docker_engine"), "docker");
        assert_eq!(id("tcp://10.0.0.1:2375"), "engine");
        assert_eq!(
            id("ssh://dev@box/run/user/1000/podman/podman.sock"),
            "podman"
        );
        let ssh: Endpoint = "ssh://dev@box:2222".parse().unwrap();
        assert_eq!(
            ssh,
            Endpoint::Ssh(Box::new(SshTarget {
                user: Some("dev".into()),
                host: "box".into(),
                port: Some(2222),
                socket: None,
                identity: None,
            }))
        );
    }
}
