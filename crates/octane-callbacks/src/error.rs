//! Every failure of the render endpoints and its HTTP status, mapped in one place. Failures
//! they share with the proxy's routes (a body too large, too slow, unreadable; a call the
//! access policy refuses) are the proxy's own [`ProxyError`], answered as the routes answer it.

use http::{Method, StatusCode};
use octane_proxy::ProxyError;

/// Why a render endpoint did not answer with what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum RenderError {
    /// No render endpoint at this path (clipped for the message).
    #[error("no render endpoint {0}")]
    NotFound(String),
    /// The endpoint takes other methods.
    #[error("{method} is not allowed here; use {use_instead}")]
    MethodNotAllowed {
        /// The method asked for.
        method: Method,
        /// The method to use.
        use_instead: &'static str,
        /// The `Allow` header: the methods the endpoint takes, OPTIONS included (the router
        /// answers it, for CORS preflights, on every path).
        allow: &'static str,
    },
    /// The render stream runs, but not connected to Octane.
    #[error(
        "Octane is not connected: the render stream retries until it is{}",
        last_error.as_ref().map_or_else(String::new, |err| format!(" ({err})"))
    )]
    NotConnected {
        /// Why the stream is down, if known.
        last_error: Option<String>,
    },
    /// No frame to show yet; says what to do.
    #[error("no frame yet: {0}")]
    NoFrame(&'static str),
    /// The latest frame's image could not be converted.
    #[error("{0}")]
    Image(String),
    /// A request body that is not JSON.
    #[error("the body is not JSON: {0}")]
    MalformedJson(#[source] serde_json::Error),
    /// `ping-client` without a string `client_id`.
    #[error(
        "client_id is required: {{\"client_id\":\"...\"}}{}",
        .0.as_ref().map_or_else(String::new, |err| format!(" ({err})"))
    )]
    MissingClientId(#[source] Option<serde_json::Error>),
    /// A request to a WebSocket endpoint that is not a WebSocket handshake; says what is missing.
    #[error("{0}")]
    NotWebSocket(&'static str),
    /// A live-view parameter that does not fit (`quality`, `max_width`, `max_height`, `fps`,
    /// `format`).
    #[error("{name}={value} is not valid: {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// The value given (clipped for the message).
        value: String,
        /// What the parameter takes.
        expected: &'static str,
    },
    /// The frame could be read but not encoded as asked (a library failure, a size JPEG cannot
    /// state).
    #[error("{0}")]
    Encoding(String),
    /// A failure the proxy's routes share.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
}

impl RenderError {
    /// The HTTP status of the answer.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) | Self::NoFrame(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotConnected { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Image(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_) | Self::MissingClientId(_) | Self::InvalidParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::Encoding(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotWebSocket(_) => StatusCode::UPGRADE_REQUIRED,
            Self::Proxy(err) => err.status(),
        }
    }

    /// The `code` of the error body.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::NoFrame(_) => "NO_FRAME",
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::NotConnected { .. } => "UNAVAILABLE",
            Self::Image(_) => "IMAGE",
            Self::MalformedJson(_) => "MALFORMED_JSON",
            Self::MissingClientId(_) | Self::InvalidParameter { .. } => "INVALID_ARGUMENT",
            Self::Encoding(_) => "ENCODING",
            Self::NotWebSocket(_) => "UPGRADE_REQUIRED",
            Self::Proxy(err) => err.code(),
        }
    }

    /// The `Allow` header of a 405.
    pub(crate) fn allow(&self) -> Option<&'static str> {
        match self {
            Self::MethodNotAllowed { allow, .. } => Some(allow),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_one_status_and_code() {
        let cases = [
            (RenderError::NotFound("/render/x".into()), 404, "NOT_FOUND"),
            (RenderError::NoFrame("wait"), 404, "NO_FRAME"),
            (
                RenderError::MethodNotAllowed {
                    method: Method::PUT,
                    use_instead: "GET",
                    allow: "GET, HEAD, OPTIONS",
                },
                405,
                "METHOD_NOT_ALLOWED",
            ),
            (
                RenderError::NotConnected { last_error: None },
                503,
                "UNAVAILABLE",
            ),
            (RenderError::Image("4 channels".into()), 422, "IMAGE"),
            (RenderError::MissingClientId(None), 400, "INVALID_ARGUMENT"),
            (
                RenderError::InvalidParameter {
                    name: "fps",
                    value: "0".into(),
                    expected: "above 0",
                },
                400,
                "INVALID_ARGUMENT",
            ),
            (RenderError::Encoding("failed".into()), 500, "ENCODING"),
            (
                RenderError::NotWebSocket("send Upgrade"),
                426,
                "UPGRADE_REQUIRED",
            ),
            (
                RenderError::Proxy(ProxyError::PayloadTooLarge { limit: 1 }),
                413,
                "PAYLOAD_TOO_LARGE",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!((err.status().as_u16(), err.code()), (status, code), "{err}");
            assert_eq!(err.allow().is_some(), status == 405, "{err}");
        }
        assert_eq!(
            RenderError::NotConnected {
                last_error: Some("refused".into())
            }
            .to_string(),
            "Octane is not connected: the render stream retries until it is (refused)"
        );
    }
}
