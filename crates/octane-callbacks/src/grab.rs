//! The `grabRenderResult` call, its answer decoded while it arrives.
//!
//! tonic's typed client buffers a whole answer and copies it out of its HTTP/2 frames into one
//! buffer before prost decodes it: for a frame, megabytes copied and then read again, cold, by
//! the base64 encoder. This call is made on the [`Channel`] directly, with the headers tonic
//! sends and gRPC's framing and statuses (stricter than tonic in two places: a second message,
//! and an HTTP status other than 200, fail the call), and hands each DATA frame of the answer to
//! a [`GrabDecoder`] as it arrives, whose [`PixelSink`] encodes the pixels at once.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::header::{CONTENT_TYPE, TE};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_proxy::octane::Channel;
use tonic::{Code, Status};
use tower::ServiceExt;

use crate::grab_decoder::{GrabDecodeError, GrabDecoder, PixelSink};

/// The RPC's gRPC path (checked against the generated route table in the tests).
const PATH: &str = "/octaneapi.ApiRenderEngineService/grabRenderResult";

/// The request: the empty `grabRenderResultRequest` behind its gRPC prefix (not compressed,
/// length 0).
const REQUEST: [u8; 5] = [0; 5];

/// Bytes of the answer read (and their pixels encoded) between two yields of the task, which
/// come between DATA frames. The answer's DATA frames are often all buffered already when the
/// task reads them; without a yield it would encode a whole frame (about a millisecond for
/// 8 MiB) while calls wait on this worker thread.
const YIELD_EVERY: usize = 1024 * 1024;

/// Calls `grabRenderResult` on `channel` and decodes the answer while it arrives, handing the
/// pixels to `sink`. The answer comes back without its pixel bytes. Octane's status comes back
/// as Octane sent it, the channel's failures as the channel reports them, and a malformed
/// answer as a status whose source is the error found; the caller enforces `timeout`, which is
/// also sent to Octane.
pub(crate) async fn grab_render_result(
    channel: Channel,
    timeout: Duration,
    sink: &mut impl PixelSink,
) -> Result<GrabRenderResultResponse, Status> {
    let mut request = Request::new(tonic::body::Body::new(http_body_util::Full::new(
        Bytes::from_static(&REQUEST),
    )));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = http::Uri::from_static(PATH);
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(TE, HeaderValue::from_static("trailers"));
    headers.insert("grpc-timeout", grpc_timeout(timeout));

    let response = channel.oneshot(request).await?;
    let (head, mut body) = response.into_parts();
    if let Some(status) = Status::from_header_map(&head.headers) {
        // A trailers-only answer: Octane's error, or an OK without the message.
        return Err(if status.code() == Code::Ok {
            missing_message()
        } else {
            status
        });
    }
    if head.status != StatusCode::OK {
        return Err(http_status(head.status));
    }

    let mut framing = Framing::Prefix {
        bytes: [0; 5],
        len: 0,
    };
    let mut since_yield = 0;
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let data = match frame?.into_data() {
            Ok(data) => data,
            Err(frame) => {
                trailers = frame.into_trailers().ok();
                continue;
            }
        };
        since_yield += data.len();
        framing = framing.read(data, sink)?;
        if since_yield >= YIELD_EVERY {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }

    match trailers.as_ref().and_then(Status::from_header_map) {
        Some(status) if status.code() == Code::Ok => {}
        Some(status) => return Err(status),
        None => {
            return Err(protocol_error(
                Code::Unknown,
                "Octane's answer ended without a grpc-status",
            ));
        }
    }
    match framing {
        Framing::Done(decoder) => decoder.finish().map_err(decode_status),
        Framing::Prefix { len: 0, .. } => Err(missing_message()),
        _ => Err(protocol_error(
            Code::Internal,
            "Octane's answer ended inside a message",
        )),
    }
}

/// Where the answer's bytes are in gRPC's framing.
enum Framing {
    /// In the message's 5-byte prefix (compressed flag, big-endian length), `len` of them read.
    Prefix { bytes: [u8; 5], len: usize },
    /// In the message, `left` bytes of it to come.
    Message { decoder: GrabDecoder, left: usize },
    /// After the message.
    Done(GrabDecoder),
}

impl Framing {
    /// Reads the next bytes of the answer: the message's prefix, then the message itself, which
    /// goes to its decoder piece by piece.
    fn read(mut self, mut data: Bytes, sink: &mut impl PixelSink) -> Result<Self, Status> {
        while !data.is_empty() {
            self = match self {
                Framing::Prefix { mut bytes, mut len } => {
                    let take = (bytes.len() - len).min(data.len());
                    data.copy_to_slice(&mut bytes[len..len + take]);
                    len += take;
                    if len < bytes.len() {
                        Framing::Prefix { bytes, len }
                    } else {
                        message_after(bytes)?
                    }
                }
                Framing::Message {
                    mut decoder,
                    mut left,
                } => {
                    let piece = data.split_to(left.min(data.len()));
                    left -= piece.len();
                    decoder.feed(piece, sink).map_err(decode_status)?;
                    if left == 0 {
                        Framing::Done(decoder)
                    } else {
                        Framing::Message { decoder, left }
                    }
                }
                Framing::Done(_) => {
                    return Err(protocol_error(
                        Code::Internal,
                        "Octane answered a unary call with more than one message",
                    ));
                }
            };
        }
        Ok(self)
    }
}

/// The framing after the message's prefix `prefix`.
fn message_after(prefix: [u8; 5]) -> Result<Framing, Status> {
    if prefix[0] != 0 {
        // No `grpc-accept-encoding` was sent, so nothing may come compressed.
        return Err(protocol_error(
            Code::Internal,
            "Octane sent a compressed message, and no compression was offered",
        ));
    }
    let len = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
    let decoder = GrabDecoder::new(len);
    Ok(if len == 0 {
        Framing::Done(decoder)
    } else {
        Framing::Message { decoder, left: len }
    })
}

/// `timeout` as a `grpc-timeout` header: milliseconds, at most the 8 digits gRPC allows.
fn grpc_timeout(timeout: Duration) -> HeaderValue {
    let millis = timeout.as_millis().clamp(1, 99_999_999);
    HeaderValue::try_from(format!("{millis}m")).expect("digits and a unit are a header value")
}

/// A unary answer without its message.
fn missing_message() -> Status {
    protocol_error(Code::Internal, "Octane answered OK without a message")
}

/// The status of an answer with an HTTP status other than 200 and no gRPC status, mapped as
/// gRPC's HTTP-to-gRPC status table says (and tonic does).
fn http_status(status: StatusCode) -> Status {
    let code = match status {
        StatusCode::BAD_REQUEST => Code::Internal,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::NOT_FOUND => Code::Unimplemented,
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
        _ => Code::Unknown,
    };
    let mut status = Status::new(code, format!("Octane answered HTTP {status}"));
    status.set_source(Arc::new(ProtocolError("an HTTP status other than 200")));
    status
}

/// A status made on this side for an answer that breaks gRPC's protocol: the error is its
/// source, which tells it apart from a status Octane sent.
fn protocol_error(code: Code, what: &'static str) -> Status {
    let mut status = Status::new(code, format!("protocol error: {what}"));
    status.set_source(Arc::new(ProtocolError(what)));
    status
}

/// What was wrong with an answer's gRPC framing.
#[derive(Debug, thiserror::Error)]
#[error("protocol error: {0}")]
struct ProtocolError(&'static str);

/// A malformed answer, made on this side: the decode error is its source.
fn decode_status(err: GrabDecodeError) -> Status {
    let mut status = Status::internal(format!("cannot decode Octane's answer: {err}"));
    status.set_source(Arc::new(err));
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_the_generated_routes() {
        let route = octane_proxy::routes::lookup("ApiRenderEngine", "grabRenderResult")
            .expect("a generated route");
        assert_eq!(route.path, PATH);
    }

    #[test]
    fn timeouts_are_milliseconds_within_eight_digits() {
        assert_eq!(grpc_timeout(Duration::from_secs(10)), "10000m");
        assert_eq!(grpc_timeout(Duration::from_micros(10)), "1m");
        assert_eq!(grpc_timeout(Duration::from_secs(1 << 40)), "99999999m");
    }

    /// Ignores pixels.
    struct NoSink;

    impl PixelSink for NoSink {
        fn begin(&mut self, _: usize, _: usize) {}
        fn pixels(&mut self, _: usize, _: Bytes) {}
    }

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    fn read_all(pieces: &[&[u8]]) -> Result<Framing, Status> {
        let start = Framing::Prefix {
            bytes: [0; 5],
            len: 0,
        };
        pieces.iter().try_fold(start, |framing, piece| {
            framing.read(Bytes::copy_from_slice(piece), &mut NoSink)
        })
    }

    #[test]
    fn a_message_split_anywhere_is_read_whole() {
        // `result: true`.
        let answer = framed(&[0x08, 0x01]);
        for at in 0..=answer.len() {
            let (a, b) = answer.split_at(at);
            let Ok(Framing::Done(decoder)) = read_all(&[a, b]) else {
                panic!("split at {at}: not done");
            };
            assert!(decoder.finish().expect("decodes").result);
        }
        assert!(matches!(read_all(&[&framed(&[])]), Ok(Framing::Done(_))));
    }

    #[test]
    fn a_second_message_or_a_compressed_one_is_refused_as_made_here() {
        let twice = [framed(&[0x08, 0x01]), framed(&[])].concat();
        let mut compressed = framed(&[0x08, 0x01]);
        compressed[0] = 1;
        for answer in [twice, compressed] {
            let status = read_all(&[&answer]).err().expect("refused");
            assert_eq!(status.code(), Code::Internal);
            assert!(std::error::Error::source(&status).is_some(), "{status:?}");
        }
    }

    #[test]
    fn a_malformed_message_fails_with_its_decode_error() {
        // A tag of field number 0.
        let status = read_all(&[&framed(&[0x00])]).err().expect("refused");
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("invalid tag"), "{status:?}");
    }
}
