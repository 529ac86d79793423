//! [`AllowedHosts`]: the names the proxy answers to, by the `Host` a request is addressed to.
//!
//! DNS rebinding gets a web page past the browser's same-origin rule: a name of the attacker's
//! first resolves to the attacker's server, which serves the page, then to 127.0.0.1, and the
//! page's requests to "its own" origin reach the proxy, with the attacker's name in `Host`. An
//! IP address literal cannot be rebound, and `localhost` never leaves the machine, so those are
//! answered; other names only when given.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The host names requests may be addressed to (the `Host` header, or the URI's authority,
/// HTTP/2's `:authority`), the port ignored.
///
/// Always allowed: IP address literals (`127.0.0.1`, `192.168.1.20`, `[::1]`) and `localhost`.
/// `*.localhost` is not, because resolving it to loopback is a "should" of RFC 6761 that not
/// every resolver keeps. [`AllowedHosts::allow`] allows more names, for a proxy served on the LAN
/// under a name.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Added names, in lower case.
    added: Vec<String>,
}

/// A value given as a host name that is not one.
#[derive(Debug, thiserror::Error)]
#[error("invalid host name {host:?}: a DNS name without scheme, port or path, e.g. studio-pc")]
#[non_exhaustive]
pub struct InvalidHost {
    host: String,
}

impl AllowedHosts {
    /// Also answers requests addressed to these names (`studio-pc`, `octane.studio.example`),
    /// compared without regard to case.
    pub fn allow<I, S>(mut self, names: I) -> Result<Self, InvalidHost>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in names {
            let name = name.as_ref();
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !valid {
                return Err(InvalidHost {
                    host: name.to_owned(),
                });
            }
            let name = name.to_ascii_lowercase();
            if !self.added.contains(&name) {
                self.added.push(name);
            }
        }
        Ok(self)
    }

    /// The allowed hosts, for the start-up log.
    pub fn describe(&self) -> String {
        let mut all = vec!["IP addresses", "localhost"];
        all.extend(self.added.iter().map(String::as_str));
        all.join(", ")
    }

    /// Whether `authority` (`host[:port]`, as in a `Host` header) names an allowed host.
    pub(crate) fn allows(&self, authority: &str) -> bool {
        let Some((host, _)) = split_authority(authority) else {
            return false;
        };
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok();
        }
        host.parse::<Ipv4Addr>().is_ok()
            || host.eq_ignore_ascii_case("localhost")
            || self
                .added
                .iter()
                .any(|name| host.eq_ignore_ascii_case(name))
    }
}

/// `host[:port]` split into the host (a `[v6]` one with its brackets) and the port; `None` if
/// the port is not a number from 0 to 65535 or something else follows the host.
pub(crate) fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let host_end = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(host_end);
    match rest.strip_prefix(':') {
        None if rest.is_empty() => Some((host, None)),
        // `parse` alone would take a sign.
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
            port.parse().ok().map(|port| (host, Some(port)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_localhost_are_allowed_on_any_port() {
        let hosts = AllowedHosts::default();
        for host in [
            "127.0.0.1:51023",
            "127.0.0.1",
            "192.168.1.20:51023",
            "[::1]:51023",
            "[::1]",
            "[fe80::1]:80",
            "localhost:51023",
            "LOCALHOST",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
        for host in [
            "evil.example:51023",
            "evil.example",
            "localhost.evil.example",
            "evil.localhost:51023",
            "127.0.0.1.nip.io",
            "studio-pc",
            "[::1",
            "::1",
            "user@127.0.0.1",
            "127.0.0.1:port",
            "",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn added_names_are_allowed_in_any_case() {
        let hosts = AllowedHosts::default()
            .allow(["Studio-PC", "octane.studio.example"])
            .expect("valid");
        assert!(hosts.allows("studio-pc:51023"));
        assert!(hosts.allows("OCTANE.studio.example"));
        assert!(!hosts.allows("studio-pc.evil.example"));
        assert_eq!(
            hosts.describe(),
            "IP addresses, localhost, studio-pc, octane.studio.example"
        );
        for bad in ["", "http://studio-pc", "studio-pc:51023", "studio pc"] {
            assert!(AllowedHosts::default().allow([bad]).is_err(), "{bad}");
        }
    }
}
