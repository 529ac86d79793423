//! `/api/callbacks`: octaneWebR's WebSocket of live frames and render events.
//!
//! Every socket gets every message: `newImage` (the frame's images, encoded once per frame into
//! one text message that all sockets share, and only while a socket is open), `newStatistics`,
//! `renderFailure`, `projectManagerChanged`, and `pong` for a `{"type":"ping"}`. The client's
//! `{"type":"subscribe"}` is accepted; it changes nothing, since every socket is subscribed.
//! The first socket starts the callback streamer, as `register-callback` does for the SSE
//! stream. Frames are latest-wins per socket: a socket still writing one frame gets the newest
//! when it is done, so a slow socket skips frames, holds nobody and pins at most one frame.

use bytes::Bytes;
use http::{Request, Response};
use octane_proxy::{Body, RequestBody};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::websocket::{Incoming, WebSocket, upgrade};
use crate::error::RenderError;
use crate::fan_out::Viewer;
use crate::fan_out::webr_feed::WebrImage;
use crate::fan_out::webr_messages;
use crate::upstream::CallbackStreamer;

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
        let events = feed.subscribe_events();
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
    mut events: broadcast::Receiver<Bytes>,
) {
    loop {
        // A message to send, and whether it is a frame (counted as the variant's bytes sent).
        let (outgoing, frame) = tokio::select! {
            incoming = socket.next() => match incoming {
                Some(Incoming::Text(text)) => match answer(&text) {
                    Some(reply) => (reply, false),
                    None => continue,
                },
                Some(Incoming::Ping(payload)) => {
                    if socket.pong(&payload).await.is_err() {
                        break;
                    }
                    continue;
                }
                Some(Incoming::Binary) => {
                    tracing::debug!("binary message on /api/callbacks ignored");
                    continue;
                }
                Some(Incoming::Close(payload)) => {
                    socket.close(&payload).await;
                    break;
                }
                Some(Incoming::Failed(err)) => {
                    tracing::debug!(%err, "/api/callbacks socket failed");
                    break;
                }
                None => break,
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
        // A frame's message is shared by every socket: written, not copied.
        if let Err(err) = socket.text(&outgoing).await {
            tracing::debug!(%err, "/api/callbacks socket closed while written");
            break;
        }
        if frame {
            images.sent(outgoing.len());
        }
    }
}

/// The answer to a client's message (UTF-8, checked by the socket), if it needs one.
fn answer(text: &[u8]) -> Option<Bytes> {
    #[derive(serde::Deserialize)]
    struct Command<'a> {
        r#type: &'a str,
    }
    match serde_json::from_slice::<Command<'_>>(text) {
        Ok(Command { r#type: "ping" }) => Some(webr_messages::pong()),
        Ok(Command {
            r#type: "subscribe",
        }) => None,
        _ => {
            tracing::debug!(
                message = %octane_proxy::error::clip(&String::from_utf8_lossy(text)),
                "/api/callbacks message ignored"
            );
            None
        }
    }
}
