//! [`ResponseBody`]: Octane's answer read straight from h2, its message sizes checked as their
//! prefixes arrive.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use http::HeaderMap;
use http_body::Frame;
use tonic::Status;

use super::OpenCall;
use super::transport_error::transport_status;
use crate::message_size::MessagePrefixes;

/// The trailer carrying a status's details (a serialized `google.rpc.Status`, base64).
const GRPC_STATUS_DETAILS: &str = "grpc-status-details-bin";

/// A response body read straight from h2, handing its flow-control window back as it goes.
pub struct ResponseBody {
    recv: h2::RecvStream,
    messages: MessagePrefixes,
    data_done: bool,
    done: bool,
    _open: OpenCall,
}

impl ResponseBody {
    /// The body of `recv`, whose messages may be up to `max_message_size` bytes, counted as
    /// an open call until dropped.
    pub(super) fn new(recv: h2::RecvStream, max_message_size: usize, open: OpenCall) -> Self {
        Self {
            recv,
            messages: MessagePrefixes::new(max_message_size),
            data_done: false,
            done: false,
            _open: open,
        }
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if !self.data_done {
            match ready!(self.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    // Only fails when the stream is gone, which the next poll reports.
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    if let Err(too_large) = self.messages.read(&data) {
                        // Dropping the body then resets the stream: Octane stops sending.
                        self.done = true;
                        return Poll::Ready(Some(Err(too_large.into_status())));
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(err)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(transport_status(err))));
                }
                None => self.data_done = true,
            }
        }
        self.done = true;
        Poll::Ready(match ready!(self.recv.poll_trailers(cx)) {
            Ok(Some(mut trailers)) => {
                drop_undecodable_status_details(&mut trailers);
                Some(Ok(Frame::trailers(trailers)))
            }
            Ok(None) => None,
            Err(err) => Some(Err(transport_status(err))),
        })
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}

/// How tonic decodes `grpc-status-details-bin`: standard base64, padded or not.
const STATUS_DETAILS_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Removes a `grpc-status-details-bin` that is not base64 from Octane's answer: tonic panics
/// reading one. The details are opaque to the proxy; the status and message beside them, which
/// the caller gets, are not lost with them.
pub(super) fn drop_undecodable_status_details(headers: &mut HeaderMap) {
    let Some(details) = headers.get(GRPC_STATUS_DETAILS) else {
        return;
    };
    if let Err(err) = STATUS_DETAILS_BASE64.decode(details.as_bytes()) {
        tracing::warn!(error = %err, "Octane sent a grpc-status-details-bin that is not base64; dropped it");
        headers.remove(GRPC_STATUS_DETAILS);
    }
}
