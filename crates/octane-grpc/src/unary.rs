//! Unary calls on the [`Channel`] without tonic's client (and the sending of every call the
//! proxy makes that way: client-streaming calls, whose answer is one message as a unary
//! call's, and server-streaming ones, read by [`MessageStream`](crate::MessageStream)).
//!
//! tonic's `Grpc::unary` wraps the request in an encoding stream and the answer in a decoding
//! one: buffers, copies and state machines for what is, in a unary call, one message each way.
//! Here the request goes out as one DATA frame with the headers tonic sends, and the answer is
//! read DATA frame by DATA frame with gRPC's framing and statuses, stricter than tonic in two
//! places: a second message, and an HTTP status other than 200, fail the call. The proxy's unary
//! routes take the answer's message whole ([`UnaryAnswer::message`], no copy when it came in one
//! DATA frame); the callback streamer decodes a render frame while it arrives
//! ([`UnaryAnswer::data`] through a [`UnaryFraming`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, TE};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use tonic::{Code, Status};
use tower::ServiceExt;

use crate::channel::{Channel, ResponseBody};
use crate::grpc_framing::{GrpcFraming, GrpcPiece};

/// Sends the unary call `path` with the encoded request `message` on `channel`, telling Octane
/// the deadline `timeout` (`grpc-timeout`; the caller enforces it), and answers once Octane's
/// response headers arrived: Octane's status at once if it sent only headers, or the answer to
/// read.
pub async fn send_unary(
    channel: Channel,
    path: &'static str,
    message: &[u8],
    timeout: Duration,
) -> Result<UnaryAnswer, Status> {
    send_for_one_answer(channel, path, &[message], timeout).await
}

/// [`send_unary`] for a client-streaming call: every request message is known up front, and
/// the answer is one message, as a unary call's.
pub(crate) async fn send_for_one_answer(
    channel: Channel,
    path: &'static str,
    messages: &[&[u8]],
    timeout: Duration,
) -> Result<UnaryAnswer, Status> {
    match send(channel, path, messages, Some(timeout)).await? {
        // A trailers-only answer: Octane's error, or an OK without the message.
        Head::Status(status) if status.code() == Code::Ok => Err(missing_message()),
        Head::Status(status) => Err(status),
        Head::Body(body) => Ok(UnaryAnswer {
            body,
            trailers: None,
        }),
    }
}

/// What the head of Octane's answer said.
pub(crate) enum Head {
    /// A trailers-only answer: Octane's status, OK included, and nothing else.
    Status(Status),
    /// Messages and trailers follow.
    Body(ResponseBody),
}

/// Sends the call `path` with the encoded request `messages` and the headers tonic's client
/// sends, telling Octane the deadline `timeout` if there is one; answers the response's head.
pub(crate) async fn send(
    channel: Channel,
    path: &'static str,
    messages: &[&[u8]],
    timeout: Option<Duration>,
) -> Result<Head, Status> {
    let mut framed = Vec::with_capacity(messages.iter().map(|m| 5 + m.len()).sum());
    for message in messages {
        framed.push(0);
        framed.extend_from_slice(&message_len(message.len())?.to_be_bytes());
        framed.extend_from_slice(message);
    }
    let body = http_body_util::Full::new(Bytes::from(framed));
    let mut request = Request::new(tonic::body::Body::new(body));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = Uri::from_static(path);
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(TE, HeaderValue::from_static("trailers"));
    if let Some(timeout) = timeout {
        headers.insert("grpc-timeout", grpc_timeout(timeout));
    }

    let (head, body) = channel.oneshot(request).await?.into_parts();
    if let Some(status) = Status::from_header_map(&head.headers) {
        return Ok(Head::Status(status));
    }
    if head.status != StatusCode::OK {
        return Err(http_status(head.status));
    }
    Ok(Head::Body(body))
}

/// The answer of a unary call past its headers: DATA frames, then trailers with Octane's status.
#[derive(Debug)]
pub struct UnaryAnswer {
    pub(crate) body: ResponseBody,
    pub(crate) trailers: Option<HeaderMap>,
}

impl UnaryAnswer {
    /// The answer's next DATA frame, as h2 received it; `None` once the data ended. A failure of
    /// the connection or of the channel's message limit is the channel's status.
    pub async fn data(&mut self) -> Option<Result<Bytes, Status>> {
        loop {
            match self.body.frame().await? {
                Err(status) => return Some(Err(status)),
                Ok(frame) => match frame.into_data() {
                    Ok(data) => return Some(Ok(data)),
                    Err(frame) => self.trailers = frame.into_trailers().ok(),
                },
            }
        }
    }

    /// Octane's status, once [`UnaryAnswer::data`] returned `None`: `Ok` for OK, Octane's
    /// status otherwise, UNKNOWN (made here) if the trailers carry none.
    pub fn status(&self) -> Result<(), Status> {
        match self.trailers.as_ref().and_then(Status::from_header_map) {
            Some(status) if status.code() == Code::Ok => Ok(()),
            Some(status) => Err(status),
            None => Err(protocol_error(
                Code::Unknown,
                "Octane's answer ended without a grpc-status",
            )),
        }
    }

    /// Reads the rest of the answer and answers its one message: a slice of the DATA frame it
    /// came in, or the pieces joined when it spans several. Octane's error status wins over an
    /// answer that ended inside its message or without one; a second message or a compressed
    /// one fails the call as it arrives.
    pub async fn message(mut self) -> Result<Bytes, Status> {
        let mut framing = UnaryFraming::new();
        let mut message = Message::None;
        while let Some(data) = self.data().await {
            let mut data = data?;
            while let Some(piece) = framing.next(&mut data)? {
                message = message.take(piece);
            }
        }
        self.status()?;
        framing.finish()?;
        Ok(message.bytes())
    }
}

/// A message as it is read, from the pieces of a [`GrpcFraming`].
#[derive(Debug, Default)]
pub(crate) enum Message {
    #[default]
    None,
    /// The prefix was read; no byte yet (none will come for an empty message).
    Announced,
    /// All bytes so far came in one piece.
    Whole(Bytes),
    Joined(BytesMut),
}

impl Message {
    /// The message with `piece` read: a prefix starts a new one.
    pub(crate) fn take(self, piece: GrpcPiece) -> Self {
        match (self, piece) {
            (_, GrpcPiece::Prefix { .. }) => Self::Announced,
            (Self::Announced, GrpcPiece::Message(bytes)) => Self::Whole(bytes),
            (Self::Whole(first), GrpcPiece::Message(bytes)) => {
                let mut joined = BytesMut::with_capacity(first.len() + bytes.len());
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&bytes);
                Self::Joined(joined)
            }
            (Self::Joined(mut joined), GrpcPiece::Message(bytes)) => {
                joined.extend_from_slice(&bytes);
                Self::Joined(joined)
            }
            // The framing announces every message before its bytes.
            (Self::None, GrpcPiece::Message(_)) => Self::None,
        }
    }

    /// The bytes read: a slice of the DATA frame when they came in one piece.
    pub(crate) fn bytes(self) -> Bytes {
        match self {
            Self::None | Self::Announced => Bytes::new(),
            Self::Whole(bytes) => bytes,
            Self::Joined(joined) => joined.freeze(),
        }
    }
}

/// gRPC's framing of a unary answer, which holds exactly one message, not compressed.
#[derive(Debug, Default)]
pub struct UnaryFraming {
    framing: GrpcFraming,
    /// Whether the message's prefix was read.
    announced: bool,
}

impl UnaryFraming {
    /// The framing at the start of an answer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece of the message off the front of `data`: its prefix, then its bytes
    /// (slices, not copies); `None` once `data` is used up. A second message is refused at its
    /// first byte, and a compressed one at its prefix (no compression was offered).
    pub fn next(&mut self, data: &mut Bytes) -> Result<Option<GrpcPiece>, Status> {
        if self.announced && self.framing.between_messages() && !data.is_empty() {
            return Err(protocol_error(
                Code::Internal,
                "Octane answered a unary call with more than one message",
            ));
        }
        match self.framing.next(data) {
            Some(GrpcPiece::Prefix {
                compressed: true, ..
            }) => Err(compressed_message()),
            Some(prefix @ GrpcPiece::Prefix { .. }) => {
                self.announced = true;
                Ok(Some(prefix))
            }
            piece => Ok(piece),
        }
    }

    /// Checks that the answer, now ended, held one whole message.
    pub fn finish(&self) -> Result<(), Status> {
        if !self.framing.between_messages() {
            Err(cut_inside_message())
        } else if !self.announced {
            Err(missing_message())
        } else {
            Ok(())
        }
    }
}

/// How Octane's answer broke gRPC's protocol: the source of the status of a call failed for it,
/// which tells it apart from a status Octane sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An HTTP status other than 200, and no gRPC status.
    #[error("Octane answered HTTP {0}")]
    HttpStatus(StatusCode),
    /// The answer's framing or trailers: what was wrong.
    #[error("{0}")]
    Framing(&'static str),
}

/// A status made on this side for an answer that breaks gRPC's protocol.
fn protocol_error(code: Code, what: &'static str) -> Status {
    let mut status = Status::new(code, format!("protocol error: {what}"));
    status.set_source(Arc::new(ProtocolError::Framing(what)));
    status
}

/// A unary answer without its message.
fn missing_message() -> Status {
    protocol_error(Code::Internal, "Octane answered OK without a message")
}

/// An answer with a compressed message: the proxy offers no compression.
pub(crate) fn compressed_message() -> Status {
    protocol_error(
        Code::Internal,
        "Octane sent a compressed message, and no compression was offered",
    )
}

/// An answer that ended inside a message.
pub(crate) fn cut_inside_message() -> Status {
    protocol_error(Code::Internal, "Octane's answer ended inside a message")
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
    let error = ProtocolError::HttpStatus(status);
    let mut status = Status::new(code, error.to_string());
    status.set_source(Arc::new(error));
    status
}

/// A request's length in its prefix. Requests are checked against the message limit before
/// they get here; this only keeps a length over 4 GiB from wrapping.
fn message_len(len: usize) -> Result<u32, Status> {
    u32::try_from(len).map_err(|_| {
        Status::resource_exhausted(format!("a request of {len} bytes is over gRPC's 4 GiB"))
    })
}

/// `timeout` as a `grpc-timeout` header: milliseconds, at most the 8 digits gRPC allows.
fn grpc_timeout(timeout: Duration) -> HeaderValue {
    let millis = timeout.as_millis().clamp(1, 99_999_999);
    HeaderValue::try_from(format!("{millis}m")).expect("digits and a unit are a header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `message` behind its gRPC prefix, not compressed.
    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    /// Reads `pieces` as an answer's DATA frames; answers the message's bytes.
    fn read_all(pieces: &[&[u8]]) -> Result<Vec<u8>, Status> {
        let mut framing = UnaryFraming::new();
        let mut message = Vec::new();
        for piece in pieces {
            let mut data = Bytes::copy_from_slice(piece);
            while let Some(piece) = framing.next(&mut data)? {
                if let GrpcPiece::Message(bytes) = piece {
                    message.extend_from_slice(&bytes);
                }
            }
        }
        framing.finish()?;
        Ok(message)
    }

    /// The `ProtocolError` that marks `status` as made here, if it has one.
    fn protocol_error_of(status: &Status) -> Option<&ProtocolError> {
        std::error::Error::source(status)?.downcast_ref::<ProtocolError>()
    }

    #[test]
    fn timeouts_are_milliseconds_within_eight_digits() {
        assert_eq!(grpc_timeout(Duration::from_secs(10)), "10000m");
        assert_eq!(grpc_timeout(Duration::from_micros(10)), "1m");
        assert_eq!(grpc_timeout(Duration::from_secs(1 << 40)), "99999999m");
    }

    #[test]
    fn a_message_split_anywhere_is_read_whole() {
        let answer = framed(&[0x08, 0x01]);
        for at in 0..=answer.len() {
            let (a, b) = answer.split_at(at);
            assert_eq!(
                read_all(&[a, b]).expect("read"),
                [0x08, 0x01],
                "split at {at}"
            );
        }
        assert!(
            read_all(&[&framed(&[])])
                .expect("an empty message")
                .is_empty()
        );
    }

    #[test]
    fn framing_errors_are_protocol_errors_made_here() {
        let twice = [framed(&[0x08, 0x01]), framed(&[])].concat();
        let mut compressed = framed(&[0x08, 0x01]);
        compressed[0] = 1;
        let cut = &framed(&[0x08, 0x01])[..6];
        let cases: [(&[u8], &str); 5] = [
            (
                &twice,
                "Octane answered a unary call with more than one message",
            ),
            (
                &compressed,
                "Octane sent a compressed message, and no compression was offered",
            ),
            (cut, "Octane's answer ended inside a message"),
            (&[0, 0, 0], "Octane's answer ended inside a message"),
            (&[], "Octane answered OK without a message"),
        ];
        for (answer, what) in cases {
            let status = read_all(&[answer]).expect_err("refused");
            assert_eq!(status.code(), Code::Internal, "{what}");
            assert_eq!(status.message(), format!("protocol error: {what}"));
            assert_eq!(
                protocol_error_of(&status),
                Some(&ProtocolError::Framing(what))
            );
        }
    }

    #[test]
    fn a_byte_after_the_message_is_refused_as_it_arrives() {
        for message in [framed(&[0x08, 0x01]), framed(&[])] {
            let mut framing = UnaryFraming::new();
            let mut data = Bytes::from([&message[..], &[0]].concat());
            let refused = loop {
                match framing.next(&mut data) {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("the byte after the message was taken"),
                    Err(status) => break status,
                }
            };
            assert_eq!(
                protocol_error_of(&refused),
                Some(&ProtocolError::Framing(
                    "Octane answered a unary call with more than one message"
                ))
            );
        }
    }

    #[test]
    fn http_statuses_map_as_grpc_says_and_are_made_here() {
        let cases = [
            (StatusCode::BAD_REQUEST, Code::Internal),
            (StatusCode::UNAUTHORIZED, Code::Unauthenticated),
            (StatusCode::FORBIDDEN, Code::PermissionDenied),
            (StatusCode::NOT_FOUND, Code::Unimplemented),
            (StatusCode::TOO_MANY_REQUESTS, Code::Unavailable),
            (StatusCode::BAD_GATEWAY, Code::Unavailable),
            (StatusCode::SERVICE_UNAVAILABLE, Code::Unavailable),
            (StatusCode::GATEWAY_TIMEOUT, Code::Unavailable),
            (StatusCode::IM_A_TEAPOT, Code::Unknown),
        ];
        for (http, code) in cases {
            let status = http_status(http);
            assert_eq!(status.code(), code, "{http}");
            assert_eq!(status.message(), format!("Octane answered HTTP {http}"));
            assert_eq!(
                protocol_error_of(&status),
                Some(&ProtocolError::HttpStatus(http))
            );
        }
    }
}
