//! Cross-origin headers: every response carries them, `OPTIONS` on any path answers preflight.

use http::header::{self, HeaderMap, HeaderValue};

const ALLOW_METHODS: &str = "GET, POST, OPTIONS, PUT, DELETE";
// The deadline headers are the ones the proxy reads; the rest are what web clients send.
const ALLOW_HEADERS: &str = "Content-Type, Accept, X-Grpc-Web, X-Call-Id, Authorization, \
     X-Requested-With, X-Timeout-Ms, Grpc-Timeout";
const EXPOSE_HEADERS: &str = "X-Call-Id, X-Octane-Ignored-Fields";
const MAX_AGE: &str = "86400";

/// Which origins may read responses.
#[derive(Debug, Clone, Default)]
pub enum Cors {
    /// `Access-Control-Allow-Origin: *`, as the existing web clients need.
    #[default]
    AnyOrigin,
    /// Only these origins (exact `scheme://host[:port]` strings) are echoed back.
    Origins(Vec<HeaderValue>),
}

impl Cors {
    /// Restricts access to the given origins.
    pub fn origins<I, S>(origins: I) -> Result<Self, http::header::InvalidHeaderValue>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|o| HeaderValue::from_str(o.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self::Origins(origins))
    }

    /// Adds the CORS headers for a request from `origin` to `headers`.
    pub(crate) fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        match self {
            Self::AnyOrigin => {
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            Self::Origins(allowed) => {
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
                match origin {
                    Some(origin) if allowed.contains(origin) => {
                        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                    }
                    _ => return,
                }
            }
        }
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
