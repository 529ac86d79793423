//! [`AllowedOrigins`]: which web pages may call the proxy, by the `Origin` header browsers send.
//!
//! A browser sends `Origin` with every cross-origin request, with every `POST`, and with every
//! WebSocket upgrade; a page cannot forge or remove it. CORS alone does not stop a page of
//! another site: a "simple" request (a form post, a `text/plain` `fetch`) is sent without a
//! preflight, so its side effect happens even though the page cannot read the answer, and
//! WebSockets are not covered by CORS at all. So a request whose origin is not allowed is refused
//! before anything else happens.

use http::header::HeaderValue;

use crate::host::split_authority;

/// The hosts of the loopback origins allowed by default, on any port: the web tools are served
/// from other local ports (octaneWeb from `http://localhost:8080`).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Which origins may send requests, and read the answers (their origin is echoed in
/// `Access-Control-Allow-Origin`).
///
/// Always allowed: the proxy's own origin (`http://` and the request's own `Host`, so a page
/// the proxy serves works under any name it answers to) and `http://localhost:*`,
/// `http://127.0.0.1:*`, `http://[::1]:*`. [`AllowedOrigins::allow`] allows more, compared
/// exactly as a browser writes them. `null`, the origin of pages opened from `file://`, is
/// allowed only when added, because sandboxed frames of any site send it too.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins {
    /// Added origins, in the form browsers send them.
    added: Vec<String>,
}

/// A value given as an origin that is not one.
#[derive(Debug, thiserror::Error)]
#[error("invalid origin {origin:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidOrigin {
    origin: String,
    reason: &'static str,
}

impl AllowedOrigins {
    /// Also allows these origins: `scheme://host[:port]` (`https://dashboard.studio.example`,
    /// `http://192.168.1.20:8080`) or `null`. Each is stored as a browser sends it: scheme and
    /// host in lower case, the scheme's default port left out.
    pub fn allow<I, S>(mut self, origins: I) -> Result<Self, InvalidOrigin>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for origin in origins {
            let origin = normalize(origin.as_ref())?;
            if !self.added.contains(&origin) {
                self.added.push(origin);
            }
        }
        Ok(self)
    }

    /// The allowed origins, for the start-up log.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut all: Vec<String> = LOOPBACK_HOSTS
            .iter()
            .map(|host| format!("http://{host}:*"))
            .collect();
        all.push("the proxy's own".to_owned());
        all.extend(self.added.iter().cloned());
        all.join(", ")
    }

    /// Whether a request with this `Origin`, addressed to `own_host` (its `Host` with the port
    /// as sent, when it has one), may be served.
    pub(crate) fn allows(&self, origin: &HeaderValue, own_host: Option<&str>) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if self.added.iter().any(|added| added == origin) {
            return true;
        }
        let Some(authority) = origin.strip_prefix("http://") else {
            return false;
        };
        if own_host.is_some_and(|own| own.eq_ignore_ascii_case(authority)) {
            return true;
        }
        split_authority(authority).is_some_and(|(host, _)| LOOPBACK_HOSTS.contains(&host))
    }
}

/// An origin as a browser sends it, or why `given` is not one.
fn normalize(given: &str) -> Result<String, InvalidOrigin> {
    let invalid = |reason| InvalidOrigin {
        origin: given.to_owned(),
        reason,
    };
    if given == "null" {
        return Ok(given.to_owned());
    }
    const EXPECTED: &str = "expected scheme://host[:port], without a path (not even `/`), or null";
    let (scheme, authority) = given.split_once("://").ok_or_else(|| invalid(EXPECTED))?;
    let scheme_valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_valid || authority.contains(['/', '?', '#', '@']) {
        return Err(invalid(EXPECTED));
    }
    let (host, port) = split_authority(authority).ok_or_else(|| invalid(EXPECTED))?;
    if host.is_empty() {
        return Err(invalid(EXPECTED));
    }
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let host = host.to_ascii_lowercase();
    Ok(match port {
        Some(port) if Some(port) != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(origins: &AllowedOrigins, origin: &str, own_host: Option<&str>) -> bool {
        origins.allows(&HeaderValue::from_str(origin).expect("header"), own_host)
    }

    #[test]
    fn loopback_origins_on_any_port_and_the_own_origin_are_allowed() {
        let origins = AllowedOrigins::default();
        for origin in [
            "http://localhost",
            "http://localhost:8080",
            "http://127.0.0.1:5173",
            "http://[::1]:45769",
        ] {
            assert!(allows(&origins, origin, None), "{origin}");
        }
        assert!(allows(
            &origins,
            "http://studio-pc:51023",
            Some("Studio-PC:51023")
        ));
        for origin in [
            "http://evil.example",
            "https://localhost:8080",
            "http://localhost.evil.example",
            "http://localhost:8080/",
            "http://localhost:http",
            "http://127.0.0.2:8080",
            "http://studio-pc:8080",
            "null",
            "file://",
        ] {
            assert!(
                !allows(&origins, origin, Some("studio-pc:51023")),
                "{origin}"
            );
        }
    }

    #[test]
    fn added_origins_are_matched_as_browsers_send_them() {
        let origins = AllowedOrigins::default()
            .allow([
                "HTTPS://Dashboard.Studio.Example:443",
                "http://192.168.1.20:8080",
                "null",
            ])
            .expect("valid");
        assert!(allows(&origins, "https://dashboard.studio.example", None));
        assert!(allows(&origins, "http://192.168.1.20:8080", None));
        assert!(allows(&origins, "null", None));
        assert!(!allows(&origins, "http://dashboard.studio.example", None));
        assert!(!allows(&origins, "http://192.168.1.20", None));
        assert_eq!(
            origins.describe(),
            "http://localhost:*, http://127.0.0.1:*, http://[::1]:*, the proxy's own, \
             https://dashboard.studio.example, http://192.168.1.20:8080, null"
        );
    }

    #[test]
    fn values_that_are_not_origins_are_refused() {
        for bad in [
            "https://studio.example/",
            "https://studio.example/app",
            "studio.example",
            "https://user@studio.example",
            "https://studio.example:https",
            "https://",
            "*",
        ] {
            let err = AllowedOrigins::default().allow([bad]).expect_err(bad);
            assert!(
                err.to_string().contains("expected scheme://host[:port]"),
                "{bad}: {err}"
            );
        }
    }
}
