//! Cross-origin headers: what a response tells the browser a page of an allowed origin may read.
//!
//! Which origins are allowed is [`AllowedOrigins`](crate::AllowedOrigins)'s to decide, before
//! the request is served; this module only writes the answer's headers. An allowed origin is
//! echoed, never `*`, so that the list of origins is the only thing that grants reading.

use http::header::{self, HeaderMap, HeaderValue};

const ALLOW_METHODS: &str = "GET, POST, OPTIONS, PUT, DELETE";
// The deadline headers are the ones the proxy reads; the rest are what web clients send.
const ALLOW_HEADERS: &str = "Content-Type, Accept, X-Grpc-Web, X-Call-Id, Authorization, \
     X-Requested-With, X-Timeout-Ms, Grpc-Timeout";
const EXPOSE_HEADERS: &str = "X-Call-Id";
const MAX_AGE: &str = "86400";

/// The CORS headers of one response: for the allowed `Origin` of its request, or for none.
#[derive(Debug, Default)]
pub(crate) struct CorsAnswer {
    /// The request's origin, when it had one and it is allowed.
    origin: Option<HeaderValue>,
}

impl CorsAnswer {
    /// The answer to a request from `origin`, which has been allowed.
    pub(crate) fn to(origin: HeaderValue) -> Self {
        Self {
            origin: Some(origin),
        }
    }

    /// Adds the headers to a response. `Vary: Origin` goes on every response, with an origin or
    /// without, so that a cache never hands one origin's answer to another.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = &self.origin else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
    }
}
