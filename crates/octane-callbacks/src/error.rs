//! Every failure of the render endpoints and its HTTP status, mapped in one place. Failures
//! they share with the proxy's routes (a body too large, too slow, unreadable; a call the
//! access policy refuses) are the proxy's own [`ProxyError`], answered as the routes answer it.

use std::sync::Arc;

use http::{Method, StatusCode};
use octane_proxy::ProxyError;
use tokio::task::JoinError;

use crate::jpeg::JpegError;
use crate::png::{ImageError, PngError};

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
    /// The frame's image cannot be read as 8-bit pixels (for a JPEG).
    #[error("{0}")]
    Image(#[source] ImageError),
    /// The frame has no image to convert.
    #[error("the frame has no image")]
    NoImage,
    /// The latest frame's image could not be made a PNG (shared by every client of the frame).
    #[error("{0}")]
    Png(#[source] Arc<PngError>),
    /// The task encoding the PNG did not finish (it panicked).
    #[error("PNG encoding stopped: {0}")]
    PngStopped(#[source] JoinError),
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
    Encoding(#[source] Arc<JpegError>),
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
            Self::Image(_) | Self::NoImage | Self::Png(_) | Self::PngStopped(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
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
            Self::Image(_) | Self::NoImage | Self::Png(_) | Self::PngStopped(_) => "IMAGE",
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
            (RenderError::Image(ImageError::Unsupported(9)), 422, "IMAGE"),
            (RenderError::NoImage, 422, "IMAGE"),
            (
                RenderError::Png(Arc::new(PngError::Image(ImageError::Empty {
                    width: 0,
                    height: 0,
                }))),
                422,
                "IMAGE",
            ),
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
            (
                RenderError::Encoding(Arc::new(JpegError::TooLarge {
                    width: 70_000,
                    height: 1,
                })),
                500,
                "ENCODING",
            ),
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

    #[test]
    fn a_shared_encoder_failure_keeps_its_cause_for_every_viewer() {
        use std::error::Error as _;

        use fast_image_resize::ImageBufferError;

        use crate::fan_out::jpeg_variant::EncodeFailure;
        use crate::jpeg::DownscaleError;

        let failure = EncodeFailure::Jpeg(Arc::new(JpegError::Resize(DownscaleError::Source(
            ImageBufferError::InvalidBufferSize,
        ))));
        for err in [RenderError::from(&failure), RenderError::from(&failure)] {
            assert_eq!((err.status().as_u16(), err.code()), (500, "ENCODING"));
            assert_eq!(
                err.to_string(),
                "downscaling failed: Size of buffer is smaller than required"
            );
            let jpeg = err.source().expect("the JPEG error");
            assert!(jpeg.downcast_ref::<Arc<JpegError>>().is_some());
            let downscale = jpeg.source().expect("the downscaler's error");
            assert!(downscale.downcast_ref::<DownscaleError>().is_some());
        }

        let unreadable =
            EncodeFailure::Jpeg(Arc::new(JpegError::Image(ImageError::Unsupported(9))));
        let err = RenderError::from(&unreadable);
        assert_eq!((err.status().as_u16(), err.code()), (422, "IMAGE"));
        assert_eq!(
            err.source()
                .and_then(|cause| cause.downcast_ref::<ImageError>()),
            Some(&ImageError::Unsupported(9))
        );
        assert_eq!(
            RenderError::from(&EncodeFailure::NoImage).to_string(),
            "the frame has no image"
        );
    }
}
