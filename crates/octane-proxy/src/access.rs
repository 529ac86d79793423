//! Who may call what: an optional bearer token, and allow/deny patterns over `Service/method`.
//!
//! Octane can save, load and delete a user's work, so the policy is checked in the router before
//! a request is decoded: a refused call never reaches Octane.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::{ProxyError, Route};

/// The access policy of a [`Router`](crate::Router). The default lets everything through.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    token: Option<String>,
    allow: Option<Patterns>,
    deny: Option<Patterns>,
}

#[derive(Debug, Clone)]
struct Patterns {
    sources: Vec<String>,
    set: GlobSet,
}

/// A pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid Service/method pattern {pattern:?}: {source}")]
pub struct InvalidPattern {
    pattern: String,
    #[source]
    source: globset::Error,
}

impl AccessPolicy {
    /// Requires `Authorization: Bearer <token>` (or `?token=<token>` on GET, for EventSource and
    /// `<img>`, which cannot set headers) on every route but `OPTIONS` and `/health`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Only calls matching one of these patterns pass (unless also denied). Patterns are globs
    /// over `Service/method` with the short or the full service name: `ApiItem/*`,
    /// `octaneapi.ApiItemService/name`, `*/get*`. `*` does not cross the `/`.
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
            .and_then(|v| v.strip_prefix("Bearer "));
        let from_query = is_get
            .then(|| {
                query
                    .into_iter()
                    .flat_map(|q| q.split('&'))
                    .find_map(|kv| kv.strip_prefix("token="))
            })
            .flatten();
        match from_header.or(from_query) {
            Some(given) if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(ProxyError::Unauthorized),
        }
    }

    /// Checks the allow and deny lists for a call of `route`.
    pub(crate) fn authorize(&self, route: &Route) -> Result<(), ProxyError> {
        // The default policy: no names to format on every call.
        if self.allow.is_none() && self.deny.is_none() {
            return Ok(());
        }
        let names = [
            format!("{}/{}", route.short_service, route.method),
            format!("{}.{}/{}", route.package, route.service, route.method),
        ];
        let matches = |p: &Patterns| names.iter().any(|n| p.set.is_match(n));
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

    /// The allow and deny patterns as given, for the start-up log.
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
        let mut builder = GlobSetBuilder::new();
        let mut sources = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let glob: Glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|source| InvalidPattern {
                    pattern: pattern.to_owned(),
                    source,
                })?;
            builder.add(glob);
            sources.push(pattern.to_owned());
        }
        if sources.is_empty() {
            return Ok(None);
        }
        let set = builder.build().map_err(|source| InvalidPattern {
            pattern: sources.join(" "),
            source,
        })?;
        Ok(Some(Self { sources, set }))
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
        let star = AccessPolicy::default().allow(["*"]).expect("valid");
        assert!(star.authorize(route("ApiItem", "name")).is_err());
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
    }
}
