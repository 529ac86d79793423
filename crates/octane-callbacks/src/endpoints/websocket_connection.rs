//! `WebSocket`: an accepted WebSocket, its messages read by a task of their own and its frames
//! written without a copy.
//!
//! A frame is written as one vectored write of its small header and its payload, so the one
//! `Bytes` of a frame that every viewer shares goes from that buffer to each socket, and is not
//! copied into a write buffer per socket first (fastwebsockets' `writev`). Reading a frame is
//! not cancel-safe (a header half read would be lost), and the endpoints wait for the viewer's
//! messages and for frames at once: so the socket is split, a task reads and hands whole
//! messages over a channel, which is cancel-safe, and the endpoint's task does all the writing,
//! answers to pings and to a close included.

use bytes::{Bytes, BytesMut};
use fastwebsockets::{
    Frame, OpCode, Payload, Role, WebSocketError, WebSocketRead, WebSocketWrite,
    after_handshake_split,
};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest message a viewer may send: viewers only send small JSON commands, so anything larger
/// is refused (the connection is closed) rather than buffered.
const MAX_INCOMING_MESSAGE: usize = 64 * 1024;

/// How many messages the reading task may hold for the writer before it stops reading.
const INCOMING_BACKLOG: usize = 16;

type Socket = TokioIo<Upgraded>;

/// What the viewer sent.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A text message (UTF-8, checked).
    Text(Bytes),
    /// A binary message (no endpoint reads one).
    Binary,
    /// A ping: answer it with [`WebSocket::pong`].
    Ping(Bytes),
    /// The viewer closes: answer with [`WebSocket::close`] and stop.
    Close(Bytes),
    /// The viewer broke the protocol or sent too much: the connection is over.
    Failed(WebSocketError),
}

/// A WebSocket accepted by [`super::websocket::upgrade`], server side.
#[derive(Debug)]
pub(crate) struct WebSocket {
    incoming: mpsc::Receiver<Incoming>,
    writer: Writer,
    reader: JoinHandle<()>,
}

/// The write half; a newtype for its `Debug`.
struct Writer(WebSocketWrite<WriteHalf<Socket>>);

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl WebSocket {
    /// The server side of a socket whose handshake is done.
    pub(crate) fn new(socket: Socket) -> Self {
        let (read, write) = tokio::io::split(socket);
        let (mut read, mut write) = after_handshake_split(read, write, Role::Server);
        // Pings and closes come to the endpoint, whose task is the only one that writes.
        read.set_auto_pong(false);
        read.set_auto_close(false);
        // The library refuses a frame of this size or more.
        read.set_max_message_size(MAX_INCOMING_MESSAGE + 1);
        write.set_writev(true);
        let (sender, incoming) = mpsc::channel(INCOMING_BACKLOG);
        let reader = tokio::spawn(read_messages(read, sender));
        Self {
            incoming,
            writer: Writer(write),
            reader,
        }
    }

    /// The next thing the viewer sent; `None` once the reading task has stopped. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Incoming> {
        self.incoming.recv().await
    }

    /// Writes `payload` as one binary message.
    pub(crate) async fn binary(&mut self, payload: &[u8]) -> Result<(), WebSocketError> {
        self.write(OpCode::Binary, payload).await
    }

    /// Writes `payload`, UTF-8, as one text message.
    pub(crate) async fn text(&mut self, payload: &[u8]) -> Result<(), WebSocketError> {
        self.write(OpCode::Text, payload).await
    }

    /// Answers a ping.
    pub(crate) async fn pong(&mut self, payload: &[u8]) -> Result<(), WebSocketError> {
        self.write(OpCode::Pong, payload).await
    }

    /// Answers the viewer's close with the same code, as RFC 6455 asks; the socket is done.
    pub(crate) async fn close(&mut self, payload: &[u8]) {
        let code = payload.get(..2).unwrap_or_default();
        if let Err(err) = self.write(OpCode::Close, code).await {
            tracing::debug!(%err, "WebSocket close not answered");
        }
    }

    async fn write(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), WebSocketError> {
        let frame = Frame::new(true, opcode, None, Payload::Borrowed(payload));
        self.writer.0.write_frame(frame).await?;
        self.writer.0.flush().await
    }
}

/// The reading task: whole messages (fragments joined, at most [`MAX_INCOMING_MESSAGE`]) and
/// control frames handed to the endpoint, until the viewer closes, fails, or the endpoint goes.
async fn read_messages(mut read: WebSocketRead<ReadHalf<Socket>>, sender: mpsc::Sender<Incoming>) {
    // Nothing is written from here: pings and closes go to the endpoint.
    let mut no_obligations = |_: Frame<'_>| async { Ok::<(), std::convert::Infallible>(()) };
    // The message being joined from fragments: its opcode and what came so far.
    let mut partial: Option<(OpCode, BytesMut)> = None;
    loop {
        let frame = match read.read_frame(&mut no_obligations).await {
            Ok(frame) => frame,
            Err(err) => {
                let _ = sender.send(Incoming::Failed(err)).await;
                return;
            }
        };
        let fin = frame.fin;
        let opcode = frame.opcode;
        let payload = Bytes::from(Vec::from(frame.payload));
        let message = match (opcode, partial.as_mut()) {
            (OpCode::Ping, _) => Incoming::Ping(payload),
            (OpCode::Close, _) => {
                let _ = sender.send(Incoming::Close(payload)).await;
                return;
            }
            (OpCode::Pong, _) => continue,
            (OpCode::Text | OpCode::Binary, None) if fin => whole(opcode, payload),
            (OpCode::Text | OpCode::Binary, None) => {
                partial = Some((opcode, BytesMut::from(payload)));
                continue;
            }
            (OpCode::Continuation, Some((_, joined))) => {
                if joined.len() + payload.len() > MAX_INCOMING_MESSAGE {
                    let _ = sender
                        .send(Incoming::Failed(WebSocketError::FrameTooLarge))
                        .await;
                    return;
                }
                joined.extend_from_slice(&payload);
                if !fin {
                    continue;
                }
                let Some((opcode, joined)) = partial.take() else {
                    continue;
                };
                whole(opcode, joined.freeze())
            }
            _ => Incoming::Failed(WebSocketError::InvalidFragment),
        };
        let failed = matches!(message, Incoming::Failed(_));
        if sender.send(message).await.is_err() || failed {
            return;
        }
    }
}

/// A whole data message; text that is not UTF-8 fails the connection.
fn whole(opcode: OpCode, payload: Bytes) -> Incoming {
    match opcode {
        OpCode::Text if std::str::from_utf8(&payload).is_err() => {
            Incoming::Failed(WebSocketError::InvalidUTF8)
        }
        OpCode::Text => Incoming::Text(payload),
        _ => Incoming::Binary,
    }
}
