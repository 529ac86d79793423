//! Which host Octane runs on: `--octane-host`, `OCTANE_HOST`, or detected.
//!
//! Inside a container Octane usually runs on the container's host, reachable as
//! `host.docker.internal` where that name resolves. The old Python proxy chose that name whenever
//! `/.dockerenv` existed, resolvable or not, and then never connected; here it is chosen only when
//! both hold, and the log says why.

use std::fmt;
use std::path::Path;

/// The name Docker Desktop (and `--add-host=host.docker.internal:host-gateway`) gives the host.
const DOCKER_HOST: &str = "host.docker.internal";
const LOOPBACK: &str = "127.0.0.1";

/// The chosen host and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    /// The host name or address.
    pub host: String,
    /// Why.
    pub reason: Reason,
}

/// Why a host was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Set with `--octane-host` or `OCTANE_HOST`.
    Configured,
    /// Running in a container and `host.docker.internal` resolves.
    ContainerHost,
    /// Running in a container, but `host.docker.internal` does not resolve.
    ContainerWithoutHostName,
    /// Not in a container.
    Local,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Configured => "set by --octane-host / OCTANE_HOST",
            Self::ContainerHost => "running in a container and host.docker.internal resolves",
            Self::ContainerWithoutHostName => {
                "running in a container, but host.docker.internal does not resolve; using loopback"
            }
            Self::Local => "not in a container; using loopback",
        })
    }
}

/// Chooses Octane's host for this process.
pub(crate) async fn choose(configured: Option<&str>) -> Choice {
    let in_container = Path::new("/.dockerenv").exists() || std::env::var_os("CONTAINER").is_some();
    let resolves = if in_container {
        tokio::net::lookup_host((DOCKER_HOST, 0))
            .await
            .is_ok_and(|mut addrs| addrs.next().is_some())
    } else {
        false
    };
    decide(configured, in_container, resolves)
}

fn decide(configured: Option<&str>, in_container: bool, docker_host_resolves: bool) -> Choice {
    let (host, reason) = match configured.map(str::trim).filter(|h| !h.is_empty()) {
        Some(host) => (host, Reason::Configured),
        None if in_container && docker_host_resolves => (DOCKER_HOST, Reason::ContainerHost),
        None if in_container => (LOOPBACK, Reason::ContainerWithoutHostName),
        None => (LOOPBACK, Reason::Local),
    };
    Choice {
        host: host.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_host_wins() {
        let choice = decide(Some("10.1.2.3"), true, true);
        assert_eq!(
            choice,
            Choice {
                host: "10.1.2.3".into(),
                reason: Reason::Configured
            }
        );
    }

    #[test]
    fn container_host_only_when_it_resolves() {
        assert_eq!(decide(None, true, true).host, "host.docker.internal");
        assert_eq!(
            decide(None, true, false),
            Choice {
                host: "127.0.0.1".into(),
                reason: Reason::ContainerWithoutHostName
            }
        );
        assert_eq!(
            decide(None, false, true),
            Choice {
                host: "127.0.0.1".into(),
                reason: Reason::Local
            }
        );
    }

    #[test]
    fn blank_configured_host_is_ignored() {
        assert_eq!(decide(Some("  "), false, false).reason, Reason::Local);
    }
}
