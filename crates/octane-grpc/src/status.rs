//! What the `tonic::Status` of a failed call says beyond its code: whether this side made it
//! (a failed connect, a deadline, a broken connection, an answer refused) or Octane sent it, and
//! the error behind it.
//!
//! A status made on this side carries the error that caused it as its source; one decoded from
//! Octane's trailers has none. The functions here read that source, so callers never parse a
//! status message to tell the cases apart.

use tonic::Status;

pub use crate::channel::{ConnectFailed, TransportError};
pub use crate::message_size::{Direction, MessageTooLarge};
pub use crate::unary::ProtocolError;

/// Whether a status was made on this side (connect failure, timeout, broken connection) rather
/// than sent by Octane. Statuses decoded from Octane's trailers have no source error.
#[must_use]
pub fn is_local(status: &Status) -> bool {
    std::error::Error::source(status).is_some()
}

/// Whether the client-side deadline ended the call (tonic reports it as CANCELLED).
#[must_use]
pub fn is_timeout(status: &Status) -> bool {
    source_chain(status).any(|e| e.is::<tonic::TimeoutExpired>())
}

/// Whether the call failed because no connection to Octane could be made: the request
/// certainly never reached Octane.
#[must_use]
pub fn is_connect_error(status: &Status) -> bool {
    source_chain(status).any(|e| e.is::<tonic::ConnectError>())
}

/// The message over the limit that failed the call, if that is why it failed.
#[must_use]
pub fn message_too_large(status: &Status) -> Option<&MessageTooLarge> {
    source_chain(status).find_map(|e| e.downcast_ref::<MessageTooLarge>())
}

/// The way Octane's answer broke gRPC's protocol, if that is why the call failed.
#[must_use]
pub fn protocol_error(status: &Status) -> Option<&ProtocolError> {
    source_chain(status).find_map(|e| e.downcast_ref::<ProtocolError>())
}

/// The reason Octane gave for resetting the call's stream (`RST_STREAM`), if that is why the
/// call failed: the connection itself is still up. The status's code is the channel's mapping
/// of the reason.
pub fn stream_reset(status: &Status) -> Option<h2::Reason> {
    source_chain(status)
        .find_map(|e| e.downcast_ref::<h2::Error>())
        .filter(|h2| h2.is_reset() && h2.is_remote())
        .and_then(h2::Error::reason)
}

/// The status of a call whose deadline passed on this side: what tonic's own timeout reports
/// (CANCELLED, sourced by `tonic::TimeoutExpired`), so [`is_timeout`] knows it.
#[must_use]
pub fn timeout_status() -> Status {
    Status::from_error(Box::new(tonic::TimeoutExpired(())))
}

fn source_chain(status: &Status) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(status), |e| e.source())
}
