//! Server-streaming calls on the [`Channel`] without tonic's client: the answer's messages are
//! read with the same framing and statuses as a unary answer's, so an answer that breaks gRPC's
//! protocol (a compressed message, one cut short, an HTTP error without a gRPC status, no
//! `grpc-status` at the end) fails with a [`ProtocolError`](crate::status::ProtocolError) as the
//! status's source, as unary calls do, rather than as a status Octane never sent.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tonic::{Code, Status};

use crate::channel::Channel;
use crate::grpc_framing::{GrpcFraming, GrpcPiece};
use crate::unary::{self, Head, Message, UnaryAnswer};

/// Sends the server-streaming call `path` with the encoded request `message`, telling Octane
/// the deadline `timeout` if there is one (the caller enforces it), and answers once Octane's
/// response headers arrived: Octane's error status at once if it sent only headers, or the
/// stream of messages to read.
pub(crate) async fn send_server_streaming(
    channel: Channel,
    path: &'static str,
    message: &[u8],
    timeout: Option<Duration>,
) -> Result<MessageStream, Status> {
    match unary::send(channel, path, &[message], timeout).await? {
        Head::Status(status) if status.code() == Code::Ok => Ok(MessageStream::default()),
        Head::Status(status) => Err(status),
        Head::Body(body) => Ok(MessageStream {
            answer: Some(UnaryAnswer {
                body,
                trailers: None,
            }),
            ..MessageStream::default()
        }),
    }
}

/// The messages of a server-streaming answer, each a slice of the DATA frame it came in when it
/// came in one, then Octane's status.
#[derive(Debug, Default)]
pub struct MessageStream {
    /// The answer still to read; `None` once it ended (or never began: a trailers-only OK).
    /// Its DATA frames and trailers are read as a unary answer's; only the framing of the
    /// messages in them differs.
    answer: Option<UnaryAnswer>,
    framing: GrpcFraming,
    /// The message being read.
    partial: Message,
    /// Messages read whole, not yet handed out.
    ready: VecDeque<Bytes>,
    /// Why the answer broke off, handed out after the messages before it.
    failed: Option<Status>,
}

impl MessageStream {
    /// The next message; `None` once the answer ended with OK. A compressed message, an answer
    /// that ends inside a message or without a `grpc-status`, and Octane's error status end
    /// the stream with that status.
    pub async fn message(&mut self) -> Result<Option<Bytes>, Status> {
        loop {
            if let Some(message) = self.ready.pop_front() {
                return Ok(Some(message));
            }
            if let Some(status) = self.failed.take() {
                return Err(status);
            }
            let Some(answer) = self.answer.as_mut() else {
                return Ok(None);
            };
            let Some(data) = answer.data().await else {
                let answer = self.answer.take();
                if !self.framing.between_messages() {
                    return Err(unary::cut_inside_message());
                }
                return answer
                    .map_or(Ok(()), |answer| answer.status())
                    .map(|()| None);
            };
            let mut data = data?;
            while let Some(piece) = self.framing.next(&mut data) {
                if let GrpcPiece::Prefix {
                    compressed: true, ..
                } = piece
                {
                    self.answer = None;
                    self.failed = Some(unary::compressed_message());
                    break;
                }
                self.partial = std::mem::take(&mut self.partial).take(piece);
                if self.framing.between_messages() {
                    self.ready
                        .push_back(std::mem::take(&mut self.partial).bytes());
                }
            }
        }
    }

    /// The messages as a stream, which ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Status>> + Send + 'static {
        futures_util::stream::unfold(Some(self), |stream| async move {
            let mut stream = stream?;
            match stream.message().await {
                Ok(Some(message)) => Some((Ok(message), Some(stream))),
                Ok(None) => None,
                Err(status) => Some((Err(status), None)),
            }
        })
    }
}
