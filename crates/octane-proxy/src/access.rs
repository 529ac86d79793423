//! Who may call what: an optional bearer token, and allow/deny patterns over `Service/method`.
//!
//! Octane can save, load and delete a user's work, so the policy is checked in the router before
//! a request is decoded: a refused call never reaches Octane.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;
use wildmatch::WildMatch;

use crate::{ProxyError, Route};

/// The access policy of a [`Router`](crate::Router). The default lets everything through.
#[derive(Clone, Default)]
pub struct AccessPolicy {
    token: Option<String>,
    allow: Option<Patterns>,
    deny: Option<Patterns>,
}

/// Never prints the token: policies end up in the configs of whatever embeds them.
impl std::fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPolicy")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allow", &self.allow.as_ref().map(|p| &p.sources))
            .field("deny", &self.deny.as_ref().map(|p| &p.sources))
            .finish()
    }
}

#[derive(Debug, Clone)]
struct Patterns {
    sources: Vec<String>,
    patterns: Vec<Pattern>,
}

/// One `Service/method` pattern, split at its `/` so that a `*` stays in its half.
#[derive(Debug, Clone)]
struct Pattern {
    service: WildMatch,
    method: WildMatch,
}

/// A pattern that is not of the form `Service/method`, or that names no RPC at all.
#[derive(Debug, thiserror::Error)]
#[error("invalid pattern {pattern:?}: {reason}")]
#[non_exhaustive]
pub struct InvalidPattern {
    pattern: String,
    reason: &'static str,
}

impl AccessPolicy {
    /// Requires `Authorization: Bearer <token>` (or `?token=<token>` on GET, for EventSource and
    /// `<img>`, which cannot set headers) on every route but `OPTIONS` and `/health`.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Only calls matching one of these patterns pass (unless also denied). Patterns are
    /// wildcards over `Service/method` with the short or the full service name: `ApiItem/*`,
    /// `octaneapi.ApiItemService/name`, `*/get*`. `*` matches any run of characters and `?` one
    /// character, each within its side of the `/`.
    pub fn allow<I, S>(mut self, patterns: I) -> Result<Self, InvalidPattern>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allow = Patterns::new(patterns)?;
        Ok(self)
    }

    /// Calls matching any of these patterns are refused with 403, allowed or not.
    pub fn deny<I, S>(mut self, patterns: I) -> Result<Self, InvalidPattern>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.deny = Patterns::new(patterns)?;
        Ok(self)
    }

    /// Whether a token is required.
    #[must_use]
    pub fn requires_token(&self) -> bool {
        self.token.is_some()
    }

    /// Checks the request's credentials.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        is_get: bool,
    ) -> Result<(), ProxyError> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let from_header = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            // The scheme's name is case-insensitive (RFC 9110, section 11.1).
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, token)| token.trim_start());
        // Browsers percent-encode the query value (`encodeURIComponent`), so a token with
        // `+`, `/` or `=` in it arrives as `%2B`, `%2F`, `%3D`.
        let from_query = is_get
            .then(|| {
                query
                    .into_iter()
                    .flat_map(|q| q.split('&'))
                    .find_map(|kv| kv.strip_prefix("token="))
                    .map(|value| Cow::from(percent_decode_str(value)))
            })
            .flatten();
        let given = from_header.map(str::as_bytes).or(from_query.as_deref());
        match given {
            Some(given) if bool::from(given.ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(ProxyError::Unauthorized),
        }
    }

    /// Checks the allow and deny lists for a call of `route`: the router does for every RPC
    /// route, and a mounted service that makes calls of its own (the callback streamer) must
    /// for those, so that a refused RPC never reaches Octane by another way.
    pub fn authorize(&self, route: &Route) -> Result<(), ProxyError> {
        // The default policy: no names to format on every call.
        if self.allow.is_none() && self.deny.is_none() {
            return Ok(());
        }
        let matches = |p: &Patterns| p.patterns.iter().any(|p| p.matches(route));
        if let Some(deny) = &self.deny
            && matches(deny)
        {
            return Err(ProxyError::Denied {
                service: route.short_service,
                method: route.method,
                rule: "denied by --deny",
            });
        }
        if let Some(allow) = &self.allow
            && !matches(allow)
        {
            return Err(ProxyError::Denied {
                service: route.short_service,
                method: route.method,
                rule: "not in --allow",
            });
        }
        Ok(())
    }

    /// The allow and deny patterns that match no RPC of this build. Only wildcard patterns can
    /// be among them (a literal one that names no RPC is refused); they are kept, as a later
    /// regen may bring RPCs they match, but today they are most likely a typo worth a warning.
    #[must_use]
    pub fn patterns_matching_nothing(&self) -> Vec<&str> {
        [&self.allow, &self.deny]
            .into_iter()
            .flatten()
            .flat_map(|p| p.sources.iter().zip(&p.patterns))
            .filter(|(_, pattern)| !crate::routes::all().iter().any(|r| pattern.matches(r)))
            .map(|(source, _)| source.as_str())
            .collect()
    }

    /// The allow and deny patterns as given, for the start-up log.
    #[must_use]
    pub fn describe(&self) -> String {
        let list = |p: &Option<Patterns>| {
            p.as_ref()
                .map_or_else(|| "-".to_owned(), |p| p.sources.join(" "))
        };
        format!(
            "token: {}, allow: {}, deny: {}",
            if self.token.is_some() {
                "required"
            } else {
                "none"
            },
            list(&self.allow),
            list(&self.deny)
        )
    }
}

impl Patterns {
    fn new<I, S>(patterns: I) -> Result<Option<Self>, InvalidPattern>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut sources = Vec::new();
        let mut parsed = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let compiled = Pattern::new(pattern)?;
            // A rule without wildcards names RPCs: one that names none is a typo, and a typo in
            // a deny rule would let through what it was meant to stop.
            let literal = !pattern.contains(['*', '?']);
            if literal && !crate::routes::all().iter().any(|r| compiled.matches(r)) {
                return Err(InvalidPattern {
                    pattern: pattern.to_owned(),
                    reason: "names no RPC (see GET /services for the names)",
                });
            }
            parsed.push(compiled);
            sources.push(pattern.to_owned());
        }
        Ok((!sources.is_empty()).then_some(Self {
            sources,
            patterns: parsed,
        }))
    }
}

impl Pattern {
    fn new(pattern: &str) -> Result<Self, InvalidPattern> {
        match pattern.split_once('/') {
            Some((service, method))
                if !service.is_empty() && !method.is_empty() && !method.contains('/') =>
            {
                Ok(Self {
                    service: WildMatch::new(service),
                    method: WildMatch::new(method),
                })
            }
            _ => Err(InvalidPattern {
                pattern: pattern.to_owned(),
                reason: "expected Service/method with exactly one '/', e.g. 'ApiItem/*'",
            }),
        }
    }

    /// Whether the pattern names `route` in any spelling a request may use for it: the four
    /// service names (`ApiItem`, `ApiItemService`, `octaneapi.ApiItem`,
    /// `octaneapi.ApiItemService`), and the method's real name or any of its aliases.
    fn matches(&self, route: &Route) -> bool {
        let mut methods = std::iter::once(route.method).chain(route.aliases.iter().copied());
        if !methods.any(|m| self.method.matches(m)) {
            return false;
        }
        // `path` is `/package.Service/method`: the full service name without allocating.
        let full_service = route.path[1..]
            .rsplit_once('/')
            .map_or(route.service, |(service, _)| service);
        self.service.matches(route.short_service)
            || self.service.matches(route.service)
            || self.service.matches(full_service)
            || self
                .service
                .matches(&format!("{}.{}", route.package, route.short_service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(service: &str, method: &str) -> &'static Route {
        crate::routes::lookup(service, method).expect("route exists")
    }

    #[test]
    fn deny_wins_and_matches_either_service_name() {
        let policy = AccessPolicy::default()
            .deny([
                "ApiProjectManager/save*",
                "octaneapi.ApiItemService/destroy",
            ])
            .expect("valid");
        assert!(
            policy
                .authorize(route("ApiProjectManager", "saveProjectAs"))
                .is_err()
        );
        assert!(
            policy
                .authorize(route("ApiProjectManager", "loadProject"))
                .is_ok()
        );
        assert!(policy.authorize(route("ApiItem", "destroy")).is_err());
        assert!(policy.authorize(route("ApiItem", "name")).is_ok());
    }

    #[test]
    fn allow_list_limits_to_its_matches_and_star_stays_in_its_segment() {
        let policy = AccessPolicy::default().allow(["*/get*"]).expect("valid");
        assert!(
            policy
                .authorize(route("ApiRenderEngine", "getDeviceCount"))
                .is_ok()
        );
        assert!(policy.authorize(route("ApiItem", "name")).is_err());
        let everything = AccessPolicy::default().allow(["*/*"]).expect("valid");
        assert!(everything.authorize(route("ApiItem", "name")).is_ok());
        let one_char = AccessPolicy::default()
            .allow(["LiveLink/?etCamera"])
            .expect("valid");
        assert!(one_char.authorize(route("LiveLink", "SetCamera")).is_ok());
        assert!(one_char.authorize(route("LiveLink", "GetFile")).is_err());
    }

    #[test]
    fn a_pattern_without_exactly_one_slash_is_refused() {
        for bad in ["*", "ApiItem", "/name", "ApiItem/", "a/b/c"] {
            let err = AccessPolicy::default().deny([bad]).expect_err(bad);
            assert!(err.to_string().contains("expected Service/method"), "{err}");
        }
    }

    #[test]
    fn a_rule_matches_every_spelling_a_request_may_use() {
        for spelling in [
            "ApiItem/name",
            "ApiItemService/name",
            "octaneapi.ApiItem/name",
            "octaneapi.ApiItemService/name",
            "*Service/name",
            "octaneapi.*/name",
        ] {
            let policy = AccessPolicy::default().deny([spelling]).expect(spelling);
            assert!(
                policy.authorize(route("ApiItem", "name")).is_err(),
                "{spelling}"
            );
            assert!(
                policy.authorize(route("ApiItem", "destroy")).is_ok(),
                "{spelling}"
            );
        }
        // A rule naming an old method name covers the RPC it reaches, however it is called.
        let policy = AccessPolicy::default()
            .deny(["ApiItem/getByAttrID"])
            .expect("an alias");
        assert!(
            policy
                .authorize(route("ApiItem", "getValueByAttrID"))
                .is_err()
        );
        assert!(policy.authorize(route("ApiItem", "getByAttrID")).is_err());
    }

    #[test]
    fn a_rule_without_wildcards_that_names_no_rpc_is_refused() {
        for typo in ["ApiProjectManagerServic/saveProject", "ApiItem/nam"] {
            let err = AccessPolicy::default().deny([typo]).expect_err(typo);
            assert!(err.to_string().contains("names no RPC"), "{err}");
        }
        // Wildcards may match nothing today and something after a regen; they are listed for a
        // warning.
        let policy = AccessPolicy::default()
            .allow(["*/get*", "Futur?/*"])
            .expect("valid")
            .deny(["ApiItem/*", "Future*/*", "ApiItem/destroy"])
            .expect("valid");
        assert_eq!(
            policy.patterns_matching_nothing(),
            ["Futur?/*", "Future*/*"]
        );
        assert!(
            AccessPolicy::default()
                .patterns_matching_nothing()
                .is_empty()
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let policy = AccessPolicy::default()
            .token("s3cret")
            .deny(["ApiItem/*"])
            .expect("valid");
        let printed = format!("{policy:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("<redacted>") && printed.contains("ApiItem/*"),
            "{printed}"
        );
    }

    #[test]
    fn a_query_token_is_percent_decoded() {
        let policy = AccessPolicy::default().token("s3c+r/t=");
        let headers = HeaderMap::new();
        for query in [
            "token=s3c%2Br%2Ft%3D",
            "token=s3c+r/t=",
            "x=1&token=s3c%2br%2ft%3d",
        ] {
            assert!(
                policy.authenticate(&headers, Some(query), true).is_ok(),
                "{query}"
            );
        }
        assert!(
            policy
                .authenticate(&headers, Some("token=s3c%20r%2Ft%3D"), true)
                .is_err()
        );
    }

    #[test]
    fn token_from_header_or_get_query() {
        let policy = AccessPolicy::default().token("s3cret");
        let mut headers = HeaderMap::new();
        assert!(policy.authenticate(&headers, None, false).is_err());
        assert!(
            policy
                .authenticate(&headers, Some("a=1&token=s3cret"), true)
                .is_ok()
        );
        assert!(
            policy
                .authenticate(&headers, Some("token=s3cret"), false)
                .is_err()
        );
        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer s3cret".parse().expect("header"),
        );
        assert!(policy.authenticate(&headers, None, false).is_ok());
        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer s3cre".parse().expect("header"),
        );
        assert!(policy.authenticate(&headers, None, false).is_err());
        for scheme in ["bearer s3cret", "BEARER s3cret"] {
            headers.insert(http::header::AUTHORIZATION, scheme.parse().expect("header"));
            assert!(
                policy.authenticate(&headers, None, false).is_ok(),
                "{scheme}"
            );
        }
        for other in ["Basic s3cret", "Bearers3cret", "s3cret"] {
            headers.insert(http::header::AUTHORIZATION, other.parse().expect("header"));
            assert!(
                policy.authenticate(&headers, None, false).is_err(),
                "{other}"
            );
        }
    }
}
