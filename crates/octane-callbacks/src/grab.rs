//! The `grabRenderResult` call, its answer decoded while it arrives.
//!
//! tonic's typed client buffers a whole answer and copies it out of its HTTP/2 frames into one
//! buffer before prost decodes it: for a frame, megabytes copied and then read again, cold, by
//! the base64 encoder. This call is made on the [`Channel`] directly, as tonic would make it
//! (the same headers, the gRPC length prefix, the status in the trailers), and hands each DATA
//! frame of the answer to a [`GrabDecoder`] as it arrives, whose [`PixelSink`] encodes the
//! pixels at once.

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

/// Pixels decoded between two yields of the task. The answer's DATA frames are often all
/// buffered already when the task reads them; without a yield it would encode a whole frame
/// (about a millisecond for 8 MiB) while calls wait on this worker thread.
const YIELD_EVERY: usize = 1024 * 1024;

/// Calls `grabRenderResult` on `channel` and decodes the answer while it arrives, handing the
/// pixels to `sink`. The answer comes back without its pixel bytes. Octane's status, and
/// failures on this side, come back as tonic would report them; the caller enforces `timeout`,
/// which is also sent to Octane.
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

    let mut framing = Framing::prefix();
    let mut messages = 0;
    let mut decoder = GrabDecoder::new();
    let mut since_yield = 0;
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let mut data = match frame?.into_data() {
            Ok(data) => data,
            Err(frame) => {
                trailers = frame.into_trailers().ok();
                continue;
            }
        };
        while !data.is_empty() {
            match &mut framing {
                Framing::Prefix { bytes, len } => {
                    let take = (bytes.len() - *len).min(data.len());
                    data.copy_to_slice(&mut bytes[*len..*len + take]);
                    *len += take;
                    if *len == bytes.len() {
                        messages += 1;
                        framing = match message_after(*bytes, messages)? {
                            Framing::Message { left: 0 } => Framing::prefix(),
                            message => message,
                        };
                    }
                }
                Framing::Message { left } => {
                    let piece = data.split_to((*left).min(data.len()));
                    *left -= piece.len();
                    since_yield += piece.len();
                    if *left == 0 {
                        framing = Framing::prefix();
                    }
                    decoder.feed(piece, sink).map_err(decode_status)?;
                }
            }
        }
        if since_yield >= YIELD_EVERY {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }

    match trailers.as_ref().and_then(Status::from_header_map) {
        Some(status) if status.code() == Code::Ok => {}
        Some(status) => return Err(status),
        None => {
            return Err(Status::internal(
                "protocol error: Octane's answer ended without a grpc-status",
            ));
        }
    }
    match framing {
        Framing::Prefix { len: 0, .. } if messages == 1 => {}
        Framing::Prefix { len: 0, .. } => return Err(missing_message()),
        _ => {
            return Err(Status::internal(
                "protocol error: Octane's answer ended inside a message",
            ));
        }
    }
    decoder.finish().map_err(decode_status)
}

/// Where the answer's bytes are in gRPC's framing.
enum Framing {
    /// In a message's 5-byte prefix (compressed flag, big-endian length), `len` of them read.
    Prefix { bytes: [u8; 5], len: usize },
    /// In a message, `left` bytes of it to come.
    Message { left: usize },
}

impl Framing {
    /// Before a message.
    fn prefix() -> Self {
        Self::Prefix {
            bytes: [0; 5],
            len: 0,
        }
    }
}

/// The framing after the prefix of the answer's `count`th message.
fn message_after(prefix: [u8; 5], count: usize) -> Result<Framing, Status> {
    if count > 1 {
        return Err(Status::internal(
            "protocol error: Octane answered a unary call with more than one message",
        ));
    }
    if prefix[0] != 0 {
        // No `grpc-accept-encoding` was sent, so nothing may come compressed.
        return Err(Status::internal(
            "protocol error: received a compressed message, and no compression was offered",
        ));
    }
    let len = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]);
    Ok(Framing::Message { left: len as usize })
}

/// `timeout` as a `grpc-timeout` header: milliseconds, at most the 8 digits gRPC allows.
fn grpc_timeout(timeout: Duration) -> HeaderValue {
    let millis = timeout.as_millis().clamp(1, 99_999_999);
    HeaderValue::try_from(format!("{millis}m")).expect("digits and a unit are a header value")
}

/// What tonic reports when a unary answer has no message.
fn missing_message() -> Status {
    Status::internal("protocol error: Octane answered OK without a message")
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
    Status::new(code, format!("Octane answered HTTP {status}"))
}

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

    #[test]
    fn a_second_message_or_a_compressed_one_is_refused() {
        assert!(matches!(
            message_after([0, 0, 0, 1, 0], 1),
            Ok(Framing::Message { left: 256 })
        ));
        for (prefix, count) in [([0, 0, 0, 0, 1], 2), ([1, 0, 0, 0, 1], 1)] {
            let status = message_after(prefix, count).err().expect("refused");
            assert_eq!(status.code(), Code::Internal);
        }
    }
}
