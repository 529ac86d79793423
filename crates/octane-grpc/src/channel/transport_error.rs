//! [`TransportError`]: a call failed by the HTTP/2 connection rather than by Octane.

use std::sync::Arc;

use tonic::{Code, Status};

/// The HTTP/2 failure behind a call's status: a broken connection, a reset stream.
#[derive(Debug, thiserror::Error)]
#[error("HTTP/2 connection to Octane: {0}")]
#[non_exhaustive]
pub struct TransportError(#[source] h2::Error);

/// The status of a call the connection failed: UNAVAILABLE when the connection broke or Octane
/// refused the stream, CANCELLED when the stream was cancelled, INTERNAL for protocol errors.
/// The h2 error is its source, which marks it as made on this side.
pub(super) fn transport_status(err: h2::Error) -> Status {
    let code = match err.reason() {
        _ if err.is_io() || err.is_go_away() => Code::Unavailable,
        Some(h2::Reason::REFUSED_STREAM) => Code::Unavailable,
        Some(h2::Reason::CANCEL) => Code::Cancelled,
        Some(h2::Reason::ENHANCE_YOUR_CALM) => Code::ResourceExhausted,
        _ => Code::Internal,
    };
    let mut status = Status::new(code, err.to_string());
    status.set_source(Arc::new(TransportError(err)));
    status
}
