//! `/api/callbacks`: octaneWebR's WebSocket of live frames and render events.
//!
//! Every socket gets every message: `newImage` (the frame's images, encoded once per frame into
//! one text message that all sockets share, and only while a socket is open), `newStatistics`,
//! `renderFailure`, `projectManagerChanged`, and `pong` for a `{"type":"ping"}`. The client's
//! `{"type":"subscribe"}` is accepted; it changes nothing, since every socket is subscribed.
//! The first socket starts the callback streamer, as `register-callback` does for the SSE
//! stream. Frames are latest-wins per socket: a socket still writing one frame gets the newest
//! when it is done, so a slow socket skips frames, holds nobody and pins at most one frame.

use futures_util::{SinkExt, StreamExt};
use http::{Request, Response};
use octane_api::octaneapi::RenderResultStatistics;
use octane_proxy::{Body, RequestBody};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::websocket::{WebSocket, upgrade};
use crate::endpoints::webr_messages;
use crate::error::RenderError;
use crate::fan_out::{Encoding, Variants, Viewer};
use crate::frames::Frame;
use crate::upstream::CallbackStreamer;

/// How many event messages a socket may fall behind before it misses some.
const EVENT_BACKLOG: usize = 64;

/// The variant of a frame octaneWebR's sockets get: its `newImage` text message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WebrImage;

impl Encoding for WebrImage {
    type Output = Utf8Bytes;

    fn encode(&self, frame: &Frame) -> Utf8Bytes {
        webr_messages::new_image(frame)
    }

    fn label(&self) -> String {
        "webr newImage".to_owned()
    }
}

/// What the streamer feeds the `/api/callbacks` sockets.
#[derive(Debug)]
pub(crate) struct WebrFeed {
    /// The frames, as `newImage` messages.
    pub(crate) images: Variants<WebrImage>,
    /// Every other message, already encoded.
    events: broadcast::Sender<Utf8Bytes>,
}

impl WebrFeed {
    pub(crate) fn new(images: Variants<WebrImage>) -> Self {
        Self {
            images,
            events: broadcast::Sender::new(EVENT_BACKLOG),
        }
    }

    /// Whether a socket is open: messages are built only then.
    fn watched(&self) -> bool {
        self.events.receiver_count() > 0
    }

    /// Sends `newStatistics` with what `getRenderStatistics` answered.
    pub(crate) fn statistics(
        &self,
        user_data: u64,
        timestamp: f64,
        statistics: Option<&RenderResultStatistics>,
    ) {
        if self.watched() {
            let _ = self.events.send(webr_messages::new_statistics(
                user_data, timestamp, statistics,
            ));
        }
    }

    /// Sends a callback that carries nothing but its `user_data`.
    pub(crate) fn plain(&self, kind: &'static str, user_data: u64, timestamp: f64) {
        if self.watched() {
            let _ = self
                .events
                .send(webr_messages::plain(kind, user_data, timestamp));
        }
    }
}

/// Answers the upgrade of `/api/callbacks`, and starts the streamer if it has not started.
pub(crate) fn callbacks(
    streamer: &CallbackStreamer,
    request: Request<RequestBody>,
) -> Result<Response<Body>, RenderError> {
    streamer.authorize()?;
    let feed_of = streamer.clone();
    let response = upgrade(request, move |socket| async move {
        let feed = &feed_of.shared.webr;
        // Subscribed before the streamer starts, so that nothing it sends first is missed.
        let events = feed.events.subscribe();
        let images = feed.images.view(WebrImage, None);
        let starting = feed_of.clone();
        tokio::spawn(async move { starting.start().await });
        serve(socket, images, events).await;
    })?;
    Ok(response)
}

/// One socket: the client's messages read and answered, the feed's written, until either side
/// closes or a write fails.
async fn serve(
    mut socket: WebSocket,
    mut images: Viewer<WebrImage>,
    mut events: broadcast::Receiver<Utf8Bytes>,
) {
    loop {
        // A message to send, and whether it is a frame (counted as the variant's bytes sent).
        let (outgoing, frame) = tokio::select! {
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Text(text))) => match answer(&text) {
                    Some(reply) => (reply, false),
                    None => continue,
                },
                // The library answers pings itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(_))) => {
                    tracing::debug!("binary message on /api/callbacks ignored");
                    continue;
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(err)) => {
                    tracing::debug!(%err, "/api/callbacks socket failed");
                    break;
                }
            },
            image = images.next() => match image {
                Some(image) => (image.output.clone(), true),
                None => break,
            },
            event = events.recv() => match event {
                Ok(event) => (event, false),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "an /api/callbacks socket missed events");
                    continue;
                }
                Err(RecvError::Closed) => break,
            },
        };
        let len = outgoing.len();
        if let Err(err) = socket.send(Message::Text(outgoing)).await {
            tracing::debug!(%err, "/api/callbacks socket closed while written");
            break;
        }
        if frame {
            images.sent(len);
        }
    }
}

/// The answer to a client's message, if it needs one.
fn answer(text: &str) -> Option<Utf8Bytes> {
    #[derive(serde::Deserialize)]
    struct Command<'a> {
        r#type: &'a str,
    }
    match serde_json::from_str::<Command<'_>>(text) {
        Ok(Command { r#type: "ping" }) => Some(webr_messages::pong()),
        Ok(Command {
            r#type: "subscribe",
        }) => None,
        _ => {
            tracing::debug!(
                message = %octane_proxy::error::clip(text),
                "/api/callbacks message ignored"
            );
            None
        }
    }
}
