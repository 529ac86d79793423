//! [`BrowserGuard`]: the first check of every request, which keeps web pages the user happens
//! to visit from driving Octane through the proxy.
//!
//! A request addressed to a host name the proxy does not answer to (DNS rebinding) or sent by a
//! page of an origin that is not allowed (a cross-site request) is refused with `403` before
//! anything else: before a preflight is answered, a token checked, a mounted service called or a
//! body read. Requests without `Origin` (curl, scripts, other programs) pass as before.

use http::Uri;
use http::header::{self, HeaderMap, HeaderValue};

use crate::cors::CorsAnswer;
use crate::error::clip;
use crate::{AllowedHosts, AllowedOrigins, ProxyError};

/// The allowed origins and hosts, checked together because the proxy's own origin is the
/// request's own host.
#[derive(Debug, Clone, Default)]
pub(crate) struct BrowserGuard {
    /// Which origins may send requests.
    pub(crate) origins: AllowedOrigins,
    /// Which names requests may be addressed to.
    pub(crate) hosts: AllowedHosts,
}

impl BrowserGuard {
    /// Checks a request's host and origin; answers the CORS headers its response gets.
    pub(crate) fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<CorsAnswer, ProxyError> {
        // HTTP/2's `:authority` (or an HTTP/1 target in absolute form) is the URI's authority,
        // and takes precedence over `Host` (RFC 9112, 3.2.2); every one that is given must be
        // allowed. A request with neither (HTTP/1.0) cannot come from a browser, which always
        // sends `Host`, so it cannot be a rebinding attack and passes.
        let mut own_host = None;
        let given = uri
            .authority()
            .map(|authority| authority.as_str().as_bytes())
            .into_iter()
            .chain(
                headers
                    .get_all(header::HOST)
                    .iter()
                    .map(HeaderValue::as_bytes),
            );
        for host in given {
            match std::str::from_utf8(host) {
                Ok(host) if self.hosts.allows(host) => {
                    own_host.get_or_insert(host);
                }
                _ => {
                    return Err(ProxyError::ForeignHost {
                        host: clip(&String::from_utf8_lossy(host)),
                    });
                }
            }
        }
        let mut answer = CorsAnswer::default();
        for origin in headers.get_all(header::ORIGIN) {
            if !self.origins.allows(origin, own_host) {
                return Err(ProxyError::ForeignOrigin {
                    origin: clip(&String::from_utf8_lossy(origin.as_bytes())),
                });
            }
            answer = CorsAnswer::to(origin.clone());
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        guard: &BrowserGuard,
        uri: &str,
        pairs: &[(&str, &str)],
    ) -> Result<CorsAnswer, ProxyError> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        guard.check(&headers, &uri.parse().expect("uri"))
    }

    #[test]
    fn the_uri_authority_is_checked_and_is_the_own_host() {
        let guard = BrowserGuard::default();
        let own = [("origin", "http://localhost:51023")];
        assert!(check(&guard, "http://localhost:51023/ApiItem/name", &own).is_ok());
        let err = check(&guard, "http://evil.example:51023/", &[]).expect_err("rebound name");
        assert_eq!(err.code(), "HOST_NOT_ALLOWED");
        // An absolute target and a Host that disagree: both must be allowed.
        let err = check(
            &guard,
            "http://127.0.0.1:51023/",
            &[("host", "evil.example:51023")],
        )
        .expect_err("a foreign Host");
        assert!(err.to_string().contains("\"evil.example:51023\""), "{err}");
    }

    #[test]
    fn no_host_passes_and_a_second_origin_is_checked_too() {
        let guard = BrowserGuard::default();
        assert!(check(&guard, "/health", &[]).is_ok());
        let err = check(
            &guard,
            "/health",
            &[
                ("origin", "http://localhost:8080"),
                ("origin", "http://evil.example"),
            ],
        )
        .expect_err("a foreign second origin");
        assert_eq!(err.code(), "ORIGIN_NOT_ALLOWED");
    }
}
